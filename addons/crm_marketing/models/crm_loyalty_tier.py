from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmLoyaltyTier(models.Model):
    _name = "crm.loyalty.tier"
    _description = "Loyalty Tier"
    _inherit = ["crm.protected.fields.mixin"]
    _order = "program_id, threshold, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    color = fields.Integer()
    program_id = fields.Many2one(
        "loyalty.program",
        string="Loyalty Program",
        required=True,
        index=True,
        ondelete="cascade",
        domain=[("program_type", "=", "loyalty")],
    )
    company_id = fields.Many2one(related="program_id.company_id", store=True, index=True)
    currency_id = fields.Many2one(related="program_id.currency_id")
    tier_basis = fields.Selection(related="program_id.crm_tier_basis")
    threshold = fields.Float(
        required=True,
        help="Points (or spend over the last 12 months, in company currency) from which "
        "a member reaches this tier.",
    )
    benefit = fields.Text(string="Benefits", translate=True)
    discount = fields.Float(string="Discount (%)", help="Discount granted to members of the tier.")
    partner_count = fields.Integer(string="Members", compute="_compute_partner_count")

    _sql_constraints = [
        ("threshold_unique", "unique (program_id, threshold)",
         "Two tiers of a program cannot have the same threshold."),
    ]

    @api.model
    def _crm_server_fields(self):
        # the program's company, stored for the record rule
        return (*super()._crm_server_fields(), "company_id")

    def _compute_partner_count(self):
        groups = self.env["res.partner"]._read_group(
            [("loyalty_tier_id", "in", self.ids)], ["loyalty_tier_id"], ["__count"]
        )
        counts = {tier.id: count for tier, count in groups}
        for tier in self:
            tier.partner_count = counts.get(tier.id, 0)

    @api.constrains("threshold", "discount", "program_id")
    def _check_values(self):
        for tier in self:
            if tier.threshold < 0:
                raise ValidationError(
                    self.env._("The threshold of tier %(tier)s cannot be negative.",
                               tier=tier.name))
            if not 0 <= tier.discount <= 100:
                raise ValidationError(
                    self.env._("The discount of tier %(tier)s must be between 0 and 100%%.",
                               tier=tier.name))
            if tier.program_id.program_type != "loyalty":
                raise ValidationError(
                    self.env._("Tier %(tier)s must belong to a loyalty program.",
                               tier=tier.name))

    @api.readonly
    def action_view_members(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("contacts.action_contacts")
        action.update({
            "name": self.name,
            "domain": [("loyalty_tier_id", "=", self.id)],
            "context": {"create": False},
        })
        return action
