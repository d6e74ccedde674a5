from datetime import timedelta

from odoo import api, fields
from odoo.tests import TransactionCase, tagged


@tagged("post_install", "-at_install")
class TestReminderConcurrency(TransactionCase):
    """Two runs of the reminder job at the same moment, each in its own transaction:
    the data is committed in a cursor of its own (the test's cursor is never
    committed), and removed again at the end."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partner = env["res.partner"].create({"name": "Concurrent Customer"})
            product = env["product.product"].create({
                "name": "Concurrent Licence", "type": "service", "list_price": 100.0,
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
                (0, 0, {"sequence": 1, "date_planned": today - timedelta(days=30),
                        "amount": 1000.0}),
            ]})
            self.ids = (partner.id, product.id, order.id)
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partner_id, product_id, order_id = self.ids
            order = env["sale.order"].browse(order_id)
            order.collection_plan_ids.activity_ids.unlink()
            order.collection_plan_ids.unlink()
            order._action_cancel()
            order.unlink()
            env["product.product"].browse(product_id).unlink()
            env["res.partner"].browse(partner_id).unlink()

    def _claim(self, cr):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        order = env["sale.order"].browse(self.ids[2])
        claimed = env["crm.collection.plan"]._crm_claim_reminders("overdue", 100)
        return claimed & order.collection_plan_ids

    def test_two_runs_never_remind_twice(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            first = self._claim(cr_1)
            self.assertEqual(len(first), 1)
            # the first run is not committed yet: its instalment is locked, skipped
            self.assertFalse(self._claim(cr_2))
            first._crm_remind("overdue")
            cr_1.commit()
            cr_2.rollback()
        # the next run: stamped, never claimed again
        with self.registry.cursor() as cr_3:
            self.assertFalse(self._claim(cr_3))
            cr_3.rollback()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            plan = env["sale.order"].browse(self.ids[2]).collection_plan_ids
            self.assertEqual(len(plan.activity_ids), 1)
