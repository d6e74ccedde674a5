from datetime import timedelta
from unittest.mock import patch

from lxml import etree

from odoo import Command, fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, HttpCase, new_test_user, tagged
from odoo.tools import mute_logger

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CallcenterSetup, CrmCallcenterCommon


class LivechatSetup(CallcenterSetup):
    """A live chat channel of the host tied to the Service queue (no operator of its
    own), and one untied, answered by a plain live chat operator."""

    @classmethod
    def _setup_livechat(cls):
        env = cls.env
        cls.queue.capacity_chat = 2
        Livechat = env["im_livechat.channel"]
        cls.livechat = Livechat.create({
            "name": "CC Website", "user_ids": [Command.clear()],
            "crm_queue_id": cls.queue.id,
        })
        cls.operator = new_test_user(
            env, login="cc_livechat_operator", name="Operator Ou",
            groups="base.group_user,im_livechat.im_livechat_group_user",
        )
        cls.untied = Livechat.create({"name": "CC Untied", "user_ids": [
            Command.set([cls.operator.id])]})
        cls.portal_user = new_test_user(
            env, login="cc_chat_portal", name="Portal Pan", groups="base.group_portal",
        )
        cls.portal_user.partner_id.parent_id = cls.customer

    def _online(self, *users):
        """Users with a web client open: online for the host's live chat."""
        for user in users:
            self.env["bus.presence"].sudo().search([("user_id", "=", user.id)]).unlink()
            self.env["bus.presence"].sudo().create({"user_id": user.id, "status": "online"})
        self.env.invalidate_all()

    def _chat(self, livechat=None, visitor=None):
        """A visitor opens a chat of ``livechat`` as the host's controller does: the
        new session, or ``False`` when the host finds no operator."""
        self.env.invalidate_all()
        vals = (livechat or self.livechat).with_context(lang=False).sudo() \
            ._get_livechat_discuss_channel_vals(
                "Visitor", user_id=visitor.id if visitor else None)
        if not vals:
            return False
        return self.env["discuss.channel"].sudo().create(vals)

    def _operator_user(self, session):
        return session.livechat_operator_id.user_ids


