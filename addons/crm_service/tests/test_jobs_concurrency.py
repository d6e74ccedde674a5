"""The escalation job (``crm.complaint._cron_escalate``) run twice at the same moment,
each run in a transaction of its own (two database cursors): no step fires twice on a
complaint, none is lost.

The data is committed in a cursor of its own (the test's cursor is never committed)
and removed again at the end. The clock is frozen in a week of March 2026, long before
any other complaint of the database is due: the job, which reads every complaint due,
finds only the test's.

Two runs meet in two ways, both checked:

- the second runs while the first is not committed: it would wait for the rows the
  first holds (``lock_timeout`` turns the wait into an error the test can see, instead
  of a test that hangs);
- the second began (its REPEATABLE READ snapshot was taken) before the first
  committed: what it writes conflicts with what the first committed, and it fails.

Either way the second transaction is rolled back whole, its notes included, and a run
after the first committed finds nothing left to do.
"""

from freezegun import freeze_time
from psycopg2.errors import LockNotAvailable, SerializationFailure, UniqueViolation

from odoo import api
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

from .common import at

PREFIX = "Jobs concurrency"
RECEIVED = at(0, 9)  # Monday 9:00: answer by Monday 13:00, resolve by Tuesday 17:00
AT_BREACH = at(1, 17, 30)  # "tell the leader" is due (the resolution deadline passed)
AFTER_BREACH = at(2, 13, 30)  # "remind" is due (4 working hours after the deadline)


class JobsConcurrencyCase(TransactionCase):
    """Three complaints under a policy of their own, with two escalation steps on the
    resolution deadline: "tell the leader" at the breach (raises the escalation level,
    so it writes the complaint) and "remind" 4 working hours after it (a note only)."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr, freeze_time(RECEIVED):
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            calendar = env["resource.calendar"].create({
                "name": f"{PREFIX} hours 9-17 UTC",
                "tz": "UTC",
                "attendance_ids": [(5, 0, 0)] + [
                    (0, 0, {"name": f"Day {day}", "dayofweek": str(day), "hour_from": 9,
                            "hour_to": 17, "day_period": "morning"})
                    for day in range(5)
                ],
            })
            category = env["crm.complaint.category"].create({"name": f"{PREFIX} category"})
            policy = env["crm.sla.policy"].create({
                "name": f"{PREFIX} policy", "category_id": category.id,
                "resource_calendar_id": calendar.id,
                "response_hours": 4, "resolve_hours": 16, "at_risk_hours": 2,
            })
            leader, remind = env["crm.sla.escalation"].create([
                {"name": f"{PREFIX}: tell the leader", "policy_id": policy.id, "sequence": 1,
                 "deadline": "resolve", "trigger": "at_breach", "level": 1},
                {"name": f"{PREFIX}: remind", "policy_id": policy.id, "sequence": 2,
                 "deadline": "resolve", "trigger": "after_breach", "hours": 4, "level": 0},
            ])
            complaints = env["crm.complaint"].create([
                {"name": f"{PREFIX} complaint {index}", "category_id": category.id,
                 "date_received": RECEIVED} for index in range(3)])
            env.flush_all()
            self.assertEqual(complaints.sla_policy_id, policy)
            self.assertEqual(set(complaints.mapped("next_escalation_date")), {at(0, 11)},
                             "at risk 2 working hours before the answer is due")
            # the job must find only the test's complaints due
            self.assertFalse(env["crm.complaint"].with_context(active_test=False).search_count([
                ("next_escalation_date", "<=", AFTER_BREACH), ("id", "not in", complaints.ids),
            ]), "another complaint of the database is due in the test's week")
            self.ids = {
                "calendar": calendar.id, "category": category.id, "policy": policy.id,
                "leader": leader.id, "remind": remind.id, "complaints": complaints.ids,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            complaints = env["crm.complaint"].with_context(active_test=False).browse(
                self.ids["complaints"])
            env["crm.complaint.escalation.log"].search(
                [("complaint_id", "in", complaints.ids)]).unlink()
            env["mail.message"].search([
                ("model", "=", "crm.complaint"), ("res_id", "in", complaints.ids)]).unlink()
            env["mail.followers"].search([
                ("res_model", "=", "crm.complaint"), ("res_id", "in", complaints.ids)]).unlink()
            complaints.unlink()
            env["crm.sla.escalation"].browse([self.ids["leader"], self.ids["remind"]]).unlink()
            env["crm.sla.policy"].browse(self.ids["policy"]).unlink()
            env["crm.complaint.category"].browse(self.ids["category"]).unlink()
            env["resource.calendar"].browse(self.ids["calendar"]).unlink()

    def _escalate(self, cr, when):
        """One run of the job at ``when``: the number of complaints it looked at."""
        with freeze_time(when):
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            count = env["crm.complaint"]._cron_escalate()
            env.flush_all()  # as the job's commit does
        return count

    def _fired(self, cr):
        """``{(complaint_id, step_id): number of log lines}`` of the test's complaints."""
        cr.execute(SQL(
            """
            SELECT complaint_id, escalation_id, COUNT(*) FROM crm_complaint_escalation_log
             WHERE complaint_id = ANY(%s) GROUP BY complaint_id, escalation_id
            """,
            self.ids["complaints"],
        ))
        return {(complaint, step): count for complaint, step, count in cr.fetchall()}

    def _check_fired_once(self, steps):
        """Each of ``steps`` fired exactly once on each complaint (one log line, one
        note), and no other step."""
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            complaints = self.ids["complaints"]
            self.assertEqual(self._fired(cr), {
                (complaint, self.ids[step]): 1 for complaint in complaints for step in steps})
            Step = env["crm.sla.escalation"]
            for step in ("leader", "remind"):
                notes = env["mail.message"].search([
                    ("model", "=", "crm.complaint"), ("res_id", "in", complaints),
                    ("body", "ilike", f"Escalation {Step.browse(self.ids[step]).name}:"),
                ])
                expected = sorted(complaints) if step in steps else []
                self.assertEqual(sorted(notes.mapped("res_id")), expected,
                                 f"one note of step {step} per complaint, none twice")
            levels = env["crm.complaint"].browse(complaints).mapped("escalation_level")
            self.assertEqual(levels, [1] * len(complaints))


