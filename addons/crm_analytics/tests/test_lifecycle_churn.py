from datetime import timedelta
from unittest.mock import patch

import numpy as np

from odoo import fields
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools.misc import formatLang

from .common import AS_OF, CrmAnalyticsCommon


def ago(days):
    return AS_OF - timedelta(days=days)


@tagged("post_install", "-at_install")
class TestLifecycle(CrmAnalyticsCommon):

    def test_every_lifecycle_rule(self):
        (explorer, former, stable, quiet, overdue, churned,
         prospect) = self._customers(7, "Stage")
        self._orders_on([
            (explorer, 100.0, ago(10)),
            (former, 100.0, ago(60)), (former, 100.0, ago(20)),
            *((stable, 100.0, ago(days)) for days in (400, 300, 200, 100, 10)),
            (quiet, 100.0, ago(200)),
            *((overdue, 100.0, ago(days)) for days in (100, 90, 80)),
            (churned, 100.0, ago(400)),
        ])
        self.env["crm.lead"].create({"name": "First deal", "partner_id": prospect.id,
                                     "type": "opportunity"})
        model = self._run()
        self.assertEqual(model.state, "not_enough_data")
        self.assertEqual(
            (explorer | former | stable | quiet | overdue | churned | prospect)
            .mapped("lifecycle_stage"),
            ["exploration", "formation", "stability", "decline", "decline", "churned",
             "prospect"])
        self.assertFalse(prospect.rfm_frequency)
        # the rules are configurable
        self.company.write({"crm_lifecycle_decline_days": 250,
                            "crm_lifecycle_stability_orders": 6,
                            "crm_overdue_factor": 20})
        self._run()
        self.assertEqual((quiet | stable | overdue).mapped("lifecycle_stage"),
                         ["exploration", "formation", "formation"])

    def test_transitions_are_recorded(self):
        [customer] = self._customers(1, "Moving")
        self._orders_on([(customer, 100.0, ago(10))])
        self._run()
        self._run(AS_OF + timedelta(days=200))
        self._run(AS_OF + timedelta(days=400))
        self.assertEqual(customer.lifecycle_stage, "churned")
        history = customer.value_history_ids.sorted("as_of")
        self.assertRecordValues(history, [
            {"previous_lifecycle_stage": False, "lifecycle_stage": "exploration",
             "lifecycle_changed": True},
            {"previous_lifecycle_stage": "exploration", "lifecycle_stage": "decline",
             "lifecycle_changed": True},
            {"previous_lifecycle_stage": "decline", "lifecycle_stage": "churned",
             "lifecycle_changed": True},
        ])
        # nothing changed the next day, in the same month: no new row
        self._run(AS_OF + timedelta(days=401))
        self.assertEqual(customer.value_history_ids.sorted("as_of"), history)

    def test_probability_alive_rules(self):
        """With a fitted model, the probability alive moves customers to decline and
        churned, and is a churn signal."""
        partners = self._customers(30, "Alive")
        specs = []
        for index, partner in enumerate(partners):
            for visit in range(1 + index % 4):
                specs.append((partner, 20.0 + 5 * index,
                              ago(300 - index * 5 - visit * (10 + index))))
        self._orders_on(specs)
        self.company.write({"crm_lifecycle_decline_days": 3000,
                            "crm_lifecycle_churn_days": 3650,
                            "crm_overdue_factor": 20,
                            "crm_lifecycle_decline_alive": 60,
                            "crm_lifecycle_churn_alive": 30})
        model = self._run()
        self.assertEqual(model.state, "fitted", model.reason)
        for partner in partners:
            alive = partner.probability_alive
            expected = ("churned" if alive < 0.3 else "decline" if alive < 0.6
                        else "formation" if partner.rfm_frequency >= 2 else "exploration")
            self.assertEqual(partner.lifecycle_stage, expected, partner.name)
            self.assertEqual("Probability of being still active" in
                             (partner.churn_reasons or ""), alive < 0.5, partner.name)
        self.assertTrue({"churned", "decline"} & set(partners.mapped("lifecycle_stage")))

    def test_bad_rules_are_refused(self):
        for values in ({"crm_lifecycle_formation_orders": 1},
                       {"crm_lifecycle_formation_orders": 6},
                       {"crm_lifecycle_decline_days": 400},
                       {"crm_lifecycle_stability_days": 0},
                       {"crm_lifecycle_churn_alive": 60},
                       {"crm_overdue_factor": 1}):
            with self.subTest(values=values), \
                    self.assertRaisesText(ValidationError, "of Analytics Test Company"):
                self.company.write(values)
        for values, text in (({"crm_quadrant_historic_percentile": 0}, "Customer value matrix"),
                             ({"crm_quadrant_predicted_percentile": 100},
                              "Customer value matrix"),
                             ({"crm_churn_spend_drop": 100}, "Churn warning"),
                             ({"crm_churn_high_signals": 0}, "Churn warning"),
                             ({"crm_churn_warning_limit": 0}, "Churn warning"),
                             ({"crm_churn_warning_limit": 5000}, "Churn warning"),
                             ({"crm_churn_spend_days": 3}, "Churn warning"),
                             ({"crm_clv_horizon_months": 0}, "CLV horizon")):
            with self.subTest(values=values), self.assertRaisesText(ValidationError, text):
                self.company.write(values)


