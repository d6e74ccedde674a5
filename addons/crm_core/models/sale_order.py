from odoo import models


class SaleOrder(models.Model):
    _inherit = "sale.order"

    def _action_confirm(self):
        res = super()._action_confirm()
        self._set_customer_since()
        return res

    def _set_customer_since(self):
        """A customer's first confirmed order makes it a customer since that day."""
        for order in self:
            day = order.date_order.date()
            partners = order.partner_id | order.partner_id.commercial_partner_id
            newer = partners.filtered(
                lambda partner, day=day: not partner.customer_since or partner.customer_since > day
            )
            # Confirming an order is enough to record it, whatever the rights on contacts.
            newer.sudo().write({"customer_since": day})
