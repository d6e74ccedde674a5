from odoo.tests import HttpCase, tagged


class CrmMarketingTourCommon(HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # No onboarding tips in the way, and the English labels the tours look for.
        cls.env.ref("base.user_admin").write({"tour_enabled": False, "lang": "en_US"})


@tagged("post_install", "-at_install")
class TestCrmMarketingTours(CrmMarketingTourCommon):
    def test_segment_campaign_costs_roi(self):
        self.env["res.partner"].create([
            {"name": "Tour Member One", "city": "Tour City", "email": "one@example.com"},
            {"name": "Tour Member Two", "city": "Tour City"},
            {"name": "Tour Outsider", "city": "Elsewhere"},
        ])
        self.start_tour(
            "/odoo/action-crm_marketing.crm_segment_action?debug=1",
            "crm_marketing_segment_campaign_tour", login="admin",
        )
        segment = self.env["crm.segment"].search([("name", "=", "Tour Segment Tea Lovers")])
        self.assertEqual(len(segment), 1)
        self.assertEqual(segment.domain, "[(\"city\", \"=\", \"Tour City\")]")
        self.assertEqual(segment.member_count, 2)
        campaign = self.env["utm.campaign"].search([("title", "=", "Tour Campaign Longjing")])
        self.assertEqual(campaign.segment_id, segment)
        self.assertEqual(campaign.budget, 1000.0)
        self.assertEqual(campaign.cost_ids.mapped("amount"), [1200.0])
        self.assertTrue(campaign.budget_overrun)
        self.assertAlmostEqual(campaign.roi, -1.0)


@tagged("post_install", "-at_install")
class TestCrmMarketingToursMobile(CrmMarketingTourCommon):
    browser_size = "375x667"
    touch_enabled = True

    def test_mobile_campaign_roi(self):
        campaign = self.env["utm.campaign"].create({
            "title": "Tour Mobile Campaign", "budget": 5000.0,
            "cost_ids": [(0, 0, {"amount": 800.0, "description": "Ads"})],
        })
        customer = self.env["res.partner"].create({"name": "Tour Mobile Buyer"})
        product = self.env["product.product"].create({"name": "Tour Tea", "type": "service"})
        order = self.env["sale.order"].create({
            "partner_id": customer.id, "campaign_id": campaign.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1,
                                   "price_unit": 2000.0, "tax_id": [(5, 0, 0)]})],
        })
        order.action_confirm()
        self.env["crm.lead"].create(
            [{"name": f"Tour lead {index}", "campaign_id": campaign.id, "type": "lead"}
             for index in range(4)])
        self.start_tour(
            f"/odoo/action-crm_marketing.utm_campaign_action_marketing/{campaign.id}",
            "crm_marketing_mobile_campaign_tour", login="admin",
        )
        self.assertEqual(sorted(campaign.cost_ids.mapped("amount")), [200.0, 800.0])
        self.assertAlmostEqual(campaign.roi, 1.0)

    def test_marketer_reads_cash_roi(self):
        campaign = self.env["utm.campaign"].create({
            "title": "Tour Cash Campaign", "budget": 5000.0,
            "cost_ids": [(0, 0, {"amount": 400.0, "description": "Ads"})],
        })
        employee = self.env["hr.employee"].create({
            "name": "Tour Admin", "user_id": self.env.ref("base.user_admin").id,
        }) if not self.env.ref("base.user_admin").employee_id else \
            self.env.ref("base.user_admin").employee_id
        expense = self.env["hr.expense"].create({
            "name": "Tour booth", "employee_id": employee.id,
            "total_amount_currency": 100.0, "campaign_id": campaign.id,
        })
        sheet = self.env["hr.expense.sheet"].create({
            "name": "Tour fair", "employee_id": employee.id,
            "expense_line_ids": [(6, 0, expense.ids)],
        })
        sheet.action_submit_sheet()
        sheet._do_approve()
        product = self.env["product.product"].create({
            "name": "Tour Oolong", "type": "service", "invoice_policy": "order"})
        order = self.env["sale.order"].create({
            "partner_id": self.env["res.partner"].create({"name": "Tour Cash Buyer"}).id,
            "campaign_id": campaign.id,
            "order_line": [(0, 0, {"product_id": product.id, "product_uom_qty": 1,
                                   "price_unit": 1200.0, "tax_id": [(5, 0, 0)]})],
        })
        order.action_confirm()
        invoice = order._create_invoices()
        invoice.action_post()
        self.env["account.payment.register"].with_context(
            active_model="account.move", active_ids=invoice.ids,
        ).create({"amount": 600.0})._create_payments()
        self.start_tour(
            f"/odoo/action-crm_marketing.utm_campaign_action_marketing/{campaign.id}",
            "crm_marketing_cash_roi_tour", login="admin",
        )
        self.assertAlmostEqual(campaign.roi_cash, 0.2)
