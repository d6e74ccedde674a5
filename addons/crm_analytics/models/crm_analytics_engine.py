import logging

import numpy as np

from odoo import api, fields, models
from odoo.exceptions import AccessError
from odoo.tools import SQL

from . import clv_fit
from .res_partner import RFM_SEGMENT_GRID

_logger = logging.getLogger(__name__)

# Fewer customers with a repeat purchase than this say too little to fit the models.
MIN_REPEAT_CUSTOMERS = 20
DAYS_PER_MONTH = 365.25 / 12
# estimates beyond this are a degenerate fit (the likelihood keeps growing to infinity)
MAX_PARAMETER = 1e8
# The temporary tables of one run (per database session, dropped at commit): the
# customers' order figures, then everything the run writes.
CUSTOMER_TABLE = "crm_analytics_customer"
WORK_TABLE = "crm_analytics_value"
# Memory for the sorts and hashes of a run (instead of temporary files)
RUN_WORK_MEM = "128MB"


def _sane(params):
    """Estimates that are numbers a model can use (not running away to infinity)."""
    return all(np.isfinite(value) and 0 < value < MAX_PARAMETER for value in params)


def _array_literal(values):
    """A PostgreSQL array literal of numbers, ``{1,2.5,...}``: one string parameter
    that the database parses at once, where a list would become an ARRAY[...]
    expression of as many parameters."""
    return "{" + ",".join(map(repr, np.asarray(values).tolist())) + "}"


