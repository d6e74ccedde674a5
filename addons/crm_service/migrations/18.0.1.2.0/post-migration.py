from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The solutions saved before get the words their suggestions are searched by."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.solution"].with_context(active_test=False).search([])._crm_update_search_document()
