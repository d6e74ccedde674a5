from psycopg2 import IntegrityError

from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmCoreCommon


@tagged("post_install", "-at_install")
class TestCompetitor(CrmCoreCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Competitor = cls.env["crm.competitor"]
        cls.rival = Competitor.create({"name": "Rival Ltd", "price_position": "lower"})
        cls.other = Competitor.create({"name": "Other Inc", "price_position": "higher"})
        cls.won_stage = cls.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        Lead = cls.env["crm.lead"].with_user(cls.salesman)
        cls.lead_lost = Lead.create({
            "name": "Lost deal", "type": "opportunity", "user_id": cls.salesman.id,
            "partner_id": cls.customer.id, "expected_revenue": 1000,
            "competitor_ids": [(6, 0, [cls.rival.id, cls.other.id])],
        })
        cls.lead_won = Lead.create({
            "name": "Won deal", "type": "opportunity", "user_id": cls.salesman.id,
            "expected_revenue": 500, "competitor_ids": [(6, 0, [cls.rival.id])],
        })
        cls.lead_open = cls.env["crm.lead"].create({
            "name": "Open deal", "type": "opportunity", "user_id": cls.colleague.id,
            "competitor_ids": [(6, 0, [cls.rival.id])],
        })
        cls._flush_tracking()

    def _mark_lost(self, leads, competitor):
        wizard = self.env["crm.lead.lost"].with_user(self.salesman).create({
            "lead_ids": [(6, 0, leads.ids)],
            "lost_reason_id": self.env.ref("crm.lost_reason_1").id,
            "competitor_id": competitor.id,
        })
        wizard.action_lost_reason_apply()

    def test_lost_wizard_names_the_winner(self):
        self._mark_lost(self.lead_lost, self.rival)
        self.assertFalse(self.lead_lost.active)
        self.assertEqual(self.lead_lost.probability, 0)
        self.assertEqual(self.lead_lost.lost_competitor_id, self.rival)
        self._flush_tracking()
        self.assertIn("Rival Ltd", self.lead_lost.sudo().message_ids.tracking_value_ids.mapped(
            "new_value_char"))

    def test_winner_not_named_before_is_added(self):
        newcomer = self.env["crm.competitor"].create({"name": "Newcomer"})
        self._mark_lost(self.lead_won, newcomer)
        self.assertIn(newcomer, self.lead_won.competitor_ids)

    def test_report_of_wins_and_losses(self):
        self._mark_lost(self.lead_lost, self.rival)
        self.lead_won.action_set_won()
        self.env.flush_all()
        Report = self.env["crm.competitor.report"]
        outcomes = {
            (row.competitor_id, row.lead_id): row.outcome
            for row in Report.search([("competitor_id", "in", (self.rival | self.other).ids)])
        }
        self.assertEqual(outcomes, {
            (self.rival, self.lead_lost): "lost_to",
            (self.other, self.lead_lost): "lost_other",
            (self.rival, self.lead_won): "won",
            (self.rival, self.lead_open): "open",
        })
        groups = Report._read_group(
            [("competitor_id", "=", self.rival.id)], [],
            ["won_count:sum", "lost_count:sum", "open_count:sum"])
        self.assertEqual(groups, [(1, 1, 1)])
        self.rival.invalidate_recordset()
        self.assertEqual(
            (self.rival.lead_count, self.rival.won_count, self.rival.lost_count), (3, 1, 1))
        action = self.rival.action_view_report()
        self.assertEqual(Report.search_count(action["domain"]), 3)

    def test_counts_agree_with_revenues(self):
        """Each count has its revenue, and together they make the opportunities and
        their expected revenue: no competitor shows revenue without a count (the
        opportunities lost to another competitor were counted nowhere)."""
        self._mark_lost(self.lead_lost, self.rival)
        self.lead_won.action_set_won()
        self.lead_open.expected_revenue = 9000
        self.env.flush_all()
        outcomes = ["won", "lost", "lost_other", "open"]
        groups = self.env["crm.competitor.report"]._read_group(
            [("competitor_id", "in", (self.rival | self.other).ids)], ["competitor_id"],
            ["__count", "expected_revenue:sum",
             *(f"{outcome}_count:sum" for outcome in outcomes),
             *(f"{outcome}_revenue:sum" for outcome in outcomes)])
        figures = {}
        for competitor, count, revenue, *values in groups:
            counts, revenues = values[:4], values[4:]
            self.assertEqual(sum(counts), count, competitor.name)
            self.assertAlmostEqual(sum(revenues), revenue, msg=competitor.name)
            figures[competitor] = dict(zip(outcomes, zip(counts, revenues, strict=True),
                                           strict=True))
        self.assertEqual(figures[self.other]["lost_other"], (1, 1000))
        self.assertEqual(figures[self.rival]["open"], (1, 9000))
        self.assertEqual(figures[self.rival]["won"], (1, 500))

    def test_competitor_record_is_the_companys(self):
        """A salesperson reads the company's record against a competitor (what the
        company knows of it), and only their own deals in the report."""
        self.lead_open.sudo().action_set_won()
        self.env.flush_all()
        rival = self.rival.with_user(self.salesman)
        self.assertEqual((rival.lead_count, rival.won_count), (3, 1),
                         "the colleague's win counts in the competitor's record")
        rows = self.env["crm.competitor.report"].with_user(self.salesman).search(
            [("competitor_id", "=", self.rival.id)])
        self.assertNotIn(self.lead_open, rows.lead_id, "the colleague's deal is theirs")

    def test_salesman_report_shows_own_opportunities(self):
        rows = self.env["crm.competitor.report"].with_user(self.salesman).search(
            [("competitor_id", "=", self.rival.id)])
        self.assertEqual(rows.lead_id, self.lead_lost | self.lead_won)

    def test_salesman_cannot_delete_competitor(self):
        with self.assertRaises(AccessError):
            self.rival.with_user(self.salesman).unlink()
        self.rival.with_user(self.manager).unlink()
        self.assertFalse(self.rival.exists())

    def test_name_is_unique_per_company(self):
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError):
            self.env["crm.competitor"].create({"name": "Rival Ltd"})
            self.env.flush_all()

    def test_other_company_sees_nothing(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = self.env["res.users"].create({
            "name": "Bo", "login": "crm_core_bo_competitor", "company_id": company_b.id,
            "company_ids": [(6, 0, [company_b.id])],
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])],
        })
        self.assertFalse(self.env["crm.competitor"].with_user(user_b).search(
            [("id", "in", (self.rival | self.other).ids)]))
        with self.assertRaises(AccessError):
            self.rival.with_user(user_b).read(["name"])
        self.assertFalse(self.env["crm.competitor.report"].with_user(user_b).search([]))

    def test_only_those_who_may_create_are_offered_to(self):
        """The Mark Lost dialog offers to create the winner only to sales administrators,
        who alone may create competitors (shared master data, like lost reasons)."""
        for user, allowed in ((self.salesman, "False"), (self.manager, "True")):
            arch = self.env["crm.lead.lost"].with_user(user).get_views([(False, "form")])[
                "views"]["form"]["arch"]
            self.assertRegex(arch, rf'name="competitor_id"[^>]*can_create="{allowed}"')
        with self.assertRaises(AccessError):
            self.env["crm.competitor"].with_user(self.salesman).create({"name": "Upstart"})
        self.env["crm.competitor"].with_user(self.manager).create({"name": "Upstart"})
