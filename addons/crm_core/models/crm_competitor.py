from odoo import api, fields, models

PRICE_POSITIONS = [
    ("lower", "Cheaper than us"),
    ("similar", "Similar price"),
    ("higher", "More expensive"),
]


class CrmCompetitor(models.Model):
    _name = "crm.competitor"
    _description = "Competitor"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
    _order = "name"

    name = fields.Char(required=True, tracking=True)
    active = fields.Boolean(default=True, tracking=True)
    website = fields.Char()
    price_position = fields.Selection(PRICE_POSITIONS, tracking=True)
    strengths = fields.Text()
    weaknesses = fields.Text()
    note = fields.Html()
    color = fields.Integer()
    company_id = fields.Many2one(
        "res.company", default=lambda self: self.env.company, index=True
    )
    lead_ids = fields.Many2many(
        "crm.lead",
        "crm_lead_competitor_rel",
        "competitor_id",
        "lead_id",
        string="Opportunities",
    )
    lead_count = fields.Integer(compute="_compute_outcome_counts")
    won_count = fields.Integer(string="Won Against", compute="_compute_outcome_counts")
    lost_count = fields.Integer(string="Lost To", compute="_compute_outcome_counts")

    _sql_constraints = [
        (
            "name_company_uniq",
            "unique(name, company_id)",
            "A competitor with this name already exists in this company.",
        ),
    ]

    @api.model
    def _crm_manager_fields(self):
        # archiving hides the competitor and its history as deleting would
        return (*super()._crm_manager_fields(), "active")

    @api.model
    def _crm_manager_group(self):
        return "sales_team.group_sale_manager"

    def _compute_outcome_counts(self):
        """The competitor's record in the companies the user works in: every
        opportunity it bid for, won against it, lost to it, whoever's they are (what
        the company knows of a competitor is every salesperson's business; the deals
        themselves, in the report, are their own)."""
        groups = self.env["crm.competitor.report"].sudo()._read_group(
            [("competitor_id", "in", self.ids),
             "|", ("company_id", "=", False), ("company_id", "in", self.env.companies.ids)],
            groupby=["competitor_id"],
            aggregates=["__count", "won_count:sum", "lost_count:sum"],
        )
        counts = {competitor.id: (total, won, lost) for competitor, total, won, lost in groups}
        for competitor in self:
            competitor.lead_count, competitor.won_count, competitor.lost_count = counts.get(
                competitor.id, (0, 0, 0)
            )

    @api.readonly
    def action_view_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_core.crm_competitor_report_action"
        )
        action["domain"] = [("competitor_id", "=", self.id)]
        action["context"] = {"search_default_group_by_outcome": 1}
        action["display_name"] = self.env._("Opportunities against %s", self.name)
        return action
