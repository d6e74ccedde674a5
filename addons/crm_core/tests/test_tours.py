from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo.tests import HttpCase, new_test_user, tagged


class CrmCoreTourCommon(HttpCase):
    """Data the browser tours of crm_core rely on; each test makes its own."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # No onboarding tips in the way, and the English labels the tours look for.
        cls.env.ref("base.user_admin").write({"tour_enabled": False, "lang": "en_US"})
        cls.competitor = cls.env["crm.competitor"].create({
            "name": "Tour Rival Ltd",
            "price_position": "lower",
        })

    def _confirmed_order_with_terms(self, salesman, customer):
        """A confirmed order of 1,000 of ``salesman``, paid half now and half in 30
        days by its payment terms."""
        terms = self.env["account.payment.term"].create({
            "name": f"Tour half now, half in 30 days ({customer})",
            "line_ids": [
                (0, 0, {"value": "percent", "value_amount": 50, "nb_days": 0}),
                (0, 0, {"value": "percent", "value_amount": 50, "nb_days": 30}),
            ],
        })
        product = self.env["product.product"].create({
            "name": f"Tour Licence ({customer})", "type": "service",
            "invoice_policy": "order",
        })
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": customer}).id,
            "user_id": salesman.id, "payment_term_id": terms.id,
            "order_line": [(0, 0, {"product_id": product.id, "price_unit": 1000.0,
                                   "tax_id": [(5, 0, 0)]})],
        })
        order.action_confirm()
        return order


@tagged("post_install", "-at_install")
class TestCrmCoreTours(CrmCoreTourCommon):
    def test_lead_from_customer_lost_to_competitor(self):
        customer = self.env["res.partner"].create({
            "name": "Tour Customer Aurora",
            "is_company": True,
            "customer_tier": "normal",
            "lifecycle_stage": "formation",
        })
        self.start_tour(
            f"/odoo/contacts/{customer.id}", "crm_core_lead_from_customer_tour", login="admin"
        )

        lead = self.env["crm.lead"].with_context(active_test=False).search(
            [("name", "=", "Tour Deal Zephyr")]
        )
        self.assertEqual(len(lead), 1, "the tour creates exactly one opportunity")
        self.assertEqual(lead.type, "opportunity")
        self.assertEqual(lead.partner_id, customer, "created from the customer's opportunities")
        self.assertFalse(lead.active, "the opportunity is marked lost")
        self.assertEqual(lead.probability, 0)
        self.assertEqual(lead.lost_competitor_id, self.competitor)
        self.assertEqual(lead.competitor_ids, self.competitor)
        report = self.env["crm.competitor.report"].search([("lead_id", "=", lead.id)])
        self.assertEqual(report.competitor_id, self.competitor)
        self.assertEqual(report.outcome, "lost_to")
        self.assertEqual(self.competitor.lost_count, 1)


@tagged("post_install", "-at_install")
class TestCrmCoreToursMobile(CrmCoreTourCommon):
    browser_size = "375x667"
    touch_enabled = True

    def test_mobile_customer_profile(self):
        today = fields.Date.context_today(self.env["res.partner"])
        customer = self.env["res.partner"].create({
            "name": "Tour Customer Borealis",
            "customer_tier": "key",
            "lifecycle_stage": "stability",
            # 34 years and two months ago: 34 whatever the time zone of the browser.
            "birthdate": today - relativedelta(years=34, months=2),
            "gender": "female",
            "income_band": "middle",
        })
        self.assertEqual(customer.age, 34)
        self.start_tour(
            f"/odoo/contacts/{customer.id}", "crm_core_mobile_profile_tour", login="admin"
        )

        customer.invalidate_recordset()
        self.assertEqual(customer.income_band, "upper_middle", "the income band was edited")
        self.assertEqual(customer.gender, "female", "the other fields are left alone")
        self.assertEqual(customer.customer_tier, "key")
        self.assertEqual(customer.lifecycle_stage, "stability")

    def test_mobile_sales_target_cards(self):
        owner = self.env["res.users"].create({
            "name": "Tour Target Owner", "login": "tour_target_owner",
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_salesman").id])],
        })
        today = fields.Date.context_today(self.env["res.partner"])
        self.env["crm.sales.target"].create({
            "user_id": owner.id, "period_type": "month", "date_start": today.replace(day=1),
            "target_amount": 4000.0,
        })
        product = self.env["product.product"].create({"name": "Tour service", "type": "service"})
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Tour Buyer"}).id,
            "user_id": owner.id,
            "order_line": [(0, 0, {"product_id": product.id, "price_unit": 1000.0,
                                   "tax_id": [(5, 0, 0)]})],
        })
        order.action_confirm()
        order.date_order = fields.Datetime.now()
        self.start_tour("/odoo/action-crm_core.crm_sales_target_action",
                        "crm_core_mobile_targets_tour", login="admin")

    def test_mobile_big_deal_ribbon_leaves_the_name_readable(self):
        team = self.env["crm.team"].create({"name": "Tour Big Team", "big_deal_threshold": 1000})
        lead = self.env["crm.lead"].create({
            "name": "Tour opportunity with a long name that reaches the right edge",
            "type": "opportunity", "team_id": team.id, "expected_revenue": 5000,
        })
        self.assertTrue(lead.is_big_deal)
        self.start_tour(f"/odoo/crm/{lead.id}", "crm_core_mobile_big_deal_tour", login="admin")


@tagged("post_install", "-at_install")
class TestPaymentPlanTour(CrmCoreTourCommon):

    def test_salesperson_plans_and_sees_collections(self):
        salesman = new_test_user(
            self.env, login="tour_plan_salesman", name="Tour Salesman Gao", lang="en_US",
            groups="sales_team.group_sale_salesman",
        )
        salesman.tour_enabled = False
        order = self._confirmed_order_with_terms(salesman, "Tour Payer Ltd")
        self.start_tour(f"/odoo/action-sale.action_orders/{order.id}",
                        "crm_core_payment_plan_tour", login="tour_plan_salesman")
        plans = order.collection_plan_ids
        self.assertEqual(plans.mapped("amount"), [400.0, 600.0])
        # the accountant registers 500: the first instalment collected, the second partly
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"amount": 500.0})._create_payments()
        self.assertEqual(plans.mapped("state"), ["collected", "partial"])
        self.assertEqual(order.crm_amount_outstanding, 500.0)



@tagged("post_install", "-at_install")
class TestCollectionTourMobile(CrmCoreTourCommon):
    browser_size = "390x844"
    touch_enabled = True

    def test_salesperson_plans_on_a_phone_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "crm_core")])._update_translations(["zh_CN"])
        salesman = new_test_user(
            self.env, login="tour_plan_zh", name="Tour Salesman Zhou", lang="zh_CN",
            groups="sales_team.group_sale_salesman",
        )
        salesman.tour_enabled = False
        order = self._confirmed_order_with_terms(salesman, "Tour Payer Zhou")
        self.start_tour(f"/odoo/action-sale.action_orders/{order.id}",
                        "crm_core_payment_plan_mobile_zh_tour", login="tour_plan_zh")
        plans = order.collection_plan_ids
        self.assertEqual(plans.mapped("amount"), [500.0, 500.0])
        self.assertEqual(plans.mapped("state"), ["planned", "planned"])

class PoolTourMixin:
    """A customer recalled to a pool the tour's salesperson is a member of."""

    def _pool_customer(self, lang):
        self.env["res.lang"]._activate_lang(lang)
        if lang != "en_US":
            self.env["ir.module.module"].search(
                [("name", "=", "crm_core")])._update_translations([lang])
        seller = new_test_user(self.env, login=f"tour_pool_{lang}", name=f"Tour Pool {lang}",
                               groups="sales_team.group_sale_salesman", lang=lang)
        seller.tour_enabled = False
        former = new_test_user(self.env, login=f"tour_pool_former_{lang}",
                               groups="sales_team.group_sale_salesman")
        pool = self.env["crm.customer.pool"].create({
            "name": "Tour Pool", "user_ids": [(6, 0, (seller | former).ids)],
            "rule_ids": [(0, 0, {"kind": "no_followup", "days": 30})]})
        customer = self.env["res.partner"].create(
            {"name": "Tour Pool Customer Vega", "is_company": True, "user_id": former.id})
        self.env.cr.execute(
            "UPDATE res_partner SET crm_owner_date = now() - INTERVAL '40 days' WHERE id = %s",
            [customer.id])
        customer._crm_refresh_recall(partner_ids=customer.ids)
        self.env["res.partner"]._cron_recall_customers()
        customer.invalidate_recordset()
        self.assertEqual(customer.crm_pool_id, pool)
        self.assertTrue(customer.crm_in_pool)
        return seller, customer

    def _assert_claimed(self, seller, customer):
        customer.invalidate_recordset()
        self.assertEqual(customer.user_id, seller)
        self.assertEqual(customer.crm_owner_change_ids[0].reason, "claim")
        self.assertEqual(customer.crm_owner_change_ids[0].changed_by_id, seller)


@tagged("post_install", "-at_install")
class TestPoolTour(PoolTourMixin, CrmCoreTourCommon):

    def test_claim_and_find_in_my_day(self):
        seller, customer = self._pool_customer("en_US")
        self.start_tour("/odoo/action-crm_core.res_partner_action_customer_pool",
                        "crm_core_pool_claim_tour", login=seller.login)
        self._assert_claimed(seller, customer)


@tagged("post_install", "-at_install")
class TestPoolTourMobile(PoolTourMixin, CrmCoreTourCommon):
    browser_size = "390x844"
    touch_enabled = True

    def test_claim_on_a_phone_in_chinese(self):
        seller, customer = self._pool_customer("zh_CN")
        self.start_tour("/odoo/action-crm_core.res_partner_action_customer_pool",
                        "crm_core_pool_claim_mobile_tour", login=seller.login)
        self._assert_claimed(seller, customer)
