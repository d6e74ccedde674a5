from odoo import api, fields, models

CSAT_RANGE = (1, 5)
NPS_RANGE = (0, 10)


class SurveyUserInput(models.Model):
    _name = "survey.user_input"
    _inherit = ["survey.user_input", "crm.protected.fields.mixin"]

    crm_complaint_id = fields.Many2one(
        "crm.complaint", string="Complaint", index="btree_not_null", ondelete="set null",
        readonly=True,
    )

    @api.model
    def _crm_server_fields(self):
        # set when the invitation is sent: an answer linked by hand to another
        # complaint would give it that complaint's scores
        return (*super()._crm_server_fields(), "crm_complaint_id")

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
            value = line.value_scale
            # a scale edited to other bounds must not break the customer's answer
            if metric == "csat" and CSAT_RANGE[0] <= value <= CSAT_RANGE[1]:
                csat = value
            elif metric == "nps" and NPS_RANGE[0] <= value <= NPS_RANGE[1]:
                nps = value
        self.crm_complaint_id.sudo()._set_satisfaction(csat, nps)
