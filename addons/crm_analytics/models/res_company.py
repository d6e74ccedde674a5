from odoo import api, fields, models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    crm_pyramid_key_share = fields.Float(
        string="Key Customers' Share of Value (%)",
        default=80.0,
        help="Key customers are the best customers who together bring this share of the "
        "value to date.",
    )
    crm_pyramid_normal_share = fields.Float(
        string="Normal Customers' Share of Value (%)",
        default=15.0,
        help="Normal customers are the next customers, who bring this further share of "
        "the value; the remaining customers are small customers.",
    )
    crm_clv_horizon_months = fields.Integer(
        string="CLV Horizon (Months)",
        default=12,
        help="Period over which the predicted customer lifetime value is computed.",
    )
    # lifecycle (see readme/USAGE.md for the rules)
    crm_lifecycle_formation_orders = fields.Integer(
        string="Orders to Enter Formation",
        default=2,
        help="A customer with at least this many confirmed orders has left the "
        "exploration stage.",
    )
    crm_lifecycle_stability_orders = fields.Integer(
        string="Orders to Enter Stability",
        default=5,
        help="A customer with at least this many confirmed orders, and a customer for at "
        "least the stability age, is in the stability stage.",
    )
    crm_lifecycle_stability_days = fields.Integer(
        string="Age to Enter Stability (Days)",
        default=365,
        help="Days since the first confirmed order a customer needs to be stable.",
    )
    crm_lifecycle_decline_days = fields.Integer(
        string="Days Without Order to Decline",
        default=180,
        help="A customer who has not ordered for more than this many days is declining.",
    )
    crm_lifecycle_churn_days = fields.Integer(
        string="Days Without Order to Churn",
        default=365,
        help="A customer who has not ordered for more than this many days has churned.",
    )
    crm_lifecycle_decline_alive = fields.Float(
        string="Probability Alive to Decline (%)",
        default=50.0,
        help="Below this probability of being still active, a customer is declining.",
    )
    crm_lifecycle_churn_alive = fields.Float(
        string="Probability Alive to Churn (%)",
        default=10.0,
        help="Below this probability of being still active, a customer has churned.",
    )
    crm_overdue_factor = fields.Float(
        string="Overdue Factor",
        default=2.0,
        help="A repeat customer is overdue when the days since the last order exceed this "
        "factor times the customer's own mean gap between purchase days.",
    )
    # customer value matrix
    crm_quadrant_historic_percentile = fields.Integer(
        string="High Current Value from Percentile",
        default=50,
        help="Customers whose historic value reaches this percentile of the company's "
        "customers have a high current value.",
    )
    crm_quadrant_predicted_percentile = fields.Integer(
        string="High Potential Value from Percentile",
        default=50,
        help="Customers whose predicted value reaches this percentile of the company's "
        "customers have a high potential value.",
    )
    # churn warning
    crm_churn_alive_threshold = fields.Float(
        string="Churn Warning: Probability Alive Below (%)",
        default=50.0,
        help="A probability of being still active below this share is a churn signal.",
    )
    crm_churn_spend_days = fields.Integer(
        string="Churn Warning: Spend Period (Days)",
        default=180,
        help="The spend of the last period of this many days is compared with the spend "
        "of the period before.",
    )
    crm_churn_spend_drop = fields.Float(
        string="Churn Warning: Spend Drop (%)",
        default=50.0,
        help="Spend falling by at least this share from the previous period to the last "
        "one is a churn signal.",
    )
    crm_churn_high_signals = fields.Integer(
        string="Churn Warning: Signals for High Risk",
        default=2,
        help="A customer with at least this many churn signals is at high risk (one "
        "signal: medium risk).",
    )
    crm_churn_warning_limit = fields.Integer(
        string="Churn Warning: Retention Activities per Day",
        default=20,
        help="Most retention activities one salesperson gets in a day, for the most "
        "valuable customers first; the other customers at high risk are warned on the "
        "next days.",
    )

    @api.constrains("crm_pyramid_key_share", "crm_pyramid_normal_share")
    def _check_crm_pyramid_shares(self):
        for company in self:
            key = company.crm_pyramid_key_share
            normal = company.crm_pyramid_normal_share
            if not (0 < key < key + normal <= 100):
                raise ValidationError(self.env._(
                    "Customer pyramid of %(company)s: the key customers' share (%(key)s%%) "
                    "must be above 0, the normal customers' share (%(normal)s%%) above 0, "
                    "and both together at most 100%%.",
                    company=company.name, key=key, normal=normal,
                ))

    @api.constrains("crm_clv_horizon_months")
    def _check_crm_clv_horizon_months(self):
        for company in self:
            if not 1 <= company.crm_clv_horizon_months <= 120:
                raise ValidationError(self.env._(
                    "The CLV horizon of %(company)s must be between 1 and 120 months.",
                    company=company.name,
                ))

    @api.constrains(
        "crm_lifecycle_formation_orders", "crm_lifecycle_stability_orders",
        "crm_lifecycle_stability_days", "crm_lifecycle_decline_days",
        "crm_lifecycle_churn_days", "crm_lifecycle_decline_alive",
        "crm_lifecycle_churn_alive", "crm_overdue_factor",
    )
    def _check_crm_lifecycle_rules(self):
        for company in self:
            if not 2 <= company.crm_lifecycle_formation_orders \
                    <= company.crm_lifecycle_stability_orders <= 1000:
                raise ValidationError(self.env._(
                    "Customer lifecycle of %(company)s: the orders to enter formation must "
                    "be at least 2 and at most the orders to enter stability (at most "
                    "1000).", company=company.name,
                ))
            if not 1 <= company.crm_lifecycle_stability_days <= 3650:
                raise ValidationError(self.env._(
                    "Customer lifecycle of %(company)s: the age to enter stability must be "
                    "between 1 and 3650 days.", company=company.name,
                ))
            if not 1 <= company.crm_lifecycle_decline_days \
                    < company.crm_lifecycle_churn_days <= 3650:
                raise ValidationError(self.env._(
                    "Customer lifecycle of %(company)s: the days without order to decline "
                    "must be at least 1 and fewer than the days to churn (at most 3650).",
                    company=company.name,
                ))
            if not 0 <= company.crm_lifecycle_churn_alive \
                    < company.crm_lifecycle_decline_alive <= 100:
                raise ValidationError(self.env._(
                    "Customer lifecycle of %(company)s: the probability alive to churn must "
                    "be at least 0%% and below the probability alive to decline (at most "
                    "100%%).", company=company.name,
                ))
            if not 1 < company.crm_overdue_factor <= 20:
                raise ValidationError(self.env._(
                    "The overdue factor of %(company)s must be above 1 and at most 20.",
                    company=company.name,
                ))

    @api.constrains("crm_quadrant_historic_percentile", "crm_quadrant_predicted_percentile")
    def _check_crm_quadrant_percentiles(self):
        for company in self:
            for value in (company.crm_quadrant_historic_percentile,
                          company.crm_quadrant_predicted_percentile):
                if not 1 <= value <= 99:
                    raise ValidationError(self.env._(
                        "Customer value matrix of %(company)s: the percentiles must be "
                        "between 1 and 99 (not %(value)s).",
                        company=company.name, value=value,
                    ))

    @api.constrains("crm_churn_alive_threshold", "crm_churn_spend_days",
                    "crm_churn_spend_drop", "crm_churn_high_signals",
                    "crm_churn_warning_limit")
    def _check_crm_churn_rules(self):
        for company in self:
            if not 0 < company.crm_churn_alive_threshold <= 100:
                raise ValidationError(self.env._(
                    "Churn warning of %(company)s: the probability alive must be above 0%% "
                    "and at most 100%%.", company=company.name,
                ))
            if not 7 <= company.crm_churn_spend_days <= 1825:
                raise ValidationError(self.env._(
                    "Churn warning of %(company)s: the spend period must be between 7 and "
                    "1825 days.", company=company.name,
                ))
            if not 0 < company.crm_churn_spend_drop < 100:
                raise ValidationError(self.env._(
                    "Churn warning of %(company)s: the spend drop must be above 0%% and "
                    "below 100%%.", company=company.name,
                ))
            if not 1 <= company.crm_churn_high_signals <= 5:
                raise ValidationError(self.env._(
                    "Churn warning of %(company)s: the signals for high risk must be "
                    "between 1 and 5.", company=company.name,
                ))
            if not 1 <= company.crm_churn_warning_limit <= 1000:
                raise ValidationError(self.env._(
                    "Churn warning of %(company)s: the retention activities per day must "
                    "be between 1 and 1000.", company=company.name,
                ))
