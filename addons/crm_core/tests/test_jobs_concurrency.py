from datetime import timedelta

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

# (days after today, amount) of the order's instalments
INSTALMENTS = ((-30, 300.0), (-5, 300.0), (-2, 150.0), (30, 250.0))
# what the order's customer paid on its invoice
PAID = 400.0


@tagged("post_install", "-at_install")
class TestRefreshStatesConcurrency(TransactionCase):
    """Two runs of the hourly job that turns the instalments past their date overdue
    (``crm.collection.plan._cron_refresh_states``) at the same moment, each in its own
    transaction: the data is committed in a cursor of its own (the test's cursor is
    never committed), and removed again at the end.

    An order of 1000 with four instalments, 400 paid on its invoice, as an hour ago
    before the job ran: the payment not counted yet, the first instalment overdue for
    long, those of the last days still planned. The job counts the payment once (the
    first instalment collected, the second partly) and the two of the last days are
    overdue."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Jobs concurrency Customer"})
            product = env["product.product"].create({
                "name": "Jobs concurrency Licence", "type": "service", "list_price": 100.0,
            })
            order = env["sale.order"].create({
                "partner_id": partner.id, "user_id": api.SUPERUSER_ID,
                "order_line": [(0, 0, {"product_id": product.id, "price_unit": 1000.0,
                                       "tax_id": [(5, 0, 0)]})],
            })
            order.action_confirm()
            order.date_order = fields.Datetime.now() - timedelta(days=40)
            today = fields.Date.context_today(order)
            order.write({"collection_plan_ids": [
                (0, 0, {"sequence": number, "date_planned": today + timedelta(days=days),
                        "amount": amount})
                for number, (days, amount) in enumerate(INSTALMENTS, 1)
            ]})
            invoice = order._create_invoices()
            invoice.action_post()
            journal = env["account.journal"].search([
                ("type", "=", "bank"), ("company_id", "=", order.company_id.id)], limit=1)
            register = env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({
                "amount": PAID, "payment_date": today, "journal_id": journal.id,
            })
            payments = register._create_payments()
            self.ids = {
                "partner": partner.id, "product": product.id, "order": order.id,
                "invoice": invoice.id, "payments": payments.ids, "register": register.id,
                "today": today,
            }
            # an hour ago: the payment not counted, the last instalments not due yet
            cr.execute(SQL(
                """
                DELETE FROM crm_collection_payment WHERE order_id = %(order)s;
                UPDATE crm_collection_plan
                   SET amount_collected = 0, amount_outstanding = amount,
                       amount_outstanding_company = amount_company,
                       state = CASE WHEN date_planned < %(today)s - 10 THEN 'overdue'
                                    ELSE 'planned' END
                 WHERE order_id = %(order)s;
                UPDATE sale_order
                   SET crm_amount_collected = 0, crm_amount_collected_company = 0,
                       crm_amount_outstanding = amount_total,
                       crm_amount_outstanding_company = amount_total,
                       crm_amount_overdue = 300, crm_amount_overdue_company = 300,
                       crm_date_last_collection = NULL
                 WHERE id = %(order)s
                """,
                order=order.id, today=today,
            ))
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            payments = env["account.payment"].browse(self.ids["payments"]).exists()
            payments.action_draft()
            payments.with_context(force_delete=True).unlink()
            env["account.payment.register"].browse(self.ids["register"]).exists().unlink()
            invoice = env["account.move"].browse(self.ids["invoice"]).exists()
            invoice.button_draft()
            invoice.with_context(force_delete=True).unlink()
            order = env["sale.order"].browse(self.ids["order"])
            order.collection_plan_ids.activity_ids.unlink()
            order.collection_plan_ids.unlink()
            order._action_cancel()
            order.unlink()
            env["product.product"].browse(self.ids["product"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()

    def _run(self, cr):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        env["crm.collection.plan"]._cron_refresh_states()
        env.flush_all()

    def _figures(self, cr):
        """The order's instalments, its figures and its counted payments, as the
        database holds them."""
        cr.execute(SQL(
            """SELECT sequence, state, amount_collected, amount_outstanding
                 FROM crm_collection_plan WHERE order_id = %s ORDER BY sequence""",
            self.ids["order"]))
        plans = cr.fetchall()
        cr.execute(SQL(
            """SELECT crm_amount_collected, crm_amount_outstanding, crm_amount_overdue,
                      crm_date_last_collection
                 FROM sale_order WHERE id = %s""", self.ids["order"]))
        order = cr.fetchone()
        cr.execute(SQL(
            """SELECT date, amount FROM crm_collection_payment WHERE order_id = %s
                ORDER BY date, amount""", self.ids["order"]))
        return plans, order, cr.fetchall()

    def _assert_refreshed_once(self):
        """Each instalment in its state, the payment counted once, in a transaction
        begun now."""
        with self.registry.cursor() as cr:
            plans, order, payments = self._figures(cr)
        self.assertEqual(plans, [
            (1, "collected", 300.0, 0.0),
            (2, "overdue", 100.0, 200.0),
            (3, "overdue", 0.0, 150.0),
            (4, "planned", 0.0, 250.0),
        ])
        self.assertEqual(order, (400.0, 600.0, 350.0, self.ids["today"]))
        self.assertEqual(payments, [(self.ids["today"], PAID)], "counted once")
        return plans, order, payments

    def _assert_later_run_changes_nothing(self, figures):
        """The next hour's run, in a transaction of its own, committed."""
        with self.registry.cursor() as cr_3:
            self._run(cr_3)
            cr_3.commit()
            self.assertEqual(self._figures(cr_3), figures)

    def test_run_while_the_other_runs_waits_and_is_refused(self):
        """The second run waits for the rows of the first, then PostgreSQL refuses it
        (REPEATABLE READ: rows changed since its snapshot): the host's cron rolls it
        back. Here it does not wait: the lock it would wait for is the error."""
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self._run(cr_1)
            self.assertEqual(self._figures(cr_1)[0][1][1], "overdue")
            # the first run is not committed yet: its instalments are locked
            cr_2.execute("SET LOCAL lock_timeout = '2s'")
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._run(cr_2)
            cr_2.rollback()
            cr_1.commit()
        figures = self._assert_refreshed_once()
        self._assert_later_run_changes_nothing(figures)

    def test_run_begun_before_the_other_committed_is_rolled_back(self):
        """A run whose transaction began before the other committed still sees the
        instalments as planned: it fails on the rows the other changed (a serialization
        failure, rolled back by the host's cron), never counts the payment twice, and
        the next hour's run finds nothing to change."""
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            # the second run's transaction has begun (its snapshot is taken)
            self.assertEqual(self._figures(cr_2)[0][1][1], "planned")
            self._run(cr_1)
            cr_1.commit()
            cr_2.execute("SET LOCAL lock_timeout = '2s'")
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                self._run(cr_2)
            cr_2.rollback()
        figures = self._assert_refreshed_once()
        self._assert_later_run_changes_nothing(figures)
