from . import models, report, wizard


def post_init_hook(env):
    """Customers who ordered before the addon was installed are customers since
    their first confirmed order."""
    env["res.partner"]._crm_set_customer_since_from_orders()
