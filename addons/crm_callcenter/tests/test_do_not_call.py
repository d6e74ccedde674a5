import json

from odoo.exceptions import AccessError, UserError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from ..models.crm_cti_endpoint import hash_token
from .common import CallcenterSetup

TOKEN = "test-token-of-the-dnc-pbx-0123456789"


@tagged("post_install", "-at_install")
class TestDoNotCallEverywhere(CallcenterSetup, RpcMixin, HttpCase):
    """Do-not-call holds in the model: an agent's own RPC calls are refused as the
    Dial button is; a call the phone system reports to such a number (placed outside
    the CRM) is recorded, flagged, and the agent's supervisor warned."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        cls.env["phone.blacklist"].sudo().create({"number": "+861065521234"})
        cls.opted_out = cls.env["res.partner"].create({
            "name": "Opted Out Ltd", "phone": "010 6552 7777", "crm_call_opt_out": True,
            "country_id": cls.env.ref("base.cn").id,
        })
        cls.allowed = cls.env["res.partner"].create({
            "name": "Willing Ltd", "phone": "010 6552 8888",
            "country_id": cls.env.ref("base.cn").id,
        })

    def _outbound(self):
        return [("direction", "=", "outbound"),
                ("partner_id", "in", (self.customer | self.opted_out).ids)]

    def test_agent_creates_no_call_to_do_not_call_over_rpc(self):
        Call = self.env["crm.call"]
        error = self.assertRpcRefused(UserError, "cc_agent_a", "crm.call", "create",
                                      {"direction": "outbound", "phone": "010 6552 1234"})
        self.assertIn("do-not-call list", error["message"])
        error = self.assertRpcRefused(UserError, "cc_agent_a", "crm.call", "create",
                                      {"direction": "outbound",
                                       "partner_id": self.opted_out.id,
                                       "phone": "010 6552 7777"})
        self.assertIn("asked not to be called", error["message"])
        # the number of an opted-out customer, without naming them: refused too
        self.assertRpcRefused(UserError, "cc_agent_a", "crm.call", "create",
                              {"direction": "outbound", "phone": "+86 10 6552 7777"})
        self.assertFalse(Call.search(self._outbound()))
        self.assertFalse(Call.search([("phone", "in", ("010 6552 1234", "010 6552 7777",
                                                        "+86 10 6552 7777"))]))
        # the customer calling in is answered; calling a willing customer is fine
        self.rpc_result("cc_agent_a", "crm.call", "create",
                        {"direction": "inbound", "phone": "010 6552 1234"})
        self.rpc_result("cc_agent_a", "crm.call", "create",
                        {"direction": "outbound", "partner_id": self.allowed.id,
                         "phone": "010 6552 8888"})

    def test_agent_turns_no_call_into_a_do_not_call_one(self):
        call = self.env["crm.call"].sudo().create({
            "direction": "outbound", "phone": "010 6552 8888", "partner_id": self.allowed.id,
            "agent_id": self.agent_a.id, "state": "ringing",
        })
        self.assertRpcRefused(UserError, "cc_agent_a", "crm.call", "write", [call.id],
                              {"phone": "010 6552 1234"})
        self.assertRpcRefused(UserError, "cc_agent_a", "crm.call", "write", [call.id],
                              {"partner_id": self.opted_out.id})
        self.assertRecordValues(call, [{"phone": "010 6552 8888",
                                        "partner_id": self.allowed.id}])
        # an inbound call of that customer may name them
        inbound = self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "010 6552 8888", "agent_id": self.agent_a.id,
            "state": "ringing",
        })
        self.rpc_result("cc_agent_a", "crm.call", "write", [inbound.id],
                        {"partner_id": self.opted_out.id})

    def test_pbx_reports_a_violation(self):
        endpoint = self.env["crm.cti.endpoint"].create({"name": "DNC PBX"})
        endpoint.sudo().token_hash = hash_token(TOKEN)
        response = self.url_open(
            "/crm_callcenter/cti/event",
            data=json.dumps({"event": "ringing", "call_id": "pbx-dnc-1",
                             "timestamp": "2025-03-03T09:00:00Z", "direction": "outbound",
                             "from": "701", "to": "+86 10 6552 1234", "agent": "701"}),
            headers={"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"},
        )
        self.assertEqual(response.status_code, 200, response.text)
        call = self.env["crm.call"].search([("external_id", "=", "pbx-dnc-1")])
        self.assertRecordValues(call, [{"direction": "outbound", "dnc_violation": True,
                                        "partner_id": self.customer.id,
                                        "agent_id": self.agent_a.id}])
        activity = call.activity_ids
        self.assertEqual(activity.user_id, self.supervisor, "the agent's team leader")
        # no text written once in one language: the activity's type names it, the
        # call tells why, in each reader's language
        self.assertEqual(activity.activity_type_id,
                         self.env.ref("crm_callcenter.mail_activity_type_dnc_violation"))
        self.assertFalse(activity.summary)
        self.assertFalse(activity.note)
        self.assertEqual(call.dnc_code, "blacklist")
        self.env["res.lang"]._activate_lang("zh_CN")
        self.assertEqual(call.with_context(lang="en_US").dnc_reason,
                         "The number +861065521234 is on the do-not-call list.")
        self.assertEqual(call.with_context(lang="zh_CN").dnc_reason,
                         "\u53f7\u7801 +861065521234 "
                         "\u5728\u505c\u6b62\u547c\u51fa\u540d\u5355\u4e0a\u3002")
        self.assertEqual(
            activity.activity_type_id.with_context(lang="zh_CN").name,
            "\u8fdd\u53cd\u505c\u6b62\u547c\u51fa")
        # the flag is the server's: nobody clears it over RPC
        for field in ("dnc_violation", "dnc_code"):
            self.assertRpcRefused(AccessError, "cc_agent_a", "crm.call", "write", [call.id],
                                  {field: False})
        self.assertTrue(call.dnc_violation)
