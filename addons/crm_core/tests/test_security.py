"""What the server refuses, from the side of the user who must be refused, over
JSON-RPC as any client would call it."""

from datetime import date

from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged

from .common import CrmCoreCommon, RpcMixin


@tagged("post_install", "-at_install")
class TestCoreSecurity(RpcMixin, CrmCoreCommon, HttpCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.lead = cls.env["crm.lead"].create({
            "name": "Small deal", "type": "opportunity", "user_id": cls.salesman.id,
            "team_id": cls.team.id, "expected_revenue": 100,
        })
        cls.rival = cls.env["crm.competitor"].create({"name": "Rival Ltd"})
        cls.customer.birthdate = date(1980, 5, 17)

    def test_measured_lead_flags_are_the_servers(self):
        for name, value in (("is_big_deal", True), ("big_deal_notified", True)):
            for context in ({}, {"crm_core_big_deal_notifying": True}):
                error = self.assertRpcRefused(
                    AccessError, "crm_core_salesman", "crm.lead", "write",
                    [self.lead.id], {name: value}, context=context,
                )
                self.assertIn("cannot be set by hand", error["message"])
        self.assertFalse(self.lead.is_big_deal)
        self.assertFalse(self.lead.big_deal_notified)
        # a normal edit of the lead still works for its salesperson
        self.rpc_result("crm_core_salesman", "crm.lead", "write", [self.lead.id],
                        {"name": "Small deal, renamed"})
        self.assertEqual(self.lead.name, "Small deal, renamed")

    def test_customer_since_is_for_managers(self):
        self.assertRpcRefused(
            AccessError, "crm_core_salesman", "res.partner", "write", [self.customer.id],
            {"customer_since": "2020-01-01"},
        )
        self.assertFalse(self.customer.customer_since)
        self.assertRpcRefused(
            AccessError, "crm_core_salesman", "res.partner", "create",
            {"name": "Backdated", "customer_since": "2001-01-01"},
        )
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Backdated")]))
        self.rpc_result("crm_core_manager", "res.partner", "write", [self.customer.id],
                        {"customer_since": "2020-01-01"})
        self.assertEqual(self.customer.customer_since, date(2020, 1, 1))
        # sending back the value unchanged is no change
        self.rpc_result("crm_core_salesman", "res.partner", "write", [self.customer.id],
                        {"customer_since": "2020-01-01", "comment": "Met at the fair"})

    def test_target_overflow_is_a_clear_error(self):
        for amount in (1e308, -1e308, 1e16):
            error = self.assertRpcRefused(
                ValidationError, "crm_core_manager", "crm.sales.target", "create",
                {"target_type": "user", "user_id": self.salesman.id, "period_type": "month",
                 "date_start": "2031-01-01", "target_amount": amount},
            )
            self.assertIn("out of range", error["message"])
        self.assertFalse(self.env["crm.sales.target"].search([("date_start", "=", "2031-01-01")]))
        error = self.assertRpcRefused(
            ValidationError, "crm_core_manager", "crm.sales.target", "create",
            {"target_type": "user", "user_id": self.salesman.id, "period_type": "month",
             "date_start": "2031-01-01", "target_amount": "a lot"},
        )
        self.assertIn("must be a number", error["message"])

    def test_overflow_refused_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.manager.lang = "zh_CN"
        self.env["ir.module.module"].search([("name", "=", "crm_core")])._update_translations(
            ["zh_CN"]
        )
        error = self.rpc_error(
            "crm_core_manager", "crm.team", "write", [self.team.id],
            {"big_deal_threshold": 1e300},
        )
        self.assertEqual(error["name"], "odoo.exceptions.ValidationError")
        self.assertIn("超出", error["message"])

    def test_huge_age_searches_return_what_they_mean(self):
        Partner = self.env["res.partner"]
        for value in (10**12, 10**6, 500):
            self.assertFalse(Partner.search([("age", ">", value)]))
            self.assertFalse(Partner.search([("age", "=", value)]))
            self.assertIn(self.customer, Partner.search([("age", "<", value)]))
        self.assertIn(self.customer, Partner.search([("age", ">", -(10**12))]))
        self.assertFalse(Partner.search([("age", "<", -(10**12))]))
        found = self.rpc_result("crm_core_salesman", "res.partner", "search",
                                [("age", ">=", 10**15)])
        self.assertEqual(found, [])
        self.assertRpcRefused(ValidationError, "crm_core_salesman", "res.partner", "search",
                              [("age", ">=", "old")])

    def test_birthdate_within_bounds(self):
        with self.assertRaisesText(ValidationError, "1900"):
            self.customer.birthdate = date(1850, 1, 1)

    def test_salesperson_cannot_archive_competitor(self):
        error = self.assertRpcRefused(
            AccessError, "crm_core_salesman", "crm.competitor", "action_archive",
            [self.rival.id],
        )
        self.assertIn("Sales", error["message"])
        self.assertRpcRefused(
            AccessError, "crm_core_salesman", "crm.competitor", "write", [self.rival.id],
            {"active": False},
        )
        self.assertTrue(self.rival.active)
        # editing what they know of the competitor stays theirs
        self.rpc_result("crm_core_salesman", "crm.competitor", "write", [self.rival.id],
                        {"strengths": "Fast delivery"})
        self.rpc_result("crm_core_manager", "crm.competitor", "action_archive",
                        [self.rival.id])
        self.assertFalse(self.rival.active)

    def test_target_and_its_team_agree_on_the_company(self):
        company_b = self.env["res.company"].create({"name": "Core Company B"})
        team_b = self.env["crm.team"].create({"name": "Team B", "company_id": company_b.id})
        with self.assertRaises(UserError):
            self.env["crm.sales.target"].with_user(self.manager).create({
                "target_type": "team", "team_id": team_b.id, "period_type": "month",
                "date_start": "2031-02-01", "target_amount": 10.0,
                "company_id": self.env.company.id,
            })

    def test_portal_user_reads_no_internal_profile(self):
        portal = new_test_user(self.env, login="crm_core_portal", name="Portal Pan",
                               groups="base.group_portal")
        portal.partner_id.sudo().write({"customer_tier": "key", "lifecycle_stage": "stability"})
        for name in ("customer_tier", "lifecycle_stage", "income_band", "customer_since",
                     "acquisition_source_id"):
            self.assertRpcRefused(AccessError, "crm_core_portal", "res.partner", "read",
                                  [portal.partner_id.id], [name])
        [own] = self.rpc_result("crm_core_portal", "res.partner", "read",
                                [portal.partner_id.id], ["name", "email"])
        self.assertEqual(own["name"], "Portal Pan")
