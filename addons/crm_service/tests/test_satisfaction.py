from odoo.tests import tagged

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestSatisfaction(CrmServiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.survey = cls.env.ref("crm_service.crm_service_survey_satisfaction")
        cls.q_csat = cls.env.ref("crm_service.crm_service_survey_question_csat")
        cls.q_nps = cls.env.ref("crm_service.crm_service_survey_question_nps")

    def _answer(self, complaint, csat, nps):
        answer = complaint.survey_user_input_id
        answer._save_lines(self.q_csat, str(csat))
        answer._save_lines(self.q_nps, str(nps))
        answer._mark_done()
        complaint.invalidate_recordset()
        return answer

    def test_survey_shipped_with_scale_questions(self):
        self.assertEqual((self.q_csat.question_type, self.q_csat.scale_min, self.q_csat.scale_max),
                         ("scale", 1, 5))
        self.assertEqual((self.q_nps.question_type, self.q_nps.scale_min, self.q_nps.scale_max),
                         ("scale", 0, 10))

    def test_invitation_answers_and_rollup(self):
        complaint = self._complaint()
        self.assertFalse(complaint.survey_user_input_id)
        complaint.stage_id = self.stage_resolved
        answer = complaint.survey_user_input_id
        self.assertTrue(answer, "the customer is invited when the complaint is resolved")
        self.assertEqual(answer.partner_id, self.contact)
        self.assertEqual(answer.survey_id, self.survey)
        invitation = complaint.message_ids.filtered(lambda m: answer.access_token in (m.body or ""))
        self.assertEqual(len(invitation), 1)
        self.assertIn(self.contact, invitation.partner_ids, "sent to the customer")

        complaint.stage_id = self.stage_progress
        complaint.stage_id = self.stage_resolved
        self.assertEqual(complaint.survey_user_input_id, answer, "invited once")

        self._answer(complaint, 4, 9)
        self.assertEqual(answer.state, "done")
        self.assertEqual((complaint.csat_score, complaint.nps_score), (4, 9))
        self.assertEqual(self.customer.crm_last_nps, 9)
        self.assertEqual(self.customer.crm_nps_category, "promoter")
        self.assertFalse(complaint.activity_ids, "a promoter needs no call back")

        second = self._complaint(name="Door seal leaks", partner_id=self.customer.id)
        second.stage_id = self.stage_resolved
        self._answer(second, 2, 3)
        self.customer.invalidate_recordset()
        self.assertAlmostEqual(self.customer.crm_csat_avg, 3.0, msg="(4 + 2) / 2")
        self.assertEqual(self.customer.crm_last_nps, 3)
        self.assertEqual(self.customer.crm_nps_category, "detractor")
        activity = second.activity_ids
        self.assertEqual(len(activity), 1, "a detractor gets a call back")
        self.assertEqual(activity.user_id, self.leader, "for the team leader")

    def test_agent_resolves_and_invitation_is_not_a_response(self):
        """A service agent, who has no rights on surveys, resolves a complaint: the
        customer is invited, and the invitation is not taken as the first answer."""
        complaint = self._complaint()
        self.assertFalse(complaint.first_response_date)
        complaint.with_user(self.agent).stage_id = self.stage_resolved
        self.assertTrue(complaint.survey_user_input_id)
        self.assertFalse(complaint.first_response_date)
        self.assertTrue(complaint.resolved_date)

    def test_passive(self):
        complaint = self._complaint()
        complaint.stage_id = self.stage_resolved
        self._answer(complaint, 3, 7)
        self.assertEqual(self.customer.crm_nps_category, "passive")
