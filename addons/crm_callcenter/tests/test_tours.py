from datetime import timedelta
from unittest.mock import patch

from odoo import fields
from odoo.sql_db import TestCursor, db_connect
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL

from odoo.addons.bus.models.bus import ODOO_NOTIFY_FUNCTION, get_notify_payloads
from odoo.addons.bus.websocket import WebsocketConnectionHandler

from ..models.crm_cti_endpoint import hash_token

# the token the tour's PBX sends (crm_callcenter_tours.js)
TOUR_PBX_TOKEN = "tour-pbx-token-screen-pop-7f3a"


class CallcenterTourCommon(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        env.company.country_id = env.ref("base.cn")
        cls.agent_user = new_test_user(
            env, login="cc_tour_agent", name="Tour Agent Tang", lang="en_US",
            groups="crm_callcenter.group_crm_callcenter_agent",
        )
        cls.agent_user.tour_enabled = False
        cls.queue = env["crm.call.queue"].create({
            "name": "Tour Service", "code": "TOUR", "strategy": "longest_idle",
        })
        cls.agent = env["crm.call.agent"].create({
            "user_id": cls.agent_user.id, "extension": "781",
            "queue_ids": [(6, 0, cls.queue.ids)],
        })
        cls.action_url = "/odoo/action-crm_callcenter.crm_call_action_my"


class CallcenterBusTourCommon(CallcenterTourCommon):
    """The host's bus, live: the browser's websocket gets what the PBX's request
    sent to the agent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # tests serve no websocket and drop the bus's post-commit NOTIFY: let both
        # through for this browser
        cls.startClassPatcher(patch.object(
            WebsocketConnectionHandler, "websocket_allowed", return_value=True,
        ))
        commit = TestCursor.commit

        def commit_and_notify(cr):
            channels = list(cr.postcommit.data.get("bus.bus.channels") or ())
            commit(cr)
            if channels:
                with db_connect("postgres").cursor() as pg_cr:
                    for payload in get_notify_payloads(channels):
                        pg_cr.execute(SQL("SELECT %s('imbus', %s)",
                                          SQL.identifier(ODOO_NOTIFY_FUNCTION), payload))

        cls.startClassPatcher(patch.object(TestCursor, "commit", commit_and_notify))
        cls.customer = cls.env["res.partner"].create({
            "name": "Tour Caller Amber Ltd", "is_company": True, "phone": "010 8888 6666",
            "country_id": cls.env.ref("base.cn").id,
        })
        endpoint = cls.env["crm.cti.endpoint"].create({"name": "Tour PBX"})
        endpoint.sudo().token_hash = hash_token(TOUR_PBX_TOKEN)


@tagged("post_install", "-at_install")
class TestScreenPopTour(CallcenterBusTourCommon):
    """The screen-pop through the host's bus, live."""

    def test_screen_pop_to_complaint(self):
        self.agent.sudo()._write_state("available")
        # the caller wrote before: the pop lists it in their history
        self.env["mail.message"].sudo().create({
            "model": "res.partner", "res_id": self.customer.id, "message_type": "email",
            "subject": "Invoice copy for Amber", "body": "<p>Please send the invoice.</p>",
            "author_id": self.customer.id,
        })
        self.start_tour(self.action_url, "crm_callcenter_screen_pop_tour",
                        login="cc_tour_agent")
        call = self.env["crm.call"].search([("external_id", "=", "tour-pop-1")])
        self.assertEqual(len(call), 1)
        self.assertEqual(call.agent_id, self.agent, "routed to the tour's agent")
        self.assertEqual(call.partner_id, self.customer)
        complaint = call.complaint_id
        self.assertTrue(complaint, "the complaint was created from the call")
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.channel, "phone")
        self.assertEqual(complaint.user_id, self.agent_user)


