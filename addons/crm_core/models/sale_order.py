from odoo import api, models
from odoo.tools import SQL


class SaleOrder(models.Model):
    _inherit = "sale.order"

    @api.model
    def _crm_amount_company_sql(self, alias="so"):
        """SQL expression of the untaxed amount of the orders aliased ``alias``, in their
        company's currency (``currency_rate`` is the order's currency per company unit).

        Every figure of the suite that sums orders (targets, forecast, campaign revenue,
        segments, loyalty spend) uses it, so that they all agree.
        """
        return SQL(
            "(%(order)s.amount_untaxed / COALESCE(NULLIF(%(order)s.currency_rate, 0), 1))",
            order=SQL.identifier(alias),
        )

    def _action_confirm(self):
        res = super()._action_confirm()
        self._set_customer_since()
        return res

    def _set_customer_since(self):
        """A customer's first confirmed order makes it a customer since that day."""
        # Confirming an order is enough to record it, whatever the rights on contacts.
        self.env["res.partner"].sudo()._crm_set_customer_since_from_orders(
            (self.partner_id | self.partner_id.commercial_partner_id).ids
        )
