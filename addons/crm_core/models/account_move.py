from odoo import api, models


def _orders_of_moves(moves):
    """The sale orders whose lines were invoiced on ``moves``."""
    return moves.sudo().line_ids.sale_line_ids.order_id


class AccountMove(models.Model):
    _inherit = "account.move"

    def _post(self, soft=True):
        posted = super()._post(soft=soft)
        # a credit note posted settles the end of its orders' payment plans
        refunds = posted.filtered(lambda move: move.move_type == "out_refund")
        if refunds:
            self.env["crm.collection.plan"]._crm_refresh_orders(_orders_of_moves(refunds).ids)
        return posted

    def button_draft(self):
        orders = _orders_of_moves(self.filtered(lambda m: m.move_type == "out_refund"))
        res = super().button_draft()
        self.env["crm.collection.plan"]._crm_refresh_orders(orders.ids)
        return res

    def button_cancel(self):
        orders = _orders_of_moves(self.filtered(lambda m: m.move_type == "out_refund"))
        res = super().button_cancel()
        self.env["crm.collection.plan"]._crm_refresh_orders(orders.ids)
        return res


class AccountPartialReconcile(models.Model):
    _inherit = "account.partial.reconcile"

    def _crm_orders(self):
        lines = self.sudo().debit_move_id | self.sudo().credit_move_id
        return _orders_of_moves(lines.move_id.filtered(
            lambda move: move.move_type in ("out_invoice", "out_refund")))

    @api.model_create_multi
    def create(self, vals_list):
        partials = super().create(vals_list)
        # a payment reconciled with an order's invoice is collected on the order
        self.env["crm.collection.plan"]._crm_refresh_orders(partials._crm_orders().ids)
        return partials

    def unlink(self):
        orders = self._crm_orders()
        res = super().unlink()
        self.env["crm.collection.plan"]._crm_refresh_orders(orders.ids)
        return res
