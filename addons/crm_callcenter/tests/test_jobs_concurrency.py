from datetime import datetime, timedelta
from unittest.mock import patch

from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields
from odoo.osv import expression
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from odoo.addons.bus.models.bus import channel_with_db, json_dump

# a moment long past: the jobs that are given their time find only the records of
# these tests, never the database's own
NOW = datetime(2000, 1, 3, 10, 0, 0)
PREFIX = "Jobs concurrency"


class JobsConcurrencyCase(TransactionCase):
    """Two runs at the same moment of a scheduled job of the call center, each in its
    own transaction, as two cron workers (or a worker and a manual run) would: the
    data is committed in a cursor of its own (the test's cursor is never committed),
    and removed again at the end, children first.

    Each test runs the job in ``cr_1`` (not committed), then in ``cr_2``: the second
    run skips what the first holds, or fails with a lock error (the host's cron rolls
    it back); then, ``cr_1`` committed, a second run whose snapshot predates that
    commit fails with a serialization error rather than act on what it still sees
    as to do; a run begun after the commit finds nothing left. In a fresh cursor,
    each item was handled exactly once: none twice, none lost."""

    def setUp(self):
        super().setUp()
        self.created = {key: [] for key in ("users", "agents", "queues", "calls", "lists")}
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            self._create_data(env)
            env.flush_all()
            # what the set-up itself logged or notified is not counted
            self.tracking_start = self._last_id(env, "mail_tracking_value")
            self.bus_start = self._last_id(env, "bus_bus")
        self.addCleanup(self._cleanup)

    def _create_data(self, env):
        raise NotImplementedError

    @staticmethod
    def _last_id(env, table):
        env.cr.execute(SQL("SELECT COALESCE(MAX(id), 0) FROM %s", SQL.identifier(table)))
        return env.cr.fetchone()[0]

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            users = env["res.users"].browse(self.created["users"]).exists()
            partners = users.partner_id
            env["bus.presence"].search([("user_id", "in", users.ids)]).unlink()
            lists = env["crm.call.list"].browse(self.created["lists"]).exists()
            env["crm.call.list.entry"].search([("list_id", "in", lists.ids)]).unlink()
            lists.unlink()
            env["crm.call"].browse(self.created["calls"]).exists().unlink()
            env["crm.call.agent"].browse(self.created["agents"]).exists().unlink()
            env["crm.call.queue"].browse(self.created["queues"]).exists().unlink()
            users.unlink()
            channels = [json_dump(channel_with_db(cr.dbname, partner)) for partner in partners]
            partners.unlink()
        # the notifications sent to the agents' web clients, by the jobs and by the
        # removal itself (a bus message is only deleted otherwise after a day)
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["bus.bus"].search(expression.OR([
                [("channel", operator, value)]
                for channel in channels
                # the partner's channel, and its subchannels (presence)
                for operator, value in (("=", channel), ("=like", f"{channel[:-1]},%"))
            ])).unlink()

    # data --------------------------------------------------------------------

    def _agents(self, env, vals_list, queue=None):
        """Agents, and their users, with ``vals_list`` (in ``queue``, if given)."""
        group = env.ref("crm_callcenter.group_crm_callcenter_agent")
        start = len(self.created["users"]) + 1
        numbers = range(start, start + len(vals_list))
        users = env["res.users"].with_context(no_reset_password=True).create([{
            "name": f"{PREFIX} Agent {number}", "login": f"jobs_concurrency_{number}",
            "groups_id": [(6, 0, group.ids)], "tz": "UTC",
        } for number in numbers])
        self.created["users"] += users.ids
        agents = env["crm.call.agent"].create([{
            "user_id": user.id, "extension": f"97{number:02d}",
            "queue_ids": [(6, 0, queue.ids if queue else [])], **vals,
        } for number, user, vals in zip(numbers, users, vals_list, strict=True)])
        self.created["agents"] += agents.ids
        return agents

    def _queue(self, env, name, code, **vals):
        queue = env["crm.call.queue"].create({
            "name": f"{PREFIX} {name}", "code": code, "overflow_action": "none", **vals,
        })
        self.created["queues"].append(queue.id)
        return queue

    def _calls(self, env, queue, count, since):
        """``count`` inbound calls waiting in ``queue`` since ``since``."""
        start = len(self.created["calls"])
        calls = env["crm.call"].create([{
            "direction": "inbound", "phone": f"+86 21 5555 98{start + index:02d}",
            "queue_id": queue.id, "state": "queued", "routing_rule": "queued",
            "routing_steps": [{"code": "waiting", "queue": queue.id}],
            "date_start": since, "date_queued": since,
        } for index in range(count)])
        self.created["calls"] += calls.ids
        return calls

    # runs and checks ---------------------------------------------------------

    @staticmethod
    def _env(cr):
        return api.Environment(cr, api.SUPERUSER_ID, {})

    @staticmethod
    def _no_wait(cr):
        """A lock held by the other cursor fails at once: the test never hangs."""
        cr.execute("SET LOCAL lock_timeout = '2s'")

    def _job(self, model, method):
        """A run of the job ``method`` of ``model`` at ``NOW`` in a cursor: the
        sorted ids of the records it handled."""
        def run(cr):
            env = self._env(cr)
            records = getattr(env[model], method)(NOW)
            env.flush_all()
            return sorted(records.ids)
        return run

    def _two_runs_skip_then_fail(self, run, first):
        """The second of two runs skips what the first holds, fails on what the
        first committed after the second's snapshot, finds nothing afterwards.

        :param run: runs the job in a cursor, returns the sorted ids it handled
        :param first: the ids the first run handles
        """
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self._no_wait(cr_2)
            self.assertEqual(run(cr_1), first)
            # the first run is not committed: what it handles is locked, skipped
            self.assertEqual(run(cr_2), [])
            cr_1.commit()
            # the second run's snapshot predates the commit: what it still sees to
            # do, it may not lock
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                run(cr_2)
            cr_2.rollback()
            # a later run finds nothing left
            self.assertEqual(run(cr_2), [])
            cr_2.commit()

    def _tracked(self, env, model, ids, fname):
        """{record id: [(old, new)]}: the changes of ``fname`` tracked since the
        set-up (ids for a many2one, labels for a selection)."""
        field = env["ir.model.fields"]._get(model, fname)
        values = env["mail.tracking.value"].search([
            ("id", ">", self.tracking_start), ("field_id", "=", field.id),
            ("mail_message_id.model", "=", model), ("mail_message_id.res_id", "in", ids),
        ], order="id")
        result = {res_id: [] for res_id in ids}
        for value in values:
            result[value.mail_message_id.res_id].append(
                (value.old_value_integer, value.new_value_integer)
                if field.ttype == "many2one" else (value.old_value_char, value.new_value_char))
        return result

    def _notified(self, env, agent_ids, kind):
        """{agent id: the notifications ``kind`` sent since the set-up to their
        user's web clients}."""
        return {
            agent.id: env["bus.bus"].search_count([
                ("id", ">", self.bus_start),
                ("channel", "=", json_dump(channel_with_db(
                    env.cr.dbname, agent.user_id.partner_id))),
                ("message", "=like", f'{{"type":"{kind}",%'),
            ])
            for agent in env["crm.call.agent"].browse(agent_ids)
        }


