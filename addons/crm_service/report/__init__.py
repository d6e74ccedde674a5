from . import crm_complaint_satisfaction_report
