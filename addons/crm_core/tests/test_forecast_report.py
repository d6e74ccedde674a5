from datetime import date, datetime

from odoo.tests import tagged

from .common import CrmCoreCommon


@tagged("post_install", "-at_install")
class TestForecastReport(CrmCoreCommon):
    MEASURES = ("forecast_amount", "pipeline_amount", "achieved_amount",
                "user_target_amount", "team_target_amount")

    def _rows(self, **domain):
        """Figures per month of the report rows matching ``domain``."""
        self.env.flush_all()
        groups = self.env["crm.sales.forecast.report"]._read_group(
            [(key, "=", value) for key, value in domain.items()], ["date:month"],
            [f"{measure}:sum" for measure in self.MEASURES])
        return {
            month: dict(zip(self.MEASURES, values, strict=True))
            for month, *values in groups
        }

    def test_forecast_next_to_targets(self):
        Lead = self.env["crm.lead"]
        Lead.create([
            {"name": "May A", "type": "opportunity", "user_id": self.salesman.id,
             "team_id": self.team.id, "expected_revenue": 1000, "probability": 50,
             "date_deadline": "2026-05-10"},
            {"name": "May B", "type": "opportunity", "user_id": self.salesman.id,
             "team_id": self.team.id, "expected_revenue": 2000, "probability": 10,
             "date_deadline": "2026-05-28"},
            {"name": "June", "type": "opportunity", "user_id": self.salesman.id,
             "team_id": self.team.id, "expected_revenue": 400, "probability": 25,
             "date_deadline": "2026-06-01"},
            {"name": "Lead, not opportunity", "type": "lead", "user_id": self.salesman.id,
             "team_id": self.team.id, "expected_revenue": 99999, "date_deadline": "2026-05-01"},
        ])
        Target = self.env["crm.sales.target"]
        Target.create({
            "user_id": self.salesman.id, "period_type": "month", "date_start": "2026-05-01",
            "target_amount": 900,
        })
        Target.create({
            "target_type": "team", "team_id": self.team.id, "period_type": "quarter",
            "date_start": "2026-04-01", "target_amount": 3000,
        })
        self._order(self.customer, 250.0, date=datetime(2026, 5, 3))

        mine = self._rows(user_id=self.salesman.id)
        may = mine[date(2026, 5, 1)]
        self.assertAlmostEqual(may["forecast_amount"], 700.0)  # 1000 * 50% + 2000 * 10%
        self.assertAlmostEqual(may["pipeline_amount"], 3000.0)
        self.assertAlmostEqual(may["user_target_amount"], 900.0)
        self.assertAlmostEqual(may["achieved_amount"], 250.0)
        self.assertAlmostEqual(mine[date(2026, 6, 1)]["forecast_amount"], 100.0)

        team = self.env["crm.sales.forecast.report"]._read_group(
            [("team_id", "=", self.team.id)], ["date:month"],
            ["team_target_amount:sum", "forecast_amount:sum"])
        by_month = {month: values for month, *values in team}
        # a quarter's target is spread over its three months
        self.assertAlmostEqual(by_month[date(2026, 4, 1)][0], 1000.0)
        self.assertAlmostEqual(by_month[date(2026, 5, 1)][0], 1000.0)
        self.assertAlmostEqual(by_month[date(2026, 6, 1)][0], 1000.0)
        self.assertAlmostEqual(by_month[date(2026, 5, 1)][1], 700.0)

    def test_shortest_overlapping_target_counts(self):
        Target = self.env["crm.sales.target"]
        Target.create({
            "target_type": "team", "team_id": self.team.id, "period_type": "year",
            "date_start": "2026-01-01", "target_amount": 12000,
        })
        Target.create({
            "target_type": "team", "team_id": self.team.id, "period_type": "month",
            "date_start": "2026-02-01", "target_amount": 5000,
        })
        self.env.flush_all()
        groups = self.env["crm.sales.forecast.report"]._read_group(
            [("team_id", "=", self.team.id)], ["date:month"], ["team_target_amount:sum"])
        by_month = dict(groups)
        self.assertAlmostEqual(by_month[date(2026, 1, 1)], 1000.0)
        self.assertAlmostEqual(by_month[date(2026, 2, 1)], 5000.0)
        self.assertAlmostEqual(by_month[date(2026, 3, 1)], 1000.0)

    def test_won_and_lost_are_not_forecast(self):
        lead = self.env["crm.lead"].create({
            "name": "Soon won", "type": "opportunity", "user_id": self.colleague.id,
            "expected_revenue": 1000, "probability": 90, "date_deadline": "2026-07-15",
        })
        self.assertAlmostEqual(
            self._rows(user_id=self.colleague.id)[date(2026, 7, 1)]["forecast_amount"], 900.0)
        lead.action_set_won()
        self.assertNotIn(date(2026, 7, 1), self._rows(user_id=self.colleague.id))

    def test_salesman_sees_own_rows(self):
        self.env["crm.lead"].create({
            "name": "Colleague's", "type": "opportunity", "user_id": self.colleague.id,
            "expected_revenue": 100, "probability": 50, "date_deadline": "2026-08-15",
        })
        other_team = self.env["crm.team"].create({"name": "Team West"})
        Target = self.env["crm.sales.target"]
        Target.create({
            "target_type": "team", "team_id": other_team.id, "date_start": "2026-08-01",
            "target_amount": 700,
        })
        Target.create({
            "target_type": "team", "team_id": self.team.id, "date_start": "2026-08-01",
            "target_amount": 500,
        })
        self.env.flush_all()
        rows = self.env["crm.sales.forecast.report"].with_user(self.salesman).search([])
        self.assertNotIn(self.colleague, rows.user_id)
        self.assertIn(self.team, rows.team_id)
        self.assertNotIn(other_team, rows.team_id)

    def test_figures_side_by_side_and_salesperson_targets_on_team_rows(self):
        self.env["crm.lead"].create({
            "name": "September", "type": "opportunity", "user_id": self.salesman.id,
            "team_id": self.team.id, "expected_revenue": 1000, "probability": 40,
            "date_deadline": "2026-09-20",
        })
        Target = self.env["crm.sales.target"]
        Target.create({
            "user_id": self.salesman.id, "period_type": "month", "date_start": "2026-09-01",
            "target_amount": 800,
        })
        Target.create({
            "target_type": "team", "team_id": self.team.id, "period_type": "month",
            "date_start": "2026-09-01", "target_amount": 2000,
        })
        self._order(self.customer, 300.0, date=datetime(2026, 9, 5))
        self.env.flush_all()
        self.assertEqual(self.salesman.sale_team_id, self.team)
        groups = self.env["crm.sales.forecast.report"]._read_group(
            [("team_id", "=", self.team.id), ("date", "=", "2026-09-01")],
            ["figure"], ["amount:sum"])
        # what the graph shows, grouped by figure: one bar each
        self.assertEqual(dict(groups), {
            "forecast": 400.0, "achieved": 300.0, "user_target": 800.0, "team_target": 2000.0,
        })
        # the measures of the pivot agree with the figures
        [sums] = self.env["crm.sales.forecast.report"]._read_group(
            [("team_id", "=", self.team.id), ("date", "=", "2026-09-01")], [],
            ["user_target_amount:sum", "team_target_amount:sum"])
        self.assertEqual(sums, (800.0, 2000.0))
