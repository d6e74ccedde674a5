from odoo.exceptions import AccessError
from odoo.tests import new_test_user, tagged

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestAccess(CrmServiceCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.complaint = cls._complaint()
        cls.company_2 = cls.env["res.company"].create({"name": "Service Company Two"})
        cls.user_company_2 = new_test_user(
            cls.env, login="svc_agent_c2", name="Agent Zhou",
            groups="crm_service.group_crm_service_user",
            company_id=cls.company_2.id, company_ids=[(6, 0, cls.company_2.ids)],
        )
        # a manager sees every team's complaints: only the company rule stands in the way
        cls.manager_company_2 = new_test_user(
            cls.env, login="svc_manager_c2", name="Manager Zhou",
            groups="crm_service.group_crm_service_manager",
            company_id=cls.company_2.id, company_ids=[(6, 0, cls.company_2.ids)],
        )

    def test_team_member_and_leader_see_team_complaint(self):
        self.assertEqual(self.complaint.with_user(self.agent).read(["name"])[0]["name"],
                         self.complaint.name)
        self.complaint.with_user(self.leader).check_access("read")
        self.complaint.with_user(self.manager).check_access("write")

    def test_agent_of_another_team_refused(self):
        complaint = self.complaint.with_user(self.agent_b)
        with self.assertRaises(AccessError):
            complaint.read(["name"])
        with self.assertRaises(AccessError):
            complaint.write({"priority": "3"})
        visible = self.env["crm.complaint"].with_user(self.agent_b).search([])
        self.assertNotIn(self.complaint, visible)

    def test_user_of_another_company_refused(self):
        for user in (self.user_company_2, self.manager_company_2):
            complaint = self.complaint.with_user(user)
            with self.assertRaises(AccessError):
                complaint.read(["name"])
            self.assertFalse(self.env["crm.complaint"].with_user(user).search(
                [("id", "=", self.complaint.id)]
            ))
        unrouted = self._complaint(name="No team", team_id=False, user_id=False)
        with self.assertRaises(AccessError):
            unrouted.with_user(self.user_company_2).read(["name"])

    def test_portal_user_sees_only_own_company(self):
        portal = new_test_user(self.env, login="svc_portal_wang", name="Wang Fang Portal",
                               groups="base.group_portal")
        portal.partner_id.parent_id = self.customer
        other = self._complaint(partner_id=self.other_customer.id)
        visible = self.env["crm.complaint"].with_user(portal).search([])
        self.assertEqual(visible, self.complaint, "the complaint of a colleague of the company")
        with self.assertRaises(AccessError):
            other.with_user(portal).read(["name"])
        with self.assertRaises(AccessError):
            self.complaint.with_user(portal).write({"name": "Changed"})

    def test_service_user_cannot_configure(self):
        with self.assertRaises(AccessError):
            self.policy.with_user(self.agent).write({"resolve_hours": 100})
        with self.assertRaises(AccessError):
            self.env["crm.complaint.stage"].with_user(self.agent).create({"name": "Mine"})
