from odoo import fields
from odoo.tests import tagged

from .common import CrmCallcenterCommon


@tagged("post_install", "-at_install")
class TestCallIsAFollowUp(CrmCallcenterCommon):
    """A call handled with a customer is a follow-up of that customer: its last
    follow-up (which the customer pools' recall rules read) moves to the call's end."""

    def test_handled_call_moves_the_last_follow_up(self):
        customer = self.customer.commercial_partner_id
        self.assertFalse(customer.crm_last_followup_date)
        call, _route = self._inbound()
        self.assertEqual(call.partner_id, self.customer)
        # ringing, then missed: no follow-up
        call.write({"state": "missed"})
        self.assertFalse(customer.crm_last_followup_date)
        ended = fields.Datetime.now()
        handled, _route = self._inbound()
        handled.write({"state": "done", "date_answered": ended, "date_end": ended})
        self.assertEqual(customer.crm_last_followup_date, ended)
