from odoo.tests import tagged

from ..models.phone import normalize_phone
from .common import CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestPhoneMatching(CrmCallcenterCommon):

    def test_normalize_e164(self):
        cn = self.env.ref("base.cn")
        for typed in ("010 6552 1234", "+86 10 6552 1234", "0086-10-6552-1234",
                      "(010) 6552.1234"):
            self.assertEqual(normalize_phone(self.env, typed, cn), "+861065521234", typed)
        self.assertEqual(self.customer.crm_phone_normalized, "+861065521234")

    def test_national_numbers_of_other_countries(self):
        """What a hand-written reading got wrong: Italy keeps its leading 0, and a
        North American number typed with its country code has no trunk prefix."""
        self.assertEqual(normalize_phone(self.env, "06 1234 5678", self.env.ref("base.it")),
                         "+390612345678")
        self.assertEqual(normalize_phone(self.env, "1 (415) 555-0100",
                                         self.env.ref("base.us")), "+14155550100")
        self.assertEqual(normalize_phone(self.env, "020 7946 0958", self.env.ref("base.uk")),
                         "+442079460958")
        # not a number of that country: none
        self.assertFalse(normalize_phone(self.env, "123", self.env.ref("base.cn")))

    def test_caller_matched_on_normalized_number(self):
        call, _route = self._inbound(phone="+86 (10) 6552-1234")
        self.assertEqual(call.phone_normalized, "+861065521234")
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
