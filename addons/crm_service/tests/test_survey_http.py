import json

from odoo.tests import HttpCase, tagged


@tagged("post_install", "-at_install")
class TestSurveyOverHttp(HttpCase):
    """The customer answers the satisfaction survey through the survey's own pages,
    as from the link of the invitation, without logging in."""

    def _json(self, url, params):
        response = self.url_open(
            url,
            data=json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1, "params": params}),
            headers={"Content-Type": "application/json"},
        )
        self.assertEqual(response.status_code, 200)
        body = response.json()
        self.assertNotIn("error", body, body)
        return body["result"]

    def test_customer_answers_from_the_invitation_link(self):
        customer = self.env["res.partner"].create({
            "name": "Survey Customer Amber", "email": "amber@example.com",
        })
        complaint = self.env["crm.complaint"].create({
            "name": "Blender stopped working", "partner_id": customer.id, "channel": "email",
        })
        # no team and nobody assigned: the company's default CRM responsible calls back
        responsible = self.env["res.users"].create({
            "name": "Service Desk Su", "login": "svc_desk_su",
        })
        complaint.company_id.crm_fallback_user_id = responsible
        complaint.stage_id = self.env.ref("crm_service.crm_complaint_stage_resolved")
        answer = complaint.survey_user_input_id
        survey = answer.survey_id
        invitation = complaint.message_ids.filtered(lambda m: answer.access_token in (m.body or ""))
        self.assertTrue(invitation, "the invitation carries the answer's link")

        start = self.url_open(answer.get_start_url())
        self.assertEqual(start.status_code, 200)
        self.assertIn(survey.title, start.text)

        tokens = f"{survey.access_token}/{answer.access_token}"
        self._json(f"/survey/begin/{tokens}", {})
        csat = self.env.ref("crm_service.crm_service_survey_question_csat")
        nps = self.env.ref("crm_service.crm_service_survey_question_nps")
        self._json(f"/survey/submit/{tokens}", {str(csat.id): "2", str(nps.id): "4"})

        answer.invalidate_recordset()
        complaint.invalidate_recordset()
        self.assertEqual(answer.state, "done")
        self.assertEqual((complaint.csat_score, complaint.nps_score), (2, 4))
        self.assertEqual(customer.crm_nps_category, "detractor")
        self.assertEqual(complaint.activity_ids.user_id, responsible,
                         "a detractor gets a call back")
