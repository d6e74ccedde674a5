from odoo import fields, models


class HrExpense(models.Model):
    _inherit = "hr.expense"

    campaign_id = fields.Many2one(
        "utm.campaign", index="btree_not_null",
        help="The marketing campaign this was spent on: once approved, it adds to the "
        "campaign's actual cost (报销单据).",
    )
