from datetime import timedelta

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestComplaintTexts(CrmServiceCommon, HttpCase, RpcMixin):
    """A NUL byte or another control character in a complaint's texts is refused over
    RPC with a clear message, and nothing is written."""

    def test_nul_in_subject_and_root_cause(self):
        before = self.env["crm.complaint"].search_count([])
        error = self.assertRpcRefused(
            ValidationError, "svc_agent", "crm.complaint", "create",
            {"name": "Door\x00 does not close", "partner_id": self.customer.id,
             "team_id": self.team.id})
        self.assertIn("U+0000", error["message"])
        self.assertNotIn("string literal", error["message"])
        self.assertEqual(self.env["crm.complaint"].search_count([]), before)
        complaint = self._complaint()
        error = self.assertRpcRefused(
            ValidationError, "svc_agent", "crm.complaint", "write", [complaint.id],
            {"root_cause": "hinge\x00broken"})
        self.assertIn("U+0000", error["message"])
        complaint.invalidate_recordset()
        self.assertFalse(complaint.root_cause)


@tagged("post_install", "-at_install")
class TestComplaintDatesAndCopies(CrmServiceCommon, HttpCase, RpcMixin):
    """When a new complaint came in is the agent's to say within a short window only;
    a copy measures anew what the server measures."""

    def test_backdating_a_new_complaint(self):
        now = fields.Datetime.now()
        values = {"name": "Late report", "partner_id": self.customer.id,
                  "team_id": self.team.id}
        before = self.env["crm.complaint"].search_count([])
        error = self.assertRpcRefused(
            AccessError, "svc_agent", "crm.complaint", "create",
            {**values, "date_received": fields.Datetime.to_string(now - timedelta(days=400))})
        self.assertIn("service administrators", error["message"])
        self.assertEqual(self.env["crm.complaint"].search_count([]), before)
        # within the window: a complaint taken down after the weekend
        recent = self.env["crm.complaint"].with_user(self.agent).create(
            {**values, "date_received": now - timedelta(hours=60)})
        self.assertEqual(recent.date_received, now - timedelta(hours=60))
        # a service administrator records an old letter
        old = self.env["crm.complaint"].with_user(self.manager).create(
            {**values, "date_received": now - timedelta(days=400)})
        self.assertEqual(old.sla_status, "breached")

    def test_agent_duplicates_a_complaint_with_a_corrected_policy(self):
        corrected = self.env["crm.sla.policy"].create({
            "name": "Corrected by the manager", "response_hours": 40, "resolve_hours": 80,
            "resource_calendar_id": self.calendar.id})
        complaint = self._complaint()
        complaint.with_user(self.manager).sla_policy_id = corrected
        copy = complaint.with_user(self.agent).copy()
        self.assertNotEqual(copy.reference, complaint.reference)
        self.assertEqual(copy.sla_policy_id, self.policy, "chosen anew, not copied")
        self.assertTrue(copy.response_deadline)
        copied = self.rpc_result("svc_agent", "crm.complaint", "copy", complaint.id)
        self.assertEqual(self.env["crm.complaint"].browse(copied).sla_policy_id, self.policy)
        # a manager's copy keeps the correction
        self.assertEqual(complaint.with_user(self.manager).copy().sla_policy_id, corrected)