@tagged("post_install", "-at_install")
class TestValueMatrix(CrmAnalyticsCommon):

    def test_quadrants(self):
        partners = self._customers(30, "Matrix")
        specs = []
        for index, partner in enumerate(partners):
            for visit in range(1 + index % 4):
                specs.append((partner, 20.0 + 7 * ((index * 11) % 30),
                              ago(300 - index * 5 - visit * (10 + index))))
        self._orders_on(specs)
        model = self._run()
        self.assertEqual(model.state, "fitted", model.reason)
        # the predicted values of each run itself (a stored one is refreshed only
        # when it moves by more than 5%)
        scores = {}
        engine_class = type(self.env["crm.analytics.engine"])
        compute_scores = engine_class._customer_scores

        def keep_scores(engine, *args, **kwargs):
            scores.update(compute_scores(engine, *args, **kwargs))
            return scores

        for historic_pct, predicted_pct in ((50, 50), (80, 30)):
            self.company.write({"crm_quadrant_historic_percentile": historic_pct,
                                "crm_quadrant_predicted_percentile": predicted_pct})
            with patch.object(engine_class, "_customer_scores", keep_scores):
                self._run()
            historic = np.percentile(partners.mapped("clv_historic"), historic_pct)
            predicted = np.percentile(scores["clv"], predicted_pct)
            for partner in partners:
                high_now = partner.clv_historic >= historic - 0.005
                high_later = partner.clv_predicted >= predicted - 0.005
                expected = {(True, True): "grow", (False, True): "develop",
                            (True, False): "maintain", (False, False): "reduce"}
                self.assertEqual(partner.value_quadrant, expected[high_now, high_later],
                                 partner.name)
            self.assertEqual(len(set(partners.mapped("value_quadrant"))), 4)
        self.assertEqual(partners[0].value_history_ids[0].value_quadrant,
                         partners[0].value_quadrant)

    def test_no_quadrant_without_a_model(self):
        [customer] = self._customers(1, "Alone")
        self._orders_on([(customer, 100.0, ago(3))])
        self._run()
        self.assertTrue(customer.rfm_segment)
        self.assertFalse(customer.value_quadrant)


