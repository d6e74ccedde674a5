from odoo import api, fields, models
from odoo.tools import SQL


class CrmCustomerValueRecount(models.Model):
    """A customer whose orders the next run of the value engine must count again in
    full: the orders moved to or from them without any order being written (a contact
    moved to another company, partners merged, an order given to another customer).
    Orders written since the last run are found by their write date; these are the
    rest. Written in SQL by the changes themselves, read and pruned by the engine."""

    _name = "crm.customer.value.recount"
    _description = "Customer to Count Again"
    _log_access = False

    partner_id = fields.Many2one("res.partner", required=True, index=True,
                                 ondelete="cascade")
    date = fields.Datetime(required=True, index=True)

    @api.model
    def _mark(self, partner_ids):
        """Mark the commercial partners ``partner_ids``: one statement, no access check
        (whoever edits a partner or an order may cause a recount)."""
        ids = sorted({pid for pid in partner_ids if pid})
        if ids:
            self.env.cr.execute(SQL(
                """INSERT INTO crm_customer_value_recount (partner_id, date)
                SELECT partner.id, now() AT TIME ZONE 'UTC'
                  FROM res_partner partner WHERE partner.id = ANY(%s)""", ids))
