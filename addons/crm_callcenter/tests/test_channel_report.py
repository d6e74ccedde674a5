from datetime import date, datetime, timedelta

from odoo import Command
from odoo.exceptions import AccessError
from odoo.tests import tagged
from odoo.tools import SQL

from .common import CrmCallcenterCommon

# Asia/Shanghai is UTC+8; the ORM stores naive UTC datetimes
# 07:00 on 1 March in Shanghai is 23:00 UTC on 28 February
FIRST_MORNING = datetime(2026, 2, 28, 23, 0)
# 23:30 on 28 February in Shanghai
EVE_BEFORE = datetime(2026, 2, 28, 15, 30)
# 10:00 on 1 March in Shanghai, 02:00 UTC: "now" of the wallboard
MORNING_NOW = datetime(2026, 3, 1, 2, 0)


class ChannelItemsCase(CrmCallcenterCommon):
    """Calls, live chats and complaints of one queue (target 20 s) of a call center
    in Shanghai, each with a known outcome."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.company.partner_id.tz = "Asia/Shanghai"
        cls.kpi_queue = env["crm.call.queue"].create({
            "name": "Omnichannel Desk", "code": "OMNI", "team_id": cls.team.id,
            "service_level_seconds": 20,
        })
        cls.stage_closed = env["crm.complaint.stage"].search(
            [("is_closed", "=", True)], limit=1)
        cls.stage_open = env["crm.complaint.stage"].search(
            [("is_closed", "=", False)], limit=1)

    @classmethod
    def _call(cls, start, state, wait=0, talk=0):
        answered = state in ("in_progress", "done")
        return cls.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "+86 10 6552 1234",
            "queue_id": cls.kpi_queue.id, "state": state, "date_start": start,
            "agent_id": cls.agent_a.id if answered else False,
            "date_answered": start + timedelta(seconds=wait) if answered else False,
            "date_end": start + timedelta(seconds=wait + talk) if state != "queued" else False,
            "wait_seconds": wait, "duration_seconds": talk,
        })

    @classmethod
    def _session(cls, created, status, answer_after=None, visitor=None, last_after=None):
        """A live chat session the queue offered, opened at ``created``; its last
        message ``last_after`` seconds after it opened, if given."""
        visitor = visitor or cls.customer
        operator = cls.user_a.partner_id
        chat = cls.env["discuss.channel"].sudo().create({
            "name": f"Chat of {visitor.name}", "channel_type": "livechat",
            "livechat_operator_id": operator.id, "livechat_active": status == "waiting",
            "crm_queue_id": cls.kpi_queue.id, "crm_chat_status": status,
            "crm_date_answered": created + timedelta(seconds=answer_after)
            if answer_after is not None else False,
            "channel_member_ids": [Command.create({"partner_id": operator.id}),
                                   Command.create({"partner_id": visitor.id})],
        })
        if last_after is not None:
            message = chat.message_post(body="Thank you, goodbye.", message_type="comment",
                                        author_id=operator.id)
            message.flush_recordset()
            cls.env.cr.execute(SQL(
                "UPDATE mail_message SET date = %s WHERE id = %s",
                created + timedelta(seconds=last_after), message.id))
        chat.flush_recordset()
        cls.env.cr.execute(SQL(
            "UPDATE discuss_channel SET create_date = %s WHERE id = %s", created, chat.id))
        chat.invalidate_recordset(["create_date"])
        return chat

    @classmethod
    def _complaint(cls, received, owner=None, assign_after=None, closed=False,
                   resolve_after=None):
        """A complaint the queue took (received by phone: nothing assigns it by
        itself), assigned by the queue ``assign_after`` seconds after it came in."""
        complaint = cls.env["crm.complaint"].sudo().create({
            "name": "Channel KPI complaint", "partner_id": cls.customer.id,
            "channel": "phone", "date_received": received, "team_id": cls.team.id,
            "stage_id": cls.stage_open.id,
        })
        complaint.write({
            "acd_queue_id": cls.kpi_queue.id,
            "user_id": owner.id if owner else False,
            "acd_date_assigned": received + timedelta(seconds=assign_after)
            if assign_after is not None else False,
        })
        if closed:
            complaint.stage_id = cls.stage_closed
            complaint.resolved_date = received + timedelta(seconds=resolve_after) \
                if resolve_after is not None else False
        return complaint


@tagged("post_install", "-at_install")
class TestChannelReport(ChannelItemsCase):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calls = (
            cls._call(FIRST_MORNING, "done", wait=10, talk=100)
            | cls._call(EVE_BEFORE, "abandoned", wait=45)
            | cls._call(MORNING_NOW - timedelta(minutes=5), "queued")
        )
        cls.chats = (
            # ended: its last message 5 minutes after the operator's answer
            cls._session(FIRST_MORNING, "answered", answer_after=15, last_after=315)
            # late; ended 100 s after the answer
            | cls._session(EVE_BEFORE, "answered", answer_after=40, last_after=140)
            | cls._session(FIRST_MORNING + timedelta(hours=1), "abandoned")
            | cls._session(MORNING_NOW - timedelta(minutes=10), "waiting")
        )
        cls.complaints = (
            cls._complaint(FIRST_MORNING, cls.user_a, assign_after=5, closed=True,
                           resolve_after=3605)
            | cls._complaint(EVE_BEFORE, closed=True)  # closed without an owner
            | cls._complaint(FIRST_MORNING)  # waiting for an agent
            | cls._complaint(EVE_BEFORE - timedelta(days=1))  # waiting since two days
        )
        cls.Report = cls.env["crm.channel.report"].with_context(tz="UTC")

    def _kpis(self, groupby, domain=()):
        aggregates = [
            "offered_count:sum", "handled_count:sum", "abandoned_count:sum",
            "waiting_count:sum", "avg_wait_seconds:avg", "avg_handle_seconds:avg",
            "service_level:avg", "abandon_rate:avg",
        ]
        names = [spec.split(":")[0] for spec in aggregates]
        rows = self.Report._read_group(
            [("queue_id", "=", self.kpi_queue.id), *domain], groupby, aggregates)
        return {tuple(row[:len(groupby)]): dict(zip(names, row[len(groupby):], strict=True))
                for row in rows}

    def assertKpis(self, kpis, expected):
        for key, value in expected.items():
            if isinstance(value, float):
                self.assertAlmostEqual(kpis[key], value, places=2, msg=key)
            else:
                self.assertEqual(kpis[key], value, key)

    def test_kpis_by_channel(self):
        kpis = self._kpis(["channel"])
        self.assertEqual(set(kpis), {("call",), ("chat",), ("complaint",)})
        self.assertKpis(kpis["call",], {
            "offered_count": 3, "handled_count": 1, "abandoned_count": 1, "waiting_count": 1,
            "avg_wait_seconds": 10.0, "avg_handle_seconds": 100.0,
            # answered within 20 s: 1 of the 2 no longer waiting
            "service_level": 50.0,
        })
        self.assertKpis(kpis["chat",], {
            "offered_count": 4, "handled_count": 2, "abandoned_count": 1, "waiting_count": 1,
            # answered after 15 s and 40 s
            "avg_wait_seconds": 27.5,
            # within 20 s: 1 of the 3 answered or abandoned
            "service_level": 100 / 3, "abandon_rate": 25.0,
        })
        # answer to last message: 300 s and 100 s (the session still waiting counts no
        # handle time)
        self.assertAlmostEqual(kpis["chat",]["avg_handle_seconds"], 200.0, places=2)
        self.assertKpis(kpis["complaint",], {
            "offered_count": 4, "handled_count": 1, "abandoned_count": 1, "waiting_count": 2,
            # assigned 5 s after it came in, resolved an hour after its assignment
            "avg_wait_seconds": 5.0, "avg_handle_seconds": 3600.0,
            # assigned within 20 s: 1 of the 2 no longer waiting (the closed one too)
            "service_level": 50.0,
        })
        # all channels of the queue together: rates are ratios of the sums
        [total] = self._kpis([]).values()
        self.assertKpis(total, {
            "offered_count": 11, "handled_count": 4, "abandoned_count": 3,
            "waiting_count": 4, "avg_wait_seconds": (10 + 15 + 40 + 5) / 4,
            "avg_handle_seconds": (100 + 3600 + 300 + 100) / 4, "service_level": 3 / 7 * 100,
        })

    def test_days_are_the_company_days(self):
        """07:00 in Shanghai on 1 March (23:00 UTC the day before) is 1 March, for a
        reader in UTC."""
        kpis = self._kpis(["channel", "day:day"])
        offered = {key: figures["offered_count"] for key, figures in kpis.items()}
        self.assertEqual(offered, {
            ("call", date(2026, 2, 28)): 1, ("call", date(2026, 3, 1)): 2,
            ("chat", date(2026, 2, 28)): 1, ("chat", date(2026, 3, 1)): 3,
            ("complaint", date(2026, 2, 27)): 1, ("complaint", date(2026, 2, 28)): 1,
            ("complaint", date(2026, 3, 1)): 2,
        })
        rows = self.Report.search([("queue_id", "=", self.kpi_queue.id),
                                   ("channel", "=", "chat")])
        self.assertEqual(
            {row.record_ref: row.day for row in rows}[self.chats[0]], date(2026, 3, 1))
        self.assertEqual({row.record_ref for row in rows}, set(self.chats))
        self.assertTrue(all(row.partner_id == self.customer for row in rows),
                        "the visitor, not the operator, is the customer")
        self.assertEqual(rows.user_id, self.user_a)

    def test_existing_call_report_unchanged(self):
        [figures] = self.env["crm.call.report"]._read_group(
            [("queue_id", "=", self.kpi_queue.id)], [], ["offered_count:sum"])
        self.assertEqual(figures, (3,), "the call report counts calls only")

    def test_wallboard_figures_per_channel(self):
        """Today (1 March in Shanghai, from 16:00 UTC on 28 February): waiting now,
        whenever it came in; handled and abandoned today."""
        queue = self.kpi_queue.with_context(tz="UTC", crm_wallboard_now=MORNING_NOW)
        self.assertEqual(
            (queue.waiting_count, queue.today_handled_count, queue.today_abandoned_count),
            (1, 1, 0), "the abandoned call was on 28 February")
        self.assertEqual(
            (queue.chat_waiting_count, queue.today_chat_handled_count,
             queue.today_chat_abandoned_count), (1, 1, 1))
        self.assertEqual(
            (queue.complaint_waiting_count, queue.today_complaint_handled_count,
             queue.today_complaint_abandoned_count), (2, 1, 0))
        # the late chat of 28 February (23:30 in Shanghai) is not today's; the
        # waiting visitor leaves: abandoned today
        self.chats[1].sudo().crm_chat_status = "abandoned"
        self.chats[3].sudo().livechat_active = False
        queue.invalidate_recordset()
        self.assertEqual((queue.chat_waiting_count, queue.today_chat_abandoned_count), (0, 2))

    def test_wallboard_card_shows_the_channels(self):
        arch = self.env.ref("crm_callcenter.crm_call_queue_view_kanban_wallboard").arch
        for name in ("chat_waiting_count", "today_chat_handled_count",
                     "today_complaint_abandoned_count"):
            self.assertIn(name, arch)

    def test_report_for_supervisors_only(self):
        action = self.env.ref("crm_callcenter.crm_channel_report_action")
        self.assertEqual(action.res_model, "crm.channel.report")
        self.assertIn("pivot", action.view_mode)
        menu = self.env.ref("crm_callcenter.crm_channel_report_menu")
        self.assertEqual(menu.parent_id, self.env.ref("crm_callcenter.crm_callcenter_menu_report"))
        # the supervisor of the team sees the queue's figures
        rows = self.env["crm.channel.report"].with_user(self.supervisor).search(
            [("queue_id", "=", self.kpi_queue.id)])
        self.assertEqual(len(rows), 11)
        with self.assertRaises(AccessError):
            self.env["crm.channel.report"].with_user(self.user_b).search([])
