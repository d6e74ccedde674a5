from odoo import fields, models
from odoo.tools import SQL

OUTCOMES = [
    ("open", "Open"),
    ("won", "Won"),
    ("lost_to", "Lost to this competitor"),
    ("lost_other", "Lost to another"),
]


class CrmCompetitorReport(models.Model):
    """One row per opportunity and competitor who bid for it, with the outcome."""

    _name = "crm.competitor.report"
    _description = "Wins and Losses per Competitor"
    _auto = False
    _order = "date desc"
    _rec_name = "lead_id"

    competitor_id = fields.Many2one("crm.competitor", readonly=True)
    lead_id = fields.Many2one("crm.lead", string="Opportunity", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    user_id = fields.Many2one("res.users", string="Salesperson", readonly=True)
    team_id = fields.Many2one("crm.team", string="Sales Team", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    lost_reason_id = fields.Many2one("crm.lost.reason", readonly=True)
    date = fields.Date(readonly=True, help="Closing date, or creation date while open.")
    outcome = fields.Selection(OUTCOMES, readonly=True)
    expected_revenue = fields.Float(readonly=True)
    # one count and one revenue per outcome: the counts add up to the opportunities,
    # the revenues to their expected revenue
    won_count = fields.Integer(string="Won", readonly=True)
    lost_count = fields.Integer(string="Lost To", readonly=True)
    lost_other_count = fields.Integer(string="Lost to Another", readonly=True)
    open_count = fields.Integer(string="Open", readonly=True)
    won_revenue = fields.Float(readonly=True)
    lost_revenue = fields.Float(string="Revenue Lost To", readonly=True)
    lost_other_revenue = fields.Float(string="Revenue Lost to Another", readonly=True)
    open_revenue = fields.Float(readonly=True)

    @property
    def _table_query(self):
        return SQL("%s %s %s", self._select(), self._from(), self._where())

    def _select(self):
        return SQL(
            """
            SELECT ROW_NUMBER() OVER (ORDER BY pair.lead_id, pair.competitor_id) AS id,
                   pair.competitor_id,
                   pair.lead_id,
                   lead.partner_id,
                   lead.user_id,
                   lead.team_id,
                   lead.company_id,
                   lead.lost_reason_id,
                   %(day)s AS date,
                   outcome.name AS outcome,
                   lead.expected_revenue,
                   (outcome.name = 'won')::int AS won_count,
                   (outcome.name = 'lost_to')::int AS lost_count,
                   (outcome.name = 'lost_other')::int AS lost_other_count,
                   (outcome.name = 'open')::int AS open_count,
                   CASE WHEN outcome.name = 'won' THEN lead.expected_revenue ELSE 0 END
                       AS won_revenue,
                   CASE WHEN outcome.name = 'lost_to' THEN lead.expected_revenue ELSE 0 END
                       AS lost_revenue,
                   CASE WHEN outcome.name = 'lost_other' THEN lead.expected_revenue ELSE 0 END
                       AS lost_other_revenue,
                   CASE WHEN outcome.name = 'open' THEN lead.expected_revenue ELSE 0 END
                       AS open_revenue
            """,
            # the day it closed (or was created) in the company's time zone
            day=self.env["res.company"]._crm_local_date_sql_by_company(
                SQL("COALESCE(lead.date_closed, lead.create_date)"), SQL("lead.company_id")),
        )

    def _from(self):
        """Every (opportunity, competitor) pair: the competitors who bid, and the one
        it was lost to."""
        return SQL(
            """
              FROM (
                    SELECT lead_id, competitor_id FROM crm_lead_competitor_rel
                     UNION
                    SELECT id, lost_competitor_id FROM crm_lead
                     WHERE lost_competitor_id IS NOT NULL
                   ) AS pair
              JOIN crm_lead lead ON lead.id = pair.lead_id
              LEFT JOIN crm_stage stage ON stage.id = lead.stage_id
             CROSS JOIN LATERAL (
                    SELECT CASE
                        WHEN lead.active AND stage.is_won THEN 'won'
                        WHEN lead.active THEN 'open'
                        WHEN lead.lost_competitor_id = pair.competitor_id THEN 'lost_to'
                        ELSE 'lost_other'
                    END AS name
                   ) AS outcome
            """
        )

    def _where(self):
        # open opportunities and lost ones, not leads archived for other reasons
        return SQL("WHERE lead.active OR lead.probability = 0")
