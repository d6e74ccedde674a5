from datetime import date
from unittest.mock import patch

from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrmServiceCommon, at, frozen


@tagged("post_install", "-at_install")
class TestServiceReport(CrmServiceCommon):

    def test_compliance_and_satisfaction_by_team(self):
        with frozen(self.env, at(0, 9)):
            met = self._complaint(received=at(0, 9))
            late = self._complaint(received=at(0, 9), name="Second dent")
            other = self._complaint(received=at(0, 9), name="Southern dent",
                                    team_id=self.team_b.id, user_id=self.agent_b.id)
        with frozen(self.env, at(0, 11)):
            for complaint in met | late | other:
                complaint.with_user(complaint.user_id).message_post(
                    body="On it", message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
        with frozen(self.env, at(1, 10)):
            met.stage_id = self.stage_resolved
        with frozen(self.env, at(3, 10)):
            (late | other).stage_id = self.stage_resolved
        met._set_satisfaction(5, 10)
        late._set_satisfaction(3, 6)
        self.env.flush_all()
        groups = self.env["crm.complaint"]._read_group(
            [("id", "in", (met | late | other).ids)],
            groupby=["team_id"],
            aggregates=["sla_compliance:avg", "response_work_hours:avg",
                        "resolve_work_hours:avg", "csat_score:avg", "nps_score:avg"],
        )
        figures = {team: values for team, *values in groups}
        compliance, response, resolve, csat, nps = figures[self.team]
        self.assertEqual(compliance, 50.0, "one met, one breached")
        self.assertAlmostEqual(response, 2.0, msg="answered after two working hours")
        self.assertAlmostEqual(resolve, (9.0 + 25.0) / 2, msg="in working hours")
        self.assertEqual((csat, nps), (4.0, 8.0))
        self.assertEqual(figures[self.team_b][0], 100.0, "the default policy gives 40 hours")
        # the analysis action opens on these measures
        action = self.env.ref("crm_service.crm_complaint_action_analysis")
        self.assertEqual(action.res_model, "crm.complaint")


@tagged("post_install", "-at_install")
class TestSatisfactionReport(CrmServiceCommon):
    """The Customer Satisfaction report counts every complaint with a score, however
    the score came: CSAT = mean of the CSAT answers, NPS = % promoters (9-10) -
    % detractors (0-6) over the NPS answers."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.q_csat = cls.env.ref("crm_service.crm_service_survey_question_csat")
        cls.q_nps = cls.env.ref("crm_service.crm_service_survey_question_nps")
        cls.report_team = cls.env["crm.team"].create({"name": "Service Report Team"})
        cls.Report = cls.env["crm.complaint.satisfaction.report"]

    def _complaint_of_team(self, name):
        return self._complaint(name=name, team_id=self.report_team.id)

    def _answer_survey(self, complaint, csat, nps):
        complaint.stage_id = self.stage_resolved
        answer = complaint.survey_user_input_id
        answer._save_lines(self.q_csat, str(csat))
        answer._save_lines(self.q_nps, str(nps))
        answer._mark_done()
        return answer

    def _figures(self, domain):
        self.env.flush_all()
        [figures] = self.Report._read_group(
            domain, [], ["csat:avg", "nps:avg", "promoter_count:sum", "passive_count:sum",
                         "detractor_count:sum", "__count"],
        )
        return figures

    def test_every_scored_complaint_counts(self):
        promoter = self._complaint_of_team("Survey promoter")
        answer = self._answer_survey(promoter, 5, 10)
        passive = self._complaint_of_team("Survey passive")
        self._answer_survey(passive, 4, 7)
        # scores the customer gave on the phone: no survey at all
        phoned = self._complaint_of_team("Phoned detractor")
        phoned._set_satisfaction(2, 3)
        csat_only = self._complaint_of_team("Phoned CSAT only")
        csat_only._set_satisfaction(4, None)
        # a survey sent and left unanswered, scores set by the service meanwhile
        pending = self._complaint_of_team("Survey pending, scored by hand")
        pending.stage_id = self.stage_resolved
        self.assertEqual(pending.survey_user_input_id.state, "new")
        pending._set_satisfaction(3, 9)
        # no score: not in the report
        silent = self._complaint_of_team("Survey never answered")
        silent.stage_id = self.stage_resolved

        self.assertFalse(phoned.survey_user_input_id)
        csat, nps, promoters, passives, detractors, count = self._figures(
            [("team_id", "=", self.report_team.id)],
        )
        self.assertEqual(count, 5, "five complaints have a score")
        self.assertAlmostEqual(csat, (5 + 4 + 2 + 4 + 3) / 5)
        # NPS answers: 10, 7, 3, 9 (none for csat_only): 2 promoters, 1 detractor of 4
        self.assertAlmostEqual(nps, 100 * 2 / 4 - 100 * 1 / 4)
        self.assertEqual((promoters, passives, detractors), (2, 1, 1))
        rows = self.Report.search([("team_id", "=", self.report_team.id)])
        self.assertEqual(rows.complaint_id, promoter | passive | phoned | csat_only | pending)
        dates = {row.complaint_id: row.date for row in rows}
        day = self.env.company._crm_local_date
        self.assertEqual(dates[promoter], day(answer.end_datetime), "answered on")
        self.assertEqual(dates[phoned], day(phoned.date_received), "received on")
        self.assertEqual(dates[pending], day(pending.resolved_date), "resolved on")
        self.assertNotIn(silent, rows.complaint_id)

    def test_dates_are_the_company_days(self):
        """07:00 on 1 March in Shanghai is 23:00 UTC on 28 February: March."""
        self.env.company.partner_id.tz = "Asia/Shanghai"
        complaint = self._complaint_of_team("Phoned at dawn")
        complaint._set_satisfaction(4, 9)
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE crm_complaint SET date_received = %s WHERE id = %s",
            "2026-02-28 23:00:00", complaint.id))
        self.env.invalidate_all()
        row = self.Report.search([("complaint_id", "=", complaint.id)])
        self.assertEqual(row.date, date(2026, 3, 1))

    def test_query_built_from_pieces(self):
        for piece in ("_select", "_from", "_where", "_group_by"):
            self.assertIsInstance(getattr(self.Report, piece)(), SQL, piece)
        kept = self._complaint_of_team("Kept")
        kept._set_satisfaction(5, 10)
        left_out = self._complaint_of_team("Left out")
        left_out._set_satisfaction(1, 0)
        self.assertEqual(self._figures([("team_id", "=", self.report_team.id)])[-1], 2)
        # an addon narrowing or widening the report overrides one piece only
        where = type(self.Report)._where

        def _where(report):
            return SQL("%s AND complaint.nps_score >= 9", where(report))

        with patch.object(type(self.Report), "_where", _where):
            csat, nps, *__, count = self._figures([("team_id", "=", self.report_team.id)])
        self.assertEqual((csat, nps, count), (5.0, 100.0, 1))

    def test_demo_surveys_feed_the_report(self):
        answers = self.env["survey.user_input"].search([
            ("crm_complaint_id", "!=", False), ("state", "=", "done"),
            ("id", "in", [
                self.env.ref(f"crm_service.crm_complaint_demo_{number}_survey_answer").id
                for number in (4, 5, 6, 8, 9)
                if self.env.ref(f"crm_service.crm_complaint_demo_{number}_survey_answer",
                                raise_if_not_found=False)
            ]),
        ])
        if not answers:
            self.skipTest("installed without demo data")
        self.assertGreaterEqual(len(answers), 3)
        for answer in answers:
            complaint = answer.crm_complaint_id
            self.assertEqual(complaint.survey_user_input_id, answer)
            scores = {
                line.question_id: line.value_scale for line in answer.user_input_line_ids
            }
            self.assertEqual(scores, {self.q_csat: complaint.csat_score,
                                      self.q_nps: complaint.nps_score})
        complaints = answers.crm_complaint_id
        nps_scores = complaints.mapped("nps_score")
        expected_nps = 100 * (
            sum(score >= 9 for score in nps_scores) - sum(score <= 6 for score in nps_scores)
        ) / len(nps_scores)
        csat, nps, *__, count = self._figures([("complaint_id", "in", complaints.ids)])
        self.assertEqual(count, len(complaints))
        self.assertAlmostEqual(csat, sum(complaints.mapped("csat_score")) / len(complaints))
        self.assertAlmostEqual(nps, expected_nps)
