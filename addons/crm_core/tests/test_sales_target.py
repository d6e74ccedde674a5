from datetime import date, datetime

from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from .common import CrmCoreCommon


@tagged("post_install", "-at_install")
class TestSalesTarget(CrmCoreCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.target = cls.env["crm.sales.target"].create({
            "target_type": "user",
            "user_id": cls.salesman.id,
            "period_type": "month",
            "date_start": "2026-03-01",
            "target_amount": 1000.0,
        })

    def test_period_end_follows_period_type(self):
        self.assertEqual(self.target.date_end, date(2026, 3, 31))
        with Form(self.env["crm.sales.target"]) as form:
            form.user_id = self.salesman
            form.period_type = "quarter"
            form.date_start = date(2026, 4, 1)
            form.target_amount = 5000
            self.assertEqual(form.date_end, date(2026, 6, 30))
            form.period_type = "year"
            self.assertEqual(form.date_end, date(2027, 3, 31))

    def test_achieved_counts_confirmed_orders_of_the_period(self):
        # the company's days (in UTC here: test_company_timezone covers other zones)
        self.company.partner_id.tz = "UTC"
        self._order(self.customer, 300.0, date=datetime(2026, 3, 2, 10))
        self._order(self.customer, 200.0, date=datetime(2026, 3, 31, 22))
        # not counted: a quotation, an order of April, a colleague's, a cancelled one
        self._order(self.customer, 999.0, date=datetime(2026, 3, 5), confirm=False)
        self._order(self.customer, 999.0, date=datetime(2026, 4, 1, 0, 30))
        self._order(self.customer, 999.0, user=self.colleague, date=datetime(2026, 3, 5))
        self._order(self.customer, 999.0, date=datetime(2026, 3, 6))._action_cancel()
        self.target.invalidate_recordset()
        self.assertAlmostEqual(self.target.achieved_amount, 500.0)
        self.assertAlmostEqual(self.target.attainment, 50.0)

    def test_achieved_is_in_company_currency(self):
        other = self.env.ref("base.CNY")
        if other == self.company.currency_id:
            other = self.env.ref("base.EUR")
        other.active = True
        self.env["res.currency.rate"].search([("currency_id", "=", other.id)]).unlink()
        self.env["res.currency.rate"].create({
            "currency_id": other.id, "name": "2020-01-01", "rate": 4.0,
            "company_id": self.company.id,
        })
        order = self._order(self.customer, 800.0, currency=other,
                            date=datetime(2026, 3, 10))
        self.assertEqual(order.currency_id, other)
        self.target.invalidate_recordset()
        self.assertAlmostEqual(self.target.achieved_amount, 200.0)

    def test_team_target_counts_every_member(self):
        team_target = self.env["crm.sales.target"].create({
            "target_type": "team", "team_id": self.team.id, "period_type": "quarter",
            "date_start": "2026-01-01", "target_amount": 4000.0,
        })
        self._order(self.customer, 1000.0, date=datetime(2026, 2, 1))
        self._order(self.customer, 1000.0, user=self.colleague, date=datetime(2026, 3, 1))
        self.assertAlmostEqual(team_target.achieved_amount, 2000.0)
        self.assertAlmostEqual(team_target.attainment, 50.0)

    def test_achieved_of_many_targets_in_one_query(self):
        targets = self.target
        for month in range(4, 13):
            targets |= self.target.copy({"date_start": date(2026, month, 1)})
        targets.invalidate_recordset()
        with self.assertQueryCount(2):  # the flush check and the aggregate
            targets.mapped("achieved_amount")

    def test_negative_target_is_refused(self):
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            self.target.target_amount = -1
            self.target.flush_recordset()
        self.target.invalidate_recordset()
        self.assertEqual(self.target.target_amount, 1000.0)

    def test_end_before_start_is_refused(self):
        with self.assertRaisesText(ValidationError, "cannot be before its start"):
            self.target.write({"date_end": "2026-02-01"})
        self.target.invalidate_recordset()
        self.assertEqual(self.target.date_end, date(2026, 3, 31))

    def test_error_in_chinese_for_chinese_user(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        manager = self.manager
        manager.lang = "zh_CN"
        with self.assertRaisesText(ValidationError, "销售目标不能为负数"):
            self.env["crm.sales.target"].with_user(manager).with_context(lang="zh_CN").create({
                "user_id": self.salesman.id, "date_start": "2026-05-01",
                "target_amount": -10,
            })
        self.assertFalse(self.env["crm.sales.target"].search([("target_amount", "<", 0)]))

    def test_salesman_sees_own_target_only(self):
        colleague_target = self.target.copy({"user_id": self.colleague.id})
        visible = self.env["crm.sales.target"].with_user(self.salesman).search([])
        self.assertIn(self.target, visible)
        self.assertNotIn(colleague_target, visible)
        with self.assertRaises(AccessError):
            colleague_target.with_user(self.salesman).read(["target_amount"])
        with self.assertRaises(AccessError):
            self.target.with_user(self.salesman).write({"target_amount": 1})

    def test_salesman_sees_team_targets(self):
        team_target = self.env["crm.sales.target"].create({
            "target_type": "team", "team_id": self.team.id, "date_start": "2026-03-01",
            "target_amount": 10,
        })
        self.assertIn(team_target, self.env["crm.sales.target"].with_user(self.salesman).search([]))

    def test_leader_and_manager_see_all(self):
        colleague_target = self.target.copy({"user_id": self.colleague.id})
        for user in (self.leader, self.manager):
            self.assertIn(colleague_target, self.env["crm.sales.target"].with_user(user).search([]))
        colleague_target.with_user(self.manager).target_amount = 50
        self.assertEqual(colleague_target.target_amount, 50)

    def test_other_company_sees_nothing(self):
        company_b = self.env["res.company"].create({"name": "Company B"})
        user_b = self.env["res.users"].create({
            "name": "Bo", "login": "crm_core_bo", "company_id": company_b.id,
            "company_ids": [(6, 0, [company_b.id])],
            "groups_id": [(6, 0, [self.env.ref("sales_team.group_sale_manager").id])],
        })
        self.assertFalse(self.env["crm.sales.target"].with_user(user_b).search([]))
        with self.assertRaises(AccessError):
            self.target.with_user(user_b).read(["target_amount"])

    def test_overlapping_target_of_the_same_kind_refused(self):
        Target = self.env["crm.sales.target"]
        values = {"target_type": "user", "user_id": self.salesman.id, "period_type": "month",
                  "date_start": "2026-03-01", "target_amount": 500.0}
        with self.assertRaisesText(ValidationError, "already has a month target"):
            Target.create(values)
        with self.assertRaisesText(ValidationError, "2026-03-01"):
            Target.with_user(self.manager).create({**values, "date_start": "2026-02-15"})
        # a month within a quarter, another salesperson, the team: all fine
        Target.create({**values, "period_type": "quarter", "date_start": "2026-01-01"})
        Target.create({**values, "user_id": self.colleague.id})
        Target.create({"target_type": "team", "team_id": self.team.id, "period_type": "month",
                       "date_start": "2026-03-01", "target_amount": 5000.0})
        # an archived target no longer counts, and cannot come back over its successor
        self.target.action_archive()
        successor = Target.create(values)
        with self.assertRaises(ValidationError):
            self.target.action_unarchive()
        self.assertTrue(successor.active)
        self.assertFalse(self.target.active)