class CrmAnalyticsEngine(models.AbstractModel):
    _name = "crm.analytics.engine"
    _description = "Customer Value Engine"

    @api.model
    def run(self, as_of=None):
        """Recompute the customer value of the current company from its confirmed
        orders dated up to ``as_of`` (a date, default today): RFM scores and segment,
        historic value, the customer pyramid, the BG/NBD and Gamma-Gamma models and the
        predictions they give, and one history row per customer.

        Set-based: a fixed number of statements whatever the number of customers.

        :return: the ``crm.clv.model`` record of this run
        """
        if not (self.env.is_superuser()
                or self.env.user.has_group("sales_team.group_sale_manager")):
            raise AccessError(self.env._(
                "Only sales administrators can recompute the customer value."))
        as_of = fields.Date.to_date(as_of) or fields.Date.context_today(self)
        return self.sudo()._run(self.env.company, as_of)

    @api.model
    def _cron_run(self):
        """Daily recomputation, for every company."""
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            self.with_company(company).sudo()._run(company, fields.Date.context_today(self))

    # ------------------------------------------------------------------ steps

    def _run(self, company, as_of):
        self.env.flush_all()
        cr = self.env.cr
        # the run sorts and hashes every order once: in memory rather than on disk;
        # its statements are large but run once, compiling them (JIT) is a loss; for
        # this transaction only
        cr.execute(SQL("SELECT current_setting('work_mem')"))
        work_mem = cr.fetchone()[0]
        cr.execute(SQL("SELECT current_setting('jit')"))
        jit = cr.fetchone()[0]
        cr.execute(SQL("SELECT set_config('work_mem', %s, TRUE), set_config('jit', 'off', TRUE)",
                       RUN_WORK_MEM))
        self._insert_customers(company, as_of)
        model, predictions = self._fit_and_predict(company, as_of)
        self._compute_values(company, predictions)
        self._write_partners(company, as_of)
        self._insert_history(company, as_of, model)
        self._alert_churn(company, as_of, model)
        # back to what the transaction had (after an error, the rollback restores them)
        cr.execute(SQL("SELECT set_config('work_mem', %s, TRUE), set_config('jit', %s, TRUE)",
                       work_mem, jit))
        return model

    def _orders_query(self, company, as_of):
        """Confirmed orders of ``company`` dated up to ``as_of``: commercial partner, day
        and untaxed amount in company currency (a negative order, a refund, counts
        negatively), as an exact numeric: a fully refunded period sums to zero."""
        states = tuple(
            state for state in ("sale", "done")
            if state in dict(self.env["sale.order"]._fields["state"].selection)
        )
        return SQL(
            """SELECT partner.commercial_partner_id AS partner_id,
                      so.date_order::date AS day,
                      %(amount)s AS amount
                 FROM sale_order so
                 JOIN res_partner partner ON partner.id = so.partner_id
                WHERE so.state IN %(states)s
                  AND so.company_id = %(company)s
                  AND so.date_order < %(end)s""",
            amount=self.env["sale.order"]._crm_amount_company_sql("so"),
            states=states,
            company=company.id,
            end=fields.Date.add(as_of, days=1),
        )

    def _insert_customers(self, company, as_of):
        """One row per customer in a temporary table: RFM figures, (x, t_x, T, m_x) in
        days, the spend of the last churn-warning period and of the period before. One
        pass over the orders: grouped by customer and day, then by customer."""
        cr = self.env.cr
        cr.execute(SQL(
            """DROP TABLE IF EXISTS %(table)s;
            CREATE TEMPORARY TABLE %(table)s ON COMMIT DROP AS
            WITH days AS (
                SELECT partner_id, day,
                       SUM(amount) AS amount,
                       COUNT(*) FILTER (WHERE amount >= 0) AS purchases,
                       SUM(amount) FILTER (WHERE amount >= 0) AS spend
                  FROM (%(orders)s) AS orders
              GROUP BY partner_id, day
            ),
            purchase_days AS (
                SELECT *, day = MIN(day) FILTER (WHERE purchases > 0)
                                OVER (PARTITION BY partner_id) AS first
                  FROM days
            )
            SELECT partner_id,
                   %(as_of)s::date - MAX(day) FILTER (WHERE purchases > 0)
                       AS recency_days,
                   SUM(purchases)::integer AS frequency,
                   SUM(amount)::double precision AS monetary,
                   (COUNT(*) FILTER (WHERE purchases > 0) - 1)::integer AS x,
                   (MAX(day) FILTER (WHERE purchases > 0)
                    - MIN(day) FILTER (WHERE purchases > 0)) AS t_x,
                   %(as_of)s::date - MIN(day) FILTER (WHERE purchases > 0) AS age,
                   COALESCE(AVG(spend) FILTER (WHERE purchases > 0 AND NOT first), 0)
                       ::double precision AS m_x,
                   COALESCE(SUM(amount) FILTER (
                       WHERE day > %(as_of)s::date - %(period)s), 0)::double precision
                       AS recent_spend,
                   COALESCE(SUM(amount) FILTER (
                       WHERE day <= %(as_of)s::date - %(period)s
                         AND day > %(as_of)s::date - 2 * %(period)s), 0)
                       ::double precision AS previous_spend
              FROM purchase_days
          GROUP BY partner_id
            HAVING COUNT(*) FILTER (WHERE purchases > 0) > 0""",
            table=SQL.identifier(CUSTOMER_TABLE),
            orders=self._orders_query(company, as_of),
            as_of=as_of,
            period=company.crm_churn_spend_days,
        ))

    def _create_clv_model(self, values):
        """Store a fit; its reason is written in every active language, so that each
        user reads why in their own, whoever ran the engine."""
        make_reason = values.pop("reason", None)
        model_env = self.env["crm.clv.model"]
        if not make_reason:
            return model_env.create(values)
        model = model_env.with_context(lang="en_US").create(
            {**values, "reason": make_reason(self.with_context(lang="en_US").env)})
        for code, _name in self.env["res.lang"].get_installed():
            if code != "en_US":
                model.with_context(lang=code).write(
                    {"reason": make_reason(self.with_context(lang=code).env)})
        return model.with_env(self.env)

    def _fit_and_predict(self, company, as_of):
        """Fit BG/NBD and Gamma-Gamma on (x, t_x, T, m_x); with too few repeat
        customers, record why nothing was fitted.

        :return: the ``crm.clv.model`` of the run, and the predictions (partner ids,
            expected purchases in 90 days, probability alive, predicted value) or None
        """
        cr = self.env.cr
        cr.execute(SQL("SELECT partner_id, x, t_x, age, m_x FROM %s",
                       SQL.identifier(CUSTOMER_TABLE)))
        rows = cr.fetchall()
        horizon = company.crm_clv_horizon_months
        values = {
            "company_id": company.id,
            "as_of": as_of,
            "horizon_months": horizon,
            "customer_count": len(rows),
            "state": "not_enough_data",
        }
        if not rows:
            values["reason"] = lambda env: env._("No confirmed orders up to %(date)s.", date=as_of)
            return self._create_clv_model(values), None
        data = np.array(rows, dtype=float)
        partner_ids, x, t_x, age, m_x = data.T
        repeat = int(np.count_nonzero(x > 0))
        values["repeat_customer_count"] = repeat
        if repeat < MIN_REPEAT_CUSTOMERS:
            values["reason"] = lambda env: env._(
                "Only %(count)s customers bought on more than one day up to %(date)s; at "
                "least %(minimum)s are needed to fit the models. RFM scores, historic value "
                "and the customer pyramid are computed all the same.",
                count=repeat, date=as_of, minimum=MIN_REPEAT_CUSTOMERS,
            )
            return self._create_clv_model(values), None
        try:
            bgnbd = clv_fit.fit_bgnbd(x, t_x, age)
            gamma_gamma = clv_fit.fit_gamma_gamma(x, m_x)
        except (ValueError, FloatingPointError, ArithmeticError) as error:
            _logger.warning("Customer value models not fitted: %s", error)
            bgnbd = gamma_gamma = None
        if not (bgnbd and bgnbd.success and _sane(bgnbd.params)):
            values["reason"] = lambda env: env._(
                "The optimisation did not converge on the order history up to %(date)s.",
                date=as_of,
            )
            return self._create_clv_model(values), None
        params = bgnbd.params
        expected_90d = clv_fit.expected_purchases(params, 90, x, t_x, age)
        p_alive = clv_fit.probability_alive(params, x, t_x, age)
        horizon_purchases = clv_fit.expected_purchases(
            params, horizon * DAYS_PER_MONTH, x, t_x, age)
        values.update({
            "state": "fitted",
            "bgnbd_r": params.r,
            "bgnbd_alpha": params.alpha,
            "bgnbd_a": params.a,
            "bgnbd_b": params.b,
            "log_likelihood": bgnbd.log_likelihood,
        })
        if gamma_gamma and gamma_gamma.success and _sane(gamma_gamma.params):
            spend = clv_fit.expected_average_value(gamma_gamma.params, x, m_x)
            values.update({
                "gg_p": gamma_gamma.params.p,
                "gg_q": gamma_gamma.params.q,
                "gg_gamma": gamma_gamma.params.gamma,
                "gg_log_likelihood": gamma_gamma.log_likelihood,
            })
        else:
            # spend per transaction no different from one customer to the next (the
            # estimates run away to infinity): every customer's mean is the average
            repeat_spend = m_x[(x > 0) & (m_x > 0)]
            spend = np.full_like(x, float(repeat_spend.mean()) if repeat_spend.size else 0.0)
            values["reason"] = lambda env: env._(
                "The Gamma-Gamma model could not be fitted (the spend per purchase hardly "
                "differs between customers): the predicted value uses the average spend "
                "of a repeat purchase, %(spend).2f.",
                spend=float(spend[0]) if spend.size else 0.0,
            )
        clv = horizon_purchases * spend
        predictions = (partner_ids.astype(int), np.round(expected_90d, 6),
                       np.round(p_alive, 6), np.round(clv, 2))
        return self._create_clv_model(values), predictions

    def _compute_values(self, company, predictions):
        """Everything the run writes, per customer, into a second temporary table in
        one statement: RFM scores by quintiles (NTILE, ties broken by partner id) and
        segment, tier, the predictions, the churn signals, lifecycle stage, value
        quadrant, churn risk and its reasons, and what the partner held before the run
        (stage, tier, whether a churn warning is under way). The rules are those of
        readme/USAGE.md."""
        ids, expected, alive, clv = predictions or ((), (), (), ())
        self.env.cr.execute(SQL(
            """DROP TABLE IF EXISTS %(table)s;
            CREATE TEMPORARY TABLE %(table)s ON COMMIT DROP AS
            WITH scored AS (
                SELECT c.*, u.expected_90d, u.p_alive, u.clv_predicted,
                       NTILE(5) OVER (ORDER BY c.recency_days DESC, c.partner_id DESC)
                           AS r_score,
                       NTILE(5) OVER (ORDER BY c.frequency, c.partner_id DESC) AS f_score,
                       NTILE(5) OVER (ORDER BY c.monetary, c.partner_id DESC) AS m_score,
                       SUM(c.monetary) OVER (ORDER BY c.monetary DESC, c.partner_id)
                           - c.monetary AS value_before,
                       SUM(c.monetary) OVER () AS value_total
                  FROM %(customers)s c
             LEFT JOIN unnest(%(ids)s::integer[], %(expected)s::double precision[],
                              %(alive)s::double precision[], %(clv)s::double precision[])
                       AS u(partner_id, expected_90d, p_alive, clv_predicted)
                       ON u.partner_id = c.partner_id
            ),
            limits AS (
                SELECT PERCENTILE_CONT(%(historic)s)
                           WITHIN GROUP (ORDER BY monetary) AS historic,
                       PERCENTILE_CONT(%(predicted)s)
                           WITHIN GROUP (ORDER BY clv_predicted) AS predicted
                  FROM scored
            ),
            complaints AS (
                SELECT c.commercial_partner_id AS partner_id, COUNT(*) AS open
                  FROM crm_complaint c
                  JOIN crm_complaint_stage stage ON stage.id = c.stage_id
                 WHERE c.company_id = %(company)s AND c.active
                   AND NOT COALESCE(stage.is_closed, FALSE)
              GROUP BY c.commercial_partner_id
            ),
            signals AS (
                SELECT s.*, p.lifecycle_stage AS old_stage, p.customer_tier AS old_tier,
                       p.churn_alert_date IS NOT NULL AS alerted,
                       COALESCE(s.p_alive < %(alive_threshold)s, FALSE) AS sig_alive,
                       CASE WHEN s.x > 0
                            THEN s.recency_days > %(factor)s * s.t_x::float / s.x
                            ELSE s.recency_days > %(decline_days)s END AS sig_overdue,
                       s.previous_spend > 0
                           AND s.recent_spend <= s.previous_spend * %(kept)s AS sig_spend,
                       COALESCE(complaints.open, 0) AS sig_complaints,
                       COALESCE(p.crm_nps_category = 'detractor', FALSE) AS sig_detractor
                  FROM scored s
                  JOIN res_partner p ON p.id = s.partner_id
             LEFT JOIN complaints ON complaints.partner_id = s.partner_id
            )
            SELECT v.partner_id, v.recency_days, v.frequency, v.monetary,
                   v.r_score, v.f_score, v.m_score, grid.segment,
                   CASE WHEN v.value_total <= 0 THEN 'small'
                        WHEN v.value_before < v.value_total * %(key)s THEN 'key'
                        WHEN v.value_before < v.value_total * %(normal)s THEN 'normal'
                        ELSE 'small' END AS tier,
                   v.expected_90d, v.p_alive, v.clv_predicted,
                   v.old_stage, v.old_tier, v.alerted,
                   %(stage)s AS stage,
                   CASE WHEN v.clv_predicted IS NULL THEN NULL
                        WHEN v.monetary >= limits.historic
                             AND v.clv_predicted >= limits.predicted THEN 'grow'
                        WHEN v.clv_predicted >= limits.predicted THEN 'develop'
                        WHEN v.monetary >= limits.historic THEN 'maintain'
                        ELSE 'reduce' END AS quadrant,
                   CASE WHEN %(signals)s >= %(high)s THEN 'high'
                        WHEN %(signals)s >= 1 THEN 'medium'
                        ELSE 'low' END AS risk,
                   NULLIF(%(reasons)s, '') AS reasons
              FROM signals v
              JOIN (VALUES %(grid)s) AS grid(r_score, f_score, segment)
                   ON grid.r_score = v.r_score AND grid.f_score = v.f_score
        CROSS JOIN limits""",
            table=SQL.identifier(WORK_TABLE),
            customers=SQL.identifier(CUSTOMER_TABLE),
            ids=_array_literal(ids),
            expected=_array_literal(expected),
            alive=_array_literal(alive),
            clv=_array_literal(clv),
            historic=company.crm_quadrant_historic_percentile / 100.0,
            predicted=company.crm_quadrant_predicted_percentile / 100.0,
            company=company.id,
            alive_threshold=company.crm_churn_alive_threshold / 100.0,
            factor=company.crm_overdue_factor,
            decline_days=company.crm_lifecycle_decline_days,
            kept=1 - company.crm_churn_spend_drop / 100.0,
            key=company.crm_pyramid_key_share / 100.0,
            normal=(company.crm_pyramid_key_share + company.crm_pyramid_normal_share) / 100.0,
            stage=self._stage_sql(company),
            signals=SQL(
                """(v.sig_alive::int + v.sig_overdue::int + v.sig_spend::int
                    + (v.sig_complaints > 0)::int + v.sig_detractor::int)"""),
            high=company.crm_churn_high_signals,
            reasons=self._reasons_sql(),
            grid=SQL(", ").join(
                SQL("(%s, %s, %s)", r_score, f_score, segment)
                for r_score, row in RFM_SEGMENT_GRID.items()
                for f_score, segment in enumerate(row, start=1)
            ),
        ))

    def _stage_sql(self, company):
        """The lifecycle stage of the customer ``v`` (the rules of readme/USAGE.md)."""
        return SQL(
            """CASE WHEN v.recency_days > %(churn_days)s
                         OR COALESCE(v.p_alive < %(churn_alive)s, FALSE) THEN 'churned'
                    WHEN v.recency_days > %(decline_days)s
                         OR COALESCE(v.p_alive < %(decline_alive)s, FALSE)
                         OR (v.x > 0 AND v.recency_days > %(factor)s * v.t_x::float / v.x)
                        THEN 'decline'
                    WHEN v.frequency >= %(stability_orders)s
                         AND v.age >= %(stability_days)s THEN 'stability'
                    WHEN v.frequency >= %(formation_orders)s THEN 'formation'
                    ELSE 'exploration' END""",
            churn_days=company.crm_lifecycle_churn_days,
            churn_alive=company.crm_lifecycle_churn_alive / 100.0,
            decline_days=company.crm_lifecycle_decline_days,
            decline_alive=company.crm_lifecycle_decline_alive / 100.0,
            factor=company.crm_overdue_factor,
            stability_orders=company.crm_lifecycle_stability_orders,
            stability_days=company.crm_lifecycle_stability_days,
            formation_orders=company.crm_lifecycle_formation_orders,
        )

    def _reasons_sql(self):
        """The churn signals of the customer ``v``, a line each, in the language of the
        run (the labels keep their placeholders, filled in by the database)."""
        env = self.env
        return SQL(
            """concat_ws(E'\n',
                CASE WHEN v.sig_alive THEN replace(%(alive)s, %(probability)s,
                    ROUND((v.p_alive * 100)::numeric)::text || %(percent)s) END,
                CASE WHEN v.sig_overdue AND v.x > 0 THEN replace(replace(%(overdue)s,
                    %(days)s, v.recency_days::text),
                    %(gap)s, ROUND((v.t_x::numeric / v.x), 0)::text) END,
                CASE WHEN v.sig_overdue AND v.x = 0 THEN replace(%(silent)s,
                    %(days)s, v.recency_days::text) END,
                CASE WHEN v.sig_spend THEN replace(replace(%(spend)s,
                    %(recent)s, ROUND(v.recent_spend::numeric, 2)::text),
                    %(previous)s, ROUND(v.previous_spend::numeric, 2)::text) END,
                CASE WHEN v.sig_complaints > 0 THEN replace(%(complaints)s,
                    %(count)s, v.sig_complaints::text) END,
                CASE WHEN v.sig_detractor THEN %(detractor)s END)""",
            alive=env._("Probability of being still active: %(probability)s"),
            overdue=env._("Overdue: %(days)s days since the last order, usual gap "
                          "%(gap)s days"),
            silent=env._("One purchase day only, %(days)s days ago"),
            spend=env._("Falling spend: %(recent)s over the last period against "
                        "%(previous)s over the period before"),
            complaints=env._("Unresolved complaints: %(count)s"),
            detractor=env._("Detractor: the last NPS answer was 6 or less"),
            **{name: f"%({name})s"
               for name in ("probability", "days", "gap", "recent", "previous", "count")},
            percent="%",
        )

    def _write_partners(self, company, as_of):
        """Write the figures on the partners in one statement; clear those of the
        customers of this company who no longer have an order (prospects if they have
        an open lead), mark as prospects the other partners with an open lead; let the
        fields that depend on the tier or the stage (SLA policies...) recompute."""
        cr = self.env.cr
        table = SQL.identifier(WORK_TABLE)
        leads = SQL(
            """SELECT DISTINCT buyer.commercial_partner_id
                 FROM crm_lead lead
                 JOIN res_partner buyer ON buyer.id = lead.partner_id
                WHERE lead.active
                  AND (lead.company_id IS NULL OR lead.company_id = %(company)s)""",
            company=company.id,
        )
        cr.execute(SQL(
            """UPDATE res_partner p
                  SET rfm_recency_days = NULL, rfm_frequency = NULL, rfm_monetary = NULL,
                      rfm_r_score = NULL, rfm_f_score = NULL, rfm_m_score = NULL,
                      rfm_segment = NULL, clv_historic = NULL, clv_predicted = NULL,
                      expected_purchases_90d = NULL, probability_alive = NULL,
                      value_quadrant = NULL, churn_risk = NULL, churn_reasons = NULL,
                      churn_alert_date = NULL, customer_tier = NULL,
                      lifecycle_stage = CASE WHEN p.id IN (%(leads)s) THEN 'prospect' END,
                      value_company_id = %(company)s, value_date = %(as_of)s
                WHERE NOT EXISTS (SELECT 1 FROM %(table)s v WHERE v.partner_id = p.id)
                  AND (p.value_company_id = %(company)s
                       OR (p.lifecycle_stage IS NULL AND p.id IN (%(leads)s)))
            RETURNING p.id""",
            as_of=as_of, company=company.id, table=table, leads=leads,
        ))
        changed = [row[0] for row in cr.fetchall()]
        cr.execute(SQL(
            """UPDATE res_partner p
                  SET rfm_recency_days = v.recency_days, rfm_frequency = v.frequency,
                      rfm_monetary = ROUND(v.monetary::numeric, 2),
                      rfm_r_score = v.r_score, rfm_f_score = v.f_score,
                      rfm_m_score = v.m_score, rfm_segment = v.segment,
                      clv_historic = ROUND(v.monetary::numeric, 2),
                      clv_predicted = v.clv_predicted,
                      expected_purchases_90d = v.expected_90d,
                      probability_alive = v.p_alive,
                      customer_tier = v.tier, lifecycle_stage = v.stage,
                      value_quadrant = v.quadrant, churn_risk = v.risk,
                      churn_reasons = v.reasons,
                      churn_alert_date = CASE WHEN v.risk = 'low' THEN NULL
                                              ELSE p.churn_alert_date END,
                      value_company_id = %(company)s, value_date = %(as_of)s
                 FROM %(table)s v
                WHERE p.id = v.partner_id
            RETURNING p.id, v.old_tier IS DISTINCT FROM v.tier
                            OR v.old_stage IS DISTINCT FROM v.stage""",
            as_of=as_of, company=company.id, table=table,
        ))
        changed += [partner_id for partner_id, moved in cr.fetchall() if moved]
        partners = self.env["res.partner"]
        partners.invalidate_model()
        if changed:
            partners.browse(changed).modified(["customer_tier", "lifecycle_stage"])

    def _insert_history(self, company, as_of, model):
        """One history row per customer of this run: its scores, and its lifecycle
        stage before and after (the transitions)."""
        self.env.cr.execute(SQL(
            """INSERT INTO crm_customer_value_history (
                   partner_id, company_id, model_id, run_date, as_of,
                   rfm_r_score, rfm_f_score, rfm_m_score, rfm_segment, clv_historic,
                   clv_predicted, probability_alive, customer_tier, lifecycle_stage,
                   previous_lifecycle_stage, lifecycle_changed, value_quadrant, churn_risk)
            SELECT partner_id, %(company)s, %(model)s, %(now)s, %(as_of)s,
                   r_score, f_score, m_score, segment, ROUND(monetary::numeric, 2),
                   clv_predicted, p_alive, tier, stage,
                   old_stage, old_stage IS DISTINCT FROM stage, quadrant, risk
              FROM %(table)s""",
            company=company.id, model=model.id, now=fields.Datetime.now(), as_of=as_of,
            table=SQL.identifier(WORK_TABLE),
        ))
        self.env["crm.customer.value.history"].invalidate_model()
        self.env["res.partner"].invalidate_model(["value_history_ids"])