@tagged("post_install", "-at_install")
class TestChurnWarning(CrmAnalyticsCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.closed_stage = cls.env["crm.complaint.stage"].search(
            [("is_closed", "=", True)], limit=1)

    def _activities(self, partner):
        return self.env["mail.activity"].search([
            ("res_model", "=", "res.partner"), ("res_id", "=", partner.id)])

    def _complaint(self, partner):
        return self.env["crm.complaint"].create({"name": "Broken", "partner_id": partner.id})

    def test_one_activity_per_episode(self):
        [customer] = self._customers(1, "Slipping", user_id=self.salesman.id)
        self._orders_on([(customer, 100.0, ago(days)) for days in (100, 90, 80)])
        complaint = self._complaint(customer)
        self._run()
        self.assertEqual(customer.churn_risk, "high")
        self.assertEqual(customer.churn_alert_date, AS_OF)
        activity = self._activities(customer)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.salesman)
        self.assertIn("Overdue: 80 days since the last order, usual gap 10 days",
                      activity.note)
        self.assertIn("Unresolved complaints: 1", activity.note)
        # still high: the same episode, no second activity
        self._run()
        self.assertEqual(customer.churn_risk, "high")
        self.assertEqual(len(self._activities(customer)), 1)
        # back to low: the episode ends
        complaint.stage_id = self.closed_stage
        self._orders_on([(customer, 100.0, AS_OF)])
        self._run()
        self.assertEqual(customer.churn_risk, "low")
        self.assertFalse(customer.churn_alert_date)
        self.assertFalse(customer.churn_reasons)
        # high again: a new episode, a new activity
        self._complaint(customer)
        customer.sudo().write({"crm_last_nps": 3, "crm_nps_date": fields.Datetime.now()})
        self._run()
        self.assertEqual(customer.churn_risk, "high")
        activities = self._activities(customer)
        self.assertEqual(len(activities), 2)
        self.assertIn("Detractor", activities.sorted("id")[-1].note)
        # a history row when the risk changes, not at every run
        self.assertEqual(customer.value_history_ids.sorted("id").mapped("churn_risk"),
                         ["high", "low", "high"])

    def test_medium_stays_in_the_episode(self):
        [customer] = self._customers(1, "Wavering", user_id=self.salesman.id)
        self._orders_on([(customer, 100.0, ago(days)) for days in (100, 90, 80)])
        complaint = self._complaint(customer)
        self._run()
        complaint.stage_id = self.closed_stage
        self._run()
        self.assertEqual(customer.churn_risk, "medium")
        self.assertEqual(customer.churn_alert_date, AS_OF)
        self._complaint(customer)
        self._run()
        self.assertEqual(customer.churn_risk, "high")
        self.assertEqual(len(self._activities(customer)), 1)

    def test_signals(self):
        falling, detractor, calm = self._customers(3, "Signal")
        self._orders_on([
            (falling, 1000.0, ago(300)), (falling, 100.0, ago(10)),
            (detractor, 100.0, ago(5)),
            (calm, 100.0, ago(30)), (calm, 100.0, ago(5)),
        ])
        detractor.sudo().write({"crm_last_nps": 2, "crm_nps_date": fields.Datetime.now()})
        self._run()
        self.assertRecordValues(falling | detractor | calm, [
            {"churn_risk": "medium"}, {"churn_risk": "medium"}, {"churn_risk": "low"}])
        currency = self.company.currency_id
        recent = formatLang(self.env, 100.0, currency_obj=currency)
        previous = formatLang(self.env, 1000.0, currency_obj=currency)
        self.assertEqual(falling.churn_reasons, f"Falling spend: {recent} over the last "
                         f"period against {previous} over the period before")
        self.assertIn("Detractor", detractor.churn_reasons)
        # one signal is enough when the company says so
        self.company.crm_churn_high_signals = 1
        self._run()
        self.assertEqual((falling | detractor).mapped("churn_risk"), ["high", "high"])
        self.assertFalse(self._activities(calm))

    def test_overdue_receivables_are_a_signal(self):
        """An instalment of the company's payment plans past its date (回款逾期) warns
        that the customer may be slipping away; one still to come does not."""
        late, paying = self._customers(2, "Receivable")
        orders = self._orders_on([(late, 1000.0, ago(40)), (paying, 1000.0, ago(40))])
        Plan = self.env["crm.collection.plan"].sudo()
        today = fields.Date.today()
        for order, day in zip(orders, (ago(10), today + timedelta(days=30)), strict=True):
            Plan.create({"order_id": order.id, "sequence": 1, "date_planned": day,
                         "amount": 1000.0})
        self.assertEqual(orders.collection_plan_ids.mapped("state"), ["overdue", "planned"])
        self._run()
        self.assertEqual((late.churn_risk, paying.churn_risk), ("medium", "low"))
        amount = formatLang(self.env, 1000.0, currency_obj=self.company.currency_id)
        self.assertEqual(late.churn_reasons,
                         f"Overdue receivables: {amount} of instalments past their date")

    def test_fallback_responsible(self):
        nobody, orphan = self._customers(2, "Orphan")
        self._orders_on([(nobody, 100.0, ago(days)) for days in (100, 90, 80)])
        self._complaint(nobody)
        self.company.crm_fallback_user_id = False
        model = self._run()
        self.assertEqual(nobody.churn_risk, "high")
        self.assertIn("Unresolved complaints: 1", nobody.churn_reasons)
        self.assertFalse(self._activities(nobody))
        # the run says how many customers nobody could be warned about
        self.assertRecordValues(model, [
            {"churn_warning_count": 0, "churn_unwarned_count": 1}])
        # nobody warned, no episode started: counted again at the next run
        self.assertFalse(nobody.churn_alert_date)
        self.assertEqual(self._run().churn_unwarned_count, 1)
        # with a default CRM responsible, both are warned, once
        self._orders_on([(orphan, 100.0, ago(days)) for days in (100, 90, 80)])
        self._complaint(orphan)
        self.company.crm_fallback_user_id = self.manager
        model = self._run()
        self.assertEqual(self._activities(orphan).user_id, self.manager)
        self.assertEqual(self._activities(nobody).user_id, self.manager)
        self.assertEqual(nobody.churn_alert_date, AS_OF)
        self.assertRecordValues(model, [
            {"churn_warning_count": 2, "churn_unwarned_count": 0}])
        self.assertEqual(self._run().churn_warning_count, 0, "the same episodes")
        self.assertEqual(len(self._activities(nobody)), 1)

    def test_warnings_per_day_most_valuable_first(self):
        """A salesperson gets at most the company's number of retention activities a
        day, for the most valuable customers; the others wait without a warning date
        and are warned on the next days, each once."""
        small, large, middle = self._customers(3, "Limited", user_id=self.salesman.id)
        self._orders_on([
            (partner, amount, ago(days))
            for partner, amount in ((small, 10.0), (large, 1000.0), (middle, 100.0))
            for days in (100, 90, 80)
        ])
        for partner in small | large | middle:
            self._complaint(partner)
        self.company.crm_churn_warning_limit = 2
        model = self._run()
        self.assertEqual((small | large | middle).mapped("churn_risk"), ["high"] * 3)
        self.assertRecordValues(model, [{"churn_warning_count": 2,
                                         "churn_deferred_count": 1,
                                         "churn_unwarned_count": 0}])
        self.assertEqual(len(self._activities(large)), 1)
        self.assertEqual(len(self._activities(middle)), 1)
        self.assertFalse(self._activities(small))
        self.assertFalse(small.churn_alert_date)
        # the same day again: the day's share is given
        model = self._run()
        self.assertRecordValues(model, [{"churn_warning_count": 0,
                                         "churn_deferred_count": 1}])
        self.assertFalse(self._activities(small))
        # the next day, the one left waiting is warned, and nobody twice
        model = self._run(AS_OF + timedelta(days=1))
        self.assertRecordValues(model, [{"churn_warning_count": 1,
                                         "churn_deferred_count": 0}])
        self.assertEqual([len(self._activities(partner)) for partner in (small, large, middle)],
                         [1, 1, 1])
        self.assertEqual(small.churn_alert_date, AS_OF + timedelta(days=1))

    def test_no_warning_for_churned_customers(self):
        """A customer already churned (no order for more than a year) is at high risk
        but gets no retention activity: the warning is for those who can still be
        kept."""
        [gone] = self._customers(1, "Gone", user_id=self.salesman.id)
        self._orders_on([(gone, 100.0, ago(days)) for days in (500, 480, 460)])
        self._complaint(gone)
        model = self._run()
        self.assertEqual((gone.lifecycle_stage, gone.churn_risk), ("churned", "high"))
        self.assertFalse(self._activities(gone))
        self.assertFalse(gone.churn_alert_date)
        self.assertEqual(model.churn_warning_count, 0)
