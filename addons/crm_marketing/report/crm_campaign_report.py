from odoo import fields, models
from odoo.tools import SQL

from ..models.utm_campaign import CHANNELS


class CrmCampaignReport(models.Model):
    """One row per campaign and company, with what that company planned, spent and
    earned on the campaign, for pivot and graph.

    Campaigns are shared between companies; their budget and target segment are
    company-dependent (jsonb keyed by company id), their costs, orders and leads carry
    a company. The record rule on ``company_id`` shows each user the rows of their
    companies only.
    """

    _name = "crm.campaign.report"
    _description = "Campaign Analysis"
    _auto = False
    _order = "date_start desc, id desc"
    _rec_name = "campaign_id"

    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    stage_id = fields.Many2one("utm.stage", readonly=True)
    user_id = fields.Many2one("res.users", string="Responsible", readonly=True)
    segment_id = fields.Many2one("crm.segment", string="Target Segment", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    date_start = fields.Date(string="Start Date", readonly=True)
    budget = fields.Monetary(readonly=True)
    actual_cost = fields.Monetary(readonly=True)
    revenue = fields.Monetary(
        readonly=True, help="Untaxed amount of the confirmed sale orders, in company currency.")
    profit = fields.Monetary(readonly=True, help="Revenue minus actual cost.")
    revenue_collected = fields.Monetary(
        string="Collected", readonly=True,
        help="Payments collected on the campaign's confirmed orders (回款), in company "
        "currency.",
    )
    profit_cash = fields.Monetary(
        string="Cash Profit", readonly=True, help="Collected minus actual cost.")
    lead_count = fields.Integer(string="Leads", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)

    @property
    def _table_query(self):
        # the figures are grouped in their subqueries: no GROUP BY at the top
        return SQL("%s %s %s", self._select(), self._from(), self._where())

    def _select(self):
        # A stable id per (campaign, company); company ids stay far below 2**20.
        return SQL(
            """
            SELECT (camp.id::bigint << 20) + company.id AS id,
                   camp.id AS campaign_id,
                   camp.channel,
                   camp.stage_id,
                   camp.user_id,
                   %(segment)s AS segment_id,
                   company.id AS company_id,
                   company.currency_id,
                   camp.date_start,
                   %(budget)s AS budget,
                   COALESCE(costs.actual_cost, 0) AS actual_cost,
                   COALESCE(orders.revenue, 0) AS revenue,
                   COALESCE(orders.revenue, 0) - COALESCE(costs.actual_cost, 0) AS profit,
                   COALESCE(cash.collected, 0) AS revenue_collected,
                   COALESCE(cash.collected, 0) - COALESCE(costs.actual_cost, 0) AS profit_cash,
                   COALESCE(leads.lead_count, 0) AS lead_count,
                   COALESCE(leads.opportunity_count, 0) AS opportunity_count,
                   COALESCE(leads.won_count, 0) AS won_count
            """,
            segment=self._company_value_sql("segment_id", "integer"),
            budget=SQL("COALESCE(%s, 0)", self._company_value_sql("budget", "numeric")),
        )

    def _company_value_sql(self, fname, column_type):
        """The value of a company-dependent field of the campaign for the row's company."""
        return SQL(
            "(camp.%s->>company.id::text)::%s",
            SQL.identifier(fname),
            SQL(column_type),
        )

    def _from(self):
        return SQL(
            """
              FROM utm_campaign camp
             CROSS JOIN res_company company
              LEFT JOIN (%(costs)s) costs
                     ON costs.campaign_id = camp.id AND costs.company_id = company.id
              LEFT JOIN (%(orders)s) orders
                     ON orders.campaign_id = camp.id AND orders.company_id = company.id
              LEFT JOIN (%(leads)s) leads
                     ON leads.campaign_id = camp.id AND leads.company_id = company.id
              LEFT JOIN (%(cash)s) cash
                     ON cash.campaign_id = camp.id AND cash.company_id = company.id
            """,
            costs=self._costs_query(),
            orders=self._orders_query(),
            leads=self._leads_query(),
            cash=self._cash_query(),
        )

    def _cash_query(self):
        """Payments collected on the campaigns' confirmed orders, in company currency."""
        return SQL(
            """
            SELECT so.campaign_id, so.company_id, SUM(pay.amount_company) AS collected
              FROM crm_collection_payment pay
              JOIN sale_order so ON so.id = pay.order_id
             WHERE so.state = 'sale' AND so.campaign_id IS NOT NULL
             GROUP BY so.campaign_id, so.company_id
            """
        )

    def _costs_query(self):
        # cost lines and approved expenses, each in its company's currency
        return SQL(
            """
            SELECT cost.campaign_id, cost.company_id, SUM(cost.amount) AS actual_cost
              FROM (SELECT campaign_id, company_id, amount FROM crm_campaign_cost
                    UNION ALL
                    SELECT campaign_id, company_id, total_amount FROM hr_expense
                     WHERE campaign_id IS NOT NULL AND state IN ('approved', 'done')) cost
             GROUP BY cost.campaign_id, cost.company_id
            """
        )

    def _orders_query(self):
        return SQL(
            """
            SELECT so.campaign_id, so.company_id, SUM(%(order_amount)s) AS revenue
              FROM sale_order so
             WHERE so.state = 'sale' AND so.campaign_id IS NOT NULL
             GROUP BY so.campaign_id, so.company_id
            """,
            order_amount=self.env["sale.order"]._crm_amount_company_sql("so"),
        )

    def _leads_query(self):
        # lost (archived) leads were generated by the campaign as well
        return SQL(
            """
            SELECT lead.campaign_id,
                   lead.company_id,
                   COUNT(*) AS lead_count,
                   COUNT(*) FILTER (WHERE lead.type = 'opportunity') AS opportunity_count,
                   COUNT(*) FILTER (WHERE lead.type = 'opportunity' AND stage.is_won)
                       AS won_count
              FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             WHERE lead.campaign_id IS NOT NULL
             GROUP BY lead.campaign_id, lead.company_id
            """
        )

    def _where(self):
        # A row for the campaign's own company, for every company when the campaign
        # has none, and for any company that planned, spent or earned something on it.
        return SQL(
            """
             WHERE camp.active
               AND NOT COALESCE(camp.is_auto_campaign, FALSE)
               AND company.active
               AND (camp.company_id IS NULL
                    OR camp.company_id = company.id
                    OR camp.budget ? company.id::text
                    OR camp.segment_id ? company.id::text
                    OR costs.campaign_id IS NOT NULL
                    OR orders.campaign_id IS NOT NULL
                    OR leads.campaign_id IS NOT NULL)
            """
        )
