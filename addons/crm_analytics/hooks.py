from odoo.tools import SQL


def _column_exists(cr, table, column):
    cr.execute(SQL(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        table, column))
    return bool(cr.fetchone())


def move_partner_values(env):
    """The customer value kept on ``res.partner`` before it was per company (the
    columns stay after the fields moved): each scored partner's figures become its row
    for the company they were computed for; a tier or stage set by hand on a partner
    that the engine never scored becomes a manager's correction in the partner's
    company, or in every company for a partner shared between them. Runs once: rows
    already there are left alone."""
    cr = env.cr
    if not _column_exists(cr, "res_partner", "customer_tier"):
        return
    if _column_exists(cr, "res_partner", "value_company_id"):
        cr.execute(SQL(
            """INSERT INTO crm_customer_value (
                   company_id, partner_id, value_date, rfm_frequency, rfm_monetary,
                   rfm_r_score, rfm_f_score, rfm_m_score, rfm_segment, clv_historic,
                   clv_predicted, value_quadrant, engine_customer_tier, customer_tier,
                   engine_lifecycle_stage, lifecycle_stage, churn_risk, churn_alert_date,
                   last_purchase_date)
            SELECT p.value_company_id, p.id, p.value_date, p.rfm_frequency,
                   p.rfm_monetary, p.rfm_r_score, p.rfm_f_score, p.rfm_m_score,
                   p.rfm_segment, p.clv_historic, p.clv_predicted, p.value_quadrant,
                   p.customer_tier, p.customer_tier, p.lifecycle_stage, p.lifecycle_stage,
                   p.churn_risk, p.churn_alert_date,
                   p.value_date - p.rfm_recency_days
              FROM res_partner p
             WHERE p.value_company_id IS NOT NULL
            ON CONFLICT (company_id, partner_id) DO NOTHING"""
        ))
        scored = SQL("p.value_company_id IS NULL")
    else:
        scored = SQL("TRUE")
    cr.execute(SQL(
        """INSERT INTO crm_customer_value (
               company_id, partner_id, manual_customer_tier, customer_tier,
               manual_lifecycle_stage, lifecycle_stage)
        SELECT company.id, p.id, p.customer_tier, p.customer_tier, p.lifecycle_stage,
               p.lifecycle_stage
          FROM res_partner p
          JOIN res_company company
               ON company.id = p.company_id OR p.company_id IS NULL
         WHERE %(scored)s
           AND (p.customer_tier IS NOT NULL OR p.lifecycle_stage IS NOT NULL)
        ON CONFLICT (company_id, partner_id) DO NOTHING""",
        scored=scored,
    ))
    env["crm.customer.value"].invalidate_model()


def post_init_hook(env):
    move_partner_values(env)
    if env["ir.module.module"].search([("name", "=", "crm_analytics")]).demo:
        # demo code, imported only where the demo is loaded
        from .demo import demo_data

        demo_data.load(env)
