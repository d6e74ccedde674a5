from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.tests import tagged
from odoo.tools import SQL
from odoo.tools.safe_eval import safe_eval

from .common import CrmCoreCommon

# Asia/Shanghai is UTC+8 all year; the ORM stores naive UTC datetimes
# 07:00 on 1 March in Shanghai is 23:00 UTC on 28 February: March
FIRST_MORNING = datetime(2026, 2, 28, 23, 0)
# 23:30 on 31 March in Shanghai: March
LAST_NIGHT = datetime(2026, 3, 31, 15, 30)
# 23:30 on 28 February in Shanghai: February
EVE_BEFORE = datetime(2026, 2, 28, 15, 30)
# 00:30 on 1 April in Shanghai (still 31 March in UTC): April
DAY_AFTER = datetime(2026, 3, 31, 16, 30)


class CompanyTimezoneCase(CrmCoreCommon):
    """The tests' company is in Shanghai (its address's time zone)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"

    def _sql_value(self, expression):
        self.env.flush_all()
        self.env.cr.execute(SQL("SELECT %s", expression))
        return self.env.cr.fetchone()[0]


@tagged("post_install", "-at_install")
class TestCompanyTimezone(CompanyTimezoneCase):

    def test_company_day_helpers(self):
        company = self.company
        self.assertEqual(company._crm_tz(), "Asia/Shanghai")
        self.assertEqual(company._crm_local_date(FIRST_MORNING), date(2026, 3, 1))
        self.assertEqual(company._crm_local_date(LAST_NIGHT), date(2026, 3, 31))
        self.assertEqual(company._crm_local_date(DAY_AFTER), date(2026, 4, 1))
        self.assertEqual(company._crm_day_start(date(2026, 3, 1)), datetime(2026, 2, 28, 16, 0))
        moment = SQL("%s::timestamp", FIRST_MORNING)
        self.assertEqual(self._sql_value(company._crm_local_date_sql(moment)), date(2026, 3, 1))
        self.assertEqual(self._sql_value(self.env["res.company"]._crm_local_date_sql_by_company(
            moment, SQL("%s", company.id))), date(2026, 3, 1))

    def test_time_zone_of_each_company_row_by_row(self):
        """Address first, then working hours; the SQL of several companies agrees with
        each company's own."""
        calendar = self.env["resource.calendar"].create({
            "name": "New York hours", "tz": "America/New_York",
        })
        new_york = self.env["res.company"].create({
            "name": "New York Branch", "resource_calendar_id": calendar.id,
        })
        new_york.partner_id.tz = False
        self.assertEqual(new_york._crm_tz(), "America/New_York")
        # 01:00 UTC on 1 March is still 28 February in New York, 1 March in Shanghai
        moment = SQL("%s::timestamp", datetime(2026, 3, 1, 1, 0))
        Company = self.env["res.company"]
        for company, day in ((self.company, date(2026, 3, 1)), (new_york, date(2026, 2, 28))):
            self.assertEqual(company._crm_local_date(datetime(2026, 3, 1, 1, 0)), day)
            self.assertEqual(self._sql_value(
                Company._crm_local_date_sql_by_company(moment, SQL("%s", company.id))), day)
        # a row without company is in UTC
        self.assertEqual(self._sql_value(
            Company._crm_local_date_sql_by_company(moment, SQL("NULL::int"))), date(2026, 3, 1))
        self.assertEqual(self._sql_value(
            Company._crm_local_date_sql_by_company(SQL("%s::timestamp", DAY_AFTER),
                                                   SQL("NULL::int"))), date(2026, 3, 31))


    def test_competitor_report_dates_are_the_company_days(self):
        competitor = self.env["crm.competitor"].create({"name": "Timezone Rival"})
        lead = self.env["crm.lead"].create({
            "name": "Closed at dawn", "type": "opportunity", "company_id": self.company.id,
            "competitor_ids": [(6, 0, competitor.ids)],
        })
        lead.action_set_won()
        self.env.flush_all()
        self.env.cr.execute(SQL("UPDATE crm_lead SET date_closed = %s WHERE id = %s",
                                FIRST_MORNING, lead.id))
        self.env.invalidate_all()
        row = self.env["crm.competitor.report"].search([("lead_id", "=", lead.id)])
        self.assertEqual(row.date, date(2026, 3, 1), "07:00 on 1 March in Shanghai")


