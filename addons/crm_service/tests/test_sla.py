from odoo.exceptions import AccessError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CrmServiceCommon, at, frozen


@tagged("post_install", "-at_install")
class TestSla(CrmServiceCommon):

    def test_policy_matching_most_specific_wins(self):
        Policy = self.env["crm.sla.policy"]
        default = self.env.ref("crm_service.crm_sla_policy_default")
        # only the policies of this test compete (not the demo ones)
        (Policy.search([]) - self.policy - default).active = False
        generic = Policy.create({
            "name": "Any urgent", "priority": "3", "sequence": 1,
            "resource_calendar_id": self.calendar.id, "response_hours": 1, "resolve_hours": 4,
        })
        specific = Policy.create({
            "name": "Key customers, urgent delivery", "priority": "3", "sequence": 50,
            "customer_tier": "key", "category_id": self.category.id,
            "resource_calendar_id": self.calendar.id, "response_hours": 1, "resolve_hours": 2,
        })
        complaint = self._complaint(priority="3")
        self.assertEqual(complaint.sla_policy_id, generic, "urgent, not a key customer")
        self.customer.customer_tier = "key"
        complaint.invalidate_recordset()
        self.assertEqual(complaint.sla_policy_id, specific, "three criteria beat one")
        complaint.category_id = self.category_quality
        self.assertEqual(complaint.sla_policy_id, generic)
        complaint.priority = "1"
        self.assertEqual(complaint.sla_policy_id, self.policy, "the team's policy")
        complaint.team_id = self.team_b
        self.assertEqual(
            complaint.sla_policy_id, default,
            "nothing specific: the default policy",
        )

    def test_deadlines_skip_weekend_and_public_holiday(self):
        # Monday 9 March is a public holiday of the calendar
        self.env["resource.calendar.leaves"].create({
            "name": "Public holiday",
            "calendar_id": self.calendar.id,
            "date_from": at(7, 0),
            "date_to": at(7, 23, 59),
            "time_type": "leave",
        })
        # Friday 6 March, 15:00: two working hours left this week
        complaint = self._complaint(received=at(4, 15))
        self.assertEqual(complaint.sla_policy_id, self.policy)
        # 4 h: Friday 15-17, (weekend, Monday off) Tuesday 9-11
        self.assertEqual(complaint.response_deadline, at(8, 11))
        # 16 h: Friday 2 h, Tuesday 8 h, Wednesday 6 h
        self.assertEqual(complaint.resolve_deadline, at(9, 15))
        # at risk two working hours before the first deadline
        self.assertEqual(complaint.at_risk_date, at(8, 9))

    def test_holiday_added_later_moves_open_deadlines(self):
        complaint = self._complaint(received=at(4, 15))
        solved = self._complaint(received=at(4, 15), name="Solved one")
        with frozen(self.env, at(4, 16)):
            solved.stage_id = self.stage_resolved
        self.assertEqual(complaint.resolve_deadline, at(8, 15))
        holiday = self.env["resource.calendar.leaves"].create({
            "name": "Public holiday", "calendar_id": self.calendar.id,
            "date_from": at(7, 0), "date_to": at(7, 23, 59), "time_type": "leave",
        })
        self.assertEqual(complaint.response_deadline, at(8, 11), "Tuesday, Monday is off")
        self.assertEqual(complaint.resolve_deadline, at(9, 15))
        self.assertEqual(solved.resolve_deadline, at(8, 15), "a solved complaint keeps its own")
        holiday.unlink()
        self.assertEqual(complaint.resolve_deadline, at(8, 15))

    def test_deadline_without_holiday(self):
        complaint = self._complaint(received=at(4, 15))
        self.assertEqual(complaint.response_deadline, at(7, 11), "Monday, after the weekend")
        self.assertEqual(complaint.resolve_deadline, at(8, 15))

    def test_pause_while_waiting_for_customer_moves_deadline(self):
        with frozen(self.env, at(0, 9)):
            complaint = self._complaint(received=at(0, 9))
        self.assertEqual(complaint.resolve_deadline, at(1, 17))
        with frozen(self.env, at(0, 10)):
            complaint.with_user(self.agent).message_post(
                body="Could you send a photo?", message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        with frozen(self.env, at(0, 13)):
            complaint.stage_id = self.stage_waiting
        self.assertEqual(complaint.paused_since, at(0, 13))
        self.assertFalse(complaint.next_escalation_date, "the clock stands still")
        with frozen(self.env, at(1, 11)):
            complaint.stage_id = self.stage_progress
        # paused Monday 13-17 and Tuesday 9-11: six working hours
        self.assertFalse(complaint.paused_since)
        self.assertAlmostEqual(complaint.paused_hours, 6.0)
        self.assertEqual(complaint.resolve_deadline, at(2, 15), "16 + 6 hours from Monday 9:00")
        self.assertEqual(complaint.sla_status, "on_track")
        self.assertEqual(complaint.next_escalation_date, at(2, 13), "at risk 2 hours before")

    def test_first_response_and_met(self):
        with frozen(self.env, at(0, 9)):
            complaint = self._complaint(received=at(0, 9))
            self.assertEqual(complaint.sla_status, "on_track")
        with frozen(self.env, at(0, 10)):
            complaint.message_post(body="Internal thought", subtype_xmlid="mail.mt_note",
                                   message_type="comment")
            self.assertFalse(complaint.first_response_date, "an internal note is no answer")
            complaint.with_user(self.agent).message_post(
                body="We are sorry, a technician comes tomorrow.",
                message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(complaint.first_response_date, at(0, 10))
        with frozen(self.env, at(1, 12)):
            complaint.stage_id = self.stage_resolved
        self.assertEqual(complaint.resolved_date, at(1, 12))
        self.assertEqual(complaint.sla_status, "met")
        self.assertEqual(complaint.sla_compliance, 100.0)
        self.assertAlmostEqual(complaint.response_work_hours, 1.0)
        self.assertAlmostEqual(complaint.resolve_work_hours, 11.0)
        self.assertFalse(complaint.next_escalation_date, "nothing left to watch")

    def test_resolved_late_is_breached(self):
        with frozen(self.env, at(0, 9)):
            complaint = self._complaint(received=at(0, 9))
            complaint.with_user(self.agent).message_post(
                body="Looking into it", message_type="comment", subtype_xmlid="mail.mt_comment",
            )
        with frozen(self.env, at(2, 10)):
            complaint.stage_id = self.stage_resolved
        self.assertEqual(complaint.sla_status, "breached")
        self.assertEqual(complaint.sla_compliance, 0.0)


@tagged("post_install", "-at_install")
class TestSlaBreach(CrmServiceCommon):
    """Which deadline was missed. The policy of the common fixture answers within
    4 and resolves within 16 working hours: a complaint received on Monday 9:00
    is due an answer on Monday 13:00 and a resolution on Tuesday 17:00."""

    def _received_monday(self, answered=None):
        with frozen(self.env, at(0, 9)):
            complaint = self._complaint(received=at(0, 9))
        if answered:
            with frozen(self.env, answered):
                complaint.with_user(self.agent).message_post(
                    body="We are on it.", message_type="comment",
                    subtype_xmlid="mail.mt_comment",
                )
        self.assertEqual(complaint.response_deadline, at(0, 13))
        self.assertEqual(complaint.resolve_deadline, at(1, 17))
        return complaint

    def _escalation_job(self, when, complaint):
        """The job that moves the SLA status as time passes."""
        with frozen(self.env, when):
            self.env["crm.complaint"]._cron_escalate()
        complaint.invalidate_recordset()

    def test_within_deadlines(self):
        complaint = self._received_monday(answered=at(0, 10))
        self._escalation_job(at(1, 16), complaint)
        self.assertEqual(complaint.sla_status, "at_risk")
        self.assertFalse(complaint.sla_breach)

    def test_response_late_resolution_ahead(self):
        complaint = self._received_monday()
        self._escalation_job(at(0, 14), complaint)
        self.assertEqual(complaint.sla_status, "breached")
        self.assertEqual(complaint.sla_breach, "response",
                         "the answer is late, the resolution is due tomorrow")
        self.assertGreater(complaint.resolve_deadline, at(0, 14))
        # answering late does not undo the late answer
        with frozen(self.env, at(0, 15)):
            complaint.with_user(self.agent).message_post(
                body="Sorry for the wait.", message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        self.assertEqual(complaint.sla_breach, "response")

    def test_resolution_late_after_a_timely_answer(self):
        complaint = self._received_monday(answered=at(0, 10))
        self._escalation_job(at(2, 10), complaint)
        self.assertEqual(complaint.sla_status, "breached")
        self.assertEqual(complaint.sla_breach, "resolution")

    def test_both_late(self):
        complaint = self._received_monday()
        self._escalation_job(at(0, 14), complaint)
        self.assertEqual(complaint.next_escalation_date, at(1, 17),
                         "the job comes back when the resolution is due")
        self._escalation_job(at(2, 10), complaint)
        self.assertEqual(complaint.sla_breach, "both")

    def test_solved_complaints_keep_what_was_missed(self):
        late_answer = self._received_monday(answered=at(0, 15))
        in_time = self._received_monday(answered=at(0, 10))
        silent_late = self._received_monday()
        with frozen(self.env, at(1, 12)):
            (late_answer | in_time).stage_id = self.stage_resolved
        with frozen(self.env, at(2, 12)):
            silent_late.stage_id = self.stage_resolved
        self.assertEqual((late_answer.sla_status, late_answer.sla_breach),
                         ("breached", "response"))
        self.assertEqual((in_time.sla_status, in_time.sla_breach), ("met", False))
        self.assertEqual(silent_late.sla_breach, "both",
                         "solved late without an answer: the resolution was the answer")
        # the job never looks at them again
        self._escalation_job(at(4, 12), late_answer | in_time)
        self.assertEqual((late_answer.sla_breach, in_time.sla_breach), ("response", False))

    def test_waiting_for_the_customer_misses_nothing(self):
        complaint = self._received_monday(answered=at(0, 10))
        with frozen(self.env, at(1, 9)):
            complaint.stage_id = self.stage_waiting
        self.assertFalse(complaint._sla_breach_at(at(3, 10)), "the clock stands still")
        with frozen(self.env, at(3, 9)):
            complaint.stage_id = self.stage_progress
        self.assertEqual(complaint.resolve_deadline, at(3, 17), "moved by 16 paused hours")
        self.assertFalse(complaint.sla_breach)

    def test_without_policy_nothing_is_missed(self):
        complaint = self._received_monday()
        self._escalation_job(at(0, 14), complaint)
        self.assertEqual(complaint.sla_breach, "response")
        complaint.sudo().sla_policy_id = False
        self.assertFalse(complaint.sla_breach)
        self.assertFalse(complaint._sla_breach_at(at(4, 12)))


@tagged("post_install", "-at_install")
class TestSlaBreachRefused(RpcMixin, CrmServiceCommon, HttpCase):

    def test_clients_cannot_write_the_missed_deadline(self):
        with frozen(self.env, at(0, 9)):
            complaint = self._complaint(received=at(0, 9))
        for login in ("svc_agent", "svc_manager"):
            for context in ({}, {"crm_service_escalating": True, "tracking_disable": True}):
                error = self.assertRpcRefused(
                    AccessError, login, "crm.complaint", "write", [complaint.id],
                    {"sla_breach": "response"}, context=context,
                )
                self.assertIn("cannot be set by hand", error["message"])
        self.assertRpcRefused(
            AccessError, "svc_agent", "crm.complaint", "create",
            {"name": "Late at birth", "team_id": self.team.id, "sla_breach": "both"},
        )
        complaint.invalidate_recordset()
        self.assertFalse(complaint.sla_breach)
