from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmTeam(models.Model):
    _name = "crm.team"
    _inherit = ["crm.team", "crm.protected.fields.mixin"]

    big_deal_threshold = fields.Monetary(
        currency_field="currency_id",
        tracking=True,
        help="An opportunity of this team whose expected revenue reaches this amount is "
        "a big deal: the team leader gets an activity about it, once. Zero disables it.",
    )

    @api.constrains("big_deal_threshold")
    def _check_big_deal_threshold(self):
        for team in self:
            if team.big_deal_threshold < 0:
                raise ValidationError(
                    self.env._(
                        "The big deal threshold of team %(team)s cannot be negative.",
                        team=team.display_name,
                    )
                )

    def write(self, vals):
        res = super().write(vals)
        if "big_deal_threshold" in vals or "user_id" in vals:
            leads = self.env["crm.lead"].search(
                [("team_id", "in", self.ids), ("is_big_deal", "=", True),
                 ("big_deal_notified", "=", False)]
            )
            leads._notify_big_deals()
        return res