@tagged("post_install", "-at_install")
class TestTargetInCompanyDays(CompanyTimezoneCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.target = cls.env["crm.sales.target"].create({
            "user_id": cls.salesman.id, "period_type": "month", "date_start": "2026-03-01",
            "target_amount": 1000.0,
        })
        cls.first_morning = cls._order(cls.customer, 100.0, date=FIRST_MORNING)
        cls.last_night = cls._order(cls.customer, 20.0, date=LAST_NIGHT)
        cls.eve_before = cls._order(cls.customer, 3000.0, date=EVE_BEFORE)
        cls.day_after = cls._order(cls.customer, 40000.0, date=DAY_AFTER)

    def test_achieved_counts_the_company_days_of_the_period(self):
        self.target.invalidate_recordset()
        # 07:00 on 1 March and 23:30 on 31 March in Shanghai; not 23:30 on 28 February
        # nor 00:30 on 1 April (with UTC days: 20 + 40000)
        self.assertAlmostEqual(self.target.achieved_amount, 120.0)
        self.assertAlmostEqual(self.target.attainment, 12.0)

    def test_orders_of_the_target_are_the_counted_ones(self):
        action = self.target.action_view_orders()
        orders = self.env["sale.order"].search(action["domain"])
        self.assertEqual(orders, self.first_morning | self.last_night)

    def test_forecast_months_are_the_company_months(self):
        self.env.flush_all()
        groups = self.env["crm.sales.forecast.report"]._read_group(
            [("user_id", "=", self.salesman.id), ("figure", "=", "achieved"),
             ("company_id", "=", self.company.id)],
            ["date:month"], ["achieved_amount:sum"])
        self.assertEqual(dict(groups), {
            date(2026, 2, 1): 3000.0, date(2026, 3, 1): 120.0, date(2026, 4, 1): 40000.0,
        })
        # what was achieved in a month is what its target counts
        [achieved] = self.env["crm.sales.forecast.report"]._read_group(
            [("user_id", "=", self.salesman.id), ("date", "=", "2026-03-01")], [],
            ["achieved_amount:sum"])[0]
        self.target.invalidate_recordset()
        self.assertAlmostEqual(achieved, self.target.achieved_amount)

    def test_new_target_starts_in_the_company_month(self):
        self.assertEqual(self.env["crm.sales.target"].default_get(["date_start"])["date_start"],
                         self.company._crm_today().replace(day=1))


@tagged("post_install", "-at_install")
class TestForecastDefaultPeriod(CrmCoreCommon):
    """The forecast opens on the current quarter and the next one."""

    def _default_filter(self, lang=None):
        """The filter the forecast's action sets by default, as its search view
        gives it (in ``lang``)."""
        action = self.env.ref("crm_core.crm_sales_forecast_report_action")
        context = safe_eval(action.context)
        defaults = [key.removeprefix("search_default_") for key, value in context.items()
                    if key.startswith("search_default_") and value]
        self.assertEqual(defaults, ["this_and_next_quarter"])
        Report = self.env["crm.sales.forecast.report"].with_context(lang=lang)
        views = Report.get_views([(action.search_view_id.id, "search")])
        arch = etree.fromstring(views["views"]["search"]["arch"])
        [node] = arch.xpath("//filter[@name='this_and_next_quarter']")
        return node

    def _domain_on(self, node, today):
        """The filter's domain as the web client evaluates it on ``today``."""
        return safe_eval(node.get("domain"), {
            "context_today": lambda: today,
            "relativedelta": relativedelta,
        })

    def test_default_is_this_quarter_and_next(self):
        node = self._default_filter()
        self.assertEqual(node.get("string"), "This Quarter and Next")
        cases = {
            date(2026, 1, 1): ("2026-01-01", "2026-07-01"),
            date(2026, 5, 15): ("2026-04-01", "2026-10-01"),
            date(2026, 6, 30): ("2026-04-01", "2026-10-01"),
            date(2026, 8, 31): ("2026-07-01", "2027-01-01"),
            date(2026, 11, 30): ("2026-10-01", "2027-04-01"),
            date(2026, 12, 31): ("2026-10-01", "2027-04-01"),
        }
        for today, (start, stop) in cases.items():
            with self.subTest(today=today):
                self.assertEqual(self._domain_on(node, today),
                                 [("date", ">=", start), ("date", "<", stop)])

    def test_default_selects_six_months_of_targets(self):
        self.env["crm.sales.target"].create({
            "target_type": "team", "team_id": self.team.id, "period_type": "year",
            "date_start": "2026-01-01", "target_amount": 12000,
        })
        self.env["crm.sales.target"].create({
            "target_type": "team", "team_id": self.team.id, "period_type": "year",
            "date_start": "2027-01-01", "target_amount": 24000,
        })
        self.env.flush_all()
        node = self._default_filter()
        Report = self.env["crm.sales.forecast.report"]
        for today, months in (
            (date(2026, 5, 15), [date(2026, month, 1) for month in range(4, 10)]),
            (date(2026, 11, 2), [date(2026, 10, 1), date(2026, 11, 1), date(2026, 12, 1),
                                 date(2027, 1, 1), date(2027, 2, 1), date(2027, 3, 1)]),
        ):
            with self.subTest(today=today):
                rows = Report.search([("team_id", "=", self.team.id),
                                      *self._domain_on(node, today)])
                self.assertEqual(sorted(set(rows.mapped("date"))), months)

    def test_default_filter_in_chinese(self):
        if not self.env["res.lang"]._lang_get("zh_CN"):
            self.env["res.lang"]._activate_lang("zh_CN")
            self.env["ir.module.module"].search(
                [("name", "=", "crm_core")])._update_translations(["zh_CN"])
        english = self._default_filter()
        chinese = self._default_filter(lang="zh_CN")
        self.assertEqual(chinese.get("string"), "本季度和下季度")
        self.assertEqual(chinese.get("domain"), english.get("domain"))
        self.assertEqual(self._domain_on(chinese, date(2026, 5, 15)),
                         [("date", ">=", "2026-04-01"), ("date", "<", "2026-10-01")])
