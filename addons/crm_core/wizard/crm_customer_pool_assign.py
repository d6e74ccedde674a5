from odoo import api, fields, models
from odoo.exceptions import AccessError, UserError


class CrmCustomerPoolAssign(models.TransientModel):
    """A pool manager gives customers to a salesperson: customers waiting in the pool,
    or the customers of a salesperson who leaves, to a colleague. Recorded as an
    assignment in each customer's owner history."""

    _name = "crm.customer.pool.assign"
    _description = "Assign Customers"

    partner_ids = fields.Many2many("res.partner", string="Customers", required=True)
    user_id = fields.Many2one(
        "res.users", string="Salesperson", required=True,
        domain=[("share", "=", False)])

    @api.model
    def default_get(self, fields_list):
        values = super().default_get(fields_list)
        if self.env.context.get("active_model") == "res.partner" and "partner_ids" in fields_list:
            values["partner_ids"] = [(6, 0, self.env.context.get("active_ids", []))]
        return values

    def action_assign(self):
        self.ensure_one()
        partners = self.partner_ids.filtered(lambda p: not p.parent_id)
        for partner in partners.sudo():
            pool = partner.crm_pool_id
            if not pool:
                raise UserError(self.env._(
                    "%(customer)s is in no customer pool: set its salesperson on the "
                    "customer.", customer=partner.display_name))
            if not pool._crm_is_manager():
                raise AccessError(self.env._(
                    "Only the managers of the pool %(pool)s assign its customers.",
                    pool=pool.display_name))
            if pool.company_id not in self.user_id.company_ids:
                raise UserError(self.env._(
                    "%(user)s does not work for %(company)s, the company of the pool "
                    "%(pool)s.", user=self.user_id.name, company=pool.company_id.name,
                    pool=pool.display_name))
        partners.sudo().with_context(crm_owner_reason="assign").write(
            {"user_id": self.user_id.id})
        return {"type": "ir.actions.act_window_close"}
