import logging
import re
from datetime import timedelta

from markupsafe import Markup

from odoo import Command, api, fields, models, tools
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tools import format_datetime

from .crm_sla_policy import PRIORITIES

_logger = logging.getLogger(__name__)

CHANNELS = [
    ("phone", "Phone"),
    ("email", "Email"),
    ("portal", "Portal"),
    ("store", "Store"),
    ("social", "Social Media"),
    ("other", "Other"),
]
SLA_STATUSES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
RESOLUTION_TYPES = [
    ("return", "Return"),
    ("exchange", "Exchange"),
    ("repair", "Repair"),
    ("compensation", "Compensation"),
    ("apology", "Apology"),
    ("other", "Other"),
]
# words shorter than this are not used to suggest solutions
MIN_WORD_LENGTH = 3
MAX_SUGGESTIONS = 5
MAX_KEYWORDS = 30
# clocks of agents' machines run a little ahead
RECEIVED_TOLERANCE_MINUTES = 10
CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")


def _keywords(text):
    """Words to look solutions up with. Chinese is written without spaces: a run of
    Chinese characters gives its overlapping pairs of characters (空调噪音 → 空调, 调噪,
    噪音), which match the same words in another phrasing."""
    keywords = set()
    for token in re.findall(r"\w+", text):
        if CJK.search(token):
            keywords.update(token[index:index + 2] for index in range(len(token) - 1))
        elif len(token) >= MIN_WORD_LENGTH:
            keywords.add(token)
    return frozenset(keywords)


