import json
from unittest.mock import patch

import requests

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from ..models import crm_cti_endpoint
from .common import NOW, CallcenterSetup, CrmCallcenterCommon

ORIGINATE_URL = "https://pbx.example.com/originate"


class FakeResponse:
    def __init__(self, status_code=200, text='{"status": "dialling"}'):
        self.status_code = status_code
        self.text = text


@tagged("post_install", "-at_install")
class TestClickToDial(CrmCallcenterCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.endpoint = cls.env["crm.cti.endpoint"].create({
            "name": "Dialling PBX", "originate_url": ORIGINATE_URL,
            "originate_secret": "s3cret-for-the-pbx",
        })
        cls.campaign = cls.env["utm.campaign"].create({"name": "CC Dial Campaign"})
        cls.buyer = cls.env["res.partner"].create({
            "name": "Buyer Bo", "parent_id": cls.customer.id, "phone": "010 6552 4321",
        })
        cls.lead = cls.env["crm.lead"].create({
            "name": "Desks for Jade River", "partner_id": cls.buyer.id,
            "campaign_id": cls.campaign.id, "user_id": cls.user_a.id,
        })

    def setUp(self):
        super().setUp()
        # the dial request's failure is recorded in a transaction of its own: in the
        # tests, one on the test's connection
        self.registry.enter_test_mode(self.env.cr)
        self.addCleanup(self.registry.leave_test_mode)

    def _dial(self, record, user=None, status=200, side_effect=None, lang="en_US"):
        """Press Call on ``record`` as ``user`` (agent A), then commit (the dial
        request is posted after the commit); the action and the posted requests."""
        with patch.object(crm_cti_endpoint.requests, "post",
                          return_value=FakeResponse(status),
                          side_effect=side_effect) as post:
            action = record.with_user(user or self.user_a).with_context(
                lang=lang).action_crm_dial()
            post.assert_not_called()  # nothing before the commit
            self.env.flush_all()
            self.env.cr.postcommit.run()
        self.env.invalidate_all()
        return action, post

    def test_dial_partner_posts_originate(self):
        action, post = self._dial(self.customer)
        call = self.env["crm.call"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "crm.call")
        self.assertRecordValues(call, [{
            "direction": "outbound", "state": "ringing", "agent_id": self.agent_a.id,
            "partner_id": self.customer.id, "phone": "010 6552 1234",
            "routing_rule": "outbound", "cti_endpoint_id": self.endpoint.id,
        }])
        self.assertTrue(call.external_id.startswith("crm-"))
        self.assertEqual(self.agent_a.state, "busy")
        post.assert_called_once()
        (url,), kwargs = post.call_args
        self.assertEqual(url, ORIGINATE_URL)
        self.assertEqual(kwargs["headers"]["Authorization"], "Bearer s3cret-for-the-pbx")
        self.assertEqual(kwargs["headers"]["Idempotency-Key"], call.external_id)
        self.assertTrue(kwargs["timeout"])
        body = kwargs["json"]
        self.assertEqual(
            {key: body[key] for key in ("call_id", "extension", "number", "crm_call")},
            {"call_id": call.external_id, "extension": "701", "number": "+861065521234",
             "crm_call": call.id},
        )
        self.assertEqual(body["partner"], {"id": self.customer.id, "name": "Jade River Ltd"})
        json.dumps(body)  # what requests sends

    def test_dial_lead_and_list_entry(self):
        action, post = self._dial(self.lead)
        call = self.env["crm.call"].browse(action["res_id"])
        self.assertRecordValues(call, [{
            "lead_id": self.lead.id, "campaign_id": self.campaign.id,
            "partner_id": self.buyer.id, "phone": "010 6552 4321",
        }])
        self.assertEqual(post.call_args.kwargs["json"]["number"], "+861065524321")
        self.assertEqual(post.call_args.kwargs["json"]["campaign"], "CC Dial Campaign")
        # a call list entry: reserved, its call dialled through the PBX
        call_list = self.env["crm.call.list"].create({
            "name": "CC Dial List", "campaign_id": self.campaign.id,
            "entry_ids": [(0, 0, {"partner_id": self.customer.id, "phone": "010 6552 1234"})],
        })
        entry = call_list.entry_ids
        # reserved for agent B by "Next Call"
        entry.sudo().write({"state": "in_progress", "agent_id": self.agent_b.id,
                            "date_reserved": "2025-03-03 09:00:00"})
        with patch.object(crm_cti_endpoint.requests, "post",
                          return_value=FakeResponse()) as post:
            with patch("odoo.fields.Datetime.now", return_value=NOW):
                action = entry.with_user(self.user_b).action_dial()
            self.env.cr.postcommit.run()
        call = self.env["crm.call"].browse(action["res_id"])
        self.assertEqual((entry.state, entry.agent_id, entry.call_id),
                         ("in_progress", self.agent_b, call))
        self.assertTrue(entry.date_reserved)
        self.assertEqual((call.agent_id, call.campaign_id), (self.agent_b, self.campaign))
        self.assertEqual(post.call_args.kwargs["json"]["extension"], "702")
        self.assertEqual((call.state, self.agent_b.state), ("ringing", "busy"))
        # the dial result closes the call and frees the agent (the PBX's "ended" will
        # find the call done)
        entry.with_user(self.user_b)._record_outcome(
            self.env.ref("crm_callcenter.crm_call_outcome_reached"))
        self.assertEqual((call.state, entry.state, self.agent_b.state),
                         ("done", "done", "available"))

    def test_pbx_events_complete_the_dialled_call(self):
        with patch("odoo.fields.Datetime.now", return_value=NOW):
            action, __ = self._dial(self.customer)
        call = self.env["crm.call"].browse(action["res_id"])
        endpoint = self.endpoint.sudo()
        event = {"call_id": call.external_id, "direction": "outbound", "agent": "701",
                 "from": "701", "to": "+861065521234"}
        answer = endpoint._cti_handle({**event, "event": "ringing",
                                       "timestamp": "2025-03-03T09:00:02Z"})
        self.assertEqual(answer["call"], call.id)
        endpoint._cti_handle({**event, "event": "answered", "timestamp": "2025-03-03T09:00:12Z"})
        self.assertEqual(call.state, "in_progress")
        endpoint._cti_handle({**event, "event": "ended", "timestamp": "2025-03-03T09:03:12Z"})
        self.assertEqual(self.env["crm.call"].search_count(
            [("external_id", "=", call.external_id)]), 1, "the same call, not a new one")
        self.assertRecordValues(call, [{"state": "done", "duration_seconds": 180}])
        self.assertEqual(self.agent_a.state, "available", "free again after the call")

    def test_do_not_call_refused(self):
        Call = self.env["crm.call"]
        self.env["phone.blacklist"].sudo().create({"number": "+861065521234"})
        with self.assertRaisesText(UserError, "do-not-call list"):
            self._dial(self.customer)
        other = self.env["res.partner"].create({
            "name": "Opted Out Ltd", "phone": "010 6552 7777", "crm_call_opt_out": True,
            "country_id": self.env.ref("base.cn").id,
        })
        with self.assertRaisesText(UserError, "asked not to be called"):
            self._dial(other)
        self.assertFalse(Call.search([("partner_id", "in", (self.customer | other).ids),
                                      ("direction", "=", "outbound")]))
        self.assertEqual(self.agent_a.state, "offline")
        # in the user's language
        self.env["res.lang"]._activate_lang("zh_CN")
        with self.assertRaisesText(UserError, "停止呼出"):
            self._dial(other, lang="zh_CN")

    def test_pbx_errors_close_the_call_and_free_the_agent(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.user_a.lang = "zh_CN"
        for status, side_effect, code, detail in (
            (503, None, "refused", "HTTP 503"),
            (200, requests.ConnectTimeout("slow"), "timeout", ""),
            (200, requests.ConnectionError("down"), "unreachable", "ConnectionError"),
        ):
            with self.subTest(code=code):
                self.env["bus.bus"].sudo().search([]).unlink()
                self.agent_a.sudo().state = "away"
                action, post = self._dial(self.customer, status=status,
                                          side_effect=side_effect)
                post.assert_called_once()
                call = self.env["crm.call"].browse(action["res_id"])
                self.assertEqual((call.state, call.dial_error), ("missed", code))
                self.assertTrue(call.dial_error_detail.startswith(detail))
                self.assertEqual(self.agent_a.state, "away", "back in their state")
                # the agent is told, in their language
                notice = self.env["bus.bus"].sudo().search(
                    [("message", "like", "simple_notification")])
                self.assertEqual(len(notice), 1)
                self.assertIn(f"res.partner\",{self.user_a.partner_id.id}]", notice.channel)
                self.assertIn("未拨出", json.loads(notice.message)["payload"]["title"])

    def test_pbx_report_wins_over_a_late_failure(self):
        """The PBX reported the call before its answer to the dial request came back
        as an error: the call is the PBX's, left as it is."""
        with patch("odoo.fields.Datetime.now", return_value=NOW):
            action = self.customer.with_user(self.user_a).action_crm_dial()
        call = self.env["crm.call"].browse(action["res_id"])
        self.endpoint.sudo()._cti_handle({
            "event": "answered", "call_id": call.external_id, "agent": "701",
            "timestamp": "2025-03-03T09:00:05Z"})
        self.env.flush_all()
        with patch.object(crm_cti_endpoint.requests, "post",
                          side_effect=requests.ConnectTimeout("slow")):
            self.env.cr.postcommit.run()
        self.env.invalidate_all()
        self.assertEqual((call.state, call.dial_error), ("in_progress", False))
        self.assertEqual(self.agent_a.state, "busy")

    def test_without_originate_url_only_logged(self):
        self.endpoint.originate_url = False
        action, post = self._dial(self.customer)
        post.assert_not_called()
        call = self.env["crm.call"].browse(action["res_id"])
        # the agent dials by hand: the call is logged, the agent's state left alone
        self.assertEqual((call.state, call.cti_endpoint_id.id), ("done", False))
        self.assertEqual(self.agent_a.state, "offline")

    def test_no_agent_no_number(self):
        no_agent = new_test_user(self.env, login="cc_no_agent",
                                 groups="crm_callcenter.group_crm_callcenter_agent")
        with self.assertRaisesText(UserError, "You are not an agent"):
            self._dial(self.customer, user=no_agent)
        nobody = self.env["res.partner"].create({"name": "No Phone Ltd"})
        with self.assertRaisesText(UserError, "has no phone number"):
            self._dial(nobody)
        sales = new_test_user(self.env, login="cc_sales_only",
                              groups="sales_team.group_sale_salesman")
        with self.assertRaises(AccessError):
            self._dial(self.customer, user=sales)

    def test_originate_url_validated(self):
        for url in ("ftp://pbx.example.com/x", "pbx.example.com/originate", "https://"):
            with self.subTest(url=url), self.assertRaises(ValidationError):
                self.endpoint.originate_url = url
        self.endpoint.originate_url = "http://10.0.0.5:8088/originate"


@tagged("post_install", "-at_install")
class TestClickToDialRpc(CallcenterSetup, RpcMixin, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        cls.sales = new_test_user(cls.env, login="cc_sales_rpc",
                                  groups="sales_team.group_sale_salesman")

    def test_only_agents_dial_over_rpc(self):
        self.assertRpcRefused(AccessError, "cc_sales_rpc", "res.partner", "action_crm_dial",
                              [self.customer.id])
        # their own lead, which they read: refused all the same
        lead = self.env["crm.lead"].create({"name": "RPC lead", "phone": "010 6552 1000",
                                            "user_id": self.sales.id})
        self.assertRpcRefused(AccessError, "cc_sales_rpc", "crm.lead", "action_crm_dial",
                              [lead.id])
        Call = self.env["crm.call"]
        mine = [("direction", "=", "outbound"), ("agent_id", "=", self.agent_a.id)]
        self.assertFalse(Call.search(mine))
        # an agent dials (no dial request URL: the call is logged)
        endpoint = self.env["crm.cti.endpoint"].create({
            "name": "RPC PBX", "originate_secret": "x",
        })
        action = self.rpc_result("cc_agent_a", "res.partner", "action_crm_dial",
                                 [self.customer.id])
        call = self.env["crm.call"].browse(action["res_id"])
        self.assertEqual((call.agent_id, call.direction), (self.agent_a, "outbound"))
        # the secret of the dial request stays with the managers
        self.assertRpcRefused(AccessError, "cc_supervisor", "crm.cti.endpoint", "read",
                              [endpoint.id], ["originate_secret"])
