from odoo import fields, models


class CrmCallSkill(models.Model):
    _name = "crm.call.skill"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Call Center Skill"
    _order = "name"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    agent_ids = fields.Many2many(
        "crm.call.agent", "crm_call_agent_skill_rel", "skill_id", "agent_id", string="Agents",
    )

    _sql_constraints = [
        ("name_uniq", "unique(name)", "A skill with this name already exists."),
    ]
