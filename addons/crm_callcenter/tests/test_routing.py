from datetime import datetime, timedelta

from odoo.tests import tagged

from .common import NOW, CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestStrategies(CrmCallcenterCommon):

    def test_longest_idle(self):
        self._available(self.agent_b, self.agent_a)  # b available first
        call, route = self._inbound()
        self.assertEqual(route, {"type": "agent", "extension": "702"})
        self.assertEqual(call.agent_id, self.agent_b)
        self.assertEqual(call.state, "ringing")
        self.assertEqual(call.routing_rule, "strategy")
        self.assertIn("Longest idle", call.routing_reason)
        self.assertEqual(self.agent_b.state, "busy", "an offered agent gets no second call")

    def test_call_taken_when_an_agent_becomes_available(self):
        """A waiting call that an agent takes as they become available says so, in
        the reader's language: the step is a code, like the others."""
        call, route = self._inbound()
        self.assertEqual(call.state, "queued")
        self.agent_a.with_user(self.user_a).action_set_available()
        self.assertEqual((call.state, call.agent_id), ("ringing", self.agent_a))
        self.assertEqual(call.routing_steps[-1], {
            "code": "dispatched", "agent": self.agent_a.id, "queue": self.queue.id})
        self.assertIn("became available", call.routing_reason)
        self.assertTrue(route)

    def test_reason_in_the_readers_language(self):
        """The routing is stored as codes and ids: each reader reads it in their
        language, with the queue's name in that language too."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.queue.with_context(lang="zh_CN").name = "客服"
        self._available(self.agent_b)
        call, _route = self._inbound()
        self.assertEqual(call.routing_steps, [{
            "code": "strategy", "queue": self.queue.id, "strategy": "longest_idle",
            "agent": self.agent_b.id}])
        self.assertEqual(call.routing_reason,
                         "Queue Service (Longest idle): offered to Agent Bai.")
        self.assertEqual(call.with_context(lang="zh_CN").routing_reason,
                         "队列 客服\uff08最长空闲\uff09\uff1a已分配给 Agent Bai。")
        # the screen-pop names the queue as the agent's lists do
        self.user_b.lang = "zh_CN"
        self.assertEqual(call._crm_screen_pop_payload(self.agent_b)["queue"], "客服")

    def test_round_robin(self):
        self.queue.strategy = "round_robin"
        self._available(self.agent_a, self.agent_b)
        self.agent_a.sudo().date_last_offered = NOW - timedelta(minutes=5)
        self.agent_b.sudo().date_last_offered = NOW - timedelta(minutes=9)
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "702")
        self.agent_b.sudo()._write_state("available")
        _call, route = self._inbound(when=NOW + timedelta(minutes=1))
        self.assertEqual(route["extension"], "701", "the other agent's turn")

    def test_least_busy(self):
        self.queue.strategy = "least_busy"
        self._available(self.agent_a, self.agent_b)
        self.env["crm.call"].sudo().create([{
            "agent_id": self.agent_a.id, "date_start": NOW - timedelta(hours=1),
            "phone": "123",
        } for _i in range(2)])
        self.env["crm.call"].sudo().create({
            "agent_id": self.agent_b.id, "date_start": NOW - timedelta(hours=1), "phone": "1",
        })
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "702")

    def test_skills(self):
        self.queue.write({"strategy": "skills", "skill_ids": [(6, 0, self.skill_tech.ids)]})
        self._available(self.agent_a, self.agent_b)
        self.agent_a.skill_ids = self.skill_tech | self.skill_en
        self.agent_b.skill_ids = self.skill_en
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "701", "only agents with the queue's skills")
        self.agent_b.skill_ids = self.skill_tech
        self.agent_a.sudo()._write_state("available")
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "702", "the most specialised first")

    def test_no_agent_queues_in_order(self):
        call_1, route_1 = self._inbound(phone="111")
        call_2, route_2 = self._inbound(phone="222", when=NOW + timedelta(seconds=5))
        self.assertEqual(route_1, {"type": "queue", "position": 1})
        self.assertEqual(route_2, {"type": "queue", "position": 2})
        self.assertEqual(call_1.state, "queued")
        self.assertEqual(call_2.queue_position, 2)
        # an agent who becomes available takes the first waiting call
        self.agent_a.with_user(self.user_a).action_set_available()
        self.assertEqual(call_1.agent_id, self.agent_a)
        self.assertEqual(call_1.state, "ringing")
        self.assertEqual(call_1.routing_rule, "dispatched")
        call_2.invalidate_recordset(["queue_position"])
        self.assertEqual(call_2.queue_position, 1)


@tagged("post_install", "-at_install")
class TestOverflow(CrmCallcenterCommon):

    def _overflow_now(self, call, seconds):
        call.sudo().date_queued = datetime.now() - timedelta(seconds=seconds)
        self.env["crm.call"]._cron_overflow_queued_calls()

    def test_overflow_to_queue(self):
        self.queue.write({"overflow_action": "queue", "overflow_queue_id": self.desk_queue.id})
        self._available(self.agent_c)
        call, _route = self._inbound()
        self.assertEqual(call.state, "queued")
        self._overflow_now(call, 30)
        self.assertEqual(call.queue_id, self.queue, "not yet past the maximum wait")
        self._overflow_now(call, 61)
        self.assertEqual(call.queue_id, self.desk_queue)
        self.assertEqual(call.agent_id, self.agent_c)
        self.assertEqual(call.routing_rule, "overflow")
        self.assertIn("overflowed to Complaint Desk", call.routing_reason)

    def test_overflow_to_voicemail(self):
        self.queue.overflow_action = "voicemail"
        call, _route = self._inbound()
        self._overflow_now(call, 61)
        self.assertEqual(call.state, "missed")
        self.assertEqual(call._acd_current_route(), {"type": "voicemail"})

    def test_zero_wait_overflows_at_once(self):
        self.queue.write({"overflow_action": "voicemail", "max_wait_seconds": 0})
        call, route = self._inbound()
        self.assertEqual(route, {"type": "voicemail"})
        self.assertEqual(call.routing_rule, "voicemail")

    def test_queues_overflowing_into_each_other_do_not_loop(self):
        self.queue.write({"overflow_action": "queue", "overflow_queue_id": self.desk_queue.id,
                          "max_wait_seconds": 0})
        self.desk_queue.write({"overflow_action": "queue", "overflow_queue_id": self.queue.id,
                               "max_wait_seconds": 0})
        call, route = self._inbound()
        self.assertEqual(route["type"], "queue")
        self.assertEqual(call.queue_id, self.desk_queue)


@tagged("post_install", "-at_install")
class TestValueRouting(CrmCallcenterCommon):

    def _complaint(self, user, team=None):
        return self.env["crm.complaint"].create({
            "name": "Broken fridge", "partner_id": self.customer.id,
            "user_id": user.id, "team_id": (team or self.other_team).id,
        })

    def test_open_complaint_to_its_owner(self):
        self._available(self.agent_a, self.agent_b, self.agent_c)
        complaint = self._complaint(self.user_c)
        call, route = self._inbound()
        self.assertEqual(route["extension"], "703", "the owner, even outside the queue")
        self.assertEqual(call.routing_rule, "complaint_owner")
        self.assertIn(complaint.reference, call.routing_reason)

    def test_owner_busy_then_complaint_team_queue(self):
        self._available(self.agent_a, self.agent_b)
        self._complaint(self.user_c)
        call, route = self._inbound()
        self.assertEqual(call.queue_id, self.desk_queue)
        self.assertEqual(route, {"type": "queue", "position": 1})
        self.assertEqual(call.routing_rule, "complaint_team")
        self.assertIn("is not available", call.routing_reason)
        self.assertIn("team's queue Complaint Desk", call.routing_reason)

    def test_complaint_settings_off(self):
        self.queue.write({"route_complaint_owner": False, "route_complaint_team": False})
        self._available(self.agent_a, self.agent_c)
        self._complaint(self.user_c)
        call, route = self._inbound()
        self.assertEqual(route["extension"], "701")
        self.assertEqual(call.routing_rule, "strategy")

    def test_closed_complaint_ignored(self):
        self._available(self.agent_a, self.agent_c)
        complaint = self._complaint(self.user_c)
        complaint.stage_id = self.env["crm.complaint.stage"].search(
            [("is_closed", "=", True)], limit=1)
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "701")

    def test_key_customer_ahead_in_queue(self):
        other, _route = self._inbound(phone="+86 21 5555 0000")
        self.customer.customer_tier = "key"
        call, route = self._inbound(when=NOW + timedelta(seconds=30))
        self.assertEqual(route, {"type": "queue", "position": 1})
        other.invalidate_recordset(["queue_position"])
        self.assertEqual(other.queue_position, 2)
        self.assertIn("Key customer", call.routing_reason)
        self.queue.route_key_priority = False
        late, route = self._inbound(when=NOW + timedelta(seconds=40))
        self.assertEqual(route["position"], 3)
        self.assertEqual(late.queue_priority, 0)

    def test_key_customer_to_key_account_agents(self):
        self.customer.customer_tier = "key"
        self.queue.route_key_account_agents = True
        self.agent_b.is_key_account = True
        self._available(self.agent_a, self.agent_b)  # a idle longer
        call, route = self._inbound()
        self.assertEqual(route["extension"], "702")
        self.assertEqual(call.routing_rule, "key_account")
        self.assertIn("key-account agents", call.routing_reason)
        # an ordinary caller goes by the strategy
        self.customer.customer_tier = "normal"
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "701")

    def test_salesperson_preferred_in_sales_queue(self):
        self.customer.user_id = self.user_b
        self._available(self.agent_a, self.agent_b)
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "701", "not a sales queue")
        self.agent_a.sudo()._write_state("available")
        self.queue.route_salesperson = True
        call, route = self._inbound()
        self.assertEqual(route["extension"], "702")
        self.assertEqual(call.routing_rule, "salesperson")
        self.assertIn("salesperson Agent Bai", call.routing_reason)
        # the salesperson busy: the strategy, and the reason says so
        call, route = self._inbound()
        self.assertEqual(route["extension"], "701")
        self.assertIn("is not available", call.routing_reason)


@tagged("post_install", "-at_install")
class TestRoutingCost(CrmCallcenterCommon):

    def _grow(self, size):
        users = self.env["res.users"].create([{
            "name": f"Agent {size}-{i}", "login": f"cc_cost_{size}_{i}",
        } for i in range(size)])
        agents = self.env["crm.call.agent"].create([{
            "user_id": user.id, "extension": f"9{size}{i:03d}",
            "queue_ids": [(6, 0, self.queue.ids)], "skill_ids": [(6, 0, self.skill_tech.ids)],
        } for i, user in enumerate(users)])
        self._available(*agents)
        self.env["crm.call"].sudo().create([{
            "agent_id": agents[i % size].id, "phone": "+86 10 6552 1234",
            "date_start": NOW - timedelta(minutes=i), "state": "done",
        } for i in range(size * 5)])
        self.env["crm.complaint"].create([{
            "name": f"Old complaint {i}", "partner_id": self.customer.id,
        } for i in range(size)])
        self.customer.customer_tier = "key"
        self.queue.write({"route_key_account_agents": True, "route_salesperson": True})
        self.customer.user_id = self.user_c

    def _route_cost(self, strategy, size, queries):
        self.queue.strategy = strategy
        self.queue.skill_ids = self.skill_tech
        call = self.env["crm.call"].sudo().create({
            "direction": "inbound", "phone": "+86 10 6552 1234", "queue_id": self.queue.id,
            "state": "ringing", "date_start": NOW,
        })
        self.env.flush_all()
        self.env.invalidate_all()
        if queries is None:
            route = call._acd_route(NOW)
        else:
            with self.assertQueryCount(queries):
                route = call._acd_route(NOW)
                self.env.flush_all()
        self.assertEqual(route["type"], "agent")
        call.agent_id.sudo()._write_state("available")

    def test_bounded_queries_small_and_large(self):
        # the same number of queries with 3 or 30 agents, 15 or 150 calls
        self._grow(1)
        for strategy in QUERIES:  # warm the caches of the registry
            self._route_cost(strategy, 1, None)
        for size in (3, 30):
            with self.subTest(size=size):
                self._grow(size)
                self._route_cost("round_robin", size, None)  # the new records' caches
                for strategy in ("round_robin", "longest_idle", "least_busy", "skills"):
                    self._route_cost(strategy, size, QUERIES[strategy])


# an upper bound, the same at every size (23 to 30 queries are made with
# crm_analytics, 23 to 28 without, the most the first time the new agents are read;
# the agent's row lock and their user's partner, the screen-pop's bus channel,
# included; the state switcher's load per channel — the agent's calls, live chats and
# complaints, one grouped query each — and their queues' capacities, 4 more)
# (the customer's tier in the call's company is one read of crm_analytics' value table;
# the call's name in the screen-pop, in the agent's time zone and language, one more)
QUERIES = {"round_robin": 30, "longest_idle": 30, "least_busy": 30, "skills": 30}
