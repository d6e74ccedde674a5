import logging

from odoo import api, fields, models
from odoo.tools import format_datetime

from .crm_sla_policy import PRIORITIES

_logger = logging.getLogger(__name__)

SLA_STATUSES = [
    ("on_track", "On Track"),
    ("at_risk", "At Risk"),
    ("breached", "Breached"),
    ("met", "Met"),
]
SLA_BREACHES = [
    ("response", "Response Late"),
    ("resolution", "Resolution Late"),
    ("both", "Response and Resolution Late"),
]


class CrmComplaintSla(models.Model):
    """The SLA clock of a complaint and its escalation.

    The policy gives a response and a resolution deadline in working time from
    ``date_received``; waiting for the customer pauses the resolution clock; the
    escalation job (``_cron_escalate``) fires the policy's steps as the deadlines
    come near or pass.
    """

    # one concern per file: a reader finds the SLA under its name
    _inherit = "crm.complaint"  # pylint: disable=consider-merging-classes-inherited

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
    sla_breach = fields.Selection(
        SLA_BREACHES, string="Missed Deadline", compute="_compute_sla_status", store=True,
        groups="base.group_user",
        help="Which deadline of the SLA was missed: the first response, the resolution, "
        "or both.",
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

    @api.model
    def _crm_server_fields(self):
        return (
            *super()._crm_server_fields(),
            "response_deadline", "resolve_deadline", "at_risk_date", "first_response_date",
            "resolved_date", "paused_since", "paused_hours", "sla_status", "sla_breach",
            "next_escalation_date", "escalation_level", "escalation_log_ids",
            "response_work_hours", "resolve_work_hours", "sla_compliance",
        )

    @api.model
    def _crm_manager_fields(self):
        # a tracked correction of the policy a complaint is measured by
        return (*super()._crm_manager_fields(), "sla_policy_id")

    # ------------------------------------------------------------------ computes

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
            complaint.sla_breach = complaint._sla_breach_at(now)
            complaint.sla_status = complaint._sla_status_at(now)

    def _sla_breach_at(self, now):
        """Which deadline is missed at ``now``: ``response``, ``resolution``, ``both``
        or False."""
        self.ensure_one()
        if not self.sla_policy_id:
            return False
        response_late = bool(self.response_deadline) and (
            (self.first_response_date or self.resolved_date or now) > self.response_deadline
        )
        # while waiting for the customer, the resolution clock stands still
        clock = self.resolved_date or self.paused_since or now
        resolution_late = bool(self.resolve_deadline) and clock > self.resolve_deadline
        if response_late and resolution_late:
            return "both"
        if response_late:
            return "response"
        return "resolution" if resolution_late else False

    def _sla_status_at(self, now):
        self.ensure_one()
        if not self.sla_policy_id:
            return "met" if self.resolved_date else "on_track"
        if self._sla_breach_at(now):
            return "breached"
        if self.resolved_date:
            return "met"
        clock = self.paused_since or now
        if self.at_risk_date and clock >= self.at_risk_date:
            return "at_risk"
        return "on_track"

    @api.depends(
        "sla_status", "sla_breach", "at_risk_date", "response_deadline", "resolve_deadline",
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
        elif self.sla_breach == "response" and self.resolve_deadline:
            # late to answer: the job still records a resolution that comes late too
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

    # ------------------------------------------------------------------ CRUD

    @api.model_create_multi
    def create(self, vals_list):
        complaints = super().create(vals_list)
        # the clocks are the system's: set whoever creates the complaint
        for complaint in complaints:
            if complaint.stage_id.is_paused:
                complaint.sudo().paused_since = complaint.date_received
            if complaint.stage_id.is_closed and not complaint.resolved_date:
                complaint.sudo().resolved_date = fields.Datetime.now()
        return complaints

    def _on_stage_change(self, stage, before):
        """Pause the resolution clock while waiting for the customer, stop it when
        the complaint is solved, start it again when it is reopened."""
        result = super()._on_stage_change(stage, before)
        now = fields.Datetime.now()
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
                complaint.sudo().write(values)
        return result

    # ------------------------------------------------------------------ mail

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

    # ------------------------------------------------------------------ escalation

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
        for fname in ("sla_status", "sla_breach"):
            self.env.add_to_compute(self._fields[fname], complaints)
        complaints.flush_recordset(["sla_status", "sla_breach"])
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
