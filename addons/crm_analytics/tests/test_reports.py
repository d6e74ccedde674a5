from datetime import date, datetime, timedelta

from odoo import models
from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CrmAnalyticsCommon


class ReportCase(CrmAnalyticsCommon):
    """Figures of the reports, read as the pivot reads them, in the tests' company."""

    def _aggregates(self, model, measures):
        Report = self.env[model]
        return [f"{measure}:{Report._fields[measure].aggregator}" for measure in measures]

    def _groups(self, model, measures, groupby, domain=()):
        """``{group value: {measure: value}}`` of ``model`` in the tests' company, as
        the pivot aggregates them (False: no value, an empty cell)."""
        self.env.flush_all()
        rows = self.env[model]._read_group(
            [("company_id", "=", self.company.id), *domain], [groupby],
            self._aggregates(model, measures))
        result = {}
        for key, *values in rows:
            if isinstance(key, models.BaseModel):
                key = key.id
            result[key] = dict(zip(measures, values, strict=True))
        return result

    def _total(self, model, measures, domain=()):
        self.env.flush_all()
        [values] = self.env[model]._read_group(
            [("company_id", "=", self.company.id), *domain], [],
            self._aggregates(model, measures))
        return dict(zip(measures, values, strict=True))

    def _sql(self, query, *params):
        self.env.flush_all()
        self.env.cr.execute(query, params)
        self.env.invalidate_all()


