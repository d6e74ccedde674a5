from odoo import fields, models
from odoo.tools import SQL

FIGURES = [
    ("forecast", "Weighted Forecast"),
    ("achieved", "Achieved"),
    ("user_target", "Salesperson Target"),
    ("team_target", "Team Target"),
    ("collected", "Collected"),
    ("user_collection_target", "Salesperson Collection Target"),
    ("team_collection_target", "Team Collection Target"),
]
# the measure of each figure
FIGURE_MEASURES = {
    "forecast": "forecast_amount",
    "achieved": "achieved_amount",
    "user_target": "user_target_amount",
    "team_target": "team_target_amount",
    "collected": "collected_amount",
    "user_collection_target": "user_collection_target_amount",
    "team_collection_target": "team_collection_target_amount",
}


class CrmSalesForecastReport(models.Model):
    """Per month: weighted pipeline by expected closing, targets and achieved sales."""

    _name = "crm.sales.forecast.report"
    _description = "Sales Forecast against Targets"
    _auto = False
    _order = "date"
    _rec_name = "date"

    date = fields.Date(string="Month", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    forecast_amount = fields.Float(
        string="Weighted Forecast", readonly=True,
        help="Expected revenue of the open opportunities closing this month, "
        "weighted by their probability.",
    )
    pipeline_amount = fields.Float(
        string="Expected Revenue", readonly=True,
        help="Expected revenue of the open opportunities closing this month.",
    )
    achieved_amount = fields.Float(
        string="Achieved", readonly=True,
        help="Untaxed amount of the orders confirmed this month, in company currency.",
    )
    user_target_amount = fields.Float(
        string="Salesperson Target", readonly=True,
        help="Targets of salespeople, spread evenly over the months of their period; where "
        "targets overlap (a month within a quarter), the shortest one counts.",
    )
    team_target_amount = fields.Float(
        string="Team Target", readonly=True,
        help="Targets of sales teams, spread evenly over the months of their period; where "
        "targets overlap (a month within a quarter), the shortest one counts.",
    )
    collected_amount = fields.Float(
        string="Collected", readonly=True,
        help="Payments collected this month on the orders (回款), in company currency.",
    )
    user_collection_target_amount = fields.Float(
        string="Salesperson Collection Target", readonly=True,
        help="Collection targets of salespeople (回款目标), spread evenly over the months of "
        "their period.",
    )
    team_collection_target_amount = fields.Float(
        string="Team Collection Target", readonly=True,
        help="Collection targets of sales teams, spread evenly over the months of their "
        "period.",
    )

    figure = fields.Selection(
        FIGURES, readonly=True,
        help="What the amount is: group the graph by it to compare the forecast, what was "
        "achieved and the targets side by side.",
    )
    amount = fields.Float(readonly=True, help="The amount of the figure.")

    @property
    def _table_query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._group_by())

    def _select(self):
        measures = SQL(", ").join(
            SQL("COALESCE(SUM(amount) FILTER (WHERE figure = %s), 0) AS %s",
                figure, SQL.identifier(measure))
            for figure, measure in FIGURE_MEASURES.items()
        )
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY date, user_id, team_id, company_id, figure) AS id,
                   date, user_id, team_id, company_id, figure,
                   SUM(amount) AS amount,
                   SUM(pipeline_amount) AS pipeline_amount,
                   %s
            """,
            measures,
        )

    def _from(self):
        return SQL("FROM (%s) AS facts", SQL(" UNION ALL ").join(self._facts()))

    def _group_by(self):
        return SQL("GROUP BY date, user_id, team_id, company_id, figure")

    def _facts(self):
        """The queries whose rows are summed, each giving: date (first day of the
        month), user_id, team_id, company_id, figure, amount, pipeline_amount (the
        unweighted pipeline, beside the forecast). An addon adds a figure by adding a
        query (and its measure)."""
        return [self._lead_facts(), self._order_facts(), self._target_facts("orders"),
                self._collection_facts(), self._target_facts("collections")]

    def _lead_facts(self):
        """Open opportunities by expected closing month."""
        return SQL(
            """
            SELECT date_trunc('month', lead.date_deadline)::date AS date,
                   lead.user_id, lead.team_id, lead.company_id,
                   'forecast' AS figure, lead.prorated_revenue AS amount,
                   lead.expected_revenue AS pipeline_amount
              FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             WHERE lead.type = 'opportunity' AND lead.active
               AND lead.date_deadline IS NOT NULL
               AND NOT COALESCE(stage.is_won, FALSE)
            """
        )

    def _order_facts(self):
        """Confirmed orders by month, in company currency: the company's month of the
        order, in its time zone (an order at 07:00 on 1 March in Shanghai is stored
        as 23:00 UTC on 28 February, and belongs to March)."""
        return SQL(
            """
            SELECT date_trunc('month', (%(order_day)s)::timestamp)::date,
                   so.user_id, so.team_id, so.company_id,
                   'achieved', %(order_amount)s, 0
              FROM sale_order so
             WHERE so.state = 'sale'
            """,
            order_amount=self.env["sale.order"]._crm_amount_company_sql("so"),
            order_day=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("so.date_order"), SQL("so.company_id")),
        )

    def _collection_facts(self):
        """Payments collected by month on the orders, in company currency (their
        accounting dates are the company's days)."""
        return SQL(
            """
            SELECT date_trunc('month', pay.date)::date,
                   so.user_id, so.team_id, so.company_id,
                   'collected', pay.amount_company, 0
              FROM crm_collection_payment pay
              JOIN sale_order so ON so.id = pay.order_id
            """
        )

    def _target_facts(self, kind):
        """Targets of ``kind`` (orders, collections) spread evenly over the months of
        their period; the most specific target of each owner covers a month. A
        salesperson's target is shown on the rows of their main sales team."""
        figures = ("user_target", "team_target") if kind == "orders" else (
            "user_collection_target", "team_collection_target")
        return SQL(
            """
            SELECT * FROM (
                SELECT DISTINCT ON (month, owner.user_id, owner.team_id, t.company_id)
                       month::date,
                       owner.user_id,
                       owner.team_id,
                       t.company_id,
                       CASE WHEN t.target_type = 'user' THEN %(user_figure)s
                            ELSE %(team_figure)s END,
                       t.target_amount / span.months,
                       0
                  FROM crm_sales_target t
                  LEFT JOIN res_users salesperson ON salesperson.id = t.user_id
                 CROSS JOIN LATERAL (
                        SELECT CASE WHEN t.target_type = 'user' THEN t.user_id END AS user_id,
                               CASE WHEN t.target_type = 'team' THEN t.team_id
                                    ELSE salesperson.sale_team_id END AS team_id
                       ) AS owner
                 CROSS JOIN LATERAL (
                        SELECT (EXTRACT(YEAR FROM age(date_trunc('month', t.date_end),
                                                      date_trunc('month', t.date_start)))
                                * 12
                                + EXTRACT(MONTH FROM age(date_trunc('month', t.date_end),
                                                         date_trunc('month', t.date_start)))
                                + 1) AS months
                       ) AS span
                 CROSS JOIN LATERAL generate_series(
                        date_trunc('month', t.date_start), t.date_end, interval '1 month'
                       ) AS month
                 WHERE t.active AND t.target_kind = %(kind)s
                 ORDER BY month, owner.user_id, owner.team_id, t.company_id,
                          t.date_end - t.date_start, t.id
            ) AS targets
            """,
            kind=kind, user_figure=figures[0], team_figure=figures[1],
        )
