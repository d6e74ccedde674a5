from unittest.mock import patch

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase, tagged
from odoo.tests.common import JsonRpcException
from odoo.tools import SQL, mute_logger

from odoo.addons.crm_marketing.models.crm_segment import CrmSegment

from .common import CrmMarketingCommon

SEGMENT_LOGGER = "odoo.addons.crm_marketing.models.crm_segment"


@tagged("post_install", "-at_install")
class TestSegmentValues(CrmMarketingCommon):
    """Every value of a segment's conditions fits the field it is compared with."""

    def _segment(self, domain, **vals):
        return self.env["crm.segment"].with_user(self.marketer).create(
            {"name": "Checked Segment", "domain": str(domain), **vals})

    def _assert_refused(self, domain, *texts):
        with self.assertRaises(ValidationError) as caught:
            self._segment(domain)
        for text in ("Checked Segment", *texts):
            self.assertIn(text, str(caught.exception))

    def test_values_that_do_not_fit_their_field_are_refused(self):
        self._assert_refused([("birthdate", ">", "not-a-date")], "birthdate", "'not-a-date'")
        self._assert_refused([("birthdate", "=", "2025-02-30")], "birthdate")
        self._assert_refused([("birthdate", "<", 20250101)], "birthdate")
        self._assert_refused([("write_date", ">", "yesterday")], "write_date")
        self._assert_refused([("city", "=", 42)], "city", "42")
        self._assert_refused([("email", "in", ["a@example.com", 7])], "email", "7")
        self._assert_refused([("gender", "=", "robot")], "gender", "'robot'", "'female'")
        self._assert_refused([("customer_tier", "not in", ["key", "vip"])], "'vip'")
        self._assert_refused([("age", ">", "thirty")], "age", "'thirty'")
        self._assert_refused([("age", ">", True)], "age")
        self._assert_refused([("crm_spend", ">", float("inf"))], "crm_spend")
        self._assert_refused([("crm_spend", ">", float("nan"))], "crm_spend")
        self._assert_refused([("crm_order_count", ">=", 2.5)], "crm_order_count")
        self._assert_refused([("is_company", "=", "yes")], "is_company")
        self._assert_refused([("country_id", "=", 1.5)], "country_id")
        self._assert_refused([("country_id", "in", [self.cn.id, {"id": 1}])], "country_id")
        self._assert_refused([("country_id", "in", [self.cn.id, "China"])], "'China'")
        self._assert_refused([("country_id.code", "=", 86)], "country_id.code")
        self._assert_refused([("gender", "in", "female")], "gender", "a list")
        self._assert_refused(["|", ("city", "ilike", 5), ("gender", "=", "male")], "city")
        self._assert_refused([("child_ids", "any", [("birthdate", ">", "soon")])], "birthdate")
        self.assertFalse(self.env["crm.segment"].search([("name", "=", "Checked Segment")]))

    def test_values_that_fit_are_accepted(self):
        segment = self._segment([
            "&", "&", "&", "&", "&", "&", "&", "&", "&", "&",
            ("birthdate", ">", "1980-01-31"),
            ("write_date", "<", "2100-01-01 00:00:00"),
            ("gender", "in", ["female", False]),
            ("email", "!=", False),
            ("city", "ilike", "shang"),
            ("country_id", "in", [self.cn.id, False]),
            ("country_id", "=", "China"),
            ("age", ">=", 18),
            ("crm_spend", ">=", 99.5),
            ("is_company", "=", False),
            ("child_ids", "not any", [("birthdate", "=", False)]),
        ])
        self.assertEqual(segment.member_count, segment._count_members(
            segment._get_member_domain()))

    def test_bad_value_refused_on_write_too_and_in_chinese(self):
        segment = self._segment([("gender", "=", "female")])
        with self.assertRaisesText(ValidationError, "birthdate"):
            segment.domain = "[('birthdate', '>', 'not-a-date')]"
        self.assertEqual(segment.domain, "[('gender', '=', 'female')]")
        self.env["res.lang"]._activate_lang("zh_CN")
        with self.assertRaisesText(ValidationError, "细分 Checked Segment 的条件无效"):
            segment.with_context(lang="zh_CN").domain = "[('city', '=', 42)]"

    def test_database_error_becomes_a_validation_error(self):
        # a condition that fits its field but that the database refuses: the count run
        # once at saving, in a savepoint, turns it into the segment's own error
        self.env["res.partner"].create({"name": "Someone", "city": "Qx-Shanghai"})
        with mute_logger("odoo.sql_db"):
            with self.assertRaisesText(ValidationError, "cannot be applied"):
                self._segment([("city", "=like", "%\\")])  # LIKE pattern ends with escape
            with self.assertRaisesText(ValidationError, "cannot be applied"):
                self._segment([("city", "=", "Shang\x00hai")])
        self.assertFalse(self.env["crm.segment"].search([("name", "=", "Checked Segment")]))
        self.assertEqual(self._segment([("city", "=like", "Qx-%")]).member_count, 1)

    def test_period_days_bounded(self):
        for days in (0, -3, 36501, 2**31 - 1):
            with self.assertRaisesText(ValidationError, "36500"):
                self._segment([("crm_order_count", ">", 1)], period_days=days)
        segment = self._segment([("crm_order_count", ">", 1)], period_days=36500)
        self.assertEqual(segment.member_count, segment._count_members(
            segment._get_member_domain()))

    def test_period_days_context_refused(self):
        Partner = self.env["res.partner"].with_user(self.salesman)
        for days in (10**12, 0, -1, "abc", "12.5", 3.5, True, [30], 10**400):
            with self.assertRaisesText(ValidationError, "behaviour period"):
                Partner.with_context(crm_period_days=days).search(
                    [("crm_order_count", ">=", 1)])
        # a whole number of days, even as text, is fine
        for days in (30, "30", None, False):
            Partner.with_context(crm_period_days=days).search([("crm_order_count", ">=", 1)])

    def test_behaviour_search_refuses_non_finite_numbers(self):
        Partner = self.env["res.partner"].with_user(self.salesman)
        for value in (float("inf"), float("-inf"), float("nan")):
            with self.assertRaisesText(ValidationError, "finite number"):
                Partner.search([("crm_spend", ">", value)])
        self.assertFalse(Partner.search([("crm_spend", ">", 10**400)]))

    def _break(self, segment, domain):
        """A segment saved before its values were checked: written with SQL."""
        self.env.flush_all()
        self.env.cr.execute(SQL(
            "UPDATE crm_segment SET domain = %s WHERE id = %s", domain, segment.id))
        segment.invalidate_recordset()

    def test_broken_segment_counts_nothing_and_breaks_no_other(self):
        good = self._segment([("gender", "=", "female")])
        broken = self._segment([("gender", "=", "male")])
        self._break(broken, "[('birthdate', '>', 'not-a-date')]")
        segments = (good | broken).with_user(self.salesman)
        self.assertEqual(broken.with_user(self.salesman).member_count, 0)
        # the members the salesperson may read (a colleague's customers under a customer
        # pool are not theirs to count)
        seen = good.with_user(self.salesman)
        self.assertEqual(
            segments.mapped("member_count"),
            [seen._count_members(seen._get_member_domain()), 0])
        self.assertGreater(segments[0].member_count, 0)

    def test_member_count_survives_a_database_error(self):
        segment = self._segment([("gender", "=", "female")])
        self.env["res.partner"].create({"name": "Someone", "city": "Shanghai"})
        self._break(segment, "[('city', '=like', '%\\\\')]")
        with mute_logger(SEGMENT_LOGGER, "odoo.sql_db"):
            self.assertEqual(segment.member_count, 0)
        self.assertTrue(self.env["crm.segment"].search_count([]), "the cursor still works")

    def test_cron_syncs_the_good_segment_when_another_is_broken(self):
        Partner = self.env["res.partner"]
        Partner.create([
            {"name": "Cron Member", "email": "cron.member@example.com", "city": "Cron City"},
            {"name": "Cron Other", "email": "cron.other@example.com", "city": "Elsewhere"},
        ])
        broken = self._segment([("city", "=", "Elsewhere")])
        good = self._segment([("city", "=", "Cron City")])
        lists = self.env["mailing.list"].create([{"name": "Broken"}, {"name": "Good"}])
        broken.sudo().mailing_list_id = lists[0]
        good.sudo().mailing_list_id = lists[1]
        # the broken one comes first
        self._break(broken, "[('birthdate', '>', 'not-a-date')]")
        broken.sequence, good.sequence = 1, 2
        with mute_logger(SEGMENT_LOGGER):
            self.env["crm.segment"]._cron_sync_mailing_lists()
        self.assertEqual(good.mailing_list_id.contact_ids.mapped("email"),
                         ["cron.member@example.com"])
        self.assertTrue(good.last_sync_date)
        self.assertFalse(broken.mailing_list_id.contact_ids)
        self.assertFalse(broken.last_sync_date)

    def test_cron_survives_a_database_error_of_one_segment(self):
        good = self._segment([("email", "=", "cron.good@example.com")])
        broken = self._segment([("email", "=", "cron.bad@example.com")])
        self.env["res.partner"].create({"name": "Good", "email": "cron.good@example.com"})
        lists = self.env["mailing.list"].create([{"name": "Broken"}, {"name": "Good"}])
        broken.sudo().mailing_list_id = lists[0]
        good.sudo().mailing_list_id = lists[1]
        broken.sequence, good.sequence = 1, 2
        original = CrmSegment._sync_mailing_list

        def sync(segment):
            if segment == broken:
                segment.env.cr.execute(SQL("SELECT 1 / 0"))
            return original(segment)

        with patch.object(CrmSegment, "_sync_mailing_list", sync), \
                mute_logger(SEGMENT_LOGGER, "odoo.sql_db"):
            self.env["crm.segment"]._cron_sync_mailing_lists()
        self.assertEqual(good.mailing_list_id.contact_ids.mapped("email"),
                         ["cron.good@example.com"])


