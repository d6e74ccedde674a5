from . import crm_call_report
from . import crm_channel_report
