"""Keep the reasons written as text before they were stored as codes.

A call's routing reason is now rendered in the reader's language from steps stored
as codes and ids (``routing_steps``), and a call list entry's skip reason from a code
(``skip_code``). The texts written before are kept and shown as they were: each
routing reason becomes one step of its own, each skip reason moves to ``skip_text``.
"""

from odoo.tools import SQL


def _has_column(cr, table, column):
    cr.execute(SQL(
        "SELECT 1 FROM information_schema.columns WHERE table_name = %s AND column_name = %s",
        table, column,
    ))
    return bool(cr.rowcount)


def migrate(cr, version):
    if not version:
        return
    if _has_column(cr, "crm_call", "routing_reason"):
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
    if _has_column(cr, "crm_call_list_entry", "skip_reason") and not _has_column(
        cr, "crm_call_list_entry", "skip_text"
    ):
        cr.execute(SQL("ALTER TABLE crm_call_list_entry RENAME COLUMN skip_reason TO skip_text"))
