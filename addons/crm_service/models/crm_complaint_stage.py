from odoo import fields, models


class CrmComplaintStage(models.Model):
    _name = "crm.complaint.stage"
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
    description = fields.Text(translate=True)
