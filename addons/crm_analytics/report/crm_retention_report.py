from odoo import api, fields, models
from odoo.tools import SQL

# the months since the first purchase are labelled up to this many months beyond the
# span of the orders (their months in the companies' time zones may be one month off
# their UTC months at each end)
MONTH_MARGIN = 2


class CrmRetentionReport(models.Model):
    """Retention by first-purchase cohort: the customers who first bought in a month
    (the cohort), and how many of them bought again in each following month.

    One row per company, cohort month, months since the first purchase and the
    customers' salesperson, up to the company's current month. *Customers* is the
    size of the cohort (on every row, the denominator of the rate), *cohort size* the
    same counted once, in month 0 (so that the total of a cohort is its size),
    *active* the customers of the cohort with a confirmed order in that month, and
    *retention* = active / customers (100 % in month 0). A customer is a commercial
    partner; an order counts in the company's month of its order date, in the
    company's time zone (an order at 07:00 on 1 March in Shanghai, stored as 23:00
    UTC on 28 February, is an order of March), and "now" is the company's today.

    The query is built from ``_select``, ``_from``, ``_where`` and ``_group_by``.
    """

    _name = "crm.retention.report"
    _inherit = ["crm.report.rates.mixin"]
    _description = "Customer Retention by Cohort"
    _auto = False
    _order = "cohort_date desc, month_index, id"
    _rec_name = "cohort_date"

    cohort_date = fields.Date(string="First Purchase Month", readonly=True)
    month_index = fields.Integer(
        string="Month Number", readonly=True, aggregator=False,
        help="Months since the first purchase, as a number: 0 is the month of the first "
        "purchase.")
    # what the pivot's columns and the graph's axis read: "Month 0 (First Purchase)",
    # "Month 1", ... (a number alone says nothing of what it counts)
    month_period = fields.Selection(
        selection="_selection_month_period", string="Months Since First Purchase",
        readonly=True,
        help="Months since the month of the first purchase: month 0 is that month.")
    date = fields.Date(string="Month", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customer_count = fields.Integer(
        string="Customers", readonly=True, help="Customers of the cohort.")
    cohort_size = fields.Integer(
        readonly=True,
        help="Customers of the cohort, counted once: in month 0 (the month of their first "
        "purchase), so that the total of a cohort is its number of customers.")
    active_count = fields.Integer(
        string="Active Customers", readonly=True,
        help="Customers of the cohort with a confirmed order in the month.")
    retention_rate = fields.Float(
        string="Retention (%)", readonly=True, aggregator="avg",
        help="Active customers out of the customers of the cohort.")

    @api.model
    def _report_rates(self):
        return {"retention_rate": ("active_count", "customer_count", 100)}

    @api.model
    def _selection_month_period(self):
        """``[("000", "Month 0 (First Purchase)"), ("001", "Month 1"), ...]``, up to
        the months the confirmed orders span: the keys sort as the months do."""
        self.env.cr.execute(SQL("SELECT MIN(date_order) FROM sale_order WHERE state = 'sale'"))
        first = self.env.cr.fetchone()[0]
        now = fields.Datetime.now()
        months = (now.year - first.year) * 12 + now.month - first.month if first else 0
        return [
            (f"{index:03d}",
             self.env._("Month %(number)s", number=index) if index
             else self.env._("Month 0 (First Purchase)"))
            for index in range(months + MONTH_MARGIN + 1)
        ]

    def _select(self):
        return SQL(
            """
            ROW_NUMBER() OVER (ORDER BY cohort.company_id, cohort.month, period.idx,
                               customer.user_id) AS id,
            cohort.month AS cohort_date,
            period.idx AS month_index,
            lpad(period.idx::text, 3, '0') AS month_period,
            (cohort.month + make_interval(months => period.idx))::date AS date,
            customer.user_id,
            cohort.company_id,
            COUNT(*) AS customer_count,
            CASE WHEN period.idx = 0 THEN COUNT(*) END AS cohort_size,
            COUNT(active.partner_id) AS active_count
            """
        )

    def _months_query(self):
        """Months with a confirmed order, per customer and company: the company's
        months, in its time zone."""
        return SQL(
            """
            SELECT DISTINCT partner.commercial_partner_id AS partner_id,
                   so.company_id,
                   date_trunc('month', (%(order_day)s)::timestamp)::date AS month
              FROM sale_order so
              JOIN res_partner partner ON partner.id = so.partner_id
             WHERE so.state = 'sale'
            """,
            order_day=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("so.date_order"), SQL("so.company_id")),
        )

    def _from(self):
        months = self._months_query()
        # the company's current month, in its time zone
        this_month = SQL(
            "date_trunc('month', (%s)::timestamp)",
            self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("(now() AT TIME ZONE 'UTC')"), SQL("cohort.company_id")),
        )
        return SQL(
            """
            (SELECT partner_id, company_id, MIN(month) AS month
               FROM (%(months)s) AS bought
              GROUP BY partner_id, company_id) AS cohort
            JOIN res_partner customer ON customer.id = cohort.partner_id
            CROSS JOIN LATERAL generate_series(
                0,
                ((EXTRACT(YEAR FROM age(%(this_month)s, cohort.month)) * 12
                  + EXTRACT(MONTH FROM age(%(this_month)s, cohort.month)))::int)
            ) AS period(idx)
            LEFT JOIN (%(months)s) AS active
                   ON active.partner_id = cohort.partner_id
                  AND active.company_id = cohort.company_id
                  AND active.month = cohort.month + make_interval(months => period.idx)
            """,
            months=months, this_month=this_month,
        )

    def _where(self):
        return SQL("TRUE")

    def _group_by(self):
        return SQL("cohort.company_id, cohort.month, period.idx, customer.user_id")
