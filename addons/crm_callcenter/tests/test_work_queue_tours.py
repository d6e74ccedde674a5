import re

from odoo import Command, fields
from odoo.tests import new_test_user, tagged

from .test_tours import CallcenterTourCommon


class WorkQueueTourCommon(CallcenterTourCommon):
    """The one work queue of a service team: its queue answers the calls of the PBX,
    the chats of a live chat channel and the complaints of the portal, through the
    ACD, each within the agent's capacity (1 call, 3 chats, 10 complaints)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cn = env.ref("base.cn")
        cls.team = env["crm.team"].create({
            "name": "Tour Service Team", "member_ids": [Command.set(cls.agent_user.ids)],
        })
        cls.queue.write({
            "team_id": cls.team.id, "route_complaints": True, "route_salesperson": True,
            "max_wait_seconds": 120, "overflow_action": "none",
        })
        cls.livechat = env["im_livechat.channel"].create({
            "name": "Tour Website Chat", "user_ids": [Command.clear()],
            "crm_queue_id": cls.queue.id,
        })
        cls.category = env["crm.complaint.category"].create({
            "name": "Tour Breakage", "team_id": cls.team.id,
        })
        cls.customer = env["res.partner"].create({
            "name": "Tour Jade Teahouse", "is_company": True, "phone": "010 8888 6666",
            "country_id": cn.id,
        })
        cls.portal_user = new_test_user(
            env, login="cc_tour_portal", name="Tour Portal Pan", groups="base.group_portal",
        )
        cls.portal_user.partner_id.write({"parent_id": cls.customer.id, "country_id": cn.id})
        cls.endpoint = env["crm.cti.endpoint"].create({"name": "Tour PBX"})

    # the three channels, each through its real entrance ------------------------

    def _pbx(self, event, call_id, **values):
        """An event of the PBX, as the CTI controller hands it over."""
        return self.endpoint.sudo()._cti_handle({
            "event": event, "call_id": call_id,
            "timestamp": fields.Datetime.now().isoformat() + "Z", **values,
        })

    def _ring(self, call_id, phone="+86 10 8888 6666"):
        return self._pbx("ringing", call_id, direction="inbound", to="4008001234",
                         queue="TOUR", **{"from": phone})

    def _portal_chat(self, text="Tour hello, my teapot lid is cracked"):
        """The signed-in customer opens a chat from the live chat widget and writes:
        the host's controllers create the session (the operator chosen by the ACD)
        and post the message."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        self.make_jsonrpc_request("/im_livechat/get_session", {
            "channel_id": self.livechat.id, "anonymous_name": "Visitor",
            "persisted": True,
        })
        session = self.env["discuss.channel"].search(
            [("livechat_channel_id", "=", self.livechat.id)], order="id desc", limit=1)
        self.assertTrue(session, "the host's controller opened a session")
        self.make_jsonrpc_request("/mail/message/post", {
            "thread_model": "discuss.channel", "thread_id": session.id,
            "post_data": {"body": text, "message_type": "comment",
                          "subtype_xmlid": "mail.mt_comment"},
        })
        return session

    def _portal_complaint(self, name):
        """The customer sends a complaint with the portal's form."""
        self.authenticate(self.portal_user.login, self.portal_user.login)
        form = self.url_open("/my/complaints/new")
        self.assertEqual(form.status_code, 200)
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', form.text).group(1)
        response = self.url_open("/my/complaints/new", data={
            "csrf_token": csrf, "name": name, "description": "The lid came broken.",
            "category_id": str(self.category.id),
        })
        self.assertEqual(response.status_code, 200)
        complaint = self.env["crm.complaint"].search([("name", "=", name)])
        self.assertEqual((len(complaint), complaint.channel), (1, "portal"))
        return complaint

    def _work_queue_day(self):
        """An agent answers a call, is offered a chat during it, then is assigned a
        portal complaint: their load per channel, each within its capacity."""
        self.agent.sudo()._write_state("available")
        route = self._ring("tour-wq-1")["route"]
        self.assertEqual(route, {"type": "agent", "extension": "781"})
        self._pbx("answered", "tour-wq-1", agent="781")
        call = self.env["crm.call"].search([("external_id", "=", "tour-wq-1")])
        self.assertEqual((call.state, call.agent_id, call.partner_id),
                         ("in_progress", self.agent, self.customer))
        chat = self._portal_chat()
        self.assertEqual(chat.livechat_operator_id, self.agent_user.partner_id,
                         "offered to the agent in a call, within their chats")
        self.assertEqual((chat.crm_queue_id, chat.crm_chat_status), (self.queue, "waiting"))
        complaint = self._portal_complaint("Tour cracked teapot lid")
        self.assertEqual(complaint.user_id, self.agent_user,
                         "assigned through the queue while the agent is in a call")
        self.assertEqual(complaint.acd_queue_id, self.queue)
        self.env.invalidate_all()
        self.assertEqual(self.agent._crm_load()[self.agent.id],
                         {"call": 1, "chat": 1, "complaint": 1})
        # at their capacity for calls: a second call is not offered, it waits
        route = self._ring("tour-wq-2", phone="+86 29 8765 4321")["route"]
        self.assertEqual(route["type"], "queue", "not offered beyond the call capacity")
        second = self.env["crm.call"].search([("external_id", "=", "tour-wq-2")])
        self.assertEqual((second.state, second.agent_id.id), ("queued", False))
        return call, chat, complaint


