from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import CrmCoreCommon


@tagged("post_install", "-at_install")
class TestExpenses(CrmCoreCommon):
    """Expenses (费用) of the host's expense app, spent on an opportunity and a
    customer: approved ones count."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.employee = cls.env["hr.employee"].create({
            "name": "Salesman Sun", "user_id": cls.salesman.id,
        })
        cls.customer.user_id = cls.salesman
        cls.lead = cls.env["crm.lead"].create({
            "name": "Huachen ERP", "type": "opportunity", "partner_id": cls.contact.id,
            "user_id": cls.salesman.id, "expected_revenue": 10000.0,
        })

    def _expense(self, amount, state, **vals):
        expense = self.env["hr.expense"].create({
            "name": f"Dinner {amount}", "employee_id": self.employee.id,
            "total_amount_currency": amount, "payment_mode": "own_account", **vals,
        })
        if state == "draft":
            return expense
        sheet = self.env["hr.expense.sheet"].create({
            "name": f"Report {amount}", "employee_id": self.employee.id,
            "expense_line_ids": [(6, 0, expense.ids)],
        })
        sheet.action_submit_sheet()
        if state == "approved":
            sheet._do_approve()
        elif state == "refused":
            sheet._do_refuse("Not a business dinner")
        return expense

    def test_approved_expenses_count_on_opportunity_and_customer(self):
        approved = self._expense(300.0, "approved", opportunity_id=self.lead.id)
        self._expense(200.0, "draft", opportunity_id=self.lead.id)
        self._expense(100.0, "refused", opportunity_id=self.lead.id)
        # the customer follows the opportunity's
        self.assertEqual(approved.crm_partner_id, self.customer)
        self.assertEqual(approved.state, "approved")
        lead = self.lead.with_user(self.salesman)
        self.assertEqual(lead.crm_expense_amount, 300.0)
        self.assertEqual(lead.crm_net_revenue, 9700.0)
        self.assertEqual(lead.crm_expense_count, 3)
        # cost to serve the customer, for its salesperson and their managers
        self.assertEqual(self.customer.with_user(self.salesman).crm_expense_amount, 300.0)
        self.assertEqual(self.customer.with_user(self.leader).crm_expense_amount, 300.0)
        # a colleague reads neither the opportunity nor the customer's costs
        self.assertEqual(self.customer.with_user(self.colleague).crm_expense_amount, 0.0)
        with self.assertRaises(AccessError):
            self.lead.with_user(self.colleague).read(["crm_expense_amount"])
        # another company's figure is its own
        other = self.env["res.company"].create({"name": "Expense Other Co"})
        self.assertEqual(self.customer.with_company(other).with_context(
            allowed_company_ids=[other.id, self.env.company.id]).crm_expense_amount, 0.0)

    def test_new_expense_from_the_opportunity(self):
        action = self.lead.with_user(self.salesman).action_crm_new_expense()
        self.assertEqual(action["res_model"], "hr.expense")
        expense = self.env["hr.expense"].with_user(self.salesman).with_context(
            **action["context"]).create({"total_amount_currency": 80.0})
        self.assertEqual((expense.opportunity_id, expense.crm_partner_id, expense.employee_id),
                         (self.lead, self.customer, self.employee))
        self.assertEqual(expense.name, "Huachen ERP")
