from . import crm_lead_lost
from . import crm_customer_pool_assign
