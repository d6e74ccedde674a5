from . import models, report, wizard


def post_init_hook(env):
    """Customers who ordered before the addon was installed are customers since
    their first confirmed order; what was collected on the orders is counted."""
    env["res.partner"]._crm_set_customer_since_from_orders()
    env["crm.collection.plan"]._crm_refresh_all_orders()
