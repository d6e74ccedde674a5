from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_fallback_user_id = fields.Many2one(
        related="company_id.crm_fallback_user_id", readonly=False,
    )
