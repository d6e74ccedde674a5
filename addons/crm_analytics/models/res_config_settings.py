from odoo import fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    crm_pyramid_key_share = fields.Float(
        related="company_id.crm_pyramid_key_share", readonly=False,
    )
    crm_pyramid_normal_share = fields.Float(
        related="company_id.crm_pyramid_normal_share", readonly=False,
    )
    crm_clv_horizon_months = fields.Integer(
        related="company_id.crm_clv_horizon_months", readonly=False,
    )
    crm_lifecycle_formation_orders = fields.Integer(
        related="company_id.crm_lifecycle_formation_orders", readonly=False,
    )
    crm_lifecycle_stability_orders = fields.Integer(
        related="company_id.crm_lifecycle_stability_orders", readonly=False,
    )
    crm_lifecycle_stability_days = fields.Integer(
        related="company_id.crm_lifecycle_stability_days", readonly=False,
    )
    crm_lifecycle_decline_days = fields.Integer(
        related="company_id.crm_lifecycle_decline_days", readonly=False,
    )
    crm_lifecycle_churn_days = fields.Integer(
        related="company_id.crm_lifecycle_churn_days", readonly=False,
    )
    crm_lifecycle_decline_alive = fields.Float(
        related="company_id.crm_lifecycle_decline_alive", readonly=False,
    )
    crm_lifecycle_churn_alive = fields.Float(
        related="company_id.crm_lifecycle_churn_alive", readonly=False,
    )
    crm_overdue_factor = fields.Float(
        related="company_id.crm_overdue_factor", readonly=False,
    )
    crm_quadrant_historic_percentile = fields.Integer(
        related="company_id.crm_quadrant_historic_percentile", readonly=False,
    )
    crm_quadrant_predicted_percentile = fields.Integer(
        related="company_id.crm_quadrant_predicted_percentile", readonly=False,
    )
    crm_churn_alive_threshold = fields.Float(
        related="company_id.crm_churn_alive_threshold", readonly=False,
    )
    crm_churn_spend_days = fields.Integer(
        related="company_id.crm_churn_spend_days", readonly=False,
    )
    crm_churn_spend_drop = fields.Float(
        related="company_id.crm_churn_spend_drop", readonly=False,
    )
    crm_churn_high_signals = fields.Integer(
        related="company_id.crm_churn_high_signals", readonly=False,
    )
    crm_churn_warning_limit = fields.Integer(
        related="company_id.crm_churn_warning_limit", readonly=False,
    )
