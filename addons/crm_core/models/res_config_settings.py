from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_fallback_user_id = fields.Many2one(
        related="company_id.crm_fallback_user_id", readonly=False,
    )
    crm_company_tz = fields.Selection(
        related="company_id.partner_id.tz", readonly=False, string="Time Zone of the CRM",
        help="The suite counts days, weeks and months (targets, reports, customer value) "
        "in this time zone, the company's address's; empty: the time zone of the "
        "company's working hours, else UTC.",
    )
    crm_collection_reminder_days = fields.Integer(
        related="company_id.crm_collection_reminder_days", readonly=False,
    )
