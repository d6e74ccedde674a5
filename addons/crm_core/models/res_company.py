from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_fallback_user_id = fields.Many2one(
        "res.users",
        string="Default CRM Responsible",
        domain="[('share', '=', False), ('company_ids', 'in', id)]",
        help="Gets the follow-up activities the suite creates (customer care, detractor "
        "call-backs, ...) when a customer has no salesperson and no team leader applies.",
    )
