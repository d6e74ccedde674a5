from odoo import models


class ResUsers(models.Model):
    _inherit = "res.users"

    def write(self, vals):
        leaving = self.filtered("active") if vals.get("active") is False else self.browse()
        res = super().write(vals)
        if leaving:
            leaving._crm_return_customers_to_pools()
        return res

    def _crm_return_customers_to_pools(self, colleague=None):
        """The customers under a pool of salespeople who leave go back to their pool
        at once (or to ``colleague``), recorded as such."""
        customers = self.env["res.partner"].sudo().with_context(active_test=False).search([
            ("user_id", "in", self.ids), ("crm_pool_id", "!=", False),
            ("parent_id", "=", False),
        ])
        if not customers:
            return customers
        if colleague:
            customers.with_context(crm_owner_reason="assign").write({"user_id": colleague.id})
        else:
            customers.with_context(crm_owner_reason="user_left").write({"user_id": False})
        return customers
