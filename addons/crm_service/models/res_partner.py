from odoo import api, fields, models

NPS_CATEGORIES = [
    ("promoter", "Promoter"),
    ("passive", "Passive"),
    ("detractor", "Detractor"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    crm_complaint_count = fields.Integer(
        string="Open Complaints", compute="_compute_crm_complaint_stats",
        groups="crm_service.group_crm_service_user",
    )
    crm_complaint_total = fields.Integer(
        string="Complaints", compute="_compute_crm_complaint_stats",
        groups="crm_service.group_crm_service_user",
    )
    crm_csat_avg = fields.Float(
        string="Average CSAT", compute="_compute_crm_complaint_stats", digits=(3, 2),
        groups="crm_service.group_crm_service_user",
        help="Average satisfaction (1 to 5) given after the complaints of the customer "
        "and its contacts.",
    )
    crm_last_nps = fields.Integer(
        string="Last NPS", readonly=True, copy=False, groups="base.group_user",
        help="Last likelihood to recommend (0 to 10) the customer gave us.",
    )
    crm_has_nps = fields.Boolean(
        string="Has NPS", compute="_compute_crm_has_nps", groups="base.group_user",
    )
    # (indexed for the partners that have one: the customer value engine reads the
    # detractors, a few among all partners)
    crm_nps_category = fields.Selection(
        NPS_CATEGORIES, string="NPS Category", compute="_compute_crm_nps_category",
        store=True, groups="base.group_user", index="btree_not_null",
        help="Promoter (9-10), passive (7-8) or detractor (0-6), from the last NPS answer.",
    )
    crm_nps_date = fields.Datetime(
        string="Last NPS Date", readonly=True, copy=False, groups="base.group_user",
    )

    @api.model
    def _crm_server_fields(self):
        # the customer's own answers to the satisfaction survey
        return (*super()._crm_server_fields(), "crm_last_nps", "crm_nps_date",
                "crm_nps_category")

    @api.depends("crm_nps_date")
    def _compute_crm_has_nps(self):
        for partner in self:
            partner.crm_has_nps = bool(partner.crm_nps_date)

    @api.depends("crm_nps_date", "crm_last_nps")
    def _compute_crm_nps_category(self):
        for partner in self:
            if not partner.crm_nps_date:
                partner.crm_nps_category = False
            elif partner.crm_last_nps >= 9:
                partner.crm_nps_category = "promoter"
            elif partner.crm_last_nps >= 7:
                partner.crm_nps_category = "passive"
            else:
                partner.crm_nps_category = "detractor"

    def _compute_crm_complaint_stats(self):
        open_counts = self._crm_360_read_group(
            "crm.complaint", [("stage_id.is_closed", "=", False)], ["__count"]
        )
        totals = self._crm_360_read_group(
            "crm.complaint", [], ["__count"]
        )
        csat = self._crm_360_read_group(
            "crm.complaint", [("csat_score", ">", 0)], ["csat_score:sum", "__count"]
        )
        for partner in self:
            partner.crm_complaint_count = open_counts.get(partner.id, [0])[0]
            partner.crm_complaint_total = totals.get(partner.id, [0])[0]
            csat_sum, csat_count = csat.get(partner.id, [0, 0])
            partner.crm_csat_avg = csat_sum / csat_count if csat_count else 0.0

    @api.readonly
    def action_view_crm_complaints(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "crm_service.crm_complaint_action"
        )
        action["domain"] = [("partner_id", "child_of", self.id)]
        action["context"] = {
            "default_partner_id": self.id,
            "search_default_filter_open": 1,
        }
        return action
