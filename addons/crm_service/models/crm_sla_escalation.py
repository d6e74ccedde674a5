from odoo import api, fields, models
from odoo.exceptions import ValidationError

from .crm_sla_policy import MAX_WORKING_HOURS

MAX_LEVEL = 10

TRIGGERS = [
    ("before_breach", "Before breach"),
    ("at_breach", "At breach"),
    ("after_breach", "After breach"),
]


class CrmSlaEscalation(models.Model):
    _name = "crm.sla.escalation"
    _description = "SLA Escalation Step"
    _inherit = ["crm.protected.fields.mixin"]
    _order = "policy_id, sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    policy_id = fields.Many2one("crm.sla.policy", required=True, ondelete="cascade", index=True)
    deadline = fields.Selection(
        [("response", "First response"), ("resolve", "Resolution")],
        required=True,
        default="resolve",
        help="The deadline the step watches: the first answer to the customer, or the "
        "resolution. A step on the first response no longer fires once the customer has "
        "been answered.",
    )
    trigger = fields.Selection(TRIGGERS, required=True, default="at_breach")
    hours = fields.Float(
        string="Working Hours",
        help="Working hours before the deadline (before breach) or after it (after breach).",
    )
    notify_user_ids = fields.Many2many("res.users", string="Notify Users", check_company=True)
    notify_group_id = fields.Many2one("res.groups")
    raise_priority = fields.Boolean(help="Raise the priority of the complaint by one level.")
    reassign_user_id = fields.Many2one("res.users", string="Reassign To", check_company=True)
    level = fields.Integer(
        string="Escalation Level", default=1,
        help="The escalation level of the complaint is raised to this level.",
    )
    company_id = fields.Many2one(related="policy_id.company_id", store=True)

    @api.model
    def _crm_server_fields(self):
        # the policy's company, stored for the record rule
        return (*super()._crm_server_fields(), "company_id")

    @api.constrains("trigger", "hours", "level")
    def _check_hours(self):
        for step in self:
            if step.hours < 0:
                raise ValidationError(self.env._(
                    "The working hours of the escalation step %(step)s cannot be negative.",
                    step=step.name,
                ))
            if step.trigger != "at_breach" and not step.hours:
                raise ValidationError(self.env._(
                    "The escalation step %(step)s fires before or after the breach: give it "
                    "a number of working hours.",
                    step=step.name,
                ))
            if step.hours > MAX_WORKING_HOURS:
                raise ValidationError(self.env._(
                    "The escalation step %(step)s counts at most %(max)s working hours.",
                    step=step.name, max=MAX_WORKING_HOURS,
                ))
            if step.level < 0 or step.level > MAX_LEVEL:
                raise ValidationError(self.env._(
                    "The escalation level of %(step)s goes from 0 to %(max)s.",
                    step=step.name, max=MAX_LEVEL,
                ))

    def _fire_date(self, deadline):
        """When this step fires for the deadline it watches (naive UTC datetime)."""
        self.ensure_one()
        calendar = self.policy_id.resource_calendar_id
        if self.trigger == "at_breach" or not self.hours:
            return deadline
        hours = -self.hours if self.trigger == "before_breach" else self.hours
        return calendar.plan_hours(hours, deadline, compute_leaves=True) or deadline