class AgentWorkQueueTourCase(WorkQueueTourCommon):
    """The agent's side of the day, in the browser; run in English and in Chinese,
    on a desktop and on a phone."""

    def _agent_tour(self):
        call, chat, complaint = self._work_queue_day()
        self.start_tour("/odoo/action-crm_callcenter.crm_call_action_my",
                        "crm_callcenter_work_queue_agent_tour", login="cc_tour_agent")
        # the agent's reply, typed in the chat window, answered the visitor
        reply = chat.message_ids.filtered(
            lambda message: message.author_id == self.agent_user.partner_id
            and "Tour reply" in (message.body or ""))
        self.assertEqual(len(reply), 1, "the agent answered the chat from the browser")
        self.assertEqual(chat.crm_chat_status, "answered")
        # opening their items changed nothing of the queue's decisions
        self.assertEqual((call.agent_id, complaint.user_id), (self.agent, self.agent_user))
        self.assertEqual(self.agent._crm_load()[self.agent.id],
                         {"call": 1, "chat": 1, "complaint": 1})
        second = self.env["crm.call"].search([("external_id", "=", "tour-wq-2")])
        self.assertEqual((second.state, second.agent_id.id), ("queued", False),
                         "still not offered: the agent is still at their call capacity")


@tagged("post_install", "-at_install")
class TestAgentWorkQueueTour(AgentWorkQueueTourCase):

    def test_agent_call_chat_complaint(self):
        self._agent_tour()

    def test_agent_call_chat_complaint_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.agent_user.lang = "zh_CN"
        self._agent_tour()


@tagged("post_install", "-at_install")
class TestAgentWorkQueuePhoneTour(AgentWorkQueueTourCase):
    browser_size = "390x844"
    touch_enabled = True

    def test_agent_call_chat_complaint_on_a_phone(self):
        self._agent_tour()


@tagged("post_install", "-at_install")
class TestWallboardChannelsTour(WorkQueueTourCommon):

    def test_wallboard_rows_per_channel(self):
        """The supervisor's wallboard: calls, chats and complaints of the day, each
        a row with its figures."""
        self.queue.capacity_complaint = 1
        _call, chat, _complaint = self._work_queue_day()
        # the agent answers the first chat; a second one waits for their answer
        chat.with_user(self.agent_user).message_post(
            body="Tour reply", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(chat.crm_chat_status, "answered")
        self.assertEqual(self._portal_chat().crm_chat_status, "waiting")
        # the agent has their one complaint: the next waits in the queue
        waiting = self._portal_complaint("Tour chipped cup")
        self.assertEqual((waiting.user_id.id, waiting.acd_queue_id), (False, self.queue))
        supervisor = new_test_user(
            self.env, login="cc_tour_supervisor", name="Tour Supervisor Lin",
            groups="crm_callcenter.group_crm_callcenter_supervisor",
        )
        supervisor.tour_enabled = False
        self.start_tour("/odoo/action-crm_callcenter.crm_call_queue_action_wallboard",
                        "crm_callcenter_wallboard_channels_tour", login="cc_tour_supervisor")


@tagged("post_install", "-at_install")
class TestLivechatVisitorTour(WorkQueueTourCommon):

    def test_visitor_chat_reaches_the_salesperson(self):
        """A signed-in customer opens the chat of the host's widget and writes: the
        session goes to their salesperson's agent, as the queue's rules say, although
        the strategy would choose another agent (idle longest)."""
        other_user = new_test_user(
            self.env, login="cc_tour_agent_bai", name="Tour Agent Bai", lang="en_US",
            groups="crm_callcenter.group_crm_callcenter_agent",
        )
        other = self.env["crm.call.agent"].create({
            "user_id": other_user.id, "extension": "782",
            "queue_ids": [Command.set(self.queue.ids)],
        })
        self.agent.sudo()._write_state("available")
        other.sudo()._write_state("available")
        self.agent.sudo().date_state = fields.Datetime.now().replace(hour=0, minute=0)
        self.customer.user_id = other_user
        self.assertEqual(self.queue._acd_pick(self.queue.agent_ids, fields.Datetime.now(),
                                              "chat"), self.agent,
                         "the strategy alone would choose the other agent")
        self.start_tour(f"/my?crm_livechat_channel={self.livechat.id}",
                        "crm_callcenter_livechat_visitor_tour", login="cc_tour_portal")
        session = self.env["discuss.channel"].search(
            [("livechat_channel_id", "=", self.livechat.id)])
        self.assertEqual(len(session), 1)
        self.assertEqual(session.livechat_operator_id, other_user.partner_id,
                         "the customer's salesperson answers")
        self.assertEqual((session.crm_queue_id, session.crm_chat_status),
                         (self.queue, "waiting"))
        self.assertIn(self.portal_user.partner_id, session.channel_member_ids.partner_id)
        self.assertTrue(session.message_ids.filtered(
            lambda message: "Tour question about my order" in (message.body or "")
            and message.author_id == self.portal_user.partner_id))
        self.assertEqual(other._crm_load()[other.id]["chat"], 1)
