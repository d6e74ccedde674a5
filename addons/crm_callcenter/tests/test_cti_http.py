import json

from odoo.tests import HttpCase, tagged

from ..models.crm_cti_endpoint import hash_token
from .common import CallcenterSetup

TOKEN = "test-token-of-the-pbx-0123456789"


@tagged("post_install", "-at_install")
class TestCtiOverHttp(CallcenterSetup, HttpCase):
    """The PBX's requests over real HTTP, with JSON bodies."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        cls.endpoint = cls.env["crm.cti.endpoint"].create({"name": "Test PBX"})
        cls.endpoint.sudo().token_hash = hash_token(TOKEN)

    def _post(self, payload, url="/crm_callcenter/cti/event", token=TOKEN, raw=None):
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        response = self.url_open(url, data=raw if raw is not None else json.dumps(payload),
                                 headers=headers)
        return response.status_code, response.json()

    def _event(self, event, call_id="pbx-1", when="2025-03-03T09:00:00Z", **extra):
        return self._post({"event": event, "call_id": call_id, "timestamp": when, **extra})

    def _ring(self, call_id="pbx-1", when="2025-03-03T09:00:00Z", **extra):
        values = {"direction": "inbound", "from": "+86 10 6552 1234", "to": "4008001234",
                  "queue": "SVC", **extra}
        return self._event("ringing", call_id, when, **values)

    def _call(self, call_id="pbx-1"):
        return self.env["crm.call"].search([("external_id", "=", call_id)])

    def test_full_inbound_call(self):
        self._available(self.agent_a)
        status, body = self._ring()
        self.assertEqual(status, 200, body)
        call = self._call()
        self.assertEqual(body, {
            "call": call.id, "state": "ringing",
            "partner": {"id": self.customer.id, "name": "Jade River Ltd"},
            "route": {"type": "agent", "extension": "701"},
        })
        status, body = self._event("answered", when="2025-03-03T17:00:20+08:00", agent="701")
        self.assertEqual(status, 200, body)
        self.assertEqual(call.state, "in_progress")
        self.assertEqual(call.wait_seconds, 20)
        self.assertEqual(str(call.date_answered), "2025-03-03 09:00:20")
        self.assertEqual(self.agent_a.state, "busy")
        status, body = self._event("ended", when="2025-03-03T09:05:20Z")
        self.assertEqual(body["state"], "done")
        self.assertEqual(call.duration_seconds, 300)
        self.assertEqual(self.agent_a.state, "available", "free for the next call")

    def test_same_events_twice_change_nothing(self):
        self._available(self.agent_a, self.agent_b)
        _status, first = self._ring()
        _status, again = self._ring(when="2025-03-03T09:00:09Z", queue="DESK")
        self.assertEqual(first, again)
        self.assertEqual(self.env["crm.call"].search_count([("external_id", "=", "pbx-1")]), 1)
        self._event("answered", when="2025-03-03T09:00:10Z")
        self._event("answered", when="2025-03-03T09:00:50Z")
        self._event("ended", when="2025-03-03T09:01:10Z")
        self._event("ended", when="2025-03-03T09:09:10Z")
        call = self._call()
        self.assertEqual((call.wait_seconds, call.duration_seconds), (10, 60))
        self.assertEqual(call.agent_id, self.agent_a)
        self.assertEqual(self.agent_b.state, "available", "no second offer")

    def test_last_event_noted_at_most_once_a_minute(self):
        self.assertFalse(self.endpoint.date_last_event)
        self._available(self.agent_a)
        self._ring()
        self.endpoint.invalidate_recordset()
        first = self.endpoint.date_last_event
        self.assertTrue(first, "the endpoint shows when the PBX last spoke")
        self.env.cr.execute(
            "UPDATE crm_cti_endpoint SET date_last_event = date_last_event - interval '30 seconds'"
            " WHERE id = %s", [self.endpoint.id])
        self.endpoint.invalidate_recordset()
        half_minute_ago = self.endpoint.date_last_event
        self._event("answered", agent="701")
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.date_last_event, half_minute_ago,
                         "not written again within the minute")
        self.env.cr.execute(
            "UPDATE crm_cti_endpoint SET date_last_event = date_last_event - interval '2 hours'"
            " WHERE id = %s", [self.endpoint.id])
        self._event("ended", when="2025-03-03T09:05:20Z")
        self.endpoint.invalidate_recordset()
        self.assertEqual(self.endpoint.date_last_event, first)

    def test_caller_hangs_up_while_queued(self):
        status, body = self._ring()
        self.assertEqual(body["route"], {"type": "queue", "position": 1})
        self._event("ended", when="2025-03-03T09:00:45Z")
        call = self._call()
        self.assertEqual(call.state, "abandoned")
        self.assertEqual(call.wait_seconds, 45)

    def test_missed(self):
        self._available(self.agent_a)
        self._ring()
        status, body = self._event("missed", when="2025-03-03T09:00:30Z")
        self.assertEqual(status, 200)
        call = self._call()
        self.assertEqual((call.state, call.wait_seconds), ("missed", 30))
        self.assertEqual(self.agent_a.state, "available")

    def test_outbound(self):
        status, body = self._event("ringing", direction="outbound", agent="702",
                                   to="010 6552 1234", **{"from": "702"})
        self.assertEqual(status, 200, body)
        call = self._call()
        self.assertEqual((call.direction, call.agent_id, call.partner_id),
                         ("outbound", self.agent_b, self.customer))
        self.assertEqual(self.agent_b.state, "busy")

    def test_ivr_over_http(self):
        menu = self.env["crm.ivr.menu"].create({"name": "Main", "code": "TMAIN"})
        self.env["crm.ivr.option"].create({
            "menu_id": menu.id, "digit": "1", "name": "Service", "queue_id": self.queue.id,
        })
        self.endpoint.ivr_menu_id = menu
        self._available(self.agent_b)
        status, body = self._ring(queue="")
        self.assertEqual(body["route"], {"type": "ivr", "menu": "TMAIN"})
        status, body = self._post({"call_id": "pbx-1", "menu": "TMAIN", "digits": "7"},
                                  url="/crm_callcenter/ivr")
        self.assertEqual(body["step"]["error"], "invalid_digit")
        status, body = self._post({"call_id": "pbx-1", "menu": "TMAIN", "digits": "1"},
                                  url="/crm_callcenter/ivr")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["step"], {"type": "agent", "extension": "702", "queue": "SVC"})
        # asked again: routed already, nothing changes
        status, again = self._post({"call_id": "pbx-1", "menu": "TMAIN", "digits": "1"},
                                   url="/crm_callcenter/ivr")
        self.assertEqual(again["step"]["route"], {"type": "agent", "extension": "702"})
        status, body = self._post({"call_id": "pbx-1", "menu": "NOPE", "digits": "1"},
                                  url="/crm_callcenter/ivr")
        self.assertEqual((status, body["error"]["code"]), (400, "unknown_menu"))

    def test_token_required(self):
        for token in (None, "wrong-token"):
            status, body = self._post({"event": "ringing"}, token=token)
            self.assertEqual(status, 401)
            self.assertEqual(body["error"]["code"], "unauthorized")
        status, body = self._post({"call_id": "x"}, url="/crm_callcenter/ivr", token=None)
        self.assertEqual(status, 401)

    def test_bad_input_answers_400_and_writes_nothing(self):
        cases = [
            (None, "not json", "invalid_json"),
            ([1, 2], None, "invalid_json"),
            ({"event": "hangup", "call_id": "pbx-9", "timestamp": "2025-03-03T09:00:00Z"},
             None, "unknown_event"),
            ({"event": "ringing", "timestamp": "2025-03-03T09:00:00Z"}, None, "missing_field"),
            ({"event": "ringing", "call_id": "pbx-9", "timestamp": "yesterday",
              "direction": "inbound", "from": "1", "to": "2", "queue": "SVC"},
             None, "invalid_field"),
            ({"event": "ringing", "call_id": "pbx-9", "timestamp": "2025-03-03T09:00:00Z",
              "direction": "sideways", "from": "1", "to": "2", "queue": "SVC"},
             None, "invalid_field"),
            ({"event": "ringing", "call_id": "pbx-9", "timestamp": "2025-03-03T09:00:00Z",
              "direction": "inbound", "from": "1", "to": "2", "queue": "NOPE"},
             None, "unknown_queue"),
            ({"event": "ringing", "call_id": {"a": 1}, "timestamp": "2025-03-03T09:00:00Z"},
             None, "invalid_field"),
            ({"event": "answered", "call_id": "pbx-9", "timestamp": "2025-03-03T09:00:00Z",
              "agent": "999"}, None, "unknown_agent"),
        ]
        for payload, raw, code in cases:
            with self.subTest(code=code, payload=payload):
                status, body = self._post(payload, raw=raw)
                self.assertEqual(status, 400, body)
                self.assertEqual(body["error"]["code"], code)
                self.assertNotIn("Traceback", json.dumps(body))
        status, body = self._event("answered", call_id="pbx-unknown")
        self.assertEqual((status, body["error"]["code"]), (404, "unknown_call"))
        self.assertFalse(self.env["crm.call"].search([("external_id", "!=", False)]))

    def test_endpoint_sees_only_its_company(self):
        other = self.env["res.company"].create({"name": "Other Call Co"})
        self.customer.company_id = self.company
        foreign = self.env["crm.cti.endpoint"].create({
            "name": "Foreign PBX", "company_id": other.id,
        })
        foreign.sudo().token_hash = hash_token("foreign-token-0123456789")
        status, body = self._post({
            "event": "ringing", "call_id": "pbx-f", "direction": "inbound",
            "from": "+86 10 6552 1234", "to": "1", "queue": "SVC",
            "timestamp": "2025-03-03T09:00:00Z",
        }, token="foreign-token-0123456789")
        self.assertEqual((status, body["error"]["code"]), (400, "unknown_queue"))
        self.env["crm.call.queue"].create({"name": "Foreign", "code": "SVC",
                                           "company_id": other.id})
        status, body = self._post({
            "event": "ringing", "call_id": "pbx-f", "direction": "inbound",
            "from": "+86 10 6552 1234", "to": "1", "queue": "SVC",
            "timestamp": "2025-03-03T09:00:00Z",
        }, token="foreign-token-0123456789")
        self.assertEqual(status, 200, body)
        self.assertIsNone(body["partner"], "another company's customer is not matched")
        self.assertEqual(self.env["crm.call"].browse(body["call"]).company_id, other)
        # the same PBX call id in another company is another call
        self._available(self.agent_a)
        status, body = self._ring(call_id="pbx-f")
        self.assertEqual(body["route"]["extension"], "701")

    def test_generated_token_is_stored_hashed(self):
        action = self.endpoint.with_user(self.manager).action_generate_token()
        token = action["params"]["message"]
        self.assertEqual(self.endpoint.sudo().token_hash, hash_token(token))
        self.assertNotIn(token, json.dumps(self.endpoint.sudo().read()[0], default=str))
        status, _body = self._ring()
        self.assertEqual(status, 401, "the old token no longer works")
        status, _body = self._post({"event": "ringing", "call_id": "pbx-2",
                                    "direction": "inbound", "from": "1", "to": "2",
                                    "queue": "SVC", "timestamp": "2025-03-03T09:00:00Z"},
                                   token=token)
        self.assertEqual(status, 200)
