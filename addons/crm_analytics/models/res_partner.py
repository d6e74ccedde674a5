from odoo import api, fields, models
from odoo.tools import SQL

from ..tools.value_labels import CHURN_RISKS, RFM_SEGMENTS, VALUE_QUADRANTS
from .crm_customer_value import SCORE_FIELDS

# the groups that read customer scores: salespeople, for the customers the rules of
# crm.customer.value let them read (their own, their team's, or all)
SCORE_GROUPS = "sales_team.group_sale_salesman"
VALUE_DOC = "Read from the customer's value in the current company."


def _score(field_class, name, **kwargs):
    # searched by a method of its own, _search_<name> (set below the class)
    return field_class(compute="_compute_crm_value", search=f"_search_{name}",
                       groups=SCORE_GROUPS, **kwargs)


class ResPartner(models.Model):
    """The customer value of the current company, under the names ARCHITECTURE gives:
    computed from ``crm.customer.value`` (one row per company and customer), searchable,
    never stored on the partner that every company shares. Scores are read with the
    reader's rights (a salesperson reads their own customers'); tier and lifecycle
    stage, which service and routing rely on, by every employee. A manager who sets
    the tier or the stage here corrects it for the current company."""

    _inherit = "res.partner"

    customer_tier = fields.Selection(
        compute="_compute_crm_tier_stage", inverse="_inverse_crm_tier",
        search="_search_customer_tier", store=False, index=False, readonly=False,
        copy=False,
    )
    lifecycle_stage = fields.Selection(
        compute="_compute_crm_tier_stage", inverse="_inverse_crm_stage",
        search="_search_lifecycle_stage", store=False, index=False, readonly=False,
        copy=False,
    )
    rfm_recency_days = _score(fields.Integer, "rfm_recency_days", string="Recency (Days)",
                              help="Days from the last confirmed order to the last analysis.")
    rfm_frequency = _score(fields.Integer, "rfm_frequency", string="Frequency (Orders)",
                           help="Number of confirmed orders up to the date of the analysis.")
    rfm_monetary = _score(fields.Monetary, "rfm_monetary", string="Monetary Value",
                          currency_field="crm_currency_id",
                          help="Untaxed total of the confirmed orders, in company currency.")
    rfm_r_score = _score(fields.Integer, "rfm_r_score", string="R Score",
                         help="Recency quintile among the customers who bought: 5 = most "
                         "recent.")
    rfm_f_score = _score(fields.Integer, "rfm_f_score", string="F Score",
                         help="Frequency quintile among the customers who bought: 5 = most "
                         "frequent.")
    rfm_m_score = _score(fields.Integer, "rfm_m_score", string="M Score",
                         help="Monetary quintile among the customers who bought: 5 = "
                         "highest spend.")
    rfm_segment = _score(fields.Selection, "rfm_segment",
                         selection=RFM_SEGMENTS, string="RFM Segment",
                         help="Segment from the R and F scores (see the module's "
                         "description).")
    clv_historic = _score(fields.Monetary, "clv_historic", string="Historic Value",
                          currency_field="crm_currency_id",
                          help="Untaxed total of the confirmed orders to date, in company "
                          "currency.")
    clv_predicted = _score(fields.Monetary, "clv_predicted", string="Predicted Value (CLV)",
                           currency_field="crm_currency_id",
                           help="Expected spend over the CLV horizon, in company currency.")
    expected_purchases_90d = _score(fields.Float, "expected_purchases_90d",
                                    string="Expected Purchases (90 Days)",
                                    digits=(16, 2),
                                    help="Expected number of purchase days in the next 90 "
                                    "days, from the last analysis.")
    probability_alive = _score(fields.Float, "probability_alive", digits=(16, 3),
                               help="Probability that the customer is still active at the last "
                               "analysis.")
    value_quadrant = _score(fields.Selection, "value_quadrant", selection=VALUE_QUADRANTS,
                            help="Customer value matrix: current (historic) value against "
                            "potential (predicted) value.")
    churn_risk = _score(fields.Selection, "churn_risk", selection=CHURN_RISKS,
                        help="From the churn signals: low probability alive, overdue "
                        "purchase, falling spend, unresolved complaints, detractor NPS.")
    churn_reasons = _score(fields.Text, "churn_reasons", string="Churn Signals",
                           help="The churn signals found at the last computation.")
    churn_alert_date = _score(fields.Date, "churn_alert_date", string="Churn Warning Since",
                              help="Date of the retention activity of the current "
                              "high-risk episode.")
    value_company_id = _score(fields.Many2one, "value_company_id", comodel_name="res.company",
                              string="Value Computed For",
                              help="Company whose orders the customer value was computed "
                              "from: the current one.")
    value_date = _score(fields.Date, "value_date", string="Value As Of",
                        help="Date of the analysis that last changed the customer's scores.")
    crm_value_id = fields.Many2one(
        "crm.customer.value", string="Customer Value", compute="_compute_crm_value",
        groups=SCORE_GROUPS, help=VALUE_DOC)
    value_history_ids = fields.One2many(
        "crm.customer.value.history", "partner_id", groups=SCORE_GROUPS, readonly=True)

    @api.model
    def _crm_pool_tier_sql(self):
        # the tier is the pool's company's (a customer is shared between companies)
        return SQL(
            "(SELECT value.customer_tier FROM crm_customer_value value "
            "WHERE value.partner_id = t.id AND value.company_id = t.company_id)")

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "rfm_recency_days", "rfm_frequency",
                "rfm_monetary", "rfm_r_score", "rfm_f_score", "rfm_m_score", "rfm_segment",
                "clv_historic", "clv_predicted", "expected_purchases_90d",
                "probability_alive", "value_quadrant", "churn_risk", "churn_reasons",
                "churn_alert_date", "value_company_id", "value_date", "value_history_ids",
                "crm_value_id")

    def write(self, vals):
        if not {"parent_id", "is_company"} & set(vals):
            return super().write(vals)
        # the orders of these contacts move to another customer without any order
        # being written: the value engine counts both customers again
        before = self.commercial_partner_id
        result = super().write(vals)
        self.env["crm.customer.value.recount"]._mark(
            (before | self.commercial_partner_id).ids)
        return result

    # ------------------------------------------------------------------ read

    def _crm_value_rows(self, sudo=False):
        """The current company's value rows of these partners, by partner id; with the
        reader's rights unless ``sudo``."""
        Value = self.env["crm.customer.value"]
        if sudo:
            Value = Value.sudo()
        elif not Value.has_access("read"):
            return {}
        ids = [pid for pid in self.ids if pid]
        if not ids:
            return {}
        rows = Value.search([("company_id", "=", self.env.company.id),
                             ("partner_id", "in", ids)])
        return {row.partner_id.id: row for row in rows}

    @api.depends_context("company", "uid", "lang")
    def _compute_crm_value(self):
        rows = self._crm_value_rows()
        empty = dict.fromkeys((*SCORE_FIELDS, "value_company_id"), False)
        for partner in self:
            row = rows.get(partner.id)
            partner.crm_value_id = row
            if not row or not row.value_date:
                partner.update(empty)
                continue
            partner.update({name: row[name] for name in SCORE_FIELDS})
            partner.value_company_id = row.company_id

    @api.depends_context("company")
    def _compute_crm_tier_stage(self):
        rows = self._crm_value_rows(sudo=True)
        for partner in self:
            row = rows.get(partner.id)
            partner.customer_tier = row.customer_tier if row else False
            partner.lifecycle_stage = row.lifecycle_stage if row else False

    def _inverse_crm_tier(self):
        self._crm_set_manual("customer_tier")

    def _inverse_crm_stage(self):
        self._crm_set_manual("lifecycle_stage")

    def _crm_set_manual(self, fname):
        # the protected-fields mixin refused the correction to anyone but a manager
        for value in set(self.mapped(fname)):
            partners = self.filtered(lambda partner, value=value: partner[fname] == value)
            self.env["crm.customer.value"]._set_manual(
                partners, self.env.company, fname, value)

    # ------------------------------------------------------------------ search

    @api.model
    def _crm_value_domain(self, fname, operator, value, sudo=False):
        """A condition on a value field as a condition on the partner: the partners
        whose current company's row matches, plus, when an absent value matches, the
        partners without a row."""
        Value = self.env["crm.customer.value"]
        if sudo:
            Value = Value.sudo()
        company = [("company_id", "=", self.env.company.id)]
        if fname == "value_company_id":
            fname = "company_id"
        matching = Value._search(company + [(fname, operator, value)])
        domain = [("id", "in", matching.subselect("partner_id"))]
        if self._crm_absent_matches(operator, value):
            scored = Value._search(company + [(fname, "!=", False)])
            domain = ["|", ("id", "not in", scored.subselect("partner_id")), *domain]
        return domain

    @staticmethod
    def _crm_absent_matches(operator, value):
        """Whether a partner without a value satisfies ``operator value``."""
        values = value if isinstance(value, list | tuple | set) else [value]
        empty = {False, None}
        if operator in ("=", "=?"):
            return value in empty
        if operator == "!=":
            return value not in empty
        if operator == "in":
            return bool(empty.intersection(values))
        if operator == "not in":
            return not empty.intersection(values)
        return False


def _searcher(fname, sudo=False):
    def search(self, operator, value):
        return self._crm_value_domain(fname, operator, value, sudo=sudo)
    search.__name__ = f"_search_{fname}"
    return search


for _fname in (*SCORE_FIELDS, "value_company_id"):
    setattr(ResPartner, f"_search_{_fname}", _searcher(_fname))
for _fname in ("customer_tier", "lifecycle_stage"):
    # tier and stage decide SLA policies and routing, for every employee
    setattr(ResPartner, f"_search_{_fname}", _searcher(_fname, sudo=True))
