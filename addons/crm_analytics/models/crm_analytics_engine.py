import logging
from collections import defaultdict

import numpy as np
from markupsafe import Markup
from psycopg2 import OperationalError, errorcodes

from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError
from odoo.tools import SQL
from odoo.tools.misc import formatLang

from ..tools import clv_fit, value_labels
from ..tools.sql_arrays import NumberRows, read_numbers, read_numbers_in_chunks
from ..tools.value_labels import CLV_REFRESH_SHARE, LABEL_SETTINGS, LABELS, SIGNAL_BITS
from .crm_customer_value import ORDER_STATE_FIELDS

# what a run meets when another run wrote the same rows first (serialization,
# deadlock, a lock it could not get): the other run's values stand
CONCURRENCY_ERRORS = frozenset((
    errorcodes.SERIALIZATION_FAILURE, errorcodes.DEADLOCK_DETECTED,
    errorcodes.LOCK_NOT_AVAILABLE,
))

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
# First key of the transaction-level advisory lock that allows one run per company at
# a time (the second key is the company's id)
RUN_LOCK_KEY = 424_242
PURCHASE_FITS = {"bgnbd": clv_fit.fit_bgnbd, "mbgnbd": clv_fit.fit_mbgnbd}
# The last days of the history, on which the purchase models are compared
HOLDOUT_DAYS = 90
# Minutes before the job tries a failed computation again
RETRY_MINUTES = 30
# A run applies the estimates of a fit of up to this many days before (on the same
# basis, on a number of customers within this share of the fit's) rather than fit
# again: once a week, or when the customers changed by more than 5%
REFIT_DAYS = 7
REFIT_SHARE = 0.05
# What a customer's value row held before the run, beside its figures (the columns
# of the run's customer table, see ``_old_value_sql``)
OLD_VALUE_COLUMNS = (
    "value_id", "scored", "old_key", "old_clv", "alerted", "old_segment", "old_quadrant",
    "old_risk", "old_tier", "old_stage", "manual_tier", "manual_stage")
# The columns of the run's customer table read into memory (SQL expressions: booleans
# as numbers, a row without a scores key as -1), by partner: those the company's
# figures need (predictions, ranks, percentiles), for every customer at once...
FIGURE_COLUMNS = ("partner_id", "x", "t_x", "age", "m_x", "first_spend", "frequency",
                  "monetary")
# ... those the fit needs, of the customers it is made on (see ``FIT_SAMPLE``)...
FIT_COLUMNS = ("x", "t_x", "age", "m_x", "x_cal", "t_x_cal", "age_cal", "x_holdout")
# ... and those each customer's labels need besides, by range of partners, once the
# company's figures are known: what the value row held
RANGE_COLUMNS = ("partner_id", "spend_fell::integer", "touched::integer",
                 "scored::integer", "COALESCE(old_key, -1)", "old_clv", "alerted::integer",
                 "(manual_stage IS NOT NULL)::integer")
# The models are fitted on every customer up to this number, beyond on an even
# sample of one customer in n, between half this number and this number of them
# (the estimates of a million customers hardly differ from those of ten; memory and
# time would grow with them)
FIT_SAMPLE = 1_000_000
# Customers whose predictions are computed at once (the formulas' intermediate
# arrays stay within a few hundred megabytes, whatever the number of customers)
PREDICT_CHUNK = 500_000
# Customers whose changed tier or stage is told at once to what depends on it
NOTIFY_CHUNK = 100_000
def _sane(params):
    """Estimates that are numbers a model can use (not running away to infinity)."""
    return all(np.isfinite(value) and 0 < value < MAX_PARAMETER for value in params)


