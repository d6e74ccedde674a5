from odoo import api, fields, models
from odoo.exceptions import UserError


class CrmSolutionTag(models.Model):
    _name = "crm.solution.tag"
    _description = "Solution Tag"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    color = fields.Integer()

    _sql_constraints = [
        ("name_uniq", "unique (name)", "A tag with this name already exists."),
    ]


class CrmSolution(models.Model):
    _name = "crm.solution"
    _description = "Solution (Knowledge Base)"
    _inherit = ["mail.thread", "crm.protected.fields.mixin"]
    _order = "use_count desc, name"
    _check_company_auto = True

    name = fields.Char(string="Title", required=True, translate=True, tracking=True)
    problem = fields.Html(translate=True, help="The problem as customers describe it.")
    solution = fields.Html(translate=True, help="How to solve it, step by step.")
    category_id = fields.Many2one(
        "crm.complaint.category", index=True, tracking=True, check_company=True,
    )
    tag_ids = fields.Many2many("crm.solution.tag", string="Tags")
    is_published = fields.Boolean(
        string="Published", default=True, tracking=True,
        help="Only published solutions are suggested on complaints.",
    )
    use_count = fields.Integer(
        string="Times Used", readonly=True, copy=False,
        help="Number of complaints this solution was applied to.",
    )
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company)
    complaint_ids = fields.Many2many(
        "crm.complaint", "crm_complaint_solution_rel", "solution_id", "complaint_id",
        string="Complaints", readonly=True,
    )

    @api.model
    def _crm_server_fields(self):
        # counted when applied to a complaint, never typed
        return (*super()._crm_server_fields(), "use_count", "complaint_ids")

    def action_apply(self):
        """Apply this solution to the complaint of the context."""
        self.ensure_one()
        complaint_id = self.env.context.get("crm_complaint_id")
        if not complaint_id:
            return False
        complaint = self.env["crm.complaint"].browse(complaint_id).exists()
        if not complaint:
            raise UserError(self.env._(
                "The complaint was deleted meanwhile: the solution %(solution)s was not "
                "applied.", solution=self.name,
            ))
        complaint.check_access("write")
        complaint._apply_solution(self)
        return {"type": "ir.actions.act_window_close"}
