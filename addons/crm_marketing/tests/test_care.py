from datetime import timedelta

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
        if "sms.sms" not in self.env:
            with self.assertRaisesText(ValidationError, "SMS"):
                self._rule("birthday", 0, action="sms", sms_body="Happy birthday!")
        self.assertFalse(self.env["crm.care.rule"].search([("name", "like", "Rule ")]))

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
