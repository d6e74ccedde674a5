from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL


class LoyaltyProgram(models.Model):
    _inherit = "loyalty.program"

    crm_tier_basis = fields.Selection(
        [("points", "Points"), ("spend", "Spend over the last 12 months")],
        string="Tiers Based On",
        default="points",
        required=True,
    )
    crm_tier_ids = fields.One2many("crm.loyalty.tier", "program_id", string="Tiers")

    def _crm_tier_changes(self):
        """Members whose tier must change: ``[(partner_id, old_tier_id, new_tier_id)]``.

        One query per program: members are the commercial partners holding a card
        of the program; their value is their points or their untaxed confirmed
        spend over the last 12 months; their tier the highest one they reach.
        """
        self.ensure_one()
        self.env.flush_all()
        if self.crm_tier_basis == "points":
            value = SQL(
                """
                SELECT cp.commercial_partner_id AS partner_id, SUM(card.points) AS value
                  FROM loyalty_card card
                  JOIN res_partner cp ON cp.id = card.partner_id
                 WHERE card.program_id = %s
                 GROUP BY cp.commercial_partner_id
                """,
                self.id,
            )
        else:
            company = self.company_id or self.env.company
            value = SQL(
                """
                SELECT m.partner_id, COALESCE(SUM(%(order_amount)s), 0) AS value
                  FROM (SELECT DISTINCT cp.commercial_partner_id AS partner_id
                          FROM loyalty_card card
                          JOIN res_partner cp ON cp.id = card.partner_id
                         WHERE card.program_id = %(program)s) m
                  LEFT JOIN res_partner op ON op.commercial_partner_id = m.partner_id
                  LEFT JOIN sale_order so ON so.partner_id = op.id
                        AND so.state = 'sale'
                        AND so.company_id = %(company)s
                        AND so.date_order >= %(since)s
                 GROUP BY m.partner_id
                """,
                order_amount=self.env["sale.order"]._crm_amount_company_sql("so"),
                program=self.id,
                company=company.id,
                # the last 12 months are the company's days, in its time zone
                since=company._crm_day_start(company._crm_today() - relativedelta(months=12)),
            )
        self.env.cr.execute(SQL(
            """
            WITH member AS (%(value)s),
                 target AS (
                    SELECT m.partner_id,
                           (SELECT t.id FROM crm_loyalty_tier t
                             WHERE t.program_id = %(program)s AND t.active
                               AND t.threshold <= m.value
                             ORDER BY t.threshold DESC, t.sequence DESC LIMIT 1) AS tier_id
                      FROM member m),
                 current AS (
                    SELECT p.id AS partner_id, p.loyalty_tier_id
                      FROM res_partner p
                     WHERE p.loyalty_tier_id IN (SELECT id FROM crm_loyalty_tier
                                                  WHERE program_id = %(program)s)
                        OR p.id IN (SELECT partner_id FROM member))
            SELECT c.partner_id, c.loyalty_tier_id, t.tier_id
              FROM current c
              LEFT JOIN target t ON t.partner_id = c.partner_id
             WHERE c.loyalty_tier_id IS DISTINCT FROM t.tier_id
            """,
            value=value,
            program=self.id,
        ))
        return self.env.cr.fetchall()

    def _crm_apply_tiers(self):
        """Recompute the tiers of the members: one grouped write per new tier,
        the change logged in each partner's chatter."""
        Tier = self.env["crm.loyalty.tier"].with_context(active_test=False)
        # The tier is read-only for users: the job writes it once it has computed it.
        Partner = self.env["res.partner"].sudo().with_context(tracking_disable=True)
        changes = []
        for program in self.filtered("crm_tier_ids"):
            rows = program._crm_tier_changes()
            by_tier = {}
            for partner_id, _old, new in rows:
                by_tier.setdefault(new, []).append(partner_id)
            for tier_id, partner_ids in by_tier.items():
                Partner.browse(partner_ids).write({"loyalty_tier_id": tier_id or False})
            changes += [
                (partner_id, Tier.browse(old), Tier.browse(new)) for partner_id, old, new in rows
            ]
        self.env["res.partner"]._crm_post_tier_changes(changes)
        return changes

    @api.model
    def _cron_recompute_loyalty_tiers(self):
        programs = self.search([("program_type", "=", "loyalty"), ("crm_tier_ids", "!=", False)])
        programs._crm_apply_tiers()
