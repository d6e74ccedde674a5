from odoo import api, fields, models
from odoo.tools import SQL


class CrmRetentionReport(models.Model):
    """Retention by first-purchase cohort: the customers who first bought in a month
    (the cohort), and how many of them bought again in each following month.

    One row per company, cohort month, months since the first purchase and the
    customers' salesperson, up to the current month. *Customers* is the size of the
    cohort, *active* the customers of the cohort with a confirmed order in that
    month, and *retention* = active / customers (100 % in month 0). A customer is a
    commercial partner; an order counts on the UTC month of its order date.

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
        string="Months Since First Purchase", readonly=True, aggregator=False)
    date = fields.Date(string="Month", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    customer_count = fields.Integer(
        string="Customers", readonly=True, help="Customers of the cohort.")
    active_count = fields.Integer(
        string="Active Customers", readonly=True,
        help="Customers of the cohort with a confirmed order in the month.")
    retention_rate = fields.Float(
        string="Retention (%)", readonly=True, aggregator="avg",
        help="Active customers out of the customers of the cohort.")

    @api.model
    def _report_rates(self):
        return {"retention_rate": ("active_count", "customer_count", 100)}

    def _select(self):
        return SQL(
            """
            ROW_NUMBER() OVER (ORDER BY cohort.company_id, cohort.month, period.idx,
                               customer.user_id) AS id,
            cohort.month AS cohort_date,
            period.idx AS month_index,
            (cohort.month + make_interval(months => period.idx))::date AS date,
            customer.user_id,
            cohort.company_id,
            COUNT(*) AS customer_count,
            COUNT(active.partner_id) AS active_count
            """
        )

    def _months_query(self):
        """Months with a confirmed order, per customer and company."""
        return SQL(
            """
            SELECT DISTINCT partner.commercial_partner_id AS partner_id,
                   so.company_id,
                   date_trunc('month', so.date_order)::date AS month
              FROM sale_order so
              JOIN res_partner partner ON partner.id = so.partner_id
             WHERE so.state = 'sale'
            """
        )

    def _from(self):
        months = self._months_query()
        return SQL(
            """
            (SELECT partner_id, company_id, MIN(month) AS month
               FROM (%(months)s) AS bought
              GROUP BY partner_id, company_id) AS cohort
            JOIN res_partner customer ON customer.id = cohort.partner_id
            CROSS JOIN LATERAL generate_series(
                0,
                ((EXTRACT(YEAR FROM age(date_trunc('month', now()), cohort.month)) * 12
                  + EXTRACT(MONTH FROM age(date_trunc('month', now()), cohort.month)))::int)
            ) AS period(idx)
            LEFT JOIN (%(months)s) AS active
                   ON active.partner_id = cohort.partner_id
                  AND active.company_id = cohort.company_id
                  AND active.month = cohort.month + make_interval(months => period.idx)
            """,
            months=months,
        )

    def _where(self):
        return SQL("TRUE")

    def _group_by(self):
        return SQL("cohort.company_id, cohort.month, period.idx, customer.user_id")
