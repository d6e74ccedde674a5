from datetime import date

from odoo.tests import tagged

from .common import CrmAnalyticsCommon


@tagged("post_install", "-at_install")
class TestQueryCount(CrmAnalyticsCommon):
    """The engine runs a fixed number of statements, whatever the number of customers."""

    def _add_customers(self, count, prefix):
        partners = self._customers(count, prefix)
        self._orders_on([(partner, 10.0 + index, date(2025, 3, 1 + index % 20))
                         for index, partner in enumerate(partners)]
                        + [(partner, 5.0, date(2025, 3, 25)) for partner in partners[:3]])
        self.env.flush_all()
        return partners

    def test_query_count_does_not_grow(self):
        self._run()  # first run of the test: the company's settings into the cache
        self._add_customers(4, "Small")
        before = self.env.cr.sql_log_count
        model = self._run()
        self.env.flush_all()  # what the run left to write counts too
        small = self.env.cr.sql_log_count - before
        self.assertEqual(model.customer_count, 4)
        self.assertLess(small, 40)
        # ten times more customers: the same statements
        self._add_customers(40, "Large")
        with self.assertQueryCount(small):
            model = self._run()
        self.assertEqual(model.customer_count, 44)
