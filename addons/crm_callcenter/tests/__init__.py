from . import test_phone
from . import test_routing
from . import test_ivr
from . import test_call
from . import test_cti_http
from . import test_security
from . import test_outbound
from . import test_outbound_concurrency
