from datetime import date, datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, tagged

from .common import CrmCoreCommon, RpcMixin


class CollectionCase(CrmCoreCommon):
    """Orders, their invoices and the customer's payments."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env.user)
        cls.bank = cls.env["account.journal"].search([
            ("type", "=", "bank"), ("company_id", "=", cls.env.company.id),
        ], limit=1)

    def _plan(self, order, *instalments):
        """Instalments ``(days after today, amount)`` for ``order``, as the salesman."""
        return self.env["crm.collection.plan"].with_user(self.salesman).create([
            {"order_id": order.id, "sequence": number,
             "date_planned": self.today + timedelta(days=days), "amount": amount}
            for number, (days, amount) in enumerate(instalments, 1)
        ])

    def _invoice(self, order):
        invoice = order._create_invoices()
        invoice.action_post()
        return invoice

    def _pay(self, invoices, amount, date=None, currency=None):
        wizard = self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoices.ids,
        ).create({
            "amount": amount, "payment_date": date or self.today,
            "journal_id": self.bank.id, "group_payment": True,
            **({"currency_id": currency.id} if currency else {}),
        })
        return wizard._create_payments()



@tagged("post_install", "-at_install")
class TestCollectionPlan(CollectionCase):
    """Payment plans (回款计划) of confirmed orders, collected from the host's
    payments on the orders' invoices."""

    def test_plan_proposed_from_payment_terms(self):
        terms = self.env["account.payment.term"].create({
            "name": "30% now, 70% in 60 days",
            "line_ids": [
                (0, 0, {"value": "percent", "value_amount": 30, "nb_days": 0}),
                (0, 0, {"value": "percent", "value_amount": 70, "nb_days": 60}),
            ],
        })
        order = self._order(self.customer, 1000.0, confirm=False)
        order.payment_term_id = terms
        order.action_confirm()
        order.with_user(self.salesman).action_crm_propose_collection_plan()
        plans = order.collection_plan_ids
        day = order.company_id._crm_local_date(order.date_order)
        self.assertEqual(plans.mapped("amount"), [300.0, 700.0])
        self.assertEqual(plans.mapped("date_planned"), [day, day + timedelta(days=60)])
        self.assertEqual(plans.mapped("state"), ["planned", "planned"])
        self.assertEqual(plans.mapped("percentage"), [30.0, 70.0])
        # without terms: the whole order, on its day
        other = self._order(self.customer, 500.0)
        other.with_user(self.salesman).action_crm_propose_collection_plan()
        self.assertEqual(other.collection_plan_ids.mapped("amount"), [500.0])

    def test_plan_checks(self):
        order = self._order(self.customer, 1000.0)
        with self.assertRaisesText(ValidationError, "add up to"):
            self._plan(order, (0, 400.0), (30, 500.0))
        with self.assertRaisesText(ValidationError, "above zero"):
            self._plan(order, (0, 1100.0), (30, -100.0))
        with self.assertRaisesText(ValidationError, "before the order's date"):
            self._plan(order, (-10, 1000.0))
        draft = self._order(self.customer, 1000.0, confirm=False)
        with self.assertRaisesText(ValidationError, "not confirmed"):
            self._plan(draft, (0, 1000.0))
        self.assertFalse(self.env["crm.collection.plan"].search([
            ("order_id", "in", (order | draft).ids)]))
        # a percentage sets the amount
        plans = self._plan(order, (0, 500.0), (30, 500.0))
        order.write({"collection_plan_ids": [
            (1, plans[0].id, {"percentage": 40.0}), (1, plans[1].id, {"amount": 600.0}),
        ]})
        self.assertEqual(plans.mapped("amount"), [400.0, 600.0])

    def test_collected_fills_instalments_in_date_order(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 300.0), (30, 700.0))
        invoice = self._invoice(order)
        self._pay(invoice, 500.0)
        self.assertEqual(plans.mapped("amount_collected"), [300.0, 200.0])
        self.assertEqual(plans.mapped("amount_outstanding"), [0.0, 500.0])
        self.assertEqual(plans.mapped("state"), ["collected", "partial"])
        self.assertRecordValues(order, [{
            "crm_amount_collected": 500.0, "crm_amount_outstanding": 500.0,
            "crm_amount_overdue": 0.0, "crm_date_last_collection": self.today,
        }])
        self.assertEqual(self.customer.with_user(self.salesman).crm_amount_outstanding, 500.0)
        self._pay(invoice, 500.0)
        self.assertEqual(plans.mapped("state"), ["collected", "collected"])
        self.assertEqual(order.crm_amount_outstanding, 0.0)
        # the customer's 360° figures, for the current company
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.with_user(self.salesman).crm_amount_collected, 1000.0)
        self.assertEqual(self.customer.with_user(self.salesman).crm_amount_outstanding, 0.0)

    def test_invoice_paid_before_the_plan_and_payment_over_two_orders(self):
        first = self._order(self.customer, 600.0)
        second = self._order(self.customer, 400.0)
        invoices = self._invoice(first) | self._invoice(second)
        # one payment for both invoices, before any plan exists
        self._pay(invoices, 1000.0)
        self.assertEqual((first.crm_amount_collected, second.crm_amount_collected),
                         (600.0, 400.0))
        plans = self._plan(first, (0, 200.0), (10, 400.0))
        self.assertEqual(plans.mapped("state"), ["collected", "collected"])

    def test_order_without_invoice_and_down_payment(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 300.0), (30, 700.0))
        self.assertEqual(order.crm_amount_collected, 0.0)
        self.assertEqual(order.crm_amount_outstanding, 1000.0)
        down = self.env["sale.advance.payment.inv"].with_context(
            active_model="sale.order", active_ids=order.ids,
        ).create({"advance_payment_method": "percentage", "amount": 30})
        down.create_invoices()
        invoice = order.invoice_ids
        invoice.action_post()
        self._pay(invoice, invoice.amount_total)
        self.assertEqual(order.crm_amount_collected, 300.0)
        self.assertEqual(plans.mapped("state"), ["collected", "planned"])

    def test_credit_note_takes_off_the_last_instalment_and_refund_is_deducted(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 400.0), (30, 600.0))
        invoice = self._invoice(order)
        self._pay(invoice, 400.0)
        refund = self.env["account.move"].create({
            "move_type": "out_refund", "partner_id": self.customer.id,
            "invoice_line_ids": [(0, 0, {
                "product_id": self.product.id, "quantity": 1, "price_unit": 200.0,
                "tax_ids": [(5, 0, 0)], "sale_line_ids": [(6, 0, order.order_line.ids)],
            })],
        })
        refund.action_post()
        self.assertEqual(plans.mapped("amount_credited"), [0.0, 200.0])
        self.assertEqual(plans.mapped("amount_outstanding"), [0.0, 400.0])
        self.assertRecordValues(order, [{"crm_amount_credited": 200.0,
                                         "crm_amount_collected": 400.0,
                                         "crm_amount_outstanding": 400.0}])
        # the credit note refunded in cash: the money went back, it is not collected
        self._pay(refund, 200.0)
        self.assertEqual(order.crm_amount_collected, 200.0)
        # unreconciling the payment takes the collection back
        payment_lines = (invoice.line_ids | refund.line_ids).filtered(
            lambda line: line.account_type == "asset_receivable").matched_credit_ids
        payment_lines.unlink()
        self.assertEqual(plans.mapped("amount_collected"), [0.0, 0.0])

    def test_payment_in_another_currency(self):
        usd = self.env.ref("base.USD")
        eur = self.env.ref("base.EUR")
        currency = eur if self.env.company.currency_id == usd else usd
        currency.active = True
        self.env["res.currency.rate"].create({
            "currency_id": currency.id, "name": self.today - timedelta(days=400),
            "rate": 2.0, "company_id": self.env.company.id,
        })
        order = self._order(self.customer, 1000.0, currency=currency)
        plans = self._plan(order, (0, 1000.0))
        invoice = self._invoice(order)
        # paid in the company's currency: 250 company = 500 in the order's
        self._pay(invoice, 250.0, currency=self.env.company.currency_id)
        self.assertAlmostEqual(order.crm_amount_collected, 500.0, places=2)
        self.assertAlmostEqual(order.crm_amount_collected_company, 250.0, places=2)
        self.assertEqual(plans.state, "partial")

    def test_cancelled_order_cancels_its_plan(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 1000.0))
        order.with_context(disable_cancel_warning=True)._action_cancel()
        self.assertEqual(plans.state, "cancelled")
        self.assertEqual(order.crm_amount_outstanding, 0.0)
        with self.assertRaisesText(UserError, "cancelled order"):
            plans.with_user(self.salesman).amount = 900.0

    def test_collected_instalment_stays_and_plan_edited_after_a_payment(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 300.0), (30, 700.0))
        self._pay(self._invoice(order), 400.0)
        first, second = plans.with_user(self.salesman)
        with self.assertRaisesText(UserError, "is collected"):
            first.date_planned = self.today + timedelta(days=5)
        with self.assertRaisesText(UserError, "cannot go below"):
            order.with_user(self.salesman).write({"collection_plan_ids": [
                (1, second.id, {"amount": 50.0}), (0, 0, {
                    "sequence": 3, "date_planned": self.today, "amount": 650.0}),
            ]})
        # split what is left: collected amounts follow the dates
        order.with_user(self.salesman).write({"collection_plan_ids": [
            (1, second.id, {"amount": 350.0}), (0, 0, {
                "sequence": 3, "date_planned": self.today + timedelta(days=60),
                "amount": 350.0}),
        ]})
        self.assertEqual(order.collection_plan_ids.mapped("amount_collected"),
                         [300.0, 100.0, 0.0])
        with self.assertRaisesText(UserError, "payments collected"):
            second.unlink()

    def test_overdue_counts_in_the_company_day(self):
        order = self._order(self.customer, 1000.0)
        order.date_order = fields.Datetime.now() - timedelta(days=40)
        plans = self._plan(order, (-30, 400.0), (30, 600.0))
        self.assertEqual(plans.mapped("state"), ["overdue", "planned"])
        self.assertEqual(order.crm_amount_overdue, 400.0)
        self.assertEqual(self.customer.with_user(self.salesman).crm_amount_overdue, 400.0)
        # another company reads none of it on the shared customer
        other = self.env["res.company"].create({"name": "Other Co"})
        self.assertEqual(
            self.customer.with_company(other).with_context(
                allowed_company_ids=[other.id, self.env.company.id]).crm_amount_overdue, 0.0)

    def test_reminders_once_per_instalment_and_event(self):
        self.env.company.crm_collection_reminder_days = 3
        order = self._order(self.customer, 1000.0)
        order.date_order = fields.Datetime.now() - timedelta(days=40)
        plans = self._plan(order, (-5, 300.0), (2, 300.0), (20, 400.0))
        Plan = self.env["crm.collection.plan"]
        Plan._cron_send_reminders()
        Plan._cron_send_reminders()
        overdue_type = self.env.ref("crm_core.mail_activity_type_collection_overdue")
        due_type = self.env.ref("crm_core.mail_activity_type_collection_due")
        self.assertEqual(plans[0].activity_ids.activity_type_id, overdue_type)
        self.assertEqual(plans[1].activity_ids.activity_type_id, due_type)
        self.assertFalse(plans[2].activity_ids, "not due within 3 days")
        self.assertEqual(plans[0].activity_ids.user_id, self.salesman)
        self.assertFalse(plans[0].activity_ids.summary, "the type names it")
        self.assertEqual(len(plans.activity_ids), 2)
        # the due instalment becomes overdue: its second event, once
        plans[1].activity_ids.action_feedback()
        self.env.cr.execute(
            "UPDATE crm_collection_plan SET date_planned = date_planned - 10 WHERE id = %s",
            [plans[1].id])
        Plan._crm_refresh_orders(order.ids)
        Plan._cron_send_reminders()
        Plan._cron_send_reminders()
        self.assertEqual(plans[1].activity_ids.activity_type_id, overdue_type)
        self.assertEqual(len(plans[1].activity_ids), 1)

    def test_overdue_reminder_due_on_the_company_day(self):
        """The job runs as a user in UTC, still on 7 March while the company, in
        Shanghai, is on 8 March: the overdue reminder is due on 8 March."""
        self.env.company.partner_id.tz = "Asia/Shanghai"
        order = self._order(self.customer, 1000.0)
        order.date_order = datetime(2026, 2, 1, 10, 0)
        plans = self.env["crm.collection.plan"].create({
            "order_id": order.id, "sequence": 1, "date_planned": date(2026, 3, 1),
            "amount": 1000.0,
        })
        # 01:00 on 8 March in Shanghai
        with freeze_time(datetime(2026, 3, 7, 17, 0)):
            self.env["crm.collection.plan"].with_context(tz="UTC")._cron_send_reminders()
        overdue_type = self.env.ref("crm_core.mail_activity_type_collection_overdue")
        activity = plans.activity_ids.filtered(lambda a: a.activity_type_id == overdue_type)
        self.assertEqual(activity.date_deadline, date(2026, 3, 8))

    def test_salesman_reads_and_plans_own_orders_only(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 1000.0))
        theirs = self._order(self.customer, 500.0, user=self.colleague)
        self.env["crm.collection.plan"].create({
            "order_id": theirs.id, "sequence": 1, "date_planned": self.today,
            "amount": 500.0,
        })
        Plan = self.env["crm.collection.plan"]
        self.assertEqual(Plan.with_user(self.salesman).search([]), plans)
        with self.assertRaises(AccessError):
            theirs.collection_plan_ids.with_user(self.salesman).read(["amount"])
        self.assertEqual(len(Plan.with_user(self.leader).search([
            ("order_id", "in", (order | theirs).ids)])), 2)

    def test_server_figures_refused_to_clients(self):
        order = self._order(self.customer, 1000.0)
        plans = self._plan(order, (0, 1000.0))
        for field, value in (("amount_collected", 1000.0), ("state", "collected"),
                             ("amount_outstanding", 0.0),
                             ("date_reminded_due", fields.Datetime.now())):
            with self.assertRaises(AccessError):
                plans.with_user(self.manager).write({field: value})
        with self.assertRaises(AccessError):
            order.with_user(self.manager).write({"crm_amount_collected": 1000.0})
        self.assertEqual(plans.amount_collected, 0.0)


