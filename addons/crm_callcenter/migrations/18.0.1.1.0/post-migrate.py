"""Give the dial results shipped before call lists existed the next step they mean.

The shipped results are loaded once (``noupdate``), so an update does not rewrite
them: the new ``action`` column starts as "done" for all of them. Results an admin
has already changed keep their value; only those still at the default are set.
"""

from odoo.tools import SQL

ACTIONS = {
    "crm_call_outcome_no_answer": "retry",
    "crm_call_outcome_busy": "retry",
    "crm_call_outcome_call_back": "retry",
    "crm_call_outcome_wrong_number": "stop",
}


def migrate(cr, version):
    if not version:
        return
    for xmlid, action in ACTIONS.items():
        cr.execute(SQL(
            """
            UPDATE crm_call_outcome o
               SET action = %(action)s
              FROM ir_model_data d
             WHERE d.module = 'crm_callcenter' AND d.name = %(name)s
               AND d.model = 'crm.call.outcome' AND d.res_id = o.id
               AND o.action = 'done'
            """,
            action=action, name=xmlid,
        ))
