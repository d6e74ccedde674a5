from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import CrmCoreCommon


@tagged("post_install", "-at_install")
class TestBigDeal(CrmCoreCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.big_deal_threshold = 10000
        cls.todo = cls.env.ref("mail.mail_activity_data_todo")

    def _leader_activities(self, lead):
        return lead.activity_ids.filtered(
            lambda act: act.user_id == self.leader and act.summary.startswith("Big deal"))

    def test_big_deal_flag_and_single_activity(self):
        lead = self.env["crm.lead"].with_user(self.salesman).create({
            "name": "Small", "type": "opportunity", "team_id": self.team.id,
            "user_id": self.salesman.id, "expected_revenue": 9999,
        })
        self.assertFalse(lead.is_big_deal)
        self.assertFalse(self._leader_activities(lead))
        lead.expected_revenue = 10000
        self.assertTrue(lead.is_big_deal)
        activity = self._leader_activities(lead)
        self.assertEqual(len(activity), 1)
        self.assertEqual(activity.activity_type_id, self.todo)
        # written again and again, back and forth: still one activity
        for amount in (20000, 5000, 30000):
            lead.write({"expected_revenue": amount, "description": str(amount)})
        self.assertEqual(len(self._leader_activities(lead)), 1)
        self.assertTrue(lead.big_deal_notified)

    def test_big_deal_at_creation(self):
        lead = self.env["crm.lead"].create({
            "name": "Huge", "team_id": self.team.id, "expected_revenue": 50000,
        })
        self.assertTrue(lead.is_big_deal)
        self.assertEqual(len(self._leader_activities(lead)), 1)

    def test_threshold_lowered_flags_existing_leads(self):
        lead = self.env["crm.lead"].create({
            "name": "Medium", "team_id": self.team.id, "expected_revenue": 6000,
        })
        self.assertFalse(lead.is_big_deal)
        self.team.big_deal_threshold = 5000
        self.assertTrue(lead.is_big_deal)
        self.assertEqual(len(self._leader_activities(lead)), 1)

    def test_zero_threshold_disables(self):
        self.team.big_deal_threshold = 0
        lead = self.env["crm.lead"].create({
            "name": "Any", "team_id": self.team.id, "expected_revenue": 10**9,
        })
        self.assertFalse(lead.is_big_deal)
        self.assertFalse(lead.activity_ids)

    def test_copy_is_notified_again(self):
        lead = self.env["crm.lead"].create({
            "name": "Original", "team_id": self.team.id, "expected_revenue": 20000,
        })
        duplicate = lead.copy()
        self.assertEqual(len(self._leader_activities(duplicate)), 1)

    def test_negative_threshold_is_refused(self):
        with self.assertRaisesText(ValidationError, "cannot be negative"):
            self.team.big_deal_threshold = -1
            self.team.flush_recordset()
        self.team.invalidate_recordset()
        self.assertEqual(self.team.big_deal_threshold, 10000)

    def test_alert_in_the_leaders_language_with_the_currency(self):
        self.env["res.lang"]._activate_lang("zh_CN")
        self.env["ir.module.module"].search(
            [("name", "=", "crm_core")])._update_translations(["zh_CN"])
        self.leader.lang = "zh_CN"
        self.salesman.lang = "en_US"
        lead = self.env["crm.lead"].with_user(self.salesman).create({
            "name": "Huge order", "type": "opportunity", "team_id": self.team.id,
            "user_id": self.salesman.id, "expected_revenue": 50000,
        })
        activity = lead.activity_ids.filtered(lambda act: act.user_id == self.leader)
        self.assertEqual(activity.summary, "大额业务\uff1aHuge order",
                         "the leader's language, not the salesperson's")
        symbol = lead.company_currency.symbol
        self.assertIn(symbol, activity.note, "amounts carry their currency")
