from odoo import fields, models
from odoo.tools import SQL


class CrmComplaintSatisfactionReport(models.Model):
    """One row per complaint with a satisfaction score, whichever way the score
    came (the survey sent when the complaint was solved, or set by the service).

    Averaged over these rows, ``csat`` is the CSAT and ``nps`` the Net Promoter
    Score: each NPS answer counts +100 for a promoter (9-10), 0 for a passive (7-8)
    and -100 for a detractor (0-6), so that their mean is % promoters -
    % detractors; a complaint without an NPS answer is left out of it.

    The query is built from ``_select``, ``_from``, ``_where`` and ``_group_by``,
    as ``sale.report`` does: an addon adding a measure overrides one of them.
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
            "SELECT %s FROM %s WHERE %s GROUP BY %s",
            self._select(), self._from(), self._where(), self._group_by(),
        )

    def _select(self):
        """Columns of the report; a measure added by another addon extends it."""
        return SQL(
            """
            complaint.id,
            complaint.id AS complaint_id,
            complaint.commercial_partner_id AS partner_id,
            complaint.team_id,
            complaint.user_id,
            complaint.category_id,
            complaint.company_id,
            %(day)s AS date,
            NULLIF(complaint.csat_score, 0) AS csat,
            CASE WHEN complaint.nps_score >= 9 THEN 100
                 WHEN complaint.nps_score <= 6 THEN -100
                 WHEN complaint.nps_score IS NOT NULL THEN 0
            END AS nps,
            complaint.nps_score,
            CASE WHEN complaint.nps_score >= 9 THEN 1 ELSE 0 END AS promoter_count,
            CASE WHEN complaint.nps_score BETWEEN 7 AND 8 THEN 1 ELSE 0 END AS passive_count,
            CASE WHEN complaint.nps_score <= 6 THEN 1 ELSE 0 END AS detractor_count
            """,
            # the day of the answer (else of the resolution, of the receipt) in the
            # company's time zone
            day=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("COALESCE(answer.end_datetime, complaint.resolved_date, "
                    "complaint.date_received)"), SQL("complaint.company_id")),
        )

    def _from(self):
        # the answer only dates the scores: a score given on the phone, or by any
        # other way than the survey, counts as well
        return SQL(
            """
            crm_complaint complaint
            LEFT JOIN survey_user_input answer
                   ON answer.id = complaint.survey_user_input_id
                  AND answer.state = 'done'
            """
        )

    def _where(self):
        return SQL("(complaint.csat_score IS NOT NULL OR complaint.nps_score IS NOT NULL)")

    def _group_by(self):
        # one row per complaint; an addon joining more rows aggregates over them
        return SQL("complaint.id, answer.id")