@tagged("post_install", "-at_install")
class TestInCallMobileTour(CallcenterBusTourCommon):
    """On a phone during a call: the switcher follows the bus, its menu stays on the
    screen and above the screen-pop."""

    browser_size = "390x844"
    touch_enabled = True

    def test_switcher_follows_the_call_on_a_phone(self):
        self.agent.sudo()._write_state("available")
        self.start_tour(self.action_url, "crm_callcenter_mobile_in_call_tour",
                        login="cc_tour_agent")
        call = self.env["crm.call"].search([("external_id", "=", "tour-mobile-1")])
        self.assertEqual((call.state, call.agent_id), ("in_progress", self.agent))


@tagged("post_install", "-at_install")
class TestWallboardRefreshTour(CallcenterTourCommon):

    def test_wallboard_refreshes_itself(self):
        supervisor = new_test_user(
            self.env, login="cc_tour_supervisor", name="Tour Supervisor Lin",
            groups="crm_callcenter.group_crm_callcenter_supervisor",
        )
        supervisor.tour_enabled = False
        endpoint = self.env["crm.cti.endpoint"].create({"name": "Wallboard PBX"})
        endpoint.sudo().token_hash = hash_token(TOUR_PBX_TOKEN)
        self.assertEqual(self.agent.state, "offline")
        self.start_tour("/odoo/action-crm_callcenter.crm_call_queue_action_wallboard",
                        "crm_callcenter_wallboard_refresh_tour", login="cc_tour_supervisor")
        call = self.env["crm.call"].search([("external_id", "=", "tour-wallboard-1")])
        self.assertEqual((call.state, call.queue_id), ("queued", self.queue))


@tagged("post_install", "-at_install")
class TestAgentSwitcherMobileTour(CallcenterTourCommon):
    browser_size = "390x844"
    touch_enabled = True

    def test_mobile_switch_state_and_open_call(self):
        customer = self.env["res.partner"].create({"name": "Tour Phone Customer"})
        self.env["crm.call"].sudo().create({
            "phone": "13800138000", "partner_id": customer.id, "agent_id": self.agent.id,
            "queue_id": self.queue.id, "state": "done",
            "date_start": fields.Datetime.now() - timedelta(hours=1),
        })
        self.assertEqual(self.agent.state, "offline")
        self.start_tour(self.action_url, "crm_callcenter_mobile_switcher_tour",
                        login="cc_tour_agent")
        self.assertEqual(self.agent.state, "away")


@tagged("post_install", "-at_install")
class TestCallListOutcomeTour(CallcenterTourCommon):

    def test_agent_records_no_answer_and_gets_back_to_the_list(self):
        self.agent_user.tz = "Asia/Shanghai"
        callee = self.env["res.partner"].create({
            "name": "Tour Callee Birch", "phone": "010 8888 7777",
            "country_id": self.env.ref("base.cn").id,
        })
        call_list = self.env["crm.call.list"].create({
            "name": "Tour Calls", "hour_from": 0.0, "hour_to": 24.0,
            "max_attempts": 3, "retry_delay_hours": 2.0,
            "entry_ids": [(0, 0, {"partner_id": callee.id, "phone": callee.phone})],
        })
        call_list.action_start()
        entry = call_list.entry_ids
        self.start_tour(f"/odoo/action-crm_callcenter.crm_call_list_action/{call_list.id}",
                        "crm_callcenter_call_list_outcome_tour", login="cc_tour_agent")
        # the outcome is saved: back to the pool for a retry, its call closed
        self.assertRecordValues(entry, [{"state": "pending", "attempt_count": 1,
                                         "agent_id": False}])
        self.assertTrue(entry.date_next_attempt)
        call = self.env["crm.call"].search([("partner_id", "=", callee.id)])
        self.assertEqual((call.state, call.outcome_id.name, call.agent_id),
                         ("done", "No answer", self.agent))
        # the retry: offered again once its time has come, to the same agent or another
        with patch("odoo.fields.Datetime.now", return_value=entry.date_next_attempt):
            again = call_list.sudo()._reserve_next_entry(self.agent, entry.date_next_attempt)
        self.assertEqual(again, entry)
        self.assertEqual(entry.state, "in_progress")