class LivechatCase(LivechatSetup, CrmCallcenterCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_livechat()


@tagged("post_install", "-at_install")
class TestLivechatRouting(LivechatCase):

    def test_strategy_within_chat_capacity(self):
        """The queue's strategy among its available agents, each up to the queue's
        chats at once; a chat ended frees the capacity."""
        self._available(self.agent_a, self.agent_b)  # a idle longest
        first = self._chat()
        self.assertEqual(self._operator_user(first), self.user_a)
        self.assertEqual(first.crm_queue_id, self.queue)
        self.assertEqual(first.crm_chat_status, "waiting")
        self.assertTrue(self.agent_a.date_last_chat)
        self.assertEqual(self.agent_a.load_chat_count, 1)
        self.assertEqual(self._operator_user(self._chat()), self.user_a)
        # a has their 2 chats: b takes the next ones, up to 2
        self.assertEqual(self._operator_user(self._chat()), self.user_b)
        self.assertEqual(self._operator_user(self._chat()), self.user_b)
        self.assertEqual(self.agent_a._crm_load()[self.agent_a.id]["chat"], 2)
        self.assertFalse(self._chat(), "nobody with chats left, no other operator: "
                                       "the host's no operator")
        # a's first chat ends: a has room again
        first._close_livechat_session()
        self.assertFalse(first.livechat_active)
        self.assertEqual(self.agent_a.load_chat_count, 1)
        self.assertEqual(self._operator_user(self._chat()), self.user_a)

    def test_round_robin_of_chats(self):
        self.queue.strategy = "round_robin"
        self._available(self.agent_a, self.agent_b)
        operators = [self._operator_user(self._chat()) for _index in range(3)]
        self.assertEqual(operators, [self.user_a, self.user_b, self.user_a])
        self.assertFalse(self.agent_a.date_last_offered, "a chat is not a call offered")

    def test_key_customer_to_salesperson(self):
        """A signed-in customer's chat goes to their salesperson's agent first."""
        self.customer.write({"customer_tier": "key", "user_id": self.user_b.id})
        self.queue.route_salesperson = True
        self._available(self.agent_a, self.agent_b)  # a idle longest
        session = self._chat(visitor=self.portal_user)
        self.assertEqual(self._operator_user(session), self.user_b)
        self.assertIn(self.portal_user.partner_id, session.channel_member_ids.partner_id)
        # an anonymous visitor: the strategy, whatever the caller's context says
        self.assertEqual(self._operator_user(self._chat()), self.user_a)
        Livechat = self.livechat.sudo().with_context(
            crm_livechat_partner_id=self.customer.id, crm_livechat_host_only=True)
        vals = Livechat._get_livechat_discuss_channel_vals("Visitor")
        self.assertEqual(vals["livechat_operator_id"], self.user_a.partner_id.id,
                         "the strategy's choice (a idle longest), not the salesperson")
        # the salesperson at capacity: the strategy for the customer too
        self._chat(visitor=self.portal_user)
        self.assertEqual(self._operator_user(self._chat(visitor=self.portal_user)),
                         self.user_a)

    def test_open_complaint_to_its_owner(self):
        self._available(self.agent_a, self.agent_b)
        self.env["crm.complaint"].create({
            "name": "Broken teapot", "partner_id": self.customer.id, "channel": "phone",
            "user_id": self.user_b.id,
        })
        self.assertEqual(self._operator_user(self._chat(visitor=self.portal_user)),
                         self.user_b)
        self.queue.route_complaint_owner = False
        self.assertEqual(self._operator_user(self._chat(visitor=self.portal_user)),
                         self.user_a)

    def test_agent_in_a_call(self):
        """In a call, an agent is offered a chat after the available ones, and only
        by a queue that takes chats at all (capacity 0: no chat from it)."""
        self._available(self.agent_a, self.agent_b)
        _call, route = self._inbound()
        self.assertEqual(route["extension"], "701")
        self.assertEqual(self.agent_a.state, "busy")
        self.assertEqual(self._operator_user(self._chat()), self.user_b,
                         "the available agent first")
        self.agent_b.sudo()._write_state("away")
        self.assertEqual(self._operator_user(self._chat()), self.user_a,
                         "then the one in a call, within capacity")
        self.queue.capacity_chat = 0
        self.assertFalse(self._chat())
        # nor by the host, as an operator of the channel online on the web
        self.livechat.user_ids = self.user_a
        self._online(self.user_a)
        self.assertFalse(self.livechat.available_operator_ids)
        self.assertFalse(self._chat())
        self.assertEqual(self.agent_a._crm_load()[self.agent_a.id],
                         {"call": 1, "chat": 1, "complaint": 0})

    def test_agent_in_two_queues(self):
        """The queue offering the chat sets the limit; the load counts the chats of
        both queues' channels."""
        self.queue.capacity_chat = 1
        self.desk_queue.capacity_chat = 2
        self.agent_a.queue_ids |= self.desk_queue
        desk_chat = self.env["im_livechat.channel"].create({
            "name": "CC Desk", "user_ids": [Command.clear()],
            "crm_queue_id": self.desk_queue.id,
        })
        self._available(self.agent_a)
        self.assertEqual(self._operator_user(self._chat(desk_chat)), self.user_a)
        self.assertFalse(self._chat(), "Service takes one chat at once: a has one")
        self.assertEqual(self._operator_user(self._chat(desk_chat)), self.user_a)
        self.assertFalse(self._chat(desk_chat), "the desk's 2 at once reached")
        self.assertEqual(self.agent_a.load_display,
                         "Calls 0/1 \u00b7 Chats 2/2 \u00b7 Complaints 0/10")

    def test_nobody_available_host_fallback(self):
        """No agent may take the chat: the host chooses among the channel's other
        operators as it always does, never an agent the queue would not offer it."""
        self.livechat.user_ids = self.operator | self.user_a
        self._online(self.operator, self.user_a)
        self.agent_a.sudo()._write_state("away")
        self.assertEqual(self.livechat.available_operator_ids, self.operator)
        session = self._chat()
        self.assertEqual(self._operator_user(session), self.operator)
        self.assertEqual(session.crm_queue_id, self.queue, "offered through the queue")
        self.assertFalse(self.agent_a.date_last_chat)
        # nobody at all: the host's no operator (no session)
        self._online()
        self.env["bus.presence"].sudo().search(
            [("user_id", "=", self.operator.id)]).status = "offline"
        self.env.invalidate_all()
        self.assertFalse(self.livechat.available_operator_ids)
        self.assertFalse(self._chat())
        # an available agent makes the channel available, whatever their presence
        self._available(self.agent_b)
        self.env.invalidate_all()
        self.assertEqual(self.livechat.available_operator_ids, self.user_b)
        self.assertTrue(self.livechat.get_livechat_info()["available"])

    def test_agent_going_offline_keeps_open_chats(self):
        self.livechat.user_ids = self.user_a
        self._online(self.user_a)
        self._available(self.agent_a, self.agent_b)
        chats = self._chat() | self._chat()
        self.assertEqual(chats.livechat_operator_id, self.user_a.partner_id)
        self.agent_a.with_user(self.user_a).action_set_offline()
        self.assertEqual(chats.livechat_operator_id, self.user_a.partner_id,
                         "open chats stay with their operator")
        self.assertEqual(chats.mapped("livechat_active"), [True, True])
        self.assertEqual(self.agent_a.load_chat_count, 2)
        self.env.invalidate_all()
        self.assertNotIn(self.user_a, self.livechat.available_operator_ids,
                         "online for the host, but offline as an agent")
        self.assertEqual(self._operator_user(self._chat()), self.user_b)
        for state in ("away", "wrap_up"):
            self.agent_b.sudo()._write_state(state)
            with self.subTest(state=state):
                self.assertFalse(self._chat())

    def test_abandoned_and_answered(self):
        self._available(self.agent_a, self.agent_b)
        answered, abandoned, closed = self._chat(), self._chat(), self._chat()
        visitor = self.env["res.partner"].create({"name": "Chat Visitor"})
        for session in (answered, abandoned):
            session.message_post(body="Hello?", author_id=visitor.id,
                                 message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(answered.crm_chat_status, "waiting",
                         "the visitor's own message answers nothing")
        operator = self._operator_user(answered)
        answered.with_user(operator).message_post(
            body="How may I help?", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(answered.crm_chat_status, "answered")
        self.assertTrue(answered.crm_date_answered)
        for session in (answered, abandoned, closed):
            session._close_livechat_session()
        self.assertEqual(answered.crm_chat_status, "answered")
        self.assertEqual(abandoned.crm_chat_status, "abandoned")
        self.assertEqual(closed.crm_chat_status, "abandoned", "ended before an answer")
        self.assertFalse(abandoned.crm_date_answered)
        # the queue's figures count them
        counts = dict(self.env["discuss.channel"]._read_group(
            [("crm_queue_id", "=", self.queue.id)], ["crm_chat_status"], ["__count"]))
        self.assertEqual(counts, {"answered": 1, "abandoned": 2})

    def test_silent_chats_end(self):
        """A chat whose visitor went away without leaving ends once silent for the
        queue's minutes: it frees its agent's capacity, counts as abandoned if nobody
        answered, and says why in the session, in its operator's language."""
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "crm_callcenter")])._update_translations(["zh_CN"])
        self._available(self.agent_a, self.agent_b)
        answered, unanswered, talking = self._chat(), self._chat(), self._chat()
        visitor = self.env["res.partner"].create({"name": "Gone Visitor"})
        for session in (answered, unanswered, talking):
            session.message_post(body="Hello?", author_id=visitor.id,
                                 message_type="comment", subtype_xmlid="mail.mt_comment")
        for session in (answered, talking):
            session.with_user(self._operator_user(session)).message_post(
                body="How may I help?", message_type="comment",
                subtype_xmlid="mail.mt_comment")
        # the job runs in English; one operator reads Chinese, the other English
        other = (self.user_a | self.user_b) - self._operator_user(answered)
        unanswered.sudo().livechat_operator_id = other.partner_id
        self._operator_user(answered).lang = "zh_CN"
        other.lang = "en_US"
        now = fields.Datetime.now()
        (answered | unanswered).write({"last_interest_dt": now - timedelta(minutes=61)})
        talking.last_interest_dt = now - timedelta(minutes=10)
        agents = self.agent_a | self.agent_b
        load = sum(agents.mapped("load_chat_count"))
        self.assertEqual(load, 3)
        Channel = self.env["discuss.channel"].with_context(lang="en_US")
        ended = Channel._cron_end_silent_chats()
        self.assertEqual(ended, answered | unanswered)
        self.assertEqual([answered.livechat_active, unanswered.livechat_active,
                          talking.livechat_active], [False, False, True])
        self.assertEqual(answered.crm_chat_status, "answered")
        self.assertEqual(unanswered.crm_chat_status, "abandoned")
        self.assertEqual(talking.crm_chat_status, "answered")
        self.assertIn("聊天在 60 分钟没有消息后已结束", answered.message_ids[0].body)
        self.assertIn("60 minutes without a message", unanswered.message_ids[0].body)
        self.env.invalidate_all()
        self.assertEqual(sum(agents.mapped("load_chat_count")), 1)
        # a second run finds nothing; a queue set to 0 never ends them
        self.assertFalse(Channel._cron_end_silent_chats())
        self.queue.chat_idle_minutes = 0
        talking.last_interest_dt = now - timedelta(days=3)
        self.assertFalse(Channel._cron_end_silent_chats())
        self.assertTrue(talking.livechat_active)

    def test_silent_chat_that_cannot_take_its_note(self):
        """A session whose note fails is ended all the same, and the others too."""
        self._available(self.agent_a, self.agent_b)
        broken, fine = self._chat(), self._chat()
        (broken | fine).write(
            {"last_interest_dt": fields.Datetime.now() - timedelta(minutes=90)})
        Channel = type(self.env["discuss.channel"])
        close = Channel._close_livechat_session

        def failing(channel, **kwargs):
            if channel == broken:
                raise ValueError("mail server gone")
            return close(channel, **kwargs)

        with patch.object(Channel, "_close_livechat_session", failing), \
                mute_logger("odoo.addons.crm_callcenter.models.discuss_channel"):
            ended = self.env["discuss.channel"]._cron_end_silent_chats()
        self.assertEqual(ended, broken | fine)
        self.assertEqual((broken | fine).mapped("livechat_active"), [False, False])
        self.assertEqual(broken.crm_chat_status, "abandoned")

    def test_silent_chats_minutes_bounded(self):
        for minutes in (-1, 1441):
            with self.subTest(minutes=minutes), self.assertRaisesRegex(
                    ValidationError, "0 to 1440 minutes"):
                self.queue.chat_idle_minutes = minutes
                self.env.flush_all()

    def test_chatbot_hands_over_to_the_acd_agent(self):
        """A chatbot of a tied channel forwards the visitor to a person: the queue's
        agent, who becomes the session's operator (their load, the queue's count)."""
        script = self.env["chatbot.script"].create({"title": "CC Bot"})
        forward = self.env["chatbot.script.step"].create({
            "step_type": "forward_operator", "message": "A person will answer you.",
            "chatbot_script_id": script.id,
        })
        self.env["im_livechat.channel.rule"].create({
            "channel_id": self.livechat.id, "chatbot_script_id": script.id})
        self.queue.capacity_chat = 1
        self._available(self.agent_a, self.agent_b)  # a idle longest
        session = self.env["discuss.channel"].sudo().create(
            self.livechat.with_context(lang=False).sudo()._get_livechat_discuss_channel_vals(
                "Visitor", chatbot_script=script))
        self.assertEqual(session.livechat_operator_id, script.operator_partner_id)
        self.assertFalse(session.crm_queue_id, "the bot answers: no person offered yet")
        self.assertEqual(self.agent_a.load_chat_count, 0)
        forward._process_step(session)
        self.assertEqual(self._operator_user(session), self.user_a)
        self.assertIn(self.user_a.partner_id, session.channel_member_ids.partner_id)
        self.assertEqual((session.crm_queue_id, session.crm_chat_status),
                         (self.queue, "waiting"))
        self.env.invalidate_all()  # the load is read live
        self.assertEqual(self.agent_a.load_chat_count, 1)
        self.assertTrue(self.agent_a.date_last_chat)
        self.assertEqual(self._operator_user(self._chat()), self.user_b,
                         "a has their one chat")
        session._close_livechat_session()
        self.assertEqual(session.crm_chat_status, "abandoned",
                         "the bot's messages are no person's answer")
        # a signed-in customer: the bot hands them to their salesperson, whatever
        # the caller's context says of the visitor
        self.customer.user_id = self.user_b
        self.queue.write({"route_salesperson": True, "capacity_chat": 2})
        self._available(self.agent_a, self.agent_b)
        forged = self.env["res.partner"].create({"name": "Not The Visitor"})
        portal_session = self.env["discuss.channel"].sudo().create(
            self.livechat.with_context(lang=False).sudo()._get_livechat_discuss_channel_vals(
                "Visitor", chatbot_script=script, user_id=self.portal_user.id))
        # the host's controller makes the signed-in visitor a member
        portal_session._add_members(users=self.portal_user, post_joined_message=False)
        forward.with_context(crm_livechat_partner_id=forged.id)._process_step(
            portal_session.with_context(crm_livechat_partner_id=forged.id,
                                        crm_livechat_host_only=True))
        self.assertEqual(self._operator_user(portal_session), self.user_b)
        # nobody may take it: the bot goes on, the session stays the bot's
        other = self.env["discuss.channel"].sudo().create(
            self.livechat.with_context(lang=False).sudo()._get_livechat_discuss_channel_vals(
                "Visitor", chatbot_script=script))
        (self.agent_a | self.agent_b).sudo()._write_state("away")
        forward._process_step(other)
        self.assertEqual(other.livechat_operator_id, script.operator_partner_id)
        self.assertFalse(other.crm_queue_id)

    def test_untied_channel_is_the_hosts(self):
        """A channel tied to no queue: the host's operators by the host's presence,
        whatever the call center says of them; nothing recorded."""
        self.agent_a.sudo()._write_state("offline")
        self.untied.user_ids |= self.user_a
        self._online(self.operator)
        self.assertEqual(self.untied.available_operator_ids, self.operator)
        session = self._chat(self.untied)
        self.assertEqual(self._operator_user(session), self.operator)
        self.assertFalse(session.crm_queue_id)
        self.assertFalse(session.crm_chat_status)
        session._close_livechat_session()
        self.assertFalse(session.crm_chat_status)
        # an agent operating an untied channel: chosen by the host, even offline
        self.untied.user_ids = self.user_a
        self._online(self.user_a)
        self.assertEqual(self._operator_user(self._chat(self.untied)), self.user_a)
        self.assertFalse(self.agent_a.date_last_chat)
        self.assertEqual(self.agent_a.load_chat_count, 1,
                         "a chat of any channel is the agent's load")

    def test_queue_link_and_outcome_are_refused_to_clients(self):
        self._available(self.agent_a)
        session = self._chat(visitor=self.portal_user)
        livechat_user = new_test_user(
            self.env, login="cc_livechat_user", name="Livechat Li",
            groups="base.group_user,im_livechat.im_livechat_group_user",
        )
        # an agent who runs the live chat, not a manager of the call center
        livechat_agent = new_test_user(
            self.env, login="cc_livechat_agent", name="Livechat Lu",
            groups="crm_callcenter.group_crm_callcenter_supervisor,"
                   "im_livechat.im_livechat_group_manager",
        )
        public = self.env.ref("base.public_user")
        employee = new_test_user(self.env, login="cc_plain_employee", name="Employee Em",
                                 groups="base.group_user")
        context = {"install_mode": True, "tracking_disable": True}
        for user in (public, self.portal_user, employee, self.user_a):
            for vals in ({"crm_chat_status": "answered"}, {"crm_queue_id": False},
                         {"crm_date_answered": "2025-01-01 00:00:00"}):
                with self.subTest(user=user.login, vals=vals), \
                        self.assertRaises(AccessError):
                    session.with_user(user).with_context(**context).write(vals)
        # the operator, member of the session, is refused by the server's guard
        with self.assertRaisesRegex(AccessError, "cannot be set by hand"):
            session.with_user(self.user_a).write({"crm_chat_status": "abandoned"})
        for user in (public, self.portal_user, employee, livechat_user, livechat_agent,
                     self.supervisor):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.livechat.with_user(user).with_context(**context).write(
                    {"crm_queue_id": self.desk_queue.id})
        with self.assertRaisesRegex(AccessError, "Only .* can change"):
            self.livechat.with_user(livechat_agent).write({"crm_queue_id": False})
        self.assertEqual(session.crm_chat_status, "waiting")
        self.assertEqual(self.livechat.crm_queue_id, self.queue)
        # the live chat user still joins and leaves; a call center manager who runs
        # the live chat ties the channel
        self.livechat.with_user(livechat_user).action_join()
        self.assertIn(livechat_user, self.livechat.user_ids)
        self.manager.groups_id |= self.env.ref("im_livechat.im_livechat_group_user")
        self.livechat.with_user(self.manager).crm_queue_id = self.desk_queue
        self.assertEqual(self.livechat.crm_queue_id, self.desk_queue)

    def test_channel_form(self):
        """The channel's form: the queue editable for call center managers, shown
        read-only to agents, absent for live chat users outside the call center."""
        def queue_nodes(user):
            arch = self.env["im_livechat.channel"].with_user(user).get_views(
                [(False, "form")])["views"]["form"]["arch"]
            return etree.fromstring(arch).xpath("//field[@name='crm_queue_id']")

        self.manager.groups_id |= self.env.ref("im_livechat.im_livechat_group_manager")
        self.supervisor.groups_id |= self.env.ref("im_livechat.im_livechat_group_manager")
        livechat_user = new_test_user(
            self.env, login="cc_livechat_admin", name="Livechat Lan",
            groups="base.group_user,im_livechat.im_livechat_group_manager",
        )
        nodes = queue_nodes(self.manager)
        self.assertEqual(len(nodes), 1)
        self.assertNotEqual(nodes[0].get("readonly"), "1")
        nodes = queue_nodes(self.supervisor)
        self.assertEqual([node.get("readonly") for node in nodes], ["1"])
        self.assertFalse(queue_nodes(livechat_user))
        with Form(self.livechat.with_user(self.manager)) as form:
            form.crm_queue_id = self.desk_queue
        self.assertEqual(self.livechat.crm_queue_id, self.desk_queue)


