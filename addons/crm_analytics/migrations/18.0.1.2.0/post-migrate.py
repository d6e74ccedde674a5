from odoo import SUPERUSER_ID, api

from odoo.addons.crm_analytics.hooks import move_partner_values


def migrate(cr, version):
    """Customer value per company: the figures kept on the partners move to their
    company's ``crm.customer.value`` row."""
    move_partner_values(api.Environment(cr, SUPERUSER_ID, {}))