@tagged("post_install", "-at_install")
class TestEscalationJobConcurrency(JobsConcurrencyCase):
    """The deadline has just passed: the run changes the SLA status of the complaints
    and raises their escalation level, so two runs meet on the complaints' rows."""

    def test_second_run_while_the_first_holds_its_complaints(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertEqual(self._escalate(cr_1, AT_BREACH), 3)
            # cr_1 is not committed: cr_2 finds the same complaints due, and would
            # wait on the complaints cr_1 wrote
            cr_2.execute(SQL("SET LOCAL lock_timeout = '2s'"))
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._escalate(cr_2, AT_BREACH)
            cr_2.rollback()
            cr_1.commit()
            # a later run: nothing due any more
            self.assertEqual(self._escalate(cr_2, AT_BREACH), 0)
            self.assertEqual(len(self._fired(cr_2)), 3)
        self._check_fired_once(["leader"])

    def test_second_run_begun_before_the_first_committed(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            # cr_2's transaction has begun: its snapshot shows no step fired yet
            self.assertEqual(self._fired(cr_2), {})
            self.assertEqual(self._escalate(cr_1, AT_BREACH), 3)
            cr_1.commit()
            # it writes the complaints cr_1 changed since: refused, rolled back whole
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                self._escalate(cr_2, AT_BREACH)
            cr_2.rollback()
            self.assertEqual(self._escalate(cr_2, AT_BREACH), 0)
        self._check_fired_once(["leader"])


@tagged("post_install", "-at_install")
class TestEscalationJobConcurrencyNoteOnly(JobsConcurrencyCase):
    """Later, only "remind" is due: it writes nothing on the complaints (their status
    and level stay the same) before it is logged, so two runs meet on the unique key
    (complaint, step) of the escalation log."""

    def setUp(self):
        super().setUp()
        # "tell the leader" fired at the breach, committed
        with self.registry.cursor() as cr:
            self.assertEqual(self._escalate(cr, AT_BREACH), 3)

    def test_second_run_while_the_first_holds_its_log(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertEqual(self._escalate(cr_1, AFTER_BREACH), 3)
            # cr_1 is not committed: cr_2 posts its notes, then waits on the log lines
            # cr_1 inserted under the same (complaint, step)
            cr_2.execute(SQL("SET LOCAL lock_timeout = '2s'"))
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._escalate(cr_2, AFTER_BREACH)
            cr_2.rollback()
            cr_1.commit()
            self.assertEqual(self._escalate(cr_2, AFTER_BREACH), 0)
        self._check_fired_once(["leader", "remind"])

    def test_second_run_begun_before_the_first_committed(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            # cr_2's transaction has begun: its snapshot shows "remind" not fired yet
            self.assertEqual(len(self._fired(cr_2)), 3)
            self.assertEqual(self._escalate(cr_1, AFTER_BREACH), 3)
            cr_1.commit()
            # it logs the steps cr_1 committed meanwhile: refused by the key, its
            # notes rolled back with it
            with mute_logger("odoo.sql_db"), self.assertRaises(UniqueViolation):
                self._escalate(cr_2, AFTER_BREACH)
            cr_2.rollback()
            self.assertEqual(self._escalate(cr_2, AFTER_BREACH), 0)
        self._check_fired_once(["leader", "remind"])
