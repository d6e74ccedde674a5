from datetime import date, datetime, time, timedelta

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo.tests import tagged

from .common import CrmMarketingCommon

# Asia/Shanghai is UTC+8 all year; the ORM stores naive UTC datetimes
# 07:00 on 1 March in Shanghai is 23:00 UTC on 28 February: an order of 1 March
FIRST_MORNING = datetime(2026, 2, 28, 23, 0)
# 01:00 on 8 March in Shanghai, still 7 March in UTC
EIGHTH_AT_ONE = datetime(2026, 3, 7, 17, 0)
# 23:00 on 7 March in Shanghai
SEVENTH_AT_ELEVEN = datetime(2026, 3, 7, 15, 0)


def shanghai(day, hour, minute=0):
    """The naive UTC datetime of ``hour:minute`` on ``day`` in Shanghai."""
    return datetime.combine(day, time(hour, minute)) - timedelta(hours=8)


class MarketingTimezoneCase(CrmMarketingCommon):
    """The tests' company is in Shanghai (its address's time zone); whoever runs the
    jobs is in UTC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.env = cls.env(context=dict(cls.env.context, tz="UTC"))


@tagged("post_install", "-at_install")
class TestCareRulesInCompanyDays(MarketingTimezoneCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.buyer = cls.env["res.partner"].create({"name": "Dawn Buyer"})
        cls.order = cls._order(cls.buyer, 100.0, date=FIRST_MORNING)

    def _rule(self, trigger, days):
        return self.env["crm.care.rule"].create({
            "name": f"Shanghai {trigger}", "trigger": trigger, "days": days,
            "date_start": date(2026, 1, 1), "user_id": self.leader.id,
        })

    def _orders_due(self, rule, today=None):
        return rule._run(today).filtered(lambda log: log.partner_id == self.buyer).sale_order_id

    def test_days_after_an_order_count_from_its_company_day(self):
        rule = self._rule("after_order", 7)
        # ordered on 1 March in Shanghai: due on 8 March, not on 7 March
        self.assertFalse(self._orders_due(rule, date(2026, 3, 7)), "not a day early")
        self.assertEqual(self._orders_due(rule, date(2026, 3, 8)), self.order)

    def test_inactivity_counts_from_the_company_day_of_the_last_order(self):
        rule = self._rule("inactive", 30)
        # last ordered on 1 March in Shanghai: 30 days without an order on 31 March
        self.assertFalse(self._orders_due(rule, date(2026, 3, 30)), "not a day early")
        self.assertEqual(self._orders_due(rule, date(2026, 3, 31)), self.order)

    def test_the_job_acts_on_the_company_day(self):
        """Run by the job in UTC: today is the rule's company's day."""
        self.order.warranty_end_date = date(2026, 3, 18)
        rule = self._rule("before_end", 10)
        with freeze_time(SEVENTH_AT_ELEVEN):
            self.assertFalse(self._orders_due(rule), "still 7 March in Shanghai")
        with freeze_time(EIGHTH_AT_ONE):
            self.assertEqual(self._orders_due(rule), self.order, "8 March in Shanghai")
        after_order = self._rule("after_order", 7)
        with freeze_time(SEVENTH_AT_ELEVEN):
            self.assertFalse(self._orders_due(after_order))
        with freeze_time(EIGHTH_AT_ONE):
            self.assertEqual(self._orders_due(after_order), self.order)

    def test_care_activity_due_on_the_company_day(self):
        """The job's user is in UTC, still on 7 March: the salesperson's activity is
        due on 8 March, the company's day, not overdue from the start."""
        self.buyer.user_id = self.salesman
        rule = self._rule("after_order", 7)
        with freeze_time(EIGHTH_AT_ONE):
            self._orders_due(rule)
        activity = self.buyer.activity_ids.filtered(lambda a: a.user_id == self.salesman)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.date_deadline, date(2026, 3, 8))

    def test_new_rule_active_from_the_company_day(self):
        with freeze_time(EIGHTH_AT_ONE):
            defaults = self.env["crm.care.rule"].default_get(["date_start"])
        self.assertEqual(defaults["date_start"], date(2026, 3, 8))


@tagged("post_install", "-at_install")
class TestOrderBehaviourInCompanyDays(MarketingTimezoneCase):
    """Days since the last order and the period of the segments are the company's
    days, counted from the company's today (the database's session is in UTC).

    Whatever the hour the test runs at, counting in UTC days gets one of them wrong."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        today = cls.company._crm_today()
        Partner = cls.env["res.partner"]
        cls.dawn, cls.night, cls.older = Partner.create([
            {"name": "Dawn Buyer"}, {"name": "Night Buyer"}, {"name": "Older Buyer"},
        ])
        cls.buyers = cls.dawn | cls.night | cls.older
        three_days_ago = today - timedelta(days=3)
        cls._order(cls.dawn, 100.0, date=shanghai(three_days_ago, 7))
        cls._order(cls.night, 20.0, date=shanghai(three_days_ago, 23, 30))
        cls._order(cls.older, 3.0, date=shanghai(three_days_ago - timedelta(days=1), 23, 30))

    def test_days_since_last_order(self):
        self.buyers.invalidate_recordset()
        self.assertEqual(
            {buyer.name: buyer.crm_days_since_last_order for buyer in self.buyers},
            {"Dawn Buyer": 3, "Night Buyer": 3, "Older Buyer": 4})
        Partner = self.env["res.partner"]
        self.assertEqual(Partner.search([("id", "in", self.buyers.ids),
                                         ("crm_days_since_last_order", "<=", 3)]),
                         self.dawn | self.night)

    def test_period_counts_the_company_days(self):
        buyers = self.buyers.with_context(crm_period_days=3)
        buyers.invalidate_recordset()
        self.assertEqual(
            {buyer.name: (buyer.crm_order_count, buyer.crm_spend) for buyer in buyers},
            {"Dawn Buyer": (1, 100.0), "Night Buyer": (1, 20.0), "Older Buyer": (0, 0.0)})
        Partner = self.env["res.partner"].with_context(crm_period_days=3)
        self.assertEqual(Partner.search([("id", "in", self.buyers.ids),
                                         ("crm_order_count", ">=", 1)]),
                         self.dawn | self.night)


@tagged("post_install", "-at_install")
class TestLoyaltySpendInCompanyDays(MarketingTimezoneCase):

    def test_twelve_months_are_the_company_days(self):
        program = self.env["loyalty.program"].create({
            "name": "Shanghai Club", "program_type": "loyalty", "crm_tier_basis": "spend",
        })
        tiers = self.env["crm.loyalty.tier"].create([
            {"name": "Basic", "program_id": program.id, "threshold": 0},
            {"name": "Silver", "program_id": program.id, "threshold": 100},
            {"name": "Gold", "program_id": program.id, "threshold": 500},
        ])
        buyer = self.env["res.partner"].create({"name": "Club Member"})
        self.env["loyalty.card"].create({"program_id": program.id, "partner_id": buyer.id})
        first_day = self.company._crm_today() - relativedelta(months=12)
        # the first day of the twelve months, at 07:00 in Shanghai: counted
        self._order(buyer, 300.0, date=shanghai(first_day, 7))
        # the evening before, at 23:30 in Shanghai: not counted
        self._order(buyer, 400.0, date=shanghai(first_day - timedelta(days=1), 23, 30))
        program._crm_apply_tiers()
        self.assertEqual(buyer.loyalty_tier_id.name, "Silver", "300 in the last 12 months")
        self.assertEqual(len(tiers), 3)
