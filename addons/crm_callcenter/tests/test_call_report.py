from datetime import timedelta

from odoo.tests import tagged
from odoo.tools.safe_eval import safe_eval

from .common import NOW, CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestCallReport(CrmCallcenterCommon):
    """KPIs against calls counted by hand, in a queue of their own (target 20 s)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.caller = env["res.partner"].create({"name": "Other Caller Ltd"})
        cls.lead = env["crm.lead"].create({"name": "KPI lead", "partner_id": cls.customer.id})
        cls.complaint = env["crm.complaint"].create({
            "name": "KPI complaint", "partner_id": cls.customer.id,
        })
        unknown = "+86 10 5555 0000"
        # (days after NOW, direction, partner, agent, state, wait, talk, extra)
        specs = [
            (0, "inbound", cls.customer, cls.agent_a, "done", 10, 100, {"lead_id": cls.lead.id}),
            (2, "inbound", cls.customer, cls.agent_a, "done", 30, 200, {}),  # late
            (0, "inbound", None, cls.agent_b, "done", 5, 60,
             {"phone": unknown, "complaint_id": cls.complaint.id}),
            (0, "inbound", cls.caller, None, "abandoned", 45, 0, {}),
            (0, "inbound", cls.caller, cls.agent_b, "missed", 60, 0, {}),
            (10, "inbound", cls.customer, cls.agent_b, "done", 20, 40, {}),  # just in time
            (0, "outbound", cls.customer, cls.agent_a, "done", 0, 120, {"queue_id": False}),
            (0, "inbound", cls.caller, None, "queued", 0, 0, {}),  # waiting now
        ]
        Call = env["crm.call"].sudo()
        cls.calls = Call
        for days, direction, partner, agent, state, wait, talk, extra in specs:
            start = NOW + timedelta(days=days)
            answered = state == "done"
            cls.calls |= Call.create({
                "direction": direction, "phone": unknown if not partner else False,
                "partner_id": partner.id if partner else False,
                "agent_id": agent.id if agent else False, "queue_id": cls.queue.id,
                "state": state, "date_start": start,
                "date_answered": start + timedelta(seconds=wait) if answered else False,
                "date_end": start + timedelta(seconds=wait + talk)
                if state != "queued" else False,
                "wait_seconds": wait, "duration_seconds": talk, **extra,
            })
        cls.Report = env["crm.call.report"]

    def _kpis(self, domain, groupby=()):
        aggregates = [
            "offered_count:sum", "handled_count:sum", "abandoned_count:sum",
            "missed_count:sum", "answered_count:sum", "lead_count:sum", "complaint_count:sum",
            "abandon_rate:avg", "service_level:avg", "fcr_rate:avg", "avg_wait_seconds:avg",
            "avg_handle_seconds:avg",
        ]
        names = [spec.split(":")[0] for spec in aggregates]
        rows = self.Report.with_context(tz="UTC")._read_group(
            domain + [("call_id", "in", self.calls.ids)], groupby, aggregates)
        return [dict(zip(list(groupby) + names, row, strict=True)) for row in rows]

    def assertKpis(self, kpis, expected):
        for key, value in expected.items():
            if isinstance(value, float):
                self.assertAlmostEqual(kpis[key], value, places=2, msg=key)
            else:
                self.assertEqual(kpis[key], value, key)

    def test_queue_kpis(self):
        [kpis] = self._kpis([("queue_id", "=", self.queue.id)])
        self.assertKpis(kpis, {
            "offered_count": 7, "handled_count": 4, "abandoned_count": 1, "missed_count": 1,
            "lead_count": 1, "complaint_count": 1,
            # 1 abandoned out of 7 offered
            "abandon_rate": 100 / 7,
            # answered within 20 s (10, 5, 20) out of the 6 offered no longer waiting
            "service_level": 50.0,
            # wait of the handled calls: (10 + 30 + 5 + 20) / 4
            "avg_wait_seconds": 16.25,
            # talk of the answered calls: (100 + 200 + 60 + 40) / 4
            "avg_handle_seconds": 100.0,
            # known callers' handled calls (day 0, 2, 10): day 0 is followed by day 2
            "fcr_rate": 200 / 3,
        })

    def test_agent_and_day_kpis(self):
        by_agent = {row["agent_id"]: row for row in self._kpis([], ["agent_id"])}
        # agent A: two inbound handled, one outbound; handle time of all three answered
        self.assertKpis(by_agent[self.agent_a], {
            "offered_count": 2, "handled_count": 2, "answered_count": 3,
            "avg_handle_seconds": (100 + 200 + 120) / 3, "service_level": 50.0,
            "abandon_rate": 0.0,
        })
        self.assertKpis(by_agent[self.agent_b], {
            "offered_count": 3, "handled_count": 2, "missed_count": 1,
            "service_level": 200 / 3, "fcr_rate": 100.0, "avg_wait_seconds": 12.5,
        })
        by_day = {
            getattr(row["date:day"], "date", lambda d=row["date:day"]: d)(): row
            for row in self._kpis([], ["date:day"])
        }
        self.assertKpis(by_day[NOW.date()], {
            "offered_count": 5, "handled_count": 2, "abandoned_count": 1,
            "abandon_rate": 20.0, "service_level": 50.0,
        })
        by_team = {row["team_id"]: row for row in self._kpis([], ["team_id"])}
        self.assertKpis(by_team[self.team], {"offered_count": 7, "handled_count": 4})

    def test_graph_leaves_days_without_calls_out(self):
        """The graph asks for empty days too (fill_temporal) unless its action says
        not to: a day without calls would be plotted as a 0 % service level."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_callcenter.crm_call_report_action")
        context = {"fill_temporal": True, **safe_eval(action["context"], {"uid": self.env.uid})}
        domain = [("call_id", "in", self.calls.ids), ("direction", "=", "inbound")]
        groups = self.Report.with_context(tz="UTC", **context).read_group(
            domain, ["service_level:avg"], ["day:day"])
        # calls on NOW, NOW + 2 and NOW + 10 days only: no empty day between
        self.assertEqual(len(groups), 3, [group["day:day"] for group in groups])
        filled = self.Report.with_context(tz="UTC", fill_temporal=True).read_group(
            domain, ["service_level:avg"], ["day:day"])
        self.assertEqual(len(filled), 11, "what the graph showed: every day of the range")

    def test_rates_without_denominator_are_empty(self):
        outbound = self.calls.filtered(lambda call: call.direction == "outbound")
        [kpis] = self._kpis([("call_id", "=", outbound.id)])
        self.assertEqual(kpis["answered_count"], 1)
        for rate in ("abandon_rate", "service_level", "fcr_rate", "avg_wait_seconds"):
            # no denominator: empty, not 0
            self.assertIs(kpis[rate], False, rate)
        row = self.Report.search([("call_id", "=", outbound.id)])
        self.assertEqual((row.abandon_rate, row.avg_handle_seconds), (0.0, 120.0))

    def test_supervisor_sees_their_teams_kpis(self):
        rows = self.Report.with_user(self.supervisor).search([("call_id", "in", self.calls.ids)])
        # the calls of the team they lead; the outbound call outside any queue is agent A's
        self.assertEqual(rows.call_id, self.calls.filtered("queue_id"))
        other = self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "9", "queue_id": self.desk_queue.id,
            "agent_id": self.agent_c.id, "date_start": NOW,
        })
        self.assertFalse(self.Report.with_user(self.supervisor).search(
            [("call_id", "=", other.id)]))
        self.assertTrue(self.Report.with_user(self.manager).search([("call_id", "=", other.id)]))


