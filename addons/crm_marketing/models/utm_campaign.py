from odoo import api, fields, models
from odoo.exceptions import AccessError, ValidationError
from odoo.tools import SQL

CHANNELS = [
    ("email", "Email"),
    ("sms", "SMS"),
    ("telemarketing", "Telemarketing"),
    ("event", "Event"),
    ("advertising", "Advertising"),
    ("promotion", "Promotion"),
    ("social", "Social media"),
    ("other", "Other"),
]
# Fields only marketing users may set: salespeople read campaigns.
MARKETING_FIELDS = (
    "date_start", "date_end", "channel", "budget", "cost_ids", "segment_id",
)
MARKETING_GROUP = "mass_mailing.group_mass_mailing_user"


class UtmCampaign(models.Model):
    _name = "utm.campaign"
    # the mixin checks the budget against its bounds; the measured results are
    # computed on the fly (per company), never stored, so nothing to protect more
    _inherit = ["utm.campaign", "crm.protected.fields.mixin"]

    date_start = fields.Date(string="Start Date")
    date_end = fields.Date(string="End Date")
    channel = fields.Selection(CHANNELS, index=True)
    # Money and target are per company: the campaign itself is shared between
    # companies (as all of the host's UTM records), what a company spends on it,
    # targets with it and earns from it is not (jsonb values keyed by company).
    budget = fields.Float(
        company_dependent=True,
        help="Budget of the current company for this campaign, in its currency. Each "
        "company plans its own budget on a shared campaign.",
    )
    crm_currency_id = fields.Many2one(
        "res.currency",
        string="Company Currency",
        compute="_compute_crm_currency_id",
        help="Currency of the current company, in which the budget, costs and results "
        "of the campaign are shown.",
    )
    cost_ids = fields.One2many(
        "crm.campaign.cost",
        "campaign_id",
        string="Costs",
        domain=lambda self: [("company_id", "=", self.env.company.id)],
        depends_context=("company",),
        help="Cost lines of the current company.",
    )
    actual_cost = fields.Monetary(
        currency_field="crm_currency_id",
        compute="_compute_actual_cost",
        help="The cost lines of the current company for the campaign plus its approved "
        "expenses (报销).",
    )
    cost_line_amount = fields.Monetary(
        string="Cost Lines", currency_field="crm_currency_id", compute="_compute_actual_cost",
        help="Sum of the cost lines of the current company for the campaign.",
    )
    expense_amount = fields.Monetary(
        string="Approved Expenses", currency_field="crm_currency_id",
        compute="_compute_actual_cost",
        help="Expenses of the current company's employees spent on the campaign, once "
        "approved (draft and refused ones do not count).",
    )
    budget_overrun = fields.Boolean(
        compute="_compute_actual_cost",
        search="_search_budget_overrun",
        help="The actual cost of the current company exceeds its budget.",
    )
    budget_remaining = fields.Monetary(
        currency_field="crm_currency_id", compute="_compute_actual_cost"
    )
    segment_id = fields.Many2one(
        "crm.segment",
        string="Target Segment",
        company_dependent=True,
        check_company=True,
        help="Segment of the current company targeted by the campaign.",
    )
    # Measured results: grouped reads over leads, orders and clicks.
    lead_count = fields.Integer(
        string="Leads", compute="_compute_results",
        help="Leads and opportunities carrying the campaign, lost ones included.",
    )
    opportunity_count = fields.Integer(string="Opportunities", compute="_compute_results")
    won_count = fields.Integer(string="Won", compute="_compute_results")
    revenue = fields.Monetary(
        currency_field="crm_currency_id",
        compute="_compute_results",
        help="Untaxed amount of the confirmed sale orders of the current company carrying "
        "the campaign, in its currency.",
    )
    roi = fields.Float(
        string="ROI",
        compute="_compute_results",
        help="(Revenue - actual cost) / actual cost; shown as a percentage, empty without "
        "cost.",
    )
    has_roi = fields.Boolean(compute="_compute_results")
    revenue_collected = fields.Monetary(
        string="Collected", currency_field="crm_currency_id", compute="_compute_results",
        help="Payments collected (回款) on the confirmed sale orders of the current company "
        "carrying the campaign, in its currency, at the payments' rates.",
    )
    roi_cash = fields.Float(
        string="Cash ROI", compute="_compute_results",
        help="(Collected - actual cost) / actual cost: the return on the money actually "
        "received; shown as a percentage, empty without cost.",
    )
    cost_per_customer = fields.Monetary(
        currency_field="crm_currency_id", compute="_compute_results",
        help="Actual cost / customers with a confirmed order of the campaign.",
    )
    cost_per_lead = fields.Monetary(currency_field="crm_currency_id", compute="_compute_results")
    visitor_count = fields.Integer(
        string="Visitors", compute="_compute_results",
        help="Clicks on the tracked links of the campaign.",
    )
    customer_count = fields.Integer(
        string="Customers", compute="_compute_results",
        help="Customers with a confirmed sale order carrying the campaign.",
    )
    # Conversion rates: each one compares a step with the part of the previous step it
    # came from (the same people), so that it never exceeds 100 %; a rate without a
    # denominator is not defined, not zero (has_*).
    visitor_lead_count = fields.Integer(
        string="Visitors Who Left a Lead", compute="_compute_results",
        help="Leads that came through a tracked link of the campaign (they carry the "
        "source and medium of the link), at most one per click.",
    )
    converted_opportunity_count = fields.Integer(
        string="Opportunities Converted", compute="_compute_results",
        help="Opportunities of the campaign whose customer (or its company) has a "
        "confirmed sale order of the campaign, or that have a confirmed order of their own.",
    )
    visitor_lead_rate = fields.Float(
        string="Visitors → Leads (%)", compute="_compute_results",
        help="Visitors who left a lead, out of the visitors.",
    )
    lead_opportunity_rate = fields.Float(
        string="Leads → Opportunities (%)", compute="_compute_results",
        help="Leads that became opportunities, out of the leads.",
    )
    opportunity_customer_rate = fields.Float(
        string="Opportunities → Customers (%)", compute="_compute_results",
        help="Opportunities converted, out of the opportunities.",
    )
    has_visitor_lead_rate = fields.Boolean(compute="_compute_results")
    has_lead_opportunity_rate = fields.Boolean(compute="_compute_results")
    has_opportunity_customer_rate = fields.Boolean(compute="_compute_results")
    is_marketing_user = fields.Boolean(compute="_compute_is_marketing_user")

    @api.depends("company_id")  # a dependency, so that new records get it computed too
    @api.depends_context("company")
    def _compute_crm_currency_id(self):
        self.crm_currency_id = self.env.company.currency_id

    @api.depends("cost_ids.amount", "cost_ids.company_id", "budget")
    @api.depends_context("company")
    def _compute_actual_cost(self):
        company = self.env.company
        totals = self._get_company_costs()
        expenses = self.env["hr.expense"]._crm_approved_totals(
            "campaign_id", self.ids, company=company)
        for campaign in self:
            if isinstance(campaign.id, int):
                lines = totals.get(campaign.id, 0.0)
            else:  # a record being edited in a form: its lines are in the cache only
                lines = sum(
                    line.amount for line in campaign.cost_ids if line.company_id == company
                )
            expense = expenses.get(campaign._origin.id, 0.0)
            cost = lines + expense
            campaign.cost_line_amount = lines
            campaign.expense_amount = expense
            campaign.actual_cost = cost
            campaign.budget_remaining = campaign.budget - cost
            campaign.budget_overrun = bool(campaign.budget) and cost > campaign.budget

    def _get_company_costs(self):
        """Total of the cost lines of the current company, per campaign of ``self``.

        Read as superuser, but only the lines of ``self.env.company``, which is always
        one of the user's companies: a campaign shows the money of the company the user
        works in, whoever may read the campaign.

        :return: ``{campaign_id: amount}``
        """
        ids = [campaign_id for campaign_id in self.ids if isinstance(campaign_id, int)]
        if not ids:
            return {}
        groups = self.env["crm.campaign.cost"].sudo()._read_group(
            [("campaign_id", "in", ids), ("company_id", "=", self.env.company.id)],
            ["campaign_id"],
            ["amount:sum"],
        )
        return {campaign.id: amount for campaign, amount in groups}

    def action_view_expenses(self):
        """The campaign's approved expenses of the current company (the host's rules on
        expenses decide which the user reads)."""
        self.ensure_one()
        return self.env["hr.expense"]._crm_approved_action(
            "campaign_id", self.id, {"default_campaign_id": self.id})

    def _search_budget_overrun(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise ValidationError(
                self.env._("Over Budget can only be searched as set or not set.")
            )
        self.env["crm.campaign.cost"].flush_model(["campaign_id", "company_id", "amount"])
        self.env["hr.expense"].flush_model(["campaign_id", "company_id", "state",
                                            "total_amount"])
        self.flush_model(["budget"])
        company_key = str(self.env.company.id)
        budget = SQL("COALESCE((camp.budget->>%s)::numeric, 0)", company_key)
        overrun = SQL(
            """
            (SELECT camp.id
               FROM utm_campaign camp
               JOIN (SELECT campaign_id, amount FROM crm_campaign_cost
                      WHERE company_id = %(company)s
                     UNION ALL
                     SELECT campaign_id, total_amount FROM hr_expense
                      WHERE company_id = %(company)s AND campaign_id IS NOT NULL
                        AND state IN ('approved', 'done')) cost
                 ON cost.campaign_id = camp.id
              GROUP BY camp.id
             HAVING %(budget)s > 0 AND SUM(cost.amount) > %(budget)s)
            """,
            company=self.env.company.id,
            budget=budget,
        )
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", overrun)]

    @api.depends("company_id")  # a dependency, so that new records get it computed too
    @api.depends_context("uid")
    def _compute_is_marketing_user(self):
        self.is_marketing_user = self.env.user.has_group(MARKETING_GROUP)

    @api.depends_context("company")
    def _compute_results(self):
        figures = self._get_results()
        for campaign in self:
            values = figures.get(campaign.id, {})
            leads = values.get("leads", 0)
            opportunities = values.get("opportunities", 0)
            visitors = values.get("visitors", 0)
            customers = values.get("customers", 0)
            revenue = values.get("revenue", 0.0)
            cost = campaign.actual_cost
            campaign.lead_count = leads
            campaign.opportunity_count = opportunities
            campaign.won_count = values.get("won", 0)
            campaign.visitor_count = visitors
            campaign.customer_count = customers
            campaign.revenue = revenue
            campaign.has_roi = bool(cost)
            campaign.roi = (revenue - cost) / cost if cost else False
            collected = values.get("collected", 0.0)
            campaign.revenue_collected = collected
            campaign.roi_cash = (collected - cost) / cost if cost else False
            campaign.cost_per_customer = cost / customers if customers and cost else False
            campaign.cost_per_lead = cost / leads if leads else False
            visitor_leads = values.get("visitor_leads", 0)
            converted = values.get("converted", 0)
            campaign.visitor_lead_count = visitor_leads
            campaign.converted_opportunity_count = converted
            campaign.has_visitor_lead_rate = bool(visitors)
            campaign.has_lead_opportunity_rate = bool(leads)
            campaign.has_opportunity_customer_rate = bool(opportunities)
            campaign.visitor_lead_rate = visitor_leads / visitors * 100 if visitors else False
            campaign.lead_opportunity_rate = opportunities / leads * 100 if leads else False
            campaign.opportunity_customer_rate = (
                converted / opportunities * 100 if opportunities else False
            )

    def _get_results(self):
        """Figures of the campaigns in ``self`` for the current company (``self.env.company``,
        not all the companies the user has selected): three queries whatever the number
        of campaigns.

        :return: ``{campaign_id: {leads, opportunities, won, converted, visitors,
            visitor_leads, customers, revenue, collected}}``
        """
        ids = [campaign_id for campaign_id in self.ids if isinstance(campaign_id, int)]
        result = {campaign_id: {} for campaign_id in ids}
        if not ids:
            return result
        company = self.env.company
        self.env["crm.lead"].flush_model(
            ["campaign_id", "company_id", "type", "stage_id", "partner_id", "source_id",
             "medium_id"])
        self.env["crm.stage"].flush_model(["is_won"])
        self.env["sale.order"].flush_model(
            ["state", "campaign_id", "company_id", "partner_id", "amount_untaxed",
             "currency_rate", "opportunity_id"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env["link.tracker"].flush_model(["source_id", "medium_id"])
        self.env["link.tracker.click"].flush_model(["campaign_id", "link_id"])
        cr = self.env.cr
        # Leads (lost, archived ones too: the campaign generated them); the opportunities
        # converted: their customer bought from the campaign, or they have their own order.
        cr.execute(SQL(
            """
            SELECT lead.campaign_id,
                   COUNT(*),
                   COUNT(*) FILTER (WHERE lead.type = 'opportunity'),
                   COUNT(*) FILTER (WHERE lead.type = 'opportunity' AND stage.is_won),
                   COUNT(*) FILTER (WHERE lead.type = 'opportunity' AND EXISTS (
                       SELECT 1
                         FROM sale_order so
                         JOIN res_partner buyer ON buyer.id = so.partner_id
                        WHERE so.state = 'sale' AND so.company_id = %(company)s
                          AND (so.opportunity_id = lead.id
                               OR (so.campaign_id = lead.campaign_id
                                   AND buyer.commercial_partner_id
                                       = customer.commercial_partner_id))))
              FROM crm_lead lead
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
              LEFT JOIN res_partner customer ON customer.id = lead.partner_id
             WHERE lead.campaign_id IN %(ids)s AND lead.company_id = %(company)s
             GROUP BY lead.campaign_id
            """,
            ids=tuple(ids), company=company.id,
        ))
        for campaign_id, leads, opportunities, won, converted in cr.fetchall():
            result[campaign_id].update(
                leads=leads, opportunities=opportunities, won=won, converted=converted)
        # Visitors (clicks on the tracked links), and those who left a lead: the leads
        # carrying the source and medium of a link, at most one per click.
        cr.execute(SQL(
            """
            WITH clicks AS (
                SELECT click.campaign_id, link.source_id, link.medium_id, COUNT(*) AS clicks
                  FROM link_tracker_click click
                  JOIN link_tracker link ON link.id = click.link_id
                 WHERE click.campaign_id IN %(ids)s
                 GROUP BY click.campaign_id, link.source_id, link.medium_id
            ), leads AS (
                SELECT lead.campaign_id, lead.source_id, lead.medium_id, COUNT(*) AS leads
                  FROM crm_lead lead
                 WHERE lead.campaign_id IN %(ids)s AND lead.company_id = %(company)s
                   AND (lead.source_id IS NOT NULL OR lead.medium_id IS NOT NULL)
                 GROUP BY lead.campaign_id, lead.source_id, lead.medium_id
            )
            SELECT clicks.campaign_id, SUM(clicks.clicks),
                   SUM(LEAST(clicks.clicks, COALESCE(leads.leads, 0)))
              FROM clicks
              LEFT JOIN leads
                     ON leads.campaign_id = clicks.campaign_id
                    AND leads.source_id IS NOT DISTINCT FROM clicks.source_id
                    AND leads.medium_id IS NOT DISTINCT FROM clicks.medium_id
             GROUP BY clicks.campaign_id
            """,
            ids=tuple(ids), company=company.id,
        ))
        for campaign_id, visitors, visitor_leads in cr.fetchall():
            result[campaign_id].update(visitors=visitors, visitor_leads=visitor_leads)
        cr.execute(SQL(
            """
            SELECT so.campaign_id,
                   SUM(%s),
                   COUNT(DISTINCT partner.commercial_partner_id)
              FROM sale_order so
              JOIN res_partner partner ON partner.id = so.partner_id
             WHERE so.state = 'sale'
               AND so.campaign_id IN %s
               AND so.company_id = %s
             GROUP BY so.campaign_id
            """,
            self.env["sale.order"]._crm_amount_company_sql("so"),
            tuple(ids),
            company.id,
        ))
        for campaign_id, revenue, customers in cr.fetchall():
            result[campaign_id]["revenue"] = revenue or 0.0
            result[campaign_id]["customers"] = customers
        # Collected on those orders (回款): the host's payments on their invoices
        self.env.flush_all()
        cr.execute(SQL(
            """
            SELECT so.campaign_id, SUM(pay.amount_company)
              FROM crm_collection_payment pay
              JOIN sale_order so ON so.id = pay.order_id
             WHERE so.state = 'sale' AND so.campaign_id IN %s AND so.company_id = %s
             GROUP BY so.campaign_id
            """,
            tuple(ids), company.id,
        ))
        for campaign_id, collected in cr.fetchall():
            result[campaign_id]["collected"] = collected or 0.0
        return result

    @api.constrains("budget", "date_start", "date_end")
    def _check_budget_and_dates(self):
        for campaign in self:
            if campaign.budget < 0:
                raise ValidationError(
                    self.env._(
                        "The budget of campaign %(campaign)s cannot be negative (%(budget)s).",
                        campaign=campaign.title,
                        budget=campaign.budget,
                    )
                )
            start, end = campaign.date_start, campaign.date_end
            if start and end and end < start:
                raise ValidationError(
                    self.env._(
                        "Campaign %(campaign)s cannot end (%(end)s) before it starts (%(start)s).",
                        campaign=campaign.title,
                        end=campaign.date_end,
                        start=campaign.date_start,
                    )
                )

    @api.constrains("segment_id")
    def _check_segment_company(self):
        company = self.env.company
        for campaign in self:
            # the segment may belong to a company the user cannot read: its company is
            # read as superuser, and only compared, never shown
            segment = campaign.segment_id.sudo()
            if segment and segment.company_id != company:
                raise ValidationError(
                    self.env._(
                        "Campaign %(campaign)s can only target a segment of the company "
                        "you work in (%(company)s).",
                        campaign=campaign.title,
                        company=company.name,
                    )
                )

    @api.model_create_multi
    def create(self, vals_list):
        if any(vals.get(name) for vals in vals_list for name in MARKETING_FIELDS):
            self._check_marketing_user()
        return super().create(vals_list)

    def write(self, vals):
        if any(name in vals for name in MARKETING_FIELDS):
            self._check_marketing_user()
        return super().write(vals)

    def _check_marketing_user(self):
        if self.env.su or self.env.user.has_group(MARKETING_GROUP):
            return
        raise AccessError(
            self.env._(
                "Only marketing users (Email Marketing: User) can plan the dates, channel, "
                "budget, costs and target segment of a campaign."
            )
        )

    @api.readonly
    def action_view_campaign_leads(self):
        self.ensure_one()
        return self.action_redirect_to_leads_opportunities()

    @api.readonly
    def action_view_campaign_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [("campaign_id", "=", self.id), ("state", "=", "sale")]
        action["context"] = {"default_campaign_id": self.id, "create": False}
        return action

    @api.readonly
    def action_view_segment_members(self):
        self.ensure_one()
        return self.segment_id.action_view_members()
