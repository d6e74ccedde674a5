from odoo import api, fields, models
from odoo.tools import SQL


class CrmCampaignReport(models.Model):
    """Campaign ROI: crm_marketing's campaign analysis with the return on investment,
    the cost per lead and the lead-to-won conversion, aggregated as ratios of sums
    (empty without cost, leads). Only ``_select`` is extended."""

    _name = "crm.campaign.report"
    _inherit = ["crm.campaign.report", "crm.report.rates.mixin"]

    roi = fields.Float(
        string="ROI (%)", readonly=True, aggregator="avg",
        help="(Revenue - actual cost) / actual cost; empty without cost.")
    roi_cash = fields.Float(
        string="Cash ROI (%)", readonly=True, aggregator="avg",
        help="(Collected - actual cost) / actual cost: the return on the money received "
        "(回款); empty without cost.")
    cost_per_lead = fields.Float(
        readonly=True, aggregator="avg", help="Actual cost / leads; empty without leads.")
    won_rate = fields.Float(
        string="Lead to Won (%)", readonly=True, aggregator="avg",
        help="Won opportunities out of the leads of the campaign.")

    @api.model
    def _report_rates(self):
        return {
            "roi": ("profit", "actual_cost", 100),
            "roi_cash": ("profit_cash", "actual_cost", 100),
            "cost_per_lead": ("actual_cost", "lead_count", 1),
            "won_rate": ("won_count", "lead_count", 100),
        }

    def _select(self):
        cost = SQL("COALESCE(costs.actual_cost, 0)")
        revenue = SQL("COALESCE(orders.revenue, 0)")
        leads = SQL("COALESCE(leads.lead_count, 0)")
        won = SQL("COALESCE(leads.won_count, 0)")
        collected = SQL("COALESCE(cash.collected, 0)")
        return SQL(
            """%(parent)s,
            CASE WHEN %(cost)s > 0 THEN 100 * (%(revenue)s - %(cost)s) / %(cost)s END AS roi,
            CASE WHEN %(cost)s > 0 THEN 100 * (%(collected)s - %(cost)s) / %(cost)s END
                AS roi_cash,
            CASE WHEN %(leads)s > 0 THEN %(cost)s / %(leads)s END AS cost_per_lead,
            CASE WHEN %(leads)s > 0 THEN 100.0 * %(won)s / %(leads)s END AS won_rate
            """,
            parent=super()._select(), cost=cost, revenue=revenue, leads=leads, won=won,
            collected=collected,
        )
