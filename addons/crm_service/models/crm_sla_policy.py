from odoo import api, fields, models
from odoo.exceptions import ValidationError

from odoo.addons.crm_core.models.res_partner import CUSTOMER_TIERS

PRIORITIES = [
    ("0", "Low"),
    ("1", "Normal"),
    ("2", "High"),
    ("3", "Urgent"),
]
MATCH_FIELDS = ("priority", "customer_tier", "category_id", "team_id")
# about a year of full-time working time: longer targets are typing mistakes, and
# the calendar cannot plan them
MAX_WORKING_HOURS = 2000


class CrmSlaPolicy(models.Model):
    _name = "crm.sla.policy"
    _description = "SLA Policy"
    _inherit = ["crm.protected.fields.mixin"]
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(
        default=10,
        help="Among the policies matching a complaint equally well, the first one wins.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    description = fields.Text(translate=True)
    # matching (empty: any)
    priority = fields.Selection(PRIORITIES, help="Empty: complaints of any priority.")
    customer_tier = fields.Selection(CUSTOMER_TIERS, help="Empty: customers of any tier.")
    category_id = fields.Many2one(
        "crm.complaint.category", help="Empty: any category.", check_company=True,
    )
    team_id = fields.Many2one("crm.team", help="Empty: any team.", check_company=True)
    # targets
    resource_calendar_id = fields.Many2one(
        "resource.calendar", string="Working Hours",
        default=lambda self: self.env.company.resource_calendar_id,
        help="Deadlines count the working time of this calendar: nights, weekends and "
        "its leaves (public holidays) do not count.",
    )
    response_hours = fields.Float(
        required=True, default=4,
        help="Working hours to send the first answer to the customer.",
    )
    resolve_hours = fields.Float(
        required=True, default=24, help="Working hours to resolve the complaint.",
    )
    at_risk_hours = fields.Float(
        string="At Risk Before", default=2,
        help="A complaint is at risk this many working hours before a deadline.",
    )
    escalation_ids = fields.One2many("crm.sla.escalation", "policy_id", string="Escalation Steps")
    complaint_count = fields.Integer(compute="_compute_complaint_count")

    def _compute_complaint_count(self):
        counts = dict(self.env["crm.complaint"]._read_group(
            [("sla_policy_id", "in", self.ids)], ["sla_policy_id"], ["__count"]
        ))
        for policy in self:
            policy.complaint_count = counts.get(policy, 0)

    @api.constrains("response_hours", "resolve_hours", "at_risk_hours", "resource_calendar_id")
    def _check_hours(self):
        for policy in self:
            if not policy.resource_calendar_id:
                raise ValidationError(self.env._(
                    "The SLA policy %(policy)s needs working hours (a calendar) to count "
                    "its deadlines.", policy=policy.name,
                ))
            if policy.response_hours <= 0 or policy.resolve_hours <= 0:
                raise ValidationError(self.env._(
                    "The response and resolution times of the SLA policy %(policy)s must "
                    "be positive.", policy=policy.name,
                ))
            if policy.response_hours > policy.resolve_hours:
                raise ValidationError(self.env._(
                    "The SLA policy %(policy)s asks for a first response in %(response)s "
                    "hours, after the resolution (%(resolve)s hours).",
                    policy=policy.name, response=policy.response_hours,
                    resolve=policy.resolve_hours,
                ))
            if policy.at_risk_hours < 0:
                raise ValidationError(self.env._(
                    "The at-risk margin of the SLA policy %(policy)s cannot be negative.",
                    policy=policy.name,
                ))
            calendar_company = policy.resource_calendar_id.company_id
            if policy.company_id and calendar_company and calendar_company != policy.company_id:
                # a policy shared by every company may count any company's working hours
                raise ValidationError(self.env._(
                    "The SLA policy %(policy)s of %(company)s cannot count the working hours "
                    "of %(other)s.", policy=policy.name, company=policy.company_id.name,
                    other=calendar_company.name,
                ))
            if max(policy.resolve_hours, policy.at_risk_hours) > MAX_WORKING_HOURS:
                raise ValidationError(self.env._(
                    "The SLA policy %(policy)s counts at most %(max)s working hours (about "
                    "a year of working time); %(hours)s hours is too long.",
                    policy=policy.name, max=MAX_WORKING_HOURS,
                    hours=max(policy.resolve_hours, policy.at_risk_hours),
                ))
            if not policy.resource_calendar_id.plan_hours(
                policy.resolve_hours, fields.Datetime.now(), compute_leaves=True
            ):
                raise ValidationError(self.env._(
                    "The working hours %(calendar)s of the SLA policy %(policy)s cannot fit "
                    "%(hours)s working hours: complaints would get no deadline. Shorten "
                    "the resolution time or check the calendar.",
                    calendar=policy.resource_calendar_id.name, policy=policy.name,
                    hours=policy.resolve_hours,
                ))

    @api.model
    def _find_for(self, complaint, policies=None):
        """The policy for a complaint: every criterion set must match; the one with
        the most criteria set wins, then the lowest sequence.

        :param policies: the candidate policies, searched once for a batch of complaints
        """
        company = complaint.company_id or self.env.company
        values = {
            "priority": complaint.priority,
            # the tier in the complaint's company (a customer's tier is per company)
            "customer_tier": complaint.partner_id.commercial_partner_id.with_company(
                company).customer_tier,
            "category_id": complaint.category_id.id,
            "team_id": complaint.team_id.id,
        }
        if policies is None:
            policies = self.search([("company_id", "in", [False, company.id])])
        policies = policies.filtered(
            lambda policy: not policy.company_id or policy.company_id == company
        )
        best, best_score = self.browse(), -1
        for policy in policies:  # ordered by sequence
            score = 0
            for name in MATCH_FIELDS:
                value = policy[name].id if name.endswith("_id") else policy[name]
                if not value:
                    continue
                if value != values[name]:
                    score = -1
                    break
                score += 1
            if score > best_score:
                best, best_score = policy, score
        return best
