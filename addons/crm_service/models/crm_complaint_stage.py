from odoo import api, fields, models
from odoo.exceptions import ValidationError


class CrmComplaintStage(models.Model):
    _name = "crm.complaint.stage"
    _inherit = ["crm.protected.fields.mixin"]
    _description = "Complaint Stage"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    fold = fields.Boolean(
        string="Folded in Kanban",
        help="Folded in the kanban view when it has no complaint to show.",
    )
    is_closed = fields.Boolean(
        string="Closing Stage",
        help="Complaints in this stage are solved: the resolution clock stops and "
        "the resolution date is set.",
    )
    is_paused = fields.Boolean(
        string="Pauses the SLA",
        help="Waiting for the customer: the resolution clock stops while a complaint "
        "stays in this stage, and its deadline moves by the working time paused.",
    )
    send_survey = fields.Boolean(
        string="Send Satisfaction Survey",
        help="When a complaint reaches this stage, its customer is invited to the "
        "satisfaction survey (once per complaint).",
    )
    resume_stage_id = fields.Many2one(
        "crm.complaint.stage", string="When the Customer Answers",
        domain="[('is_paused', '=', False), ('is_closed', '=', False)]",
        help="When the customer writes on a complaint in this stage (waiting for them, or "
        "solved), the complaint moves to this stage: its SLA clock runs again, or it is "
        "reopened. Empty: a waiting complaint stays until an agent moves it, a solved one "
        "goes back to the first open stage.",
    )
    description = fields.Text(translate=True)

    @api.constrains("resume_stage_id", "is_paused", "is_closed")
    def _check_resume_stage_id(self):
        for stage in self:
            resume = stage.resume_stage_id
            if resume and (resume.is_paused or resume.is_closed):
                raise ValidationError(self.env._(
                    "When the customer answers, complaints of stage %(stage)s move on to "
                    "%(resume)s, which must neither pause the SLA nor close the complaint.",
                    stage=stage.name, resume=resume.name,
                ))
