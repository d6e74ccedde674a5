from odoo import fields, models


class CrmComplaintCategory(models.Model):
    _name = "crm.complaint.category"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Complaint Category"
    _order = "sequence, name"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    team_id = fields.Many2one(
        "crm.team", string="Default Team", check_company=True,
        help="Team that handles the complaints of this category by default.",
    )
    company_id = fields.Many2one("res.company")
    complaint_count = fields.Integer(compute="_compute_complaint_count")

    def _compute_complaint_count(self):
        counts = dict(self.env["crm.complaint"]._read_group(
            [("category_id", "in", self.ids)], ["category_id"], ["__count"]
        ))
        for category in self:
            category.complaint_count = counts.get(category, 0)
