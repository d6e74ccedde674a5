from odoo import api, fields, models


class CrmClvModel(models.Model):
    _name = "crm.clv.model"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Customer Lifetime Value Model"
    _order = "create_date desc, id desc"
    _rec_name = "as_of"

    company_id = fields.Many2one(
        "res.company", required=True, readonly=True, index=True,
        default=lambda self: self.env.company,
    )
    as_of = fields.Date(readonly=True, required=True,
                        help="Orders up to this date were used.")
    state = fields.Selection(
        [("fitted", "Fitted"), ("not_enough_data", "Not enough data")],
        required=True, readonly=True, default="not_enough_data",
    )
    reason = fields.Text(readonly=True, translate=True,
                         help="Why the models could not be fitted, or what was left out.")
    time_unit = fields.Selection([("day", "Days")], required=True, readonly=True,
                                 default="day")
    horizon_months = fields.Integer(
        string="Horizon (Months)", readonly=True, default=12,
        help="Period over which the predicted value was computed.",
    )
    customer_count = fields.Integer(string="Customers", readonly=True)
    repeat_customer_count = fields.Integer(string="Repeat Customers", readonly=True)
    bgnbd_r = fields.Float(string="r (BG/NBD)", readonly=True, digits=(16, 4))
    bgnbd_alpha = fields.Float(string="Alpha (BG/NBD)", readonly=True, digits=(16, 4))
    bgnbd_a = fields.Float(string="a (BG/NBD)", readonly=True, digits=(16, 4))
    bgnbd_b = fields.Float(string="b (BG/NBD)", readonly=True, digits=(16, 4))
    log_likelihood = fields.Float(string="Log-Likelihood (BG/NBD)", readonly=True,
                                  digits=(16, 2))
    gg_p = fields.Float(string="p (Gamma-Gamma)", readonly=True, digits=(16, 4))
    gg_q = fields.Float(string="q (Gamma-Gamma)", readonly=True, digits=(16, 4))
    gg_gamma = fields.Float(string="Gamma (Gamma-Gamma)", readonly=True, digits=(16, 4))
    gg_log_likelihood = fields.Float(string="Log-Likelihood (Gamma-Gamma)", readonly=True,
                                     digits=(16, 2))
    churn_warning_count = fields.Integer(
        string="Retention Activities", readonly=True,
        help="Retention activities this computation created, one per customer whose "
             "churn risk rose to high (customers already churned excepted).")
    churn_unwarned_count = fields.Integer(
        string="Nobody to Warn", readonly=True,
        help="Customers whose churn risk rose to high with neither a salesperson nor a "
             "default CRM responsible: nobody was warned. They are warned at the next "
             "computation after one is set.")

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "company_id", "as_of", "state", "reason",
                "time_unit", "horizon_months", "customer_count", "repeat_customer_count",
                "bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "log_likelihood",
                "gg_p", "gg_q", "gg_gamma", "gg_log_likelihood", "churn_warning_count",
                "churn_unwarned_count")

    def action_run_engine(self):
        """Recompute the customer value of the current company now."""
        self.env["crm.analytics.engine"].run()
        return {"type": "ir.actions.client", "tag": "soft_reload"}
