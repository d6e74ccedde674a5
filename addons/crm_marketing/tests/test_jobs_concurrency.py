"""The three scheduled jobs of crm_marketing run twice at the same moment, each run in
a transaction of its own (two database cursors): nothing is done twice, nothing is
lost.

The data is committed in a cursor of its own (the test's cursor is never committed)
and removed again at the end. Each job runs only on the test's data: the program's
``_crm_apply_tiers``, the rule's ``_run`` and the segment's ``_sync_mailing_list`` are
what the three jobs do for each program, rule and segment.

Two runs meet in two ways, both checked for each job:

- the second runs while the first is not committed: it would wait for the rows the
  first holds (``lock_timeout`` turns the wait into an error the test can see, instead
  of a test that hangs);
- the second began (its REPEATABLE READ snapshot was taken) before the first
  committed: what it writes conflicts with what the first committed, and it fails.

Either way the second transaction is rolled back whole, and a run after the first
committed finds nothing left to do.
"""

from datetime import timedelta

from dateutil.relativedelta import relativedelta
from psycopg2.errors import LockNotAvailable, SerializationFailure

from odoo import api, fields
from odoo.tests import TransactionCase, tagged
from odoo.tools import SQL, mute_logger

PREFIX = "Jobs concurrency"


def _wait_at_most_2s(cr):
    """A statement of ``cr`` waiting for a lock fails after 2 s instead of hanging."""
    cr.execute(SQL("SET LOCAL lock_timeout = '2s'"))


def _messages(env, model, res_ids, text=None):
    """The messages of the records (only those whose body holds ``text``, if given)."""
    domain = [("model", "=", model), ("res_id", "in", res_ids)]
    if text:
        domain.append(("body", "ilike", text))
    return env["mail.message"].search(domain)


