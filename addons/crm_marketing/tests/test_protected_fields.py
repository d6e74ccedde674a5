from odoo.exceptions import AccessError, ValidationError
from odoo.tests import HttpCase, tagged

from odoo.addons.crm_core.tests.common import RpcMixin

from .common import CrmMarketingCommon


@tagged("post_install", "-at_install")
class TestProtectedFieldsOverRpc(RpcMixin, CrmMarketingCommon, HttpCase):
    """What the server measures or derives, refused to the users who may otherwise
    edit the record, whatever they send (context keys included), over JSON-RPC."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.segment = cls.env["crm.segment"].create(
            {"name": "Hangzhou tea lovers", "domain": "[('city', '=', 'Hangzhou')]"})
        cls.program = cls.env["loyalty.program"].create(
            {"name": "Members Club", "program_type": "loyalty"})
        cls.gold = cls.env["crm.loyalty.tier"].create(
            {"name": "Gold", "program_id": cls.program.id, "threshold": 500})
        cls.rule = cls.env["crm.care.rule"].create(
            {"name": "Birthday call", "trigger": "birthday", "days": 3})

    def test_marketer_cannot_set_what_the_synchronization_writes(self):
        login = self.marketer.login
        mailing_list = self.env["mailing.list"].create({"name": "Somebody else's list"})
        for vals in ({"last_sync_date": "2026-01-01 00:00:00"},
                     {"mailing_list_id": mailing_list.id}):
            for context in ({}, {"tracking_disable": True, "install_mode": True}):
                self.assertRpcRefused(AccessError, login, "crm.segment", "write",
                                      [self.segment.id], vals, context=context)
        self.assertRpcRefused(
            AccessError, login, "crm.segment", "create",
            {"name": "Pre-synced", "domain": "[]", "last_sync_date": "2026-01-01 00:00:00"})
        self.segment.invalidate_recordset()
        self.assertFalse(self.segment.last_sync_date)
        self.assertFalse(self.segment.mailing_list_id)
        # what the marketer may do: edit the segment, and sync it (the server writes both)
        self.rpc_result(login, "crm.segment", "write", [self.segment.id], {"name": "Renamed"})
        self.rpc_result(login, "crm.segment", "action_sync_mailing_list", [self.segment.id])
        self.segment.invalidate_recordset()
        self.assertTrue(self.segment.mailing_list_id)
        self.assertTrue(self.segment.last_sync_date)
        # the form saves the values it shows, unchanged: no refusal
        self.rpc_result(login, "crm.segment", "write", [self.segment.id], {
            "mailing_list_id": self.segment.mailing_list_id.id, "name": "Renamed again"})

    def test_nobody_sets_a_loyalty_tier_by_hand(self):
        for login in (self.marketer.login, self.manager.login):
            self.assertRpcRefused(AccessError, login, "res.partner", "write",
                                  [self.customer.id], {"loyalty_tier_id": self.gold.id})
            self.assertRpcRefused(AccessError, login, "res.partner", "create",
                                  {"name": "Instant VIP", "loyalty_tier_id": self.gold.id})
        self.customer.invalidate_recordset()
        self.assertFalse(self.customer.loyalty_tier_id)
        # the tier's company follows its program
        self.assertRpcRefused(AccessError, self.marketer.login, "crm.loyalty.tier", "write",
                              [self.gold.id], {"company_id": self.other_company.id})

    def test_care_log_and_days_bounds(self):
        login = self.marketer.login
        self.assertRpcRefused(ValidationError, login, "crm.care.rule", "write",
                              [self.rule.id], {"days": 10**12})
        error = self.assertRpcRefused(ValidationError, login, "crm.care.rule", "create",
                                      {"name": "Forever", "trigger": "inactive",
                                       "days": 10**12})
        self.assertIn("out of range", error["message"])
        error = self.assertRpcRefused(ValidationError, login, "crm.care.rule", "write",
                                      [self.rule.id], {"days": 4000})
        self.assertIn("3650", error["message"])
        self.assertRpcRefused(AccessError, login, "crm.care.rule", "write", [self.rule.id], {
            "log_ids": [(0, 0, {"partner_id": self.customer.id, "occasion": "made up"})]})
        self.rule.invalidate_recordset()
        self.assertEqual(self.rule.days, 3)
        self.assertFalse(self.rule.log_ids)

    def test_money_within_bounds(self):
        campaign = self._campaign("Bounded")
        login = self.marketer.login
        self.assertRpcRefused(ValidationError, login, "utm.campaign", "write",
                              [campaign.id], {"budget": 1e300})
        self.assertRpcRefused(ValidationError, login, "crm.campaign.cost", "create",
                              {"campaign_id": campaign.id, "amount": 1e16})
        self.assertRpcRefused(ValidationError, login, "crm.loyalty.tier", "write",
                              [self.gold.id], {"discount": 101})

    def test_control_characters_in_a_segment_are_refused(self):
        login = self.marketer.login
        for vals in ({"name": "Tea\x00 lovers"}, {"description": "lovers\x00 of tea"}):
            error = self.assertRpcRefused(ValidationError, login, "crm.segment", "write",
                                          [self.segment.id], vals)
            self.assertIn("U+0000", error["message"])
        self.assertRpcRefused(ValidationError, login, "crm.segment", "create",
                              {"name": "Bell\x07", "domain": "[]"})
        self.segment.invalidate_recordset()
        self.assertEqual(self.segment.name, "Hangzhou tea lovers")
