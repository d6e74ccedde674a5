from odoo import models


class CrmLead(models.Model):
    _inherit = "crm.lead"

    def action_crm_dial(self):
        """Click-to-dial the lead's phone (else its mobile, else its customer's): the
        outbound call, linked to the lead and its campaign, opened in its form."""
        self.ensure_one()
        self.check_access("read")
        partner = self.partner_id
        phone = self.phone or self.mobile or partner.phone or partner.mobile
        call = self.env["crm.cti.endpoint"]._crm_dial(
            self.company_id or self.env.company, phone, partner, {
                "lead_id": self.id,
                "campaign_id": self.campaign_id.id,
                "routing_steps": [{"code": "dial_lead", "lead": self.id}],
            },
        )
        return call._open(call)
