from datetime import date, timedelta

from odoo.tests import tagged

from .common import AS_OF, CrmAnalyticsCommon


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

    def test_query_count_with_fit_and_warnings(self):
        """With the purchase models fitted and retention activities to create, the
        engine's statements stay the same for three times more customers."""
        self.company.crm_churn_high_signals = 1

        def add_customers(count, prefix):
            partners = self._customers(count, prefix, user_id=self.salesman.id)
            specs = []
            for index, partner in enumerate(partners):
                step = index % 30
                specs += [(partner, 20.0 + 5 * step,
                           AS_OF - timedelta(days=300 - step * 5 - visit * (10 + step)))
                          for visit in range(1 + step % 4)]
            # an unresolved complaint: high risk, warned
            self.env["crm.complaint"].create([{"name": "Broken", "partner_id": partner.id}
                                              for partner in partners[::3]])
            self._orders_on(specs)
            self.env.flush_all()
            return partners

        def prepare():
            """A run the day before (the company's settings into the cache), then no
            warning under way: the counted run warns again."""
            self._run(AS_OF - timedelta(days=1))
            self.env["mail.activity"].search([("user_id", "=", self.salesman.id)]).unlink()
            self.env["crm.customer.value"].search(
                [("company_id", "=", self.company.id)]).churn_alert_date = False
            self.env.flush_all()

        add_customers(30, "Fitted Small")
        prepare()
        before = self.env.cr.sql_log_count
        model = self._run()
        self.env.flush_all()
        small = self.env.cr.sql_log_count - before
        self.assertRecordValues(model, [{"state": "fitted", "customer_count": 30}])
        self.assertGreaterEqual(model.churn_warning_count, 10)
        add_customers(60, "Fitted Large")
        prepare()
        with self.assertQueryCount(small):
            model = self._run()
            self.env.flush_all()
        # the day's share of the salesperson (20 activities), with more to come
        self.assertRecordValues(model, [{"state": "fitted", "customer_count": 90,
                                         "churn_warning_count": 20}])
        self.assertGreater(model.churn_deferred_count, 0)
