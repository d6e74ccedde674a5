"""What the server refuses on complaints, from the side of the user who must be
refused: agents and managers over JSON-RPC, portal customers over RPC and HTTP."""

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CrmServiceCommon

# what an agent tried to write on a breached complaint, to make it look met
FORGED = {
    "csat_score": 5,
    "nps_score": 10,
    "first_response_date": "2026-03-02 09:05:00",
    "paused_hours": 900.0,
    "escalation_level": 0,
    "sla_status": "met",
    "reference": "CMP/FAKE/1",
    "resolve_deadline": "2026-09-30 17:00:00",
    "response_deadline": "2026-09-30 17:00:00",
    "resolved_date": "2026-03-02 10:00:00",
    "sla_compliance": 100.0,
}


@tagged("post_install", "-at_install")
class TestServiceSecurity(RpcMixin, CrmServiceCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.complaint = cls._complaint()
        cls.complaint.sudo().write({"escalation_level": 2, "sla_status": "breached"})
        cls.portal = new_test_user(
            cls.env, login="svc_sec_portal", name="Wang Portal", groups="base.group_portal",
        )
        cls.portal.partner_id.parent_id = cls.customer
        cls.complaint.sudo().write({
            "root_cause": "Forklift driver in a hurry", "compensation_amount": 300.0,
        })

    def test_agent_cannot_forge_measured_fields(self):
        before = self.complaint.read(list(FORGED))[0]
        for name, value in FORGED.items():
            for context in ({}, {"crm_service_escalating": True, "tracking_disable": True}):
                error = self.assertRpcRefused(
                    AccessError, "svc_agent", "crm.complaint", "write",
                    [self.complaint.id], {name: value}, context=context,
                )
                self.assertIn("cannot be set by hand", error["message"])
        self.complaint.invalidate_recordset()
        self.assertEqual(self.complaint.read(list(FORGED))[0], before)
        # the agent still handles the complaint
        self.rpc_result("svc_agent", "crm.complaint", "write", [self.complaint.id],
                        {"priority": "2", "resolution": "<p>New fridge on Friday</p>"})
        self.assertEqual(self.complaint.priority, "2")

    def test_manager_cannot_forge_measured_fields_either(self):
        self.assertRpcRefused(
            AccessError, "svc_manager", "crm.complaint", "write", [self.complaint.id],
            {"sla_status": "met"},
        )
        self.assertEqual(self.complaint.sla_status, "breached")

    def test_agent_cannot_create_with_measured_fields(self):
        for name in ("csat_score", "first_response_date", "escalation_level", "reference"):
            self.assertRpcRefused(
                AccessError, "svc_agent", "crm.complaint", "create",
                {"name": "Forged at birth", "team_id": self.team.id, name: FORGED[name]
                 if name != "escalation_level" else 3},
            )
        self.assertFalse(self.env["crm.complaint"].search([("name", "=", "Forged at birth")]))
        complaint_id = self.rpc_result(
            "svc_agent", "crm.complaint", "create",
            {"name": "Honest complaint", "team_id": self.team.id, "partner_id": self.contact.id},
        )
        self.assertTrue(self.env["crm.complaint"].browse(complaint_id).reference.startswith("CMP/"))

    def test_policy_is_a_tracked_manager_correction(self):
        relaxed = self.env["crm.sla.policy"].create({
            "name": "Relaxed", "resource_calendar_id": self.calendar.id,
            "response_hours": 40, "resolve_hours": 400,
        })
        self.assertRpcRefused(
            AccessError, "svc_agent", "crm.complaint", "write", [self.complaint.id],
            {"sla_policy_id": relaxed.id},
        )
        self.assertEqual(self.complaint.sla_policy_id, self.policy)
        self._flush_tracking()
        self.rpc_result("svc_manager", "crm.complaint", "write", [self.complaint.id],
                        {"sla_policy_id": relaxed.id})
        self.assertEqual(self.complaint.sla_policy_id, relaxed)
        self._flush_tracking()
        tracked = self.complaint.message_ids.sudo().tracking_value_ids.filtered(
            lambda value: value.field_id.name == "sla_policy_id"
        )
        self.assertEqual(tracked.new_value_char, "Relaxed")

    def test_received_date_moves_only_for_managers(self):
        self.assertRpcRefused(
            AccessError, "svc_agent", "crm.complaint", "write", [self.complaint.id],
            {"date_received": "2026-09-01 08:00:00"},
        )
        error = self.assertRpcRefused(
            ValidationError, "svc_agent", "crm.complaint", "create",
            {"name": "From the future", "team_id": self.team.id,
             "date_received": "2099-01-01 08:00:00"},
        )
        self.assertIn("future", error["message"])
        self.rpc_result("svc_manager", "crm.complaint", "write", [self.complaint.id],
                        {"date_received": "2026-03-03 08:00:00"})

    def test_partner_nps_is_the_customers_answer(self):
        for values in ({"crm_last_nps": 10}, {"crm_nps_date": "2026-03-02 10:00:00"},
                       {"crm_nps_category": "promoter"}):
            self.assertRpcRefused(AccessError, "svc_agent", "res.partner", "write",
                                  [self.customer.id], values)
        self.assertFalse(self.customer.crm_nps_date)

    def test_escalation_history_and_solution_counts_are_the_servers(self):
        step = self.env["crm.sla.escalation"].create({
            "name": "Warn", "policy_id": self.policy.id, "trigger": "at_breach",
        })
        self.assertRpcRefused(
            AccessError, "svc_manager", "crm.complaint.escalation.log", "create",
            {"complaint_id": self.complaint.id, "escalation_id": step.id},
        )
        solution = self.env["crm.solution"].create({"name": "Replace the door"})
        error = self.assertRpcRefused(
            AccessError, "svc_manager", "crm.solution", "write", [solution.id],
            {"use_count": 99},
        )
        self.assertIn("Times Used", error["message"])
        self.assertRpcRefused(
            AccessError, "svc_agent", "crm.complaint", "write", [self.complaint.id],
            {"solution_ids": [(4, solution.id)]},
        )
        # applying it is the way: recorded and counted
        solution.with_user(self.agent).with_context(
            crm_complaint_id=self.complaint.id
        ).action_apply()
        self.assertIn(solution, self.complaint.solution_ids)
        self.assertEqual(solution.use_count, 1)

    def test_apply_solution_to_a_deleted_complaint(self):
        solution = self.env["crm.solution"].create({"name": "Replace the door"})
        gone = self._complaint(name="Deleted meanwhile")
        gone_id = gone.id
        gone.unlink()
        with self.assertRaisesText(UserError, "deleted meanwhile"):
            solution.with_user(self.agent).with_context(crm_complaint_id=gone_id).action_apply()
        self.assertEqual(solution.use_count, 0)

    def test_portal_reads_no_internal_field(self):
        internal = ("root_cause", "compensation_amount", "sla_policy_id", "sla_status",
                    "escalation_level", "customer_tier", "csat_score", "paused_hours",
                    "first_response_date", "solution_ids")
        for name in internal:
            self.assertRpcRefused(AccessError, "svc_sec_portal", "crm.complaint", "read",
                                  [self.complaint.id], [name])
        answer = self.rpc("svc_sec_portal", "crm.complaint", "read", [self.complaint.id], [])
        self.assertNotIn("error", answer)
        [row] = answer["result"]
        self.assertEqual(row["name"], self.complaint.name)
        self.assertFalse(set(internal) & set(row), "reading every field leaves internal ones out")
        # what the customer should see still shows on their page
        self.complaint.sudo().resolution = "<p>A new fridge is on its way</p>"
        self.complaint.stage_id = self.stage_resolved
        self.authenticate("svc_sec_portal", "svc_sec_portal")
        page = self.url_open(f"/my/complaints/{self.complaint.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("A new fridge is on its way", page.text)
        self.assertNotIn("Forklift", page.text)


@tagged("post_install", "-at_install")
class TestServiceCompanies(RpcMixin, CrmServiceCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_b = cls.env["res.company"].create({"name": "Service Company B"})
        cls.manager_b = new_test_user(
            cls.env, login="svc_manager_b", name="Manager Bo",
            groups="crm_service.group_crm_service_manager",
            company_id=cls.company_b.id, company_ids=[(6, 0, cls.company_b.ids)],
        )
        cls.policy.company_id = cls.env.company
        cls.category.company_id = cls.env.company
        cls.team.company_id = cls.env.company

    def _create_in_b(self, **values):
        return self.rpc(
            "svc_manager_b", "crm.complaint", "create",
            {"name": "Company B complaint", "company_id": self.company_b.id, **values},
        )

    def test_complaint_of_b_with_a_policy_of_a_refused(self):
        for values in ({"sla_policy_id": self.policy.id}, {"category_id": self.category.id},
                       {"team_id": self.team.id}):
            answer = self._create_in_b(**values)
            self.assertIn("error", answer, values)
            self.assertNotIn("psycopg2", answer["error"]["data"]["name"])
        self.assertFalse(self.env["crm.complaint"].search([("name", "=", "Company B complaint")]))
        answer = self._create_in_b()
        self.assertNotIn("error", answer)
        complaint = self.env["crm.complaint"].browse(answer["result"])
        self.assertNotEqual(complaint.sla_policy_id, self.policy)

    def test_policy_and_steps_agree_on_the_company(self):
        category_b = self.env["crm.complaint.category"].create({
            "name": "B only", "company_id": self.company_b.id,
        })
        with self.assertRaises(UserError):
            self.policy.category_id = category_b
        with self.assertRaises(UserError):
            self.env["crm.solution"].create({
                "name": "Mixed", "category_id": category_b.id,
                "company_id": self.env.company.id,
            })

    def test_policy_hours_within_bounds(self):
        for values in ({"resolve_hours": 1e9}, {"resolve_hours": 2500},
                       {"response_hours": float("inf")}, {"at_risk_hours": 5000}):
            error = self.rpc_error("svc_manager", "crm.sla.policy", "write",
                                   [self.policy.id], values)
            self.assertEqual(error["name"], "odoo.exceptions.ValidationError", error["message"])
        self.policy.invalidate_recordset()
        self.assertEqual(self.policy.resolve_hours, 16)
        # a calendar that cannot fit the hours gives no deadline: refused
        empty = self.env["resource.calendar"].create({
            "name": "One hour a week", "tz": "UTC",
            "attendance_ids": [(5, 0, 0), (0, 0, {
                "name": "Monday", "dayofweek": "0", "hour_from": 9, "hour_to": 10,
                "day_period": "morning",
            })],
        })
        with self.assertRaisesText(ValidationError, "cannot fit"):
            self.policy.write({"resource_calendar_id": empty.id, "resolve_hours": 1500})

    def test_survey_answer_cannot_be_pointed_at_another_complaint(self):
        new_test_user(self.env, login="svc_surveyor", name="Survey Officer Shi",
                                 groups="survey.group_survey_manager")
        survey = self.env.ref("crm_service.crm_service_survey_satisfaction")
        answer = survey._create_answer(partner=self.customer, check_attempts=False)
        complaint = self._complaint()
        self.assertRpcRefused(AccessError, "svc_surveyor", "survey.user_input", "write",
                              [answer.id], {"crm_complaint_id": complaint.id})
        self.assertRpcRefused(AccessError, "svc_surveyor", "survey.user_input", "create",
                              {"survey_id": survey.id, "crm_complaint_id": complaint.id})
        self.assertFalse(answer.crm_complaint_id)
