from datetime import timedelta

from psycopg2.errors import SerializationFailure

from odoo import api, fields
from odoo.exceptions import UserError
from odoo.service.model import retrying
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger


@tagged("post_install", "-at_install")
class TestPoolConcurrency(TransactionCase):
    """Two claims of one customer, and two runs of the recall job, at the same moment,
    each in its own transaction: the data is committed in a cursor of its own (the
    test's cursor is never committed), and removed again at the end."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            group = env.ref("sales_team.group_sale_salesman")
            users = env["res.users"].create([
                {"name": f"Concurrent {name}", "login": f"pool_concurrent_{name}",
                 "groups_id": [(6, 0, group.ids)]} for name in ("ann", "ben")])
            pool = env["crm.customer.pool"].create({
                "name": "Concurrent Pool", "user_ids": [(6, 0, users.ids)],
                "rule_ids": [(0, 0, {"kind": "no_followup", "days": 30})]})
            partners = env["res.partner"].create([
                {"name": f"Concurrent Customer {index}", "is_company": True,
                 "user_id": users[0].id} for index in range(3)])
            cr.execute(SQL(
                "UPDATE res_partner SET crm_owner_date = %s WHERE id = ANY(%s)",
                fields.Datetime.now() - timedelta(days=40), partners.ids))
            env["res.partner"]._crm_refresh_recall(partner_ids=partners.ids)
            self.ids = {"users": users.ids, "pool": pool.id, "partners": partners.ids}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.partner"].browse(self.ids["partners"])
            env["crm.owner.change"].search([("partner_id", "in", partners.ids)]).unlink()
            partners.unlink()
            env["crm.customer.pool"].browse(self.ids["pool"]).unlink()
            env["res.users"].browse(self.ids["users"]).unlink()

    def _recall(self, cr):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        pool = env["crm.customer.pool"].browse(self.ids["pool"])
        return env["res.partner"]._crm_recall_due(pool, env.company._crm_today())

    def test_two_runs_never_recall_twice(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertEqual(self._recall(cr_1), 3)
            # the first run is not committed: its customers are locked, skipped
            self.assertEqual(self._recall(cr_2), 0)
            cr_1.commit()
            cr_2.rollback()
            # a later run finds nothing left to recall
            self.assertEqual(self._recall(cr_2), 0)
            cr_2.commit()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            changes = env["crm.owner.change"].search([
                ("partner_id", "in", self.ids["partners"]), ("reason", "=", "recall")])
            self.assertEqual(sorted(changes.partner_id.ids), sorted(self.ids["partners"]))
            self.assertFalse(env["res.partner"].browse(self.ids["partners"]).user_id)

    def test_two_claims_one_wins_the_other_is_told_who(self):
        with self.registry.cursor() as cr:
            self._recall(cr)
        partner_id = self.ids["partners"][0]
        ann, ben = self.ids["users"]
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            env_2 = api.Environment(cr_2, ben, {})
            # Ben's transaction has begun (it has read the customer) before Ann's claim
            self.assertFalse(env_2["res.partner"].browse(partner_id).user_id)
            api.Environment(cr_1, ann, {})["res.partner"].browse(partner_id).action_claim()
            cr_1.commit()
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                env_2["res.partner"].browse(partner_id).action_claim()
            cr_2.rollback()
            env_2.invalidate_all()
            # the host runs the call again, as for every RPC: now it is Ann's
            with mute_logger("odoo.service.model"), self.assertRaises(UserError) as caught:
                retrying(
                    lambda: api.Environment(cr_2, ben, {})["res.partner"].browse(
                        partner_id).action_claim(),
                    env_2)
            self.assertIn("Concurrent ann owns", str(caught.exception))
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            claims = env["crm.owner.change"].search(
                [("partner_id", "=", partner_id), ("reason", "=", "claim")])
            self.assertEqual(claims.new_user_id.id, ann)
