from datetime import date, datetime

from dateutil.relativedelta import relativedelta
from freezegun import freeze_time

from odoo import fields
from odoo.exceptions import AccessError, ValidationError
from odoo.tests import Form, tagged

from odoo.addons.crm_core import post_init_hook

from .common import CrmCoreCommon


@tagged("post_install", "-at_install")
class TestPartnerProfile(CrmCoreCommon):
    def test_age_from_birthdate(self):
        today = self.env.company._crm_today()
        self.contact.birthdate = today - relativedelta(years=30)
        self.assertEqual(self.contact.age, 30)
        self.contact.birthdate = today - relativedelta(years=30) + relativedelta(days=1)
        self.assertEqual(self.contact.age, 29)
        self.contact.birthdate = False
        self.assertEqual(self.contact.age, 0)

    def test_search_on_age(self):
        today = self.env.company._crm_today()
        Partner = self.env["res.partner"]
        young = Partner.create({"name": "Young", "birthdate": today - relativedelta(years=25)})
        old = Partner.create({"name": "Old", "birthdate": today - relativedelta(years=61, days=3)})
        nobody = Partner.create({"name": "Unknown"})
        scope = young | old | nobody
        self.assertEqual(scope.filtered_domain([("age", ">=", 60)]), old)
        self.assertEqual(Partner.search([("id", "in", scope.ids), ("age", ">=", 60)]), old)
        self.assertEqual(Partner.search([("id", "in", scope.ids), ("age", "<", 60)]), young)
        self.assertEqual(Partner.search([("id", "in", scope.ids), ("age", "=", 25)]), young)
        self.assertEqual(Partner.search([("id", "in", scope.ids), ("age", "<=", 25)]), young)
        self.assertEqual(Partner.search([("id", "in", scope.ids), ("age", ">", 25)]), old)
        self.assertEqual(
            Partner.search([("id", "in", scope.ids), ("age", "!=", 25)]), old | nobody)
        with self.assertRaises(ValidationError):
            Partner.search([("age", "ilike", "3")])

    def test_age_on_the_companys_day(self):
        """At 01:00 in Shanghai (17:00 UTC the day before) a customer born that day
        of the month is a year older for the company, whatever the reader's time zone
        (the night job's user has none)."""
        self.env.company.partner_id.tz = "Asia/Shanghai"
        self.env.user.tz = False
        customer = self.env["res.partner"].create(
            {"name": "Born at Dawn", "birthdate": date(1990, 3, 2)})
        with freeze_time(datetime(2025, 3, 1, 17, 0)):
            customer.invalidate_recordset(["age"])
            self.assertEqual(customer.age, 35)
            self.assertEqual(self.env["res.partner"].search(
                [("id", "=", customer.id), ("age", "=", 35)]), customer)
        with freeze_time(datetime(2025, 3, 1, 15, 59)):
            customer.invalidate_recordset(["age"])
            self.assertEqual(customer.age, 34)

    def test_birthdate_in_future_is_refused(self):
        tomorrow = fields.Date.context_today(self.contact) + relativedelta(days=1)
        with self.assertRaisesText(ValidationError, "cannot be in the future"):
            self.contact.birthdate = tomorrow
            self.contact.flush_recordset()
        self.contact.invalidate_recordset()
        self.assertFalse(self.contact.birthdate)

    def test_no_age_shown_for_a_future_birthdate(self):
        tomorrow = fields.Date.context_today(self.contact) + relativedelta(years=3)
        with Form(self.contact.with_user(self.salesman)) as form:
            form.birthdate = tomorrow
            self.assertEqual(form.age, 0, "no negative age while the date is typed")
            form.birthdate = date(1990, 1, 1)
            self.assertGreater(form.age, 30)

    def test_birthdate_error_in_chinese(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        tomorrow = fields.Date.context_today(self.contact) + relativedelta(days=1)
        with self.assertRaises(ValidationError) as caught:
            self.env["res.partner"].with_context(lang="zh_CN").create(
                {"name": "Future", "birthdate": tomorrow})
        self.assertIn("生日不能是未来的日期", str(caught.exception))
        self.assertFalse(self.env["res.partner"].search([("name", "=", "Future")]))

    def test_manager_sets_tier_and_stage_tracked(self):
        self.customer.with_user(self.manager).write(
            {"customer_tier": "key", "lifecycle_stage": "stability"})
        self.assertEqual(self.customer.customer_tier, "key")
        self.env.flush_all()
        self.env.cr.precommit.run()
        tracked = self.customer.message_ids.tracking_value_ids.field_id.mapped("name")
        self.assertIn("customer_tier", tracked)
        self.assertIn("lifecycle_stage", tracked)

    def test_salesman_cannot_set_tier_or_stage(self):
        partner = self.customer.with_user(self.salesman)
        with self.assertRaises(AccessError):
            partner.write({"customer_tier": "key"})
        with self.assertRaises(AccessError):
            partner.write({"lifecycle_stage": "churned"})
        with self.assertRaises(AccessError):
            self.env["res.partner"].with_user(self.salesman).create(
                {"name": "Self-made key customer", "customer_tier": "key"})
        self.assertFalse(self.customer.customer_tier)
        # other profile fields stay editable, and rewriting the same tier is harmless
        partner.write({"gender": "female", "income_band": "high", "customer_tier": False})
        self.assertEqual(self.customer.income_band, "high")

    def test_tier_readonly_in_form_for_salesman(self):
        self.assertFalse(self.customer.with_user(self.salesman).is_crm_manager)
        self.assertTrue(self.customer.with_user(self.manager).is_crm_manager)
        form = Form(self.customer.with_user(self.salesman))
        with self.assertRaises(AssertionError):
            form.customer_tier = "key"

    def test_customer_since_from_first_confirmed_order(self):
        self.assertFalse(self.customer.customer_since)
        quotation = self._order(self.contact, 100.0, confirm=False)
        self.assertFalse(self.customer.customer_since)
        quotation.with_user(self.salesman).action_confirm()
        # the day of the order in its company's time zone (not UTC's)
        first_day = quotation.company_id._crm_local_date(quotation.date_order)
        self.assertEqual(self.customer.customer_since, first_day)
        self.assertEqual(self.contact.customer_since, first_day)
        # a date set by hand before the first order is kept by later orders
        self.customer.customer_since = date(2020, 1, 1)
        self._order(self.customer, 100.0)
        self.assertEqual(self.customer.customer_since, date(2020, 1, 1))
        # one set by hand after an order is corrected by the next confirmation
        self.contact.customer_since = date(2099, 1, 1)
        self._order(self.contact, 100.0)
        self.assertEqual(self.contact.customer_since, quotation.company_id._crm_today())

    def test_orders_confirmed_before_the_install_count(self):
        buyer = self.env["res.partner"].create({"name": "Early Buyer Gu"})
        order = self._order(self.contact, 100.0, date=datetime(2024, 6, 3, 10, 0))
        self._order(buyer, 50.0, date=datetime(2025, 1, 8, 10, 0))
        self.env.flush_all()
        # as if crm_core had been installed after these orders were confirmed
        self.env.cr.execute("UPDATE res_partner SET customer_since = NULL WHERE id IN %s",
                            [tuple((self.customer | self.contact | buyer).ids)])
        self.env.invalidate_all()
        post_init_hook(self.env)
        self.assertEqual(self.customer.customer_since, date(2024, 6, 3))
        self.assertEqual(self.contact.customer_since,
                         order.company_id._crm_local_date(order.date_order))
        self.assertEqual(buyer.customer_since, date(2025, 1, 8))

    def test_contacts_search_filters(self):
        self.customer.with_user(self.manager).customer_tier = "key"
        action_context = {"search_default_tier_key": 1}
        view = self.env.ref("base.view_res_partner_filter")
        arch = self.env["res.partner"].with_context(**action_context).get_view(
            view.id, "search")["arch"]
        for name in ("tier_key", "stage_decline", "group_customer_tier", "group_lifecycle_stage"):
            self.assertIn(f'name="{name}"', arch)
        keys = self.env["res.partner"].search([("customer_tier", "=", "key")])
        self.assertIn(self.customer, keys)
