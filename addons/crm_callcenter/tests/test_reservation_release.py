from datetime import timedelta

from odoo.tests import tagged

from .common import CrmCallcenterCommon
from .test_outbound import NOW


@tagged("post_install", "-at_install")
class TestReservationRelease(CrmCallcenterCommon):

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        (cls.user_a | cls.user_b | cls.user_c).write({"tz": "Asia/Shanghai"})
        cls.call_list = cls.env["crm.call.list"].create({
            "name": "Release list", "reservation_timeout_minutes": 60,
            "entry_ids": [(0, 0, {"phone": f"138 0000 {index:04d}"}) for index in range(3)],
        })
        cls.call_list.action_start()
        cls.Entry = cls.env["crm.call.list.entry"]

    def _reserve(self, now=NOW, agent=None):
        return self.call_list.sudo()._reserve_next_entry(agent or self.agent_a, now)

    def test_stuck_reservations_go_back_to_pending(self):
        # each agent holds one entry of the list at a time
        stuck = self._reserve()
        talking = self._reserve(agent=self.agent_b)
        talking.call_id = self.env["crm.call"].sudo().create({
            "direction": "outbound", "phone": talking.phone, "agent_id": self.agent_b.id,
            "state": "in_progress", "date_start": NOW,
        })
        fresh = self._reserve(NOW + timedelta(minutes=50), agent=self.agent_c)
        self.assertEqual(stuck.date_reserved, NOW)
        self.assertFalse(self.Entry._cron_release_stuck_entries(NOW + timedelta(minutes=59)))
        released = self.Entry._cron_release_stuck_entries(NOW + timedelta(minutes=61))
        self.assertEqual(released, stuck)
        self.assertRecordValues(stuck, [{"state": "pending", "agent_id": False,
                                         "date_reserved": False}])
        self.assertEqual((talking.state, fresh.state), ("in_progress", "in_progress"),
                         "a call being talked, and a recent reservation, stay")
        # the released entry is offered again
        self.assertEqual(self._reserve(NOW + timedelta(minutes=62)), stuck)

    def test_timeout_zero_never_releases(self):
        self.call_list.reservation_timeout_minutes = 0
        entry = self._reserve()
        self.assertFalse(self.Entry._cron_release_stuck_entries(NOW + timedelta(days=3)))
        self.assertEqual(entry.state, "in_progress")

    def test_cron_is_scheduled(self):
        cron = self.env.ref("crm_callcenter.crm_call_list_entry_cron_release")
        self.assertTrue(cron.active)
        cron.method_direct_trigger()
