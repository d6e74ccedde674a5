from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools import format_amount

# what the recall rules of the customer pools read of an opportunity
RECALL_LEAD_FIELDS = frozenset(("partner_id", "stage_id", "active", "type", "probability"))


class CrmLead(models.Model):
    _name = "crm.lead"
    _inherit = ["crm.lead", "crm.protected.fields.mixin"]

    competitor_ids = fields.Many2many(
        "crm.competitor",
        "crm_lead_competitor_rel",
        "lead_id",
        "competitor_id",
        string="Competitors",
        check_company=True,
        help="Competitors also bidding for this opportunity.",
    )
    lost_competitor_id = fields.Many2one(
        "crm.competitor",
        string="Lost To",
        tracking=True,
        check_company=True,
        index="btree_not_null",
        help="The competitor who won the deal when it was lost.",
    )
    is_big_deal = fields.Boolean(
        string="Big Deal",
        compute="_compute_is_big_deal",
        store=True,
        help="The expected revenue reaches the big deal threshold of the sales team.",
    )
    big_deal_notified = fields.Boolean(copy=False, readonly=True)
    crm_expense_amount = fields.Monetary(
        string="Expenses", compute="_compute_crm_expense_amount",
        currency_field="company_currency", groups="sales_team.group_sale_salesman",
        help="Approved expenses spent to win this opportunity (费用), in company currency.",
    )
    crm_expense_count = fields.Integer(
        string="Expense Count", compute="_compute_crm_expense_amount",
        groups="sales_team.group_sale_salesman",
    )
    crm_net_revenue = fields.Monetary(
        string="Revenue Less Expenses", compute="_compute_crm_expense_amount",
        currency_field="company_currency", groups="sales_team.group_sale_salesman",
        help="Expected revenue less the approved expenses: what winning it is worth.",
    )

    def _compute_crm_expense_amount(self):
        totals = self.env["hr.expense"]._crm_approved_totals("opportunity_id", self.ids)
        counts = dict(self.env["hr.expense"].sudo()._read_group(
            [("opportunity_id", "in", [i for i in self.ids if isinstance(i, int)])],
            ["opportunity_id"], ["__count"])) if self.ids else {}
        for lead in self:
            lead.crm_expense_amount = totals.get(lead.id, 0.0)
            lead.crm_expense_count = counts.get(lead._origin, 0)
            lead.crm_net_revenue = lead.expected_revenue - lead.crm_expense_amount

    def action_crm_new_expense(self):
        """File an expense spent on this opportunity, in the host's expense form."""
        self.ensure_one()
        self.check_access("read")
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("New Expense"),
            "res_model": "hr.expense",
            "views": [(False, "form")],
            "target": "current",
            "context": {
                "default_opportunity_id": self.id,
                "default_crm_partner_id": self.partner_id.commercial_partner_id.id,
                "default_name": self.name,
            },
        }

    def action_view_crm_expenses(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "hr_expense.hr_expense_actions_my_all")
        action["domain"] = [("opportunity_id", "=", self.id)]
        action["context"] = {
            "default_opportunity_id": self.id,
            "default_crm_partner_id": self.partner_id.commercial_partner_id.id,
        }
        return action

    @api.depends("expected_revenue", "team_id.big_deal_threshold")
    def _compute_is_big_deal(self):
        for lead in self:
            threshold = lead.team_id.big_deal_threshold
            lead.is_big_deal = bool(threshold) and lead.expected_revenue >= threshold

    @api.model
    def _crm_server_fields(self):
        return (*super()._crm_server_fields(), "is_big_deal", "big_deal_notified")

    @api.model_create_multi
    def create(self, vals_list):
        leads = super().create(vals_list)
        leads._notify_big_deals()
        leads._crm_refresh_customers_recall()
        return leads

    def write(self, vals):
        partners = self.partner_id if "partner_id" in vals else self.env["res.partner"]
        res = super().write(vals)
        if not self.env.context.get("crm_core_big_deal_notifying"):
            self._notify_big_deals()
        if RECALL_LEAD_FIELDS & set(vals):
            self._crm_refresh_customers_recall(partners)
        return res

    def _crm_refresh_customers_recall(self, partners=None):
        """An opportunity opened, won, lost or moved: its customer's day of recall
        follows (the rules on open opportunities and won deals read them)."""
        customers = (self.partner_id | (partners or self.env["res.partner"])).sudo()
        customers = customers.commercial_partner_id.filtered(
            lambda p: p.crm_recall_date or (p.crm_pool_id and p.user_id))
        if customers:
            self.env["res.partner"].sudo()._crm_refresh_recall(partner_ids=customers.ids)

    def _notify_big_deals(self):
        """Give the team leader one activity per big deal, the first time it is one."""
        leads = self.filtered(
            lambda lead: lead.is_big_deal
            and not lead.big_deal_notified
            and lead.active
            and lead.team_id.user_id
        )
        for lead in leads:
            leader = lead.team_id.user_id
            # written in the team leader's language, amounts with their currency
            local = lead.with_context(lang=leader.lang or self.env.lang)
            env = local.env
            lead.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=leader.id,
                summary=env._("Big deal: %(name)s", name=lead.name),
                note=Markup("<p>%s</p>")
                % env._(
                    "Expected revenue %(amount)s reaches the big deal threshold "
                    "%(threshold)s of team %(team)s.",
                    amount=format_amount(env, lead.expected_revenue, lead.company_currency),
                    threshold=format_amount(
                        env, lead.team_id.big_deal_threshold, lead.company_currency
                    ),
                    team=local.team_id.name,
                ),
            )
        if leads:
            # the alert is the system's doing, whoever changed the lead
            leads.sudo().with_context(crm_core_big_deal_notifying=True).write(
                {"big_deal_notified": True}
            )
