from datetime import timedelta

from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import format_datetime

from .crm_sla_policy import PRIORITIES

CHANNELS = [
    ("phone", "Phone"),
    ("email", "Email"),
    ("portal", "Portal"),
    ("store", "Store"),
    ("social", "Social Media"),
    ("other", "Other"),
]
RESOLUTION_TYPES = [
    ("return", "Return"),
    ("exchange", "Exchange"),
    ("repair", "Repair"),
    ("compensation", "Compensation"),
    ("apology", "Apology"),
    ("other", "Other"),
]
# clocks of agents' machines run a little ahead
RECEIVED_TOLERANCE_MINUTES = 10
# how far back anyone records when a new complaint came in (taken down after a weekend);
# earlier is for service administrators
RECEIVED_BACKDATE_HOURS = 72


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
    # resolution
    resolution_type = fields.Selection(RESOLUTION_TYPES, tracking=True)
    root_cause = fields.Text(groups="base.group_user")
    resolution = fields.Html()
    compensation_amount = fields.Monetary(
        currency_field="currency_id", tracking=True, groups="base.group_user",
    )
    portal_submission = fields.Char(
        copy=False, groups="base.group_system",
        help="Key of the portal form that created the complaint: the same form sent "
        "twice (a double click) creates one complaint.",
    )

    _sql_constraints = [
        ("portal_submission_uniq", "UNIQUE (portal_submission)",
         "This form was already sent."),
    ]

    @api.model
    def _crm_server_fields(self):
        return (
            *super()._crm_server_fields(), "reference", "commercial_partner_id",
            "portal_submission",
        )

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
        if not self.env.su and not self.env.user.has_group(self._crm_manager_group()):
            earliest = fields.Datetime.now() - timedelta(hours=RECEIVED_BACKDATE_HOURS)
            for vals in vals_list:
                try:
                    received = fields.Datetime.to_datetime(vals.get("date_received"))
                except ValueError:
                    continue  # the field's own conversion refuses it
                if received and received < earliest:
                    raise AccessError(self.env._(
                        "Only service administrators record a complaint received more "
                        "than %(hours)s hours ago (%(date)s): its SLA deadlines would "
                        "have passed on arrival. Ask one, or record it as received now.",
                        hours=RECEIVED_BACKDATE_HOURS,
                        date=format_datetime(self.env, received),
                    ))
        complaints = super().create(vals_list)
        for complaint in complaints:
            if complaint.partner_id:
                complaint.message_subscribe(partner_ids=complaint.partner_id.ids)
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
        """Hook: the complaints of ``self`` moved to ``stage``; ``before`` maps each
        complaint to its previous stage. The SLA clock (crm_complaint_sla.py) and
        the satisfaction survey (crm_complaint_satisfaction.py) extend it."""
        return None

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
