from odoo import fields, models


class CrmCallListOutcomeWizard(models.TransientModel):
    _name = "crm.call.list.outcome.wizard"
    _description = "Record a Dial Outcome"

    entry_id = fields.Many2one("crm.call.list.entry", required=True, ondelete="cascade")
    outcome_id = fields.Many2one("crm.call.outcome", required=True)
    action = fields.Selection(related="outcome_id.action")
    note = fields.Text(string="Notes")

    def action_confirm(self):
        self.ensure_one()
        self.entry_id._record_outcome(self.outcome_id, self.note)
        return {"type": "ir.actions.act_window_close"}
