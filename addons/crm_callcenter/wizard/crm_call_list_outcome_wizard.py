from odoo import fields, models


class CrmCallListOutcomeWizard(models.TransientModel):
    _name = "crm.call.list.outcome.wizard"
    _description = "Record a Dial Outcome"

    entry_id = fields.Many2one("crm.call.list.entry", required=True, ondelete="cascade")
    outcome_id = fields.Many2one("crm.call.outcome", required=True)
    action = fields.Selection(related="outcome_id.action")
    note = fields.Text(string="Notes")

    def action_confirm(self):
        """Record the outcome, then back to the call list, for the next call: an
        entry to call again goes back to the pool, out of the agent's reach, so its
        form cannot stay open."""
        self.ensure_one()
        call_list = self.entry_id.list_id
        self.entry_id._record_outcome(self.outcome_id, self.note)
        return self.env["crm.call"]._open(call_list) | {"target": "main"}
