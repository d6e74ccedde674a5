from datetime import date, timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import AS_OF, CrmAnalyticsCommon


@tagged("post_install", "-at_install")
class TestEdgeCases(CrmAnalyticsCommon):

    def test_multi_currency_orders(self):
        """Orders in another currency count in company currency, at the order's rate."""
        currency = self.env["res.currency"].with_context(active_test=False).search(
            [("id", "!=", self.company.currency_id.id)], limit=1)
        currency.active = True
        self.env["res.currency.rate"].create({
            "name": date(2024, 1, 1), "rate": 4.0, "currency_id": currency.id,
            "company_id": self.company.id,
        })
        local, foreign = self._customers(2, "Currency")
        self._orders_on([(local, 100.0, date(2025, 3, 1))])
        orders = self._orders_on([(foreign, 400.0, date(2025, 3, 1)),
                                  (foreign, 200.0, date(2025, 3, 10))], currency=currency)
        self.assertEqual(orders.currency_id, currency)
        self.assertEqual(orders.mapped("currency_rate"), [4.0, 4.0])
        self._run()
        self.assertRecordValues(local | foreign, [
            {"rfm_monetary": 100.0, "clv_historic": 100.0},
            {"rfm_monetary": 150.0, "clv_historic": 150.0},
        ])

    def test_refunds_lower_the_value(self):
        """A negative order (a refund) lowers the spend; it is not a purchase."""
        [customer] = self._customers(1, "Refund")
        self._orders_on([(customer, 100.0, date(2025, 3, 1)),
                         (customer, -30.0, date(2025, 3, 20))])
        self._run()
        self.assertRecordValues(customer, [{
            "rfm_monetary": 70.0, "clv_historic": 70.0, "rfm_frequency": 1,
            "rfm_recency_days": 30,
        }])
        self.env.cr.execute("SELECT x, t_x FROM crm_analytics_customer WHERE partner_id = %s",
                            [customer.id])
        self.assertEqual(self.env.cr.fetchone(), (0, 0))

    def test_refunds_on_purchase_days(self):
        """A refund on a purchase day lowers the spend but not the value of that day's
        purchase (m_x is the spend per repeat purchase); a refund before the first
        purchase does not make a purchase day; a customer with refunds only is no
        customer; a period refunded in full sums to exactly zero (no falling-spend
        signal from rounding)."""
        mixed, refunds_only, refunded = self._customers(3, "Refund Day")
        self._orders_on([
            (mixed, -20.0, date(2025, 1, 5)),    # refund before the first purchase
            (mixed, 100.0, date(2025, 1, 10)),
            (mixed, 60.0, date(2025, 2, 10)),
            (mixed, -50.0, date(2025, 2, 10)),   # same day as a purchase of 60
            (mixed, 90.0, date(2025, 3, 12)),
            (refunds_only, -40.0, date(2025, 2, 1)),
            # refunded in full, in the period before the last 180 days
            (refunded, 0.10, date(2024, 6, 3)),
            (refunded, 0.20, date(2024, 6, 3)),
            (refunded, -0.30, date(2024, 6, 4)),
            (refunded, 75.0, date(2025, 3, 30)),
        ])
        self._run()
        self.env.cr.execute(
            """SELECT partner_id, x, t_x, age, round(m_x::numeric, 2), frequency,
                      round(monetary::numeric, 2), orders_previous_spend
                 FROM crm_analytics_customer WHERE partner_id IN %s""",
            [(mixed.id, refunds_only.id, refunded.id)])
        rows = {row[0]: row[1:] for row in self.env.cr.fetchall()}
        self.assertNotIn(refunds_only.id, rows)
        # purchase days Jan 10, Feb 10, Mar 12; m_x = (60 + 90) / 2; the refunds count
        # in the monetary value only
        self.assertEqual(rows[mixed.id][:6], (2, 61, 80, 75, 3, 180))
        self.assertEqual(rows[refunded.id][-1], 0.0)
        self.assertFalse(refunds_only.rfm_frequency)
        self.assertEqual(mixed.rfm_monetary, 180.0)

    def test_merged_partners(self):
        """After two customers are merged, the engine runs and the survivor has the
        orders of both; the history of the other follows it."""
        first, second = self._customers(2, "Merge")
        self._orders_on([(first, 100.0, date(2025, 3, 1)),
                         (second, 50.0, date(2025, 3, 5))])
        self._run()
        self.assertEqual(len(second.value_history_ids), 1)
        wizard = self.env["base.partner.merge.automatic.wizard"]
        wizard._merge([first.id, second.id], first, extra_checks=False)
        self.assertFalse(second.exists())
        model = self._run(AS_OF + timedelta(days=1))
        self.assertEqual(model.customer_count, 1)
        self.assertRecordValues(first, [{"rfm_frequency": 2, "clv_historic": 150.0}])
        self.assertEqual(len(first.value_history_ids), 3)

    def test_orders_of_another_company_do_not_count(self):
        [customer] = self._customers(1, "Elsewhere")
        self._orders_on([(customer, 100.0, date(2025, 3, 1))])
        self._run()
        self.assertEqual(customer.value_company_id, self.company)
        main = self.env.ref("base.main_company")
        self.env["crm.analytics.engine"].with_company(main).run(as_of=AS_OF)
        # the main company's run does not clear what this company computed
        self.assertEqual(customer.clv_historic, 100.0)

    def test_segments_use_the_scores(self):
        """crm_marketing's segments take every score in their conditions."""
        champion, lost = self._customers(2, "Segmented", user_id=self.salesman.id)
        self._orders_on([(champion, 500.0, date(2025, 3, 29)),
                         (champion, 300.0, date(2025, 3, 30)),
                         (lost, 20.0, date(2024, 1, 2))])
        self._run()
        self.assertNotEqual(champion.rfm_segment, lost.rfm_segment)
        self.manager.groups_id |= self.env.ref("mass_mailing.group_mass_mailing_user")
        Segment = self.env["crm.segment"].with_user(self.manager)
        for domain, members in (
            ([("rfm_segment", "=", champion.rfm_segment)], champion),
            ([("lifecycle_stage", "=", "churned")], lost),
            ([("churn_risk", "in", ["medium", "high"])], lost),
            ([("customer_tier", "=", "key"), ("rfm_monetary", ">", 100.0)], champion),
            ([("probability_alive", "=", False), ("clv_historic", ">=", 20)],
             champion | lost),
        ):
            with self.subTest(domain=domain):
                segment = Segment.create({"name": "Value", "domain": repr(domain)})
                self.assertEqual(segment._get_members() & (champion | lost), members)
        with self.assertRaisesText(ValidationError, "Value Quadrant"):
            Segment.create({"name": "Bad", "domain": "[('value_quadrant', '=', 'top')]"})
