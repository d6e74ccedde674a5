from datetime import datetime

from odoo.exceptions import UserError, ValidationError
from odoo.tests import tagged

from .common import CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestIvr(CrmCallcenterCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Menu = cls.env["crm.ivr.menu"]
        cls.main = Menu.create({"name": "Main", "code": "M", "prompt": "Welcome"})
        cls.sub = Menu.create({"name": "Service", "code": "S"})
        cls.env["crm.ivr.option"].create([
            {"menu_id": cls.main.id, "digit": "1", "name": "Service", "action": "queue",
             "queue_id": cls.queue.id},
            {"menu_id": cls.main.id, "digit": "2", "name": "More", "action": "menu",
             "submenu_id": cls.sub.id},
            {"menu_id": cls.sub.id, "digit": "1", "name": "Last order", "action": "answer",
             "answer_type": "last_order", "answer_text": "No order found."},
            {"menu_id": cls.sub.id, "digit": "2", "name": "Hours", "action": "answer",
             "answer_type": "text", "answer_text": "We are open 9 to 18."},
        ])

    def _ivr_call(self, phone="+86 10 6552 1234"):
        return self.env["crm.call"].sudo().create({
            "phone": phone, "state": "ringing", "routing_rule": "ivr",
            "ivr_menu_id": self.main.id,
        })

    def test_menu_lists_options(self):
        step = self.main._ivr_step("")
        self.assertEqual(step["type"], "menu")
        self.assertEqual(step["prompt"], "Welcome")
        self.assertEqual([o["digit"] for o in step["options"]], ["1", "2"])

    def test_digit_to_queue_routes_the_call(self):
        self._available(self.agent_a)
        call = self._ivr_call()
        step = self.main._ivr_step("1", call)
        self.assertEqual(step, {"type": "agent", "extension": "701", "queue": "SVC"})
        self.assertEqual(call.queue_id, self.queue)
        self.assertEqual(call.state, "ringing")

    def test_submenu_then_answer(self):
        call = self._ivr_call()
        step = self.main._ivr_step("2", call)
        self.assertEqual(step["menu"], "S")
        self.assertEqual(call.ivr_menu_id, self.sub)
        step = self.main._ivr_step("22", call)
        self.assertEqual(step, {"type": "answer", "text": "We are open 9 to 18.", "menu": "S"})

    def test_self_service_last_order(self):
        product = self.env["product.product"].create({"name": "Kettle", "list_price": 88.0})
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
        })
        order.action_confirm()
        call = self._ivr_call()
        step = self.main._ivr_step("21", call)
        self.assertIn(order.name, step["text"])
        self.assertIn("is confirmed", step["text"])
        unknown = self._ivr_call(phone="+86 20 1111 2222")
        self.assertEqual(self.main._ivr_step("21", unknown)["text"], "No order found.")

    def test_last_order_date_is_the_company_day(self):
        """An order placed at 01:00 on 8 March in Shanghai (7 March in UTC) is told as
        of 8 March."""
        product = self.env["product.product"].create({"name": "Kettle", "list_price": 88.0})
        order = self.env["sale.order"].create({
            "partner_id": self.customer.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1})],
        })
        order.action_confirm()
        order.date_order = datetime(2026, 3, 7, 17, 0)
        call = self._ivr_call()
        call.company_id.partner_id.tz = "Asia/Shanghai"
        self.customer.lang = "en_US"
        self.assertIn("of 03/08/2026,", self.main._ivr_step("21", call)["text"])

    def test_invalid_digit_repeats_the_menu(self):
        step = self.main._ivr_step("9")
        self.assertEqual(step["error"], "invalid_digit")
        self.assertEqual(step["menu"], "M")

    def test_options_checked(self):
        with self.assertRaises(ValidationError):
            self.env["crm.ivr.option"].create({
                "menu_id": self.main.id, "digit": "5", "name": "Loop", "action": "menu",
                "submenu_id": self.main.id,
            })
        with self.assertRaises(ValidationError):
            self.env["crm.ivr.option"].create({
                "menu_id": self.main.id, "digit": "x", "name": "Bad", "action": "answer",
            })

    def test_option_stays_within_the_menu_company(self):
        """A digit never leads a caller into another company's queue or menu."""
        other = self.env["res.company"].create({"name": "IVR Other Co"})
        queue = self.env["crm.call.queue"].create({
            "name": "Other hotline", "code": "OTH", "company_id": other.id,
        })
        menu = self.env["crm.ivr.menu"].create({
            "name": "Other menu", "code": "OM", "company_id": other.id,
        })
        Option = self.env["crm.ivr.option"]
        with self.assertRaises(UserError):
            Option.create({"menu_id": self.main.id, "digit": "7", "name": "Elsewhere",
                           "action": "queue", "queue_id": queue.id})
        with self.assertRaises(UserError):
            Option.create({"menu_id": self.main.id, "digit": "8", "name": "Elsewhere",
                           "action": "menu", "submenu_id": menu.id})
        self.assertFalse(Option.search([("menu_id", "=", self.main.id),
                                        ("digit", "in", ("7", "8"))]))
