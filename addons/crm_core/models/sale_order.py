from odoo import api, fields, models
from odoo.exceptions import UserError, ValidationError
from odoo.tools import SQL, format_amount


class SaleOrder(models.Model):
    _name = "sale.order"
    _inherit = ["sale.order", "crm.protected.fields.mixin"]

    collection_plan_ids = fields.One2many(
        "crm.collection.plan", "order_id", string="Payment Plan", copy=False,
    )
    crm_amount_collected = fields.Monetary(
        string="Collected", readonly=True, copy=False,
        help="Customer payments reconciled with the order's invoices, less refunds paid "
        "on its credit notes (回款).",
    )
    crm_amount_credited = fields.Monetary(string="Credited", readonly=True, copy=False)
    crm_amount_outstanding = fields.Monetary(
        string="Outstanding", readonly=True, copy=False,
        help="The order's total less its credit notes and what was collected.",
    )
    crm_amount_overdue = fields.Monetary(
        string="Overdue", readonly=True, copy=False,
        help="Outstanding on the instalments of the payment plan past their date.",
    )
    crm_date_last_collection = fields.Date(string="Last Collection", readonly=True,
                                           copy=False)
    crm_company_currency_id = fields.Many2one(related="company_id.currency_id",
                                              string="Company Currency")
    crm_amount_collected_company = fields.Monetary(
        string="Collected (Company Currency)", readonly=True, copy=False,
        currency_field="crm_company_currency_id",
    )
    crm_amount_outstanding_company = fields.Monetary(
        string="Outstanding (Company Currency)", readonly=True, copy=False,
        currency_field="crm_company_currency_id",
    )
    crm_amount_overdue_company = fields.Monetary(
        string="Overdue (Company Currency)", readonly=True, copy=False,
        currency_field="crm_company_currency_id",
    )
    crm_plan_mismatch = fields.Monetary(
        string="Unplanned", compute="_compute_crm_plan_mismatch",
        help="The order's total less the sum of its instalments: the order changed since "
        "its plan was made.",
    )

    @api.model
    def _crm_server_fields(self):
        return (
            *super()._crm_server_fields(),
            "crm_amount_collected", "crm_amount_credited", "crm_amount_outstanding",
            "crm_amount_overdue", "crm_date_last_collection",
            "crm_amount_collected_company", "crm_amount_overdue_company",
            "crm_amount_outstanding_company",
        )

    @api.depends("amount_total", "collection_plan_ids.amount")
    def _compute_crm_plan_mismatch(self):
        for order in self:
            plans = order.collection_plan_ids
            order.crm_plan_mismatch = (
                order.amount_total - sum(plans.mapped("amount")) if plans else 0.0
            )

    @api.model
    def _crm_amount_company_sql(self, alias="so"):
        """SQL expression of the untaxed amount of the orders aliased ``alias``, in their
        company's currency (``currency_rate`` is the order's currency per company unit).

        Every figure of the suite that sums orders (targets, forecast, campaign revenue,
        segments, loyalty spend) uses it, so that they all agree.
        """
        # (an order in the company's currency, most of them, is not divided: a numeric
        # division costs more than the comparison, and gives the same amount)
        return SQL(
            """(CASE WHEN %(order)s.currency_rate = 1 THEN %(order)s.amount_untaxed
                     ELSE %(order)s.amount_untaxed
                          / COALESCE(NULLIF(%(order)s.currency_rate, 0), 1) END)""",
            order=SQL.identifier(alias),
        )

    def write(self, vals):
        if {"user_id", "team_id", "partner_id", "currency_rate"} & set(vals):
            # the collections' reports read the order's salesperson, team and customer
            # from what was collected
            result = super().write(vals)
            self.env["crm.collection.plan"]._crm_refresh_orders(
                self.filtered(lambda order: order.state in ("sale", "cancel")).ids)
            if "collection_plan_ids" not in vals:
                return result
            vals = {"collection_plan_ids": vals["collection_plan_ids"]}
        if "collection_plan_ids" not in vals:
            return super().write(vals)
        # the instalments' commands one by one, the plan's total once they are all made
        result = super(SaleOrder, self.with_context(crm_plan_check_deferred=True)).write(vals)
        self._crm_check_collection_plan()
        return result

    def _action_confirm(self):
        res = super()._action_confirm()
        self._set_customer_since()
        # a confirmed order is a follow-up of the customer
        self.env["res.partner"].sudo()._crm_touch_followup(self.partner_id.ids)
        return res

    def _action_cancel(self):
        res = super()._action_cancel()
        # the plans of a cancelled order are cancelled
        self.env["crm.collection.plan"]._crm_refresh_orders(self.ids)
        return res

    def action_draft(self):
        res = super().action_draft()
        self.env["crm.collection.plan"]._crm_refresh_orders(self.ids)
        return res

    def _set_customer_since(self):
        """A customer's first confirmed order makes it a customer since that day."""
        # Confirming an order is enough to record it, whatever the rights on contacts.
        self.env["res.partner"].sudo()._crm_set_customer_since_from_orders(
            (self.partner_id | self.partner_id.commercial_partner_id).ids
        )

    # payment plan (回款计划) ------------------------------------------------------

    def _crm_check_collection_plan(self):
        """The instalments of a plan add up to the order's total, in its currency."""
        for order in self:
            plans = order.collection_plan_ids
            if not plans:
                continue
            planned = sum(plans.mapped("amount"))
            if order.currency_id.compare_amounts(planned, order.amount_total):
                raise ValidationError(self.env._(
                    "The instalments of %(order)s add up to %(planned)s, not to the order's "
                    "total of %(total)s: change their amounts so that they do.",
                    order=order.name,
                    planned=format_amount(self.env, planned, order.currency_id),
                    total=format_amount(self.env, order.amount_total, order.currency_id),
                ))

    def _crm_proposed_instalments(self):
        """The instalments the order's payment terms give (one for the total, on the
        order's day, without terms): ``[(date, amount)]`` in the order's currency."""
        self.ensure_one()
        day = self.company_id._crm_local_date(self.date_order)
        terms = self.payment_term_id
        if not terms or not terms.line_ids:
            return [(day, self.amount_total)]
        rate = self.currency_rate or 1.0
        computed = terms._compute_terms(
            date_ref=day, currency=self.currency_id, company=self.company_id,
            tax_amount=self.amount_tax / rate, tax_amount_currency=self.amount_tax,
            sign=1, untaxed_amount=self.amount_untaxed / rate,
            untaxed_amount_currency=self.amount_untaxed,
        )
        lines = [(line["date"], line["foreign_amount"]) for line in computed["line_ids"]]
        return [(date, amount) for date, amount in lines
                if self.currency_id.compare_amounts(amount, 0) > 0] or [(day, self.amount_total)]

    def action_crm_propose_collection_plan(self):
        """Replace a plan with nothing collected yet by the one the payment terms give."""
        self.ensure_one()
        self.check_access("write")
        if self.state != "sale":
            raise UserError(self.env._(
                "Confirm %(order)s before planning its collections.", order=self.name,
            ))
        if any(plan.amount_collected or plan.amount_credited
               for plan in self.collection_plan_ids):
            raise UserError(self.env._(
                "%(order)s has payments collected on its plan: change the instalments "
                "by hand instead of proposing a new plan.", order=self.name,
            ))
        self.write({"collection_plan_ids": [(5, 0, 0)] + [
            (0, 0, {"sequence": number, "date_planned": date, "amount": amount})
            for number, (date, amount) in enumerate(self._crm_proposed_instalments(), 1)
        ]})
        return True

    def action_view_crm_collection_plans(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_core.crm_collection_plan_action")
        action["domain"] = [("order_id", "=", self.id)]
        action["context"] = {"default_order_id": self.id}
        return action
