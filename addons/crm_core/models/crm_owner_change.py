from odoo import api, fields, models

OWNER_CHANGE_REASONS = [
    ("claim", "Claimed from the pool"),
    ("assign", "Assigned by a manager"),
    ("recall", "Recalled to the pool"),
    ("release", "Released to the pool"),
    ("user_left", "Salesperson left"),
    ("manual", "Changed by hand"),
]


class CrmOwnerChange(models.Model):
    """One change of a customer's owner (负责人变更记录): who changed it, when, from
    whom to whom, and why. Written by the server only, never changed afterwards."""

    _name = "crm.owner.change"
    _description = "Change of Customer Owner"
    _order = "date desc, id desc"
    _rec_name = "partner_id"

    partner_id = fields.Many2one("res.partner", string="Customer", required=True,
                                 index=True, ondelete="cascade", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    date = fields.Datetime(required=True, readonly=True, default=fields.Datetime.now)
    changed_by_id = fields.Many2one("res.users", string="Changed by", readonly=True,
                                    ondelete="set null")
    old_user_id = fields.Many2one("res.users", string="Former Owner", readonly=True,
                                  index=True, ondelete="set null")
    new_user_id = fields.Many2one("res.users", string="New Owner", readonly=True,
                                  index=True, ondelete="set null")
    pool_id = fields.Many2one("crm.customer.pool", readonly=True,
                              ondelete="set null")
    reason = fields.Selection(OWNER_CHANGE_REASONS, required=True, readonly=True)
    rule_id = fields.Many2one("crm.customer.pool.rule", string="Recall Rule",
                              readonly=True, ondelete="set null",
                              help="The rule that recalled the customer.")

    @api.model
    def _crm_record(self, rows):
        """Insert the changes ``rows`` (dicts of field values, ``partner_id``,
        ``old_user_id``, ``new_user_id``, ``reason``... as ids) in one statement."""
        if rows:
            self.sudo().create([
                {"changed_by_id": self.env.uid, **row} for row in rows
            ])
