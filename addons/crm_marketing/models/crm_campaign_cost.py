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
    _order = "date desc, id desc"

    campaign_id = fields.Many2one(
        "utm.campaign", required=True, index=True, ondelete="cascade"
    )
    date = fields.Date(required=True, default=fields.Date.context_today)
    category = fields.Selection(COST_CATEGORIES, required=True, default="media")
    description = fields.Char()
    company_id = fields.Many2one(
        related="campaign_id.company_id", store=True, index=True, readonly=True
    )
    currency_id = fields.Many2one(related="campaign_id.currency_id")
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
