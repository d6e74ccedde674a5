from odoo import fields, models


class CrmCallOutcome(models.Model):
    _name = "crm.call.outcome"
    _description = "Call Outcome"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    is_success = fields.Boolean(
        string="Successful", help="The call reached its goal (sale, appointment, solved).",
    )
