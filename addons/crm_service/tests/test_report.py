from odoo.tests import tagged

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
