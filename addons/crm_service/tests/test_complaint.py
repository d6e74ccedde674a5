from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestComplaint(CrmServiceCommon):

    def test_reference_from_sequence(self):
        first = self._complaint()
        second = self._complaint(name="Noisy compressor")
        self.assertTrue(first.reference.startswith("CMP/"))
        self.assertNotEqual(first.reference, second.reference)
        self.assertIn(first.reference, first.display_name)
        self.assertIn(self.contact, first.message_partner_ids,
                      "the customer follows the complaint")

    def test_negative_compensation_refused(self):
        complaint = self._complaint(resolution_type="compensation", compensation_amount=50)
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            complaint.compensation_amount = -10
        complaint.invalidate_recordset()
        self.assertEqual(complaint.compensation_amount, 50, "nothing written")
        count = self.env["crm.complaint"].search_count([])
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            self._complaint(compensation_amount=-1)
        self.assertEqual(self.env["crm.complaint"].search_count([]), count)

    def test_policy_bad_input(self):
        Policy = self.env["crm.sla.policy"]
        count = Policy.search_count([])
        with self.assertRaisesText(ValidationError, "after the resolution"):
            Policy.create({
                "name": "Backwards", "resource_calendar_id": self.calendar.id,
                "response_hours": 10, "resolve_hours": 5,
            })
        with self.assertRaisesText(ValidationError, "needs working hours"):
            Policy.create({
                "name": "No calendar", "resource_calendar_id": False,
                "response_hours": 1, "resolve_hours": 5,
            })
        with self.assertRaisesText(ValidationError, "must be positive"):
            Policy.create({
                "name": "Negative", "resource_calendar_id": self.calendar.id,
                "response_hours": -1, "resolve_hours": 5,
            })
        self.assertEqual(Policy.search_count([]), count, "nothing written")
        with self.assertRaisesText(ValidationError, "after the resolution"):
            self.policy.response_hours = 20
        self.policy.invalidate_recordset()
        self.assertEqual(self.policy.response_hours, 4)

    def test_policy_bad_input_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        with self.assertRaises(ValidationError) as caught:
            self.env["crm.sla.policy"].with_context(lang="zh_CN").create({
                "name": "No calendar", "resource_calendar_id": False,
                "response_hours": 1, "resolve_hours": 5,
            })
        self.assertIn("日历", str(caught.exception))

    def test_escalation_step_bad_input(self):
        with self.assertRaisesText(ValidationError, "give it a number of working hours"):
            self.env["crm.sla.escalation"].create({
                "name": "Too vague", "policy_id": self.policy.id, "trigger": "after_breach",
            })

    def test_partner_360_open_complaints(self):
        self._complaint()
        self._complaint(name="Missing screws", partner_id=self.customer.id)
        solved = self._complaint(name="Wrong colour")
        solved.stage_id = self.stage_resolved
        self._complaint(name="Elsewhere", partner_id=self.other_customer.id)
        partners = self.customer | self.contact | self.other_customer
        partners.invalidate_recordset()
        with self.assertQueryCount(__system__=9):
            counts = {p: p.crm_complaint_count for p in partners}
        self.assertEqual(counts[self.customer], 2, "the contact's complaint rolls up")
        self.assertEqual(counts[self.contact], 1)
        self.assertEqual(counts[self.other_customer], 1)
        self.assertEqual(self.customer.crm_complaint_total, 3)
        action = self.customer.action_view_crm_complaints()
        self.assertEqual(
            self.env["crm.complaint"].search(action["domain"]).mapped("partner_id"),
            self.customer | self.contact,
        )
