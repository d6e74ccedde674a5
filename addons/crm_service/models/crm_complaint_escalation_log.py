from odoo import fields, models


class CrmComplaintEscalationLog(models.Model):
    _name = "crm.complaint.escalation.log"
    _description = "Escalation Fired on a Complaint"
    _order = "date desc, id desc"

    complaint_id = fields.Many2one("crm.complaint", required=True, ondelete="cascade", index=True)
    escalation_id = fields.Many2one("crm.sla.escalation", required=True, ondelete="cascade")
    date = fields.Datetime(required=True, default=fields.Datetime.now)
    level = fields.Integer()
    company_id = fields.Many2one(related="complaint_id.company_id", store=True)

    _sql_constraints = [
        ("complaint_escalation_uniq", "unique (complaint_id, escalation_id)",
         "An escalation step fires only once per complaint."),
    ]
