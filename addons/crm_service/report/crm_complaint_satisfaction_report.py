from odoo import fields, models
from odoo.tools import SQL


class CrmComplaintSatisfactionReport(models.Model):
    """One row per answered satisfaction survey of a complaint.

    Averaged over these rows only, ``csat`` is the CSAT and ``nps`` the Net Promoter
    Score: each answer counts +100 for a promoter (9-10), 0 for a passive (7-8) and
    -100 for a detractor (0-6), so that their mean is % promoters - % detractors.
    """

    _name = "crm.complaint.satisfaction.report"
    _description = "Customer Satisfaction Analysis"
    _auto = False
    _order = "date desc"
    _rec_name = "complaint_id"

    complaint_id = fields.Many2one("crm.complaint", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    team_id = fields.Many2one("crm.team", readonly=True)
    user_id = fields.Many2one("res.users", string="Assigned To", readonly=True)
    category_id = fields.Many2one("crm.complaint.category", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    date = fields.Date(string="Answered On", readonly=True)
    csat = fields.Float(string="CSAT", readonly=True, aggregator="avg",
                        help="Average satisfaction, from 1 to 5.")
    nps = fields.Float(string="NPS", readonly=True, aggregator="avg",
                       help="Net Promoter Score: % promoters - % detractors, from -100 to 100.")
    nps_score = fields.Float(string="Recommendation Score", readonly=True, aggregator="avg",
                             help="Average answer to the recommendation question (0 to 10).")
    promoter_count = fields.Integer(string="Promoters", readonly=True)
    passive_count = fields.Integer(string="Passives", readonly=True)
    detractor_count = fields.Integer(string="Detractors", readonly=True)

    @property
    def _table_query(self):
        return SQL(
            """
            SELECT complaint.id,
                   complaint.id AS complaint_id,
                   complaint.commercial_partner_id AS partner_id,
                   complaint.team_id,
                   complaint.user_id,
                   complaint.category_id,
                   complaint.company_id,
                   COALESCE(answer.end_datetime, answer.write_date)::date AS date,
                   NULLIF(complaint.csat_score, 0) AS csat,
                   CASE WHEN complaint.nps_score >= 9 THEN 100
                        WHEN complaint.nps_score <= 6 THEN -100
                        ELSE 0 END AS nps,
                   complaint.nps_score,
                   (complaint.nps_score >= 9)::int AS promoter_count,
                   (complaint.nps_score BETWEEN 7 AND 8)::int AS passive_count,
                   (complaint.nps_score <= 6)::int AS detractor_count
              FROM crm_complaint complaint
              JOIN survey_user_input answer ON answer.id = complaint.survey_user_input_id
             WHERE answer.state = 'done'
            """
        )
