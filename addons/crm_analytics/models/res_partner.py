from odoo import api, fields, models

RFM_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalist", "Potential loyalist"),
    ("new", "New"),
    ("promising", "Promising"),
    ("need_attention", "Need attention"),
    ("about_to_sleep", "About to sleep"),
    ("at_risk", "At risk"),
    ("cannot_lose", "Cannot lose"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]

# Segment of each (R score, F score): rows R = 5 .. 1, columns F = 1 .. 5.
RFM_SEGMENT_GRID = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    1: ("lost", "hibernating", "at_risk", "at_risk", "cannot_lose"),
}

VALUE_QUADRANTS = [
    ("grow", "Keep and grow"),
    ("develop", "Develop"),
    ("maintain", "Maintain"),
    ("reduce", "Reduce effort"),
]

CHURN_RISKS = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    rfm_recency_days = fields.Integer(
        string="Recency (Days)", groups="base.group_user", readonly=True,
        help="Days from the last confirmed order to the date of the analysis.",
    )
    rfm_frequency = fields.Integer(
        string="Frequency (Orders)", groups="base.group_user", readonly=True,
        help="Number of confirmed orders up to the date of the analysis.",
    )
    rfm_monetary = fields.Float(
        string="Monetary Value", groups="base.group_user", readonly=True,
        help="Untaxed total of the confirmed orders, in company currency.",
    )
    rfm_r_score = fields.Integer(
        string="R Score", groups="base.group_user", readonly=True, aggregator="avg",
        help="Recency quintile among the customers who bought: 5 = most recent.",
    )
    rfm_f_score = fields.Integer(
        string="F Score", groups="base.group_user", readonly=True, aggregator="avg",
        help="Frequency quintile among the customers who bought: 5 = most frequent.",
    )
    rfm_m_score = fields.Integer(
        string="M Score", groups="base.group_user", readonly=True, aggregator="avg",
        help="Monetary quintile among the customers who bought: 5 = highest spend.",
    )
    rfm_segment = fields.Selection(
        RFM_SEGMENTS, string="RFM Segment", groups="base.group_user", readonly=True,
        index=True,
        help="Segment from the R and F scores (see the module's description).",
    )
    clv_historic = fields.Float(
        string="Historic Value", groups="base.group_user", readonly=True,
        help="Untaxed total of the confirmed orders to date, in company currency.",
    )
    clv_predicted = fields.Float(
        string="Predicted Value (CLV)", groups="base.group_user", readonly=True,
        help="Expected spend over the CLV horizon: expected transactions (BG/NBD) times "
        "the expected value of a transaction (Gamma-Gamma), undiscounted.",
    )
    expected_purchases_90d = fields.Float(
        string="Expected Purchases (90 Days)", groups="base.group_user", readonly=True,
        digits=(16, 2),
        help="Expected number of purchase days in the next 90 days (BG/NBD).",
    )
    probability_alive = fields.Float(
        groups="base.group_user", readonly=True,
        digits=(16, 3), aggregator="avg",
        help="Probability that the customer is still active (BG/NBD).",
    )
    value_quadrant = fields.Selection(
        VALUE_QUADRANTS, groups="base.group_user", readonly=True,
        index=True,
        help="Customer value matrix: current (historic) value against potential "
        "(predicted) value. Keep and grow: both high; develop: low current, high "
        "potential; maintain: high current, low potential; reduce effort: both low.",
    )
    churn_risk = fields.Selection(
        CHURN_RISKS, groups="base.group_user", readonly=True,
        index=True,
        help="From the churn signals: low probability alive, overdue purchase, falling "
        "spend, unresolved complaints, detractor NPS (see the module's description).",
    )
    churn_reasons = fields.Text(
        string="Churn Signals", groups="base.group_user", readonly=True,
        help="The churn signals found at the last computation.",
    )
    churn_alert_date = fields.Date(
        string="Churn Warning Since", groups="base.group_user", readonly=True,
        help="Date of the retention activity of the current high-risk episode; cleared "
        "when the risk is back to low.",
    )
    value_company_id = fields.Many2one(
        "res.company", string="Value Computed For", groups="base.group_user",
        readonly=True,
        help="Company whose orders the customer value was last computed from.",
    )
    value_date = fields.Date(
        string="Value As Of", groups="base.group_user", readonly=True,
        help="Date of the analysis that computed the customer value.",
    )
    value_history_ids = fields.One2many(
        "crm.customer.value.history", "partner_id",
        groups="base.group_user", readonly=True,
    )

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "rfm_recency_days", "rfm_frequency",
                "rfm_monetary", "rfm_r_score", "rfm_f_score", "rfm_m_score", "rfm_segment",
                "clv_historic", "clv_predicted", "expected_purchases_90d",
                "probability_alive", "value_quadrant", "churn_risk", "churn_reasons",
                "churn_alert_date", "value_company_id", "value_date", "value_history_ids")
