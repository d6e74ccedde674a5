from odoo import fields, models
from odoo.tools import SQL

from ..models.utm_campaign import CHANNELS


class CrmCampaignReport(models.Model):
    """One row per campaign with its cost and measured results, for pivot and graph."""

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
    lead_count = fields.Integer(string="Leads", readonly=True)
    opportunity_count = fields.Integer(string="Opportunities", readonly=True)
    won_count = fields.Integer(string="Won", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT camp.id AS id,
                   camp.id AS campaign_id,
                   camp.channel,
                   camp.stage_id,
                   camp.user_id,
                   camp.segment_id,
                   camp.company_id,
                   company.currency_id,
                   camp.date_start,
                   COALESCE(camp.budget, 0) AS budget,
                   COALESCE(camp.actual_cost, 0) AS actual_cost,
                   COALESCE(orders.revenue, 0) AS revenue,
                   COALESCE(orders.revenue, 0) - COALESCE(camp.actual_cost, 0) AS profit,
                   COALESCE(leads.lead_count, 0) AS lead_count,
                   COALESCE(leads.opportunity_count, 0) AS opportunity_count,
                   COALESCE(leads.won_count, 0) AS won_count
              FROM utm_campaign camp
              LEFT JOIN res_company company ON company.id = camp.company_id
              LEFT JOIN (
                    SELECT so.campaign_id,
                           SUM(%(order_amount)s) AS revenue
                      FROM sale_order so
                     WHERE so.state = 'sale' AND so.campaign_id IS NOT NULL
                     GROUP BY so.campaign_id
                   ) orders ON orders.campaign_id = camp.id
              LEFT JOIN (
                    SELECT lead.campaign_id,
                           COUNT(*) AS lead_count,
                           COUNT(*) FILTER (WHERE lead.type = 'opportunity')
                               AS opportunity_count,
                           COUNT(*) FILTER (WHERE lead.type = 'opportunity' AND stage.is_won)
                               AS won_count
                      FROM crm_lead lead
                      LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
                     WHERE lead.campaign_id IS NOT NULL
                     GROUP BY lead.campaign_id
                   ) leads ON leads.campaign_id = camp.id
             WHERE camp.active AND NOT COALESCE(camp.is_auto_campaign, FALSE)
            """,
            order_amount=self.env["sale.order"]._crm_amount_company_sql("so"),
        )
