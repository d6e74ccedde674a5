from odoo import api, fields, models
from odoo.tools import SQL

from odoo.addons.crm_core.models.res_partner import CUSTOMER_TIERS, LIFECYCLE_STAGES

from ..tools.value_labels import CHURN_RISKS, RFM_SEGMENTS, VALUE_QUADRANTS


class CrmCustomerValueReport(models.Model):
    """One row per customer whose value was computed, with its place in the customer
    pyramid, its RFM segment, value quadrant, lifecycle stage and churn risk: the
    customer pyramid, the RFM and value matrix distributions and the churn rate by
    customer group are pivots of it.

    - *customers*: the commercial partners the customer value engine scored for a
      company (``crm.customer.value``), that is who bought from it up to the analysis
      date; a customer of two companies counts once in each, with each company's
      figures in its currency.
    - *share of value*: the customer's historic value out of the historic value of
      all the customers of its company (a tier's share is the sum of its customers').
    - *churned*: customers at the lifecycle stage *churned*; *at risk*: customers not
      churned yet whose churn risk is high.
    - *churn rate* = churned / customers; *at-risk rate* = at risk / customers.

    The query is built from ``_select``, ``_from``, ``_where`` and ``_group_by``.
    """

    _name = "crm.customer.value.report"
    _inherit = ["crm.report.rates.mixin"]
    _description = "Customer Value Analysis"
    _auto = False
    _order = "clv_historic desc, id"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    country_id = fields.Many2one("res.country", readonly=True)
    acquisition_source_id = fields.Many2one("utm.source", readonly=True)
    customer_since = fields.Date(readonly=True)
    date = fields.Date(string="Value As Of", readonly=True)
    customer_tier = fields.Selection(CUSTOMER_TIERS, readonly=True)
    lifecycle_stage = fields.Selection(LIFECYCLE_STAGES, readonly=True)
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="RFM Segment", readonly=True)
    value_quadrant = fields.Selection(VALUE_QUADRANTS, readonly=True)
    churn_risk = fields.Selection(CHURN_RISKS, readonly=True)

    customer_count = fields.Integer(string="Customers", readonly=True)
    clv_historic = fields.Monetary(string="Historic Value", readonly=True)
    clv_predicted = fields.Monetary(string="Predicted Value (CLV)", readonly=True)
    value_share = fields.Float(
        string="Share of Value (%)", readonly=True,
        help="Historic value out of the historic value of all the customers of the "
        "company.")
    rfm_frequency = fields.Integer(string="Orders", readonly=True)
    rfm_r_score = fields.Float(string="R Score", readonly=True, aggregator="avg")
    rfm_f_score = fields.Float(string="F Score", readonly=True, aggregator="avg")
    rfm_m_score = fields.Float(string="M Score", readonly=True, aggregator="avg")
    churned_count = fields.Integer(
        string="Churned", readonly=True, help="Customers at the lifecycle stage churned.")
    at_risk_count = fields.Integer(
        string="At Risk", readonly=True,
        help="Customers not churned yet whose churn risk is high.")
    churn_rate = fields.Float(
        string="Churn Rate (%)", readonly=True, aggregator="avg",
        help="Churned customers out of the customers.")
    at_risk_rate = fields.Float(
        string="At-Risk Rate (%)", readonly=True, aggregator="avg",
        help="Customers at high churn risk (not churned yet) out of the customers.")
    avg_clv_historic = fields.Monetary(
        string="Average Historic Value", readonly=True, aggregator="avg")

    @api.model
    def _report_rates(self):
        return {
            "churn_rate": ("churned_count", "customer_count", 100),
            "at_risk_rate": ("at_risk_count", "customer_count", 100),
            "avg_clv_historic": ("clv_historic", "customer_count", 1),
        }

    def _select(self):
        return SQL(
            """
            value.id,
            value.partner_id,
            customer.user_id,
            value.company_id,
            company.currency_id,
            customer.country_id,
            customer.acquisition_source_id,
            customer.customer_since,
            value.value_date AS date,
            value.customer_tier,
            value.lifecycle_stage,
            value.rfm_segment,
            value.value_quadrant,
            value.churn_risk,
            1 AS customer_count,
            COALESCE(value.clv_historic, 0) AS clv_historic,
            COALESCE(value.clv_predicted, 0) AS clv_predicted,
            COALESCE(100 * value.clv_historic / NULLIF(SUM(value.clv_historic)
                OVER (PARTITION BY value.company_id), 0), 0) AS value_share,
            COALESCE(value.rfm_frequency, 0) AS rfm_frequency,
            value.rfm_r_score,
            value.rfm_f_score,
            value.rfm_m_score,
            COALESCE(value.lifecycle_stage = 'churned', FALSE)::int AS churned_count,
            COALESCE(value.churn_risk = 'high'
                AND value.lifecycle_stage IS DISTINCT FROM 'churned', FALSE)::int
                AS at_risk_count
            """
        )

    def _from(self):
        return SQL(
            """crm_customer_value value
               JOIN res_partner customer ON customer.id = value.partner_id
               JOIN res_company company ON company.id = value.company_id"""
        )

    def _where(self):
        return SQL("value.value_date IS NOT NULL")

    def _group_by(self):
        # one row per customer and company; an addon joining more rows aggregates
        return SQL("value.id, customer.id, company.id")
