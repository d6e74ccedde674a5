from odoo import api, fields, models


class CrmTeam(models.Model):
    _inherit = "crm.team"

    complaint_alias_id = fields.Many2one(
        "mail.alias", string="Complaint Alias Record", copy=False, readonly=True,
        groups="crm_service.group_crm_service_manager",
    )
    complaint_alias_name = fields.Char(
        string="Complaint Alias", compute="_compute_complaint_alias_name",
        inverse="_inverse_complaint_alias_name", compute_sudo=True,
        groups="crm_service.group_crm_service_manager",
        help="Emails sent to this alias (at the company's alias domain) become complaints "
        "of this team.",
    )

    @api.depends("complaint_alias_id.alias_name")
    def _compute_complaint_alias_name(self):
        for team in self:
            team.complaint_alias_name = team.sudo().complaint_alias_id.alias_name

    def _inverse_complaint_alias_name(self):
        Alias = self.env["mail.alias"].sudo()
        for team in self.sudo():
            name = team.complaint_alias_name
            if team.complaint_alias_id:
                team.complaint_alias_id.alias_name = name or False
            elif name:
                team.complaint_alias_id = Alias.create({
                    "alias_name": name,
                    "alias_model_id": self.env["ir.model"]._get_id("crm.complaint"),
                    "alias_defaults": repr({"team_id": team.id, "channel": "email"}),
                    "alias_contact": "everyone",
                    "alias_parent_model_id": self.env["ir.model"]._get_id("crm.team"),
                    "alias_parent_thread_id": team.id,
                    "alias_domain_id": (team.company_id or self.env.company).alias_domain_id.id,
                })

    def unlink(self):
        aliases = self.sudo().complaint_alias_id
        result = super().unlink()
        aliases.unlink()
        return result
