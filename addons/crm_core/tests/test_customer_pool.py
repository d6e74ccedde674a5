from datetime import datetime, timedelta

from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, UserError, ValidationError
from odoo.tests import HttpCase, new_test_user, tagged
from odoo.tools import SQL, mute_logger

from .common import CrmSuiteCase, RpcMixin


@tagged("post_install", "-at_install")
class CustomerPoolCase(CrmSuiteCase):
    """A pool of one team (two salespeople) with rules: 30 days without follow-up
    (10 for small customers), 60 days without a purchase."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.manager = new_test_user(cls.env, "pool_manager",
                                    groups="sales_team.group_sale_manager")
        cls.alice = new_test_user(cls.env, "pool_alice",
                                  groups="sales_team.group_sale_salesman")
        cls.bob = new_test_user(cls.env, "pool_bob", groups="sales_team.group_sale_salesman")
        cls.carol = new_test_user(cls.env, "pool_carol",
                                  groups="sales_team.group_sale_salesman")
        cls.team = cls.env["crm.team"].create({
            "name": "Pool Team", "member_ids": [(6, 0, (cls.alice | cls.bob).ids)],
        })
        cls.pool = cls.env["crm.customer.pool"].create({
            "name": "East Pool", "team_ids": [(6, 0, cls.team.ids)], "warn_days": 3,
            "rule_ids": [
                (0, 0, {"kind": "no_followup", "days": 30}),
                (0, 0, {"kind": "no_followup", "days": 10, "customer_tier": "small"}),
                (0, 0, {"kind": "no_purchase", "days": 60}),
            ],
        })
        cls.customer = cls.env["res.partner"].create(
            {"name": "Pool Customer", "is_company": True, "user_id": cls.alice.id})

    @property
    def today(self):
        # the company's day when the test reads it (not when the class was set up: a
        # run may cross the company's midnight between the two)
        return self.company._crm_today()

    def _age(self, partner, days_owned, days_followed=None):
        """Make ``partner`` owned since ``days_owned`` days, last followed up
        ``days_followed`` days ago."""
        now = fields.Datetime.now()
        followed = now - timedelta(days=days_followed) if days_followed is not None else None
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE res_partner SET crm_owner_date = %s, crm_last_followup_date = %s "
            "WHERE id = %s", now - timedelta(days=days_owned), followed, partner.id))
        partner.invalidate_recordset()
        self.env["res.partner"]._crm_refresh_recall(partner_ids=partner.ids)

    def _run_job(self):
        self.env["res.partner"]._cron_recall_customers()
        self.env.invalidate_all()


class TestCustomerPool(CustomerPoolCase):

    def test_owned_customer_comes_under_the_owners_pool(self):
        self.assertEqual(self.customer.crm_pool_id, self.pool)
        self.assertTrue(self.customer.crm_owner_date)
        # nothing happened yet: 30 days from the day it was owned
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=30))
        self.assertEqual(self.customer.crm_recall_rule_id.kind, "no_followup")

    def test_a_note_by_an_employee_is_a_follow_up(self):
        self._age(self.customer, 20, 20)
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=10))
        self.customer.with_user(self.alice).message_post(
            body="Called about the renewal", message_type="comment",
            subtype_xmlid="mail.mt_note")
        self.assertEqual(self.customer.crm_last_followup_date.date(),
                         fields.Datetime.now().date())
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=30))

    def test_tracking_and_mail_received_are_no_follow_up(self):
        self._age(self.customer, 20, 20)
        before = self.customer.crm_last_followup_date
        self.customer.with_user(self.manager).write({"comment": "<p>internal</p>",
                                                     "phone": "+86 21 5555 0000"})
        self.customer.message_post(body="An e-mail from the customer", message_type="email",
                                   author_id=self.customer.id)
        self.env.flush_all()
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.crm_last_followup_date, before)

    def test_activity_done_on_an_opportunity_is_a_follow_up(self):
        self._age(self.customer, 20, 20)
        lead = self.env["crm.lead"].create({
            "name": "Renewal", "type": "opportunity", "partner_id": self.customer.id,
            "user_id": self.alice.id,
        })
        activity = lead.activity_schedule("mail.mail_activity_data_call", user_id=self.alice.id)
        activity.with_user(self.alice).action_feedback(feedback="Done")
        self.assertEqual(self.customer.crm_last_followup_date.date(),
                         fields.Datetime.now().date())

    def test_tier_rule_replaces_the_general_rule(self):
        self.customer.sudo().customer_tier = "small"
        self._age(self.customer, 5, 5)
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=5))

    def test_no_purchase_rule(self):
        self._age(self.customer, 70, 1)
        # 60 days from the company's day it was owned (70 days ago: maybe under another
        # UTC offset than today's, summer time, so not always today - 10 at night)
        owned = self.company._crm_local_date(fields.Datetime.now() - timedelta(days=70))
        self.assertEqual(self.customer.crm_recall_date, owned + timedelta(days=60))
        self.assertEqual(self.customer.crm_recall_rule_id.kind, "no_purchase")

    def test_recall_job_returns_the_customer_once(self):
        self._age(self.customer, 40, 35)
        self._run_job()
        self.assertFalse(self.customer.user_id)
        self.assertEqual(self.customer.crm_former_user_id, self.alice)
        self.assertEqual(self.customer.crm_pool_reason, "recall")
        self.assertEqual(self.customer.crm_pool_rule_id.kind, "no_followup")
        self.assertTrue(self.customer.crm_in_pool)
        changes = self.customer.crm_owner_change_ids
        self.assertEqual(changes.mapped("reason"), ["recall", "manual"])
        self.assertEqual(changes[0].old_user_id, self.alice)
        self._run_job()
        self.assertEqual(len(self.customer.crm_owner_change_ids), 2)

    def test_follow_up_after_the_stored_day_saves_the_customer(self):
        self._age(self.customer, 40, 35)
        # a follow-up written without going through the ORM: the job checks again
        self.env.cr.execute(SQL(
            "UPDATE res_partner SET crm_last_followup_date = now() WHERE id = %s",
            self.customer.id))
        self._run_job()
        self.assertEqual(self.customer.user_id, self.alice)
        # now the purchase it has not made: 60 days after it was owned
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=20))

    def test_locked_customers_stay_within_the_cap(self):
        self.pool.max_locked = 1
        self._age(self.customer, 40, 35)
        self.customer.with_user(self.alice).action_lock()
        self.assertTrue(self.customer.crm_locked)
        self.assertFalse(self.customer.crm_recall_date)
        other = self.env["res.partner"].create({"name": "Second", "user_id": self.alice.id})
        with self.assertRaisesText(UserError, "cap is 1"):
            other.with_user(self.alice).action_lock()
        with self.assertRaises(AccessError):
            self.customer.with_user(self.bob).action_unlock()
        self._run_job()
        self.assertEqual(self.customer.user_id, self.alice)

    def test_customers_with_a_won_deal_are_exempt(self):
        self._age(self.customer, 40, 35)
        won = self.env["crm.stage"].search([("is_won", "=", True)], limit=1)
        self.env["crm.lead"].create({
            "name": "Won deal", "type": "opportunity", "partner_id": self.customer.id,
            "stage_id": won.id,
        })
        self.assertFalse(self.customer.crm_recall_date)
        self.pool.exempt_won = False
        self.assertTrue(self.customer.crm_recall_date)

    def test_an_open_opportunity_holds_the_no_opportunity_rule(self):
        self.pool.rule_ids.unlink()
        self.env["crm.customer.pool.rule"].create(
            {"pool_id": self.pool.id, "kind": "no_opportunity", "days": 15})
        self._age(self.customer, 20)
        self.assertEqual(self.customer.crm_recall_date, self.today - timedelta(days=5))
        lead = self.env["crm.lead"].create({
            "name": "Open deal", "type": "opportunity", "partner_id": self.customer.id})
        self.assertFalse(self.customer.crm_recall_date)
        lead.action_set_lost()
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=15))

    def test_warning_once_before_recall(self):
        self._age(self.customer, 28, 28)
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=2))
        warning = self.env.ref("crm_core.mail_activity_type_recall_warning")
        self._run_job()
        self._run_job()
        activities = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == warning)
        self.assertEqual(len(activities), 1)
        self.assertEqual(activities.user_id, self.alice)
        self.assertEqual(activities.date_deadline, self.customer.crm_recall_date)

    def test_summary_warning(self):
        self.pool.warn_mode = "summary"
        second = self.env["res.partner"].create({"name": "Second", "user_id": self.alice.id})
        self._age(self.customer, 28, 28)
        self._age(second, 29, 29)
        self._run_job()
        activity = self.pool.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.alice)
        self.assertIn("Pool Customer", activity.note)
        self.assertIn("Second", activity.note)

    def test_recall_job_queries_do_not_grow_with_the_customers_due(self):
        def queries_to_recall(count):
            partners = self.env["res.partner"].create([
                {"name": f"Due {count}-{index}", "user_id": self.alice.id}
                for index in range(count)])
            self.env.cr.execute(SQL(
                "UPDATE res_partner SET crm_owner_date = now() - INTERVAL '40 days' "
                "WHERE id = ANY(%s)", partners.ids))
            self.env["res.partner"]._crm_refresh_recall(partner_ids=partners.ids)
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._run_job()
            self.env.flush_all()
            self.assertFalse(partners.user_id)
            return self.env.cr.sql_log_count - before

        counts = [queries_to_recall(count) for count in (2, 20, 60)]
        self.assertEqual(len(set(counts)), 1, counts)


class TestClaims(CustomerPoolCase):

    def setUp(self):
        super().setUp()
        self._age(self.customer, 40, 35)
        self._run_job()
        self.assertTrue(self.customer.crm_in_pool)

    def test_member_claims(self):
        self.customer.with_user(self.bob).action_claim()
        self.assertEqual(self.customer.user_id, self.bob)
        change = self.customer.crm_owner_change_ids[0]
        self.assertEqual((change.reason, change.new_user_id, change.changed_by_id),
                         ("claim", self.bob, self.bob))
        self.assertEqual(self.customer.crm_recall_date, self.today + timedelta(days=30))
        with self.assertRaisesText(UserError, "pool_bob"):
            self.customer.with_user(self.alice).action_claim()

    def test_outsider_cannot_claim(self):
        with self.assertRaises(AccessError):
            self.customer.with_user(self.carol).action_claim()
        self.assertFalse(self.customer.user_id)

    def test_cooldown_for_the_former_owner(self):
        self.pool.cooldown_days = 7
        with self.assertRaisesText(UserError, "claim it again from"):
            self.customer.with_user(self.alice).action_claim()
        self.customer.with_user(self.bob).action_claim()

    def test_cooldown_dates_are_the_company_days(self):
        """Alice lost the customer at 01:00 on 8 March in Shanghai (7 March in UTC):
        the refusal names 8 March and, a week of cooldown later, 15 March."""
        self.pool.company_id.partner_id.tz = "Asia/Shanghai"
        self.pool.cooldown_days = 7
        change = self.customer.crm_owner_change_ids.filtered(
            lambda c: c.old_user_id == self.alice)
        self.assertEqual(len(change), 1)
        self.env.cr.execute(SQL("UPDATE crm_owner_change SET date = %s WHERE id = %s",
                                datetime(2026, 3, 7, 17, 0), change.id))
        self.env.invalidate_all()
        with freeze_time(datetime(2026, 3, 9, 4, 0)), \
                self.assertRaisesText(UserError, "on 2026-03-08: you can claim it again "
                                                 "from 2026-03-15"):
            self.customer.with_user(self.alice).action_claim()

    def test_caps(self):
        self.pool.max_owned = 1
        others = self.env["res.partner"].create([
            {"name": f"Pool {index}", "crm_pool_id": self.pool.id} for index in range(3)])
        self.customer.with_user(self.bob).action_claim()
        with self.assertRaisesText(UserError, "its cap is 1"):
            others[0].with_user(self.bob).action_claim()
        # a cap lowered below what someone owns takes nothing away
        self.pool.write({"max_owned": 0, "max_claims_per_day": 2})
        others[0].with_user(self.bob).action_claim()
        with self.assertRaisesText(UserError, "claim again tomorrow"):
            others[1].with_user(self.bob).action_claim()
        self.assertEqual(self.customer.user_id, self.bob)

    def test_salesperson_cannot_set_the_owner_by_hand(self):
        with self.assertRaisesText(UserError, "claim it from the pool"):
            self.customer.with_user(self.bob).write({"user_id": self.bob.id})
        self.customer.with_user(self.bob).action_claim()
        with self.assertRaisesText(UserError, "Only the managers"):
            self.customer.with_user(self.alice).write({"user_id": self.alice.id})
        self.customer.with_user(self.manager).write({"user_id": self.alice.id})
        self.assertEqual(self.customer.crm_owner_change_ids[0].changed_by_id, self.manager)

    def test_release(self):
        self.customer.with_user(self.bob).action_claim()
        self.customer.with_user(self.bob).action_release()
        self.assertTrue(self.customer.crm_in_pool)
        self.assertEqual(self.customer.crm_pool_reason, "release")
        self.assertEqual(self.customer.crm_former_user_id, self.bob)


class TestOwnershipEdges(CustomerPoolCase):

    def test_bad_rules_and_caps(self):
        for days in (0, -3, 5000):
            with self.assertRaisesText(ValidationError, "between 1 and"):
                self.env["crm.customer.pool.rule"].create(
                    {"pool_id": self.pool.id, "kind": "no_opportunity", "days": days})
        with self.assertRaisesText(ValidationError, "between 0 and"):
            self.pool.max_owned = -1
        with self.assertRaises(AccessError):
            self.pool.with_user(self.alice).write({"max_owned": 99})

    def test_salesperson_leaving_returns_the_customers(self):
        self.alice.action_archive()
        self.assertFalse(self.customer.user_id)
        self.assertEqual(self.customer.crm_pool_reason, "user_left")
        self.assertEqual(self.customer.crm_owner_change_ids[0].reason, "user_left")

    def test_hand_over_to_a_colleague(self):
        self.alice._crm_return_customers_to_pools(colleague=self.bob)
        self.assertEqual(self.customer.user_id, self.bob)
        self.assertEqual(self.customer.crm_owner_change_ids[0].reason, "assign")

    def test_member_of_two_pools(self):
        second = self.env["crm.customer.pool"].create({
            "name": "Second Pool", "sequence": 99, "user_ids": [(6, 0, self.alice.ids)]})
        customer = self.env["res.partner"].create({"name": "Two", "user_id": self.alice.id})
        # the first pool by sequence; a customer is in one pool only
        self.assertEqual(customer.crm_pool_id, self.pool)
        self.assertEqual(second.owned_count, 0)

    def test_pool_of_another_company(self):
        other_company = self.env["res.company"].create({"name": "Pool Co West"})
        pool = self.env["crm.customer.pool"].create(
            {"name": "West", "company_id": other_company.id,
             "user_ids": [(6, 0, self.bob.ids)]})
        customer = self.env["res.partner"].create(
            {"name": "West Customer", "company_id": other_company.id, "crm_pool_id": pool.id})
        with self.assertRaises(AccessError):
            customer.with_user(self.bob).action_claim()
        self.assertFalse(customer.user_id)

    def test_merge_keeps_the_history(self):
        other = self.env["res.partner"].create(
            {"name": "Pool Customer Dup", "is_company": True, "user_id": self.bob.id})
        history = other.crm_owner_change_ids
        self.assertTrue(history)
        wizard = self.env["base.partner.merge.automatic.wizard"].create({})
        with mute_logger("odoo.addons.base.wizard.base_partner_merge"):
            wizard._merge((self.customer | other).ids, self.customer)
        self.assertEqual(history.partner_id, self.customer)
        self.assertEqual(self.customer.user_id, self.alice)

    def test_history_is_not_a_colleagues_business(self):
        change = self.customer.crm_owner_change_ids
        self.assertTrue(change.with_user(self.alice).read(["reason"]))
        with self.assertRaises(AccessError):
            change.with_user(self.bob).read(["reason"])
        with self.assertRaises(AccessError):
            change.with_user(self.manager).write({"reason": "claim"})
        with self.assertRaises(AccessError):
            self.customer.with_user(self.alice).write(
                {"crm_recall_date": self.today + timedelta(days=300)})


class TestMyDay(CustomerPoolCase):
    """The salesperson's day (待办): each kind of item, one's own only, and a row
    opens its record."""

    def _rows(self, user):
        Todo = self.env["crm.todo"].with_user(user)
        return {(row.category, row.res_model, row.res_id) for row in Todo.search([])}

    def test_items_of_the_day(self):
        yesterday = self.today - timedelta(days=1)
        late = self.customer.activity_schedule(
            "mail.mail_activity_data_call", user_id=self.alice.id, date_deadline=yesterday)
        due = self.customer.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.alice.id, date_deadline=self.today)
        self.customer.activity_schedule(
            "mail.mail_activity_data_todo", user_id=self.alice.id,
            date_deadline=self.today + timedelta(days=5))
        lead = self.env["crm.lead"].create({
            "name": "Closing today", "type": "opportunity", "user_id": self.alice.id,
            "partner_id": self.customer.id, "date_deadline": self.today})
        self._age(self.customer, 28, 28)
        rows = self._rows(self.alice)
        self.assertIn(("activity_overdue", "res.partner", self.customer.id), rows)
        lead_activity = self.env["crm.todo"].with_user(self.alice).search(
            [("category", "=", "activity_overdue")])
        self.assertEqual(lead_activity.partner_id, self.customer)
        self.assertIn(("activity_today", "res.partner", self.customer.id), rows)
        self.assertEqual(
            len([row for row in rows if row[0].startswith("activity")]), 2,
            "the activity of next week is not today's")
        self.assertIn(("opportunity_close", "crm.lead", lead.id), rows)
        self.assertIn(("customer_recall", "res.partner", self.customer.id), rows)
        self.assertIn(("customer_new", "res.partner", self.customer.id), rows)
        self.assertTrue(late and due)
        # a colleague's day is not mine
        self.assertFalse(self._rows(self.bob))

    def test_row_opens_its_record(self):
        lead = self.env["crm.lead"].create({
            "name": "Closing today", "type": "opportunity", "user_id": self.alice.id,
            "date_deadline": self.today})
        row = self.env["crm.todo"].with_user(self.alice).search(
            [("category", "=", "opportunity_close"), ("res_id", "=", lead.id)])
        action = row.action_open()
        self.assertEqual((action["res_model"], action["res_id"]), ("crm.lead", lead.id))

    def test_recalled_customer_leaves_the_day(self):
        self._age(self.customer, 40, 35)
        self._run_job()
        rows = self._rows(self.alice)
        self.assertFalse([row for row in rows if row[2] == self.customer.id
                          and row[0] in ("customer_recall", "customer_new")])


@tagged("post_install", "-at_install")
class TestPoolCustomerAccess(CustomerPoolCase, HttpCase, RpcMixin):
    """A salesperson reads their own customers and those waiting in their pools, not
    a colleague's customer under a pool: in the ORM and over JSON-RPC."""

    def test_colleagues_customer_is_refused(self):
        contact = self.env["res.partner"].create(
            {"name": "Pool Contact", "parent_id": self.customer.id})
        Partner = self.env["res.partner"]
        self.assertTrue(self.customer.with_user(self.alice).read(["crm_recall_date"]))
        for record in (self.customer, contact):
            with self.assertRaises(AccessError):
                record.with_user(self.bob).read(["name"])
        self.assertNotIn(self.customer, Partner.with_user(self.bob).search(
            [("name", "ilike", "Pool Customer")]))
        self.assertRpcRefused(AccessError, "pool_bob", "res.partner", "read",
                              [self.customer.id], ["crm_last_followup_date"])
        self.assertRpcRefused(AccessError, "pool_bob", "res.partner", "write",
                              [self.customer.id], {"phone": "+86 21 0000 0000"})
        # the manager reads everything
        self.assertTrue(self.customer.with_user(self.manager).read(["name"]))
        # once recalled, it waits in the pool: the members read it
        self._age(self.customer, 40, 35)
        self._run_job()
        rows = self.rpc_result("pool_bob", "res.partner", "read", [self.customer.id],
                               ["name", "customer_tier", "crm_last_followup_date",
                                "crm_pool_reason"])
        self.assertEqual(rows[0]["crm_pool_reason"], "recall")

    def test_claims_refused_over_rpc(self):
        self._age(self.customer, 40, 35)
        self._run_job()
        self.pool.write({"max_owned": 1, "cooldown_days": 7})
        # not a member
        self.assertRpcRefused(AccessError, "pool_carol", "res.partner", "action_claim",
                              [self.customer.id])
        # in cooldown: Alice lost it today
        error = self.assertRpcRefused(UserError, "pool_alice", "res.partner",
                                      "action_claim", [self.customer.id])
        self.assertIn("claim it again from", error["message"])
        # over the cap: Bob owns one already
        self.env["res.partner"].create({"name": "Bob's", "user_id": self.bob.id})
        error = self.assertRpcRefused(UserError, "pool_bob", "res.partner", "action_claim",
                                      [self.customer.id])
        self.assertIn("its cap is 1", error["message"])
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.user_id)
        self.assertFalse(self.customer.crm_owner_change_ids.filtered(
            lambda change: change.reason == "claim"))


