from . import crm_competitor_report, crm_sales_forecast_report
