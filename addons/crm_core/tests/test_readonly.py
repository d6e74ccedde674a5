"""Read-only work goes to the host's read-only cursor, so that a PostgreSQL read
replica (db_replica_host) takes it when one is configured.

Calls are made over JSON-RPC as the web client makes them. In tests the host's
read-only cursor is a real read-only transaction: a write in it fails, and the
host then runs the call again on a read/write cursor. So a method that ran once,
on a read-only cursor, ran there and wrote nothing.
"""

from unittest.mock import patch

from odoo.tests import HttpCase, tagged

from .common import CrmCoreCommon, ReadonlyCursorMixin

# (model, method) of crm_core called over RPC that only read, marked @api.readonly
READONLY_METHODS = [
    ("res.partner", "action_view_crm_sale_orders"),
    ("res.partner", "action_view_crm_collections"),
    ("crm.competitor", "action_view_report"),
    ("crm.sales.target", "action_view_orders"),
]
FIELDS_360 = ["crm_sale_amount", "opportunity_count", "sale_order_count",
              "crm_amount_collected", "crm_amount_overdue"]


@tagged("post_install", "-at_install")
class TestReadonlyCursor(ReadonlyCursorMixin, CrmCoreCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._order(cls.contact, 300.0)
        cls.rival = cls.env["crm.competitor"].create({"name": "Rival Ltd"})
        cls.target = cls.env["crm.sales.target"].create({
            "user_id": cls.salesman.id, "target_amount": 1000.0,
        })
        cls.records = {
            "res.partner": cls.customer,
            "crm.competitor": cls.rival,
            "crm.sales.target": cls.target,
        }

    def test_marked_methods_run_read_only_and_write_nothing(self):
        self.authenticate("crm_core_manager", "crm_core_manager")
        for model, method in READONLY_METHODS:
            with self.subTest(method=f"{model}.{method}"):
                self.assertButtonRunsReadOnly(self.records[model], method)

    def test_360_counts_run_read_only_and_write_nothing(self):
        self.authenticate("crm_core_manager", "crm_core_manager")
        with self.cursors_of("res.partner", "_compute_crm_sale_amount") as cursors:
            [partner] = self.json_call(
                "/web/dataset/call_kw", "res.partner", "web_read", [self.customer.id],
                specification={name: {} for name in FIELDS_360},
            )
        self.assertAlmostEqual(partner["crm_sale_amount"], 300.0)
        self.assertEqual(partner["sale_order_count"], 1)
        self.assertEqual(cursors, [True], "one run, on the read-only cursor")

    def test_a_write_on_the_read_only_cursor_is_caught(self):
        """The check above holds: a marked method that writes runs twice, the second
        time on a read/write cursor."""
        self.authenticate("crm_core_manager", "crm_core_manager")
        model_class = type(self.env["crm.competitor"])
        original = model_class.action_view_report

        def writing(records):
            records.sudo().write({"website": "https://rival.example.com"})
            records.env.flush_all()
            return original(records)

        with patch.object(model_class, "action_view_report", writing), \
                self.cursors_of("crm.competitor", "action_view_report") as cursors, \
                self.assertLogs("odoo.http", "WARNING") as logs:
            self.json_call("/web/dataset/call_button", "crm.competitor", "action_view_report",
                      [self.rival.id])
        self.assertEqual(cursors, [True, False])
        self.assertIn("retrying with a read/write cursor", logs.output[0])