class CrmComplaint(models.Model):
    _name = "crm.complaint"
    _description = "Complaint"
    _inherit = [
        "portal.mixin", "mail.thread", "mail.activity.mixin", "crm.protected.fields.mixin",
    ]
    _order = "priority desc, id desc"
    _check_company_auto = True
    _mail_post_access = "read"
    _primary_email = "email_from"

    name = fields.Char(string="Subject", required=True, tracking=True)
    reference = fields.Char(
        required=True, readonly=True, copy=False, default=lambda self: self.env._("New"),
        index="trigram",
    )
    active = fields.Boolean(default=True)
    description = fields.Html()
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company,
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    partner_id = fields.Many2one("res.partner", string="Customer", tracking=True, index=True)
    commercial_partner_id = fields.Many2one(
        related="partner_id.commercial_partner_id", store=True, index=True,
        string="Customer Company",
    )
    email_from = fields.Char(
        string="Email", compute="_compute_email_from", store=True, readonly=False,
    )
    customer_tier = fields.Selection(
        related="commercial_partner_id.customer_tier", groups="base.group_user",
    )
    sale_order_id = fields.Many2one(
        "sale.order",
        domain="[('partner_id', 'child_of', commercial_partner_id)]",
        check_company=True,
    )
    product_id = fields.Many2one("product.product", check_company=True)
    channel = fields.Selection(CHANNELS, required=True, default="phone", tracking=True)
    category_id = fields.Many2one("crm.complaint.category", tracking=True, check_company=True)
    priority = fields.Selection(PRIORITIES, default="1", required=True, tracking=True, index=True)
    stage_id = fields.Many2one(
        "crm.complaint.stage", tracking=True, index=True, copy=False,
        default=lambda self: self.env["crm.complaint.stage"].search([], limit=1),
        group_expand="_read_group_expand_stage_ids", ondelete="restrict",
    )
    is_closed = fields.Boolean(related="stage_id.is_closed")
    user_id = fields.Many2one(
        "res.users", string="Assigned To", tracking=True, index=True,
        domain="[('share', '=', False)]", check_company=True,
    )
    team_id = fields.Many2one(
        "crm.team", tracking=True, index=True, check_company=True,
        compute="_compute_team_id", store=True, readonly=False,
    )
    date_received = fields.Datetime(
        string="Received", required=True, default=fields.Datetime.now, copy=False,
        help="When the complaint came in: the SLA clocks start here. Only service "
        "administrators change it once the complaint is saved.",
    )
    is_service_manager = fields.Boolean(compute="_compute_is_service_manager")
    # SLA
    sla_policy_id = fields.Many2one(
        "crm.sla.policy", string="SLA Policy", compute="_compute_sla_policy_id",
        store=True, readonly=False, index=True, check_company=True, tracking=True,
        groups="base.group_user",
        help="Chosen from the priority, customer tier, category and team; service "
        "administrators can choose another one.",
    )
    response_deadline = fields.Datetime(
        compute="_compute_deadlines", store=True, tracking=True, groups="base.group_user",
        help="First answer to the customer due by then (working time of the SLA policy).",
    )
    resolve_deadline = fields.Datetime(
        string="Resolution Deadline", compute="_compute_deadlines", store=True,
        tracking=True,
        help="Resolution due by then; moved by the working time spent waiting for the "
        "customer.",
    )
    at_risk_date = fields.Datetime(
        compute="_compute_deadlines", store=True, groups="base.group_user",
    )
    first_response_date = fields.Datetime(readonly=True, copy=False, groups="base.group_user")
    resolved_date = fields.Datetime(readonly=True, copy=False, tracking=True)
    paused_since = fields.Datetime(readonly=True, copy=False, groups="base.group_user")
    paused_hours = fields.Float(
        string="Paused Working Hours", readonly=True, copy=False, groups="base.group_user",
        help="Working hours spent waiting for the customer: they do not count against "
        "the resolution time.",
    )
    sla_status = fields.Selection(
        SLA_STATUSES, string="SLA Status", compute="_compute_sla_status", store=True,
        tracking=True, groups="base.group_user",
    )
    next_escalation_date = fields.Datetime(
        compute="_compute_next_escalation_date", store=True, index="btree_not_null",
        copy=False, groups="base.group_user",
        help="Next time the escalation job has something to do for this complaint.",
    )
    escalation_level = fields.Integer(
        readonly=True, copy=False, tracking=True, groups="base.group_user",
    )
    escalation_log_ids = fields.One2many(
        "crm.complaint.escalation.log", "complaint_id", string="Escalations", readonly=True,
        groups="base.group_user",
    )
    # reporting measures
    response_work_hours = fields.Float(
        string="Response Time (working hours)", compute="_compute_work_hours", store=True,
        aggregator="avg", groups="base.group_user",
    )
    resolve_work_hours = fields.Float(
        string="Resolution Time (working hours)", compute="_compute_work_hours", store=True,
        aggregator="avg", groups="base.group_user",
    )
    sla_compliance = fields.Float(
        string="SLA Compliance (%)", compute="_compute_sla_compliance", store=True,
        aggregator="avg", groups="base.group_user",
        help="0 when the SLA is breached, 100 otherwise (met, or an open complaint still "
        "within its deadlines); averaged in reports.",
    )
    # resolution
    resolution_type = fields.Selection(RESOLUTION_TYPES, tracking=True)
    root_cause = fields.Text(groups="base.group_user")
    resolution = fields.Html()
    compensation_amount = fields.Monetary(
        currency_field="currency_id", tracking=True, groups="base.group_user",
    )
    solution_ids = fields.Many2many(
        "crm.solution", "crm_complaint_solution_rel", "complaint_id", "solution_id",
        string="Applied Solutions", readonly=True, copy=False, groups="base.group_user",
    )
    suggested_solution_ids = fields.Many2many(
        "crm.solution", compute="_compute_suggested_solution_ids",
        string="Suggested Solutions", groups="base.group_user",
    )
    # satisfaction
    survey_user_input_id = fields.Many2one(
        "survey.user_input", string="Satisfaction Answer", readonly=True, copy=False,
        groups="base.group_user",
    )
    csat_score = fields.Integer(
        string="CSAT", readonly=True, copy=False, aggregator="avg", groups="base.group_user",
        help="Customer satisfaction given by the customer, from 1 to 5.",
    )
    nps_score = fields.Integer(
        string="NPS Score", readonly=True, copy=False, aggregator="avg",
        groups="base.group_user",
        help="Likelihood to recommend us, from 0 to 10.",
    )
    portal_submission = fields.Char(
        copy=False, groups="base.group_system",
        help="Key of the portal form that created the complaint: the same form sent "
        "twice (a double click) creates one complaint.",
    )

    _sql_constraints = [
        ("csat_score_range", "CHECK (csat_score IS NULL OR csat_score BETWEEN 1 AND 5)",
         "The CSAT score goes from 1 to 5."),
        ("nps_score_range", "CHECK (nps_score IS NULL OR nps_score BETWEEN 0 AND 10)",
         "The NPS score goes from 0 to 10."),
        ("portal_submission_uniq", "UNIQUE (portal_submission)",
         "This form was already sent."),
    ]

    @api.model
    def _crm_server_fields(self):
        return (
            *super()._crm_server_fields(),
            "reference", "commercial_partner_id", "response_deadline", "resolve_deadline",
            "at_risk_date", "first_response_date", "resolved_date", "paused_since",
            "paused_hours", "sla_status", "next_escalation_date", "escalation_level",
            "escalation_log_ids", "response_work_hours", "resolve_work_hours",
            "sla_compliance", "solution_ids", "survey_user_input_id", "csat_score",
            "nps_score", "portal_submission",
        )

    @api.model
    def _crm_manager_fields(self):
        # a tracked correction of the policy a complaint is measured by
        return (*super()._crm_manager_fields(), "sla_policy_id")

    @api.model
    def _crm_manager_group(self):
        return "crm_service.group_crm_service_manager"

    # ------------------------------------------------------------------ computes

    @api.depends_context("uid")
    def _compute_is_service_manager(self):
        self.is_service_manager = self.env.user.has_group(
            "crm_service.group_crm_service_manager"
        )

    @api.model
    def _read_group_expand_stage_ids(self, stages, domain):
        return stages.search([("id", "!=", False)], order=stages._order)

    def _compute_access_url(self):
        super()._compute_access_url()
        for complaint in self:
            complaint.access_url = f"/my/complaints/{complaint.id}"
        return None

    @api.depends("reference", "name")
    def _compute_display_name(self):
        for complaint in self:
            complaint.display_name = (
                f"{complaint.reference} {complaint.name or ''}".strip()
                if complaint.reference else complaint.name
            )

    @api.depends("partner_id.email")
    def _compute_email_from(self):
        for complaint in self:
            if complaint.partner_id.email:
                complaint.email_from = complaint.partner_id.email

    @api.depends("category_id")
    def _compute_team_id(self):
        for complaint in self:
            if complaint.category_id.team_id and not complaint.team_id:
                complaint.team_id = complaint.category_id.team_id

    @api.depends(
        "priority", "category_id", "team_id", "company_id",
        "partner_id.commercial_partner_id.customer_tier",
    )
    def _compute_sla_policy_id(self):
        Policy = self.env["crm.sla.policy"]
        # raising the priority on escalation keeps the policy being escalated, and a
        # solved complaint keeps the policy it was measured by
        escalating = self.env.context.get("crm_service_escalating")
        todo = self.browse() if escalating else self.filtered(
            lambda complaint: not (complaint.resolved_date and complaint.sla_policy_id)
        )
        # one search for the whole batch; each complaint picks among the candidates
        candidates = Policy
        if todo:
            companies = todo.company_id | self.env.company
            candidates = Policy.search([("company_id", "in", [False, *companies.ids])])
        for complaint in self:
            if complaint in todo:
                complaint.sla_policy_id = Policy._find_for(complaint, candidates)
            else:
                complaint.sla_policy_id = complaint.sla_policy_id

    @api.depends(
        "sla_policy_id.response_hours", "sla_policy_id.resolve_hours",
        "sla_policy_id.at_risk_hours", "sla_policy_id.resource_calendar_id",
        "date_received", "paused_hours", "first_response_date",
    )
    def _compute_deadlines(self):
        for complaint in self:
            if complaint.resolved_date and complaint.resolve_deadline:
                continue  # measured: editing the policy later does not rewrite history
            policy = complaint.sla_policy_id
            if not policy or not complaint.date_received:
                complaint.response_deadline = complaint.resolve_deadline = False
                complaint.at_risk_date = False
                continue
            calendar = policy.resource_calendar_id
            start = complaint.date_received
            complaint.response_deadline = calendar.plan_hours(
                policy.response_hours, start, compute_leaves=True
            )
            complaint.resolve_deadline = calendar.plan_hours(
                policy.resolve_hours + complaint.paused_hours, start, compute_leaves=True
            )
            risks = [complaint.resolve_deadline]
            if not complaint.first_response_date:
                risks.append(complaint.response_deadline)
            risk_dates = [
                calendar.plan_hours(-policy.at_risk_hours, deadline, compute_leaves=True)
                if policy.at_risk_hours else deadline
                for deadline in risks if deadline
            ]
            at_risk_date = min((d for d in risk_dates if d), default=False)
            # a window shorter than the margin is at risk from the start, not before
            complaint.at_risk_date = at_risk_date and max(at_risk_date, start)

    @api.depends(
        "response_deadline", "resolve_deadline", "at_risk_date", "first_response_date",
        "resolved_date", "paused_since",
    )
    def _compute_sla_status(self):
        now = fields.Datetime.now()
        for complaint in self:
            complaint.sla_status = complaint._sla_status_at(now)

    def _sla_status_at(self, now):
        self.ensure_one()
        if not self.sla_policy_id:
            return "met" if self.resolved_date else "on_track"
        response_late = self.response_deadline and (
            (self.first_response_date or self.resolved_date or now) > self.response_deadline
        )
        if self.resolved_date:
            late = response_late or (
                self.resolve_deadline and self.resolved_date > self.resolve_deadline
            )
            return "breached" if late else "met"
        # while waiting for the customer, the resolution clock stands still
        clock = self.paused_since or now
        if response_late or (self.resolve_deadline and clock > self.resolve_deadline):
            return "breached"
        if self.at_risk_date and clock >= self.at_risk_date:
            return "at_risk"
        return "on_track"

    @api.depends(
        "sla_status", "at_risk_date", "response_deadline", "resolve_deadline",
        "first_response_date", "resolved_date", "paused_since",
        "escalation_log_ids", "sla_policy_id.escalation_ids.trigger",
        "sla_policy_id.escalation_ids.hours", "sla_policy_id.escalation_ids.deadline",
    )
    def _compute_next_escalation_date(self):
        for complaint in self:
            complaint.next_escalation_date = complaint._next_escalation_date()

    def _next_escalation_date(self):
        """Earliest moment the escalation job must look at the complaint again."""
        self.ensure_one()
        if not self.sla_policy_id or self.resolved_date or self.paused_since:
            return False
        candidates = []
        if self.sla_status == "on_track" and self.at_risk_date:
            candidates.append(self.at_risk_date)
        if self.sla_status in ("on_track", "at_risk"):
            if not self.first_response_date and self.response_deadline:
                candidates.append(self.response_deadline)
            if self.resolve_deadline:
                candidates.append(self.resolve_deadline)
        fired = self.escalation_log_ids.escalation_id
        for step in self.sla_policy_id.escalation_ids - fired:
            if deadline := self._escalation_deadline(step):
                candidates.append(step._fire_date(deadline))
        return min((d for d in candidates if d), default=False)

    @api.depends("first_response_date", "resolved_date", "date_received", "paused_hours",
                 "sla_policy_id.resource_calendar_id")
    def _compute_work_hours(self):
        # resolved without a written answer: the resolution was the response
        for complaint in self:
            calendar = (
                complaint.sla_policy_id.resource_calendar_id
                or complaint.company_id.resource_calendar_id
            )
            complaint.response_work_hours = complaint.resolve_work_hours = 0.0
            if not calendar or not complaint.date_received:
                continue
            responded = complaint.first_response_date or complaint.resolved_date
            if responded:
                complaint.response_work_hours = calendar.get_work_hours_count(
                    complaint.date_received, responded
                ) if responded > complaint.date_received else 0.0
            if complaint.resolved_date and complaint.resolved_date > complaint.date_received:
                complaint.resolve_work_hours = max(0.0, calendar.get_work_hours_count(
                    complaint.date_received, complaint.resolved_date
                ) - complaint.paused_hours)

    @api.depends("sla_status")
    def _compute_sla_compliance(self):
        for complaint in self:
            # a Float cannot be empty: an open complaint within its deadlines counts as
            # compliant so far, rather than as a 0 that would pull every average down
            complaint.sla_compliance = 0.0 if complaint.sla_status == "breached" else 100.0

    @api.depends("category_id", "name", "description", "solution_ids")
    def _compute_suggested_solution_ids(self):
        Solution = self.env["crm.solution"]
        for complaint in self:
            words = _keywords(
                f"{complaint.name or ''} {tools.html2plaintext(complaint.description or '')}"
            )
            text_domain = []
            for word in sorted(words)[:MAX_KEYWORDS]:
                text_domain = (["|"] if text_domain else []) + text_domain + [
                    "|", ("name", "ilike", word), ("problem", "ilike", word)
                ]
            domain = []
            if complaint.category_id:
                domain = [("category_id", "=", complaint.category_id.id)]
            if text_domain:
                domain = (["|"] + domain + text_domain) if domain else text_domain
            if not domain:
                complaint.suggested_solution_ids = False
                continue
            candidates = Solution.search(
                [("is_published", "=", True), ("id", "not in", complaint.solution_ids.ids)]
                + domain, limit=50,
            )

            def score(solution, words=words, category=complaint.category_id):
                text = f"{solution.name} {tools.html2plaintext(solution.problem or '')}".lower()
                hits = sum(1 for word in words if word.lower() in text)
                return (hits + (2 if solution.category_id == category else 0), solution.use_count)

            complaint.suggested_solution_ids = candidates.sorted(score, reverse=True)[
                :MAX_SUGGESTIONS
            ]

    # ------------------------------------------------------------------ constraints

    @api.constrains("compensation_amount")
    def _check_compensation_amount(self):
        for complaint in self:
            if complaint.compensation_amount < 0:
                raise ValidationError(self.env._(
                    "The compensation of complaint %(complaint)s cannot be negative.",
                    complaint=complaint.display_name,
                ))

    @api.constrains("date_received")
    def _check_date_received(self):
        # a complaint received "next year" would get its deadlines next year
        limit = fields.Datetime.now() + timedelta(minutes=RECEIVED_TOLERANCE_MINUTES)
        for complaint in self:
            if complaint.date_received and complaint.date_received > limit:
                raise ValidationError(self.env._(
                    "Complaint %(complaint)s cannot be received in the future (%(date)s).",
                    complaint=complaint.display_name,
                    date=format_datetime(self.env, complaint.date_received),
                ))

    @api.constrains("name")
    def _check_name(self):
        for complaint in self:
            if not (complaint.name or "").strip():
                raise ValidationError(self.env._("A complaint needs a subject."))

    # ------------------------------------------------------------------ CRUD

    @api.model
    def _crm_add_server_values(self, vals_list):
        vals_list = super()._crm_add_server_values(vals_list)
        sequence = self.env["ir.sequence"]
        for vals in vals_list:
            if not vals.get("reference") or vals["reference"] == self.env._("New"):
                company_id = vals.get("company_id") or self.env.company.id
                vals["reference"] = sequence.with_company(company_id).next_by_code(
                    "crm.complaint"
                ) or self.env._("New")
        return vals_list

    @api.model_create_multi
    def create(self, vals_list):
        complaints = super().create(vals_list)
        for complaint in complaints:
            if complaint.partner_id:
                complaint.message_subscribe(partner_ids=complaint.partner_id.ids)
            # the clocks are the system's: set whoever creates the complaint
            if complaint.stage_id.is_paused:
                complaint.sudo().paused_since = complaint.date_received
            if complaint.stage_id.is_closed and not complaint.resolved_date:
                complaint.sudo().resolved_date = fields.Datetime.now()
        return complaints

    def write(self, vals):
        if (
            "date_received" in vals and not self.env.su
            and "date_received" in self._crm_changed_fields(vals, ["date_received"])
            and not self.env.user.has_group(self._crm_manager_group())
        ):
            raise AccessError(self.env._(
                "Only service administrators can change when a complaint was received: "
                "its SLA deadlines count from then."
            ))
        stage = None
        if vals.get("stage_id"):
            stage = self.env["crm.complaint.stage"].browse(vals["stage_id"])
            before = {complaint: complaint.stage_id for complaint in self}
        if vals.get("partner_id"):
            self.message_subscribe(partner_ids=[vals["partner_id"]])
        result = super().write(vals)
        if stage is not None:
            self._on_stage_change(stage, before)
        return result

    def _on_stage_change(self, stage, before):
        now = fields.Datetime.now()
        to_survey = self.browse()
        for complaint in self:
            old = before[complaint]
            values = {}
            if complaint.paused_since and not stage.is_paused:
                calendar = complaint.sla_policy_id.resource_calendar_id
                paused = calendar.get_work_hours_count(complaint.paused_since, now) if (
                    calendar and now > complaint.paused_since
                ) else 0.0
                values.update(paused_since=False, paused_hours=complaint.paused_hours + paused)
            elif stage.is_paused and not complaint.paused_since and not stage.is_closed:
                values["paused_since"] = now
            if stage.is_closed and not complaint.resolved_date:
                values["resolved_date"] = now
            elif not stage.is_closed and old.is_closed:
                values.update(resolved_date=False)
            if values:
                super(CrmComplaint, complaint.sudo()).write(values)
            if stage.send_survey and not complaint.survey_user_input_id:
                to_survey |= complaint
        if to_survey:
            to_survey._send_satisfaction_survey()
        return True

    # ------------------------------------------------------------------ mail

    def _mail_get_partner_fields(self, introspect_fields=False):
        return ["partner_id"]

    def _message_get_suggested_recipients(self):
        recipients = super()._message_get_suggested_recipients()
        if self.partner_id and self.partner_id not in self.message_partner_ids:
            self._message_add_suggested_recipient(
                recipients, partner=self.partner_id, reason=self.env._("Customer")
            )
        return recipients

    @api.model
    def message_new(self, msg_dict, custom_values=None):
        """A new email to the alias: a complaint from its sender, new contact or not."""
        values = dict(custom_values or {})
        values.setdefault("name", (msg_dict.get("subject") or "").strip()
                          or self.env._("Complaint by email"))
        values.setdefault("channel", "email")
        values.setdefault("description", msg_dict.get("body"))
        partner = self.env["res.partner"].browse(msg_dict.get("author_id") or [])
        if not partner and msg_dict.get("email_from"):
            partner = self.env["res.partner"]._find_or_create_from_emails(
                [msg_dict["email_from"]]
            )[0]
            msg_dict["author_id"] = partner.id
        if partner:
            values.setdefault("partner_id", partner.id)
        return super().message_new(msg_dict, custom_values=values)

    def _message_post_after_hook(self, message, msg_values):
        """The first public answer of an employee is the first response."""
        result = super()._message_post_after_hook(message, msg_values)
        if (
            not self.first_response_date
            and not self.env.context.get("crm_service_survey_invitation")
            and message.message_type in ("comment", "email_outgoing")
            and message.subtype_id and not message.subtype_id.internal
            and not message.is_internal
            and message.author_id.user_ids.filtered(lambda user: not user.share)
        ):
            self.sudo().first_response_date = message.date or fields.Datetime.now()
        elif (
            self.stage_id.is_paused
            and message.message_type in ("comment", "email")
            and message.author_id
            and not message.author_id.user_ids.filtered(lambda user: not user.share)
        ):
            # the customer answered: the clock runs again
            resume = self.stage_id.resume_stage_id
            if resume and resume.active:
                self.sudo().stage_id = resume
        return result

    def _portal_messages(self):
        """The conversation the customer sees: public messages, oldest first."""
        self.ensure_one()
        return self.message_ids.filtered(
            lambda message: message.message_type in ("comment", "email")
            and not message.is_internal
            and message.subtype_id and not message.subtype_id.internal
        ).sorted("id")

    # ------------------------------------------------------------------ actions

    def action_apply_solution(self):
        """Open the suggested solutions to apply one."""
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Suggested Solutions"),
            "res_model": "crm.solution",
            "view_mode": "list",
            "views": [(False, "list")],
            "target": "new",
            "domain": [("id", "in", self.suggested_solution_ids.ids)],
            "context": {"crm_complaint_id": self.id},
        }

    def action_send_survey(self):
        self._send_satisfaction_survey()

    # ------------------------------------------------------------------ business

    def _apply_solution(self, solution):
        """Record that ``solution`` solved this complaint and count its use."""
        self.ensure_one()
        if solution in self.solution_ids:
            raise UserError(self.env._(
                "The solution %(solution)s is already applied to this complaint.",
                solution=solution.name,
            ))
        if not self.resolution:
            self.resolution = solution.solution
        # which solutions were applied is recorded here only, never set by hand
        self.sudo().solution_ids = [Command.link(solution.id)]
        # counted for everyone, whoever may or may not edit the knowledge base
        solution.sudo().use_count += 1
        self.message_post(
            body=Markup("%s <a href='#' data-oe-model='crm.solution' data-oe-id='%s'>%s</a>")
            % (self.env._("Solution applied:"), solution.id, solution.name),
        )

    def _send_satisfaction_survey(self):
        # service agents have no rights on surveys: the invitation is the addon's own
        # doing, once the agent's change of the complaint has been allowed
        self.check_access("write")
        survey = self.env.ref("crm_service.crm_service_survey_satisfaction",
                              raise_if_not_found=False)
        if not survey or not survey.sudo().active:
            return
        for complaint in self:
            if complaint.survey_user_input_id or not complaint.partner_id:
                continue
            answer = survey.sudo()._create_answer(
                partner=complaint.partner_id, check_attempts=False,
                crm_complaint_id=complaint.id,
            )
            complaint.sudo().survey_user_input_id = answer
            url = answer.get_base_url() + answer.get_start_url()
            complaint = complaint.with_context(
                lang=complaint.partner_id.lang or self.env.lang,
                crm_service_survey_invitation=True,
            )
            complaint.message_post(
                body=Markup(
                    "<p>%s</p><p><a href='%s' class='btn btn-primary'>%s</a></p>"
                ) % (
                    self.env._(
                        "Your complaint %(reference)s is resolved. How did we do? "
                        "Two questions, one minute.", reference=complaint.reference,
                    ),
                    url,
                    self.env._("Answer the survey"),
                ),
                partner_ids=complaint.partner_id.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )

    def _set_satisfaction(self, csat, nps):
        """Answers of the satisfaction survey: on the complaint and its customer."""
        self.ensure_one()
        values = {}
        if csat:
            values["csat_score"] = csat
        if nps is not None:
            values["nps_score"] = nps
        if not values:
            return
        self.sudo().write(values)
        if nps is not None and self.commercial_partner_id:
            self.commercial_partner_id.sudo().write({
                "crm_last_nps": nps, "crm_nps_date": fields.Datetime.now(),
            })
        if nps is not None and nps <= 6:
            leader = self.team_id.user_id or self.user_id or self.company_id.crm_fallback_user_id
            if not leader:
                self.sudo().message_post(
                    body=self.env._(
                        "%(customer)s gave an NPS of %(nps)s: nobody to call them back (no "
                        "team leader, no assignee, no default CRM responsible in the "
                        "settings).", customer=self.partner_id.display_name, nps=nps,
                    ),
                    message_type="comment", subtype_xmlid="mail.mt_note",
                )
                return
            self.sudo().activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=leader.id,
                summary=self.env._("Detractor: call the customer back"),
                note=self.env._(
                    "%(customer)s gave an NPS of %(nps)s after complaint %(reference)s.",
                    customer=self.partner_id.display_name, nps=nps,
                    reference=self.reference,
                ),
            )

    @api.model
    def _cron_escalate(self, limit=1000):
        """Fire what is due: SLA status changes and escalation steps.

        Only complaints whose ``next_escalation_date`` has passed are read,
        through its index: the cost follows the overdue complaints."""
        now = fields.Datetime.now()
        complaints = self.search(
            [("next_escalation_date", "<=", now)], order="next_escalation_date", limit=limit,
        )
        if not complaints:
            return 0
        self.env.add_to_compute(self._fields["sla_status"], complaints)
        complaints.flush_recordset(["sla_status"])
        Log = self.env["crm.complaint.escalation.log"]
        log_values = []
        for complaint in complaints:
            fired = complaint.escalation_log_ids.escalation_id
            for step in complaint.sla_policy_id.escalation_ids - fired:
                deadline = complaint._escalation_deadline(step)
                if not deadline or step._fire_date(deadline) > now:
                    continue
                try:
                    with self.env.cr.savepoint():
                        complaint._escalate(step)
                except Exception:
                    _logger.exception(
                        "Escalation %s of complaint %s failed", step.name, complaint.reference
                    )
                    continue
                log_values.append({
                    "complaint_id": complaint.id, "escalation_id": step.id,
                    "date": now, "level": complaint.escalation_level,
                })
        if log_values:
            Log.create(log_values)
        self.env.add_to_compute(self._fields["next_escalation_date"], complaints)
        complaints.flush_recordset(["next_escalation_date"])
        if len(complaints) == limit:  # more are due: run again soon
            cron = self.env.ref("crm_service.ir_cron_crm_complaint_escalate",
                                raise_if_not_found=False)
            if cron:
                cron._trigger()
        return len(complaints)

    def _escalation_deadline(self, step):
        """The deadline ``step`` watches on this complaint, if it still applies."""
        self.ensure_one()
        if step.deadline == "response":
            return not self.first_response_date and self.response_deadline
        return self.resolve_deadline

    def _escalate(self, step):
        self.ensure_one()
        values = {}
        if step.raise_priority and int(self.priority) < int(PRIORITIES[-1][0]):
            values["priority"] = str(int(self.priority) + 1)
        if step.reassign_user_id:
            values["user_id"] = step.reassign_user_id.id
        if step.level > self.escalation_level:
            values["escalation_level"] = step.level
        if values:
            # the escalation is the system's doing, whoever runs the job
            self.sudo().with_context(crm_service_escalating=True).write(values)
        users = step.notify_user_ids | step.notify_group_id.sudo().users
        users = users.filtered(lambda user: not user.share)
        self.message_post(
            body=self.env._(
                "Escalation %(step)s: the deadline of the %(watched)s is %(deadline)s "
                "(escalation level %(level)s).",
                step=step.name,
                watched=dict(
                    step._fields["deadline"]._description_selection(self.env)
                )[step.deadline].lower(),
                deadline=format_datetime(self.env, self._escalation_deadline(step)),
                level=self.escalation_level,
            ),
            partner_ids=users.partner_id.ids,
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
