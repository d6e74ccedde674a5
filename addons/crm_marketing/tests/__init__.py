from . import test_campaign
from . import test_segment
from . import test_loyalty
from . import test_care
from . import test_tours
from . import test_campaign_company
from . import test_segment_values
from . import test_protected_fields
