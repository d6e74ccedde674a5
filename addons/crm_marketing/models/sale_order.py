from odoo import fields, models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    loyalty_tier_id = fields.Many2one(
        "crm.loyalty.tier",
        string="Loyalty Tier",
        related="partner_id.commercial_partner_id.loyalty_tier_id",
    )
    warranty_end_date = fields.Date(
        string="Warranty/Contract End",
        copy=False,
        tracking=True,
        help="End of the warranty or service contract sold with this order; customer care "
        "rules can remind the customer before it.",
    )

