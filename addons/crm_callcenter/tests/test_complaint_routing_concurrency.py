from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestComplaintRoutingConcurrency(TransactionCase):
    """Two assignments at the same moment, each in its own transaction, for the last
    free capacity of an agent: one wins, the other leaves its complaint waiting —
    it neither waits for the first transaction nor gives the agent a complaint too
    many. The data is committed in a cursor of its own (the test's cursor is never
    committed), and removed again."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            group = env.ref("crm_callcenter.group_crm_callcenter_agent")
            user = env["res.users"].with_context(no_reset_password=True).create({
                "name": "Concurrent Complaint Agent", "login": "cc_concurrent_complaints",
                "groups_id": [(6, 0, group.ids)],
            })
            team = env["crm.team"].create({"name": "Concurrent Complaint Team"})
            queue = env["crm.call.queue"].create({
                "name": "Concurrent Complaints", "code": "CONC-CMP", "team_id": team.id,
                "route_complaints": True, "capacity_complaint": 1,
                "complaint_wait_minutes": 0,
            })
            agent = env["crm.call.agent"].create({
                "user_id": user.id, "extension": "9902", "queue_ids": [(6, 0, queue.ids)],
            })
            partner = env["res.partner"].create({"name": "Concurrent Customer"})
            # from the store: not assigned as they come in
            complaints = env["crm.complaint"].create([{
                "name": f"Concurrent {index}", "channel": "store", "team_id": team.id,
                "partner_id": partner.id,
                "date_received": fields.Datetime.now() - timedelta(minutes=5),
            } for index in (1, 2)])
            agent._write_state("available")
            self.ids = {"user": user.id, "team": team.id, "queue": queue.id,
                        "agent": agent.id, "partner": partner.id,
                        "complaints": complaints.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["crm.complaint"].with_context(active_test=False).browse(
                self.ids["complaints"]).unlink()
            env["crm.call.agent"].browse(self.ids["agent"]).unlink()
            env["crm.call.queue"].browse(self.ids["queue"]).unlink()
            env["crm.team"].browse(self.ids["team"]).unlink()
            user = env["res.users"].browse(self.ids["user"])
            partners = user.partner_id | env["res.partner"].browse(self.ids["partner"])
            user.unlink()
            partners.unlink()

    def _assign(self, cr, index):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        complaint = env["crm.complaint"].browse(self.ids["complaints"][index])
        assigned = complaint._crm_acd_assign(fields.Datetime.now())
        env.flush_all()
        return assigned

    def test_last_capacity_one_winner(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            cr_2.execute("SET LOCAL lock_timeout = '2s'")  # never hang the test
            first = self._assign(cr_1, 0)
            # the first assignment is not committed: its agent is taken
            second = self._assign(cr_2, 1)
            self.assertEqual(first.ids, self.ids["complaints"][:1])
            self.assertFalse(second)
            cr_1.commit()
            cr_2.commit()
        self._check_one_assigned()

    @mute_logger("odoo.sql_db")
    def test_last_capacity_after_the_first_commits(self):
        """The second began before the first committed: its snapshot still shows room,
        and taking the agent's row fails with a serialization error (the job or the
        request is run again) rather than give a complaint too many."""
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            cr_2.execute("SET LOCAL lock_timeout = '2s'")
            # the second's snapshot: taken before the first commits
            cr_2.execute("SELECT 1 FROM crm_call_agent LIMIT 1")
            self.assertTrue(self._assign(cr_1, 0))
            cr_1.commit()
            with self.assertRaises(SerializationFailure):
                self._assign(cr_2, 1)
            cr_2.rollback()
        # run again (committed as the cursor closes), the second finds no room
        with self.registry.cursor() as cr:
            self.assertFalse(self._assign(cr, 1))
        self._check_one_assigned()

    def _check_one_assigned(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            complaints = env["crm.complaint"].browse(self.ids["complaints"])
            self.assertEqual(complaints.mapped("user_id").ids, [self.ids["user"]])
            self.assertEqual(len(complaints.filtered("user_id")), 1)
            agent = env["crm.call.agent"].browse(self.ids["agent"])
            self.assertEqual(agent.load_complaint_count, 1)
