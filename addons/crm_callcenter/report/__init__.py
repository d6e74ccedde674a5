from . import crm_call_report
