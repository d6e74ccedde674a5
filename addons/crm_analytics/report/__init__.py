from . import (
    crm_campaign_report,
    crm_customer_value_report,
    crm_funnel_report,
    crm_retention_report,
    crm_service_report,
    customer_value_pdf,
)
