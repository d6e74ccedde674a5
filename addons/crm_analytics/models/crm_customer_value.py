import numpy as np

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from odoo.addons.crm_core.models.res_partner import CUSTOMER_TIERS, LIFECYCLE_STAGES

from ..tools import clv_fit
from ..tools.value_labels import CHURN_RISKS, RFM_SEGMENTS, VALUE_QUADRANTS

# The scores of a customer, as ARCHITECTURE names them: the same names on res.partner
# read the current company's row.
SCORE_FIELDS = (
    "rfm_recency_days", "rfm_frequency", "rfm_monetary", "rfm_r_score", "rfm_f_score",
    "rfm_m_score", "rfm_segment", "clv_historic", "clv_predicted",
    "expected_purchases_90d", "probability_alive", "value_quadrant", "churn_risk",
    "churn_reasons", "churn_alert_date", "value_date",
)


# the engine's figures carried from one day to the next (see below)
ORDER_STATE_FIELDS = ("orders_amount", "orders_spend", "orders_first_spend",
                      "orders_recent_spend", "orders_previous_spend",
                      "orders_holdout_days", "orders_calibration_last_date")


class CrmCustomerValue(models.Model):
    """The value of a customer for a company: one row per company and commercial
    customer, written by the customer value engine, read on the customer
    (``res.partner``) for the current company, in the Value tab, the reports and the
    printable report.

    What changes every day for every customer without any new order (recency, the
    probability of being still active and the purchases expected in the next 90 days)
    is computed when read, to the date of the company's last analysis (daily), from
    the stored purchase days and the company's fitted model: the daily run writes only
    the rows whose scores changed.

    Tier and lifecycle stage: the engine writes its own (``engine_*``); a manager's
    correction (``manual_*``, set from the customer) wins until cleared; the effective
    value is ``customer_tier`` / ``lifecycle_stage``.
    """

    _name = "crm.customer.value"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Customer Value"
    _order = "clv_historic desc, id desc"
    _rec_name = "partner_id"
    _check_company_auto = True
    # written by the engine (a run's model and date say which and when) and by the
    # managers' corrections (tracked on the customer): no author columns, whose
    # foreign keys would be checked on every row a run writes
    _log_access = False

    partner_id = fields.Many2one("res.partner", string="Customer", required=True,
                                 readonly=True, index=True, ondelete="cascade")
    # (looked up with its customer by the unique index that begins with it)
    company_id = fields.Many2one("res.company", required=True, readonly=True,
                                 ondelete="cascade")
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(related="partner_id.user_id", string="Salesperson")
    country_id = fields.Many2one(related="partner_id.country_id")
    value_date = fields.Date(
        string="Value As Of", readonly=True,
        help="Date of the analysis that last changed the customer's scores.")
    # purchase history, in the company's days (what the figures read are computed from)
    first_purchase_date = fields.Date(readonly=True)
    last_purchase_date = fields.Date(readonly=True)
    repeat_purchase_days = fields.Integer(
        readonly=True, help="Days with a purchase after the first one (x of the BG/NBD).")
    repeat_span_days = fields.Integer(
        readonly=True,
        help="Days from the first to the last purchase day (t_x of the BG/NBD).")
    # RFM
    rfm_recency_days = fields.Integer(
        string="Recency (Days)", compute="_compute_recency", search="_search_recency",
        help="Days from the last confirmed order to the company's last analysis (daily), "
        "in the company's days.")
    rfm_frequency = fields.Integer(
        string="Frequency (Orders)", readonly=True,
        help="Number of confirmed orders up to the date of the analysis.")
    rfm_monetary = fields.Monetary(
        string="Monetary Value", readonly=True,
        help="Untaxed total of the confirmed orders, in company currency.")
    rfm_r_score = fields.Integer(
        string="R Score", readonly=True, aggregator="avg",
        help="Recency quintile among the customers who bought: 5 = most recent.")
    rfm_f_score = fields.Integer(
        string="F Score", readonly=True, aggregator="avg",
        help="Frequency quintile among the customers who bought: 5 = most frequent.")
    rfm_m_score = fields.Integer(
        string="M Score", readonly=True, aggregator="avg",
        help="Monetary quintile among the customers who bought: 5 = highest spend.")
    rfm_segment = fields.Selection(
        RFM_SEGMENTS, string="RFM Segment", readonly=True,
        help="Segment from the R and F scores (see the module's description).")
    # lifetime value
    clv_historic = fields.Monetary(
        string="Historic Value", readonly=True,
        help="Untaxed total of the confirmed orders to date, in company currency.")
    clv_predicted = fields.Monetary(
        string="Predicted Value (CLV)", readonly=True,
        help="Expected spend over the CLV horizon: expected transactions (BG/NBD or "
        "modified BG/NBD) times the expected value of a transaction (Gamma-Gamma), "
        "undiscounted, at the date of the analysis.")
    expected_purchases_90d = fields.Float(
        string="Expected Purchases (90 Days)", digits=(16, 2),
        compute="_compute_predictions", search="_search_expected_purchases_90d",
        help="Expected number of purchase days in the next 90 days, from the last analysis.")
    probability_alive = fields.Float(
        digits=(16, 3), compute="_compute_predictions", search="_search_probability_alive",
        help="Probability that the customer is still active at the last analysis.")
    value_quadrant = fields.Selection(
        VALUE_QUADRANTS, readonly=True,
        help="Customer value matrix: current (historic) value against potential "
        "(predicted) value. Keep and grow: both high; develop: low current, high "
        "potential; maintain: high current, low potential; reduce effort: both low.")
    # tier and lifecycle: the engine's, a manager's correction, the effective one
    engine_customer_tier = fields.Selection(
        CUSTOMER_TIERS, string="Computed Tier", readonly=True)
    manual_customer_tier = fields.Selection(
        CUSTOMER_TIERS, string="Tier Set by a Manager",
        help="A manager's correction: wins over the computed tier until cleared.")
    customer_tier = fields.Selection(
        CUSTOMER_TIERS, compute="_compute_effective", store=True)
    engine_lifecycle_stage = fields.Selection(
        LIFECYCLE_STAGES, string="Computed Lifecycle Stage", readonly=True)
    manual_lifecycle_stage = fields.Selection(
        LIFECYCLE_STAGES, string="Lifecycle Stage Set by a Manager",
        help="A manager's correction: wins over the computed stage until cleared.")
    lifecycle_stage = fields.Selection(
        LIFECYCLE_STAGES, compute="_compute_effective", store=True)
    # churn warning
    churn_risk = fields.Selection(
        CHURN_RISKS, readonly=True,
        help="From the churn signals: low probability alive, overdue purchase, falling "
        "spend, unresolved complaints, detractor NPS (see the module's description).")
    churn_signals = fields.Json(
        string="Churn Signal Figures", readonly=True,
        help="The churn signals of the last computation and their figures, rendered "
        "in the reader's language when read.")
    churn_reasons = fields.Text(
        string="Churn Signals", compute="_compute_churn_reasons",
        help="The churn signals found at the last computation.")
    # (indexed for the rows under warning: the engine counts those of the day)
    churn_alert_date = fields.Date(
        string="Churn Warning Since", readonly=True, index="btree_not_null",
        help="Date of the retention activity of the current high-risk episode; cleared "
        "when the risk is back to low.")

    # What the engine carries from one day to the next (exact figures of the orders up
    # to the analysis date, beside the first and last purchase days, the repeat
    # purchase days and the frequency above): the next day's run adds the orders of
    # the new day and moves its windows by a day, instead of reading every order again.
    # Nobody but the engine needs them.
    orders_amount = fields.Monetary(
        string="Orders Net Amount", readonly=True, groups="base.group_system",
        help="Untaxed total of the confirmed orders, refunds included, unrounded.")
    orders_spend = fields.Monetary(
        string="Spend on Purchase Days", readonly=True, groups="base.group_system")
    orders_first_spend = fields.Monetary(
        string="Spend on the First Purchase Day", readonly=True, groups="base.group_system")
    orders_recent_spend = fields.Monetary(
        string="Spend of the Last Churn Period", readonly=True, groups="base.group_system")
    orders_previous_spend = fields.Monetary(
        string="Spend of the Churn Period Before", readonly=True, groups="base.group_system")
    orders_holdout_days = fields.Integer(
        string="Purchase Days of the Holdout Period", readonly=True,
        groups="base.group_system")
    orders_calibration_last_date = fields.Date(
        string="Last Purchase Day before the Holdout Period", readonly=True,
        groups="base.group_system")
    scores_key = fields.Integer(
        readonly=True, groups="base.group_system",
        help="The scores, labels and churn signals of the last computation packed in one "
        "number, which the next computation compares its own with.")

    _sql_constraints = [
        ("company_partner_unique", "UNIQUE(company_id, partner_id)",
         "A customer has one value per company."),
    ]

    def init(self):
        # pages left 15% free: the rows a day's computation changes (about a sixth)
        # are updated within their page, without new entries in the indexes
        self.env.cr.execute(SQL("ALTER TABLE %s SET (fillfactor = 85)",
                                SQL.identifier(self._table)))

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "partner_id", "company_id",
                "value_date", "first_purchase_date", "last_purchase_date",
                "repeat_purchase_days", "repeat_span_days", "rfm_frequency",
                "rfm_monetary", "rfm_r_score", "rfm_f_score", "rfm_m_score",
                "rfm_segment", "clv_historic", "clv_predicted", "value_quadrant",
                "engine_customer_tier", "customer_tier", "engine_lifecycle_stage",
                "lifecycle_stage", "churn_risk", "churn_signals", "churn_alert_date",
                "scores_key", *ORDER_STATE_FIELDS)

    @api.model
    def _crm_manager_fields(self):
        return (*super()._crm_manager_fields(), "manual_customer_tier",
                "manual_lifecycle_stage")

    @api.model
    def _crm_manager_group(self):
        return "sales_team.group_sale_manager"

    @api.depends("engine_customer_tier", "manual_customer_tier",
                 "engine_lifecycle_stage", "manual_lifecycle_stage")
    def _compute_effective(self):
        for value in self:
            value.customer_tier = value.manual_customer_tier or value.engine_customer_tier
            value.lifecycle_stage = (value.manual_lifecycle_stage
                                     or value.engine_lifecycle_stage)

    def _analysis_dates(self):
        """The date of the company's last analysis (its last computation, daily by the
        scheduled job), by company: what recency and the predictions are counted to."""
        Model = self.env["crm.clv.model"].sudo()
        return {company: Model._analysis_date(company) for company in self.company_id}

    @api.depends("last_purchase_date")
    @api.depends_context("company")
    def _compute_recency(self):
        dates = self._analysis_dates()
        for value in self:
            value.rfm_recency_days = (
                (dates[value.company_id] - value.last_purchase_date).days
                if value.last_purchase_date else 0)

    def _search_recency(self, operator, days):
        """Recency in days as a condition on the last purchase day, counted to each
        company's last analysis (the companies a user works in may be in different
        time zones, with analyses of different days)."""
        if operator not in ("=", "!=", "<", "<=", ">", ">=") or isinstance(days, bool) \
                or not isinstance(days, int):
            return [("id", "=", False)] if operator != "!=" else []
        # recency > n  <=>  last purchase < today - n; flipped comparisons
        flipped = {"<": ">", "<=": ">=", ">": "<", ">=": "<=", "=": "=", "!=": "!="}
        domains = []
        Model = self.env["crm.clv.model"].sudo()
        for company in self.env.companies:
            day = fields.Date.subtract(Model._analysis_date(company), days=days)
            domains.append(["&", ("company_id", "=", company.id),
                            ("last_purchase_date", flipped[operator], day)])
        if not domains:
            return [("id", "=", False)]
        return ["|"] * (len(domains) - 1) + [term for domain in domains for term in domain]

    @api.depends("first_purchase_date", "last_purchase_date", "repeat_purchase_days",
                 "repeat_span_days", "value_date")
    @api.depends_context("company")
    def _compute_predictions(self):
        """Probability alive and purchases expected in 90 days, from the company's last
        analysis: closed forms over the stored (x, t_x), the age at that date and the
        company's last fitted model."""
        self.expected_purchases_90d = 0.0
        self.probability_alive = 0.0
        Model = self.env["crm.clv.model"].sudo()
        scored = self.filtered("first_purchase_date")
        # one model and one analysis date per company, arrays of its customers
        for company in scored.company_id:
            fitted = Model._latest_fitted(company)
            if not fitted:
                continue
            values = scored.filtered(lambda value, company=company: value.company_id == company)
            as_of = Model._analysis_date(company)
            x = values.mapped("repeat_purchase_days")
            t_x = values.mapped("repeat_span_days")
            age = [max((as_of - value.first_purchase_date).days, 0) for value in values]
            params = fitted._params()
            alive = clv_fit.probability_alive(params, x, t_x, age)
            expected = clv_fit.expected_purchases(params, 90, x, t_x, age)
            for value, p_alive, purchases in zip(values, alive, expected, strict=True):
                value.probability_alive = float(p_alive)
                value.expected_purchases_90d = float(np.round(purchases, 6))

    def _search_probability_alive(self, operator, value):
        return self._search_prediction("probability_alive", operator, value)

    def _search_expected_purchases_90d(self, operator, value):
        return self._search_prediction("expected_purchases_90d", operator, value)

    def _search_prediction(self, fname, operator, value):
        """A condition on a prediction computed when read: computed for every scored
        row of the user's companies at once (NumPy over the stored purchase figures),
        then the matching ids."""
        comparisons = {"<": np.less, "<=": np.less_equal, ">": np.greater,
                       ">=": np.greater_equal, "=": np.equal, "!=": np.not_equal}
        Model = self.env["crm.clv.model"].sudo()
        if value is False and operator in ("=", "!="):
            # no prediction: the company has no fitted model
            unfitted = [company.id for company in self.env.companies
                        if not Model._latest_fitted(company)]
            return [("company_id", "in" if operator == "=" else "not in", unfitted)]
        if operator not in comparisons or isinstance(value, bool) \
                or not isinstance(value, int | float):
            raise UserError(self.env._(
                "%(field)s can only be compared with a number.",
                field=self._fields[fname].get_description(self.env)["string"]))
        ids = []
        for company in self.env.companies:
            fitted = Model._latest_fitted(company)
            self.env.cr.execute(SQL(
                """SELECT id, repeat_purchase_days, repeat_span_days,
                          %s - first_purchase_date
                     FROM crm_customer_value
                    WHERE company_id = %s AND first_purchase_date IS NOT NULL""",
                Model._analysis_date(company), company.id))
            rows = self.env.cr.fetchall()
            if not rows:
                continue
            row_ids, x, t_x, age = np.array(rows, dtype=float).T
            if not fitted:
                figures = np.zeros_like(x)
            elif fname == "probability_alive":
                figures = clv_fit.probability_alive(fitted._params(), x, t_x, age)
            else:
                figures = clv_fit.expected_purchases(fitted._params(), 90, x, t_x, age)
            ids += row_ids[comparisons[operator](figures, value)].astype(int).tolist()
        return [("id", "in", ids)]

    @api.depends("churn_signals", "last_purchase_date", "value_date")
    @api.depends_context("lang", "company")
    def _compute_churn_reasons(self):
        for value in self:
            value.churn_reasons = "\n".join(value._churn_reason_lines()) or False

    def _churn_reason_lines(self):
        """The churn signals, a line each, in the reader's language, amounts in the
        company's currency."""
        self.ensure_one()
        signals = self.churn_signals or {}
        env = self.env
        lines = []
        if "alive" in signals:
            percent = f"{self.probability_alive * 100:.0f}%"
            lines.append(env._("Probability of being still active: %(probability)s",
                               probability=percent))
        if "overdue" in signals:
            gap = f"{signals['overdue']:.0f}"
            lines.append(env._("Overdue: %(days)s days since the last order, usual gap "
                               "%(gap)s days", days=self.rfm_recency_days, gap=gap))
        if "silent" in signals:
            lines.append(env._("One purchase day only, %(days)s days ago",
                               days=self.rfm_recency_days))
        if "spend" in signals:
            recent, previous = signals["spend"]
            currency = self.company_id.currency_id
            lines.append(env._(
                "Falling spend: %(recent)s over the last period against %(previous)s over "
                "the period before",
                recent=formatLang(env, recent, currency_obj=currency),
                previous=formatLang(env, previous, currency_obj=currency)))
        if "complaints" in signals:
            lines.append(env._("Unresolved complaints: %(count)s",
                               count=signals["complaints"]))
        if signals.get("detractor"):
            lines.append(env._("Detractor: the last NPS answer was 6 or less"))
        if "receivables" in signals:
            lines.append(env._(
                "Overdue receivables: %(amount)s of instalments past their date",
                amount=formatLang(env, signals["receivables"],
                                  currency_obj=self.company_id.currency_id)))
        return lines

    def action_open_partner(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "res.partner",
            "res_id": self.partner_id.id,
            "view_mode": "form",
            "views": [(False, "form")],
        }

    @api.model
    def _set_manual(self, partners, company, fname, value):
        """A manager's correction of ``fname`` (``customer_tier`` or
        ``lifecycle_stage``) for ``partners`` in ``company``; ``False`` clears it (the
        computed value applies again). Rows are created as needed."""
        manual = f"manual_{fname}"
        rows = self.sudo().search([("company_id", "=", company.id),
                                   ("partner_id", "in", partners.ids)])
        missing = partners - rows.partner_id
        if missing and value:
            rows |= self.sudo().create([
                {"company_id": company.id, "partner_id": partner.id}
                for partner in missing])
        rows.write({manual: value or False})
