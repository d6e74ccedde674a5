from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged

from .common import CrmMarketingCommon


@tagged("post_install", "-at_install")
class TestLoyaltyTiers(CrmMarketingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.program = cls.env["loyalty.program"].create({
            "name": "Members Club", "program_type": "loyalty", "crm_tier_basis": "points",
        })
        cls.basic, cls.silver, cls.gold = cls.env["crm.loyalty.tier"].create([
            {"name": "Basic", "program_id": cls.program.id, "threshold": 0},
            {"name": "Silver", "program_id": cls.program.id, "threshold": 100, "discount": 5},
            {"name": "Gold", "program_id": cls.program.id, "threshold": 500, "discount": 10},
        ])
        cls.buyer = cls.env["res.partner"].create({"name": "Sun Yue", "email": "sun@example.com"})
        cls.card = cls.env["loyalty.card"].create({
            "program_id": cls.program.id, "partner_id": cls.buyer.id, "points": 150,
        })
        cls._flush_tracking()

    def _messages(self, partner):
        return partner.message_ids.filtered(lambda m: "loyalty tier" in (m.body or "").lower())

    def test_upgrade_and_downgrade_posted_in_chatter(self):
        changes = self.program._crm_apply_tiers()
        self.assertEqual(self.buyer.loyalty_tier_id, self.silver)
        self.assertEqual(len(changes), 1)
        self.assertIn("Silver", self._messages(self.buyer)[0].body)

        self.program._crm_apply_tiers()
        self.assertEqual(len(self._messages(self.buyer)), 1, "no change, no new message")

        # contacts' cards count for their company
        self.env["loyalty.card"].create({
            "program_id": self.program.id, "partner_id": self.contact.id, "points": 600})
        self.card.points = 600
        self.program._crm_apply_tiers()
        self.assertEqual(self.buyer.loyalty_tier_id, self.gold)
        self.assertIn("Upgraded", self._messages(self.buyer)[0].body)
        self.assertEqual(self.customer.loyalty_tier_id, self.gold)

        self.card.points = 20
        self.env["loyalty.program"]._cron_recompute_loyalty_tiers()
        self.assertEqual(self.buyer.loyalty_tier_id, self.basic)
        self.assertIn("Downgraded", self._messages(self.buyer)[0].body)
        self.assertEqual(self.silver.partner_count, 0)
        self.assertEqual(self.basic.partner_count, 1)

        # leaving the program loses the tier
        self.card.unlink()
        self.program._crm_apply_tiers()
        self.assertFalse(self.buyer.loyalty_tier_id)

    def test_tier_on_sale_order_and_partner_360(self):
        self.program._crm_apply_tiers()
        order = self._order(self.buyer, 100.0, confirm=False)
        self.assertEqual(order.loyalty_tier_id, self.silver)
        self.buyer.invalidate_recordset()
        self.assertEqual(self.buyer.crm_loyalty_points, 150)

    def test_smart_button_opens_the_loyalty_cards(self):
        coupons = self.env["loyalty.program"].create(
            {"name": "Spring Coupons", "program_type": "coupons"})
        self.env["loyalty.card"].create(
            {"program_id": coupons.id, "partner_id": self.buyer.id, "points": 1})
        action = self.buyer.with_user(self.salesman).action_view_crm_loyalty_cards()
        self.assertEqual(action["name"], "Members Club", "the program, not 'Coupons'")
        self.assertEqual(self.env["loyalty.card"].search(action["domain"]), self.card)
        # cards of two programs: a plain title
        other = self.env["loyalty.program"].create(
            {"name": "Tea Club", "program_type": "loyalty"})
        self.env["loyalty.card"].create(
            {"program_id": other.id, "partner_id": self.buyer.id, "points": 5})
        action = self.buyer.action_view_crm_loyalty_cards()
        self.assertEqual(action["name"], "Loyalty Cards")
        self.assertEqual(len(self.env["loyalty.card"].search(action["domain"])), 2)

    def test_smart_button_reads_tier_then_points(self):
        self.program._crm_apply_tiers()
        arch = self.env["res.partner"].get_view(
            self.env.ref("base.view_partner_form").id)["arch"]
        button = arch[arch.index('name="action_view_crm_loyalty_cards"'):]
        button = button[:button.index("</button>")]
        # the tier as the value, the points as the label, without decimals
        self.assertLess(button.index('name="loyalty_tier_id"'),
                        button.index('name="crm_loyalty_points"'))
        self.assertIn('digits="[16, 0]"', button)
        self.assertIn("points", button)

    def test_spend_basis_over_last_twelve_months(self):
        self.program.crm_tier_basis = "spend"
        self._order(self.buyer, 300.0, date=fields.Datetime.now() - timedelta(days=30))
        self._order(self.buyer, 400.0, date=fields.Datetime.now() - timedelta(days=400))
        self.program._crm_apply_tiers()
        self.assertEqual(self.buyer.loyalty_tier_id, self.silver, "300 in the last 12 months")
        self._order(self.buyer, 250.0)
        self.program._crm_apply_tiers()
        self.assertEqual(self.buyer.loyalty_tier_id, self.gold)

    def test_bad_input_and_access(self):
        with self.assertRaisesText(ValidationError, "negative"):
            self.env["crm.loyalty.tier"].create(
                {"name": "Bad", "program_id": self.program.id, "threshold": -1})
        with self.assertRaisesText(ValidationError, "discount"):
            self.gold.discount = 150
        self.assertEqual(self.gold.discount, 10)
        coupons = self.env["loyalty.program"].create({"name": "Coupons", "program_type": "coupons"})
        with self.assertRaisesText(ValidationError, "loyalty program"):
            self.env["crm.loyalty.tier"].create(
                {"name": "Bad", "program_id": coupons.id, "threshold": 1})
        self.assertTrue(self.gold.with_user(self.salesman).read(["name"]))
        with self.assertRaises(AccessError):
            self.gold.with_user(self.salesman).threshold = 1
        with self.assertRaises(AccessError):
            self.buyer.with_user(self.salesman).loyalty_tier_id = self.gold
        self.assertFalse(self.buyer.loyalty_tier_id)


@tagged("post_install", "-at_install")
class TestPartnerCampaigns(CrmMarketingCommon):
    def test_campaigns_that_reached_the_partner(self):
        spring = self._campaign("Spring")
        autumn = self._campaign("Autumn")
        self._lead(spring, partner=self.contact)
        self._campaign_order(spring, self.customer, 10.0)
        self._campaign_order(autumn, self.contact, 10.0, confirm=False)
        partners = (self.customer | self.contact).with_user(self.salesman)
        self.assertEqual(self.customer.with_user(self.salesman).crm_campaign_count, 2)
        self.assertEqual(partners[1].crm_campaign_count, 2)
        action = self.customer.action_view_crm_campaigns()
        self.assertEqual(self.env["utm.campaign"].search(action["domain"]), spring | autumn)
        other = self.env["res.partner"].create({"name": "Nobody"})
        self.assertEqual(other.crm_campaign_count, 0)

    def test_query_count_does_not_grow(self):
        campaign = self._campaign("Wide")

        def make(count):
            partners = self.env["res.partner"].create(
                [{"name": f"P{index}"} for index in range(count)])
            self.env["crm.lead"].create(
                [{"name": "L", "partner_id": p.id, "campaign_id": campaign.id} for p in partners])
            return partners

        def queries(partners):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.cr.sql_log_count
            partners.read(["crm_campaign_count", "crm_loyalty_points", "loyalty_tier_id"])
            return self.cr.sql_log_count - before

        small, large = make(10), make(80)
        queries(small[:1])
        self.assertEqual(queries(small), queries(large))


@tagged("post_install", "-at_install")
class TestDemoData(CrmMarketingCommon):
    def test_demo_in_english_and_chinese(self):
        silver = self.env.ref(
            "crm_marketing.crm_loyalty_tier_demo_silver", raise_if_not_found=False)
        if not silver:
            self.skipTest("no demo data in this database")
        self.assertEqual(silver.name, "Silver Card")
        wang = self.env.ref("crm_marketing.res_partner_demo_wang_fang")
        self.assertEqual(wang.loyalty_tier_id, self.env.ref(
            "crm_marketing.crm_loyalty_tier_demo_diamond"), "the demo tiers were computed")
        # The module's Chinese translation names the demo records in Chinese. (Loaded here:
        # `--load-language` on an existing database only translates records of base models.)
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"]._load_module_terms(["crm_marketing"], ["zh_CN"])
        self.env.invalidate_all()
        self.assertEqual(silver.with_context(lang="zh_CN").name, "银卡")
        self.assertEqual(
            self.env.ref("crm_marketing.crm_loyalty_tier_demo_diamond")
            .with_context(lang="zh_CN").name, "钻石")
        segment = self.env.ref("crm_marketing.crm_segment_demo_lapsed")
        self.assertEqual(segment.with_context(lang="zh_CN").name, "流失客户")
        campaign = self.env.ref("crm_marketing.utm_campaign_demo_singles_day")
        self.assertEqual(campaign.with_context(lang="zh_CN").title, "双十一促销")
        self.assertEqual(silver.name, "Silver Card", "English stays English")

    def test_demo_campaigns_and_orders_look_real(self):
        spring = self.env.ref("crm_marketing.utm_campaign_demo_spring_tea",
                              raise_if_not_found=False)
        if not spring:
            self.skipTest("no demo data in this database")
        self.assertLess(spring.date_end, fields.Date.today(), "a finished campaign...")
        self.assertEqual(spring.stage_id, self.env.ref("crm_marketing.utm_stage_done"),
                         "...in a finished stage")
        costs = self.env["crm.campaign.cost"].search([
            ("id", "in", [self.env.ref(f"crm_marketing.crm_campaign_cost_demo_{n}").id
                          for n in range(1, 5)])])
        self.assertEqual(len(costs), 4)
        for cost in costs:
            campaign = cost.campaign_id
            self.assertGreaterEqual(cost.date, campaign.date_start, cost.description)
            self.assertLessEqual(cost.date, campaign.date_end, cost.description)
        robots = self.env.ref("base.user_root") | self.env.ref("base.public_user")
        for xmlid in ("sale_order_demo_spring_1", "sale_order_demo_spring_2",
                      "sale_order_demo_singles_1"):
            order = self.env.ref(f"crm_marketing.{xmlid}")
            self.assertTrue(order.user_id, xmlid)
            self.assertNotIn(order.user_id, robots, xmlid)
            self.assertFalse(order.user_id.share, xmlid)
        for rule in ("birthday", "after_order", "warranty"):
            responsible = self.env.ref(f"crm_marketing.crm_care_rule_demo_{rule}").user_id
            self.assertTrue(responsible and not responsible.share, rule)
