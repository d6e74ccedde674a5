from odoo import api, fields, models

# expenses that count as a cost: approved by a manager (and paid, or being paid)
APPROVED_EXPENSE_STATES = ("approved", "done")


class HrExpense(models.Model):
    _inherit = "hr.expense"

    opportunity_id = fields.Many2one(
        "crm.lead", index="btree_not_null", check_company=True,
        domain="[('type', '=', 'opportunity')]",
        help="The opportunity this was spent to win (费用): once approved, it counts in "
        "what winning it cost.",
    )
    crm_partner_id = fields.Many2one(
        "res.partner", string="Customer", index="btree_not_null",
        compute="_compute_crm_partner_id", store=True, readonly=False, check_company=True,
        help="The customer this was spent on: once approved, it counts in what serving "
        "them cost.",
    )

    @api.depends("opportunity_id")
    def _compute_crm_partner_id(self):
        for expense in self:
            if expense.opportunity_id.partner_id:
                expense.crm_partner_id = expense.opportunity_id.partner_id.commercial_partner_id

    @api.model
    def _crm_approved_action(self, field, value, context=None):
        """The host's expense analysis on the approved expenses of the current company
        whose ``field`` is ``value`` (the host's rules decide which the user reads)."""
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_expense.hr_expense_actions_all")
        action["domain"] = [
            (field, "child_of" if field == "crm_partner_id" else "=", value),
            ("state", "in", APPROVED_EXPENSE_STATES),
            ("company_id", "=", self.env.company.id),
        ]
        action["context"] = context or {}
        return action

    @api.model
    def _crm_approved_totals(self, field, ids, company=None):
        """``{id: total}`` of the approved expenses whose ``field`` is one of ``ids``, in
        company currency (``company``: only that company's expenses). Read as superuser:
        the totals are shown to whoever may read the opportunity, customer or campaign,
        as the host shows an order's total to whoever may read the order."""
        ids = [record_id for record_id in ids if isinstance(record_id, int)]
        if not ids:
            return {}
        domain = [(field, "in", ids), ("state", "in", APPROVED_EXPENSE_STATES)]
        if company:
            domain.append(("company_id", "=", company.id))
        groups = self.sudo()._read_group(domain, [field], ["total_amount:sum"])
        return {record.id: total for record, total in groups}
