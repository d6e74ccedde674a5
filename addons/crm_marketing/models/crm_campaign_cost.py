from odoo import api, fields, models
from odoo.exceptions import ValidationError

COST_CATEGORIES = [
    ("media", "Media and advertising"),
    ("production", "Creative and production"),
    ("venue", "Venue and event"),
    ("gifts", "Gifts and promotion"),
    ("staff", "Staff and agency"),
    ("messaging", "Email and SMS"),
    ("other", "Other"),
]


class CrmCampaignCost(models.Model):
    _name = "crm.campaign.cost"
    _description = "Campaign Cost"
    _inherit = ["crm.protected.fields.mixin"]  # amounts checked against their bounds
    _order = "date desc, id desc"

    campaign_id = fields.Many2one(
        "utm.campaign", required=True, index=True, ondelete="cascade"
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    category = fields.Selection(COST_CATEGORIES, required=True, default="media")
    description = fields.Char()
    # The company that spent the money, not the campaign's: campaigns are shared
    # between companies, each company records its own costs.
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company
    )
    currency_id = fields.Many2one(related="company_id.currency_id")
    amount = fields.Monetary(required=True)

    @api.constrains("amount")
    def _check_amount(self):
        for cost in self:
            if cost.amount < 0:
                raise ValidationError(
                    self.env._(
                        "The cost %(description)s of campaign %(campaign)s cannot be "
                        "negative (%(amount)s).",
                        description=cost.description or cost.category,
                        campaign=cost.campaign_id.title,
                        amount=cost.amount,
                    )
                )
