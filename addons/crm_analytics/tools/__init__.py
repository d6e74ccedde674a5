from . import clv_fit
