from . import crm_complaint_satisfaction_report
from . import crm_todo
