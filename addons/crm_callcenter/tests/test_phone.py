from odoo.tests import tagged

from .common import CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestPhoneMatching(CrmCallcenterCommon):

    def test_normalize_e164(self):
        """Calls read numbers in their company's country, through the host's
        mail.thread.phone (``phone_sanitized``)."""
        self.company.country_id = self.env.ref("base.cn")
        for typed in ("010 6552 1234", "+86 10 6552 1234", "0086-10-6552-1234",
                      "(010) 6552.1234"):
            call = self.env["crm.call"].create({"phone": typed, "company_id": self.company.id})
            self.assertEqual(call.phone_sanitized, "+861065521234", typed)
        self.assertEqual(self.customer.crm_phone_normalized, "+861065521234")

    def test_national_numbers_of_other_countries(self):
        """What a hand-written reading got wrong: Italy keeps its leading 0, and a
        North American number typed with its country code has no trunk prefix. List
        entries read the number in the customer's country."""
        call_list = self.env["crm.call.list"].create({"name": "Abroad"})
        for country, typed, e164 in (
            ("base.it", "06 1234 5678", "+390612345678"),
            ("base.us", "1 (415) 555-0100", "+14155550100"),
            ("base.uk", "020 7946 0958", "+442079460958"),
            # not a number of that country: none
            ("base.cn", "123", False),
        ):
            partner = self.env["res.partner"].create({
                "name": typed, "country_id": self.env.ref(country).id, "phone": typed,
            })
            entry = self.env["crm.call.list.entry"].create({
                "list_id": call_list.id, "partner_id": partner.id, "phone": typed,
            })
            self.assertEqual(entry.phone_sanitized, e164, typed)
            self.assertEqual(partner.crm_phone_normalized, e164, typed)
            # the customer moves: the number is read again, in China not a number
            if country == "base.it":
                partner.country_id = self.env.ref("base.cn")
                self.assertFalse(entry.phone_sanitized)

    def test_host_blacklist_flags_and_actions(self):
        """Calls and entries are the host's mail.thread.phone: its blacklist flag
        follows phone.blacklist, and its unblacklist action is offered."""
        call, _route = self._inbound(phone="+86 (10) 6552-1234")
        call_list = self.env["crm.call.list"].create({"name": "Flags"})
        entry = self.env["crm.call.list.entry"].create({
            "list_id": call_list.id, "partner_id": self.customer.id,
            "phone": self.customer.phone,
        })
        self.assertFalse(call.phone_sanitized_blacklisted)
        self.assertFalse(entry.phone_sanitized_blacklisted)
        self.env["phone.blacklist"].sudo().add("+861065521234")
        call.invalidate_recordset(["phone_sanitized_blacklisted"])
        entry.invalidate_recordset(["phone_sanitized_blacklisted"])
        self.assertTrue(call.phone_sanitized_blacklisted)
        self.assertTrue(entry.phone_sanitized_blacklisted)
        self.assertTrue(entry.do_not_call)
        # the host's search reads the table: what the filter finds once saved
        self.env.flush_all()
        self.assertIn(entry, entry.search([("phone_sanitized_blacklisted", "=", True)]))
        self.assertIn(call, call.search([("phone_sanitized_blacklisted", "=", True)]))
        action = entry.phone_action_blacklist_remove()
        self.assertEqual(action["res_model"], "phone.blacklist.remove")

    def test_caller_matched_on_normalized_number(self):
        call, _route = self._inbound(phone="+86 (10) 6552-1234")
        self.assertEqual(call.phone_sanitized, "+861065521234")
        self.assertEqual(call.partner_id, self.customer)
        self.assertFalse(call.phone_invalid)

    def test_contact_mobile_matched(self):
        contact = self.env["res.partner"].create({
            "name": "Wu Lan", "parent_id": self.customer.id, "mobile": "139 1111 2233",
        })
        call, _route = self._inbound(phone="+8613911112233")
        self.assertEqual(call.partner_id, contact)
        self.assertEqual(call.commercial_partner_id, self.customer)

    def test_invalid_number_kept_and_flagged(self):
        call, _route = self._inbound(phone="12ab")
        self.assertEqual(call.phone, "12ab")
        self.assertTrue(call.phone_invalid)
        self.assertFalse(call.partner_id)

    def test_other_company_partner_not_matched(self):
        other = self.env["res.company"].create({"name": "Other Co"})
        self.customer.company_id = other
        call, _route = self._inbound()
        self.assertFalse(call.partner_id)