@tagged("post_install", "-at_install")
class TestCollectionPlanRpc(RpcMixin, CrmCoreCommon, HttpCase):
    """What a salesperson may not do to payment plans, over JSON-RPC."""

    def test_refused_over_rpc(self):
        order = self._order(self.customer, 1000.0)
        theirs = self._order(self.customer, 500.0, user=self.colleague)
        today = fields.Date.context_today(self.env.user)
        plan = self.env["crm.collection.plan"].create({
            "order_id": theirs.id, "sequence": 1, "date_planned": today, "amount": 500.0,
        })
        # a colleague's order: neither read nor planned
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.collection.plan",
                              "read", [plan.id], ["amount"])
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.collection.plan",
                              "create", [{"order_id": theirs.id, "sequence": 2,
                                          "date_planned": str(today), "amount": 1.0}])
        # their own: figures the server measures stay the server's
        own = self.rpc_result("crm_core_salesman", "crm.collection.plan", "create", [{
            "order_id": order.id, "sequence": 1, "date_planned": str(today),
            "amount": 1000.0,
        }])
        self.assertRpcRefused(AccessError, "crm_core_salesman", "crm.collection.plan",
                              "write", own, {"amount_collected": 1000.0})
        self.assertRpcRefused(AccessError, "crm_core_salesman", "sale.order", "write",
                              [order.id], {"crm_amount_collected": 1000.0})
        # a plan that does not add up: the error in the user's language, nothing written
        self.env.ref("base.lang_zh_CN").active = True
        self.salesman.lang = "zh_CN"
        error = self.assertRpcRefused(
            ValidationError, "crm_core_salesman", "sale.order", "write", [order.id],
            {"collection_plan_ids": [(1, own[0], {"amount": 900.0})]})
        self.assertIn("\u4e0e\u8ba2\u5355\u603b\u989d", error["message"])
        self.assertEqual(self.env["crm.collection.plan"].browse(own).amount, 1000.0)


