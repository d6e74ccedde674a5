from odoo.tools import SQL


def migrate(cr, version):
    """The value rows and the history rows no longer point to the computation that
    wrote them (the value date and the history's dates tell it; the foreign key was
    checked on every row a run writes)."""
    for table in ("crm_customer_value", "crm_customer_value_history"):
        cr.execute(SQL("ALTER TABLE %s DROP COLUMN IF EXISTS model_id",
                       SQL.identifier(table)))
