from odoo.tests import tagged

from .common import CrmMarketingCommon


@tagged("post_install", "-at_install")
class TestCampaignCash(CrmMarketingCommon):
    """A campaign measured on the money collected (回款) as well as on orders."""

    def _pay(self, order, amount):
        invoice = order._create_invoices()
        invoice.action_post()
        if amount:
            self.env["account.payment.register"].with_context(
                active_model="account.move", active_ids=invoice.ids,
            ).create({"amount": amount})._create_payments()
        return invoice

    def test_cash_roi_against_hand_computed_figures(self):
        campaign = self._campaign()
        other = self._campaign("Other Campaign")
        self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 500.0})
        first = self._campaign_order(campaign, self.customer, 1200.0)
        second = self._campaign_order(
            campaign, self.env["res.partner"].create({"name": "Second Buyer"}), 800.0)
        self._pay(first, 600.0)
        self._pay(second, 0.0)  # invoiced, nothing paid yet
        self._pay(self._campaign_order(other, self.customer, 300.0), 300.0)
        campaign.invalidate_recordset()
        self.assertAlmostEqual(campaign.revenue, 2000.0)
        self.assertAlmostEqual(campaign.revenue_collected, 600.0)
        # booked: (2000 - 500) / 500 = 300 %; on cash: (600 - 500) / 500 = 20 %
        self.assertAlmostEqual(campaign.roi, 3.0)
        self.assertAlmostEqual(campaign.roi_cash, 0.2)
        self.assertAlmostEqual(campaign.cost_per_customer, 250.0)
        # the analysis has it too, per company
        self.env.flush_all()
        row = self.env["crm.campaign.report"].search([
            ("campaign_id", "=", campaign.id), ("company_id", "=", self.env.company.id)])
        self.assertAlmostEqual(row.revenue_collected, 600.0)
        self.assertAlmostEqual(row.profit_cash, 100.0)
        # another company reads none of this company's cash
        in_other = campaign.with_company(self.other_company).with_context(
            allowed_company_ids=[self.other_company.id, self.env.company.id])
        self.assertEqual(in_other.revenue_collected, 0.0)

    def test_approved_expenses_add_to_the_actual_cost(self):
        campaign = self._campaign(budget=1000.0)
        other = self._campaign("Other Campaign")
        self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 500.0})
        employee = self.env["hr.employee"].create({"name": "Marketer Ma",
                                                   "user_id": self.marketer.id})

        def expense(amount, approve=True):
            line = self.env["hr.expense"].create({
                "name": f"Booth {amount}", "employee_id": employee.id,
                "total_amount_currency": amount, "campaign_id": campaign.id,
            })
            if approve:
                sheet = self.env["hr.expense.sheet"].create({
                    "name": "Fair", "employee_id": employee.id,
                    "expense_line_ids": [(6, 0, line.ids)],
                })
                sheet.action_submit_sheet()
                sheet._do_approve()
            return line

        booth = expense(400.0)
        expense(900.0, approve=False)  # not approved: no cost yet
        campaign.invalidate_recordset()
        self.assertEqual((campaign.cost_line_amount, campaign.expense_amount,
                          campaign.actual_cost), (500.0, 400.0, 900.0))
        self.assertFalse(campaign.budget_overrun)
        # moved to another campaign: its cost goes with it
        booth.campaign_id = other
        (campaign | other).invalidate_recordset()
        self.assertEqual((campaign.actual_cost, other.actual_cost), (500.0, 400.0))
        booth.campaign_id = campaign
        self.env["crm.campaign.cost"].create({"campaign_id": campaign.id, "amount": 200.0})
        campaign.invalidate_recordset()
        self.assertEqual(campaign.actual_cost, 1100.0)
        self.assertIn(campaign, self.env["utm.campaign"].search([("budget_overrun", "=", True)]))
        self.env.flush_all()
        row = self.env["crm.campaign.report"].search([
            ("campaign_id", "=", campaign.id), ("company_id", "=", self.env.company.id)])
        self.assertEqual(row.actual_cost, 1100.0)
        self.assertEqual(campaign.action_view_expenses()["domain"][0],
                         ("campaign_id", "=", campaign.id))
