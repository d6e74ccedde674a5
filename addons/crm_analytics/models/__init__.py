from . import res_company
from . import res_config_settings
from . import crm_customer_value
from . import res_partner
from . import crm_clv_model
from . import crm_customer_value_history
from . import crm_analytics_engine
