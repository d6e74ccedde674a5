from odoo import fields
from odoo.tests import TransactionCase, tagged

FUNNEL_RATES = ("opportunity_rate", "quotation_rate", "order_rate", "conversion_rate",
                "win_rate")


@tagged("post_install", "-at_install")
class TestDemoFunnel(TransactionCase):
    """The demo's year of the sales funnel: the report over it has every stage, rates
    a sales manager believes and cycle times; its quotations belong to opportunities of
    their customer; the customer value computed with its orders keeps crm_core's key
    customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Data = cls.env["ir.model.data"]
        cls.leads = Data.search([("module", "=", "crm_analytics"), ("model", "=", "crm.lead"),
                                 ("name", "=like", "crm_lead_demo_funnel_%")]
                                ).mapped(lambda data: cls.env["crm.lead"].browse(data.res_id))
        cls.leads = cls.leads.with_context(active_test=False).exists()
        if not cls.leads:
            cls.skipTest(cls, "installed without demo data")
        cls.orders = Data.search([("module", "=", "crm_analytics"),
                                  ("model", "=", "sale.order"),
                                  ("name", "=like", "sale_order_demo_funnel_%")]
                                 ).mapped(lambda data: cls.env["sale.order"].browse(data.res_id))
        cls.Report = cls.env["crm.funnel.report"]

    def _read(self, measures, groupby=(), domain=()):
        """The measures aggregated as the pivot does, over the demo funnel's leads."""
        aggregates = [f"{measure}:{self.Report._fields[measure].aggregator}"
                      for measure in measures]
        self.env.flush_all()
        rows = self.Report._read_group([("lead_id", "in", self.leads.ids), *domain],
                                       list(groupby), aggregates)
        return [dict(zip(measures, row[len(groupby):], strict=True)) for row in rows]

    def test_funnel_report_over_the_demo(self):
        counts = ("lead_count", "opportunity_count", "quotation_count", "order_count",
                  "won_count", "lost_count")
        [total] = self._read([*counts, *FUNNEL_RATES, "avg_won_days", "avg_order_days"])
        self.assertEqual(total["lead_count"], len(self.leads), "every demo lead is in it")
        for count in counts:
            self.assertGreater(total[count], 0, count)
        self.assertGreaterEqual(total["lead_count"], total["opportunity_count"])
        self.assertGreaterEqual(total["opportunity_count"], total["quotation_count"])
        self.assertGreaterEqual(total["quotation_count"], total["order_count"])
        for rate in FUNNEL_RATES:
            self.assertGreater(total[rate], 0.0, rate)
            self.assertLessEqual(total[rate], 100.0, rate)
        # believable: most leads qualified, about half quoted, most quotations ordered
        self.assertGreaterEqual(total["opportunity_rate"], 40.0)
        self.assertLessEqual(total["opportunity_rate"], 80.0)
        self.assertGreaterEqual(total["order_rate"], 40.0)
        # cycle times of weeks, not empty and not the zero of an install-day funnel
        self.assertGreater(total["avg_order_days"], 7.0)
        self.assertLess(total["avg_order_days"], 90.0)
        self.assertGreater(total["avg_won_days"], 7.0)

        # every grouping the views offer keeps each rate a share
        for groupby in (("team_id",), ("user_id",), ("campaign_id",), ("date:month",)):
            rows = self._read(["lead_count", *FUNNEL_RATES], groupby)
            self.assertGreater(len(rows), 1, f"the demo spreads over {groupby[0]}")
            for row in rows:
                for rate in FUNNEL_RATES:
                    if row[rate] is not False:
                        self.assertLessEqual(row[rate], 100.0, f"{rate} by {groupby[0]}")

    def test_leads_spread_over_a_year(self):
        now = fields.Datetime.now()
        created = self.leads.mapped("create_date")
        self.assertGreaterEqual((max(created) - min(created)).days, 300)
        self.assertGreaterEqual(len({day.strftime("%Y-%m") for day in created}), 12)
        self.assertEqual(set(self.leads.mapped("user_id")),
                         {self.env.ref("base.user_admin"), self.env.ref("base.user_demo")})
        self.assertTrue(self.leads.filtered("campaign_id"), "some leads come from a campaign")
        for lead in self.leads:
            self.assertLessEqual(lead.create_date, now)
            self.assertGreaterEqual(lead.date_open, lead.create_date, lead.name)
            if lead.type == "opportunity":
                self.assertGreaterEqual(lead.date_conversion, lead.create_date, lead.name)
            if lead.date_closed:
                self.assertGreaterEqual(lead.date_closed, lead.create_date, lead.name)
                self.assertLessEqual(lead.date_closed, now, lead.name)
        lost = self.leads.filtered(lambda lead: not lead.active)
        self.assertTrue(lost)
        self.assertTrue(all(lost.mapped("lost_reason_id")), "a lost lead says why")
        self.assertEqual(set(lost.mapped("probability")), {0.0})

    def test_quotations_belong_to_the_customers_opportunities(self):
        self.assertTrue(self.orders)
        self.assertTrue(self.orders.filtered(lambda order: order.state == "sale"))
        self.assertTrue(self.orders.filtered(lambda order: order.state == "sent"))
        for order in self.orders:
            lead = order.opportunity_id.with_context(active_test=False)
            self.assertIn(lead, self.leads, order.name)
            self.assertEqual(lead.type, "opportunity", order.name)
            self.assertEqual(order.partner_id, lead.partner_id, order.name)
            self.assertGreater(order.create_date, lead.create_date, order.name)
            self.assertGreaterEqual(order.date_order, order.create_date, order.name)
            if order.state == "sale":
                self.assertTrue(lead.active and lead.stage_id.is_won, order.name)
                self.assertEqual(lead.date_closed, order.date_order, order.name)
        won = self.leads.filtered(lambda lead: lead.active and lead.stage_id.is_won)
        self.assertEqual(won, self.orders.filtered(
            lambda order: order.state == "sale").opportunity_id)

    def test_customer_value_keeps_its_key_customer(self):
        """The funnel's confirmed orders are a small part of the demo's sales: the value
        recomputed with them keeps crm_core's key customer key and stable."""
        self.env.flush_all()
        ordered = self.orders.filtered(lambda order: order.state == "sale")
        company = self.env.ref("base.main_company")
        all_orders = self.env["sale.order"].search([("state", "=", "sale"),
                                                    ("company_id", "=", company.id)])
        self.assertLess(sum(ordered.mapped("amount_untaxed")),
                        0.1 * sum(all_orders.mapped("amount_untaxed")))
        model = self.env["crm.analytics.engine"].with_company(company).run()
        # each demo customer spends around a level of its own: both models fit
        self.assertEqual(model.state, "fitted", model.reason)
        self.assertGreater(model.gg_p, 0, model.reason)
        key_customer = self.env.ref("crm_core.res_partner_demo_huachen")
        key_customer.invalidate_recordset()
        self.assertEqual((key_customer.customer_tier, key_customer.lifecycle_stage),
                         ("key", "stability"))
