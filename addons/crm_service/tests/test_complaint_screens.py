from datetime import timedelta

from odoo import fields
from odoo.tests import HttpCase, tagged


class CrmServiceScreenCommon(HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env.ref("base.user_admin").write({"tour_enabled": False, "lang": "en_US"})
        cls.customer = cls.env["res.partner"].create({
            "name": "Tour Customer Indigo", "email": "indigo@tour.example.com",
        })
        cls.action_url = "/odoo/action-crm_service.crm_complaint_action"


@tagged("post_install", "-at_install")
class TestSlaBreachOnPhone(CrmServiceScreenCommon):
    browser_size = "375x667"
    touch_enabled = True

    def test_response_late_ribbon_leaves_the_title(self):
        calendar = self.env["resource.calendar"].create({
            "name": "Tour round the clock", "tz": "UTC",
            "attendance_ids": [(5, 0, 0)] + [
                (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 0,
                        "hour_to": 24, "day_period": "morning"})
                for day in range(7)
            ],
        })
        policy = self.env["crm.sla.policy"].create({
            "name": "Tour slow resolution", "resource_calendar_id": calendar.id,
            "response_hours": 1, "resolve_hours": 240,
        })
        complaint = self.env["crm.complaint"].create({
            "name": "Tour answer came late", "partner_id": self.customer.id,
            "user_id": self.env.ref("base.user_admin").id, "sla_policy_id": policy.id,
            "date_received": fields.Datetime.now() - timedelta(hours=3),
        })
        self.assertEqual((complaint.sla_status, complaint.sla_breach), ("breached", "response"))
        self.assertGreater(complaint.resolve_deadline, fields.Datetime.now())
        self.start_tour(self.action_url, "crm_service_sla_breach_mobile_tour", login="admin")


@tagged("post_install", "-at_install")
class TestSuggestionOrderOnScreen(CrmServiceScreenCommon):

    def test_banner_and_dialog_in_the_same_order(self):
        Solution = self.env["crm.solution"]
        # most used first by default, the reverse of their rank for the complaint
        best, second, third = Solution.create([
            {"name": "Tour fridge door dented", "use_count": 1,
             "problem": "<p>The fridge door arrives dented on delivery.</p>"},
            {"name": "Tour fridge door delivered late", "use_count": 5,
             "problem": "<p>The fridge door is delivered days late.</p>"},
            {"name": "Tour dented freezer lid", "use_count": 9,
             "problem": "<p>A freezer lid with a dent.</p>"},
        ])
        complaint = self.env["crm.complaint"].create({
            "name": "Tour fridge dent on delivery", "partner_id": self.customer.id,
            "description": "<p>The fridge door is dented.</p>",
        })
        self.assertEqual(complaint.suggested_solution_ids[:3], best | second | third)
        self.start_tour(f"{self.action_url}/{complaint.id}", "crm_service_suggestion_order_tour",
                        login="admin")
        self.assertEqual(complaint.solution_ids, best)
