from odoo import fields, models
from odoo.tools import SQL

FIGURES = [("planned", "Planned Instalments"), ("collected", "Collected")]
AGEING = [
    ("0_30", "0-30 Days"),
    ("31_60", "31-60 Days"),
    ("61_90", "61-90 Days"),
    ("90_plus", "Over 90 Days"),
]


class CrmCollectionReport(models.Model):
    """Collections (回款) in company currency: what was planned by instalment date
    against what was collected by payment date, the outstanding amounts with their
    ageing, and what is still to collect in the coming months."""

    _name = "crm.collection.report"
    _description = "Collections Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "order_id"

    date = fields.Date(readonly=True, help="The instalment's planned date, or the payment's.")
    order_id = fields.Many2one("sale.order", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    planned_amount = fields.Monetary(
        string="Planned", readonly=True,
        help="Instalments of the payment plans, on their planned dates.",
    )
    collected_amount = fields.Monetary(
        string="Collected", readonly=True,
        help="Payments collected on the orders, on their dates (refunds paid back count "
        "against).",
    )
    outstanding_amount = fields.Monetary(
        string="Outstanding", readonly=True,
        help="What is left to collect of the instalments, on their planned dates.",
    )
    overdue_amount = fields.Monetary(
        string="Overdue", readonly=True,
        help="Outstanding on the instalments past their date, in the company's days.",
    )
    figure = fields.Selection(
        FIGURES, readonly=True,
        help="What the amount is: group the graph by it to see planned and collected side "
        "by side.",
    )
    amount = fields.Monetary(readonly=True, help="The amount of the figure.")
    days_overdue = fields.Integer(readonly=True, aggregator="max")
    ageing = fields.Selection(AGEING, readonly=True,
                              help="How long the overdue instalments are past their date.")

    @property
    def _table_query(self):
        # Both sides of the UNION ALL give each column the very same type: PostgreSQL
        # then flattens it into the query that reads the view, and computes only the
        # columns that query uses (a grouping by month never evaluates the ageing).
        Company = self.env["res.company"]
        today = Company._crm_local_date_sql_by_company(
            SQL("now() AT TIME ZONE 'UTC'"), SQL("plan.company_id"))
        return SQL(
            """
            SELECT facts.*
              FROM (
                SELECT plan.id * 2 AS id, plan.date_planned AS date, plan.order_id,
                       plan.partner_id, plan.user_id, plan.team_id, plan.company_id,
                       plan.amount_company::float8 AS planned_amount,
                       0::float8 AS collected_amount,
                       plan.amount_outstanding_company::float8 AS outstanding_amount,
                       CASE WHEN plan.state = 'overdue'
                            THEN plan.amount_outstanding_company
                            ELSE 0 END::float8 AS overdue_amount,
                       CASE WHEN plan.state = 'overdue'
                            THEN (%(today)s) - plan.date_planned ELSE 0 END::int4
                            AS days_overdue,
                       CASE WHEN plan.state != 'overdue' THEN NULL
                            WHEN (%(today)s) - plan.date_planned <= 30 THEN '0_30'
                            WHEN (%(today)s) - plan.date_planned <= 60 THEN '31_60'
                            WHEN (%(today)s) - plan.date_planned <= 90 THEN '61_90'
                            ELSE '90_plus' END::varchar AS ageing,
                       'planned'::varchar AS figure,
                       plan.amount_company::float8 AS amount
                  FROM crm_collection_plan plan
                 WHERE plan.state != 'cancelled'
                UNION ALL
                SELECT pay.id * 2 + 1, pay.date, pay.order_id, pay.partner_id,
                       pay.user_id, pay.team_id, pay.company_id,
                       0::float8, pay.amount_company::float8, 0::float8, 0::float8, 0::int4,
                       NULL::varchar, 'collected'::varchar, pay.amount_company::float8
                  FROM crm_collection_payment pay
              ) facts
            """,
            today=today,
        )