@tagged("post_install", "-at_install")
class TestSegmentValuesOverRpc(CrmMarketingCommon, HttpCase):
    """The users who get the errors, through the web client's JSON-RPC."""

    def _call(self, user, model, method, args, kwargs=None):
        self.authenticate(user.login, user.login)
        return self.make_jsonrpc_request(f"/web/dataset/call_kw/{model}/{method}", {
            "model": model, "method": method, "args": args, "kwargs": kwargs or {},
        })

    def _assert_validation_error(self, user, model, method, args, kwargs=None):
        with self.assertRaises(JsonRpcException) as caught:
            self._call(user, model, method, args, kwargs)
        self.assertEqual(str(caught.exception), "odoo.exceptions.ValidationError")

    def test_marketer_saving_a_bad_segment_gets_a_validation_error(self):
        for domain in ("[('birthdate', '>', 'not-a-date')]", "[('city', '=', 42)]",
                       "[('gender', '=', 'robot')]"):
            self._assert_validation_error(
                self.marketer, "crm.segment", "create", [{"name": "RPC", "domain": domain}])
        self._assert_validation_error(
            self.marketer, "crm.segment", "create",
            [{"name": "RPC", "domain": "[]", "period_days": 10**6}])
        self.assertFalse(self.env["crm.segment"].search([("name", "=", "RPC")]))
        segment_id = self._call(
            self.marketer, "crm.segment", "create",
            [{"name": "RPC", "domain": "[('gender', '=', 'female')]"}])
        self._assert_validation_error(
            self.marketer, "crm.segment", "write",
            [[segment_id], {"domain": "[('birthdate', '<', 'not-a-date')]"}])
        self.assertEqual(self.env["crm.segment"].browse(segment_id).domain,
                         "[('gender', '=', 'female')]")

    def test_salesperson_with_a_bad_period_gets_a_validation_error(self):
        for days in (10**12, 2**31, "abc", -5):
            self._assert_validation_error(
                self.salesman, "res.partner", "search_read",
                [[("crm_spend", ">=", 0)], ["name"]],
                {"context": {"crm_period_days": days}})
            self._assert_validation_error(
                self.salesman, "res.partner", "read",
                [[self.customer.id], ["crm_spend", "crm_order_count"]],
                {"context": {"crm_period_days": days}})
        partners = self._call(
            self.salesman, "res.partner", "search_read",
            [[("crm_spend", ">=", 0), ("id", "=", self.customer.id)], ["name"]],
            {"context": {"crm_period_days": 30}})
        self.assertEqual([partner["id"] for partner in partners], [self.customer.id])
