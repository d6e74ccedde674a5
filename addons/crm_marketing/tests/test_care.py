from datetime import timedelta
from unittest.mock import patch

from dateutil.relativedelta import relativedelta
from psycopg2 import IntegrityError

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import CrmMarketingCommon


@tagged("post_install", "-at_install")
class TestCustomerCare(CrmMarketingCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.today = fields.Date.context_today(cls.env["crm.care.rule"])
        cls.now = fields.Datetime.now()
        cls.start = cls.today - timedelta(days=60)
        Partner = cls.env["res.partner"]
        cls.customer.write({"user_id": cls.salesman.id, "email": "huachen@example.com"})
        cls.soon = Partner.create({
            "name": "Birthday Soon", "email": "soon@example.com", "user_id": cls.colleague.id,
            "birthdate": cls.today + timedelta(days=2) - relativedelta(years=30),
        })
        cls.later = Partner.create({
            "name": "Birthday Later", "email": "later@example.com",
            "birthdate": cls.today + timedelta(days=10) - relativedelta(years=30),
        })
        cls.template = cls.env["mail.template"].create({
            "name": "Care greetings",
            "model_id": cls.env["ir.model"]._get_id("res.partner"),
            "subject": "Warm greetings from us",
            "body_html": "<p>Dear {{ object.name }}, thank you.</p>",
            "partner_to": "{{ object.id }}",
        })

    def _rule(self, trigger, days, **vals):
        return self.env["crm.care.rule"].create({
            "name": f"Rule {trigger}", "trigger": trigger, "days": days,
            "date_start": self.start, **vals,
        })

    def _run_twice(self, rule):
        first = rule._run(self.today)
        second = rule._run(self.today)
        self.assertFalse(second, "a second run finds nothing new")
        return first

    def test_birthday(self):
        rule = self._rule("birthday", 3)
        logs = self._run_twice(rule)
        self.assertIn(self.soon, logs.partner_id)
        self.assertNotIn(self.later, logs.partner_id)
        log = logs.filtered(lambda log: log.partner_id == self.soon)
        year = (self.today + timedelta(days=2)).year
        self.assertEqual(log.occasion, f"birthday-{year}")
        activity = self.soon.activity_ids
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.user_id, self.colleague, "the customer's salesperson")
        # the cron runs every active rule (the demo ones put aside), once more: nothing new
        self.env["crm.care.rule"].search([("id", "!=", rule.id)]).action_archive()
        self.env["crm.care.rule"]._cron_run_care_rules()
        self.assertEqual(len(self.soon.activity_ids), 1)
        self.assertEqual(rule.log_count, len(logs))

    def test_after_order(self):
        due = self._order(self.customer, 100.0, date=self.now - timedelta(days=8))
        self._order(self.customer, 100.0, date=self.now - timedelta(days=3))  # not yet
        self._order(self.customer, 100.0, date=self.now - timedelta(days=200))  # before start
        rule = self._rule("after_order", 7, action="email", mail_template_id=self.template.id)
        logs = self._run_twice(rule).filtered(lambda log: log.partner_id == self.customer)
        self.assertEqual(logs.sale_order_id, due)
        mails = self.env["mail.mail"].search([
            ("subject", "=", "Warm greetings from us"),
            ("recipient_ids", "in", self.customer.ids),
        ])
        self.assertEqual(len(mails), 1, "one email for the one order due")

    def test_before_warranty_end(self):
        due = self._order(self.customer, 100.0, date=self.now - timedelta(days=300))
        due.warranty_end_date = self.today + timedelta(days=20)
        later = self._order(self.customer, 100.0, date=self.now - timedelta(days=300))
        later.warranty_end_date = self.today + timedelta(days=45)
        rule = self._rule("before_end", 30)
        logs = self._run_twice(rule).filtered(lambda log: log.partner_id == self.customer)
        self.assertEqual(logs.sale_order_id, due)
        self.assertEqual(self.customer.activity_ids.user_id, self.salesman)
        # a new end date (contract renewed) is a new occasion
        due.warranty_end_date = self.today + timedelta(days=25)
        self.assertEqual(len(rule._run(self.today)), 1)
        self.assertEqual(len(self.customer.activity_ids), 2)

    def test_inactive_once_per_episode(self):
        quiet = self.env["res.partner"].create({"name": "Quiet Buyer"})
        busy = self.env["res.partner"].create({"name": "Busy Buyer"})
        self._order(quiet, 100.0, date=self.now - timedelta(days=100))
        self._order(busy, 100.0, date=self.now - timedelta(days=100))
        self._order(busy, 100.0, date=self.now - timedelta(days=5))
        rule = self._rule("inactive", 90)
        logs = self._run_twice(rule)
        self.assertEqual(logs.partner_id & (quiet | busy), quiet)
        self.assertEqual(quiet.activity_ids.user_id, self.salesman, "salesperson of the order")
        # the customer comes back, then lapses again: a new episode, one more action
        self._order(quiet, 100.0, date=self.now - timedelta(days=95))
        again = self._run_twice(rule).filtered(lambda log: log.partner_id == quiet)
        self.assertEqual(len(again), 1)

    def test_restricted_to_segment(self):
        segment = self.env["crm.segment"].create({
            "name": "Later only", "domain": str([("id", "=", self.later.id)])})
        rule = self._rule("birthday", 15, segment_id=segment.id, user_id=self.leader.id)
        logs = self._run_twice(rule)
        self.assertEqual(logs.partner_id, self.later)
        self.assertEqual(self.later.activity_ids.user_id, self.leader, "fallback responsible")

    def test_sms_sent_to_customers_with_a_mobile(self):
        self.soon.mobile = "+86 138 0013 8001"
        rule = self._rule("birthday", 3, action="sms", sms_body="Happy birthday from us!")
        logs = self._run_twice(rule)
        self.assertIn(self.soon, logs.partner_id)
        sent = self.env["sms.sms"].search([("body", "=", "Happy birthday from us!")])
        self.assertLessEqual(sent.partner_id, logs.partner_id, "only to the customers due")
        self.assertNotIn(self.later, sent.partner_id)
        sms = sent.filtered(lambda sms: sms.partner_id == self.soon)
        self.assertEqual(len(sms), 1, "one SMS, once")
        self.assertEqual(sms.number.replace(" ", ""), "+8613800138001")
        self.assertEqual(sms.state, "outgoing", "queued for the host's SMS job")
        self.assertIn("Happy birthday from us!", self.soon.message_ids[0].body)

    def test_activity_goes_to_a_person_never_to_the_system(self):
        root = self.env.ref("base.user_root")
        portal = self.env["res.users"].create({
            "name": "Portal Pan", "login": "crm_mkt_portal",
            "groups_id": [(6, 0, self.env.ref("base.group_portal").ids)],
        })
        self.env["crm.care.rule"].search([]).action_archive()
        self.env.company.crm_fallback_user_id = False
        nobody = self.env["res.partner"].create({
            "name": "Nobody's Customer", "user_id": portal.id,
            "birthdate": self.today + timedelta(days=1) - relativedelta(years=40),
        })
        # nobody to give it to: no activity, and the rule says why
        rule = self._rule("birthday", 3)
        self.assertIn(nobody, rule._run(self.today).partner_id)
        self.assertFalse(nobody.activity_ids)
        self.assertIn("Nobody", rule.message_ids[0].body)
        self.assertIn("Default CRM Responsible", rule.message_ids[0].body)

        def responsible(**vals):
            rule = self._rule("birthday", 3, **vals)
            rule._run(self.today)
            return nobody.activity_ids.filtered(lambda a: a.summary == rule.name).user_id

        # the company's Default CRM Responsible
        self.env.company.crm_fallback_user_id = self.manager
        self.assertEqual(responsible(name="Fallback of the company"), self.manager)
        # the leader of the team of the customer's latest order, before it
        self._order(nobody, 10.0)
        self.assertEqual(responsible(name="Team leader"), self.leader)
        # the rule's responsible, before it
        self.assertEqual(responsible(name="Rule's own", user_id=self.colleague.id),
                         self.colleague)
        # the customer's salesperson first
        nobody.user_id = self.salesman
        self.assertEqual(
            responsible(name="Salesperson", user_id=self.colleague.id), self.salesman)
        self.assertNotIn(root, nobody.activity_ids.user_id)
        self.assertNotIn(portal, nobody.activity_ids.user_id)

    def test_activities_created_per_person(self):
        """A rule due for many customers creates its activities in one batch per
        person who does them, not one by one; each customer gets its own."""
        self.env["crm.care.rule"].search([]).action_archive()
        birthdate = self.today + timedelta(days=1) - relativedelta(years=35)
        customers = self.env["res.partner"].create([
            {"name": f"Care Batch {index}", "birthdate": birthdate,
             "user_id": (self.salesman if index % 3 else self.colleague).id}
            for index in range(9)])
        Activity = type(self.env["mail.activity"])
        create = Activity.create
        batches = []

        def spy(records, vals_list):
            batches.append(len(vals_list) if isinstance(vals_list, list) else 1)
            return create(records, vals_list)

        rule = self._rule("birthday", 3)
        with patch.object(Activity, "create", spy):
            logs = rule._run(self.today)
        self.assertEqual(set(customers.ids) - set(logs.partner_id.ids), set())
        activities = self.env["mail.activity"].search([("summary", "=", rule.name)])
        self.assertEqual(len(activities), len(logs))
        self.assertEqual(len(batches), len(activities.user_id), "one batch per person")
        self.assertEqual(sum(batches), len(activities))
        self.assertGreaterEqual(max(batches), 6)
        for customer in customers:
            self.assertEqual(customer.activity_ids.user_id, customer.user_id)
            self.assertEqual(len(customer.activity_ids), 1)

    def test_unique_occasion_in_database(self):
        rule = self._rule("birthday", 3)
        log = rule._run(self.today)[:1]
        with self.assertRaises(IntegrityError), mute_logger("odoo.sql_db"), \
                self.cr.savepoint():
            self.env["crm.care.log"].create({
                "rule_id": rule.id, "partner_id": log.partner_id.id, "occasion": log.occasion,
            })
            self.env.flush_all()

    def test_bad_rules_refused(self):
        with self.assertRaisesText(ValidationError, "template"):
            self._rule("birthday", 0, action="email")
        with self.assertRaisesText(ValidationError, "number of days"):
            self._rule("inactive", 0)
        with self.assertRaisesText(ValidationError, "negative"):
            self._rule("birthday", -2)
        with self.assertRaisesText(ValidationError, "at most 3650"):
            self._rule("inactive", 3651)
        with self.assertRaisesText(ValidationError, "out of range"):
            self._rule("inactive", 10**12)
        with self.assertRaisesText(ValidationError, "write its text"):
            self._rule("birthday", 0, action="sms")
        self.assertFalse(self.env["crm.care.rule"].search([("name", "like", "Rule ")]))
        self.assertTrue(self._rule("inactive", 3650))

    def test_access(self):
        rule = self._rule("birthday", 3)
        self.env["crm.care.rule"].with_user(self.marketer).create(
            {"name": "Marketer's rule", "trigger": "birthday"})
        self.assertTrue(rule.with_user(self.salesman).read(["name"]))
        with self.assertRaises(AccessError):
            rule.with_user(self.salesman).days = 1
        with self.assertRaises(AccessError):
            self.env["crm.care.log"].with_user(self.salesman).create(
                {"rule_id": rule.id, "partner_id": self.soon.id, "occasion": "x"})
        foreign = self.env["crm.care.rule"].create(
            {"name": "Foreign rule", "company_id": self.other_company.id})
        with self.assertRaises(AccessError):
            foreign.with_user(self.marketer).read(["name"])

    def test_activity_in_the_assignees_language(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "crm_marketing")])._update_translations(["zh_CN"])
        self.colleague.lang = "zh_CN"
        rule = self._rule("birthday", 3, activity_summary="Birthday call")
        rule.update_field_translations("activity_summary", {"zh_CN": "生日问候电话"})
        # the job runs in English; the salesperson reads Chinese
        rule.with_context(lang="en_US")._run(self.today)
        activity = self.soon.activity_ids
        self.assertEqual(activity.summary, "生日问候电话")
        self.assertIn("客户关怀", activity.note)
