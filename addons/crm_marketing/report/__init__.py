from . import crm_campaign_report