@tagged("post_install", "-at_install")
class TestOverflowConcurrency(JobsConcurrencyCase):
    """``crm.call._cron_overflow_queued_calls``: no lock of its own (it searches the
    calls, then writes them): the second run waits for the first's row locks, and
    fails when the first commits."""

    def _create_data(self, env):
        # the job reads the clock itself: calls that waited an hour, past the minute
        since = fields.Datetime.now() - timedelta(hours=1)
        self.target = self._queue(env, "Overflow", "JCOVF")
        self.main = self._queue(env, "Main", "JCMAIN", max_wait_seconds=60,
                                overflow_action="queue", overflow_queue_id=self.target.id)
        self.voicemail = self._queue(env, "Voicemail", "JCVM", max_wait_seconds=60,
                                     overflow_action="voicemail")
        # one agent free in the overflow queue: the first overflowed call rings for them
        self.agent = self._agents(env, [{"state": "available", "date_state": NOW}],
                                  queue=self.target)
        self.to_queue = self._calls(env, self.main, 2, since)
        self.to_voicemail = self._calls(env, self.voicemail, 1, since)

    def test_two_runs_never_overflow_a_call_twice(self):
        Call = self.registry["crm.call"]
        original = Call._acd_overflow
        overflowed = []

        def spy(call, now=None):
            overflowed.append(call.id)
            return original(call, now)

        def run(cr):
            """The job in ``cr``, flushed as the cron's commit would: the calls it
            overflowed."""
            overflowed.clear()
            env = self._env(cr)
            env["crm.call"]._cron_overflow_queued_calls()
            env.flush_all()
            return sorted(overflowed)

        calls = self.to_queue | self.to_voicemail
        with patch.object(Call, "_acd_overflow", spy), \
                self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self._no_wait(cr_2)
            self.assertEqual(run(cr_1), calls.ids)
            # the first run is not committed: the second waits for its row locks
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                run(cr_2)
            cr_2.rollback()
            # a second run begins before the first commits: it sees the calls waiting
            self.assertEqual(self._env(cr_2)["crm.call"].search(
                [("id", "in", calls.ids), ("state", "=", "queued"),
                 ("queue_id", "in", (self.main | self.voicemail).ids)], order="id").ids,
                calls.ids)
            cr_1.commit()
            # ... and may not overflow them: its snapshot predates the commit
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                run(cr_2)
            cr_2.rollback()
            # a later run finds nothing left to overflow
            self.assertEqual(run(cr_2), [])
            cr_2.commit()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            first, second = env["crm.call"].browse(self.to_queue.ids)
            voicemail = env["crm.call"].browse(self.to_voicemail.ids)
            self.assertRecordValues(first | second | voicemail, [
                {"queue_id": self.target.id, "state": "ringing", "agent_id": self.agent.id,
                 "routing_rule": "overflow"},
                {"queue_id": self.target.id, "state": "queued", "agent_id": False,
                 "routing_rule": "overflow"},
                {"queue_id": self.voicemail.id, "state": "missed", "agent_id": False,
                 "routing_rule": "voicemail"},
            ])
            # one overflow step each, one move of queue each
            for call, code in ((first, "overflow_queue"), (second, "overflow_queue"),
                               (voicemail, "overflow_voicemail")):
                self.assertEqual(
                    [step["code"] for step in call.routing_steps if "overflow" in step["code"]],
                    [code], call.phone)
            self.assertEqual(self._tracked(env, "crm.call", calls.ids, "queue_id"), {
                first.id: [(self.main.id, self.target.id)],
                second.id: [(self.main.id, self.target.id)],
                voicemail.id: [],
            })
            # the free agent was offered one call, once
            agent = env["crm.call.agent"].browse(self.agent.id)
            self.assertEqual(agent.state, "busy")
            self.assertEqual(self._tracked(env, "crm.call.agent", agent.ids, "state"),
                             {agent.id: [("Available", "Busy")]})
            self.assertEqual(self._notified(env, agent.ids, "crm_callcenter/screen_pop"),
                             {agent.id: 1})