@tagged("post_install", "-at_install")
class TestLoyaltyTierJobConcurrency(TransactionCase):
    """``loyalty.program._cron_recompute_loyalty_tiers``: one tier change (and one
    chatter line) per partner, however many runs meet."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            program = env["loyalty.program"].create({
                "name": f"{PREFIX} Club", "program_type": "loyalty",
                "crm_tier_basis": "points",
            })
            silver, gold = env["crm.loyalty.tier"].create([
                {"name": f"{PREFIX} Silver", "program_id": program.id, "threshold": 100},
                {"name": f"{PREFIX} Gold", "program_id": program.id, "threshold": 500},
            ])
            partners = env["res.partner"].create([
                {"name": f"{PREFIX} Member {index}"} for index in range(3)])
            cards = env["loyalty.card"].create([
                {"program_id": program.id, "partner_id": partner.id, "points": points}
                for partner, points in zip(partners, (150, 600, 250), strict=True)])
            self.ids = {
                "program": program.id, "tiers": (silver | gold).ids,
                "partners": partners.ids, "cards": cards.ids,
            }
            self.expected = dict(zip(partners.ids, (silver.id, gold.id, silver.id),
                                     strict=True))
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.partner"].browse(self.ids["partners"])
            _messages(env, "res.partner", partners.ids).unlink()
            env["loyalty.card"].browse(self.ids["cards"]).unlink()
            partners.unlink()
            env["crm.loyalty.tier"].browse(self.ids["tiers"]).unlink()
            program = env["loyalty.program"].browse(self.ids["program"])
            program.active = False  # an active program cannot be deleted
            program.unlink()

    def _apply(self, cr):
        """What the job does for the test's program: ``[(partner_id, old, new)]``."""
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        changes = env["loyalty.program"].browse(self.ids["program"])._crm_apply_tiers()
        env.flush_all()  # as the job's commit does: the tiers are written now
        return {partner_id: new.id for partner_id, _old, new in changes}

    def _tiers(self, cr):
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        partners = env["res.partner"].browse(self.ids["partners"])
        return {partner.id: partner.loyalty_tier_id.id for partner in partners}

    def _check_changed_once(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.partner"].browse(self.ids["partners"])
            self.assertEqual(self._tiers(cr), self.expected)
            logged = _messages(env, "res.partner", partners.ids, "Loyalty tier")
            self.assertEqual(sorted(logged.mapped("res_id")), sorted(partners.ids),
                             "one tier change logged per partner, none twice")

    def test_second_run_while_the_first_holds_its_partners(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertEqual(self._apply(cr_1), self.expected)
            # cr_1 is not committed: cr_2 computes the same changes from what it sees,
            # and would wait on the partners cr_1 wrote
            _wait_at_most_2s(cr_2)
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._apply(cr_2)
            cr_2.rollback()
            cr_1.commit()
            # a later run: every tier is right, nothing to change
            self.assertEqual(self._apply(cr_2), {})
        self._check_changed_once()

    def test_second_run_begun_before_the_first_committed(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            # cr_2's transaction has begun: its snapshot shows no tier yet
            self.assertEqual(set(self._tiers(cr_2).values()), {False})
            self.assertEqual(self._apply(cr_1), self.expected)
            cr_1.commit()
            # it writes the partners cr_1 changed since: refused, rolled back whole
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                self._apply(cr_2)
            cr_2.rollback()
            self.assertEqual(self._apply(cr_2), {})
        self._check_changed_once()


@tagged("post_install", "-at_install")
class TestCareRuleJobConcurrency(TransactionCase):
    """``crm.care.rule._cron_run_care_rules``: one care log and one activity per
    customer and occasion, however many runs meet."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            company = env.company
            carer = env["res.users"].create({
                "name": f"{PREFIX} Carer", "login": "jobs_concurrency_carer",
                "notification_type": "inbox",
                "company_id": company.id, "company_ids": [(6, 0, company.ids)],
                "groups_id": [(6, 0, env.ref("base.group_user").ids)],
            })
            today = fields.Date.context_today(env["crm.care.rule"])
            partners = env["res.partner"].create([
                {"name": f"{PREFIX} Customer {index}",
                 "birthdate": today - relativedelta(years=30 + index)} for index in range(3)])
            segment = env["crm.segment"].create({
                "name": f"{PREFIX} Customers",
                "domain": repr([("name", "=like", f"{PREFIX} Customer %")]),
            })
            rule = env["crm.care.rule"].create({
                "name": f"{PREFIX} Birthday", "trigger": "birthday", "days": 0,
                "date_start": today - timedelta(days=30), "segment_id": segment.id,
                "action": "activity", "user_id": carer.id,
            })
            self.today = today
            self.ids = {
                "carer": carer.id, "partners": partners.ids, "segment": segment.id,
                "rule": rule.id,
            }
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = env["res.partner"].browse(self.ids["partners"])
            env["mail.activity"].search([
                ("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]).unlink()
            env["crm.care.log"].search([("rule_id", "=", self.ids["rule"])]).unlink()
            _messages(env, "res.partner", partners.ids).unlink()
            env["mail.followers"].search([
                ("res_model", "=", "res.partner"), ("res_id", "in", partners.ids)]).unlink()
            env["crm.care.rule"].browse(self.ids["rule"]).unlink()
            env["crm.segment"].browse(self.ids["segment"]).unlink()
            partners.unlink()
            carer = env["res.users"].browse(self.ids["carer"])
            carer_partner = carer.partner_id
            carer.unlink()
            carer_partner.unlink()

    def _run(self, cr):
        """What the job does for the test's rule: the customers it acted on."""
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        logs = env["crm.care.rule"].browse(self.ids["rule"])._run(self.today)
        env.flush_all()  # as the job's commit does
        return sorted(logs.partner_id.ids)

    def _check_cared_once(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            partners = self.ids["partners"]
            logs = env["crm.care.log"].search([("rule_id", "=", self.ids["rule"])])
            self.assertEqual(sorted(logs.partner_id.ids), sorted(partners))
            self.assertEqual(len(logs), len(partners), "one log per customer and occasion")
            self.assertEqual(set(logs.mapped("occasion")), {f"birthday-{self.today.year}"})
            activities = env["mail.activity"].search([
                ("res_model", "=", "res.partner"), ("res_id", "in", partners)])
            self.assertEqual(sorted(activities.mapped("res_id")), sorted(partners),
                             "one activity per customer, none twice")
            self.assertEqual(activities.user_id.id, self.ids["carer"])

    def test_second_run_while_the_first_holds_its_occasions(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertEqual(self._run(cr_1), sorted(self.ids["partners"]))
            # cr_1 is not committed: cr_2 claims the same occasions and waits on the
            # unique key (rule, partner, occasion) of the log lines cr_1 inserted
            _wait_at_most_2s(cr_2)
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._run(cr_2)
            cr_2.rollback()
            cr_1.commit()
            # a later run: every occasion is claimed, nobody is contacted again
            self.assertEqual(self._run(cr_2), [])
        self._check_cared_once()

    def test_second_run_begun_before_the_first_committed(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            # cr_2's transaction has begun: its snapshot shows no log line yet
            env_2 = api.Environment(cr_2, api.SUPERUSER_ID, {})
            self.assertFalse(env_2["crm.care.rule"].browse(self.ids["rule"]).log_ids)
            self.assertEqual(self._run(cr_1), sorted(self.ids["partners"]))
            cr_1.commit()
            # its claim meets the committed log lines it cannot see: refused (the job
            # rolls the rule back to its savepoint), no activity created
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                self._run(cr_2)
            cr_2.rollback()
            self.assertEqual(self._run(cr_2), [])
        self._check_cared_once()


@tagged("post_install", "-at_install")
class TestSegmentSyncJobConcurrency(TransactionCase):
    """``crm.segment._cron_sync_mailing_lists``: one mailing contact and one
    subscription per member email, however many runs meet."""

    def setUp(self):
        super().setUp()
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            emails = [f"jobs.concurrency.subscriber.{index}@example.com" for index in range(3)]
            self.assertFalse(env["mailing.contact"].search_count(
                [("email_normalized", "in", emails)]), "left over by an earlier run")
            partners = env["res.partner"].create([
                {"name": f"{PREFIX} Subscriber {index}", "email": email}
                for index, email in enumerate(emails)])
            mailing_list = env["mailing.list"].create(
                {"name": f"{PREFIX} List", "is_public": False})
            segment = env["crm.segment"].create({
                "name": f"{PREFIX} Subscribers",
                "domain": repr([("name", "=like", f"{PREFIX} Subscriber %")]),
            })
            # a segment the job synchronizes: it has its mailing list
            segment.sudo().mailing_list_id = mailing_list
            self.emails = emails
            self.ids = {"partners": partners.ids, "list": mailing_list.id,
                        "segment": segment.id}
        self.addCleanup(self._cleanup)

    def _cleanup(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            mailing_list = env["mailing.list"].browse(self.ids["list"])
            contacts = env["mailing.contact"].search(
                [("email_normalized", "in", self.emails)])
            env["mailing.subscription"].search([
                "|", ("list_id", "=", mailing_list.id),
                ("contact_id", "in", contacts.ids)]).unlink()
            contacts.unlink()
            env["crm.segment"].browse(self.ids["segment"]).unlink()
            mailing_list.unlink()
            env["res.partner"].browse(self.ids["partners"]).unlink()

    def _sync(self, cr):
        """What the job does for the test's segment: counts of what it changed."""
        env = api.Environment(cr, api.SUPERUSER_ID, {})
        result = env["crm.segment"].browse(self.ids["segment"])._sync_mailing_list()
        env.flush_all()  # as the job's commit does
        return result

    def _check_subscribed_once(self):
        with self.registry.cursor() as cr:
            env = api.Environment(cr, api.SUPERUSER_ID, {})
            contacts = env["mailing.contact"].search([("email_normalized", "in", self.emails)])
            self.assertEqual(sorted(contacts.mapped("email_normalized")), sorted(self.emails),
                             "one mailing contact per member email, none twice")
            subscriptions = env["mailing.subscription"].search(
                [("list_id", "=", self.ids["list"])])
            self.assertEqual(subscriptions.contact_id, contacts,
                             "every member subscribed once, nobody else")
            self.assertEqual(len(subscriptions), len(self.emails))

    def test_second_run_while_the_first_holds_the_segment(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            self.assertEqual(self._sync(cr_1), {"created": 3, "added": 3, "removed": 0})
            # cr_1 is not committed: its contacts are not visible to cr_2, which would
            # create them again; it waits for the segment cr_1 locked instead
            _wait_at_most_2s(cr_2)
            with mute_logger("odoo.sql_db"), self.assertRaises(LockNotAvailable):
                self._sync(cr_2)
            cr_2.rollback()
            cr_1.commit()
            # a later run leaves the list as it is
            self.assertEqual(self._sync(cr_2), {"created": 0, "added": 0, "removed": 0})
        self._check_subscribed_once()

    def test_second_run_begun_before_the_first_committed(self):
        with self.registry.cursor() as cr_1, self.registry.cursor() as cr_2:
            # cr_2's transaction has begun: its snapshot shows a list never synchronized
            env_2 = api.Environment(cr_2, api.SUPERUSER_ID, {})
            self.assertFalse(env_2["crm.segment"].browse(self.ids["segment"]).last_sync_date)
            self.assertEqual(self._sync(cr_1), {"created": 3, "added": 3, "removed": 0})
            cr_1.commit()
            # it locks the segment cr_1 changed since: refused, before it creates
            # the contacts it cannot see
            with mute_logger("odoo.sql_db"), self.assertRaises(SerializationFailure):
                self._sync(cr_2)
            cr_2.rollback()
            self.assertEqual(self._sync(cr_2), {"created": 0, "added": 0, "removed": 0})
        self._check_subscribed_once()
