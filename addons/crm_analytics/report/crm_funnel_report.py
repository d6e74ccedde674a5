from odoo import api, fields, models
from odoo.tools import SQL


class CrmFunnelReport(models.Model):
    """The sales funnel, one row per lead: lead → opportunity → quotation → order.

    Every stage counts the leads that reached it, so that each stage is part of the
    one before: *opportunities* are the leads converted to opportunities or quoted,
    *quoted* the leads with a quotation (a sale order not cancelled), *ordered* the
    leads with a confirmed order. Each conversion rate compares a stage with the one
    before, over the same leads: it never exceeds 100 %, and it is empty where there
    is nothing to compare with. Cycle times run from the creation of the lead to its
    winning, and to its first confirmed order, in days.

    Lost leads (archived with a probability of 0) stay in the funnel. A lead's date
    is the company's day of its creation, in the company's time zone (a lead created
    at 07:00 on 1 March in Shanghai, stored as 23:00 UTC on 28 February, is a lead of
    March); a lead without a company is in the time zone of the company the report is
    read in. The query is built from ``_select``, ``_from``, ``_where`` and
    ``_group_by``.
    """

    _name = "crm.funnel.report"
    _inherit = ["crm.report.rates.mixin"]
    _description = "Sales Funnel Analysis"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "lead_id"

    lead_id = fields.Many2one("crm.lead", readonly=True)
    date = fields.Date(string="Created On", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    campaign_id = fields.Many2one("utm.campaign", readonly=True)
    source_id = fields.Many2one("utm.source", readonly=True)
    medium_id = fields.Many2one("utm.medium", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    stage_id = fields.Many2one("crm.stage", readonly=True)

    lead_count = fields.Integer(string="Leads", readonly=True)
    opportunity_count = fields.Integer(
        string="Opportunities", readonly=True,
        help="Leads converted to an opportunity, or quoted.")
    quotation_count = fields.Integer(
        string="Quoted", readonly=True, help="Leads with a quotation that is not cancelled.")
    order_count = fields.Integer(
        string="Ordered", readonly=True, help="Leads with a confirmed sale order.")
    won_count = fields.Integer(string="Won", readonly=True, help="Opportunities won.")
    lost_count = fields.Integer(string="Lost Opportunities", readonly=True)
    closed_count = fields.Integer(string="Won or Lost", readonly=True)
    order_amount = fields.Float(
        string="Ordered Amount", readonly=True,
        help="Untaxed amount of the confirmed orders of the leads, in company currency.")
    won_days_total = fields.Float(string="Days to Win (Total)", readonly=True)
    order_days_total = fields.Float(string="Days to Order (Total)", readonly=True)

    opportunity_rate = fields.Float(
        string="Lead to Opportunity (%)", readonly=True, aggregator="avg",
        help="Opportunities out of the leads.")
    quotation_rate = fields.Float(
        string="Opportunity to Quotation (%)", readonly=True, aggregator="avg",
        help="Quoted leads out of the opportunities.")
    order_rate = fields.Float(
        string="Quotation to Order (%)", readonly=True, aggregator="avg",
        help="Leads with a confirmed order out of the quoted leads.")
    conversion_rate = fields.Float(
        string="Lead to Order (%)", readonly=True, aggregator="avg",
        help="Leads with a confirmed order out of all the leads.")
    win_rate = fields.Float(
        string="Win Rate (%)", readonly=True, aggregator="avg",
        help="Won opportunities out of the opportunities won or lost.")
    avg_won_days = fields.Float(
        string="Days to Win", readonly=True, aggregator="avg",
        help="Average days from the creation of the lead to its winning.")
    avg_order_days = fields.Float(
        string="Days to Order", readonly=True, aggregator="avg",
        help="Average days from the creation of the lead to its first confirmed order.")

    @api.model
    def _report_rates(self):
        return {
            "opportunity_rate": ("opportunity_count", "lead_count", 100),
            "quotation_rate": ("quotation_count", "opportunity_count", 100),
            "order_rate": ("order_count", "quotation_count", 100),
            "conversion_rate": ("order_count", "lead_count", 100),
            "win_rate": ("won_count", "closed_count", 100),
            "avg_won_days": ("won_days_total", "won_count", 1),
            "avg_order_days": ("order_days_total", "order_count", 1),
        }

    def _select(self):
        opportunity = SQL("(lead.type = 'opportunity' OR quotes.lead_id IS NOT NULL)")
        won = SQL("(%s AND COALESCE(lead.active AND stage.is_won, FALSE))", opportunity)
        lost = SQL("(%s AND NOT lead.active AND COALESCE(lead.probability, 0) = 0)",
                   opportunity)
        return SQL(
            """
            lead.id,
            lead.id AS lead_id,
            %(created_on)s AS date,
            lead.user_id,
            lead.team_id,
            lead.campaign_id,
            lead.source_id,
            lead.medium_id,
            lead.partner_id,
            lead.company_id,
            lead.stage_id,
            1 AS lead_count,
            %(opportunity)s::int AS opportunity_count,
            (quotes.lead_id IS NOT NULL)::int AS quotation_count,
            (quotes.first_order_date IS NOT NULL)::int AS order_count,
            %(won)s::int AS won_count,
            %(lost)s::int AS lost_count,
            (%(won)s OR %(lost)s)::int AS closed_count,
            COALESCE(quotes.order_amount, 0) AS order_amount,
            CASE WHEN %(won)s THEN GREATEST(EXTRACT(EPOCH FROM
                COALESCE(lead.date_closed, lead.write_date) - lead.create_date) / 86400, 0)
                ELSE 0 END AS won_days_total,
            CASE WHEN quotes.first_order_date IS NOT NULL THEN GREATEST(EXTRACT(EPOCH FROM
                quotes.first_order_date - lead.create_date) / 86400, 0)
                ELSE 0 END AS order_days_total
            """,
            opportunity=opportunity, won=won, lost=lost,
            created_on=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("lead.create_date"),
                SQL("COALESCE(lead.company_id, %s)", self.env.company.id)),
        )

    def _from(self):
        return SQL(
            """
            crm_lead lead
            LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
            LEFT JOIN (%(quotes)s) quotes ON quotes.lead_id = lead.id
            """,
            quotes=self._quotes_query(),
        )

    def _quotes_query(self):
        """Per lead: its quotations and confirmed orders."""
        return SQL(
            """
            SELECT so.opportunity_id AS lead_id,
                   MIN(so.date_order) FILTER (WHERE so.state = 'sale') AS first_order_date,
                   SUM(%(amount)s) FILTER (WHERE so.state = 'sale') AS order_amount
              FROM sale_order so
             WHERE so.opportunity_id IS NOT NULL AND so.state != 'cancel'
             GROUP BY so.opportunity_id
            """,
            amount=self.env["sale.order"]._crm_amount_company_sql("so"),
        )

    def _where(self):
        # open leads and lost ones, not leads archived for other reasons
        return SQL("(lead.active OR lead.probability = 0)")

    def _group_by(self):
        return SQL("lead.id, stage.id, quotes.lead_id, quotes.first_order_date, "
                   "quotes.order_amount")
