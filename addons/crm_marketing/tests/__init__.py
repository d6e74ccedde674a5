from . import test_campaign
from . import test_segment
from . import test_loyalty
from . import test_care
from . import test_tours