@tagged("post_install", "-at_install")
class TestCollectionTarget(CollectionCase):
    """Targets on collections (回款目标) beside targets on orders."""

    def test_collection_target_counts_payments_of_its_period(self):
        month_start = self.today.replace(day=1)
        Target = self.env["crm.sales.target"]
        orders_target = Target.create({
            "user_id": self.salesman.id, "date_start": month_start, "target_amount": 5000.0,
        })
        target = Target.create({
            "user_id": self.salesman.id, "date_start": month_start, "target_amount": 2000.0,
            "target_kind": "collections",
        })
        order = self._order(self.customer, 1000.0)
        invoice = self._invoice(order)
        self._pay(invoice, 400.0, date=month_start - timedelta(days=1))
        self._pay(invoice, 500.0)
        # a colleague's collection does not count
        theirs = self._order(self.customer, 300.0, user=self.colleague, team=self.env[
            "crm.team"].create({"name": "Team West"}))
        self._pay(self._invoice(theirs), 300.0)
        target.invalidate_recordset()
        self.assertEqual(target.achieved_amount, 500.0)
        self.assertEqual(target.attainment, 25.0)
        self.assertEqual(orders_target.achieved_amount, 1000.0)
        self.assertIn(order, self.env["sale.order"].search(
            target.action_view_orders()["domain"]))
        # one collection target per period and person; the order target is no rival
        with self.assertRaisesText(ValidationError, "already has"):
            Target.create({
                "user_id": self.salesman.id, "date_start": month_start,
                "target_amount": 1.0, "target_kind": "collections",
            })
        # the forecast report puts collected and the collection target side by side
        self.env.flush_all()
        [(collected, collection_target)] = self.env["crm.sales.forecast.report"]._read_group(
            [("date", "=", month_start), ("user_id", "=", self.salesman.id)],
            aggregates=["collected_amount:sum", "user_collection_target_amount:sum"],
        )
        self.assertEqual((collected, collection_target), (500.0, 2000.0))


