from psycopg2.errors import SerializationFailure

from odoo import Command, api
from odoo.tests import TransactionCase, tagged
from odoo.tools import mute_logger


@tagged("post_install", "-at_install")
class TestLivechatRoutingConcurrency(TransactionCase):
    """Two visitors opening a chat at the same moment, each in their own request, for
    the last chat an agent may take: one gets the agent, the other the host's answer
    (here no operator) — never a chat too many, never waiting for the other request.
    The data is committed in a cursor of its own, and removed again."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            group = env.ref("crm_callcenter.group_crm_callcenter_agent")
            user = env["res.users"].with_context(no_reset_password=True).create({
                "name": "Concurrent Chat Agent", "login": "cc_concurrent_chats",
                "groups_id": [(6, 0, group.ids)],
            })
            queue = env["crm.call.queue"].create({
                "name": "Concurrent Chats", "code": "CONC-CHAT", "capacity_chat": 1,
            })
            agent = env["crm.call.agent"].create({
                "user_id": user.id, "extension": "9903", "queue_ids": [(6, 0, queue.ids)],
            })
            livechat = env["im_livechat.channel"].create({
                "name": "Concurrent Website", "user_ids": [Command.clear()],
                "crm_queue_id": queue.id,
            })
            agent._write_state("available")
            self.ids = {"user": user.id, "queue": queue.id, "agent": agent.id,
                        "livechat": livechat.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            livechat = env["im_livechat.channel"].browse(self.ids["livechat"])
            livechat.channel_ids.unlink()
            livechat.unlink()
            env["crm.call.agent"].browse(self.ids["agent"]).unlink()
            env["crm.call.queue"].browse(self.ids["queue"]).unlink()
            user = env["res.users"].browse(self.ids["user"])
            partner = user.partner_id
            user.unlink()
            partner.unlink()

    def _chat(self, cr):
        """A chat opened as the host's controller does: the session, or none."""
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        livechat = env["im_livechat.channel"].browse(self.ids["livechat"])
        vals = livechat.with_context(lang=False)._get_livechat_discuss_channel_vals("Visitor")
        session = env["discuss.channel"].create(vals) if vals else env["discuss.channel"]
        env.flush_all()
        return session

    def test_last_chat_one_winner(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            cr_2.execute("SET LOCAL lock_timeout = '2s'")  # never hang the test
            first = self._chat(cr_1)
            # the first chat is not committed: its agent is being offered it
            second = self._chat(cr_2)
            self.assertTrue(first)
            self.assertFalse(second, "no other operator: the host's no operator")
            cr_1.commit()
            cr_2.commit()
        self._check_one_chat()

    @mute_logger("odoo.sql_db")
    def test_last_chat_after_the_first_commits(self):
        """The second began before the first committed: its snapshot still shows room,
        and taking the agent's row fails with a serialization error (the host's
        request is run again) rather than give a chat too many."""
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            cr_2.execute("SET LOCAL lock_timeout = '2s'")
            cr_2.execute("SELECT 1 FROM crm_call_agent LIMIT 1")
            self.assertTrue(self._chat(cr_1))
            cr_1.commit()
            with self.assertRaises(SerializationFailure):
                self._chat(cr_2)
            cr_2.rollback()
        with self.registry.cursor() as cr:
            self.assertFalse(self._chat(cr))
        self._check_one_chat()

    def _check_one_chat(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            livechat = env["im_livechat.channel"].browse(self.ids["livechat"])
            user = env["res.users"].browse(self.ids["user"])
            self.assertEqual(livechat.channel_ids.livechat_operator_id, user.partner_id)
            self.assertEqual(len(livechat.channel_ids), 1)
            agent = env["crm.call.agent"].browse(self.ids["agent"])
            self.assertEqual(agent.load_chat_count, 1)