@tagged("post_install", "-at_install")
class TestEndWrapUpConcurrency(JobsConcurrencyCase):
    """``crm.call.agent._cron_end_wrap_up``: the agents are locked ``FOR NO KEY
    UPDATE SKIP LOCKED``; each freed agent takes the first waiting call."""

    def _create_data(self, env):
        self.queue = self._queue(env, "Wrap-up", "JCWRAP")
        self.agents = self._agents(env, [
            {"state": "wrap_up", "date_state": NOW - timedelta(minutes=10),
             "date_wrap_up_end": NOW - timedelta(minutes=minutes)}
            # the last one's wrap-up is not over at NOW
            for minutes in (3, 2, -2)
        ], queue=self.queue)
        self.call = self._calls(env, self.queue, 1, NOW - timedelta(minutes=5))

    def _end_wrap_up(self, cr, now=NOW):
        env = self._env(cr)
        agents = env["crm.call.agent"]._cron_end_wrap_up(now)
        env.flush_all()
        return agents.ids

    def test_two_runs_never_free_an_agent_twice(self):
        first, second, later = self.agents.ids
        self._two_runs_skip_then_fail(
            self._job("crm.call.agent", "_cron_end_wrap_up"), [first, second])
        with self.registry.cursor() as cr:
            env = self._env(cr)
            self.assertRecordValues(env["crm.call.agent"].browse(self.agents.ids), [
                # the first freed took the waiting call
                {"state": "busy", "date_wrap_up_end": False},
                {"state": "available", "date_wrap_up_end": False},
                {"state": "wrap_up", "date_wrap_up_end": NOW + timedelta(minutes=2)},
            ])
            self.assertEqual(env["crm.call.agent"].browse(second).date_state,
                             NOW - timedelta(minutes=2))
            self.assertEqual(self._tracked(env, "crm.call.agent", self.agents.ids, "state"), {
                first: [("Wrap-up", "Busy")], second: [("Wrap-up", "Available")], later: [],
            })
            call = env["crm.call"].browse(self.call.id)
            self.assertRecordValues(call, [{"state": "ringing", "agent_id": first,
                                            "routing_rule": "dispatched"}])
            self.assertEqual(self._tracked(env, "crm.call", call.ids, "agent_id"),
                             {call.id: [(0, first)]})
            self.assertEqual(
                self._notified(env, self.agents.ids, "crm_callcenter/screen_pop"),
                {first: 1, second: 0, later: 0})

    def test_agents_freed_at_once_never_take_the_same_call(self):
        """The second run comes a little later: it skips the agent the first holds
        and frees another, who would take the call the first run gave away."""
        first, second, later = self.agents.ids
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self._no_wait(cr_2)
            self.assertEqual(self._end_wrap_up(cr_1, NOW - timedelta(minutes=3)), [first])
            # not committed: the second run frees the second agent, and would offer
            # them the call that rings for the first; it waits for that call's lock
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._end_wrap_up(cr_2, NOW)
            cr_2.rollback()
            cr_1.commit()
            # run again (the next minute): the second agent is freed, no call is left
            self.assertEqual(self._end_wrap_up(cr_2, NOW), [second])
            cr_2.commit()
        with self.registry.cursor() as cr:
            env = self._env(cr)
            self.assertEqual(env["crm.call.agent"].browse(self.agents.ids).mapped("state"),
                             ["busy", "available", "wrap_up"])
            call = env["crm.call"].browse(self.call.id)
            self.assertRecordValues(call, [{"state": "ringing", "agent_id": first}])
            self.assertEqual(self._tracked(env, "crm.call", call.ids, "agent_id"),
                             {call.id: [(0, first)]})
            self.assertEqual(
                self._notified(env, self.agents.ids, "crm_callcenter/screen_pop"),
                {first: 1, second: 0, later: 0})


