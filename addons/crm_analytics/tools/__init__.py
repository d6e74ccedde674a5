from . import clv_fit
from . import sql_arrays
from . import value_labels
