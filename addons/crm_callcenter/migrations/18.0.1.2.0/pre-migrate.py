"""Keep the routing reasons written as text before they were steps.

A call's routing reason is now rendered in the reader's language from steps stored
as codes and ids (``routing_steps``); the text column it replaces is dropped by the
update. Before that, each text becomes one step of its own, shown as it was written.
"""

from odoo.tools import SQL


def migrate(cr, version):
    if not version:
        return
    cr.execute(SQL(
        """
        SELECT 1 FROM information_schema.columns
         WHERE table_name = 'crm_call' AND column_name = 'routing_reason'
        """
    ))
    if not cr.rowcount:
        return
    cr.execute(SQL("ALTER TABLE crm_call ADD COLUMN IF NOT EXISTS routing_steps jsonb"))
    cr.execute(SQL(
        """
        UPDATE crm_call
           SET routing_steps = jsonb_build_array(
                   jsonb_build_object('code', 'text', 'text', routing_reason))
         WHERE routing_reason IS NOT NULL AND routing_reason != ''
           AND routing_steps IS NULL
        """
    ))
