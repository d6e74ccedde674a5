from odoo import fields, models


class SurveyUserInput(models.Model):
    _inherit = "survey.user_input"

    crm_complaint_id = fields.Many2one(
        "crm.complaint", string="Complaint", index="btree_not_null", ondelete="set null",
    )

    def _mark_done(self):
        result = super()._mark_done()
        for answer in self.filtered("crm_complaint_id"):
            answer._crm_service_fill_scores()
        return result

    def _crm_service_fill_scores(self):
        self.ensure_one()
        csat = nps = None
        for line in self.user_input_line_ids:
            if line.skipped or line.answer_type != "scale":
                continue
            metric = line.question_id.crm_service_metric
            if metric == "csat":
                csat = line.value_scale
            elif metric == "nps":
                nps = line.value_scale
        self.crm_complaint_id.sudo()._set_satisfaction(csat, nps)