@tagged("post_install", "-at_install")
class TestCollectionReport(CollectionCase):
    """Planned against collected, overdue ageing and the forecast, in SQL."""

    def test_planned_collected_and_ageing(self):
        order = self._order(self.customer, 1000.0)
        order.date_order = fields.Datetime.now() - timedelta(days=120)
        self._plan(order, (-100, 200.0), (-45, 300.0), (-10, 100.0), (40, 400.0))
        self._pay(self._invoice(order), 250.0)
        self.env.flush_all()
        Report = self.env["crm.collection.report"].with_user(self.salesman)
        rows = Report._read_group([("order_id", "=", order.id)], ["ageing"],
                                  ["overdue_amount:sum"])
        # 250 collected: the first instalment (no longer overdue) and 50 of the second
        self.assertEqual(dict(rows), {"31_60": 250.0, "0_30": 100.0, False: 0.0})
        unpaid = self._order(self.customer, 500.0)
        unpaid.date_order = fields.Datetime.now() - timedelta(days=120)
        self._plan(unpaid, (-95, 500.0))
        self.env.flush_all()
        self.assertEqual(dict(Report._read_group(
            [("order_id", "=", unpaid.id)], ["ageing"], ["overdue_amount:sum"])),
            {"90_plus": 500.0})
        [(planned, collected, outstanding)] = Report._read_group(
            [("order_id", "=", order.id)], [],
            ["planned_amount:sum", "collected_amount:sum", "outstanding_amount:sum"])
        self.assertEqual((planned, collected, outstanding), (1000.0, 250.0, 750.0))
        # the coming months: what is left of the instalments not yet due
        coming = Report.search([("order_id", "=", order.id),
                                ("date", ">=", self.today), ("outstanding_amount", ">", 0)])
        self.assertEqual(coming.mapped("outstanding_amount"), [400.0])
        # a colleague reads nothing of it
        self.assertFalse(self.env["crm.collection.report"].with_user(self.colleague).search([
            ("order_id", "=", order.id)]))
