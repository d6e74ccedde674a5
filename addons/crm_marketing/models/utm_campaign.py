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
    _inherit = "utm.campaign"

    date_start = fields.Date(string="Start Date")
    date_end = fields.Date(string="End Date")
    channel = fields.Selection(CHANNELS, index=True)
    budget = fields.Monetary(currency_field="currency_id")
    cost_ids = fields.One2many("crm.campaign.cost", "campaign_id", string="Costs")
    actual_cost = fields.Monetary(
        currency_field="currency_id",
        compute="_compute_actual_cost",
        store=True,
        help="Sum of the cost lines of the campaign.",
    )
    budget_overrun = fields.Boolean(
        compute="_compute_actual_cost",
        store=True,
        help="The actual cost exceeds the budget.",
    )
    budget_remaining = fields.Monetary(
        currency_field="currency_id", compute="_compute_actual_cost", store=True
    )
    segment_id = fields.Many2one(
        "crm.segment",
        string="Target Segment",
        index=True,
        check_company=True,
    )
    # Measured results: grouped reads over leads, orders and clicks.
    lead_count = fields.Integer(
        string="Leads", compute="_compute_results",
        help="Leads and opportunities carrying the campaign, lost ones included.",
    )
    opportunity_count = fields.Integer(string="Opportunities", compute="_compute_results")
    won_count = fields.Integer(string="Won", compute="_compute_results")
    revenue = fields.Monetary(
        currency_field="currency_id",
        compute="_compute_results",
        help="Untaxed amount of the confirmed sale orders carrying the campaign, "
        "in company currency.",
    )
    roi = fields.Float(
        string="ROI",
        compute="_compute_results",
        help="(Revenue - actual cost) / actual cost; shown as a percentage, empty without "
        "cost.",
    )
    has_roi = fields.Boolean(compute="_compute_results")
    cost_per_lead = fields.Monetary(currency_field="currency_id", compute="_compute_results")
    visitor_count = fields.Integer(
        string="Visitors", compute="_compute_results",
        help="Clicks on the tracked links of the campaign.",
    )
    customer_count = fields.Integer(
        string="Customers", compute="_compute_results",
        help="Customers with a confirmed sale order carrying the campaign.",
    )
    visitor_lead_rate = fields.Float(
        string="Visitors → Leads (%)", compute="_compute_results"
    )
    lead_opportunity_rate = fields.Float(
        string="Leads → Opportunities (%)", compute="_compute_results"
    )
    opportunity_customer_rate = fields.Float(
        string="Opportunities → Customers (%)", compute="_compute_results"
    )
    is_marketing_user = fields.Boolean(compute="_compute_is_marketing_user")

    @api.depends("cost_ids.amount", "budget")
    def _compute_actual_cost(self):
        totals = {}
        if self.ids:
            groups = self.env["crm.campaign.cost"]._read_group(
                [("campaign_id", "in", self.ids)], ["campaign_id"], ["amount:sum"]
            )
            totals = {campaign.id: amount for campaign, amount in groups}
        for campaign in self:
            if campaign.id in totals or not campaign.cost_ids:
                cost = totals.get(campaign.id, 0.0)
            else:  # new record, lines in cache only
                cost = sum(campaign.cost_ids.mapped("amount"))
            campaign.actual_cost = cost
            campaign.budget_remaining = campaign.budget - cost
            campaign.budget_overrun = bool(campaign.budget) and cost > campaign.budget

    @api.depends("company_id")  # a dependency, so that new records get it computed too
    @api.depends_context("uid")
    def _compute_is_marketing_user(self):
        self.is_marketing_user = self.env.user.has_group(MARKETING_GROUP)

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
            campaign.cost_per_lead = cost / leads if leads else False
            campaign.visitor_lead_rate = leads / visitors * 100 if visitors else 0.0
            campaign.lead_opportunity_rate = opportunities / leads * 100 if leads else 0.0
            campaign.opportunity_customer_rate = (
                customers / opportunities * 100 if opportunities else 0.0
            )

    def _get_results(self):
        """Figures of the campaigns in ``self``: three grouped queries whatever their number.

        :return: ``{campaign_id: {leads, opportunities, won, visitors, customers, revenue}}``
        """
        ids = [campaign_id for campaign_id in self.ids if isinstance(campaign_id, int)]
        result = {campaign_id: {} for campaign_id in ids}
        if not ids:
            return result
        # Leads: lost (archived) leads were generated by the campaign as well.
        Lead = self.env["crm.lead"].sudo().with_context(active_test=False)
        for campaign, lead_type, stage, count in Lead._read_group(
            [("campaign_id", "in", ids), ("company_id", "in", [False, *self.env.companies.ids])],
            ["campaign_id", "type", "stage_id"],
            ["__count"],
        ):
            values = result[campaign.id]
            values["leads"] = values.get("leads", 0) + count
            if lead_type == "opportunity":
                values["opportunities"] = values.get("opportunities", 0) + count
                if stage.is_won:
                    values["won"] = values.get("won", 0) + count
        for campaign, count in self.env["link.tracker.click"].sudo()._read_group(
            [("campaign_id", "in", ids)], ["campaign_id"], ["__count"]
        ):
            result[campaign.id]["visitors"] = count
        self.env["sale.order"].flush_model(
            ["state", "campaign_id", "company_id", "partner_id", "amount_untaxed",
             "currency_rate"]
        )
        self.env["res.partner"].flush_model(["commercial_partner_id"])
        self.env.cr.execute(SQL(
            """
            SELECT so.campaign_id,
                   SUM(%s),
                   COUNT(DISTINCT partner.commercial_partner_id)
              FROM sale_order so
              JOIN res_partner partner ON partner.id = so.partner_id
             WHERE so.state = 'sale'
               AND so.campaign_id IN %s
               AND so.company_id IN %s
             GROUP BY so.campaign_id
            """,
            self.env["sale.order"]._crm_amount_company_sql("so"),
            tuple(ids),
            tuple(self.env.companies.ids),
        ))
        for campaign_id, revenue, customers in self.env.cr.fetchall():
            result[campaign_id]["revenue"] = revenue or 0.0
            result[campaign_id]["customers"] = customers
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

    def action_view_campaign_leads(self):
        self.ensure_one()
        return self.action_redirect_to_leads_opportunities()

    def action_view_campaign_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action["domain"] = [("campaign_id", "=", self.id), ("state", "=", "sale")]
        action["context"] = {"default_campaign_id": self.id, "create": False}
        return action

    def action_view_segment_members(self):
        self.ensure_one()
        return self.segment_id.action_view_members()
