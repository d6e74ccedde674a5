from odoo import SUPERUSER_ID, api


def migrate(cr, version):
    """The collections gain the outstanding amount in company currency, the collected
    payments' table and the instalments' amounts at the order's rate: count them again."""
    env = api.Environment(cr, SUPERUSER_ID, {})
    env["crm.collection.plan"]._crm_refresh_all_orders()
