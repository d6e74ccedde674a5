from odoo import api, fields, models

from odoo.addons.crm_core.models.res_partner import CUSTOMER_TIERS, LIFECYCLE_STAGES

from ..tools.value_labels import CHURN_RISKS, RFM_SEGMENTS, VALUE_QUADRANTS


class CrmCustomerValueHistory(models.Model):
    _name = "crm.customer.value.history"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Customer Value History"
    _order = "run_date desc, id desc"
    _rec_name = "partner_id"
    # written by the engine only: a row when something a user reads of the customer
    # changes (tier, stage, segment, quadrant, risk), and a monthly snapshot of every
    # customer for the value-over-time chart; the run's date says when, its model who
    # ran it
    _log_access = False

    partner_id = fields.Many2one("res.partner", string="Customer", required=True,
                                 readonly=True, index=True, ondelete="cascade")
    company_id = fields.Many2one("res.company", required=True, readonly=True, index=True)
    run_date = fields.Datetime(readonly=True, required=True)
    as_of = fields.Date(readonly=True, required=True)
    rfm_r_score = fields.Integer(string="R Score", readonly=True, aggregator="avg")
    rfm_f_score = fields.Integer(string="F Score", readonly=True, aggregator="avg")
    rfm_m_score = fields.Integer(string="M Score", readonly=True, aggregator="avg")
    rfm_segment = fields.Selection(RFM_SEGMENTS, string="RFM Segment", readonly=True)
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    clv_historic = fields.Monetary(string="Historic Value", readonly=True)
    clv_predicted = fields.Monetary(string="Predicted Value (CLV)", readonly=True)
    probability_alive = fields.Float(readonly=True,
                                     digits=(16, 3), aggregator="avg")
    customer_tier = fields.Selection(CUSTOMER_TIERS, readonly=True)
    lifecycle_stage = fields.Selection(LIFECYCLE_STAGES, readonly=True)
    previous_lifecycle_stage = fields.Selection(
        LIFECYCLE_STAGES, readonly=True,
        help="Lifecycle stage of the customer before this computation.",
    )
    lifecycle_changed = fields.Boolean(
        string="Stage Changed", readonly=True,
        help="This computation moved the customer to another lifecycle stage.",
    )
    value_quadrant = fields.Selection(VALUE_QUADRANTS, readonly=True)
    churn_risk = fields.Selection(CHURN_RISKS, readonly=True)
    is_snapshot = fields.Boolean(
        string="Monthly Snapshot", readonly=True,
        help="The first computation of the month records every customer, changed or "
        "not; the other rows record a change.")

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "partner_id", "company_id",
                "run_date", "as_of", "rfm_r_score", "rfm_f_score", "rfm_m_score",
                "rfm_segment", "clv_historic", "clv_predicted", "probability_alive",
                "customer_tier", "lifecycle_stage", "previous_lifecycle_stage",
                "lifecycle_changed", "value_quadrant", "churn_risk", "is_snapshot")
