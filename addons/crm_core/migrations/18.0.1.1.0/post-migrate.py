from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """Payment plans arrive: count what was collected on the orders of before."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.collection.plan"]._crm_refresh_all_orders()
