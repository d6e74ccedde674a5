from odoo.exceptions import AccessError
from odoo.tests import Form, tagged

from .common import CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestCallActions(CrmCallcenterCommon):

    def _my_call(self):
        call = self.env["crm.call"].with_user(self.user_a).create({
            "phone": "010-6552-1234", "note": "Wants a new kettle",
        })
        self.assertEqual(call.agent_id, self.agent_a, "logged by the agent: their call")
        self.assertEqual(call.partner_id, self.customer)
        self.assertTrue(call.date_start)
        return call

    def test_create_lead_in_one_click(self):
        call = self._my_call()
        action = call.action_create_lead()
        self.assertEqual(action["res_model"], "crm.lead")
        self.assertEqual(call.lead_id.partner_id, self.customer)
        self.assertEqual(call.lead_id.id, action["res_id"])
        call.action_create_lead()
        self.assertEqual(self.env["crm.lead"].search_count([("partner_id", "=", self.customer.id)]),
                         1, "once")

    def test_create_complaint_in_one_click(self):
        call = self._my_call()
        call.action_create_complaint()
        complaint = call.complaint_id
        self.assertEqual(complaint.channel, "phone")
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.user_id, self.user_a)

    def test_follow_up_activity(self):
        call = self._my_call()
        call.action_schedule_follow_up()
        self.assertEqual(call.activity_ids.user_id, self.user_a)
        self.assertIn("Jade River", call.activity_ids.summary)

    def test_caller_history(self):
        old = self._my_call()
        complaint = self.env["crm.complaint"].create({
            "name": "Leaking kettle", "partner_id": self.customer.id,
        })
        call = self._my_call()
        self.assertIn(old, call.history_call_ids)
        self.assertNotIn(call, call.history_call_ids)
        self.assertEqual(call.history_complaint_ids, complaint)

    def test_partner_smart_button(self):
        self._my_call()
        contact = self.env["res.partner"].create({
            "name": "Contact Zhou", "parent_id": self.customer.id, "phone": "+86 10 8888 0000",
        })
        self.env["crm.call"].with_user(self.user_a).create({"phone": "010 8888 0000"})
        self.assertEqual(contact.crm_call_count, 1)
        self.assertEqual(self.customer.crm_call_count, 2, "the contacts' calls count too")
        action = self.customer.action_view_crm_calls()
        self.assertEqual(self.env["crm.call"].search_count(action["domain"]), 2)

    def test_form_logs_a_call(self):
        with Form(self.env["crm.call"].with_user(self.user_a)) as form:
            form.phone = "+86 10 6552 1234"
            self.assertEqual(form.partner_id, self.customer)
        self.assertEqual(form.record.state, "done")

    def test_agent_state_buttons(self):
        self.agent_a.with_user(self.user_a).action_set_available()
        self.assertEqual(self.agent_a.state, "available")
        self.agent_a.with_user(self.user_a).action_set_away()
        self.assertEqual(self.agent_a.state, "away")
        with self.assertRaises(AccessError):
            self.agent_b.with_user(self.user_a).action_set_available()
        self.agent_b.with_user(self.supervisor).action_set_available()
        self.assertEqual(self.agent_b.state, "available")

    def test_name_in_the_readers_time_zone(self):
        call = self.env["crm.call"].sudo().create({
            "phone": "010-6552-1234", "date_start": "2025-03-03 23:30:00",
        })
        # 07:30 on 4 March in Shanghai, not 23:30 on the 3rd (UTC)
        in_shanghai = call.with_context(tz="Asia/Shanghai", lang="en_US").display_name
        self.assertIn("7:30", in_shanghai)
        self.assertIn("3/4/25", in_shanghai)
        self.assertTrue(in_shanghai.startswith("Jade River Ltd"))
        in_utc = call.with_context(tz="UTC", lang="en_US").display_name
        self.assertIn("11:30", in_utc)
        self.assertIn("3/3/25", in_utc)
