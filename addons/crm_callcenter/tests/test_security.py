from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import NOW, CallcenterSetup


@tagged("post_install", "-at_install")
class TestCallcenterSecurity(CallcenterSetup, RpcMixin, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        Call = cls.env["crm.call"].sudo()
        cls.call_a = Call.create({"phone": "1", "agent_id": cls.agent_a.id,
                                  "queue_id": cls.queue.id, "date_start": NOW})
        cls.call_b = Call.create({"phone": "2", "agent_id": cls.agent_b.id,
                                  "queue_id": cls.queue.id, "date_start": NOW})
        cls.call_c = Call.create({"phone": "3", "agent_id": cls.agent_c.id,
                                  "queue_id": cls.desk_queue.id, "date_start": NOW})

    def test_server_fields_refused_over_rpc(self):
        writes = [
            {"wait_seconds": 1}, {"duration_seconds": 99}, {"state": "missed"},
            {"date_answered": "2025-01-01 00:00:00"}, {"routing_reason": "I say so"},
            {"agent_id": self.agent_b.id}, {"external_id": "forged"},
        ]
        for login in ("cc_agent_a", "cc_supervisor"):
            for vals in writes:
                with self.subTest(login=login, vals=vals):
                    error = self.assertRpcRefused(
                        AccessError, login, "crm.call", "write", [self.call_a.id], vals,
                        context={"tracking_disable": True, "install_mode": True},
                    )
                    self.assertIn("cannot be set by hand", error["message"])
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call", "create",
                              [{"phone": "5", "wait_seconds": 10}])
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.agent", "write",
                              [self.agent_a.id], {"state": "available"})
        self.assertRpcRefused(AccessError, "cc_supervisor", "crm.call.agent", "write",
                              [self.agent_a.id], {"date_last_offered": "2025-01-01 00:00:00"})
        self.assertEqual(self.call_a.wait_seconds, 0)
        # what an agent may write, they write
        self.rpc_result("cc_agent_a", "crm.call", "write", [self.call_a.id],
                        {"note": "Called about the invoice"})
        self.rpc_result("cc_agent_a", "crm.call.agent", "action_set_available",
                        [self.agent_a.id])
        self.assertEqual(self.agent_a.state, "available")

    def test_who_sees_which_calls(self):
        Call = self.env["crm.call"]
        ours = Call.search([("id", "in", (self.call_a | self.call_b | self.call_c).ids)])
        self.assertEqual(ours.with_user(self.user_a).search([("id", "in", ours.ids)]),
                         self.call_a)
        self.assertEqual(ours.with_user(self.supervisor).search([("id", "in", ours.ids)]),
                         self.call_a | self.call_b, "the teams they lead")
        self.assertEqual(ours.with_user(self.manager).search([("id", "in", ours.ids)]), ours)
        with self.assertRaises(AccessError):
            self.call_b.with_user(self.user_a).read(["phone"])

    def test_endpoints_for_managers_only(self):
        self.assertRpcRefused(AccessError, "cc_supervisor", "crm.cti.endpoint", "create",
                              [{"name": "Rogue PBX"}])
        self.assertRpcRefused(AccessError, "cc_manager", "crm.cti.endpoint", "create",
                              [{"name": "PBX", "token_hash": "0" * 64}])

    def test_agents_cannot_configure(self):
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.queue", "write",
                              [self.queue.id], {"strategy": "round_robin"})
