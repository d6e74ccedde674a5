from odoo import fields, models

OUTCOME_ACTIONS = [
    ("done", "Done"),
    ("retry", "Retry later"),
    ("stop", "Stop (failed)"),
    ("do_not_call", "Do not call again"),
]


class CrmCallOutcome(models.Model):
    _name = "crm.call.outcome"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Call Outcome"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_success = fields.Boolean(
        string="Successful", help="The call reached its goal (sale, appointment, solved).",
    )
    action = fields.Selection(
        OUTCOME_ACTIONS, string="Next Step", required=True, default="done",
        help="What the dial result does to the entry of a call list: done; retried after "
        "the list's delay until its maximum of attempts (then failed); failed at once; or "
        "the number goes on the do-not-call list and its pending entries are skipped.",
    )
