from odoo.tools import SQL

# indexes the value rows no longer have: the company is looked up with its customer
# (the unique index begins with it), and the tier, stage, segment, quadrant and risk
# are read for one company's rows, never searched across the table
DROPPED_INDEXES = (
    "crm_customer_value__company_id_index",
    "crm_customer_value__customer_tier_index",
    "crm_customer_value__lifecycle_stage_index",
    "crm_customer_value__rfm_segment_index",
    "crm_customer_value__value_quadrant_index",
    "crm_customer_value__churn_risk_index",
)


def migrate(cr, version):
    """The value rows lose their author columns (and those columns' foreign keys,
    checked on every row a run writes) and the indexes no query uses."""
    for index in DROPPED_INDEXES:
        cr.execute(SQL("DROP INDEX IF EXISTS %s", SQL.identifier(index)))
    cr.execute(SQL(
        """ALTER TABLE crm_customer_value
               DROP COLUMN IF EXISTS create_uid, DROP COLUMN IF EXISTS create_date,
               DROP COLUMN IF EXISTS write_uid, DROP COLUMN IF EXISTS write_date"""))
