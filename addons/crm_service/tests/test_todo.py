from odoo.tests import new_test_user, tagged

from .common import CrmServiceCommon


@tagged("post_install", "-at_install")
class TestComplaintsInMyDay(CrmServiceCommon):
    """The open complaints of a salesperson's customers are in their day (待办)."""

    def test_open_complaints_of_my_customers(self):
        seller = new_test_user(self.env, "todo_seller", groups="sales_team.group_sale_salesman")
        colleague = new_test_user(self.env, "todo_colleague",
                                  groups="sales_team.group_sale_salesman")
        self.customer.user_id = seller
        complaint = self._complaint(partner_id=self.contact.id)
        closed = self._complaint(partner_id=self.customer.id)
        closed.stage_id = self.stage_resolved.search([("is_closed", "=", True)], limit=1)

        def complaints(user):
            return self.env["crm.todo"].with_user(user).search(
                [("category", "=", "complaint")]).mapped("res_id")

        self.assertEqual(complaints(seller), [complaint.id])
        self.assertFalse(complaints(colleague))
        row = self.env["crm.todo"].with_user(seller).search([("category", "=", "complaint")])
        self.assertEqual(row.partner_id, self.customer)
        self.assertEqual(row.action_open()["res_id"], complaint.id)
