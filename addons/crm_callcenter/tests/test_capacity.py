from odoo.exceptions import ValidationError
from odoo.tests import new_test_user, tagged

from .common import NOW, CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestCapacity(CrmCallcenterCommon):
    """Capacity per agent and channel: queue settings with bounds, the agent's load
    per channel (set-based), which agents a queue may offer an item of a channel."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.stage_closed = cls.env["crm.complaint.stage"].search(
            [("is_closed", "=", True)], limit=1)

    def _complaints(self, user, count, company=None, **vals):
        return self.env["crm.complaint"].create([{
            "name": f"Load {index}", "partner_id": self.customer.id, "user_id": user.id,
            "channel": "phone", "company_id": (company or self.company).id, **vals,
        } for index in range(count)])

    def test_defaults_and_bounds(self):
        queue = self.env["crm.call.queue"].create({"name": "Defaults", "code": "DEF"})
        self.assertEqual((queue.capacity_call, queue.capacity_chat, queue.capacity_complaint),
                         (1, 3, 10))
        for field, value, text in (
            ("capacity_call", 0, "calls at once must be between 1 and 5, not 0"),
            ("capacity_call", 6, "calls at once must be between 1 and 5, not 6"),
            ("capacity_chat", -1, "chats at once must be between 0 and 20, not -1"),
            ("capacity_chat", 21, "chats at once must be between 0 and 20, not 21"),
            ("capacity_complaint", 201,
             "complaints in progress must be between 0 and 200, not 201"),
            ("complaint_wait_minutes", -5, "not -5"),
        ):
            with self.subTest(field=field, value=value), \
                    self.assertRaisesText(ValidationError, text):
                queue.write({field: value})
        queue.write({"capacity_call": 5, "capacity_chat": 0, "capacity_complaint": 200})
        # the error in the reader's language
        self.env["res.lang"]._activate_lang("zh_CN")
        with self.assertRaisesText(ValidationError, "\u4e4b\u95f4"):  # 之间
            queue.with_context(lang="zh_CN").capacity_chat = 99

    def test_load_per_channel(self):
        self._available(self.agent_a, self.agent_b)
        call, route = self._inbound()
        self.assertEqual(route["extension"], "701")
        self._complaints(self.user_a, 3)
        closed = self._complaints(self.user_a, 2)
        closed.stage_id = self.stage_closed
        # a complaint of the user in another company is not this agent's load
        other_company = self.env["res.company"].create({"name": "Other CC Company"})
        self.user_a.company_ids |= other_company
        self._complaints(self.user_a, 1, company=other_company)
        self._complaints(self.user_b, 1)
        loads = (self.agent_a | self.agent_b)._crm_load()
        self.assertEqual(loads[self.agent_a.id], {"call": 1, "chat": 0, "complaint": 3})
        self.assertEqual(loads[self.agent_b.id], {"call": 0, "chat": 0, "complaint": 1})
        self.assertEqual(self.agent_a.load_call_count, 1)
        self.assertEqual(self.agent_a.load_complaint_count, 3)
        self.assertEqual(self.agent_a.load_display, "Calls 1/1 \u00b7 Chats 0/3 \u00b7 "
                                                    "Complaints 3/10")
        self.env["res.lang"]._activate_lang("zh_CN")
        self.assertEqual(self.agent_a.with_context(lang="zh_CN").load_display,
                         "\u901a\u8bdd 1/1 \u00b7 \u804a\u5929 0/3 \u00b7 "
                         "\u6295\u8bc9 3/10")  # 通话 · 聊天 · 投诉
        # the call ends: the load follows
        call.sudo().write({"state": "done"})
        self.assertEqual(self.agent_a._crm_load()[self.agent_a.id]["call"], 0)
        # the state switcher shows it
        info = self.agent_a._crm_switcher_info()
        self.assertEqual(info["load"], [
            {"channel": "call", "load": 0, "capacity": 1},
            {"channel": "chat", "load": 0, "capacity": 3},
            {"channel": "complaint", "load": 3, "capacity": 10},
        ])

    def test_load_is_one_query_per_channel(self):
        """The load of many agents: one grouped query per channel — calls, live
        chats, complaints — and the agents' own row, the same for 2 or 20 agents."""
        def grow(size):
            users = self.env["res.users"].create([{
                "name": f"Load Agent {size}-{index}", "login": f"cc_load_{size}_{index}",
            } for index in range(size)])
            agents = self.env["crm.call.agent"].create([{
                "user_id": user.id, "extension": f"8{size}{index:03d}",
                "queue_ids": [(6, 0, self.queue.ids)],
            } for index, user in enumerate(users)])
            for user in users:
                self._complaints(user, 2)
                self.env["discuss.channel"].sudo().create({
                    "name": f"Chat of {user.name}", "channel_type": "livechat",
                    "livechat_active": True, "livechat_operator_id": user.partner_id.id,
                })
            return agents

        for size in (2, 20):
            agents = grow(size)
            self.env.flush_all()
            self.env.invalidate_all()
            with self.subTest(size=size), self.assertQueryCount(4):
                loads = agents._crm_load()
            self.assertEqual({load["complaint"] for load in loads.values()}, {2})
            self.assertEqual({load["chat"] for load in loads.values()}, {1})

    def test_two_queues_the_offering_queue_sets_the_limit(self):
        """An agent in two queues: the queue offering the item sets the limit for
        its channel; the load counts the channel's items of every queue."""
        self.queue.capacity_complaint = 2
        self.desk_queue.capacity_complaint = 5
        self.agent_a.queue_ids |= self.desk_queue
        self._available(self.agent_a)
        self._complaints(self.user_a, 1, team_id=self.team.id)
        self._complaints(self.user_a, 1, team_id=self.other_team.id)
        self.assertFalse(self.agent_a._crm_has_capacity("complaint", self.queue))
        self.assertEqual(self.agent_a._crm_has_capacity("complaint", self.desk_queue),
                         self.agent_a)
        self.assertEqual(self.agent_a.load_display,
                         "Calls 0/1 \u00b7 Chats 0/3 \u00b7 Complaints 2/5",
                         "shown against the highest capacity of the agent's queues")
        self.desk_queue.capacity_complaint = 0
        self.assertFalse(self.agent_a._crm_has_capacity("complaint", self.desk_queue),
                         "a queue with no capacity for a channel offers none of it")

    def test_states_across_channels(self):
        """Busy (in a call) still takes chats and complaints within capacity; wrap-up,
        away and offline take nothing new; a second call only above a capacity of 1."""
        agents = self.agent_a | self.agent_b
        self._available(self.agent_a, self.agent_b)
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "701")
        self.assertEqual(self.agent_a.state, "busy")
        self.assertEqual(agents._crm_has_capacity("complaint", self.queue), agents)
        self.assertEqual(agents._crm_has_capacity("chat", self.queue), agents)
        self.assertEqual(agents._crm_has_capacity("call", self.queue), self.agent_b)
        self.queue.capacity_call = 2
        self.assertEqual(agents._crm_has_capacity("call", self.queue), agents)
        _call, route = self._inbound(phone="+86 10 6552 0002")
        self.assertEqual(route["extension"], "702", "the available agent first")
        _call, route = self._inbound(phone="+86 10 6552 0003")
        self.assertEqual(route["extension"], "701", "then a second call for one in a call")
        _call, route = self._inbound(phone="+86 10 6552 0004")
        self.assertEqual(route["extension"], "702")
        _call, route = self._inbound(phone="+86 10 6552 0005")
        self.assertEqual(route["type"], "queue", "both have their 2 calls")
        for state in ("wrap_up", "away", "offline"):
            agents.sudo()._write_state(state)
            with self.subTest(state=state):
                for channel in ("call", "chat", "complaint"):
                    self.assertFalse(agents._crm_has_capacity(channel, self.queue))

    def test_an_available_agent_is_the_pbx_word_for_calls(self):
        """At one call at once, the state decides: a supervisor frees an agent a lost
        event of the PBX left with a ringing call, and they take calls again."""
        self._available(self.agent_a)
        call, _route = self._inbound()
        self.assertEqual(call.agent_id, self.agent_a)
        self.agent_a.with_user(self.supervisor).action_set_available()
        _call, route = self._inbound(phone="+86 10 6552 0002", when=NOW)
        self.assertEqual(route["extension"], "701")

    def test_agent_sees_own_load_only_through_switcher(self):
        user = new_test_user(self.env, login="cc_load_viewer", name="Viewer",
                             groups="crm_callcenter.group_crm_callcenter_agent")
        agent = self.env["crm.call.agent"].create({
            "user_id": user.id, "extension": "790", "queue_ids": [(6, 0, self.queue.ids)]})
        self._complaints(user, 2)
        info = self.env["crm.call.agent"].with_user(user).get_my_agent_state()
        self.assertEqual(info["id"], agent.id)
        self.assertIn({"channel": "complaint", "load": 2, "capacity": 10}, info["load"])
