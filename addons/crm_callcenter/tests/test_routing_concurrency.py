from datetime import datetime

from odoo import api
from odoo.tests import TransactionCase, tagged

NOW = datetime(2025, 3, 3, 10, 0, 0)


@tagged("post_install", "-at_install")
class TestRoutingConcurrency(TransactionCase):
    """Two calls ringing at the same moment, each routed in its own transaction, and
    one agent free: the first is offered to the agent, the second does not wait for
    the first's transaction nor take the same agent, it queues. The data is committed
    in a cursor of its own (the test's cursor is never committed), and removed again."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            group = env.ref("crm_callcenter.group_crm_callcenter_agent")
            user = env["res.users"].with_context(no_reset_password=True).create({
                "name": "Concurrent Routing Agent", "login": "cc_concurrent_routing",
                "groups_id": [(6, 0, group.ids)],
            })
            queue = env["crm.call.queue"].create({"name": "Concurrent", "code": "CONC"})
            agent = env["crm.call.agent"].create({
                "user_id": user.id, "extension": "9901", "queue_ids": [(6, 0, queue.ids)],
            })
            agent._write_state("available")
            calls = env["crm.call"].create([{
                "direction": "inbound", "phone": f"+86 21 5555 {index:04d}",
                "queue_id": queue.id, "state": "ringing", "date_start": NOW,
            } for index in (1, 2)])
            self.user_id, self.queue_id, self.agent_id = user.id, queue.id, agent.id
            self.call_ids = calls.ids
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            env["crm.call"].browse(self.call_ids).unlink()
            env["crm.call.agent"].browse(self.agent_id).unlink()
            env["crm.call.queue"].browse(self.queue_id).unlink()
            user = env["res.users"].browse(self.user_id)
            partner = user.partner_id
            user.unlink()
            partner.unlink()

    def _route(self, cr, index):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        route = env["crm.call"].browse(self.call_ids[index])._acd_route(NOW)
        env.flush_all()
        return route

    def test_one_free_agent_two_calls(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            cr_2.execute("SET LOCAL lock_timeout = '2s'")  # never hang the test
            first = self._route(cr_1, 0)
            # the first offer is not committed yet: its agent is taken
            second = self._route(cr_2, 1)
            self.assertEqual(first, {"type": "agent", "extension": "9901"})
            self.assertEqual(second, {"type": "queue", "position": 1})
