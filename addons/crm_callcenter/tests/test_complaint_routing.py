from datetime import timedelta

from odoo import fields
from odoo.tests import tagged

from .common import CrmCallcenterCommon

EMAIL = """Return-Path: <{email}>
To: {to}
From: {sender}
Subject: {subject}
Date: Mon, 02 Mar 2026 10:00:00 +0000
Message-ID: {message_id}
MIME-Version: 1.0
Content-Type: text/plain; charset="utf-8"
Content-Transfer-Encoding: 8bit

{body}
"""


class ComplaintRoutingCase(CrmCallcenterCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        # the job assigns through every queue of the database: only the tests' own
        # (the demo data's service queue assigns its team's complaints too)
        env["crm.call.queue"].search([("route_complaints", "=", True)]).route_complaints = False
        cls.queue.write({"route_complaints": True, "capacity_complaint": 2,
                         "complaint_wait_minutes": 60})
        # one SLA policy for the team (the others archived): the deadlines follow
        # the time a complaint came in, whoever the customer
        env["crm.sla.policy"].search([]).active = False
        cls.policy = env["crm.sla.policy"].create({
            "name": "Hotline SLA", "sequence": 0, "team_id": cls.team.id,
            "resource_calendar_id": env.ref("resource.resource_calendar_std").id,
            "response_hours": 8, "resolve_hours": 40, "at_risk_hours": 2,
        })
        cls.stage_closed = env["crm.complaint.stage"].search([("is_closed", "=", True)],
                                                             limit=1)
        cls.key_customer = env["res.partner"].create({
            "name": "Golden Dragon Corp", "is_company": True, "customer_tier": "key"})
        cls.now = fields.Datetime.now().replace(microsecond=0)

    def _complaint(self, channel="portal", partner=None, received=None, team=None, **vals):
        return self.env["crm.complaint"].create({
            "name": f"Complaint by {channel}", "channel": channel,
            "partner_id": (partner or self.customer).id, "team_id": (team or self.team).id,
            "date_received": received or self.now, **vals,
        })

    def _codes(self, complaint):
        return [step["code"] for step in complaint.acd_routing_steps or []]


@tagged("post_install", "-at_install")
class TestComplaintIntake(ComplaintRoutingCase):

    def test_portal_complaint_assigned_at_once(self):
        self._available(self.agent_a, self.agent_b)  # a idle longer
        complaint = self._complaint("portal")
        self.assertEqual(complaint.user_id, self.user_a)
        self.assertEqual(complaint.acd_queue_id, self.queue)
        self.assertTrue(complaint.acd_date_assigned)
        self.assertEqual(self._codes(complaint), ["complaint_intake", "strategy"])
        self.assertEqual(
            complaint.acd_routing_reason,
            "New complaint by Portal: assigned through queue Service.\n"
            "Queue Service (Longest idle): offered to Agent An.")
        self.env["res.lang"]._activate_lang("zh_CN")
        reason = complaint.with_context(lang="zh_CN").acd_routing_reason
        self.assertIn("\u65b0\u6295\u8bc9", reason)  # 新投诉
        self.assertIn("\u5df2\u5206\u914d\u7ed9 Agent An", reason)  # 已分配给
        self.assertEqual(self.agent_a.load_complaint_count, 1)
        self.assertTrue(self.agent_a.date_last_complaint)
        # the next one: round robin of complaints, not of calls (the customer's open
        # complaint's owner not preferred)
        self.queue.write({"strategy": "round_robin", "route_complaint_owner": False})
        self.assertEqual(self._complaint("portal").user_id, self.user_b)
        self.assertEqual(self._complaint("portal").user_id, self.user_a)

    def test_other_channels_and_owned_complaints_are_left_alone(self):
        self._available(self.agent_a)
        self.assertFalse(self._complaint("phone").user_id, "waits the queue's minutes")
        owned = self._complaint("email", user_id=self.user_c.id)
        self.assertEqual((owned.user_id, owned.acd_queue_id), (self.user_c, self.queue.browse()))
        self.queue.route_complaints = False
        self.assertFalse(self._complaint("portal").user_id)
        self.assertFalse(self._complaint("portal", team=self.other_team).user_id,
                         "a team without an assigning queue")

    def test_email_from_unknown_sender_assigned(self):
        alias_domain = self.env["mail.alias.domain"].create({
            "name": "hotline.example.com", "company_ids": [(4, self.company.id)]})
        self.company.alias_domain_id = alias_domain
        self.team.complaint_alias_name = "hotline"
        self._available(self.agent_b)
        Partner = self.env["res.partner"]
        self.assertFalse(Partner.search([("email", "=", "li.na@unknown.example.com")]))
        complaint_id = self.env["mail.thread"].message_process(None, EMAIL.format(
            email="li.na@unknown.example.com", to="hotline@hotline.example.com",
            sender="Li Na <li.na@unknown.example.com>", subject="Rice cooker burns rice",
            message_id="<rice-1@unknown.example.com>", body="It burns every time.",
        ).encode())
        complaint = self.env["crm.complaint"].browse(complaint_id)
        self.assertEqual((complaint.channel, complaint.team_id), ("email", self.team))
        self.assertEqual(complaint.partner_id.email, "li.na@unknown.example.com",
                         "a new contact for the unknown sender")
        self.assertEqual(complaint.user_id, self.user_b)
        self.assertIn("New complaint by Email", complaint.acd_routing_reason)

    def test_value_rules_of_the_calls(self):
        """The customer's open complaint goes to its owner; key customers to
        key-account agents; the customer's salesperson: the queue's settings, as
        for calls."""
        self.queue.capacity_complaint = 10
        self._available(self.agent_a, self.agent_b)
        self._complaint("phone", user_id=self.user_b.id)
        complaint = self._complaint("portal")
        self.assertEqual(complaint.user_id, self.user_b, "the owner of the open complaint")
        self.assertEqual(self._codes(complaint), ["complaint_intake", "complaint_owner"])
        self.queue.route_complaint_owner = False
        self.queue.route_key_account_agents = True
        self.agent_b.is_key_account = True
        complaint = self._complaint("portal", partner=self.key_customer)
        self.assertEqual(complaint.user_id, self.user_b)
        self.assertIn("key_account", self._codes(complaint))
        self.queue.route_salesperson = True
        self.customer.user_id = self.user_a
        complaint = self._complaint("portal")
        self.assertEqual(complaint.user_id, self.user_a)
        self.assertIn("customer's salesperson Agent An", complaint.acd_routing_reason)


@tagged("post_install", "-at_install")
class TestComplaintCapacity(ComplaintRoutingCase):

    def test_no_room_waits_then_the_job_assigns(self):
        self.queue.capacity_complaint = 1
        self._available(self.agent_a)
        first = self._complaint("portal")
        self.assertEqual(first.user_id, self.user_a)
        waiting = self._complaint("email")
        self.assertFalse(waiting.user_id)
        # the customer's open complaint: its owner has no room either
        self.assertEqual(self._codes(waiting),
                         ["complaint_intake", "complaint_owner_away", "complaint_waits"])
        self.assertIn("no agent has room", waiting.acd_routing_reason)
        Complaint = self.env["crm.complaint"]
        self.assertFalse(Complaint._cron_acd_assign_complaints(self.now))
        # the first is solved: room for the waiting one
        first.stage_id = self.stage_closed
        self.assertEqual(Complaint._cron_acd_assign_complaints(self.now), waiting)
        self.assertEqual(waiting.user_id, self.user_a)
        self.assertEqual(self._codes(waiting)[-2:], ["complaint_dispatched", "strategy"])

    def test_busy_in_a_call_takes_complaints_wrap_up_away_offline_do_not(self):
        self._available(self.agent_a)
        _call, route = self._inbound()
        self.assertEqual((route["extension"], self.agent_a.state), ("701", "busy"))
        complaint = self._complaint("portal")
        self.assertEqual(complaint.user_id, self.user_a, "a call, then a complaint")
        self.agent_b.sudo()._write_state("wrap_up")
        for state in ("wrap_up", "away", "offline"):
            self.agent_a.sudo()._write_state(state)
            with self.subTest(state=state):
                self.assertFalse(self._complaint("portal").user_id)

    def test_reassigned_by_hand_the_load_follows(self):
        self.queue.capacity_complaint = 1
        self._available(self.agent_a)
        complaint = self._complaint("portal")
        self.assertEqual(complaint.user_id, self.user_a)
        self.assertFalse(self._complaint("portal").user_id, "agent a is full")
        self.assertEqual(self.agent_a.load_complaint_count, 1)
        complaint.with_user(self.supervisor).user_id = self.user_b
        self.env.invalidate_all()
        self.assertEqual((self.agent_a.load_complaint_count, self.agent_b.load_complaint_count),
                         (0, 1))
        # the waiting complaint now finds room with agent a
        assigned = self.env["crm.complaint"]._cron_acd_assign_complaints(self.now)
        self.assertEqual(assigned.user_id, self.user_a)
        self._available(self.agent_b)
        self.assertFalse(self._complaint("portal").user_id, "b has their complaint already")

    def test_job_order_sla_deadline_then_key_customers(self):
        """Waiting complaints are assigned the nearest SLA deadline first; among those
        due at the same moment, key customers first."""
        received = self.now - timedelta(days=7)
        late = self._complaint("portal", partner=self.key_customer, received=self.now)
        normal = self._complaint("portal", received=received)
        key = self._complaint("portal", partner=self.key_customer, received=received)
        self.assertEqual(normal.resolve_deadline, key.resolve_deadline)
        self.assertLess(key.resolve_deadline, late.resolve_deadline)
        self.assertFalse((late | normal | key).user_id, "nobody available yet")
        self.queue.capacity_complaint = 1
        self._available(self.agent_a)
        Complaint = self.env["crm.complaint"]
        order = []
        for capacity in (1, 2, 3):
            self.queue.capacity_complaint = capacity
            assigned = Complaint._cron_acd_assign_complaints(self.now)
            self.assertEqual(len(assigned), 1, "one more room, one more complaint")
            order.append(assigned)
        self.assertEqual(order, [key, normal, late])

    def test_other_channels_after_the_queues_minutes(self):
        self._available(self.agent_a)
        complaint = self._complaint("store")
        Complaint = self.env["crm.complaint"]
        self.assertFalse(Complaint._cron_acd_assign_complaints(self.now + timedelta(minutes=30)))
        self.assertEqual(
            Complaint._cron_acd_assign_complaints(self.now + timedelta(minutes=61)), complaint)
        self.assertEqual(complaint.user_id, self.user_a)
        self.assertIn("Without an owner for more than 60 minutes", complaint.acd_routing_reason)

    def test_sla_clock_and_escalation_keep_working(self):
        escalation = self.env["crm.sla.escalation"].create({
            "name": "Hand over", "policy_id": self.policy.id, "trigger": "at_breach",
            "deadline": "response", "reassign_user_id": self.user_b.id, "level": 1,
        })
        self._available(self.agent_a)
        complaint = self._complaint("portal", received=self.now - timedelta(days=3))
        self.assertEqual(complaint.user_id, self.user_a)
        self.assertEqual(complaint.sla_policy_id, self.policy)
        self.assertTrue(complaint.response_deadline and complaint.resolve_deadline)
        self.assertEqual(complaint.date_received, self.now - timedelta(days=3),
                         "the clock starts when it came in, not when assigned")
        self.env["crm.complaint"]._cron_escalate()
        self.assertEqual(complaint.sla_status, "breached")
        self.assertEqual(complaint.escalation_log_ids.escalation_id, escalation)
        self.assertEqual(complaint.user_id, self.user_b, "the escalation reassigned it")
        self.env.invalidate_all()
        self.assertEqual((self.agent_a.load_complaint_count, self.agent_b.load_complaint_count),
                         (0, 1), "the load follows the escalation")


@tagged("post_install", "-at_install")
class TestComplaintRoutingCost(ComplaintRoutingCase):

    def _grow(self, size):
        users = self.env["res.users"].create([{
            "name": f"Complaint Agent {size}-{i}", "login": f"cc_cmp_cost_{size}_{i}",
        } for i in range(size)])
        agents = self.env["crm.call.agent"].create([{
            "user_id": user.id, "extension": f"7{size}{i:03d}",
            "queue_ids": [(6, 0, self.queue.ids)],
        } for i, user in enumerate(users)])
        self._available(*agents)
        # each agent has some load; the waiting complaints come in while nobody is
        # available (a second queue's agents are offline)
        self.env["crm.complaint"].create([{
            "name": f"Owned {size}-{i}", "partner_id": self.customer.id, "channel": "phone",
            "team_id": self.team.id, "user_id": users[i % size].id,
        } for i in range(size)])
        self.queue.route_complaints = False
        self.env["crm.complaint"].create([{
            "name": f"Waiting {size}-{i}", "partner_id": self.key_customer.id,
            "channel": "portal", "team_id": self.team.id,
            "date_received": self.now - timedelta(minutes=i),
        } for i in range(size * 5)])
        self.queue.write({"route_complaints": True, "capacity_complaint": 200,
                          "route_key_account_agents": True, "route_salesperson": True})
        self.key_customer.user_id = self.user_c

    def _assign_cost(self, strategy, queries):
        self.queue.strategy = strategy
        Complaint = self.env["crm.complaint"].sudo()
        self.env.flush_all()
        self.env.invalidate_all()
        if queries is None:
            complaint, queue = Complaint._crm_acd_assign_next(self.queue, self.now, set())
        else:
            with self.assertQueryCount(queries):
                complaint, queue = Complaint._crm_acd_assign_next(self.queue, self.now, set())
                self.env.flush_all()
        self.assertEqual(queue, self.queue)
        self.assertTrue(complaint.user_id)

    def test_bounded_queries_small_and_large(self):
        """Picking the next waiting complaint and assigning it: the same number of
        queries with 3 or 30 agents, 15 or 150 waiting complaints."""
        self._grow(1)
        for strategy in COMPLAINT_QUERIES:  # warm the caches of the registry
            self._assign_cost(strategy, None)
        for size in (3, 30):
            with self.subTest(size=size):
                self._grow(size)
                self._assign_cost("round_robin", None)  # the new records' caches
                for strategy in COMPLAINT_QUERIES:
                    self._assign_cost(strategy, COMPLAINT_QUERIES[strategy])


# an upper bound, the same at every size (53 to 65 queries are made with
# crm_analytics, 51 to 63 without, the most the first time the new agents are read):
# the pick (the complaint, its row lock), the queue, the customer's open complaint and
# salesperson, the agents and their load, the agent's row lock, the assignment (the
# complaint, its new follower and the host's "assigned to you" mail, tracking, the
# agent) and the state switcher's notification (the agent's load per channel: calls,
# live chats, complaints)
COMPLAINT_QUERIES = {"round_robin": 65, "longest_idle": 65, "least_busy": 65, "skills": 65}
