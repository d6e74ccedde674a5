from . import crm_protected_fields_mixin
from . import (
    account_move,
    crm_collection_payment,
    crm_collection_plan,
    crm_competitor,
    crm_lead,
    crm_sales_target,
    crm_team,
    hr_expense,
    res_company,
    res_config_settings,
    res_partner,
    sale_order,
)