@tagged("post_install", "-at_install")
class TestLivechatRoutingCost(LivechatCase):

    def _grow(self, size):
        users = self.env["res.users"].create([{
            "name": f"Chat Agent {size}-{index}", "login": f"cc_chat_{size}_{index}",
        } for index in range(size)])
        agents = self.env["crm.call.agent"].create([{
            "user_id": user.id, "extension": f"6{size}{index:03d}",
            "queue_ids": [(6, 0, self.queue.ids)],
        } for index, user in enumerate(users)])
        self._available(*agents)
        self.customer.write({"customer_tier": "key", "user_id": self.user_c.id})
        self.queue.write({"route_key_account_agents": True, "route_salesperson": True})
        return agents

    def _chat_cost(self, queries):
        self.env.flush_all()
        self.env.invalidate_all()
        Livechat = self.livechat.with_context(lang=False).sudo()
        with self.assertQueryCount(queries):
            vals = Livechat._get_livechat_discuss_channel_vals(
                "Visitor", user_id=self.portal_user.id)
            session = self.env["discuss.channel"].sudo().create(vals)
            self.env.flush_all()
        self.assertTrue(session.livechat_operator_id)
        session._close_livechat_session()

    def test_bounded_queries_small_and_large(self):
        """One chat offered through the queue: the same number of queries with 3 or
        30 agents, each with open chats."""
        self._grow(1)
        self._chat_cost(CHAT_QUERIES + 20)  # warm the registry's caches
        for size in (3, 30):
            with self.subTest(size=size):
                agents = self._grow(size)
                # each agent answers a chat already
                self.env["discuss.channel"].sudo().create([{
                    "name": f"Open chat {agent.id}", "channel_type": "livechat",
                    "livechat_active": True, "livechat_channel_id": self.untied.id,
                    "livechat_operator_id": agent.user_id.partner_id.id,
                } for agent in agents])
                self.assertEqual(set(agents.mapped("load_chat_count")), {1})
                self._chat_cost(CHAT_QUERIES)