@tagged("post_install", "-at_install")
class TestOfflineAbsentConcurrency(JobsConcurrencyCase):
    """``crm.call.agent._cron_offline_absent_agents``: the agents are locked ``FOR NO
    KEY UPDATE SKIP LOCKED``."""

    def _create_data(self, env):
        # a month without a state change: absent whatever the configured minutes
        long_ago = NOW - timedelta(days=30)
        self.agents = self._agents(env, [
            {"state": "available", "date_state": long_ago},
            {"state": "wrap_up", "date_state": long_ago,
             "date_wrap_up_end": long_ago + timedelta(minutes=1)},
            # their web client polled a minute ago: they stay
            {"state": "available", "date_state": long_ago},
        ])
        env["bus.presence"].create({
            "user_id": self.agents[2].user_id.id, "status": "online",
            "last_poll": NOW - timedelta(minutes=1),
            "last_presence": NOW - timedelta(minutes=1),
        })

    def test_two_runs_never_switch_an_agent_twice(self):
        available, wrap_up, present = self.agents.ids
        self._two_runs_skip_then_fail(
            self._job("crm.call.agent", "_cron_offline_absent_agents"), [available, wrap_up])
        with self.registry.cursor() as cr:
            env = self._env(cr)
            self.assertRecordValues(env["crm.call.agent"].browse(self.agents.ids), [
                {"state": "offline", "date_state": NOW, "date_wrap_up_end": False},
                {"state": "offline", "date_state": NOW, "date_wrap_up_end": False},
                {"state": "available", "date_state": NOW - timedelta(days=30),
                 "date_wrap_up_end": False},
            ])
            self.assertEqual(self._tracked(env, "crm.call.agent", self.agents.ids, "state"), {
                available: [("Available", "Offline")], wrap_up: [("Wrap-up", "Offline")],
                present: [],
            })
            # each switched agent's state switcher was told once
            self.assertEqual(
                self._notified(env, self.agents.ids, "crm_callcenter/agent_state"),
                {available: 1, wrap_up: 1, present: 0})