class CrmAnalyticsEngine(models.AbstractModel):
    _name = "crm.analytics.engine"
    _description = "Customer Value Engine"

    @api.model
    def run(self, as_of=None):
        """Recompute the customer value of the current company from its confirmed
        orders dated up to ``as_of`` (a date, default the company's today): RFM scores
        and segment, historic value, the customer pyramid, the purchase and spend
        models and the predictions they give, lifecycle, value matrix and churn
        warnings, into ``crm.customer.value`` (one row per customer of the company);
        a history row per customer whose tier, stage, segment, quadrant or risk changed
        and, once a month, a snapshot of every customer.

        Set-based: a fixed number of statements whatever the number of customers (but
        two per ``NOTIFY_CHUNK`` customers whose tier or stage moved, beyond the
        first); in memory, the company's figures, the rest by range of partners. It
        writes the narrow value table only (never the partners people edit), and only
        the rows whose scores changed. One run per company at a time: a second one is
        refused.

        :return: the ``crm.clv.model`` record of this run
        """
        if not (self.env.is_superuser()
                or self.env.user.has_group("sales_team.group_sale_manager")):
            raise AccessError(self.env._(
                "Only sales administrators can recompute the customer value."))
        company = self.env.company
        as_of = fields.Date.to_date(as_of) or company._crm_today()
        if not self._try_lock(company):
            raise UserError(self.env._(
                "The customer value of %(company)s is being computed right now; try again "
                "once that computation is over.", company=company.name))
        return self.sudo()._run(company, as_of)

    @api.model
    def _cron_run(self):
        """Daily recomputation of every company whose value is not computed for its
        today yet. Under the scheduler, one company per call: the host's cron progress
        (``_notify_progress``) commits it and calls again for the next one, so each
        company's run is a transaction of its own. A company being computed already is
        skipped; a computation that fails is rolled back to its savepoint, recorded on
        a model record of state *failed* (that company waits ``RETRY_MINUTES``), and
        the job is triggered again then."""
        due = self._companies_due()
        one_at_a_time = bool(self.env.context.get("ir_cron_progress_id"))
        batch = due[:1] if one_at_a_time else due
        failed = False
        for company in batch:
            engine = self.with_company(company).sudo()
            try:
                with self.env.cr.savepoint():
                    if not engine._try_lock(company):
                        _logger.info("Customer value of %s: being computed already, skipped",
                                     company.name)
                        continue
                    if engine._computed_meanwhile(company):
                        _logger.info("Customer value of %s: computed meanwhile, skipped",
                                     company.name)
                        continue
                    engine._run(company, company._crm_today())
            except OperationalError as error:
                if error.pgcode not in CONCURRENCY_ERRORS:
                    _logger.exception("Customer value of %s could not be computed",
                                      company.name)
                    engine._record_failure(company, error)
                    failed = True
                else:
                    # another run wrote the same rows first: its values stand
                    _logger.info("Customer value of %s: computed by another run, skipped",
                                 company.name)
            except Exception as error:
                _logger.exception("Customer value of %s could not be computed", company.name)
                engine._record_failure(company, error)
                failed = True
        self.env["ir.cron"]._notify_progress(done=len(batch),
                                             remaining=len(due) - len(batch))
        if failed:
            self.env.ref("crm_analytics.crm_analytics_engine_cron")._trigger(
                fields.Datetime.add(fields.Datetime.now(), minutes=RETRY_MINUTES))

    @api.model
    def _companies_due(self):
        """The active companies whose value is not computed for their today yet, and
        that did not fail in the last ``RETRY_MINUTES``."""
        Model = self.env["crm.clv.model"].sudo()
        retry_after = fields.Datetime.subtract(fields.Datetime.now(), minutes=RETRY_MINUTES)
        due = self.env["res.company"]
        for company in self.env["res.company"].sudo().search([("active", "=", True)]):
            today = company._crm_today()
            if Model.search_count([("company_id", "=", company.id), ("as_of", ">=", today),
                                   ("state", "!=", "failed")], limit=1):
                continue
            if Model.search_count([("company_id", "=", company.id), ("state", "=", "failed"),
                                   ("create_date", ">", retry_after)], limit=1):
                continue
            due |= company
        return due

    def _computed_meanwhile(self, company):
        """Whether another run committed the company's value for its today after this
        transaction began (its snapshot cannot see it): asked in a transaction of its
        own, once this one holds the company's run lock, so no run is under way."""
        today = company._crm_today()
        with self.env.registry.cursor() as cr:
            cr.execute(SQL(
                "SELECT 1 FROM crm_clv_model WHERE company_id = %s AND as_of >= %s "
                "AND state != 'failed' LIMIT 1", company.id, today))
            return bool(cr.fetchone())

    def _try_lock(self, company):
        """Take the company's run lock for this transaction, if nobody holds it."""
        self.env.cr.execute(SQL("SELECT pg_try_advisory_xact_lock(%s, %s)",
                                RUN_LOCK_KEY, company.id))
        return self.env.cr.fetchone()[0]

    def _record_failure(self, company, error):
        """A model record saying that the computation of ``company`` failed, and why."""
        message = str(error).strip().splitlines()[0][:500] if str(error).strip() \
            else type(error).__name__
        self._create_clv_model({
            "company_id": company.id,
            "as_of": company._crm_today(),
            "state": "failed",
            "reason": lambda env: env._(
                "The computation failed: %(error)s. The scheduled job tries again in "
                "%(minutes)s minutes.", error=message, minutes=RETRY_MINUTES),
        })

    # ------------------------------------------------------------------ steps

    def _run(self, company, as_of):
        self.env.flush_all()
        # the run sorts and hashes every order once: in memory rather than on disk;
        # its statements are large but run once, compiling them (JIT) is a loss; for
        # this transaction only
        settings = {"work_mem": RUN_WORK_MEM, "jit": "off"}
        before = self._set_config(settings)
        carried = self._insert_customers(company, as_of)
        model, scores = self._fit_and_predict(company, as_of)
        snapshot = self._snapshot_due(company, as_of)
        self._compute_values(company, scores, everyone=snapshot)
        # (the arrays are in the database now: not held through the steps that follow)
        del scores
        changed = self._write_values(company, as_of, model, carried)
        self._insert_history(company, as_of, snapshot)
        self._alert_churn(company, as_of, model)
        self.env["crm.customer.value"].invalidate_model()
        self._notify_dependents(company, changed)
        # back to what the transaction had (after an error, the rollback restores them)
        self._set_config(before)
        return model

    def _set_config(self, settings):
        """Set the database's ``settings`` (name: value) for this transaction.

        :return: the values they had
        """
        cr = self.env.cr
        cr.execute(SQL("SELECT %s", SQL(", ").join(
            SQL("current_setting(%s)", name) for name in settings)))
        before = dict(zip(settings, cr.fetchone(), strict=True))
        cr.execute(SQL("SELECT %s", SQL(", ").join(
            SQL("set_config(%s, %s, TRUE)", name, value) for name, value in settings.items())))
        return before

    def _orders_query(self, company, as_of, windows=(), partners=None):
        """Confirmed orders of ``company`` dated up to ``as_of`` (and in one of the
        ``windows``, if given: pairs of days ``(after, up_to)``; of the customers of
        the SQL ``partners``, if given):
        commercial partner, day (the company's, in its time zone), untaxed amount in
        company currency (a negative order, a refund, counts negatively), as an exact
        numeric: a fully refunded period sums to zero, and whether it is a purchase
        (not a refund: the sign of the amount, whatever the currency rate)."""
        states = tuple(
            state for state in ("sale", "done")
            if state in dict(self.env["sale.order"]._fields["state"].selection)
        )
        conditions = [SQL("so.date_order < %s",
                          company._crm_day_start(fields.Date.add(as_of, days=1)))]
        if windows:
            conditions.append(SQL("(%s)", SQL(" OR ").join(
                SQL("(so.date_order >= %s AND so.date_order < %s)",
                    company._crm_day_start(fields.Date.add(after, days=1)),
                    company._crm_day_start(fields.Date.add(up_to, days=1)))
                for after, up_to in windows)))
        if partners is not None:
            conditions.append(SQL("partner.commercial_partner_id IN (%s)", partners))
        # the customer of each order: the few orders of some days are looked up one by
        # one (a join would read every partner), every order is joined
        partner = SQL("JOIN res_partner partner ON partner.id = so.partner_id")
        customer = SQL("partner.commercial_partner_id")
        if windows and partners is None:
            partner = SQL()
            customer = SQL("(SELECT partner.commercial_partner_id FROM res_partner partner "
                           "WHERE partner.id = so.partner_id)")
        return SQL(
            """SELECT %(customer)s AS partner_id,
                      %(day)s AS day,
                      %(amount)s AS amount,
                      so.amount_untaxed >= 0 AS purchase
                 FROM sale_order so
                 %(partner)s
                WHERE so.state IN %(states)s
                  AND so.company_id = %(company)s
                  AND %(conditions)s""",
            customer=customer, partner=partner,
            day=company._crm_local_date_sql(SQL("so.date_order")),
            amount=self.env["sale.order"]._crm_amount_company_sql("so"),
            states=states,
            company=company.id,
            conditions=SQL(" AND ").join(conditions),
        )

    @staticmethod
    def _order_days_sql(orders):
        """The orders of ``orders`` (SQL) per customer and day: net amount, number of
        purchases (orders that are not refunds) and their spend. (The amount is an
        expression, evaluated where it is named: twice per order, not four times.)"""
        return SQL(
            """SELECT partner_id, day,
                      SUM(amount) AS amount,
                      COUNT(*) FILTER (WHERE purchase) AS purchases,
                      SUM(amount) FILTER (WHERE purchase) AS spend
                 FROM (%s) AS orders
             GROUP BY partner_id, day""", orders)

    def _orders_basis(self, company):
        """What the order figures carried from one run to the next depend on besides
        the orders (see ``_insert_customers``)."""
        return (f"1|{company._crm_tz()}|{company.currency_id.id}|"
                f"{company.crm_churn_spend_days}|{HOLDOUT_DAYS}")

    def _unseen_since(self):
        """The moment from which orders may be missing from this run's figures: the
        start of the oldest transaction under way (of this database's sessions, this
        one included: they may commit orders after this run's snapshot), or an hour
        before this transaction began, whichever is earlier (for writers whose
        sessions the database does not show this role)."""
        self.env.cr.execute(SQL(
            """SELECT LEAST(MIN(xact_start), NOW() - INTERVAL '1 hour') AT TIME ZONE 'UTC'
                 FROM pg_stat_activity
                WHERE datname = current_database()"""))
        return self.env.cr.fetchone()[0]

    def _previous_run(self, company, as_of):
        """The last run of ``company`` whose figures the run for ``as_of`` can go on
        from: done (not failed), counted on the same basis, up to 31 days before."""
        previous = self.env["crm.clv.model"].sudo().search(
            [("company_id", "=", company.id), ("state", "!=", "failed")],
            order="id desc", limit=1)
        if (previous and previous.orders_basis == self._orders_basis(company)
                and previous.as_of <= as_of <= fields.Date.add(previous.as_of, days=31)):
            return previous
        return None

    def _insert_customers(self, company, as_of, full=False):
        """One row per customer in a temporary table: RFM figures, (x, t_x, T, m_x) in
        days, the first and last purchase days and the spend of the first one, the
        spend of the last churn-warning period and of the period before, and the
        exact figures the value rows carry to the next run; whether they may differ
        from those the value row holds (``touched``: every customer of a full count,
        those with orders in the moved windows or counted again otherwise), and what
        the value row holds besides (``OLD_VALUE_COLUMNS``).

        The first run counts every order (grouped by customer and day, then by
        customer). A run that follows one of up to a month before (on the same basis:
        time zone, currency, churn period) goes on from the figures stored on the
        value rows: it reads the orders of the new days and of the days that leave
        the churn periods and the holdout period, and counts again in full only the
        customers whose orders changed meanwhile: an order written since (confirmed,
        cancelled, changed, moved) or a partner moved or merged
        (``crm.customer.value.recount``). ``full`` counts every order all the same.

        :return: whether the figures were carried from the previous run (the customers
            counted again are in the temporary table ``crm_analytics_recount``)
        """
        cr = self.env.cr
        cal_end = fields.Date.subtract(as_of, days=HOLDOUT_DAYS)
        previous = None if full else self._previous_run(company, as_of)
        if previous is None:
            counted = SQL(
                """SELECT figures.*, %(old)s
                     FROM (%(figures)s) AS figures
                LEFT JOIN crm_customer_value old
                          ON old.company_id = %(company)s
                             AND old.partner_id = figures.partner_id""",
                old=self._old_value_sql(), company=company.id,
                figures=self._figures_sql(company, as_of, self._orders_query(company, as_of)))
        else:
            counted = self._carried_figures_sql(company, as_of, previous)
        # grouped by sorting: the orders arrive sorted by customer and day for the
        # second grouping, and the memory stays that of a sort (a hash of a million
        # customers' exact sums would not fit in the run's work memory); read, joined
        # and sorted by parallel workers where the orders are many (the database's
        # default costs of starting workers and of passing rows between processes
        # keep it from that for a million sorted rows)
        planner = self._set_config({"enable_hashagg": "off", "parallel_setup_cost": "100",
                                    "parallel_tuple_cost": "0.01"})
        cr.execute(SQL(
            """DROP TABLE IF EXISTS %(table)s;
            CREATE TEMPORARY TABLE %(table)s ON COMMIT DROP AS
            SELECT partner_id,
                   (%(as_of)s::date - last_day) AS recency_days,
                   purchases::integer AS frequency,
                   amount::double precision AS monetary,
                   (days - 1)::integer AS x,
                   (last_day - first_day) AS t_x,
                   %(as_of)s::date - first_day AS age,
                   first_day, last_day,
                   first_spend::double precision AS first_spend,
                   (days - holdout_days - 1)::double precision AS x_cal,
                   (last_cal - first_day)::double precision AS t_x_cal,
                   CASE WHEN first_day <= %(cal_end)s
                        THEN %(cal_end)s::date - first_day END::double precision
                       AS age_cal,
                   holdout_days::double precision AS x_holdout,
                   CASE WHEN days > 1 THEN (spend - first_spend) / (days - 1) ELSE 0 END
                       ::double precision AS m_x,
                   amount AS orders_amount, spend AS orders_spend,
                   first_spend AS orders_first_spend, recent AS orders_recent_spend,
                   previous AS orders_previous_spend, holdout_days::integer
                       AS orders_holdout_days,
                   last_cal AS orders_calibration_last_date,
                   -- the churn signal of falling spend, on the exact amounts
                   previous > 0 AND recent <= previous * %(kept)s::numeric AS spend_fell,
                   touched, %(old_columns)s
              FROM (%(counted)s) AS figures""",
            table=SQL.identifier(CUSTOMER_TABLE),
            as_of=as_of, cal_end=cal_end, counted=counted,
            kept=1 - company.crm_churn_spend_drop / 100.0,
            old_columns=SQL(", ").join(map(SQL.identifier, OLD_VALUE_COLUMNS)),
        ))
        self._set_config(planner)
        return previous is not None

    def _figures_sql(self, company, as_of, orders):
        """The exact order figures of each customer of ``orders`` (SQL, see
        ``_orders_query``) up to ``as_of``: purchase days, purchases, net amount, spend
        on purchase days, first and last purchase days, spend of the first one, net
        amount of the last churn period and of the one before, purchase days in the
        holdout period and the last one before it. Customers with a purchase only."""
        period = company.crm_churn_spend_days
        return SQL(
            """SELECT partner_id,
                      COUNT(*) FILTER (WHERE purchases > 0) AS days,
                      SUM(purchases) AS purchases,
                      SUM(amount) AS amount,
                      COALESCE(SUM(spend), 0) AS spend,
                      MIN(day) FILTER (WHERE purchases > 0) AS first_day,
                      MAX(day) FILTER (WHERE purchases > 0) AS last_day,
                      -- the spend of the first purchase day: the smallest of the
                      -- pairs (day, spend), without a window over every day
                      COALESCE((MIN(ARRAY[(day - DATE '2000-01-01')::numeric, spend])
                                FILTER (WHERE purchases > 0))[2], 0) AS first_spend,
                      COALESCE(SUM(amount) FILTER (
                          WHERE day > %(as_of)s::date - %(period)s), 0) AS recent,
                      COALESCE(SUM(amount) FILTER (
                          WHERE day <= %(as_of)s::date - %(period)s
                            AND day > %(as_of)s::date - 2 * %(period)s), 0) AS previous,
                      COUNT(*) FILTER (WHERE purchases > 0 AND day > %(cal_end)s)
                          AS holdout_days,
                      MAX(day) FILTER (WHERE purchases > 0 AND day <= %(cal_end)s)
                          AS last_cal,
                      TRUE AS touched
                 FROM (%(days)s) AS purchase_days
             GROUP BY partner_id
               HAVING COUNT(*) FILTER (WHERE purchases > 0) > 0""",
            as_of=as_of, period=period,
            cal_end=fields.Date.subtract(as_of, days=HOLDOUT_DAYS),
            days=self._order_days_sql(orders),
        )

    def _carried_figures_sql(self, company, as_of, previous):
        """The figures of ``_figures_sql`` up to ``as_of``, from those the value rows
        hold since the run ``previous``: the orders of the days after its date added,
        those of the days that left the churn periods and the holdout period taken
        out; the customers whose orders changed since are counted in full (their
        ids in a temporary table). Each with what its value row holds
        (``_old_value_sql``)."""
        cr = self.env.cr
        before = previous.as_of
        period = company.crm_churn_spend_days
        # orders written since the previous run began, or by transactions under way
        # then (a day's margin for a run that did not record them), partners moved or
        # merged since
        since = previous.unseen_since \
            or fields.Datetime.subtract(previous.create_date, days=1)
        windows = [(before, as_of)] + [
            (fields.Date.subtract(before, days=shift), fields.Date.subtract(as_of, days=shift))
            for shift in (period, 2 * period, HOLDOUT_DAYS)]
        # (a run on the previous one's day has empty windows: no order falls in them)
        cr.execute(SQL(
            """DROP TABLE IF EXISTS crm_analytics_delta;
            CREATE TEMPORARY TABLE crm_analytics_delta ON COMMIT DROP AS
            SELECT partner_id,
                   COUNT(*) FILTER (WHERE purchases > 0 AND day > %(before)s) AS days,
                   COALESCE(SUM(purchases) FILTER (WHERE day > %(before)s), 0)
                       AS purchases,
                   COALESCE(SUM(amount) FILTER (WHERE day > %(before)s), 0) AS amount,
                   COALESCE(SUM(spend) FILTER (WHERE day > %(before)s), 0) AS spend,
                   MAX(day) FILTER (WHERE purchases > 0 AND day > %(before)s) AS last_day,
                   COALESCE(SUM(amount) FILTER (
                       WHERE day > %(before)s::date - %(period)s
                         AND day <= %(as_of)s::date - %(period)s), 0) AS left_recent,
                   COALESCE(SUM(amount) FILTER (
                       WHERE day > %(before)s::date - 2 * %(period)s
                         AND day <= %(as_of)s::date - 2 * %(period)s), 0) AS left_previous,
                   COUNT(*) FILTER (
                       WHERE purchases > 0 AND day > %(before)s::date - %(holdout)s
                         AND day <= %(as_of)s::date - %(holdout)s) AS left_holdout,
                   MAX(day) FILTER (
                       WHERE purchases > 0 AND day > %(before)s::date - %(holdout)s
                         AND day <= %(as_of)s::date - %(holdout)s) AS calibrated
              FROM (%(days)s) AS days
          GROUP BY partner_id""",
            before=before, as_of=as_of, period=period, holdout=HOLDOUT_DAYS,
            days=self._order_days_sql(self._orders_query(company, as_of, windows)),
        ))
        cr.execute(SQL(
            """DROP TABLE IF EXISTS crm_analytics_recount;
            CREATE TEMPORARY TABLE crm_analytics_recount ON COMMIT DROP AS
            SELECT partner.commercial_partner_id AS partner_id
              FROM sale_order so
              JOIN res_partner partner ON partner.id = so.partner_id
             WHERE so.write_date >= %(since)s
               AND partner.commercial_partner_id IS NOT NULL
             UNION
            SELECT partner_id FROM crm_customer_value_recount WHERE date >= %(since)s
             UNION
            SELECT delta.partner_id
              FROM crm_analytics_delta delta
             -- (each looked up in the unique index: not a join reading every row)
             WHERE (SELECT cv.orders_amount IS NULL FROM crm_customer_value cv
                     WHERE cv.company_id = %(company)s
                       AND cv.partner_id = delta.partner_id
                     LIMIT 1) IS NOT FALSE""",
            since=since, company=company.id,
        ))
        cr.execute(SQL("ANALYZE crm_analytics_recount"))
        cr.execute(SQL("DELETE FROM crm_customer_value_recount WHERE date < %s", since))
        # the carried figures: as they are for the customers without a new order (most
        # of them: no grouping), summed with the new days' for the others (a grouping,
        # not a join; their value rows looked up one by one in the unique index). The
        # NOT IN are hashed subplans: no plan whose cost hangs on the planner's guess of
        # the company's rows (none before its first analyze).
        figures = SQL(
            """cv.partner_id, cv.repeat_purchase_days + 1 AS days,
               cv.rfm_frequency AS purchases, cv.orders_amount AS amount,
               cv.orders_spend AS spend, cv.first_purchase_date AS first_day,
               cv.last_purchase_date AS last_day, cv.orders_first_spend AS first_spend,
               cv.orders_recent_spend AS recent, cv.orders_previous_spend AS previous,
               cv.orders_holdout_days AS holdout_days,
               cv.orders_calibration_last_date AS last_cal""")
        return SQL(
            """SELECT %(figures)s, FALSE AS touched, %(old_cv)s
                 FROM crm_customer_value cv
                WHERE cv.company_id = %(company)s AND cv.orders_amount IS NOT NULL
                  AND cv.partner_id NOT IN (SELECT partner_id FROM crm_analytics_recount)
                  AND cv.partner_id NOT IN (SELECT partner_id FROM crm_analytics_delta)
            UNION ALL
            SELECT counted.*, %(old)s
              FROM (SELECT partner_id, SUM(days) AS days, SUM(purchases) AS purchases,
                   SUM(amount) AS amount, SUM(spend) AS spend,
                   MAX(first_day) AS first_day, MAX(last_day) AS last_day,
                   SUM(first_spend) AS first_spend, SUM(recent) AS recent,
                   SUM(previous) AS previous, SUM(holdout_days) AS holdout_days,
                   MAX(last_cal) AS last_cal, TRUE AS touched
              FROM (SELECT carried.*, TRUE AS carried
                      FROM crm_analytics_delta d
                CROSS JOIN LATERAL (
                           SELECT %(figures)s
                             FROM crm_customer_value cv
                            WHERE cv.company_id = %(company)s
                              AND cv.partner_id = d.partner_id
                              AND cv.orders_amount IS NOT NULL
                            LIMIT 1) AS carried
                     WHERE d.partner_id NOT IN (SELECT partner_id FROM crm_analytics_recount)
                 UNION ALL
                    SELECT d.partner_id, d.days, d.purchases, d.amount, d.spend, NULL,
                           d.last_day, 0, d.amount - d.left_recent,
                           d.left_recent - d.left_previous, d.days - d.left_holdout,
                           d.calibrated, FALSE
                      FROM crm_analytics_delta d
                     WHERE d.partner_id NOT IN (SELECT partner_id FROM crm_analytics_recount)
                   ) AS parts
          GROUP BY partner_id
            HAVING bool_or(carried)
            UNION ALL
            %(recounted)s) AS counted
         LEFT JOIN LATERAL (SELECT * FROM crm_customer_value old
                             WHERE old.company_id = %(company)s
                               AND old.partner_id = counted.partner_id
                             LIMIT 1) AS old ON TRUE""",
            figures=figures, company=company.id,
            old=self._old_value_sql(), old_cv=self._old_value_sql("cv"),
            recounted=self._figures_sql(company, as_of, self._orders_query(
                company, as_of, partners=SQL("SELECT partner_id FROM crm_analytics_recount"))),
        )

    @staticmethod
    def _old_value_sql(alias="old"):
        """The columns ``OLD_VALUE_COLUMNS`` of the customer's value row ``alias``
        (none when the customer has no row): id, whether it holds scores, its scores
        key (see ``value_labels.scores_key``), predicted value, whether a churn warning
        is under way, the labels a history row compares, the manual corrections."""
        return SQL(
            """%(old)s.id AS value_id, %(old)s.value_date IS NOT NULL AS scored,
               %(old)s.scores_key AS old_key, %(old)s.clv_predicted AS old_clv,
               %(old)s.churn_alert_date IS NOT NULL AS alerted,
               %(old)s.rfm_segment AS old_segment, %(old)s.value_quadrant AS old_quadrant,
               %(old)s.churn_risk AS old_risk, %(old)s.customer_tier AS old_tier,
               %(old)s.lifecycle_stage AS old_stage,
               %(old)s.manual_customer_tier AS manual_tier,
               %(old)s.manual_lifecycle_stage AS manual_stage""",
            old=SQL.identifier(alias))

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
        """Fit the purchase model (BG/NBD or modified BG/NBD, chosen by fit: see
        ``_choose_purchase_model``) and Gamma-Gamma on (x, t_x, T, m_x), or apply the
        estimates of a recent fit (``_recent_fit``), and predict; with too few repeat
        customers, record why nothing was fitted.

        :return: the ``crm.clv.model`` of the run, and the customers' scores (see
            ``_customer_scores``; None without customers)
        """
        cr = self.env.cr
        # the figures of every customer, by partner
        figures = read_numbers(cr, [SQL(column) for column in FIGURE_COLUMNS],
                               SQL.identifier(CUSTOMER_TABLE), order=SQL("partner_id"))
        column = dict(zip(FIGURE_COLUMNS, figures.T, strict=True))
        horizon = company.crm_clv_horizon_months
        values = {
            "company_id": company.id,
            "as_of": as_of,
            "horizon_months": horizon,
            "customer_count": len(figures),
            "state": "not_enough_data",
            "orders_basis": self._orders_basis(company),
            "unseen_since": self._unseen_since(),
        }
        if not len(figures):
            values["reason"] = lambda env: env._("No confirmed orders up to %(date)s.", date=as_of)
            return self._create_clv_model(values), None
        x, m_x = column["x"], column["m_x"]
        repeat = int(np.count_nonzero(x > 0))
        values["repeat_customer_count"] = repeat
        if repeat < MIN_REPEAT_CUSTOMERS:
            values["reason"] = lambda env: env._(
                "Only %(count)s customers bought on more than one day up to %(date)s; at "
                "least %(minimum)s are needed to fit the models. RFM scores, historic value "
                "and the customer pyramid are computed all the same.",
                count=repeat, date=as_of, minimum=MIN_REPEAT_CUSTOMERS,
            )
            return self._create_clv_model(values), self._customer_scores(company, column)
        last = self.env["crm.clv.model"]._latest_fitted(company)
        reused = self._recent_fit(company, as_of, len(figures), last)
        if reused:
            # the estimates of a fit of the last days, applied to today's figures
            params = reused._params()
            gamma_gamma = clv_fit.GammaGammaParams(reused.gg_p, reused.gg_q,
                                                   reused.gg_gamma) if reused.gg_p else None
            values.update({
                "fitted_as_of": reused.fitted_as_of,
                "log_likelihood": reused.log_likelihood,
                "gg_log_likelihood": reused.gg_log_likelihood,
            })
        else:
            fitted = self._fit(company, self._fit_data(len(figures)), last)
            if not fitted:
                values["reason"] = lambda env: env._(
                    "The optimisation did not converge on the order history up to "
                    "%(date)s.", date=as_of)
                return self._create_clv_model(values), self._customer_scores(company, column)
            purchases, gamma_fit = fitted
            params = purchases.params
            gamma_gamma = gamma_fit.params if gamma_fit else None
            values.update({
                "fitted_as_of": as_of,
                "log_likelihood": purchases.log_likelihood,
                "gg_log_likelihood": gamma_fit.log_likelihood if gamma_fit else 0.0,
            })
        values.update({
            "state": "fitted",
            "model_kind": params.kind,
            "bgnbd_r": params.r,
            "bgnbd_alpha": params.alpha,
            "bgnbd_a": params.a,
            "bgnbd_b": params.b,
        })
        average = None
        if gamma_gamma:
            values.update({
                "gg_p": gamma_gamma.p,
                "gg_q": gamma_gamma.q,
                "gg_gamma": gamma_gamma.gamma,
            })
        else:
            # spend per transaction no different from one customer to the next (the
            # estimates run away to infinity): every customer's mean is the average
            repeat_spend = m_x[(x > 0) & (m_x > 0)]
            average = float(repeat_spend.mean()) if repeat_spend.size else 0.0
            values["reason"] = lambda env: env._(
                "The Gamma-Gamma model could not be fitted (the spend per purchase hardly "
                "differs between customers): the predicted value uses the average spend "
                "of a repeat purchase, %(spend)s.",
                spend=formatLang(env, average, currency_obj=company.currency_id),
            )
        p_alive, clv = np.empty(len(x)), np.empty(len(x))
        for start in range(0, len(x), PREDICT_CHUNK):
            part = slice(start, start + PREDICT_CHUNK)
            x_part, t_x, age = x[part], column["t_x"][part], column["age"][part]
            p_alive[part] = np.round(clv_fit.probability_alive(params, x_part, t_x, age), 6)
            # a one-time buyer's own first purchase counts, shrunk toward the mean
            spend = clv_fit.expected_average_value(
                gamma_gamma, x_part, m_x[part], column["first_spend"][part]) \
                if gamma_gamma else average
            clv[part] = np.round(clv_fit.expected_purchases(
                params, horizon * DAYS_PER_MONTH, x_part, t_x, age) * spend, 2)
        return self._create_clv_model(values), self._customer_scores(
            company, column, p_alive, clv)

    def _fit_data(self, count):
        """The figures the fit is made on (``FIT_COLUMNS``, a 2-D array): of every
        customer up to ``FIT_SAMPLE`` of them, of one in n beyond (at most
        ``FIT_SAMPLE``, at least half as many), drawn by a hash of
        the partner's id (the same from one run to the next; ids themselves may
        alternate between companies and contacts, or between companies)."""
        step = -(-count // FIT_SAMPLE)
        return read_numbers(
            self.env.cr, [SQL(column) for column in FIT_COLUMNS],
            SQL("%s WHERE mod(hashint4(partner_id) & 2147483647, %s) = 0",
                SQL.identifier(CUSTOMER_TABLE), step)
            if step > 1 else SQL.identifier(CUSTOMER_TABLE),
            order=SQL("partner_id"))

    def _recent_fit(self, company, as_of, customer_count, last):
        """The company's last fit, if the run for ``as_of`` can apply its estimates
        instead of fitting again: made on the same basis at most ``REFIT_DAYS`` before,
        on about as many customers (``REFIT_SHARE``). The estimates describe how the
        company's customers buy and spend, which a few days of orders hardly move;
        the customers' figures, and so their predictions, are today's all the same.

        :param last: the company's last fitted ``crm.clv.model`` (empty if none)
        :return: ``last``, or None to fit again
        """
        if not (last.fitted_as_of and last.orders_basis == self._orders_basis(company)
                and last.fitted_as_of <= as_of
                < fields.Date.add(last.fitted_as_of, days=REFIT_DAYS)):
            return None
        # the customers of the fit itself (the run of its date)
        fit = self.env["crm.clv.model"].search(
            [("company_id", "=", company.id), ("state", "=", "fitted"),
             ("as_of", "=", last.fitted_as_of), ("fitted_as_of", "=", last.fitted_as_of)],
            order="id desc", limit=1)
        if not fit or abs(customer_count - fit.customer_count) \
                > REFIT_SHARE * fit.customer_count:
            return None
        return last

    def _fit(self, company, data, last):
        """Fit the purchase model (BG/NBD or modified BG/NBD, chosen by fit: see
        ``_choose_purchase_model``) and Gamma-Gamma on the customers' figures, from the
        company's last estimates (a day later they have hardly moved).

        :param last: the company's last fitted ``crm.clv.model`` (empty if none)
        :return: the purchase model's and Gamma-Gamma's ``FitResult`` (the latter None
            when it does not converge), or None when the purchase model does not
        """
        starts = {last.model_kind: (last.bgnbd_r, last.bgnbd_alpha, last.bgnbd_a,
                                    last.bgnbd_b)} if last else {}
        column = dict(zip(FIT_COLUMNS, data.T, strict=True))
        try:
            purchases = self._choose_purchase_model(data, starts)
            if starts and not (purchases and purchases.success and _sane(purchases.params)):
                # the last estimates can be a poor start (a fit of other days' orders)
                purchases = self._choose_purchase_model(data)
            gamma_gamma = clv_fit.fit_gamma_gamma(
                column["x"], column["m_x"],
                (last.gg_p, last.gg_q, last.gg_gamma) if last.gg_p else None)
        except (ValueError, FloatingPointError, ArithmeticError) as error:
            _logger.warning("Customer value models not fitted: %s", error)
            return None
        if not (purchases and purchases.success and _sane(purchases.params)):
            return None
        if not (gamma_gamma and gamma_gamma.success and _sane(gamma_gamma.params)):
            gamma_gamma = None
        return purchases, gamma_gamma

    def _customer_scores(self, company, column, p_alive=None, clv=None):
        """What the run computes in memory for the whole company, as arrays in the
        order of the partners: partner ids, the customers' figures (``column``: see
        ``FIGURE_COLUMNS``), RFM scores, value before the customer in the order of
        value, and the predictions (NaN when the models are not fitted); and the
        total value and the limits of high current and predicted value (the
        company's percentiles)."""
        ids, monetary = column["partner_id"], column["monetary"]
        recency = column["age"] - column["t_x"]  # days since the last purchase
        r_score, f_score, m_score, before, total = value_labels.rfm_scores(
            ids, recency, column["frequency"], monetary)
        missing = np.full(len(ids), np.nan)
        predicted = clv[~np.isnan(clv)] if clv is not None else missing[:0]
        return {
            "ids": ids.astype(np.int64),
            # the customers' figures the labels are computed from
            "x": column["x"],
            "t_x": column["t_x"],
            "age": column["age"],
            "recency": recency,
            "frequency": column["frequency"],
            "monetary": monetary,
            "r_score": r_score,
            "f_score": f_score,
            "m_score": m_score,
            "value_before": before,
            "p_alive": missing if p_alive is None else p_alive,
            "clv": missing if clv is None else clv,
            "value_total": total,
            # PERCENTILE_CONT: linear between the two nearest values
            "historic_limit": float(np.percentile(
                monetary, company.crm_quadrant_historic_percentile)),
            "predicted_limit": float(np.percentile(
                predicted, company.crm_quadrant_predicted_percentile))
            if predicted.size else None,
        }

    @staticmethod
    def _range_scores(scores, at, chunk):
        """The scores of the customers of one range (``chunk``: the rows of
        ``RANGE_COLUMNS`` of the customers from position ``at`` in ``scores``), with
        what their value rows held."""
        column = dict(zip(RANGE_COLUMNS, chunk.T, strict=True))
        part = slice(at, at + len(chunk))
        ids = scores["ids"][part]
        if not np.array_equal(ids, column["partner_id"]):
            raise ValueError("The customers' figures and value rows were read apart.")
        return {
            **{name: value[part] if isinstance(value, np.ndarray) else value
               for name, value in scores.items()},
            "spend_fell": column["spend_fell::integer"] > 0,
            "touched": column["touched::integer"] > 0,
            "old": {
                "scored": column["scored::integer"] > 0,
                "key": column["COALESCE(old_key, -1)"].astype(np.int64),
                "clv": column["old_clv"],
                "alerted": column["alerted::integer"] > 0,
                "manual_stage": column["(manual_stage IS NOT NULL)::integer"] > 0,
            },
        }

    def _choose_purchase_model(self, data, starts=None):
        """The purchase model of the company, chosen by fit: both models are fitted on
        the history up to ``HOLDOUT_DAYS`` before the analysis and the one predicting
        the purchases of those last days best per customer wins (log-likelihood when
        the earlier history has too few repeat customers); the winner is then fitted
        on the whole history.

        :param starts: the estimates each fit begins from, by kind (optional)
        :return: the ``FitResult`` of the chosen model on the whole history
        """
        starts = starts or {}
        column = dict(zip(FIT_COLUMNS, data.T, strict=True))
        x, t_x, age = column["x"], column["t_x"], column["age"]
        x_cal, t_x_cal, age_cal = column["x_cal"], column["t_x_cal"], column["age_cal"]
        x_holdout = column["x_holdout"]
        calibrated = ~np.isnan(age_cal)
        holdout = None
        if np.count_nonzero(x_cal[calibrated] > 0) >= MIN_REPEAT_CUSTOMERS:
            choice = clv_fit.choose_model(
                x_cal[calibrated], t_x_cal[calibrated], age_cal[calibrated],
                holdout=(HOLDOUT_DAYS, x_holdout[calibrated]), starts=starts)
            holdout = choice.kind
        if holdout:
            fit = PURCHASE_FITS[holdout](x, t_x, age, starts.get(holdout))
            if fit.success and _sane(fit.params):
                return fit
        choice = clv_fit.choose_model(x, t_x, age, starts=starts)
        return choice.fit or choice.fits["bgnbd"]

    def _external_signals(self, company):
        """The churn signals that come from outside the orders, into a small temporary
        table: the partners with open complaints in ``company``, overdue instalments,
        a detractor's last NPS answer (customers of the run or not: a few rows).

        :return: partner ids (sorted), number of open complaints, whether
            instalments are overdue, whether a detractor (arrays)
        """
        cr = self.env.cr
        cr.execute(SQL(
            """DROP TABLE IF EXISTS crm_analytics_external;
            CREATE TEMPORARY TABLE crm_analytics_external ON COMMIT DROP AS
            SELECT partner_id, SUM(complaints)::integer AS complaints,
                   SUM(receivables) AS receivables, bool_or(detractor) AS detractor
              FROM (SELECT c.commercial_partner_id AS partner_id, COUNT(*) AS complaints,
                           0::double precision AS receivables, FALSE AS detractor
                      FROM crm_complaint c
                      JOIN crm_complaint_stage stage ON stage.id = c.stage_id
                     WHERE c.company_id = %(company)s AND c.active
                       AND NOT COALESCE(stage.is_closed, FALSE)
                  GROUP BY c.commercial_partner_id
                 UNION ALL
                    SELECT plan.partner_id, 0, SUM(plan.amount_outstanding_company), FALSE
                      FROM crm_collection_plan plan
                     WHERE plan.company_id = %(company)s AND plan.state = 'overdue'
                  GROUP BY plan.partner_id
                 UNION ALL
                    SELECT id, 0, 0, TRUE FROM res_partner
                     WHERE crm_nps_category = 'detractor') AS signals
          GROUP BY partner_id;
            SELECT partner_id, complaints, receivables > 0, detractor
              FROM crm_analytics_external ORDER BY partner_id""",
            company=company.id,
        ))
        rows = cr.fetchall()
        if not rows:
            return (np.zeros(0, dtype=np.int64),) * 2 + (np.zeros(0, dtype=bool),) * 2
        ids, complaints, receivables, detractor = zip(*rows, strict=True)
        return (np.array(ids), np.array(complaints), np.array(receivables, dtype=bool),
                np.array(detractor, dtype=bool))

    def _compute_values(self, company, scores, everyone=False):
        """What the run writes, into a second temporary table: the scores and labels
        computed in memory (``_customer_scores``, ``value_labels.customer_labels``), the
        churn signals' figures, and what the value row held before the run (stage,
        tier, segment, quadrant, risk, manual corrections, whether a churn warning is
        under way).

        Only the customers whose row may change are in it (``value_labels.to_write``),
        or every customer with ``everyone`` (the monthly snapshot): from one day to the next,
        most customers' labels stay as they are, which the run tells in memory rather
        than by writing every customer to a table and comparing there."""
        external = self._external_signals(company)
        cr = self.env.cr
        # the numbers computed in memory, per customer written, into a temporary table
        # (as double precision, which holds each exactly: ids, scores, label codes,
        # bits; NaN where nothing is predicted); the statement below turns them into
        # the columns' types and the label codes into their values
        numbers = ("partner_id", "r_score", "f_score", "m_score", "p_alive",
                   "clv_predicted", *LABELS, "signals", "scores_key")
        cr.execute(SQL(
            """DROP TABLE IF EXISTS crm_analytics_scores;
            CREATE TEMPORARY TABLE crm_analytics_scores (%s) ON COMMIT DROP""",
            SQL(", ").join(SQL("%s double precision", SQL.identifier(name))
                           for name in numbers)))
        if scores:
            # the customers by range of partners, as read: the labels, the key and
            # the rows to write of one range are done before the next one is read
            # (the company's settings read before: the connection is busy meanwhile)
            settings = company.sudo().read(list(LABEL_SETTINGS))[0]
            done = 0

            def score_range(chunk):
                nonlocal done
                part = self._range_scores(scores, done, chunk)
                done += len(chunk)
                labels = value_labels.customer_labels(settings, part, external)
                key = value_labels.scores_key(part, labels)
                rows = None if everyone else np.flatnonzero(
                    value_labels.to_write(part, labels, key))
                values = {"partner_id": part["ids"], "clv_predicted": part["clv"],
                          "scores_key": key, **labels, **{name: part[name] for name in (
                              "r_score", "f_score", "m_score", "p_alive")}}
                spool.add([values[name] for name in numbers], rows)

            with NumberRows(len(numbers)) as spool:
                read_numbers_in_chunks(cr, [SQL(column) for column in RANGE_COLUMNS],
                                       SQL.identifier(CUSTOMER_TABLE), SQL("partner_id"),
                                       score_range)
                if done != len(scores["ids"]):
                    raise ValueError("The customers' value rows were not all read.")
                spool.copy_into(cr, SQL.identifier("crm_analytics_scores"))
        # (a label's code is 1 + its index: code 0, none, is out of the array, NULL)
        codes = SQL(", ").join(
            SQL("(%s::varchar[])[u.%s::integer] AS %s", names, SQL.identifier(label),
                SQL.identifier(label))
            for label, names in LABELS.items())
        cr.execute(SQL(
            """DROP TABLE IF EXISTS %(table)s;
            CREATE TEMPORARY TABLE %(table)s ON COMMIT DROP AS
            SELECT c.partner_id, c.value_id, c.recency_days, c.frequency, c.monetary,
                   c.first_day, c.last_day, c.x, c.t_x, c.old_segment, c.old_quadrant,
                   c.old_risk, c.manual_tier, c.manual_stage,
                   u.r_score, u.f_score, u.m_score, u.segment, u.tier, u.p_alive,
                   u.clv_predicted, c.old_stage, c.old_tier, c.alerted,
                   u.stage, u.quadrant, u.risk,
                   CASE WHEN u.signals > 0 THEN %(signals_json)s END AS signals,
                   u.scores_key,
                   c.orders_amount, c.orders_spend, c.orders_first_spend,
                   c.orders_recent_spend, c.orders_previous_spend, c.orders_holdout_days,
                   c.orders_calibration_last_date
              FROM (SELECT u.partner_id::integer AS partner_id,
                           u.r_score::integer AS r_score, u.f_score::integer AS f_score,
                           u.m_score::integer AS m_score,
                           NULLIF(u.p_alive, 'NaN') AS p_alive,
                           -- (a double precision becomes a numeric of its 15
                           -- significant digits: the amount rounded to the cent)
                           ROUND(NULLIF(u.clv_predicted, 'NaN')::numeric, 2)
                               AS clv_predicted,
                           %(codes)s, u.signals::integer AS signals,
                           u.scores_key::integer AS scores_key
                      FROM crm_analytics_scores u) AS u
              JOIN %(customers)s c ON c.partner_id = u.partner_id
         LEFT JOIN crm_analytics_external e ON e.partner_id = u.partner_id""",
            table=SQL.identifier(WORK_TABLE),
            customers=SQL.identifier(CUSTOMER_TABLE),
            codes=codes,
            signals_json=self._signals_sql(),
        ))

    def _signals_sql(self):
        """The churn signals of the customer ``u`` (bits, see ``SIGNAL_BITS``) and
        their figures (from the customer's ``c`` and the external signals' ``e``), as
        a JSON object: rendered in the reader's language when read
        (``crm.customer.value.churn_reasons``). Figures that change every day (days
        since the last order, probability alive) are not stored: the reader sees
        today's."""
        def has(name):
            return SQL("u.signals & %s > 0", SIGNAL_BITS[name])

        return SQL(
            """NULLIF(jsonb_strip_nulls(jsonb_build_object(
                'alive', CASE WHEN %(alive)s THEN TRUE END,
                'overdue', CASE WHEN %(overdue)s AND c.x > 0
                                THEN ROUND(c.t_x::numeric / c.x, 1) END,
                'silent', CASE WHEN %(overdue)s AND c.x = 0 THEN TRUE END,
                'spend', CASE WHEN %(spend)s THEN jsonb_build_array(
                    ROUND(c.orders_recent_spend, 2),
                    ROUND(c.orders_previous_spend, 2)) END,
                'complaints', CASE WHEN %(complaints)s THEN e.complaints END,
                'detractor', CASE WHEN %(detractor)s THEN TRUE END,
                'receivables', CASE WHEN %(receivables)s
                                    THEN ROUND(e.receivables::numeric, 2) END
            )), '{}'::jsonb)""",
            **{name: has(name) for name in SIGNAL_BITS},
        )

    def _write_values(self, company, as_of, model, carried=False):
        """Write the company's value rows in three statements on the narrow value
        table (never on the partners): the customers of the run, inserted or updated
        only where a score changed; the rows of those who no longer have an order
        cleared (prospects if they have an open lead); a row for the other partners
        with an open lead, as prospects. A manager's tier or stage wins over the
        computed one. With figures ``carried`` from the previous run, the customers
        of that run are all in this one but those counted again: only those, and the
        rows without scores, can have lost their orders or changed prospect status.

        :return: ids of the partners whose effective tier or stage changed
        """
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
            """SELECT partner_id FROM %(table)s
                WHERE old_tier IS DISTINCT FROM COALESCE(manual_tier, tier)
                   OR old_stage IS DISTINCT FROM COALESCE(manual_stage, stage)""",
            table=table,
        ))
        moved = [row[0] for row in cr.fetchall()]
        # a customer's new scores, in the columns' order; only the customers whose
        # scores differ from those stored go to the upsert (a hash join: unchanged rows,
        # most of them from one day to the next, cost no index probe nor row version).
        # Amounts are compared as the exact numerics they are stored as (the order
        # sums, the predicted value as sent): no conversion from floating point, which
        # goes through text, for each of the customers
        columns = ("first_purchase_date", "last_purchase_date", "repeat_purchase_days",
                   "repeat_span_days", "rfm_frequency", "rfm_monetary", "rfm_r_score",
                   "rfm_f_score", "rfm_m_score", "rfm_segment", "value_quadrant",
                   "engine_customer_tier", "engine_lifecycle_stage", "churn_risk",
                   "churn_signals", "scores_key", *ORDER_STATE_FIELDS)
        scores = SQL("""v.first_day, v.last_day, v.x, v.t_x, v.frequency,
                        ROUND(v.orders_amount, 2), v.r_score, v.f_score, v.m_score,
                        v.segment, v.quadrant, v.tier, v.stage, v.risk, v.signals,
                        v.scores_key, %s""", SQL(", ").join(SQL.identifier("v", name)
                                             for name in ORDER_STATE_FIELDS))
        cr.execute(SQL(
            """INSERT INTO crm_customer_value AS cv (
                   company_id, partner_id, value_date, %(columns)s,
                   clv_historic, clv_predicted, customer_tier, lifecycle_stage)
            SELECT %(company)s, v.partner_id, %(as_of)s, %(scores)s,
                   ROUND(v.orders_amount, 2), v.clv_predicted,
                   COALESCE(v.manual_tier, v.tier), COALESCE(v.manual_stage, v.stage)
              FROM %(table)s v
         LEFT JOIN crm_customer_value old ON old.id = v.value_id
             WHERE old.id IS NULL
                OR (%(old_columns)s, old.clv_predicted IS NULL)
                   IS DISTINCT FROM (%(scores)s, v.clv_predicted IS NULL)
                OR ABS(old.clv_predicted - v.clv_predicted)
                   > %(share)s * GREATEST(ABS(old.clv_predicted), 1)
            ON CONFLICT (company_id, partner_id) DO UPDATE SET
                   value_date = EXCLUDED.value_date,
                   %(updates)s,
                   clv_historic = EXCLUDED.clv_historic,
                   clv_predicted = EXCLUDED.clv_predicted,
                   customer_tier = COALESCE(cv.manual_customer_tier,
                                            EXCLUDED.engine_customer_tier),
                   lifecycle_stage = COALESCE(cv.manual_lifecycle_stage,
                                              EXCLUDED.engine_lifecycle_stage),
                   churn_alert_date = CASE WHEN EXCLUDED.churn_risk = 'low' THEN NULL
                                           ELSE cv.churn_alert_date END
            RETURNING cv.partner_id""",
            columns=SQL(", ").join(map(SQL.identifier, columns)),
            old_columns=SQL(", ").join(SQL.identifier("old", name) for name in columns),
            updates=SQL(", ").join(
                SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name))
                for name in columns),
            scores=scores, company=company.id, as_of=as_of, table=table,
            share=CLV_REFRESH_SHARE,
        ))
        changed = cr.rowcount
        # customers of this company who no longer have an order: scores cleared
        cr.execute(SQL(
            """UPDATE crm_customer_value cv
                  SET value_date = NULL, first_purchase_date = NULL,
                      last_purchase_date = NULL, repeat_purchase_days = NULL,
                      repeat_span_days = NULL, rfm_frequency = NULL, rfm_monetary = NULL,
                      rfm_r_score = NULL, rfm_f_score = NULL, rfm_m_score = NULL,
                      rfm_segment = NULL, clv_historic = NULL, clv_predicted = NULL,
                      value_quadrant = NULL, churn_risk = NULL, churn_signals = NULL,
                      scores_key = NULL,
                      churn_alert_date = NULL, engine_customer_tier = NULL,
                      %(carried)s,
                      customer_tier = cv.manual_customer_tier,
                      engine_lifecycle_stage = stage.new,
                      lifecycle_stage = COALESCE(cv.manual_lifecycle_stage, stage.new)
                 FROM (SELECT old.id, old.customer_tier, old.lifecycle_stage,
                              CASE WHEN old.partner_id IN (%(leads)s)
                                   THEN 'prospect' END AS new
                         FROM crm_customer_value old
                        WHERE old.company_id = %(company)s
                          -- a hashed subplan whatever the planner guesses of
                          -- the company's rows (none, before its first analyze)
                          AND old.partner_id NOT IN (SELECT c.partner_id
                                                       FROM %(customers)s c
                                                      WHERE %(customers_of)s)
                          AND %(candidates)s) AS stage
                WHERE cv.id = stage.id
                  AND (cv.value_date IS NOT NULL
                       OR cv.engine_lifecycle_stage IS DISTINCT FROM stage.new)
            RETURNING cv.partner_id,
                      stage.customer_tier IS DISTINCT FROM cv.customer_tier
                      OR stage.lifecycle_stage IS DISTINCT FROM cv.lifecycle_stage""",
            leads=leads, company=company.id,
            customers=SQL.identifier(CUSTOMER_TABLE),
            candidates=SQL(
                """(old.value_date IS NULL
                    OR old.partner_id IN (SELECT partner_id FROM crm_analytics_recount))"""
            ) if carried else SQL("TRUE"),
            # (of the candidates, only those counted again or without scores before
            # can be among the run's customers)
            customers_of=SQL("c.touched OR NOT c.scored") if carried else SQL("TRUE"),
            carried=SQL(", ").join(SQL("%s = NULL", SQL.identifier(name))
                                   for name in ORDER_STATE_FIELDS),
        ))
        cleared = cr.fetchall()
        changed += len(cleared)
        moved += [partner_id for partner_id, differs in cleared if differs]
        # partners with an open lead and no value yet: prospects
        cr.execute(SQL(
            """INSERT INTO crm_customer_value AS cv (
                   company_id, partner_id, engine_lifecycle_stage, lifecycle_stage)
            SELECT %(company)s, lead.commercial_partner_id, 'prospect',
                   'prospect'
              FROM (%(leads)s) AS lead
             WHERE NOT EXISTS (SELECT 1 FROM crm_customer_value old
                                WHERE old.company_id = %(company)s
                                  AND old.partner_id = lead.commercial_partner_id)
            ON CONFLICT (company_id, partner_id) DO NOTHING
            RETURNING cv.partner_id""",
            company=company.id, leads=leads,
        ))
        prospects = [row[0] for row in cr.fetchall()]
        model.changed_count = changed + len(prospects)
        self.env["crm.customer.value"].invalidate_model()
        return moved + prospects

    def _notify_dependents(self, company, partner_ids):
        """Let what depends on the customers' tier or stage in ``company`` (SLA
        policies of open complaints...) recompute, and the partners read their new
        value."""
        partners = self.env["res.partner"].with_company(company)
        # what the partners read of their value (computed from the rows, cached)
        partners.invalidate_model([
            name for name, field in partners._fields.items()
            if field.compute in ("_compute_crm_value", "_compute_crm_tier_stage")])
        # (the host's bookkeeping of what to recompute takes some 200 bytes per
        # partner: by ranges, on a first run of millions of customers)
        for start in range(0, len(partner_ids), NOTIFY_CHUNK):
            partners.browse(partner_ids[start:start + NOTIFY_CHUNK]).modified(
                ["customer_tier", "lifecycle_stage"])
            self.env.flush_all()
        # the customer pools' recall rules per tier
        if partner_ids and self.env["crm.customer.pool.rule"].sudo().search_count(
                [("company_id", "=", company.id), ("customer_tier", "!=", False)], limit=1):
            self.env["res.partner"].sudo()._crm_refresh_recall(partner_ids=partner_ids)

    def _snapshot_due(self, company, as_of):
        """Whether the run for ``as_of`` is the first of its month (in the company's
        days): it records the monthly snapshot of every customer in the history."""
        cr = self.env.cr
        cr.execute(SQL(
            """SELECT 1 FROM crm_customer_value_history
                WHERE company_id = %s AND is_snapshot AND as_of >= %s AND as_of <= %s
                LIMIT 1""",
            company.id, as_of.replace(day=1), as_of,
        ))
        return not cr.fetchone()

    def _insert_history(self, company, as_of, snapshot=False):
        """A history row per customer of this run whose tier, stage, RFM segment,
        value quadrant or churn risk changed, with its stage before and after (the
        transitions); with ``snapshot`` (the first run of a month), every customer
        instead, the monthly snapshot of the value-over-time chart."""
        cr = self.env.cr
        changed = SQL(
            """(v.old_tier, v.old_stage, v.old_segment, v.old_quadrant, v.old_risk)
               IS DISTINCT FROM (COALESCE(v.manual_tier, v.tier),
                                 COALESCE(v.manual_stage, v.stage),
                                 v.segment, v.quadrant, v.risk)""")
        cr.execute(SQL(
            """INSERT INTO crm_customer_value_history (
                   partner_id, company_id, run_date, as_of,
                   rfm_r_score, rfm_f_score, rfm_m_score, rfm_segment, clv_historic,
                   clv_predicted, probability_alive, customer_tier, lifecycle_stage,
                   previous_lifecycle_stage, lifecycle_changed, value_quadrant, churn_risk,
                   is_snapshot)
            SELECT partner_id, %(company)s, %(now)s, %(as_of)s,
                   r_score, f_score, m_score, segment, ROUND(orders_amount, 2),
                   clv_predicted, p_alive, COALESCE(manual_tier, tier),
                   COALESCE(manual_stage, stage), old_stage,
                   old_stage IS DISTINCT FROM COALESCE(manual_stage, stage), quadrant, risk,
                   %(snapshot)s
              FROM %(table)s v
             WHERE %(snapshot)s OR %(changed)s""",
            company=company.id, now=fields.Datetime.now(), as_of=as_of,
            table=SQL.identifier(WORK_TABLE), snapshot=snapshot, changed=changed,
        ))
        self.env["crm.customer.value.history"].invalidate_model()
        self.env["res.partner"].invalidate_model(["value_history_ids"])

    # ------------------------------------------------------------------ churn warning

    def _alert_churn(self, company, as_of, model):
        """A retention activity for each customer whose risk rose to high and has no
        warning under way in this company (one per episode: the episode ends when the
        risk is back to low), for its salesperson or the company's default CRM
        responsible, written in the assignee's language. Customers already churned get
        none: the warning is for those who can still be kept.

        An assignee gets at most ``crm_churn_warning_limit`` warnings a day, the most
        valuable customers first (predicted, then historic value): the others wait,
        without a warning date, and are warned on the next days while their risk stays
        high. A first computation over years of orders thus gives each salesperson a
        list to work through rather than thousands of activities at once.

        The run's ``model`` counts the activities, the customers waiting for a later
        day, and the customers nobody could be warned about (neither salesperson nor
        default responsible): their episode starts only once someone can be warned,
        so the next run after a salesperson or a default responsible is set warns
        them."""
        cr = self.env.cr
        fallback = company.crm_fallback_user_id
        fallback_id = fallback.id if fallback.active and not fallback.share else None
        # the assignee of a customer's warning: its salesperson if an active employee
        # (a join, computed once per customer), else the company's default CRM
        # responsible
        salesperson = SQL(
            """JOIN res_partner p ON p.id = %s.partner_id
          LEFT JOIN res_users salesperson
                    ON salesperson.id = p.user_id AND salesperson.active
                       AND NOT salesperson.share""", SQL.identifier("v"))
        assignee = SQL("COALESCE(salesperson.id, %s::integer)", fallback_id)
        cr.execute(SQL(
            """WITH due AS (
                SELECT v.partner_id, %(assignee)s AS user_id,
                       v.clv_predicted, v.monetary
                  FROM %(table)s v
                  %(salesperson)s
                 WHERE v.risk = 'high' AND NOT COALESCE(v.alerted, FALSE)
                   AND COALESCE(v.manual_stage, v.stage) != 'churned'
            ),
            given AS (
                SELECT %(assignee)s AS user_id, COUNT(*) AS count
                  FROM crm_customer_value v
                  %(salesperson)s
                 WHERE v.company_id = %(company)s AND v.churn_alert_date = %(as_of)s
              GROUP BY 1
            )
            SELECT due.partner_id, due.user_id,
                   due.user_id IS NOT NULL
                   AND ROW_NUMBER() OVER (
                       PARTITION BY due.user_id
                       ORDER BY due.clv_predicted DESC NULLS LAST, due.monetary DESC,
                                due.partner_id)
                       + COALESCE(given.count, 0) <= %(limit)s
              FROM due
         LEFT JOIN given ON given.user_id = due.user_id""",
            assignee=assignee, salesperson=salesperson, table=SQL.identifier(WORK_TABLE),
            company=company.id,
            as_of=as_of, limit=company.crm_churn_warning_limit,
        ))
        rows = cr.fetchall()
        assigned = [(partner_id, user_id) for partner_id, user_id, today in rows if today]
        model.write({
            "churn_warning_count": len(assigned),
            "churn_unwarned_count": sum(1 for _pid, user_id, _today in rows if not user_id),
            "churn_deferred_count": sum(1 for _pid, user_id, today in rows
                                        if user_id and not today),
        })
        if not assigned:
            return
        partner_ids = [partner_id for partner_id, _user_id in assigned]
        cr.execute(SQL(
            """UPDATE crm_customer_value SET churn_alert_date = %s
                WHERE company_id = %s AND partner_id = ANY(%s)
            RETURNING partner_id, id""",
            as_of, company.id, partner_ids,
        ))
        Value = self.env["crm.customer.value"]
        Value.invalidate_model(["churn_alert_date"])
        rows = cr.fetchall()
        warned = Value.browse([value_id for _partner_id, value_id in rows])
        # what the reasons read, computed for all of them at once
        warned.mapped(lambda value: (value.probability_alive, value.rfm_recency_days))
        values = dict(zip([partner_id for partner_id, _id in rows], warned, strict=True))
        activity_type = self.env.ref("mail.mail_activity_data_todo")
        res_model = self.env["ir.model"]._get_id("res.partner")
        today = company._crm_today()
        by_user = defaultdict(list)
        for partner_id, user_id in assigned:
            by_user[user_id].append(partner_id)
        langs = {user.id: user.lang for user in self.env["res.users"].browse(list(by_user))}
        activities = []
        for user_id, user_partners in by_user.items():
            # in the assignee's language, amounts in the company's currency
            env = self.with_context(lang=langs.get(user_id) or "en_US").env
            summary = env._("Retention: customer at high churn risk")
            heading = env._("Churn risk rose to high. Signals:")
            for partner_id in user_partners:
                lines = values[partner_id].with_env(env)._churn_reason_lines()
                activities.append({
                    "res_model_id": res_model,
                    "res_id": partner_id,
                    "activity_type_id": activity_type.id,
                    "user_id": user_id,
                    "summary": summary,
                    "note": Markup("<p>%s</p><ul>%s</ul>") % (
                        heading,
                        Markup().join(Markup("<li>%s</li>") % line for line in lines),
                    ),
                    "date_deadline": today,
                })
        # the activities store their customer's name: read the names at once, not one
        # query per activity
        self.env["res.partner"].browse(partner_ids).mapped("display_name")
        # one batch; the assignees see them in their activities (no email each)
        self.env["mail.activity"].with_context(
            mail_activity_quick_update=True).create(activities)
        self.env.flush_all()
