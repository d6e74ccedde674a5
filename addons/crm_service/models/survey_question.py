from odoo import fields, models


class SurveyQuestion(models.Model):
    _inherit = "survey.question"

    crm_service_metric = fields.Selection(
        [("csat", "CSAT (1-5)"), ("nps", "NPS (0-10)")],
        string="Service Metric",
        help="The answer to this question fills the matching score of the complaint "
        "the survey was sent for.",
    )
