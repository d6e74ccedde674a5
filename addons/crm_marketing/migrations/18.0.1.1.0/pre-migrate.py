"""Campaign money and target become per company.

Before 18.0.1.1.0, ``utm.campaign.budget`` was a numeric column and ``segment_id`` an
integer column, shared by every company, and cost lines took their company from the
campaign. They become company-dependent (jsonb keyed by company id) and cost lines
carry their own company. Each existing value is kept for the company it belonged to:
the campaign's company for the budget, the segment's company for the target segment,
and the first company when the campaign had none.
"""

import logging

from odoo.tools import SQL
from odoo.tools.sql import column_exists, rename_column

_logger = logging.getLogger(__name__)


def _column_type(cr, table, column):
    cr.execute(SQL(
        "SELECT udt_name FROM information_schema.columns "
        "WHERE table_name = %s AND column_name = %s",
        table, column,
    ))
    row = cr.fetchone()
    return row and row[0]


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL("SELECT MIN(id) FROM res_company"))
    first_company = cr.fetchone()[0]

    if _column_type(cr, "utm_campaign", "budget") == "numeric":
        rename_column(cr, "utm_campaign", "budget", "crm_budget_legacy")
        cr.execute(SQL("ALTER TABLE utm_campaign ADD COLUMN budget jsonb"))
        cr.execute(SQL(
            """
            UPDATE utm_campaign
               SET budget = jsonb_build_object(
                       COALESCE(company_id, %s)::text, crm_budget_legacy)
             WHERE crm_budget_legacy IS NOT NULL AND crm_budget_legacy <> 0
            """,
            first_company,
        ))
        _logger.info("crm_marketing: %s campaign budgets made per company", cr.rowcount)
        cr.execute(SQL("ALTER TABLE utm_campaign DROP COLUMN crm_budget_legacy"))

    if _column_type(cr, "utm_campaign", "segment_id") == "int4":
        rename_column(cr, "utm_campaign", "segment_id", "crm_segment_legacy")
        cr.execute(SQL("ALTER TABLE utm_campaign ADD COLUMN segment_id jsonb"))
        cr.execute(SQL(
            """
            UPDATE utm_campaign camp
               SET segment_id = jsonb_build_object(segment.company_id::text, segment.id)
              FROM crm_segment segment
             WHERE segment.id = camp.crm_segment_legacy
            """
        ))
        _logger.info("crm_marketing: %s campaign segments made per company", cr.rowcount)
        cr.execute(SQL("ALTER TABLE utm_campaign DROP COLUMN crm_segment_legacy"))

    # the figures of the current company are computed on the fly now
    for column in ("actual_cost", "budget_remaining", "budget_overrun"):
        if column_exists(cr, "utm_campaign", column):
            cr.execute(SQL(
                "ALTER TABLE utm_campaign DROP COLUMN %s", SQL.identifier(column)
            ))

    if column_exists(cr, "crm_campaign_cost", "company_id"):
        cr.execute(SQL(
            """
            UPDATE crm_campaign_cost cost
               SET company_id = COALESCE(camp.company_id, %s)
              FROM utm_campaign camp
             WHERE camp.id = cost.campaign_id AND cost.company_id IS NULL
            """,
            first_company,
        ))