class TestAssign(CustomerPoolCase):
    """A pool manager assigns customers to anyone: those waiting in the pool, or a
    leaving salesperson's to a colleague."""

    def setUp(self):
        super().setUp()
        self.pool.manager_ids = self.carol

    def _assign(self, user, partners, to):
        return self.env["crm.customer.pool.assign"].with_user(user).with_context(
            active_model="res.partner", active_ids=partners.ids).create(
            {"user_id": to.id}).action_assign()

    def test_pool_manager_hands_over_a_customer(self):
        self._assign(self.carol, self.customer, self.bob)
        self.assertEqual(self.customer.user_id, self.bob)
        change = self.customer.crm_owner_change_ids[0]
        self.assertEqual((change.reason, change.old_user_id, change.changed_by_id),
                         ("assign", self.alice, self.carol))

    def test_only_pool_managers_assign(self):
        with self.assertRaises(AccessError):
            self._assign(self.bob, self.customer, self.bob)
        self.assertEqual(self.customer.user_id, self.alice)

    def test_assignee_works_for_the_pools_company(self):
        other = self.env["res.company"].create({"name": "Assign Co"})
        outsider = new_test_user(self.env, "pool_outsider", company_id=other.id,
                                 company_ids=[(6, 0, other.ids)],
                                 groups="sales_team.group_sale_salesman")
        with self.assertRaisesText(UserError, "does not work for"):
            self._assign(self.carol, self.customer, outsider)
