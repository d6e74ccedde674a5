from . import test_big_deal
from . import test_competitor
from . import test_forecast_report
from . import test_i18n
from . import test_partner_360
from . import test_partner_profile
from . import test_sales_target
from . import test_tours
