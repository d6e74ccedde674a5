from datetime import date

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CrmMarketingCommon


@tagged("post_install", "-at_install")
class TestCampaign(CrmMarketingCommon):
    def _click(self, campaign, count, **vals):
        link = self.env["link.tracker"].create({
            "url": "https://example.com/spring", "campaign_id": campaign.id, **vals,
        })
        self.env["link.tracker.click"].create([
            {"link_id": link.id, "campaign_id": campaign.id, "ip": f"10.0.0.{index}"}
            for index in range(count)
        ])
        return link

    def test_roi_and_funnel_against_hand_computed_figures(self):
        campaign = self._campaign(budget=1000.0, date_start=date(2026, 3, 1),
                                  date_end=date(2026, 3, 31))
        other = self._campaign("Other Campaign")
        self.env["crm.campaign.cost"].create([
            {"campaign_id": campaign.id, "amount": 300.0, "category": "media"},
            {"campaign_id": campaign.id, "amount": 500.0, "category": "gifts"},
        ])
        link = self._click(campaign, 20, source_id=self.env.ref("utm.utm_source_newsletter").id,
                           medium_id=self.env.ref("utm.utm_medium_email").id)
        self._click(other, 3)
        online = {"source_id": link.source_id.id, "medium_id": link.medium_id.id}
        # 5 leads: 2 stay leads (one lost), 3 become opportunities, one of them won;
        # 2 came through the tracked link; one opportunity is Li Na's, of Huachen
        self._lead(campaign, **online)
        self._lead(campaign, active=False)
        self._lead(campaign, "opportunity", partner=self.contact, **online)
        self._lead(campaign, "opportunity")
        self._lead(campaign, "opportunity", won=True)
        self._lead(other, "opportunity")
        second = self.env["res.partner"].create({"name": "Second Buyer"})
        # revenue: confirmed orders only, contacts count with their company
        self._campaign_order(campaign, self.customer, 1200.0)
        self._campaign_order(campaign, self.contact, 400.0)
        self._campaign_order(campaign, second, 400.0)
        self._campaign_order(campaign, second, 9999.0, confirm=False)
        self._campaign_order(other, second, 777.0)
        campaign.invalidate_recordset()

        self.assertEqual(campaign.actual_cost, 800.0)
        self.assertFalse(campaign.budget_overrun)
        self.assertEqual(campaign.budget_remaining, 200.0)
        self.assertEqual(campaign.visitor_count, 20)
        self.assertEqual(campaign.lead_count, 5)
        self.assertEqual(campaign.opportunity_count, 3)
        self.assertEqual(campaign.won_count, 1)
        self.assertEqual(campaign.customer_count, 2, "Huachen (with Li Na) and Second Buyer")
        self.assertAlmostEqual(campaign.revenue, 2000.0)
        # (2000 - 800) / 800 = 150 %
        self.assertAlmostEqual(campaign.roi, 1.5)
        self.assertAlmostEqual(campaign.cost_per_lead, 160.0)
        # each rate compares a step with the part of the previous one it came from
        self.assertEqual(campaign.visitor_lead_count, 2)
        self.assertAlmostEqual(campaign.visitor_lead_rate, 10.0)
        self.assertAlmostEqual(campaign.lead_opportunity_rate, 60.0)
        self.assertEqual(campaign.converted_opportunity_count, 1, "Huachen bought, via Li Na")
        self.assertAlmostEqual(campaign.opportunity_customer_rate, 100.0 / 3)

        # over budget once the costs pass it
        self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 450.0})
        self.assertTrue(campaign.budget_overrun)
        self.assertEqual(campaign.budget_remaining, -250.0)
        self.assertIn(campaign, self.env["utm.campaign"].search([("budget_overrun", "=", True)]))

    def test_campaign_analysis_report_agrees_with_the_form(self):
        campaign = self._campaign(budget=1000.0, channel="event")
        self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 300.0})
        self._lead(campaign)
        self._lead(campaign, "opportunity", won=True)
        self._campaign_order(campaign, self.customer, 900.0)
        self._campaign_order(campaign, self.customer, 50.0, confirm=False)
        self.env.flush_all()
        row = self.env["crm.campaign.report"].search([("campaign_id", "=", campaign.id)])
        self.assertEqual(len(row), 1)
        self.assertEqual(
            (row.budget, row.actual_cost, row.revenue, row.profit),
            (1000.0, 300.0, 900.0, 600.0))
        self.assertEqual((row.lead_count, row.opportunity_count, row.won_count), (2, 1, 1))
        self.assertEqual(
            (row.revenue, row.lead_count, row.won_count),
            (campaign.revenue, campaign.lead_count, campaign.won_count))
        groups = self.env["crm.campaign.report"].with_user(self.salesman)._read_group(
            [("campaign_id", "=", campaign.id)], ["channel"], ["revenue:sum", "actual_cost:sum"])
        self.assertEqual(groups, [("event", 900.0, 300.0)])

    def test_conversion_never_above_hundred_percent(self):
        campaign = self._campaign()
        # one opportunity, two customers: the customers were not all opportunities
        second = self.env["res.partner"].create({"name": "Walk-in Buyer"})
        self._lead(campaign, "opportunity", partner=self.contact)
        self._campaign_order(campaign, self.customer, 100.0)
        self._campaign_order(campaign, second, 100.0)
        # more leads from the link than clicks on it: a visitor leaves one lead at most
        link = self._click(campaign, 1, medium_id=self.env.ref("utm.utm_medium_email").id)
        for _index in range(3):
            self._lead(campaign, medium_id=link.medium_id.id)
        campaign.invalidate_recordset()
        self.assertEqual((campaign.opportunity_count, campaign.customer_count), (1, 2))
        self.assertEqual(campaign.opportunity_customer_rate, 100.0)
        self.assertEqual((campaign.visitor_count, campaign.lead_count), (1, 4))
        self.assertEqual(campaign.visitor_lead_rate, 100.0)
        self.assertEqual(campaign.lead_opportunity_rate, 25.0)

        # an opportunity whose customer did not buy from the campaign is not converted,
        # unless an order was made from it
        lost = self._lead(campaign, "opportunity", partner=self.env["res.partner"].create(
            {"name": "Hesitant Buyer"}))
        campaign.invalidate_recordset()
        self.assertEqual(campaign.opportunity_customer_rate, 50.0)
        order = self._order(lost.partner_id, 10.0, confirm=False)
        order.opportunity_id = lost
        order.action_confirm()
        campaign.invalidate_recordset()
        self.assertEqual(campaign.opportunity_customer_rate, 100.0)

    def test_rate_without_denominator_is_not_defined(self):
        campaign = self._campaign()
        self._campaign_order(campaign, self.customer, 100.0)
        self.assertEqual(campaign.customer_count, 1)
        for rate in ("visitor_lead", "lead_opportunity", "opportunity_customer"):
            self.assertFalse(campaign[f"has_{rate}_rate"], rate)
            self.assertFalse(campaign[f"{rate}_rate"], rate)
        self._lead(campaign)
        campaign.invalidate_recordset()
        self.assertTrue(campaign.has_lead_opportunity_rate)
        self.assertEqual(campaign.lead_opportunity_rate, 0.0, "defined, and zero")
        self.assertFalse(campaign.has_visitor_lead_rate)
        # the form says so instead of showing 0.00
        arch = self.env["utm.campaign"].get_view(
            self.env.ref("crm_marketing.utm_campaign_view_form_marketing").id)["arch"]
        self.assertIn('invisible="not has_visitor_lead_rate"', arch)
        self.assertIn("No visitors yet", arch)

    def test_no_cost_no_roi(self):
        campaign = self._campaign()
        self._campaign_order(campaign, self.customer, 500.0)
        self.assertFalse(campaign.has_roi)
        self.assertFalse(campaign.roi)
        self.assertFalse(campaign.cost_per_lead)
        self.assertEqual(campaign.revenue, 500.0)

    def test_revenue_in_company_currency(self):
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        foreign = eur if self.company.currency_id == usd else usd
        foreign.active = True
        self.env["res.currency.rate"].create({
            "currency_id": foreign.id, "rate": 2.0, "name": "2020-01-01",
            "company_id": self.company.id,
        })
        campaign = self._campaign()
        order = self._order(self.customer, 300.0, confirm=False, currency=foreign)
        order.campaign_id = campaign
        order.action_confirm()
        self.assertAlmostEqual(campaign.revenue, 150.0)

    def test_bad_input_is_refused_and_nothing_written(self):
        campaign = self._campaign(budget=100.0)
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            campaign.budget = -1.0
        self.assertEqual(campaign.budget, 100.0)
        with self.assertRaisesText(ValidationError, "cannot end"):
            campaign.write({"date_start": date(2026, 5, 10), "date_end": date(2026, 5, 1)})
        self.assertFalse(campaign.date_start)
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": -5.0})
        self.assertFalse(campaign.cost_ids)
        with self.assertRaises(ValidationError):
            self._campaign("Backwards", date_start=date(2026, 5, 10), date_end=date(2026, 5, 1))
        self.assertFalse(self.env["utm.campaign"].search([("title", "=", "Backwards")]))

    def test_chinese_error_message(self):
        campaign = self._campaign(budget=100.0)
        self.env["res.lang"]._activate_lang("zh_CN")
        with self.assertRaisesText(ValidationError, "预算"):
            campaign.with_context(lang="zh_CN").budget = -1.0

    def test_marketing_user_manages_salesman_reads(self):
        campaign = self._campaign(budget=100.0)
        cost = self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 10.0})
        as_marketer = campaign.with_user(self.marketer)
        as_marketer.write({"budget": 200.0, "channel": "email"})
        self.env["crm.campaign.cost"].with_user(self.marketer).create(
            {"campaign_id": campaign.id, "amount": 20.0})
        self.assertEqual(campaign.actual_cost, 30.0)

        as_salesman = campaign.with_user(self.salesman)
        self.assertEqual(as_salesman.budget, 200.0, "salespeople read the campaign")
        self.assertEqual(sorted(as_salesman.cost_ids.mapped("amount")), [10.0, 20.0])
        with self.assertRaises(AccessError):
            as_salesman.budget = 1.0
        with self.assertRaises(AccessError):
            self.env["crm.campaign.cost"].with_user(self.salesman).create(
                {"campaign_id": campaign.id, "amount": 1.0})
        with self.assertRaises(AccessError):
            cost.with_user(self.salesman).amount = 0.0
        self.assertEqual(campaign.budget, 200.0)

    def test_company_isolation(self):
        # campaigns are shared like all of the host's UTM records (the host looks them up
        # by name across companies); their costs and their analysis are not
        campaign = self._campaign("Foreign Campaign", company_id=self.other_company.id)
        cost = self.env["crm.campaign.cost"].with_company(self.other_company).create(
            {"campaign_id": campaign.id, "amount": 10.0})
        self.assertEqual(cost.company_id, self.other_company)
        self.assertFalse(
            self.env["crm.campaign.cost"].with_user(self.marketer).search(
                [("campaign_id", "=", campaign.id)]))
        with self.assertRaises(AccessError):
            cost.with_user(self.marketer).read(["amount"])
        self.env.flush_all()
        self.assertTrue(self.env["crm.campaign.report"].search([("campaign_id", "=", campaign.id)]))
        self.assertFalse(
            self.env["crm.campaign.report"].with_user(self.marketer).search(
                [("campaign_id", "=", campaign.id)]))

    # Speed -----------------------------------------------------------------

    def _make_campaigns(self, count):
        campaigns = self.env["utm.campaign"].create(
            [{"title": f"Campaign {index}", "budget": 100.0} for index in range(count)])
        self.env["crm.campaign.cost"].create(
            [{"campaign_id": campaign.id, "amount": 10.0} for campaign in campaigns])
        self.env["crm.lead"].create(
            [{"name": f"Lead {index}", "campaign_id": campaign.id}
             for index, campaign in enumerate(campaigns)])
        for campaign in campaigns[:5]:
            self._campaign_order(campaign, self.customer, 50.0)
        return campaigns

    def _queries_to_read(self, campaigns):
        # the figures are the current company's: the web client always says which it is
        campaigns = campaigns.with_user(self.marketer).with_context(
            allowed_company_ids=self.company.ids)
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        campaigns.read(["title", "budget", "actual_cost", "lead_count", "opportunity_count",
                        "won_count", "revenue", "roi", "cost_per_lead", "visitor_count",
                        "customer_count", "visitor_lead_rate", "budget_overrun"])
        return self.cr.sql_log_count - before

    def test_query_count_of_campaign_list_bounded(self):
        small = self._make_campaigns(20)
        large = self._make_campaigns(80)
        self._queries_to_read(small[:1])  # warm the caches of rights and groups up
        self.assertEqual(self._queries_to_read(small), self._queries_to_read(large))
        # the campaigns, the current company's costs and approved expenses, its
        # currency, the leads, their stages, the clicks and the orders: whatever the
        # number of campaigns
        large = large.with_user(self.marketer).with_context(allowed_company_ids=self.company.ids)
        with self.assertQueryCount(8):
            large.invalidate_model()
            large.read(
                ["title", "actual_cost", "lead_count", "revenue", "roi", "visitor_count"])
