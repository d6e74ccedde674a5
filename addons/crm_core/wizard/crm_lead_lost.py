from odoo import fields, models


class CrmLeadLost(models.TransientModel):
    _inherit = "crm.lead.lost"

    competitor_id = fields.Many2one(
        "crm.competitor",
        string="Lost To",
        help="The competitor who won the deal, if any.",
    )

    def action_lost_reason_apply(self):
        if self.competitor_id:
            self.lead_ids.write(
                {
                    "lost_competitor_id": self.competitor_id.id,
                    "competitor_ids": [fields.Command.link(self.competitor_id.id)],
                }
            )
        return super().action_lost_reason_apply()
