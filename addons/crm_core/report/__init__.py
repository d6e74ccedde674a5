from . import (
    crm_collection_report,
    crm_competitor_report,
    crm_report_rates_mixin,
    crm_sales_forecast_report,
    crm_todo,
)
