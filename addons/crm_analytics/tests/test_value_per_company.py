from datetime import date, datetime, timedelta
from unittest.mock import patch

from odoo import Command, api
from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, TransactionCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import AS_OF, CrmAnalyticsCommon


class ValuePerCompanyCase(CrmAnalyticsCommon):
    """One customer without a company buying in two companies: a big repeat buyer in
    company A (the tests' company), a small one-off buyer long ago in company B."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.env["res.company"].create({
            "name": "Analytics Company B", "currency_id": cls.company_a.currency_id.id,
        })
        # the tests' own user works in both companies
        cls.env.user.company_ids |= cls.company_b
        cls.user_b = cls.env["res.users"].with_context(no_reset_password=True).create({
            "name": "B Salesman Bo", "login": "crm_an_user_b",
            "company_id": cls.company_b.id, "company_ids": [Command.set(cls.company_b.ids)],
            "groups_id": [Command.set([cls.env.ref("sales_team.group_sale_manager").id])],
        })
        cls.shared = cls.env["res.partner"].create({
            "name": "Shared Customer", "is_company": True, "company_id": False,
            "user_id": cls.salesman.id,
        })
        cls._orders_on([(cls.shared, 10000.0, AS_OF - timedelta(days=20 * n))
                        for n in range(6)])
        # B's order, in B
        env_b = cls.env(context=dict(cls.env.context, allowed_company_ids=cls.company_b.ids),
                        su=True)
        product_b = cls.product.with_env(env_b)
        order_b = env_b["sale.order"].create({
            "partner_id": cls.shared.id, "company_id": cls.company_b.id,
            "order_line": [Command.create({"product_id": product_b.id,
                                           "product_uom_qty": 1, "price_unit": 50.0,
                                           "tax_id": [Command.clear()]})],
        })
        order_b.action_confirm()
        order_b.date_order = datetime.combine(AS_OF - timedelta(days=700),
                                              datetime.min.time())
        cls.env_b = env_b

    def _run_b(self, as_of=AS_OF):
        return self.env_b["crm.analytics.engine"].run(as_of=as_of)

    def _value(self, company, partner=None):
        return self.env["crm.customer.value"].sudo().search([
            ("company_id", "=", company.id), ("partner_id", "=", (partner or self.shared).id)])


@tagged("post_install", "-at_install")
class TestValuePerCompany(ValuePerCompanyCase):

    def test_companies_do_not_overwrite_each_other(self):
        self._run()
        self._run_b()
        shared_a = self.shared.with_env(self.env)
        shared_b = self.shared.with_env(self.env_b)
        self.assertEqual(shared_a.rfm_monetary, 60000.0)
        self.assertEqual(shared_a.rfm_frequency, 6)
        self.assertEqual(shared_b.rfm_monetary, 50.0)
        self.assertEqual(shared_b.rfm_frequency, 1)
        self.assertEqual(shared_b.lifecycle_stage, "churned")
        self.assertNotEqual(shared_a.lifecycle_stage, "churned")
        self.assertEqual(shared_a.value_company_id, self.company_a)
        # a B user reads B's figures, never A's
        shared_as_b = self.shared.with_user(self.user_b).with_context(
            allowed_company_ids=self.company_b.ids)
        self.assertEqual(shared_as_b.rfm_monetary, 50.0)
        self.assertEqual(shared_as_b.env["crm.customer.value"].search(
            [("partner_id", "=", self.shared.id)]).company_id, self.company_b)
        # A's value report keeps the customer after B's run
        report = self.env["crm.customer.value.report"].search(
            [("partner_id", "=", self.shared.id), ("company_id", "=", self.company_a.id)])
        self.assertEqual(report.clv_historic, 60000.0)

    def test_tier_per_company_drives_sla_policy(self):
        self._run()
        self._run_b()
        self.assertEqual(self._value(self.company_a).customer_tier, "key")
        Policy = self.env["crm.sla.policy"]
        key_policy = Policy.create({
            "name": "Key customers A", "company_id": self.company_a.id,
            "customer_tier": "key", "response_hours": 1, "resolve_hours": 4,
            "resource_calendar_id": self.company_a.resource_calendar_id.id,
        })
        # whatever the tier in B, a complaint in A follows A's tier
        self._value(self.company_b).sudo().engine_customer_tier = "small"
        complaint = self.env["crm.complaint"].with_company(self.company_b).create({
            "name": "Broken", "partner_id": self.shared.id, "company_id": self.company_a.id,
        })
        self.assertEqual(complaint.sla_policy_id, key_policy)

    def test_other_company_does_not_reset_churn_warning(self):
        self._run()
        value_a = self._value(self.company_a)
        value_a.sudo().churn_alert_date = AS_OF
        self._run_b()
        self.assertEqual(value_a.churn_alert_date, AS_OF)

    def test_amounts_carry_company_currency(self):
        other = self.env.ref("base.EUR") if self.company_a.currency_id.name != "EUR" \
            else self.env.ref("base.USD")
        other.active = True
        self.company_b.sudo().currency_id = other
        self._run()
        self._run_b()
        self.assertEqual(self._value(self.company_a).currency_id, self.company_a.currency_id)
        self.assertEqual(self._value(self.company_b).currency_id, other)
        report = self.env["crm.customer.value.report"].sudo().search(
            [("partner_id", "=", self.shared.id)])
        self.assertEqual({row.company_id: row.currency_id for row in report},
                         {self.company_a: self.company_a.currency_id, self.company_b: other})


@tagged("post_install", "-at_install")
class TestManagerCorrection(CrmAnalyticsCommon):

    def test_correction_lasts_and_shows_in_chatter(self):
        customers = self._customers(3)
        self._orders_on([(customers[0], 9000.0, date(2025, 3, 1)),
                         (customers[1], 500.0, date(2025, 3, 2)),
                         (customers[2], 500.0, date(2025, 3, 3))])
        self._run()
        small = customers[2]
        self.assertEqual(small.customer_tier, "small")
        # customers created in the same transaction are not tracked: as if saved before
        self._flush_tracking()
        small.with_user(self.manager).customer_tier = "key"
        self.env.flush_all()
        self.env.cr.precommit.run()
        small.invalidate_recordset(["message_ids"])
        tracked = small.message_ids.tracking_value_ids.filtered(
            lambda tracking: tracking.field_id.name == "customer_tier")
        self.assertEqual(tracked[:1].new_value_char, "Key customer",
                         "the correction shows in the customer's chatter")
        self._run(AS_OF + timedelta(days=1))
        small.invalidate_recordset()
        self.assertEqual(small.customer_tier, "key", "the correction wins over the run")
        value = self.env["crm.customer.value"].search([("partner_id", "=", small.id)])
        self.assertEqual((value.engine_customer_tier, value.manual_customer_tier),
                         ("small", "key"))
        # a salesperson may not correct it
        with self.assertRaises(AccessError):
            small.with_user(self.salesman).customer_tier = "small"
        # cleared: the computed tier applies again
        small.with_user(self.manager).customer_tier = False
        small.invalidate_recordset()
        self.assertEqual(small.customer_tier, "small")


@tagged("post_install", "-at_install")
class TestValueAccess(RpcMixin, ValuePerCompanyCase, HttpCase):

    def test_salesperson_reads_only_own_customers_value(self):
        self._run()
        # the shared customer belongs to the salesman: the colleague reads nothing
        fields = ["clv_predicted", "churn_risk", "churn_reasons", "rfm_monetary"]
        own = self.rpc_result("crm_core_salesman", "res.partner", "read",
                              [self.shared.id], fields,
                              context={"allowed_company_ids": self.company_a.ids})
        self.assertEqual(own[0]["rfm_monetary"], 60000.0)
        other = self.rpc_result("crm_core_colleague", "res.partner", "read",
                                [self.shared.id], fields,
                                context={"allowed_company_ids": self.company_a.ids})
        self.assertFalse(other[0]["rfm_monetary"])
        self.assertFalse(other[0]["clv_predicted"])
        self.assertFalse(self.rpc_result(
            "crm_core_colleague", "crm.customer.value", "search_read",
            [("partner_id", "=", self.shared.id)], ["clv_predicted"],
            context={"allowed_company_ids": self.company_a.ids}))
        # the PDF obeys the same rules
        self.authenticate("crm_core_colleague", "crm_core_colleague")
        refused = self.url_open(
            f"/report/pdf/crm_analytics.report_customer_value/{self.shared.id}")
        self.assertNotEqual(refused.status_code, 200)

    def test_pdf_of_customer_never_scored(self):
        nobody = self.env["res.partner"].create({"name": "Never Scored", "company_id": False})
        self.authenticate("crm_core_salesman", "crm_core_salesman")
        response = self.url_open(
            f"/report/html/crm_analytics.report_customer_value/{nobody.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn("No customer value computed yet", response.text)

    def test_salesperson_duplicates_scored_customer(self):
        self._run()
        copy_id = self.rpc_result("crm_core_salesman", "res.partner", "copy",
                                  [self.shared.id],
                                  context={"allowed_company_ids": self.company_a.ids})[0]
        copy = self.env["res.partner"].browse(copy_id)
        self.assertFalse(self.env["crm.customer.value"].sudo().search(
            [("partner_id", "=", copy.id)]))
        self.assertFalse(copy.rfm_frequency)


@tagged("post_install", "-at_install")
class TestCompanyDays(CrmAnalyticsCommon):

    def test_order_at_seven_in_shanghai_is_on_the_first(self):
        self.company.partner_id.tz = "Asia/Shanghai"
        customer = self._customers(1)
        orders = self._orders_on([(customer, 100.0, date(2025, 3, 1))])
        # 07:00 on 1 March in Shanghai is 23:00 UTC on 28 February
        orders.date_order = datetime(2025, 2, 28, 23, 0)
        self._run(date(2025, 3, 1))
        value = self.env["crm.customer.value"].search([("partner_id", "=", customer.id)])
        self.assertEqual(value.last_purchase_date, date(2025, 3, 1))
        self.assertEqual(value.first_purchase_date, date(2025, 3, 1))
        self.assertEqual(value.rfm_frequency, 1, "ordered on the day of the analysis")
        # in UTC it would be the day before: the order is not after the analysis
        self.company.partner_id.tz = "UTC"
        self._run(date(2025, 2, 28))
        value.invalidate_recordset()
        self.assertEqual(value.last_purchase_date, date(2025, 2, 28))


@tagged("post_install", "-at_install")
class TestRunsAndHistory(CrmAnalyticsCommon):

    def test_recompute_twice_a_day_adds_no_history(self):
        customers = self._customers(4)
        self._orders_on([(partner, 100.0 * (n + 1), date(2025, 3, n + 1))
                         for n, partner in enumerate(customers)])
        History = self.env["crm.customer.value.history"]
        domain = [("company_id", "=", self.company.id)]
        self._run()
        snapshot = History.search(domain)
        self.assertEqual(len(snapshot), 4, "the month's snapshot records every customer")
        second = self._run()
        self.assertEqual(History.search(domain), snapshot)
        self.assertEqual(second.changed_count, 0)
        # a change is a row; the month's snapshot is not taken again
        self._orders_on([(customers[0], 5000.0, date(2025, 3, 30))])
        self._run()
        rows = History.search(domain) - snapshot
        self.assertTrue(rows)
        self.assertFalse(any(rows.mapped("is_snapshot")))
        self.assertIn(customers[0], rows.partner_id)

    def test_failed_run_is_recorded_and_retried(self):
        engine = type(self.env["crm.analytics.engine"])
        original = engine._run

        def failing(engine_self, company, as_of):
            if company == self.company:
                raise ValueError("disk full")
            return original(engine_self, company, as_of)

        cron = self.env.ref("crm_analytics.crm_analytics_engine_cron")
        triggers = self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)])
        with patch.object(engine, "_run", failing):
            cron.method_direct_trigger()
        failed = self.env["crm.clv.model"].search([("company_id", "=", self.company.id)])
        self.assertEqual(failed.mapped("state"), ["failed"])
        self.assertIn("disk full", failed.reason)
        self.assertGreater(
            self.env["ir.cron.trigger"].search_count([("cron_id", "=", cron.id)]), triggers)
        # not again before the retry delay
        self.assertNotIn(self.company, self.env["crm.analytics.engine"]._companies_due())

    def test_one_run_per_company_at_a_time(self):
        with self.registry.cursor() as other:
            env = api.Environment(other, api.SUPERUSER_ID,
                                  {"allowed_company_ids": self.company.ids})
            self.assertTrue(env["crm.analytics.engine"]._try_lock(self.company))
            with self.assertRaises(UserError):
                self._run()
            other.rollback()

    def test_recompute_button_says_when_done(self):
        action = self.env["crm.clv.model"].with_user(self.manager).action_run_engine()
        self.assertEqual(action["tag"], "display_notification")
        self.assertIn("customers", action["params"]["message"])

    def test_nobody_to_warn_leads_to_the_customers(self):
        model = self.env["crm.clv.model"].sudo().create({
            "company_id": self.company.id, "as_of": AS_OF})
        action = model.action_view_unwarned()
        self.assertEqual(action["res_model"], "crm.customer.value")
        self.assertIn(("churn_risk", "=", "high"), action["domain"])


@tagged("post_install", "-at_install")
class TestRunBesideUsers(CrmAnalyticsCommon):
    """The run and a user saving a customer, each in its own transaction, on the
    committed demo data of the main company."""

    def test_partner_edit_during_a_run(self):
        main = self.env.ref("base.main_company")
        customer = self.env.ref("crm_analytics.res_partner_value_demo_02",
                                raise_if_not_found=False)
        if not customer:
            self.skipTest("needs the demo customers of crm_analytics")
        with self.registry.cursor() as run_cr, self.registry.cursor() as user_cr:
            run_env = api.Environment(run_cr, api.SUPERUSER_ID,
                                      {"allowed_company_ids": main.ids})
            model = run_env["crm.analytics.engine"].run()
            self.assertEqual(model.state, "fitted")
            # the run is not committed yet: a user saves the customer without waiting
            user_cr.execute("SET LOCAL lock_timeout = '2s'")
            user_env = api.Environment(user_cr, api.SUPERUSER_ID,
                                       {"allowed_company_ids": main.ids})
            user_env["res.partner"].browse(customer.id).write({"phone": "+86 21 5555 0100"})
            user_env.flush_all()
            user_cr.rollback()
            run_cr.rollback()
        with self.registry.cursor() as user_cr, self.registry.cursor() as run_cr:
            # the other way round: a customer being edited does not stop the run
            user_cr.execute("SET LOCAL lock_timeout = '2s'")
            user_env = api.Environment(user_cr, api.SUPERUSER_ID,
                                       {"allowed_company_ids": main.ids})
            user_env["res.partner"].browse(customer.id).write({"phone": "+86 21 5555 0101"})
            user_env.flush_all()
            run_cr.execute("SET LOCAL lock_timeout = '2s'")
            run_env = api.Environment(run_cr, api.SUPERUSER_ID,
                                      {"allowed_company_ids": main.ids})
            self.assertEqual(run_env["crm.analytics.engine"].run().state, "fitted")
            run_env.flush_all()
            run_cr.rollback()
            user_cr.rollback()


@tagged("post_install", "-at_install")
class TestPoolRulesReadTheCompanysTier(TransactionCase):
    """A customer pool's rule for one tier reads the customer's tier in the pool's
    company (a customer is shared between companies)."""

    def test_tier_rule_per_company(self):
        env = self.env
        other = env["res.company"].create({"name": "Tier Co B"})
        seller = env["res.users"].create({
            "name": "Tier Seller", "login": "tier_seller",
            "groups_id": [(6, 0, env.ref("sales_team.group_sale_salesman").ids)]})
        pool = env["crm.customer.pool"].create({
            "name": "Tier Pool", "user_ids": [(6, 0, seller.ids)],
            "rule_ids": [(0, 0, {"kind": "no_followup", "days": 30}),
                         (0, 0, {"kind": "no_followup", "days": 10,
                                 "customer_tier": "small"})],
        })
        customer = env["res.partner"].create({"name": "Shared", "user_id": seller.id})
        today = env.company._crm_today()
        self.assertEqual(customer.crm_pool_id, pool)
        self.assertEqual(customer.crm_recall_date, today + timedelta(days=30))
        # small in the other company: not this pool's business
        env["crm.customer.value"]._set_manual(customer, other, "customer_tier", "small")
        env["res.partner"]._crm_refresh_recall(partner_ids=customer.ids)
        self.assertEqual(customer.crm_recall_date, today + timedelta(days=30))
        # small in the pool's company, set by a manager on the customer
        customer.with_company(env.company).customer_tier = "small"
        self.assertEqual(customer.crm_recall_date, today + timedelta(days=10))
