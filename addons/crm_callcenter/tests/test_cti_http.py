import json
from datetime import datetime
from unittest.mock import patch

from lxml import etree
from psycopg2.errors import SerializationFailure

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tools.safe_eval import safe_eval

from ..controllers.main import CONFLICT_TRIES
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

    # a PBX that sends nonsense gets a 400 or a 409 with a JSON body, never a 500,
    # and nothing it sends leaves a call stuck

    def _assert_refused(self, status, body, expected_status, code):
        self.assertEqual(status, expected_status, body)
        self.assertEqual(body["error"]["code"], code, body)
        self.assertNotIn("Traceback", json.dumps(body))

    def test_timestamps_outside_the_window(self):
        self._available(self.agent_a)
        for when in ("0001-01-02T00:00:00Z", "1950-01-01T00:00:00Z", "9999-12-31T23:59:59Z",
                     "2025-03-04T09:00:01Z", "2025-03-02T08:59:59Z",
                     "0001-01-01T00:00:00+14:00", "9999-12-31T23:59:59-14:00"):
            with self.subTest(when=when):
                self._assert_refused(*self._ring(when=when), 400, "invalid_field")
        self.assertFalse(self._call())
        # within the window (24 hours by default): the call, then its events
        status, body = self._ring(when="2025-03-02T09:00:01Z")
        self.assertEqual(status, 200, body)
        self._assert_refused(*self._event("answered", when="1950-01-01T00:00:00Z"),
                             400, "invalid_field")
        call = self._call()
        self.assertEqual((call.state, call.agent_id), ("ringing", self.agent_a))
        status, body = self._event("answered", when="2025-03-02T09:00:11Z")
        self.assertEqual((status, body["state"]), (200, "in_progress"))
        self.assertEqual(call.wait_seconds, 10)
        # a wider window takes an event two days old
        self.endpoint.clock_window_hours = 72
        status, body = self._ring(call_id="pbx-2", when="2025-03-01T09:00:00Z")
        self.assertEqual(status, 200, body)
        with self.assertRaises(ValidationError):
            self.endpoint.clock_window_hours = 0

    def test_control_characters_and_deep_json(self):
        self._available(self.agent_a)
        menu = self.env["crm.ivr.menu"].create({"name": "Main", "code": "TMAIN"})
        for key in ("call_id", "from", "queue", "agent", "direction"):
            with self.subTest(key=key):
                self._assert_refused(*self._ring(**{key: "70\x001"}), 400, "invalid_field")
        self.assertFalse(self.env["crm.call"].search([("external_id", "!=", False)]))
        self._ring()
        for payload in ({"call_id": "pbx-1", "menu": "TM\x00AIN", "digits": "1"},
                        {"call_id": "pbx\x00-1", "menu": menu.code, "digits": "1"}):
            self._assert_refused(*self._post(payload, url="/crm_callcenter/ivr"),
                                 400, "invalid_field")
        for raw in ("[" * 5000 + "]" * 5000, '{"a":' * 5000 + "1" + "}" * 5000):
            self._assert_refused(*self._post(None, raw=raw), 400, "invalid_json")
            self._assert_refused(*self._post(None, raw=raw, url="/crm_callcenter/ivr"),
                                 400, "invalid_json")

    def test_blank_call_id_matches_no_call(self):
        by_hand = self.env["crm.call"].create({
            "direction": "inbound", "phone": "010 6552 1234", "state": "ringing",
            "date_start": "2025-03-03 08:59:00", "agent_id": self.agent_a.id,
        })
        for call_id in ("   ", "\t", ""):
            with self.subTest(call_id=call_id):
                self._assert_refused(*self._event("answered", call_id=call_id),
                                     400, "missing_field")
        self.assertEqual(by_hand.state, "ringing")
        self.assertFalse(by_hand.external_id)

    def test_events_follow_the_state_machine(self):
        self._available(self.agent_a)
        self._ring()
        call = self._call()
        # an answer dated before the call rang
        status, body = self._event("answered", when="2025-03-03T08:59:59Z")
        self._assert_refused(status, body, 409, "invalid_transition")
        self.assertEqual(body["error"]["state"], "ringing")
        self._event("answered", when="2025-03-03T09:00:10Z")
        # the end dated before the answer: refused, the call still in progress
        status, body = self._event("ended", when="2025-03-03T09:00:05Z")
        self._assert_refused(status, body, 409, "invalid_transition")
        self.assertEqual((call.state, call.date_end), ("in_progress", False))
        # missed once answered
        status, body = self._event("missed", when="2025-03-03T09:01:00Z")
        self._assert_refused(status, body, 409, "invalid_transition")
        self.assertEqual(body["error"]["state"], "in_progress")
        status, body = self._event("ended", when="2025-03-03T09:02:10Z")
        self.assertEqual((status, body["state"]), (200, "done"))
        self.assertEqual(call.duration_seconds, 120)
        # answered once over; the end again is a repeat
        status, body = self._event("answered", when="2025-03-03T09:03:00Z")
        self._assert_refused(status, body, 409, "invalid_transition")
        self.assertEqual(body["error"]["state"], "done")
        status, body = self._event("ended", when="2025-03-03T09:04:00Z")
        self.assertEqual((status, body["state"]), (200, "done"))
        self.assertEqual(str(call.date_end), "2025-03-03 09:02:10")

    def test_agent_busy_while_a_call_is_open(self):
        for call_id, number in (("pbx-o1", "010 6552 1234"), ("pbx-o2", "010 6552 4321")):
            status, body = self._event("ringing", call_id=call_id, direction="outbound",
                                       agent="702", to=number, **{"from": "702"})
            self.assertEqual(status, 200, body)
        self.assertEqual(self.agent_b.state, "busy")
        self._event("ended", call_id="pbx-o1", when="2025-03-03T09:00:30Z")
        self.assertEqual(self.agent_b.state, "busy", "pbx-o2 is still ringing")
        self._event("ended", call_id="pbx-o2", when="2025-03-03T09:00:40Z")
        self.assertEqual(self.agent_b.state, "available")

    def test_conflicts_end_in_409_after_our_own_tries(self):
        tries = []

        def conflicting(_endpoint, _payload):
            tries.append(1)
            raise SerializationFailure("could not serialize access")

        with patch.object(self.env.registry["crm.cti.endpoint"], "_cti_handle", conflicting):
            status, body = self._ring()
        self._assert_refused(status, body, 409, "conflict")
        self.assertEqual(len(tries), CONFLICT_TRIES, "not run again by the host's retry")

    def test_first_token_asks_nothing(self):
        arch = etree.fromstring(self.env["crm.cti.endpoint"].get_view(view_type="form")["arch"])
        buttons = arch.xpath("//button[@name='action_generate_token']")

        def confirms_shown(endpoint):
            values = {"id": endpoint.id, "token_hint": endpoint.token_hint}
            return [button.get("confirm") for button in buttons
                    if not safe_eval(button.get("invisible"), values)]

        new = self.env["crm.cti.endpoint"].create({"name": "New PBX"})
        self.assertEqual(confirms_shown(new), [None], "no token to replace yet")
        new.action_generate_token()
        self.assertEqual(len(confirms_shown(new)), 1)
        self.assertIn("replaces the current one", confirms_shown(new)[0])

    def test_wrap_up_after_an_answered_call(self):
        self.queue.wrap_up_seconds = 30
        self._available(self.agent_a)
        self._ring()
        self._event("answered", when="2025-03-03T09:00:10Z", agent="701")
        self._event("ended", when="2025-03-03T09:02:00Z")
        self.assertRecordValues(self.agent_a, [{
            "state": "wrap_up", "date_wrap_up_end": datetime(2025, 3, 3, 9, 2, 30)}])
        # a call ringing meanwhile is not offered to the agent in wrap-up: it waits
        status, body = self._ring(call_id="pbx-2", when="2025-03-03T09:02:10Z")
        self.assertEqual(body["route"], {"type": "queue", "position": 1})
        Agent = self.env["crm.call.agent"]
        self.assertFalse(Agent._cron_end_wrap_up(now=datetime(2025, 3, 3, 9, 2, 29)))
        self.assertEqual(Agent._cron_end_wrap_up(now=datetime(2025, 3, 3, 9, 2, 31)),
                         self.agent_a)
        # available at the end of the wrap-up, and offered the waiting call at once
        waiting = self._call("pbx-2")
        self.assertEqual((waiting.state, waiting.agent_id), ("ringing", self.agent_a))
        self.assertEqual(self.agent_a.state, "busy")
        self.assertFalse(self.agent_a.date_wrap_up_end)
        # nobody answered: no wrap-up after a missed call
        self._event("missed", call_id="pbx-2", when="2025-03-03T09:02:50Z")
        self.assertEqual(self.agent_a.state, "available")

    def test_agent_ends_wrap_up_sooner(self):
        self.queue.wrap_up_seconds = 600
        self._available(self.agent_a)
        self._ring()
        self._event("answered", when="2025-03-03T09:00:10Z", agent="701")
        self._event("ended", when="2025-03-03T09:01:00Z")
        self.assertEqual(self.agent_a.state, "wrap_up")
        self.env["crm.call.agent"].with_user(self.user_a).set_my_agent_state("available")
        self.assertRecordValues(self.agent_a, [{"state": "available",
                                                "date_wrap_up_end": False}])
        with self.assertRaises(ValidationError):
            self.queue.wrap_up_seconds = 3601

    def test_agents_without_a_web_client_go_offline(self):
        Agent = self.env["crm.call.agent"]
        self._available(self.agent_a, self.agent_b, self.agent_c)  # since 08:00
        # agent B's web client polls the bus; A's and C's are gone
        self.env["bus.presence"].sudo().create({
            "user_id": self.user_b.id, "last_poll": datetime(2025, 3, 3, 8, 58),
            "status": "online"})
        self.env["bus.presence"].sudo().create({
            "user_id": self.user_c.id, "last_poll": datetime(2025, 3, 3, 8, 40),
            "status": "offline"})
        self.agent_c.sudo().date_state = datetime(2025, 3, 3, 8, 57)
        gone = Agent._cron_offline_absent_agents(now=datetime(2025, 3, 3, 9, 0))
        self.assertEqual(gone, self.agent_a)
        self.assertEqual((self.agent_a.state, self.agent_b.state, self.agent_c.state),
                         ("offline", "available", "available"),
                         "B is there; C went available 3 minutes ago")
        # no longer routed to: the call waits for B
        status, body = self._ring()
        self.assertEqual(body["route"], {"type": "agent", "extension": "702"})
        # turned off
        self.env["ir.config_parameter"].sudo().set_param(
            "crm_callcenter.agent_absent_minutes", "0")
        self.assertFalse(Agent._cron_offline_absent_agents(now=datetime(2025, 3, 4, 9, 0)))
        self.assertEqual(self.agent_c.state, "available")
