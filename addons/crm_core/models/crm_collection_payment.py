from odoo import fields, models


class CrmCollectionPayment(models.Model):
    """What was collected on an order on a day (回款), as the host's accounting has it:
    kept by ``crm.collection.plan._crm_refresh_orders`` whenever a reconciliation of
    the order's invoices changes, so that the reports, targets and campaigns sum one
    narrow table instead of joining the accounting every time. Written by the server
    only; nobody edits it."""

    _name = "crm.collection.payment"
    _description = "Collected Payment"
    _order = "date desc, id desc"
    _log_access = False

    order_id = fields.Many2one("sale.order", required=True, index=True, ondelete="cascade",
                               readonly=True)
    company_id = fields.Many2one("res.company", required=True, index=True, readonly=True)
    date = fields.Date(required=True, index=True, readonly=True)
    # the order's, copied so that reports read this table alone (kept by the refresh,
    # which runs when they change on the order)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    amount = fields.Float(readonly=True, help="In the order's currency.")
    amount_company = fields.Float(readonly=True, help="In the company's currency.")
