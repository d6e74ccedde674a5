from odoo.tests import HttpCase, tagged


class CrmServiceTourCommon(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").write({"tour_enabled": False, "lang": "en_US"})
        cls.customer = cls.env["res.partner"].create({
            "name": "Tour Customer Cobalt", "email": "cobalt@tour.example.com",
        })
        cls.category = cls.env["crm.complaint.category"].create({"name": "Tour Breakage"})
        cls.solution = cls.env["crm.solution"].create({
            "name": "Tour shattered glass exchange",
            "category_id": cls.category.id,
            "problem": "<p>Glass furniture arrives shattered.</p>",
            "solution": "<p>Exchange the glass top within three days.</p>",
        })
        cls.action_url = "/odoo/action-crm_service.crm_complaint_action"


@tagged("post_install", "-at_install")
class TestCrmServiceTours(CrmServiceTourCommon):

    def test_complaint_from_intake_to_resolved(self):
        self.start_tour(self.action_url, "crm_service_complaint_tour", login="admin")
        complaint = self.env["crm.complaint"].search([("name", "=", "Tour glass table shattered")])
        self.assertEqual(len(complaint), 1)
        self.assertEqual(complaint.partner_id, self.customer)
        self.assertEqual(complaint.category_id, self.category)
        resolved = self.env.ref("crm_service.crm_complaint_stage_resolved")
        self.assertEqual(complaint.stage_id, resolved)
        self.assertTrue(complaint.resolved_date)
        self.assertEqual(complaint.sla_status, "met")
        self.assertEqual(complaint.solution_ids, self.solution)
        self.assertEqual(self.solution.use_count, 1)
        self.assertIn("three days", complaint.resolution)
        self.assertTrue(complaint.survey_user_input_id, "the customer is invited to the survey")


@tagged("post_install", "-at_install")
class TestCrmServiceToursMobile(CrmServiceTourCommon):
    browser_size = "375x667"
    touch_enabled = True

    def test_mobile_raise_priority(self):
        policy = self.env["crm.sla.policy"].create({
            "name": "Tour urgent policy", "priority": "3", "sequence": 1,
            "resource_calendar_id": self.env.ref("resource.resource_calendar_std").id,
            "response_hours": 1, "resolve_hours": 4,
        })
        complaint = self.env["crm.complaint"].create({
            "name": "Tour phone charger melted", "partner_id": self.customer.id,
            "user_id": self.env.ref("base.user_admin").id,
        })
        self.assertNotEqual(complaint.sla_policy_id, policy)
        self.start_tour(self.action_url, "crm_service_mobile_tour", login="admin")
        complaint.invalidate_recordset()
        self.assertEqual(complaint.priority, "3")
        self.assertEqual(complaint.sla_policy_id, policy)