@tagged("post_install", "-at_install")
class TestReleaseStuckEntriesConcurrency(JobsConcurrencyCase):
    """``crm.call.list.entry._cron_release_stuck_entries``: the entries are locked
    ``FOR UPDATE SKIP LOCKED``."""

    def _create_data(self, env):
        agents = self._agents(env, [{} for __ in range(4)])
        call_list = env["crm.call.list"].create({
            "name": f"{PREFIX} list", "hour_from": 0.0, "hour_to": 24.0,
            "reservation_timeout_minutes": 60,
        })
        self.created["lists"].append(call_list.id)
        talk = env["crm.call"].create({
            "direction": "outbound", "phone": "+86 21 5555 9903", "agent_id": agents[3].id,
            "state": "in_progress", "date_start": NOW - timedelta(hours=2),
            "date_answered": NOW - timedelta(hours=2),
        })
        self.created["calls"].append(talk.id)
        # reserved two hours ago, past the hour: the three first are stuck; the last
        # one's call is being talked, it stays
        self.entries = env["crm.call.list.entry"].create([{
            "list_id": call_list.id, "phone": f"+86 21 5555 99{index:02d}",
            "state": "in_progress", "agent_id": agent.id,
            "date_reserved": NOW - timedelta(hours=2),
            "call_id": talk.id if index == 3 else False,
        } for index, agent in enumerate(agents)])
        # and one not reserved: nothing to release
        env["crm.call.list.entry"].create({"list_id": call_list.id, "phone": "+86 21 5555 9910"})
        call_list.action_start()
        self.agent_ids = agents.ids

    def test_two_runs_never_release_an_entry_twice(self):
        self._two_runs_skip_then_fail(
            self._job("crm.call.list.entry", "_cron_release_stuck_entries"),
            self.entries[:3].ids)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            released = {"state": "pending", "agent_id": False, "date_reserved": False,
                        "attempt_count": 0}
            self.assertRecordValues(env["crm.call.list.entry"].browse(self.entries.ids), [
                released, released, released,
                {"state": "in_progress", "agent_id": self.agent_ids[3],
                 "date_reserved": NOW - timedelta(hours=2), "attempt_count": 0},
            ])


@tagged("post_install", "-at_install")
class TestEndSilentChatsConcurrency(JobsConcurrencyCase):
    """``discuss.channel._cron_end_silent_chats``: the sessions are locked
    ``FOR NO KEY UPDATE SKIP LOCKED``."""

    def _create_data(self, env):
        queue = self._queue(env, "Chat", "JCCHAT", chat_idle_minutes=60)
        agents = self._agents(env, [{}, {}], queue=queue)
        # silent for two hours (before the job's moment), and one that spoke a
        # minute ago
        self.sessions = env["discuss.channel"].create([{
            "name": f"{PREFIX} chat {index}", "channel_type": "livechat",
            "livechat_active": True, "crm_queue_id": queue.id, "crm_chat_status": "waiting",
            "livechat_operator_id": agents[index % 2].user_id.partner_id.id,
        } for index in range(4)])
        for index, session in enumerate(self.sessions):
            session.last_interest_dt = NOW - (timedelta(minutes=1) if index == 3
                                              else timedelta(hours=2))

    def _cleanup(self):
        with self.registry.cursor() as cr:
            self._env(cr)["discuss.channel"].browse(self.sessions.ids).exists().unlink()
        return super()._cleanup()

    def test_two_runs_never_end_a_chat_twice(self):
        self._two_runs_skip_then_fail(
            self._job("discuss.channel", "_cron_end_silent_chats"), self.sessions[:3].ids)
        with self.registry.cursor() as cr:
            env = self._env(cr)
            ended = {"livechat_active": False, "crm_chat_status": "abandoned"}
            self.assertRecordValues(env["discuss.channel"].browse(self.sessions.ids), [
                ended, ended, ended, {"livechat_active": True, "crm_chat_status": "waiting"},
            ])
