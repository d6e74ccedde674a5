from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tests.common import JsonRpcException

from .common import CrmMarketingCommon

MONEY_FIELDS = ["budget", "actual_cost", "budget_overrun", "budget_remaining", "segment_id",
                "revenue", "lead_count", "customer_count", "roi", "cost_ids"]


class CampaignCompanyCommon(CrmMarketingCommon):
    """A campaign shared by company A (the main company) and company B: A planned a
    budget, a target segment and costs on it, and earned from it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company_a = cls.company
        cls.company_b = cls.other_company
        only_b = {"company_id": cls.company_b.id, "company_ids": [(6, 0, cls.company_b.ids)]}
        cls.seller_b = new_test_user(
            cls.env, login="crm_mkt_seller_b", name="Seller of B",
            groups="sales_team.group_sale_salesman", **only_b,
        )
        cls.marketer_b = new_test_user(
            cls.env, login="crm_mkt_marketer_b", name="Marketer of B",
            groups="mass_mailing.group_mass_mailing_user,sales_team.group_sale_salesman",
            **only_b,
        )
        cls.segment_a = cls.env["crm.segment"].create(
            {"name": "Tea lovers of A", "domain": "[('city', '=', 'Hangzhou')]"})
        cls.segment_b = cls.env["crm.segment"].with_company(cls.company_b).create(
            {"name": "Tea lovers of B", "domain": "[]", "company_id": cls.company_b.id})
        cls.campaign = cls._campaign(
            "Shared Tea Campaign", company_id=False, budget=1000.0,
            segment_id=cls.segment_a.id)
        cls.cost_a = cls.env["crm.campaign.cost"].create(
            {"campaign_id": cls.campaign.id, "amount": 1500.0, "description": "A's ads"})
        cls._lead(cls.campaign, "opportunity")
        cls._campaign_order(cls.campaign, cls.customer, 3000.0)
        cls.env.flush_all()


@tagged("post_install", "-at_install")
class TestCampaignPerCompany(CampaignCompanyCommon):
    def test_each_company_reads_its_own_figures(self):
        in_a = self.campaign.with_company(self.company_a)
        self.assertEqual(
            (in_a.budget, in_a.actual_cost, in_a.budget_remaining, in_a.budget_overrun,
             in_a.segment_id, in_a.revenue, in_a.lead_count, in_a.customer_count),
            (1000.0, 1500.0, -500.0, True, self.segment_a, 3000.0, 1, 1))
        self.assertAlmostEqual(in_a.roi, 1.0)
        in_b = self.campaign.with_company(self.company_b)
        self.assertEqual(
            (in_b.budget, in_b.actual_cost, in_b.budget_remaining, in_b.budget_overrun,
             in_b.segment_id, in_b.revenue, in_b.lead_count, in_b.customer_count,
             in_b.has_roi, in_b.cost_ids),
            (0.0, 0.0, 0.0, False, self.env["crm.segment"], 0.0, 0, 0, False,
             self.env["crm.campaign.cost"]))

    def test_company_b_plans_its_own_money_on_the_shared_campaign(self):
        as_b = self.campaign.with_user(self.marketer_b)
        as_b.write({"budget": 200.0, "segment_id": self.segment_b.id})
        self.env["crm.campaign.cost"].with_user(self.marketer_b).create(
            {"campaign_id": self.campaign.id, "amount": 50.0})
        self.assertEqual(as_b.company_id.id, False, "the campaign itself stays shared")
        self.assertEqual((as_b.budget, as_b.actual_cost, as_b.segment_id),
                         (200.0, 50.0, self.segment_b))
        self.assertEqual(as_b.cost_ids.mapped("amount"), [50.0])
        self.assertEqual(as_b.cost_ids.company_id, self.company_b)
        self.campaign.invalidate_recordset()
        in_a = self.campaign.with_company(self.company_a)
        self.assertEqual((in_a.budget, in_a.actual_cost, in_a.segment_id),
                         (1000.0, 1500.0, self.segment_a), "A's plan is untouched")
        self.assertEqual(in_a.cost_ids, self.cost_a)

    def test_user_of_both_companies_sees_the_one_they_work_in(self):
        both = new_test_user(
            self.env, login="crm_mkt_both", groups="sales_team.group_sale_salesman",
            company_ids=[(6, 0, (self.company_a | self.company_b).ids)])
        campaign = self.campaign.with_user(both)
        self.assertEqual(
            campaign.with_company(self.company_a).cost_ids, self.cost_a)
        self.assertFalse(campaign.with_company(self.company_b).cost_ids,
                         "B's list does not show A's lines, though both are readable")
        self.assertEqual(campaign.with_company(self.company_b).actual_cost, 0.0)

    def test_segment_of_another_company_refused(self):
        with self.assertRaisesText(ValidationError, "company you work in"):
            self.campaign.with_user(self.marketer_b).segment_id = self.segment_a
        with self.assertRaisesText(ValidationError, "company you work in"):
            self.campaign.segment_id = self.segment_b
        self.assertEqual(self.campaign.segment_id, self.segment_a)
        self.assertFalse(self.campaign.with_company(self.company_b).segment_id)

    def test_over_budget_filter_per_company(self):
        Campaign = self.env["utm.campaign"]
        self.assertIn(self.campaign, Campaign.search([("budget_overrun", "=", True)]))
        self.assertNotIn(self.campaign, Campaign.search([("budget_overrun", "=", False)]))
        self.assertNotIn(self.campaign, Campaign.search([("budget_overrun", "!=", True)]))
        in_b = Campaign.with_company(self.company_b)
        self.assertNotIn(self.campaign, in_b.search([("budget_overrun", "=", True)]))
        self.assertIn(self.campaign, in_b.search([("budget_overrun", "=", False)]))
        # B spends more than its own budget: over budget for B only
        self.campaign.with_company(self.company_b).budget = 10.0
        self.env["crm.campaign.cost"].with_company(self.company_b).create(
            {"campaign_id": self.campaign.id, "amount": 20.0})
        self.assertIn(self.campaign, in_b.search([("budget_overrun", "=", True)]))
        self.campaign.budget = 5000.0
        self.assertNotIn(self.campaign, Campaign.search([("budget_overrun", "=", True)]))
        with self.assertRaises(ValidationError):
            Campaign.search([("budget_overrun", ">", 1)])

    def test_analysis_has_one_row_per_campaign_and_company(self):
        Report = self.env["crm.campaign.report"]
        self.campaign.with_company(self.company_b).budget = 300.0
        self.env["crm.campaign.cost"].with_company(self.company_b).create(
            {"campaign_id": self.campaign.id, "amount": 40.0})
        self.env["crm.lead"].with_company(self.company_b).create({
            "name": "B's lead", "campaign_id": self.campaign.id, "user_id": False,
            "team_id": False, "company_id": self.company_b.id,
        })
        order = self.env["sale.order"].with_company(self.company_b).create({
            "partner_id": self.customer.id, "campaign_id": self.campaign.id,
            "order_line": [(0, 0, {"product_id": self.product.id, "product_uom_qty": 1,
                                   "price_unit": 700.0, "tax_id": [(5, 0, 0)]})],
        })
        order.action_confirm()
        self.env.flush_all()
        rows = Report.search([("campaign_id", "=", self.campaign.id)])
        figures = {
            row.company_id: (row.budget, row.actual_cost, row.revenue, row.profit,
                             row.lead_count, row.segment_id)
            for row in rows
        }
        self.assertEqual(figures, {
            self.company_a: (1000.0, 1500.0, 3000.0, 1500.0, 1, self.segment_a),
            self.company_b: (300.0, 40.0, 700.0, 660.0, 1, self.env["crm.segment"]),
        })
        self.assertEqual(len(set(rows.ids)), 2)
        # each company's users see their company's row only
        as_b = Report.with_user(self.seller_b).search([("campaign_id", "=", self.campaign.id)])
        self.assertEqual(as_b.company_id, self.company_b)
        self.assertEqual(as_b.budget, 300.0)
        as_a = Report.with_user(self.salesman).search([("campaign_id", "=", self.campaign.id)])
        self.assertEqual(as_a.company_id, self.company_a)
        # the pieces of the query are there to be extended
        for piece in (Report._select(), Report._from(), Report._where()):
            self.assertTrue(piece.code)

    def test_cost_lines_of_another_company_hidden(self):
        Cost = self.env["crm.campaign.cost"]
        self.assertFalse(Cost.with_user(self.seller_b).search([("id", "=", self.cost_a.id)]))
        with self.assertRaises(AccessError):
            self.cost_a.with_user(self.marketer_b).read(["amount"])
        with self.assertRaises(AccessError):
            Cost.with_user(self.marketer_b).create({
                "campaign_id": self.campaign.id, "amount": 1.0,
                "company_id": self.company_a.id})


@tagged("post_install", "-at_install")
class TestCampaignPerCompanyOverRpc(CampaignCompanyCommon, HttpCase):
    """What each user gets from the server, through the JSON-RPC of the web client."""

    def _call(self, login, model, method, args, kwargs=None):
        self.authenticate(login, login)
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })

    def _read_campaign(self, login):
        [values] = self._call(
            login, "utm.campaign", "read", [[self.campaign.id], MONEY_FIELDS])
        return values

    def test_salesperson_of_b_reads_none_of_a_figures(self):
        values = self._read_campaign(self.seller_b.login)
        self.assertEqual(
            {name: values[name] for name in MONEY_FIELDS},
            {"budget": 0.0, "actual_cost": 0.0, "budget_overrun": False,
             "budget_remaining": 0.0, "segment_id": False, "revenue": 0.0, "lead_count": 0,
             "customer_count": 0, "roi": False, "cost_ids": []},
        )
        costs = self._call(
            self.seller_b.login, "crm.campaign.cost", "search_read",
            [[("campaign_id", "=", self.campaign.id)], ["amount"]])
        self.assertEqual(costs, [])
        with self.assertRaises(JsonRpcException) as caught:
            self._call(self.seller_b.login, "crm.campaign.cost", "read",
                       [[self.cost_a.id], ["amount"]])
        self.assertEqual(str(caught.exception), "odoo.exceptions.AccessError")
        rows = self._call(
            self.seller_b.login, "crm.campaign.report", "search_read",
            [[("campaign_id", "=", self.campaign.id)], ["budget", "actual_cost", "revenue"]])
        self.assertEqual(
            [(row["budget"], row["actual_cost"], row["revenue"]) for row in rows],
            [(0.0, 0.0, 0.0)], "B's own (empty) row of the shared campaign, not A's")

    def test_salesperson_of_a_reads_them(self):
        values = self._read_campaign(self.salesman.login)
        self.assertEqual(
            (values["budget"], values["actual_cost"], values["budget_overrun"],
             values["budget_remaining"], values["segment_id"][0], values["revenue"],
             values["cost_ids"]),
            (1000.0, 1500.0, True, -500.0, self.segment_a.id, 3000.0, [self.cost_a.id]))

    def test_marketer_of_b_budget_leaves_a_budget_alone(self):
        self._call(self.marketer_b.login, "utm.campaign", "write",
                   [[self.campaign.id], {"budget": 250.0}])
        self.assertEqual(self._read_campaign(self.marketer_b.login)["budget"], 250.0)
        self.assertEqual(self._read_campaign(self.salesman.login)["budget"], 1000.0)
        with self.assertRaises(JsonRpcException) as caught:
            self._call(self.marketer_b.login, "utm.campaign", "write",
                       [[self.campaign.id], {"segment_id": self.segment_a.id}])
        self.assertEqual(str(caught.exception), "odoo.exceptions.ValidationError")
        self.assertFalse(self._read_campaign(self.marketer_b.login)["segment_id"])
