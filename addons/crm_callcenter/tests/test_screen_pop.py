import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from ..models.crm_cti_endpoint import hash_token
from .common import CallcenterSetup

TOKEN = "test-token-of-the-screen-pop-pbx-42"


class BusMixin:
    """What the server sent on the host's bus since ``_bus_mark()``."""

    def _bus_mark(self):
        self.env.cr.precommit.run()
        self._bus_last = self.env["bus.bus"].sudo().search([], order="id desc", limit=1).id

    def _bus_sent(self, notification_type=None):
        """[(partner, payload)] sent since the mark, of ``notification_type``."""
        self.env.cr.precommit.run()  # the bus writes its rows when the transaction commits
        sent = []
        for row in self.env["bus.bus"].sudo().search([("id", ">", self._bus_last)], order="id"):
            _db, model, res_id = json.loads(row.channel)
            message = json.loads(row.message)
            if notification_type and message["type"] != notification_type:
                continue
            self.assertEqual(model, "res.partner")
            sent.append((self.env["res.partner"].browse(res_id), message["payload"]))
        return sent


@tagged("post_install", "-at_install")
class TestScreenPop(CallcenterSetup, BusMixin, RpcMixin, HttpCase):
    """The agent the ACD rings gets the screen-pop on the bus; nobody else does."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        cls.endpoint = cls.env["crm.cti.endpoint"].create({"name": "Screen-pop PBX"})
        cls.endpoint.sudo().token_hash = hash_token(TOKEN)

    def _ring(self, call_id, phone="+86 10 6552 1234"):
        response = self.url_open("/crm_callcenter/cti/event", data=json.dumps({
            "event": "ringing", "call_id": call_id, "direction": "inbound", "from": phone,
            "to": "4008001234", "queue": "SVC", "timestamp": "2025-03-03T09:00:00Z",
        }), headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(response.status_code, 200, response.text)
        return response.json()

    def test_ringing_pops_for_the_routed_agent_only(self):
        self._available(self.agent_a, self.agent_b)
        self._bus_mark()
        answer = self._ring("pop-1")
        self.assertEqual(answer["route"], {"type": "agent", "extension": "701"})
        pops = self._bus_sent("crm_callcenter/screen_pop")
        self.assertEqual(pops, [(self.user_a.partner_id, {
            "call_id": answer["call"], "agent_id": self.agent_a.id,
            "phone": "+86 10 6552 1234", "partner_id": self.customer.id,
            "partner_name": "Jade River Ltd", "customer_tier": False, "queue": "Service",
        })])
        # the agent's switcher turns busy, on their partner's channel alone
        states = self._bus_sent("crm_callcenter/agent_state")
        self.assertEqual([partner for partner, _payload in states], [self.user_a.partner_id])
        self.assertEqual(states[0][1]["state"], "busy")
        self.assertEqual(states[0][1]["call"]["id"], answer["call"])
        others = {partner for partner, _payload in self._bus_sent()} - {self.user_a.partner_id}
        self.assertFalse(others, "no other user hears of the call")

    def _event(self, event, call_id, timestamp):
        response = self.url_open("/crm_callcenter/cti/event", data=json.dumps({
            "event": event, "call_id": call_id, "timestamp": timestamp,
        }), headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"})
        self.assertEqual(response.status_code, 200, response.text)

    def test_switcher_follows_the_answered_call(self):
        """The agent is busy from the ring on; when the PBX reports the call answered,
        their switcher is told the call is in progress (no longer "Ringing")."""
        self._available(self.agent_a)
        answer = self._ring("pop-answer")
        self._bus_mark()
        self._event("answered", "pop-answer", "2025-03-03T09:00:05Z")
        states = self._bus_sent("crm_callcenter/agent_state")
        self.assertEqual([partner for partner, _payload in states], [self.user_a.partner_id])
        self.assertEqual(states[-1][1]["state"], "busy")
        self.assertEqual(states[-1][1]["call"], {
            "id": answer["call"], "state": "in_progress", "popup": False,
            "name": states[-1][1]["call"]["name"],
        })
        # and when it ends, the switcher hears the agent is free, without a call
        self._bus_mark()
        self._event("ended", "pop-answer", "2025-03-03T09:03:00Z")
        states = self._bus_sent("crm_callcenter/agent_state")
        self.assertEqual(states[-1][1]["state"], "available")
        self.assertFalse(states[-1][1]["call"])

    def test_queued_call_pops_when_offered_later(self):
        self._bus_mark()
        answer = self._ring("pop-2", phone="+86 21 5555 0000")
        self.assertEqual(answer["route"]["type"], "queue")
        self.assertFalse(self._bus_sent("crm_callcenter/screen_pop"), "waiting: no pop")
        self._bus_mark()
        self.agent_b.with_user(self.user_b).action_set_available()
        call = self.env["crm.call"].browse(answer["call"])
        self.assertEqual(call.agent_id, self.agent_b)
        pops = self._bus_sent("crm_callcenter/screen_pop")
        self.assertEqual(len(pops), 1)
        partner, payload = pops[0]
        self.assertEqual(partner, self.user_b.partner_id)
        self.assertEqual(payload["call_id"], call.id)
        self.assertFalse(payload["partner_id"], "an unknown caller")
        self.assertEqual(payload["phone"], "+86 21 5555 0000")

    def test_key_customer_in_the_pop(self):
        self.customer.sudo().customer_tier = "key"
        self._available(self.agent_a)
        self._bus_mark()
        self._ring("pop-3")
        (_partner, payload), = self._bus_sent("crm_callcenter/screen_pop")
        self.assertEqual(payload["customer_tier"], "key")

    def test_reload_while_ringing_pops_again(self):
        """The switcher's state carries the ringing call's pop: a page loaded while
        the call rings shows it."""
        self._available(self.agent_a)
        answer = self._ring("pop-4")
        info = self.rpc_result("cc_agent_a", "crm.call.agent", "get_my_agent_state")
        self.assertEqual(info["state"], "busy")
        self.assertEqual(info["call"]["id"], answer["call"])
        self.assertEqual(info["call"]["popup"]["partner_id"], self.customer.id)
        self.assertFalse(self.rpc_result("cc_agent_b", "crm.call.agent", "get_my_agent_state")
                         ["call"])


@tagged("post_install", "-at_install")
class TestAgentStateSwitcher(CallcenterSetup, BusMixin, RpcMixin, HttpCase):
    """The systray switcher's server side: the user's own agent, the states an agent
    chooses, over JSON-RPC as the web client calls it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()

    def test_switch_own_state(self):
        info = self.rpc_result("cc_agent_a", "crm.call.agent", "get_my_agent_state")
        self.assertEqual((info["id"], info["state"], info["extension"]),
                         (self.agent_a.id, "offline", "701"))
        self._bus_mark()
        info = self.rpc_result("cc_agent_a", "crm.call.agent", "set_my_agent_state",
                               "available")
        self.assertEqual(info["state"], "available")
        self.assertEqual(self.agent_a.state, "available")
        self.assertEqual(self.agent_b.state, "offline")
        sent = self._bus_sent("crm_callcenter/agent_state")
        self.assertEqual([(partner, payload["state"]) for partner, payload in sent],
                         [(self.user_a.partner_id, "available")])
        for state in ("away", "offline", "available"):
            self.rpc_result("cc_agent_a", "crm.call.agent", "set_my_agent_state", state)
            self.assertEqual(self.agent_a.state, state)

    def test_not_an_agent(self):
        self.assertFalse(self.rpc_result("cc_supervisor", "crm.call.agent",
                                         "get_my_agent_state"))
        error = self.rpc_error("cc_supervisor", "crm.call.agent", "set_my_agent_state",
                               "available")
        self.assertIn("You are not an agent", error["message"])

    def test_only_chosen_states(self):
        for state in ("busy", "wrap_up", "bogus"):
            with self.subTest(state=state):
                self.assertRpcRefused(UserError, "cc_agent_a", "crm.call.agent",
                                      "set_my_agent_state", state)
        self.assertEqual(self.agent_a.state, "offline")

    def test_another_agents_state_refused(self):
        for method in ("action_set_available", "action_set_away", "action_set_offline"):
            with self.subTest(method=method):
                error = self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.agent",
                                              method, [self.agent_b.id])
                self.assertIn("your own agent state", error["message"])
        self.assertEqual(self.agent_b.state, "offline")
        # the PBX's states are the server's: not writable, context keys or not
        for vals in ({"state": "available"}, {"state": "busy"}, {"date_state": False}):
            self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call.agent", "write",
                                  [self.agent_a.id], vals, context={"install_mode": True})
        self.assertEqual(self.agent_a.state, "offline")

    def test_in_a_call_the_pbx_decides(self):
        self._available(self.agent_a)
        call, route = self._inbound()
        self.assertEqual(route["type"], "agent")
        self.assertEqual(self.agent_a.state, "busy")
        for state in ("away", "offline", "available"):
            error = self.assertRpcRefused(UserError, "cc_agent_a", "crm.call.agent",
                                          "set_my_agent_state", state)
            self.assertIn("You are in a call", error["message"])
        self.assertEqual(self.agent_a.state, "busy")
        # a supervisor frees an agent the PBX left busy
        self.agent_a.with_user(self.supervisor).action_set_available()
        self.assertEqual(self.agent_a.state, "available")
        self.assertTrue(call)

    def test_end_wrap_up(self):
        self.agent_a.sudo()._write_state("wrap_up")
        info = self.rpc_result("cc_agent_a", "crm.call.agent", "set_my_agent_state",
                               "available")
        self.assertEqual(info["state"], "available")