@tagged("post_install", "-at_install")
class TestFunnelReport(ReportCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_west = cls.env["crm.team"].create({
            "name": "Team West", "company_id": cls.company.id,
        })
        cls.campaign = cls.env["utm.campaign"].create({"name": "Spring Fair"})
        Lead = cls.env["crm.lead"]
        common = {"company_id": cls.company.id, "team_id": cls.team.id,
                  "user_id": cls.salesman.id}
        cls.lead_only = Lead.create({**common, "name": "Lead only", "type": "lead",
                                     "campaign_id": cls.campaign.id})
        cls.opportunity = Lead.create({**common, "name": "Opportunity", "type": "opportunity",
                                       "campaign_id": cls.campaign.id})
        cls.quoted = Lead.create({**common, "name": "Quoted", "type": "opportunity",
                                  "partner_id": cls.customer.id})
        cls.ordered = Lead.create({**common, "name": "Ordered", "type": "opportunity",
                                   "partner_id": cls.customer.id,
                                   "campaign_id": cls.campaign.id})
        cls.lost = Lead.create({**common, "name": "Lost", "type": "opportunity",
                                "user_id": cls.colleague.id})
        cls.west_lead = Lead.create({**common, "name": "West lead", "type": "lead",
                                     "team_id": cls.team_west.id})
        quotation = cls._order(cls.customer, 500.0, confirm=False)
        quotation.opportunity_id = cls.quoted
        cancelled = cls._order(cls.customer, 700.0, confirm=False)
        cancelled.opportunity_id = cls.lost
        cancelled._action_cancel()
        order = cls._order(cls.customer, 1000.0, confirm=False)
        order.opportunity_id = cls.ordered
        order.action_confirm()
        cls.ordered.action_set_won()
        cls.lost.action_set_lost()
        # known dates: the won lead created 10 days before its order, won after 6 days
        ordered_on = datetime(2025, 3, 11, 10, 0)
        order.date_order = ordered_on
        cls.env.flush_all()
        cls.env.cr.execute(
            "UPDATE crm_lead SET create_date = %s, date_closed = %s WHERE id = %s",
            (ordered_on - timedelta(days=10), ordered_on - timedelta(days=4), cls.ordered.id))
        cls.env.invalidate_all()

    def test_funnel_counts_and_rates_by_team(self):
        measures = ["lead_count", "opportunity_count", "quotation_count", "order_count",
                    "won_count", "lost_count", "order_amount", "opportunity_rate",
                    "quotation_rate", "order_rate", "conversion_rate", "win_rate"]
        groups = self._groups("crm.funnel.report", measures, "team_id")
        self.assertEqual(groups[self.team.id], {
            "lead_count": 5, "opportunity_count": 4, "quotation_count": 2, "order_count": 1,
            "won_count": 1, "lost_count": 1, "order_amount": 1000.0,
            "opportunity_rate": 80.0, "quotation_rate": 50.0, "order_rate": 50.0,
            "conversion_rate": 20.0, "win_rate": 50.0,
        })
        # no opportunity in the west: nothing to compare with, not 0 %
        west = groups[self.team_west.id]
        self.assertEqual((west["lead_count"], west["opportunity_rate"]), (1, 0.0))
        self.assertIs(west["quotation_rate"], False)
        self.assertIs(west["order_rate"], False)
        self.assertIs(west["win_rate"], False)

    def test_rates_compare_the_same_leads(self):
        """Each stage is part of the one before, whatever the grouping."""
        rates = ["opportunity_rate", "quotation_rate", "order_rate", "conversion_rate",
                 "win_rate"]
        for groupby in ("user_id", "campaign_id", "date:month", "team_id"):
            for values in self._groups("crm.funnel.report", rates, groupby).values():
                for rate in rates:
                    if values[rate] is not False:
                        self.assertLessEqual(values[rate], 100.0, f"{rate} by {groupby}")
        # a quotation on a lead that was never converted still counts it as an opportunity
        by_lead = self._groups("crm.funnel.report", ["opportunity_count", "quotation_count"],
                               "lead_id")
        self.assertEqual(by_lead[self.quoted.id],
                         {"opportunity_count": 1, "quotation_count": 1})
        # a cancelled quotation does not count
        self.assertEqual(by_lead[self.lost.id]["quotation_count"], 0)

    def test_funnel_by_salesperson_and_campaign(self):
        by_user = self._groups("crm.funnel.report", ["lead_count", "order_count"], "user_id")
        self.assertEqual(by_user[self.salesman.id], {"lead_count": 5, "order_count": 1})
        self.assertEqual(by_user[self.colleague.id], {"lead_count": 1, "order_count": 0})
        by_campaign = self._groups("crm.funnel.report",
                                   ["lead_count", "opportunity_count", "order_count",
                                    "conversion_rate"], "campaign_id")
        self.assertEqual(by_campaign[self.campaign.id], {
            "lead_count": 3, "opportunity_count": 2, "order_count": 1,
            "conversion_rate": 100.0 / 3,
        })

    def test_cycle_times(self):
        totals = self._total("crm.funnel.report", ["avg_order_days", "avg_won_days"],
                             [("team_id", "=", self.team.id)])
        self.assertAlmostEqual(totals["avg_order_days"], 10.0, places=3)
        self.assertAlmostEqual(totals["avg_won_days"], 6.0, places=3)
        west = self._total("crm.funnel.report", ["avg_order_days", "avg_won_days"],
                           [("team_id", "=", self.team_west.id)])
        self.assertEqual(west, {"avg_order_days": False, "avg_won_days": False})


@tagged("post_install", "-at_install")
class TestCustomerValueReport(ReportCase):
    """Pyramid, RFM and quadrant distribution, churn by group: the scores are set as
    the engine writes them (its own tests check how it computes them)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.source_fair = cls.env["utm.source"].create({"name": "Trade Fair"})
        cls.source_web = cls.env["utm.source"].create({"name": "Website"})
        specs = [
            # name, value, tier, segment, quadrant, stage, risk, source, salesperson
            ("Alpha", 500.0, "key", "champions", "grow", "stability", "low",
             cls.source_fair, cls.salesman),
            ("Beta", 300.0, "key", "loyal", "maintain", "decline", "high",
             cls.source_fair, cls.salesman),
            ("Gamma", 150.0, "normal", "at_risk", "maintain", "churned", "high",
             cls.source_web, cls.colleague),
            ("Delta", 40.0, "small", "new", "develop", "exploration", "medium",
             cls.source_web, cls.colleague),
            ("Epsilon", 10.0, "small", "lost", "reduce", "churned", "high",
             cls.source_web, cls.salesman),
        ]
        cls.customers = cls.env["res.partner"]
        for name, value, tier, segment, quadrant, stage, risk, source, user in specs:
            partner = cls.env["res.partner"].create({
                "name": f"{name} Value Co", "is_company": True, "user_id": user.id,
                "acquisition_source_id": source.id,
            })
            cls.env["crm.customer.value"].sudo().create({
                "partner_id": partner.id, "company_id": cls.company.id,
                "clv_historic": value, "clv_predicted": value / 2,
                "engine_customer_tier": tier, "rfm_segment": segment,
                "value_quadrant": quadrant, "engine_lifecycle_stage": stage,
                "churn_risk": risk, "value_date": date(2025, 3, 31),
            })
            cls.customers |= partner
        # a contact of a customer and a partner never scored are no customers here
        cls.env["res.partner"].create({"name": "Alpha Buyer",
                                       "parent_id": cls.customers[0].id})
        cls.env["res.partner"].create({"name": "Never Bought", "is_company": True})

    def test_pyramid_customers_value_and_share(self):
        tiers = self._groups("crm.customer.value.report",
                             ["customer_count", "clv_historic", "value_share",
                              "clv_predicted"], "customer_tier")
        self.assertEqual(set(tiers), {"key", "normal", "small"})
        self.assertEqual(tiers["key"]["customer_count"], 2)
        self.assertEqual(tiers["key"]["clv_historic"], 800.0)
        self.assertAlmostEqual(tiers["key"]["value_share"], 80.0)
        self.assertAlmostEqual(tiers["normal"]["value_share"], 15.0)
        self.assertAlmostEqual(tiers["small"]["value_share"], 5.0)
        self.assertEqual(tiers["small"]["customer_count"], 2)
        self.assertEqual(tiers["small"]["clv_predicted"], 25.0)
        total = self._total("crm.customer.value.report", ["customer_count", "value_share"])
        self.assertEqual(total["customer_count"], 5)
        self.assertAlmostEqual(total["value_share"], 100.0)

    def test_rfm_segments_and_quadrants(self):
        quadrants = self._groups("crm.customer.value.report", ["customer_count"],
                                 "value_quadrant")
        self.assertEqual({key: value["customer_count"] for key, value in quadrants.items()},
                         {"grow": 1, "maintain": 2, "develop": 1, "reduce": 1})
        segments = self._groups("crm.customer.value.report", ["customer_count"],
                                "rfm_segment")
        self.assertEqual({key: value["customer_count"] for key, value in segments.items()},
                         {"champions": 1, "loyal": 1, "at_risk": 1, "new": 1, "lost": 1})

    def test_churn_rate_by_group(self):
        measures = ["customer_count", "churned_count", "churn_rate", "at_risk_count",
                    "at_risk_rate"]
        tiers = self._groups("crm.customer.value.report", measures, "customer_tier")
        self.assertEqual(tiers["key"], {"customer_count": 2, "churned_count": 0,
                                        "churn_rate": 0.0, "at_risk_count": 1,
                                        "at_risk_rate": 50.0})
        self.assertEqual(tiers["small"]["churn_rate"], 50.0)
        self.assertEqual(tiers["normal"]["churn_rate"], 100.0)
        # a churned customer is not also counted at risk
        self.assertEqual(tiers["normal"]["at_risk_count"], 0)
        sources = self._groups("crm.customer.value.report", measures,
                               "acquisition_source_id")
        self.assertEqual(sources[self.source_fair.id]["churn_rate"], 0.0)
        self.assertAlmostEqual(sources[self.source_web.id]["churn_rate"], 200.0 / 3)
        stages = self._groups("crm.customer.value.report", measures, "lifecycle_stage")
        self.assertEqual(stages["churned"]["churn_rate"], 100.0)
        self.assertEqual(stages["decline"]["at_risk_rate"], 100.0)
        total = self._total("crm.customer.value.report", measures)
        self.assertEqual((total["churned_count"], total["churn_rate"]), (2, 40.0))
        # a group without customers has no rate at all
        self.assertEqual(self._groups("crm.customer.value.report", measures,
                                      "customer_tier", [("customer_tier", "=", "none")]), {})

    def test_customer_without_scores_counts_zero(self):
        """A customer the engine could not rank yet (no tier, stage or risk) counts as
        a customer, neither churned nor at risk."""
        partner = self.env["res.partner"].create({"name": "Unranked Co", "is_company": True})
        self.env["crm.customer.value"].sudo().create({
            "partner_id": partner.id, "company_id": self.company.id, "clv_historic": 0.0,
            "value_date": date(2025, 3, 31)})
        measures = ["customer_count", "churned_count", "at_risk_count", "churn_rate",
                    "at_risk_rate"]
        self.assertEqual(
            self._groups("crm.customer.value.report", measures, "customer_tier")[False],
            {"customer_count": 1, "churned_count": 0, "at_risk_count": 0, "churn_rate": 0.0,
             "at_risk_rate": 0.0})


@tagged("post_install", "-at_install")
class TestRetentionReport(ReportCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        ann, bo, cai = cls._customers(3, prefix="Cohort")
        cls._orders_on([
            (ann, 100.0, date(2025, 1, 5)), (ann, 100.0, date(2025, 1, 20)),
            (ann, 100.0, date(2025, 2, 3)), (ann, 100.0, date(2025, 4, 9)),
            (bo, 100.0, date(2025, 1, 15)), (bo, 100.0, date(2025, 3, 1)),
            (cai, 100.0, date(2025, 2, 10)),
        ])
        # a quotation and a contact's order: the contact buys for its company
        cls._orders_on([(cai, 100.0, date(2025, 3, 10))], confirm=False)
        contact = cls.env["res.partner"].create({"name": "Cai's buyer", "parent_id": cai.id})
        cls._orders_on([(contact, 100.0, date(2025, 4, 2))])

    def _cohort(self, cohort):
        rows = self.env["crm.retention.report"].read_group(
            [("company_id", "=", self.company.id), ("cohort_date", "=", cohort)],
            ["customer_count", "active_count", "retention_rate"], ["month_index"],
            lazy=False)
        return {row["month_index"]: (row["customer_count"], row["active_count"],
                                     row["retention_rate"]) for row in rows}

    def test_retention_by_cohort(self):
        january = self._cohort(date(2025, 1, 1))
        self.assertEqual(january[0], (2, 2, 100.0))
        self.assertEqual(january[1], (2, 1, 50.0))
        self.assertEqual(january[2], (2, 1, 50.0))
        self.assertEqual(january[3], (2, 1, 50.0))
        self.assertEqual(january[4], (2, 0, 0.0))
        february = self._cohort(date(2025, 2, 1))
        self.assertEqual(february[0], (1, 1, 100.0))
        # the quotation of March does not count, the contact's order of April does
        self.assertEqual(february[1], (1, 0, 0.0))
        self.assertEqual(february[2], (1, 1, 100.0))
        # months run up to the current month
        today = date.today()
        months = (today.year - 2025) * 12 + today.month - 2
        self.assertEqual(max(february), months)
        self.assertEqual(set(self.env["crm.retention.report"].search(
            [("company_id", "=", self.company.id)]).mapped("cohort_date")),
            {date(2025, 1, 1), date(2025, 2, 1)})


@tagged("post_install", "-at_install")
class TestServiceReport(ReportCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.category = cls.env["crm.complaint.category"].create({"name": "Delivery"})
        cls.policy = cls.env["crm.sla.policy"].create({"name": "Standard"})
        Complaint = cls.env["crm.complaint"]
        cls.complaints = Complaint.create([{
            "name": f"Complaint {index}", "partner_id": cls.customer.id,
            "team_id": cls.team.id, "category_id": cls.category.id,
            "company_id": cls.company.id,
        } for index in range(4)])
        # (policy, SLA status, CSAT, NPS) as the service and the survey leave them
        states = [(True, "met", 5, 10), (True, "breached", 2, 3), (False, "met", None, 8),
                  (True, "on_track", None, None)]
        cls.env.flush_all()
        for complaint, (policy, status, csat, nps) in zip(cls.complaints, states,
                                                         strict=True):
            cls.env.cr.execute(
                "UPDATE crm_complaint SET sla_policy_id = %s, sla_status = %s, "
                "csat_score = %s, nps_score = %s WHERE id = %s",
                (cls.policy.id if policy else None, status, csat, nps, complaint.id))
        cls.env.invalidate_all()

    def test_sla_csat_nps_by_team_and_category(self):
        measures = ["complaint_count", "sla_base_count", "sla_met_count", "sla_breached_count",
                    "sla_compliance", "csat", "nps", "promoter_count", "detractor_count"]
        by_team = self._groups("crm.service.report", measures, "team_id")
        self.assertEqual(by_team[self.team.id], {
            "complaint_count": 4, "sla_base_count": 3, "sla_met_count": 2,
            "sla_breached_count": 1, "sla_compliance": 200.0 / 3,
            "csat": 3.5,                       # (5 + 2) / 2: unscored complaints left out
            "nps": 0.0,                        # 1 promoter, 1 passive, 1 detractor
            "promoter_count": 1, "detractor_count": 1,
        })
        by_category = self._groups("crm.service.report", ["sla_compliance"], "category_id")
        self.assertAlmostEqual(by_category[self.category.id]["sla_compliance"], 200.0 / 3)
        # without an SLA policy there is no compliance to show
        no_policy = self._total("crm.service.report", ["sla_compliance", "complaint_count"],
                                [("sla_base_count", "=", 0)])
        self.assertEqual(no_policy, {"sla_compliance": False, "complaint_count": 1})

    def test_satisfaction_report_unchanged(self):
        """crm_service's own report still shows the scored complaints only."""
        rows = self.env["crm.complaint.satisfaction.report"].search(
            [("company_id", "=", self.company.id)])
        self.assertEqual(rows.complaint_id, self.complaints[:3])


@tagged("post_install", "-at_install")
class TestCampaignRoi(ReportCase):

    def test_roi_and_cost_per_lead(self):
        campaign = self.env["utm.campaign"].create({
            "name": "Autumn Mailing", "company_id": self.company.id})
        other = self.env["utm.campaign"].create({
            "name": "No Cost Yet", "company_id": self.company.id})
        self.env["crm.campaign.cost"].create([
            {"campaign_id": campaign.id, "description": "Print", "amount": 300.0,
             "company_id": self.company.id},
            {"campaign_id": campaign.id, "description": "Postage", "amount": 100.0,
             "company_id": self.company.id},
        ])
        self.env["crm.lead"].create([
            {"name": f"Mailing lead {index}", "campaign_id": campaign.id,
             "company_id": self.company.id, "type": "lead"} for index in range(4)])
        order = self._order(self.customer, 1000.0)
        order.campaign_id = campaign
        measures = ["actual_cost", "revenue", "roi", "cost_per_lead", "lead_count",
                    "roi_cash"]
        by_campaign = self._groups("crm.campaign.report", measures, "campaign_id")
        # nothing collected yet on the order: on cash, the campaign lost its cost
        self.assertEqual(by_campaign[campaign.id], {
            "actual_cost": 400.0, "revenue": 1000.0, "roi": 150.0, "cost_per_lead": 100.0,
            "lead_count": 4, "roi_cash": -100.0,
        })
        self.assertIs(by_campaign[other.id]["roi"], False)
        self.assertIs(by_campaign[other.id]["cost_per_lead"], False)
        # both campaigns together: the ratio of the sums, not the mean of the ratios
        total = self._total("crm.campaign.report", ["roi"],
                            [("campaign_id", "in", (campaign | other).ids)])
        self.assertEqual(total["roi"], 150.0)


@tagged("post_install", "-at_install")
class TestReportAccess(RpcMixin, ReportCase, HttpCase):
    """Salespeople see the rows of their own leads and customers (and the unassigned
    ones), as in the host's sales analysis; team leaders see all."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Lead = cls.env["crm.lead"]
        cls.own_lead = Lead.create({"name": "Own lead", "user_id": cls.salesman.id,
                                    "company_id": cls.company.id})
        cls.other_lead = Lead.create({"name": "Colleague's lead",
                                      "user_id": cls.colleague.id,
                                      "company_id": cls.company.id})
        cls.main_company_lead = Lead.create({
            "name": "Lead of the main company", "user_id": cls.leader.id, "team_id": False,
            "company_id": cls.env.ref("base.main_company").id})
        cls.own_customer, cls.other_customer = cls._customers(2, prefix="Access")
        cls.own_customer.user_id = cls.salesman
        cls.other_customer.user_id = cls.colleague
        cls.other_value = cls.env["crm.customer.value"].sudo().create([{
            "partner_id": partner.id, "company_id": cls.company.id, "clv_historic": 100.0,
            "value_date": date(2025, 1, 31),
        } for partner in (cls.own_customer, cls.other_customer)])[1]
        cls._orders_on([(cls.own_customer, 100.0, date(2025, 1, 1)),
                        (cls.other_customer, 100.0, date(2025, 1, 1))])

    def test_salesperson_sees_own_rows_only(self):
        domain = [("company_id", "=", self.company.id)]
        rows = self.rpc_result("crm_core_salesman", "crm.funnel.report", "search_read",
                               domain, ["lead_id"])
        self.assertEqual({row["lead_id"][0] for row in rows}, {self.own_lead.id})
        rows = self.rpc_result("crm_core_salesman", "crm.customer.value.report",
                               "search_read", domain, ["partner_id"])
        self.assertEqual({row["partner_id"][0] for row in rows}, {self.own_customer.id})
        groups = self.rpc_result("crm_core_salesman", "crm.retention.report", "read_group",
                                 domain + [("month_index", "=", 0)], ["customer_count"], [])
        self.assertEqual(groups[0]["customer_count"], 1)
        # a row of a colleague's lead or customer is refused, even by id
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.funnel.report", "read",
                              [self.other_lead.id], ["lead_id"])
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.customer.value.report",
                              "read", [self.other_value.id], ["clv_historic"])

    def test_team_leader_sees_all_rows(self):
        domain = [("company_id", "=", self.company.id)]
        rows = self.rpc_result("crm_core_leader", "crm.funnel.report", "search_read",
                               domain, ["lead_id"])
        self.assertEqual({row["lead_id"][0] for row in rows},
                         {self.own_lead.id, self.other_lead.id})
        rows = self.rpc_result("crm_core_leader", "crm.customer.value.report",
                               "search_read", domain, ["partner_id"])
        self.assertEqual(len(rows), 2)

    def test_other_company_rows_hidden(self):
        domain = [("lead_id", "=", self.main_company_lead.id)]
        self.assertEqual(len(self.rpc_result(
            "crm_core_leader", "crm.funnel.report", "search_read", domain, ["lead_id"],
            context={"allowed_company_ids": self.main_company_lead.company_id.ids})), 1)
        self.assertEqual(self.rpc_result(
            "crm_core_leader", "crm.funnel.report", "search_read", domain, ["lead_id"],
            context={"allowed_company_ids": [self.company.id]}), [])
