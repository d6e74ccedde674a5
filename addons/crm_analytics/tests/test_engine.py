from datetime import date, timedelta
from unittest.mock import patch

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from odoo.addons.crm_analytics.tools import clv_fit

from .common import AS_OF, CrmAnalyticsCommon


@tagged("post_install", "-at_install")
class TestEngine(CrmAnalyticsCommon):

    def _work_rows(self):
        """(x, t_x, T, m_x) per partner id, as the engine extracted them."""
        self.env.cr.execute(
            "SELECT partner_id, x, t_x, age, round(m_x::numeric, 2) FROM crm_analytics_customer"
        )
        return {row[0]: tuple(float(value) for value in row[1:])
                for row in self.env.cr.fetchall()}

    def test_extraction_hand_computed(self):
        a, b, c = self._customers(3)
        c_contact = self.env["res.partner"].create({"name": "C's buyer", "parent_id": c.id})
        self._orders_on([
            (a, 100.0, date(2025, 1, 10)),
            (a, 50.0, date(2025, 1, 10)),    # same day: one transaction of 150
            (a, 200.0, date(2025, 2, 9)),
            (a, 300.0, date(2025, 3, 1)),
            (b, 80.0, date(2025, 3, 20)),
            (c_contact, 40.0, date(2025, 2, 1)),  # counts for the company
            (c, 500.0, date(2025, 4, 15)),   # after as_of: ignored
        ])
        cancelled = self._orders_on([(c, 1000.0, date(2025, 1, 5))])
        cancelled._action_cancel()
        self._orders_on([(b, 999.0, date(2025, 1, 2))], confirm=False)  # quotation
        model = self._run()
        rows = self._work_rows()
        # A: days Jan 10, Feb 9, Mar 1: x = 2, t_x = 50, T = 80, m_x = (200 + 300) / 2
        self.assertEqual(rows[a.id], (2, 50, 80, 250))
        self.assertEqual(rows[b.id], (0, 0, 11, 0))
        self.assertEqual(rows[c.id], (0, 0, 58, 0))
        self.assertNotIn(c_contact.id, rows)
        self.assertEqual(model.customer_count, 3)
        self.assertEqual(model.repeat_customer_count, 1)
        self.assertEqual(model.state, "not_enough_data")
        self.assertIn("at least 20", model.reason)

        self.assertRecordValues(a | b | c, [
            {"rfm_recency_days": 30, "rfm_frequency": 4, "rfm_monetary": 650.0,
             "clv_historic": 650.0, "rfm_r_score": 2, "rfm_f_score": 3, "rfm_m_score": 3,
             "rfm_segment": "at_risk", "customer_tier": "key", "value_date": AS_OF},
            {"rfm_recency_days": 11, "rfm_frequency": 1, "rfm_monetary": 80.0,
             "clv_historic": 80.0, "rfm_r_score": 3, "rfm_f_score": 2, "rfm_m_score": 2,
             "rfm_segment": "about_to_sleep", "customer_tier": "normal",
             "value_date": AS_OF},
            {"rfm_recency_days": 58, "rfm_frequency": 1, "rfm_monetary": 40.0,
             "clv_historic": 40.0, "rfm_r_score": 1, "rfm_f_score": 1, "rfm_m_score": 1,
             "rfm_segment": "lost", "customer_tier": "normal", "value_date": AS_OF},
        ])
        self.assertFalse(c_contact.rfm_segment)
        self.assertEqual(len(a.value_history_ids), 1)
        self.assertRecordValues(a.value_history_ids, [{
            "as_of": AS_OF, "rfm_segment": "at_risk", "clv_historic": 650.0,
            "customer_tier": "key", "company_id": self.company.id,
        }])

    def test_no_orders_at_all(self):
        model = self._run(date(2000, 1, 1))
        self.assertEqual(model.state, "not_enough_data")
        self.assertEqual(model.customer_count, 0)
        self.assertIn("No confirmed orders", model.reason)
        self.assertFalse(self.env["res.partner"].search_count(
            [("value_date", "=", date(2000, 1, 1)), ("rfm_frequency", ">", 0)]))

    def test_why_not_fitted_reads_in_each_users_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        model = self._run(date(2000, 1, 1))  # run by an English-speaking user
        self.assertEqual(model.with_context(lang="en_US").reason,
                         "No confirmed orders up to 2000-01-01.")
        self.assertEqual(model.with_context(lang="zh_CN").reason,
                         "截至 2000-01-01 没有已确认的订单。")

    def test_one_customer(self):
        [solo] = self._customers(1)
        self._orders_on([(solo, 120.0, date(2025, 3, 1)), (solo, 30.0, date(2025, 3, 8))])
        model = self._run()
        self.assertEqual(model.customer_count, 1)
        self.assertRecordValues(solo, [{
            "rfm_frequency": 2, "clv_historic": 150.0, "rfm_recency_days": 23,
            "customer_tier": "key",
        }])
        self.assertTrue(solo.rfm_segment)

    def test_all_orders_on_one_day(self):
        partners = self._customers(25)
        day = date(2025, 3, 10)
        self._orders_on([(partner, 10.0 * (index + 1), day)
                         for index, partner in enumerate(partners)])
        model = self._run()
        self.assertEqual(model.state, "not_enough_data")
        self.assertEqual(model.repeat_customer_count, 0)
        self.assertEqual(set(partners.mapped("rfm_recency_days")), {21})
        self.assertFalse(any(partners.mapped("clv_predicted")))
        # the biggest spenders are the key customers
        self.assertEqual(partners[-1].customer_tier, "key")
        self.assertEqual(partners[0].customer_tier, "small")
        self.assertEqual(sorted(set(partners.mapped("rfm_m_score"))), [1, 2, 3, 4, 5])

    def test_cancelled_orders_are_forgotten_on_the_next_run(self):
        a, b = self._customers(2)
        orders = self._orders_on([(a, 100.0, date(2025, 3, 1)), (b, 50.0, date(2025, 3, 2))])
        self._run()
        self.assertEqual(b.rfm_frequency, 1)
        orders[1]._action_cancel()
        self._run()
        self.assertFalse(b.rfm_frequency)
        self.assertFalse(b.customer_tier)
        self.assertEqual(a.customer_tier, "key")
        self.assertEqual(len(a.value_history_ids), 2)

    def test_fitted_model_predicts(self):
        partners = self._customers(30)
        start = date(2024, 6, 1)
        specs = []
        for index, partner in enumerate(partners):
            visits = 1 + index % 4
            for visit in range(visits):
                specs.append((partner, (20.0 + 5 * index) * (0.5 + (visit * 7 + index) % 5 / 4),
                              start + timedelta(days=index * 3 + visit * (20 + index))))
        self._orders_on(specs)
        model = self._run()
        self.assertEqual(model.state, "fitted", model.reason)
        self.assertGreaterEqual(model.repeat_customer_count, 20)
        for name in ("bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b", "gg_p", "gg_q",
                     "gg_gamma"):
            self.assertGreater(model[name], 0, name)
        self.assertLess(model.log_likelihood, 0)
        self.assertEqual(model.time_unit, "day")
        self.assertEqual(model.horizon_months, 12)
        for partner in partners:
            self.assertGreater(partner.clv_predicted, 0, partner.name)
            self.assertGreater(partner.expected_purchases_90d, 0, partner.name)
            self.assertTrue(0 < partner.probability_alive <= 1, partner.name)
        # a longer horizon, a higher predicted value
        before = partners[5].clv_predicted
        self.company.crm_clv_horizon_months = 24
        self._run()
        self.assertGreater(partners[5].clv_predicted, before)

    def test_estimates_refitted_weekly(self):
        """The next days apply the last fit's estimates to their own figures; a week
        later, or when the customers changed by more than 5%, the models are fitted
        again."""
        partners = self._customers(30, "Weekly")
        start = date(2024, 6, 1)
        self._orders_on([
            (partner, (20.0 + 5 * index) * (0.5 + (visit * 7 + index) % 5 / 4),
             start + timedelta(days=index * 3 + visit * (20 + index)))
            for index, partner in enumerate(partners) for visit in range(1 + index % 4)
        ])
        first = self._run()
        self.assertEqual(first.fitted_as_of, AS_OF)
        estimates = ("model_kind", "bgnbd_r", "bgnbd_alpha", "bgnbd_a", "bgnbd_b",
                     "log_likelihood", "gg_p", "gg_q", "gg_gamma")
        # the next day: the same estimates, today's figures (a day older, a customer
        # who no longer buys is a little less likely to be still active)
        with patch.object(clv_fit, "choose_model", side_effect=AssertionError("refitted")), \
                patch.object(clv_fit, "fit_gamma_gamma",
                             side_effect=AssertionError("refitted")):
            second = self._run(AS_OF + timedelta(days=1))
        self.assertEqual(second.state, "fitted")
        self.assertEqual(second.fitted_as_of, AS_OF)
        self.assertEqual([second[name] for name in estimates],
                         [first[name] for name in estimates])
        self.assertEqual(second.customer_count, 30)
        values = self.env["crm.customer.value"].search(
            [("company_id", "=", self.company.id), ("partner_id", "in", partners.ids)])
        self.assertEqual(len(values), 30)
        for value in values:
            age = (second.as_of - value.first_purchase_date).days
            self.assertAlmostEqual(value.probability_alive, float(clv_fit.probability_alive(
                first._params(), [value.repeat_purchase_days], [value.repeat_span_days],
                [age])[0]), places=3)
        # a week after the fit: fitted again
        week = self._run(AS_OF + timedelta(days=7))
        self.assertEqual(week.fitted_as_of, AS_OF + timedelta(days=7))
        # two new customers (more than 5% of 30) the next day: fitted again too
        newcomers = self._customers(2, "Newcomer")
        self._orders_on([(newcomer, 80.0, AS_OF + timedelta(days=8))
                         for newcomer in newcomers])
        grown = self._run(AS_OF + timedelta(days=8))
        self.assertEqual(grown.customer_count, 32)
        self.assertEqual(grown.fitted_as_of, AS_OF + timedelta(days=8))
        # a run for an earlier day than the fit's: fitted on its own orders
        earlier = self._run(AS_OF + timedelta(days=3))
        self.assertEqual(earlier.fitted_as_of, AS_OF + timedelta(days=3), earlier.reason)

    def test_same_spend_everywhere(self):
        """Every purchase of the same amount: the Gamma-Gamma estimates run away, the
        model says so and the prediction uses the average spend of a repeat purchase."""
        partners = self._customers(30, "Flat")
        start = date(2024, 6, 1)
        self._orders_on([
            (partner, 100.0, start + timedelta(days=index * 3 + visit * (20 + index)))
            for index, partner in enumerate(partners) for visit in range(1 + index % 4)
        ])
        model = self._run()
        self.assertEqual(model.state, "fitted")
        self.assertGreater(model.bgnbd_r, 0)
        self.assertFalse(model.gg_p)
        self.assertIn("Gamma-Gamma model could not be fitted", model.reason)
        self.assertIn("100.00", model.reason)
        for partner in partners:
            self.assertAlmostEqual(partner.clv_predicted,
                                   100.0 * self._horizon_purchases(partner), delta=0.02)

    def _horizon_purchases(self, partner):
        self.env.cr.execute("SELECT x, t_x, age FROM crm_analytics_customer WHERE partner_id = %s",
                            [partner.id])
        x, t_x, age = self.env.cr.fetchone()
        model = self.env["crm.clv.model"].search([("company_id", "=", self.company.id)],
                                                 limit=1)
        params = clv_fit.BgNbdParams(model.bgnbd_r, model.bgnbd_alpha, model.bgnbd_a,
                                     model.bgnbd_b)
        return clv_fit.expected_purchases(params, 12 * 365.25 / 12, [x], [t_x], [age])[0]

    def test_pyramid_shares(self):
        for key, normal in ((0, 15), (80, 0), (90, 20), (-5, 50)):
            with self.subTest(key=key, normal=normal), \
                    self.assertRaisesText(ValidationError, "Customer pyramid"):
                self.company.write({"crm_pyramid_key_share": key,
                                    "crm_pyramid_normal_share": normal})
        partners = self._customers(4)
        self._orders_on([(partner, amount, date(2025, 3, 1))
                         for partner, amount in zip(partners, (50, 25, 15, 10), strict=True)])
        self.company.write({"crm_pyramid_key_share": 50, "crm_pyramid_normal_share": 40})
        self._run()
        self.assertEqual(partners.mapped("customer_tier"), ["key", "normal", "normal", "small"])

    def test_run_is_for_sales_administrators(self):
        with self.assertRaises(AccessError):
            self.env["crm.analytics.engine"].with_user(self.salesman).run()
        model = self.env["crm.analytics.engine"].with_user(self.manager).run(as_of=AS_OF)
        self.assertEqual(model.as_of, AS_OF)

    def test_cron_and_button(self):
        cron = self.env.ref("crm_analytics.crm_analytics_engine_cron")
        domain = [("company_id", "=", self.company.id)]
        models = self.env["crm.clv.model"].search(domain)
        cron.method_direct_trigger()
        self.assertEqual(len(self.env["crm.clv.model"].search(domain) - models), 1)
        # computed for today already: the job leaves the company alone
        cron.method_direct_trigger()
        self.assertEqual(len(self.env["crm.clv.model"].search(domain) - models), 1)
        action = self.env["crm.clv.model"].with_user(self.manager).action_run_engine()
        self.assertEqual(action["tag"], "display_notification")
        self.assertEqual(action["params"]["next"]["tag"], "soft_reload")
        self.assertEqual(len(self.env["crm.clv.model"].search(domain) - models), 2)

    def test_tier_change_reaches_the_sla_policy(self):
        """Fields that depend on the tier (the SLA policy of a complaint) follow the
        tier the engine writes."""
        Policy = self.env["crm.sla.policy"]
        default = self.env.ref("crm_service.crm_sla_policy_default")
        (Policy.search([]) - default).active = False
        key_policy = Policy.create({
            "name": "Key customers", "sequence": 1, "customer_tier": "key",
            "response_hours": 1, "resolve_hours": 4,
        })
        complaint = self.env["crm.complaint"].create({
            "name": "Late delivery", "partner_id": self.contact.id,
        })
        self.assertEqual(complaint.sla_policy_id, default)
        self._orders_on([(self.customer, 500.0, date(2025, 3, 1))])
        self._run()
        self.assertEqual(self.customer.customer_tier, "key")
        self.assertEqual(complaint.sla_policy_id, key_policy)
