from . import crm_call_list_outcome_wizard
