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
            {"routing_steps": [{"code": "text", "text": "I say so"}]},
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
        # the refusal names the model and the fields in the user's language
        self.env["res.lang"]._activate_lang("zh_CN")
        error = self.assertRpcRefused(
            AccessError, "cc_agent_a", "crm.call", "write", [self.call_a.id],
            {"queue_id": self.desk_queue.id}, context={"lang": "zh_CN"},
        )
        self.assertTrue(error["message"].startswith("通话\uff1a"), error["message"])
        self.assertIn("队列", error["message"])
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

    def test_load_and_assignment_refused_over_rpc(self):
        """What the ACD derives — an agent's load per channel, the last complaint
        assigned, a complaint's assignment and its reason — no client writes, context
        keys included; the capacities are the managers' settings."""
        context = {"tracking_disable": True, "install_mode": True, "crm_acd_assigning": True}
        for vals in ({"load_complaint_count": 5}, {"load_call_count": 3},
                     {"load_display": "Calls 0/5"},
                     {"date_last_complaint": "2025-01-01 00:00:00"}):
            with self.subTest(vals=vals):
                # agents write no agent; supervisors (who do) not these fields
                self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.agent", "write",
                                      [self.agent_a.id], vals, context=context)
                error = self.assertRpcRefused(
                    AccessError, "cc_supervisor", "crm.call.agent", "write",
                    [self.agent_a.id], vals, context=context)
                self.assertIn("cannot be set by hand", error["message"])
        self.queue.route_complaints = True
        self._available(self.agent_a)
        complaint = self.env["crm.complaint"].create({
            "name": "Assigned by the queue", "channel": "portal", "team_id": self.team.id,
            "partner_id": self.env["res.partner"].create({"name": "RPC Customer"}).id,
        })
        self.assertEqual(complaint.user_id, self.user_a)
        for vals in ({"acd_routing_steps": [{"code": "text", "text": "I say so"}]},
                     {"acd_queue_id": self.desk_queue.id},
                     {"acd_date_assigned": "2025-01-01 00:00:00"},
                     {"acd_routing_reason": "I say so"}):
            with self.subTest(vals=vals):
                error = self.assertRpcRefused(
                    AccessError, "cc_agent_a", "crm.complaint", "write", [complaint.id],
                    vals, context=context)
                self.assertIn("cannot be set by hand", error["message"])
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.complaint", "create", [{
            "name": "Forged", "acd_queue_id": self.queue.id}])
        self.assertEqual(complaint.acd_queue_id, self.queue)
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.queue", "write",
                              [self.queue.id], {"capacity_complaint": 200})
        self.assertRpcRefused(AccessError, "cc_supervisor", "crm.call.queue", "write",
                              [self.queue.id], {"capacity_call": 5})
        # the agent reads their own load, and the reason of their complaint
        self.assertEqual(self.rpc_result("cc_agent_a", "crm.call.agent", "read",
                                         [self.agent_a.id], ["load_complaint_count"])[0]
                         ["load_complaint_count"], 1)
        self.assertIn("Agent An", self.rpc_result(
            "cc_agent_a", "crm.complaint", "read", [complaint.id],
            ["acd_routing_reason"])[0]["acd_routing_reason"])

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


@tagged("post_install", "-at_install")
class TestOutboundSecurity(CallcenterSetup, RpcMixin, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        cls.call_list = cls.env["crm.call.list"].create({
            "name": "Security list",
            "entry_ids": [(0, 0, {"phone": f"+86 21 5555 01{index:02d}"}) for index in range(3)],
        })
        cls.entry = cls.call_list.entry_ids[0]
        cls.entry.sudo().write({"state": "in_progress", "agent_id": cls.agent_a.id})

    def test_server_fields_refused_over_rpc(self):
        writes = [
            {"attempt_count": 5}, {"state": "done"}, {"agent_id": self.agent_b.id},
            {"date_next_attempt": "2025-01-01 00:00:00"}, {"skip_reason": "none"},
            {"skip_code": "opt_out"},
            {"outcome_id": self.env.ref("crm_callcenter.crm_call_outcome_sale").id},
        ]
        for login in ("cc_agent_a", "cc_supervisor"):
            for vals in writes:
                with self.subTest(login=login, vals=vals):
                    error = self.assertRpcRefused(
                        AccessError, login, "crm.call.list.entry", "write", [self.entry.id],
                        vals, context={"tracking_disable": True, "install_mode": True},
                    )
                    self.assertIn("cannot be set by hand", error["message"])
        self.assertRpcRefused(AccessError, "cc_supervisor", "crm.call.list", "write",
                              [self.call_list.id], {"state": "done"})
        self.assertRpcRefused(AccessError, "cc_supervisor", "crm.call.list.entry", "create",
                              [{"list_id": self.call_list.id, "phone": "1", "state": "done"}])
        self.assertEqual((self.entry.state, self.entry.attempt_count), ("in_progress", 0))
        # an agent writes the notes of their own entry
        self.rpc_result("cc_agent_a", "crm.call.list.entry", "write", [self.entry.id],
                        {"note": "Prefers mornings"})

    def test_who_creates_and_sees_lists(self):
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.list", "create",
                              [{"name": "Rogue list"}])
        self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.list", "action_build",
                              [self.call_list.id])
        self.rpc_result("cc_supervisor", "crm.call.list", "create", [{"name": "Team list"}])
        # agents read the lists, and only their own entries
        self.assertEqual(
            self.rpc_result("cc_agent_a", "crm.call.list", "read", [self.call_list.id],
                            ["name"])[0]["name"], "Security list")
        entries = self.call_list.entry_ids
        Entry = self.env["crm.call.list.entry"]
        self.assertEqual(Entry.with_user(self.user_a).search([("id", "in", entries.ids)]),
                         self.entry)
        self.assertFalse(Entry.with_user(self.user_b).search([("id", "in", entries.ids)]))
        self.assertEqual(len(Entry.with_user(self.supervisor).search(
            [("id", "in", entries.ids)])), 3)
        with self.assertRaises(AccessError):
            self.entry.with_user(self.user_b).read(["phone"])