# an upper bound, the same at every size (28 or 29 queries are made at 3 and at 30
# agents; the customer's tier in the company, one read of crm_analytics' value
# table, one more once it is installed): the host's own session creation (the
# channel, its members, the operator's partner), the ACD's choice (the complaint and
# salesperson rules, the agents with chat capacity in one grouped query, the agent's
# row lock), the agent's round robin date and their state switcher (load per channel)
CHAT_QUERIES = 32


@tagged("post_install", "-at_install")
class TestLivechatHttp(LivechatSetup, RpcMixin, HttpCase):
    """The host's controller opens the session: the ACD's agent answers it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._setup_callcenter()
        cls._setup_livechat()

    def _get_session(self):
        return self.make_jsonrpc_request("/im_livechat/get_session", {
            "channel_id": self.livechat.id, "anonymous_name": "Visitor",
            "persisted": True,
        })

    def test_public_visitor_gets_the_acd_agent(self):
        self._available(self.agent_a, self.agent_b)  # a idle longest
        self.url_open("/web/login")  # a public visitor's session
        self.assertTrue(self._get_session())
        session = self.env["discuss.channel"].search(
            [("livechat_channel_id", "=", self.livechat.id)])
        self.assertEqual(len(session), 1)
        self.assertEqual(session.livechat_operator_id, self.user_a.partner_id)
        self.assertEqual(session.crm_queue_id, self.queue)

    def test_portal_customer_gets_their_salesperson(self):
        self.customer.user_id = self.user_b
        self.queue.route_salesperson = True
        self._available(self.agent_a, self.agent_b)
        self.authenticate("cc_chat_portal", "cc_chat_portal")
        self.assertTrue(self._get_session())
        session = self.env["discuss.channel"].search(
            [("livechat_channel_id", "=", self.livechat.id)])
        self.assertEqual(session.livechat_operator_id, self.user_b.partner_id)
        # the customer, a member of their session, cannot mark it over RPC
        error = self.assertRpcRefused(
            AccessError, "cc_chat_portal", "discuss.channel", "write", [session.id],
            {"crm_chat_status": "answered"}, context={"install_mode": True})
        self.assertTrue(error["message"])
        self.assertEqual(session.crm_chat_status, "waiting")

    def test_agent_cannot_change_silent_chat_minutes(self):
        """A queue manager's setting: an agent cannot change it over RPC."""
        self.assertRpcRefused(AccessError, self.user_a.login, "crm.call.queue", "write",
                              [self.queue.id], {"chat_idle_minutes": 5})
        self.assertEqual(self.queue.chat_idle_minutes, 60)

    def test_nobody_available_no_session(self):
        self.url_open("/web/login")
        self.assertFalse(self._get_session())
        self.assertFalse(self.env["discuss.channel"].search(
            [("livechat_channel_id", "=", self.livechat.id)]))