@tagged("post_install", "-at_install")
class TestWallboard(CrmCallcenterCommon):

    def _queue(self, now, queue=None):
        queue = (queue or self.queue).with_context(tz="UTC", crm_wallboard_now=now)
        queue.invalidate_recordset()
        return queue

    def _call(self, state, start, wait=0, **vals):
        return self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "+86 10 6552 1234", "queue_id": self.queue.id,
            "state": state, "date_start": start, "date_queued": start,
            "date_answered": start + timedelta(seconds=wait) if state in ("in_progress", "done")
            else False,
            "wait_seconds": wait, **vals,
        })

    def test_live_figures(self):
        now = NOW.replace(hour=15)
        queue = self._queue(now)
        self.assertRecordValues(queue, [{
            "waiting_count": 0, "longest_wait_display": "00:00", "today_offered_count": 0,
            "today_has_service_level": False, "today_below_target": False,
        }])
        self._available(self.agent_a)
        self.agent_b.sudo().state = "away"
        self._call("done", now - timedelta(hours=2), wait=10)
        self._call("done", now - timedelta(hours=1), wait=50)  # late
        self._call("abandoned", now - timedelta(minutes=30), wait=40)
        self._call("done", now - timedelta(days=1), wait=5)  # yesterday
        self._call("queued", now - timedelta(seconds=95))
        self._call("queued", now - timedelta(seconds=30))
        self._call("in_progress", now - timedelta(minutes=3), wait=8, agent_id=self.agent_c.id)
        self.agent_c.sudo().state = "busy"
        self.agent_c.queue_ids |= self.queue
        queue = self._queue(now)
        self.assertRecordValues(queue, [{
            "waiting_count": 2, "longest_wait_seconds": 95, "longest_wait_display": "01:35",
            "agent_available_count": 1, "agent_busy_count": 1, "agent_away_count": 1,
            "today_offered_count": 6, "today_handled_count": 3, "today_abandoned_count": 1,
            "today_has_service_level": True,
        }])
        # answered within 20 s: 10 and 8 out of the 4 no longer waiting, below the 80% goal
        self.assertAlmostEqual(queue.today_service_level, 50.0)
        self.assertTrue(queue.today_below_target)
        queue.service_level_target = 50.0
        self.assertFalse(self._queue(now).today_below_target)
        # the other queue has no call today
        self.assertFalse(self._queue(now, self.desk_queue).today_has_service_level)
        action = queue.action_view_wallboard_calls()
        self.assertEqual(self.env["crm.call"].search_count(action["domain"]), 6)

    def test_wallboard_view_for_supervisors(self):
        action = self.env.ref("crm_callcenter.crm_call_queue_action_wallboard")
        self.assertEqual(action.view_mode, "kanban")
        menu = self.env.ref("crm_callcenter.crm_call_queue_menu_wallboard")
        self.assertIn(self.env.ref("crm_callcenter.group_crm_callcenter_supervisor"),
                      menu.parent_id.groups_id)
        queues = self.env["crm.call.queue"].with_user(self.supervisor).search_read(
            [("id", "=", self.queue.id)],
            ["waiting_count", "today_service_level", "agent_available_count"])
        self.assertEqual(len(queues), 1)
