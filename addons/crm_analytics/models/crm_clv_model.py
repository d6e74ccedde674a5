from odoo import api, fields, models

from ..tools import clv_fit


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
        [("fitted", "Fitted"), ("not_enough_data", "Not enough data"),
         ("failed", "Failed")],
        required=True, readonly=True, default="not_enough_data",
        help="Failed: the computation stopped on an error (see the reason); the "
        "scheduled job tries again.",
    )
    model_kind = fields.Selection(
        [("bgnbd", "BG/NBD"), ("mbgnbd", "Modified BG/NBD")], string="Purchase Model",
        readonly=True,
        help="The model of purchases chosen for this company by fit: the BG/NBD, where "
        "a customer may drop out after a repeat purchase only, or the modified BG/NBD, "
        "where a customer may also drop out right after the first purchase.",
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    reason = fields.Text(readonly=True, translate=True,
                         help="Why the models could not be fitted, or what was left out.")
    time_unit = fields.Selection([("day", "Days")], required=True, readonly=True,
                                 default="day")
    horizon_months = fields.Integer(
        string="Horizon (Months)", readonly=True, default=12,
        help="Period over which the predicted value was computed.",
    )
    fitted_as_of = fields.Date(
        string="Estimated On", readonly=True,
        help="The models' estimates come from the orders up to this date: they are "
        "fitted again once a week, or sooner when the number of customers changed by "
        "more than 5%; the runs in between apply them to each day's figures.")
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
             "churn risk rose to high (customers already churned excepted), at most the "
             "day's share of each salesperson.")
    changed_count = fields.Integer(
        string="Customers Changed", readonly=True,
        help="Customers whose scores this computation changed.")
    churn_unwarned_count = fields.Integer(
        string="Nobody to Warn", readonly=True,
        help="Customers whose churn risk rose to high with neither a salesperson nor a "
             "default CRM responsible: nobody was warned. They are warned at the next "
             "computation after one is set.")
    churn_deferred_count = fields.Integer(
        string="Warnings for Later Days", readonly=True,
        help="Customers whose churn risk is high and whose salesperson already got the "
             "day's retention activities: they are warned on the next days, the most "
             "valuable first.")

    orders_basis = fields.Char(
        readonly=True, groups="base.group_system",
        help="What the computation counted the orders with (time zone, currency, churn "
        "spend period, holdout days): the next day's computation goes on from this "
        "one's figures only if they are the same.")
    unseen_since = fields.Datetime(
        string="Orders Unseen Since", readonly=True, groups="base.group_system",
        help="Orders written since this moment may be missing from the computation's "
        "figures (the start of the oldest transaction under way when it began, or an "
        "hour before it, whichever is earlier): the next day's computation counts "
        "their customers again in full.")

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "company_id", "as_of", "state", "reason",
                "orders_basis", "fitted_as_of",
                "time_unit", "horizon_months", "customer_count", "repeat_customer_count",
                "model_kind", "changed_count", "bgnbd_r", "bgnbd_alpha", "bgnbd_a",
                "bgnbd_b", "log_likelihood",
                "gg_p", "gg_q", "gg_gamma", "gg_log_likelihood", "churn_warning_count",
                "churn_unwarned_count", "churn_deferred_count")

    def _params(self):
        """The fitted purchase model's parameters, for ``tools.clv_fit``."""
        self.ensure_one()
        params = clv_fit.PURCHASE_MODELS[self.model_kind or "bgnbd"]
        return params(self.bgnbd_r, self.bgnbd_alpha, self.bgnbd_a, self.bgnbd_b)

    @api.model
    def _analysis_date(self, company):
        """The date the company's last computation was made for (today's, with the
        daily job), or the company's today before any."""
        last = self.search([("company_id", "=", company.id), ("state", "!=", "failed")],
                           order="id desc", limit=1)
        return last.as_of or company._crm_today()

    @api.model
    def _latest_fitted(self, company):
        """The last fitted model of ``company`` (empty if none)."""
        return self.search([("company_id", "=", company.id), ("state", "=", "fitted")],
                           order="id desc", limit=1)

    def action_run_engine(self):
        """Recompute the customer value of the current company now, and say how it
        went."""
        model = self.env["crm.analytics.engine"].run()
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "success" if model.state != "failed" else "danger",
                "title": self.env._("Customer value recomputed"),
                "message": self.env._(
                    "%(customers)s customers, %(changed)s changed, %(warnings)s retention "
                    "activities.", customers=model.customer_count,
                    changed=model.changed_count, warnings=model.churn_warning_count),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    def action_view_unwarned(self):
        """The customers at high churn risk that nobody could be warned about."""
        self.ensure_one()
        action = self.env["ir.actions.actions"]._for_xml_id(
            "crm_analytics.crm_customer_value_action")
        action["domain"] = [("company_id", "=", self.company_id.id),
                            ("churn_risk", "=", "high"), ("churn_alert_date", "=", False),
                            ("lifecycle_stage", "!=", "churned")]
        action["context"] = {}
        return action
