from datetime import datetime

from odoo import api
from odoo.tests import TransactionCase, tagged

NOW = datetime(2025, 3, 3, 10, 0, 0)


@tagged("post_install", "-at_install")
class TestReserveConcurrency(TransactionCase):
    """Two agents asking for the next entry at the same moment, each in their own
    transaction: the data is committed in a cursor of its own (the test's cursor is
    never committed), and removed again at the end."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            group = env.ref("crm_callcenter.group_crm_callcenter_agent")
            users = env["res.users"].with_context(no_reset_password=True).create([{
                "name": f"Concurrent Agent {index}", "login": f"cc_concurrent_{index}",
                "groups_id": [(6, 0, group.ids)], "tz": "UTC",
            } for index in (1, 2)])
            agents = env["crm.call.agent"].create([{
                "user_id": user.id, "extension": f"99{index}",
            } for index, user in enumerate(users)])
            call_list = env["crm.call.list"].create({
                "name": "Concurrent list", "hour_from": 0.0, "hour_to": 24.0,
                "entry_ids": [(0, 0, {"phone": f"+86 21 5555 {index:04d}"})
                              for index in range(3)],
            })
            call_list.action_start()
            self.user_ids, self.agent_ids, self.list_id = users.ids, agents.ids, call_list.id
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["crm.call.list"].browse(self.list_id).unlink()
            env["crm.call.agent"].browse(self.agent_ids).unlink()
            users = env["res.users"].browse(self.user_ids)
            partners = users.partner_id
            users.unlink()
            partners.unlink()

    def _reserve(self, cr, index):
        env = api.Environment(cr, self.user_ids[index], {})
        agent = env["crm.call.agent"].sudo().browse(self.agent_ids[index])
        entry = env["crm.call.list"].browse(self.list_id).sudo()._reserve_next_entry(agent, NOW)
        env.flush_all()
        return entry.id

    def test_two_agents_never_get_the_same_entry(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            first = self._reserve(cr_1, 0)
            # the first transaction is not committed yet: its entry is locked
            second = self._reserve(cr_2, 1)
            self.assertTrue(first)
            self.assertTrue(second)
            self.assertNotEqual(first, second)
            cr_1.rollback()
            cr_2.rollback()
