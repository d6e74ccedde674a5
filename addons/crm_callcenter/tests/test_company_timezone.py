from datetime import date, datetime, timedelta

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import CrmCallcenterCommon

# Asia/Shanghai is UTC+8; the ORM stores naive UTC datetimes
# 07:00 on 1 March in Shanghai is 23:00 UTC on 28 February
FIRST_MORNING = datetime(2026, 2, 28, 23, 0)
# 23:30 on 31 March in Shanghai
LAST_NIGHT = datetime(2026, 3, 31, 15, 30)
# 23:30 on 28 February in Shanghai
EVE_BEFORE = datetime(2026, 2, 28, 15, 30)
# 10:00 on 1 March in Shanghai, 02:00 UTC
MORNING_NOW = datetime(2026, 3, 1, 2, 0)


@tagged("post_install", "-at_install")
class TestCallCenterCompanyDays(CrmCallcenterCommon):
    """A call center in Shanghai: its days are the company's, whoever looks (the
    readers below are in UTC)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.partner_id.tz = "Asia/Shanghai"
        Call = cls.env["crm.call"].sudo()

        def call(start, **values):
            return Call.create({
                "direction": "inbound", "phone": "+86 10 6552 1234", "queue_id": cls.queue.id,
                "state": "done", "date_start": start, "date_queued": start,
                "date_answered": start + timedelta(seconds=5), "wait_seconds": 5,
                "agent_id": cls.agent_a.id, **values,
            })

        cls.first_morning = call(FIRST_MORNING)
        cls.last_night = call(LAST_NIGHT)
        cls.eve_before = call(EVE_BEFORE)
        cls.calls = cls.first_morning | cls.last_night | cls.eve_before
        cls.Report = cls.env["crm.call.report"].with_context(tz="UTC")

    def test_report_day_is_the_company_day(self):
        rows = self.Report.search([("call_id", "in", self.calls.ids)])
        self.assertEqual({row.call_id: row.day for row in rows}, {
            self.first_morning: date(2026, 3, 1),
            self.last_night: date(2026, 3, 31),
            self.eve_before: date(2026, 2, 28),
        })
        by_month = dict(self.Report._read_group(
            [("call_id", "in", self.calls.ids)], ["day:month"], ["offered_count:sum"]))
        self.assertEqual(by_month, {date(2026, 2, 1): 1, date(2026, 3, 1): 2})
        by_day = dict(self.Report._read_group(
            [("call_id", "in", self.calls.ids)], ["day:day"], ["offered_count:sum"]))
        self.assertEqual(by_day, {
            date(2026, 2, 28): 1, date(2026, 3, 1): 1, date(2026, 3, 31): 1,
        })

    def test_views_count_the_company_days(self):
        action = self.env.ref("crm_callcenter.crm_call_report_action")
        views = self.Report.get_views([(False, "graph"), (action.search_view_id.id, "search")])
        graph = etree.fromstring(views["views"]["graph"]["arch"])
        self.assertEqual(graph.xpath("//field[@interval]")[0].get("name"), "day")
        search = etree.fromstring(views["views"]["search"]["arch"])
        [day] = search.xpath("//filter[@name='group_day']")
        self.assertEqual(safe_eval(day.get("context"))["group_by"], "day:day")
        # the last 30 days are the company's days, seen on 1 April in Shanghai
        [last_30] = search.xpath("//filter[@name='last_30_days']")
        domain = safe_eval(last_30.get("domain"), {
            "context_today": lambda: date(2026, 4, 1), "relativedelta": relativedelta,
        })
        self.assertEqual(
            self.Report.search([("call_id", "in", self.calls.ids), *domain]).call_id,
            self.last_night)

    def test_wallboard_today_is_the_company_day(self):
        # 10:00 on 1 March in Shanghai: today's call is the one at 07:00, not the one at
        # 23:30 the evening before (in UTC, both were on 28 February)
        queue = self.queue.with_context(tz="UTC", crm_wallboard_now=MORNING_NOW)
        self.assertRecordValues(queue, [{"today_offered_count": 1, "today_handled_count": 1}])
        action = queue.action_view_wallboard_calls()
        self.assertEqual(self.env["crm.call"].search(action["domain"]) & self.calls,
                         self.first_morning)
        # the reader's own time zone changes nothing
        queue = self.queue.with_context(tz="America/New_York", crm_wallboard_now=MORNING_NOW)
        queue.invalidate_recordset()
        self.assertEqual(queue.today_offered_count, 1)

    def test_wallboard_of_queues_of_two_companies(self):
        """Each queue counts from its own company's midnight, in one query."""
        calendar = self.env["resource.calendar"].create({"name": "UTC hours", "tz": "UTC"})
        london = self.env["res.company"].create({
            "name": "UTC Branch", "resource_calendar_id": calendar.id,
        })
        london.partner_id.tz = "UTC"
        other = self.env["crm.call.queue"].create({
            "name": "UTC line", "code": "UTCQ", "company_id": london.id,
        })
        self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "1", "queue_id": other.id,
            "company_id": london.id, "state": "abandoned", "date_start": FIRST_MORNING,
        })
        queues = (self.queue | other).with_context(crm_wallboard_now=MORNING_NOW)
        # 23:00 UTC on 28 February: today in Shanghai, yesterday in UTC
        self.assertEqual(queues.mapped("today_offered_count"), [1, 0])

    def test_least_busy_counts_the_company_day(self):
        """Least busy: the calls of the company's day. Agent A took a call at 07:00
        this morning in Shanghai (still yesterday in UTC); agent B none, but A has been
        idle longer."""
        self.queue.strategy = "least_busy"
        (self.last_night | self.eve_before).agent_id = self.agent_c
        self._available(self.agent_a, self.agent_b, since=datetime(2026, 3, 1, 1, 0))
        agents = self.agent_a | self.agent_b
        self.assertEqual(self.queue._acd_pick(agents, MORNING_NOW), self.agent_b)
