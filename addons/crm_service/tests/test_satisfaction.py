from datetime import date, datetime

from freezegun import freeze_time
from psycopg2 import IntegrityError

from odoo.tests import tagged
from odoo.tools import mute_logger

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

    def test_detractor_call_back_due_on_the_company_day(self):
        """Answered at 01:00 on 8 March in Shanghai by a customer whose session is in
        UTC (still 7 March): the call back is due on the company's 8 March."""
        complaint = self._complaint(name="Shanghai detractor")
        complaint.company_id.partner_id.tz = "Asia/Shanghai"
        complaint.stage_id = self.stage_resolved
        with freeze_time(datetime(2026, 3, 7, 17, 0)):
            self._answer(complaint.with_context(tz="UTC"), 2, 3)
        self.assertEqual(complaint.activity_ids.date_deadline, date(2026, 3, 8))

    def test_satisfaction_report_gives_csat_and_nps(self):
        scores = {"Promoter": (5, 10), "Passive": (4, 7), "Detractor": (2, 3)}
        complaints = self.env["crm.complaint"]
        for name, (csat, nps) in scores.items():
            complaint = self._complaint(name=name)
            complaint.stage_id = self.stage_resolved
            self._answer(complaint, csat, nps)
            complaints |= complaint
        unanswered = self._complaint(name="Silent")
        unanswered.stage_id = self.stage_resolved
        other_team = self._complaint(name="Elsewhere", team_id=self.team_b.id,
                                     user_id=self.agent_b.id)
        other_team.stage_id = self.stage_resolved
        self._answer(other_team, 1, 0)
        self.env.flush_all()
        Report = self.env["crm.complaint.satisfaction.report"]
        [(csat, nps, promoters, detractors)] = Report._read_group(
            [("team_id", "=", self.team.id)], [],
            ["csat:avg", "nps:avg", "promoter_count:sum", "detractor_count:sum"])
        self.assertAlmostEqual(csat, (5 + 4 + 2) / 3, msg="unanswered surveys do not count")
        self.assertAlmostEqual(nps, 0.0, msg="1 promoter - 1 detractor out of 3")
        self.assertEqual((promoters, detractors), (1, 1))
        # an agent sees the answers of the own team only
        rows = Report.with_user(self.agent).search([])
        self.assertEqual(rows.complaint_id, complaints)

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

    def test_detractor_call_back_never_lands_on_a_system_user(self):
        complaint = self._complaint(team_id=False, user_id=False)
        complaint.stage_id = self.stage_resolved
        self._answer(complaint, 1, 2)
        self.assertFalse(complaint.activity_ids, "nobody configured: no activity for admin")
        self.assertTrue(complaint.message_ids.filtered(lambda m: "nobody to call them back"
                                                       in (m.body or "")))
        self.env.company.crm_fallback_user_id = self.manager
        other = self._complaint(name="Second", team_id=False, user_id=False)
        other.stage_id = self.stage_resolved
        self._answer(other, 1, 2)
        self.assertEqual(other.activity_ids.user_id, self.manager, "the company's default")

    def test_scores_out_of_range(self):
        complaint = self._complaint()
        # 0 is an empty Integer to the ORM: the database holds the bounds on its own
        for value in (0, 6):
            with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), \
                    self.env.cr.savepoint():
                self.env.cr.execute("UPDATE crm_complaint SET csat_score = %s WHERE id = %s",
                                    [value, complaint.id])
        # an answer off the expected scale is left out, the survey still completes
        complaint.stage_id = self.stage_resolved
        self.q_csat.scale_max = 7
        answer = self._answer(complaint, 7, 9)
        self.assertEqual(answer.state, "done")
        self.assertFalse(complaint.csat_score)
        self.assertEqual(complaint.nps_score, 9)
