from datetime import timedelta
from unittest.mock import patch

from odoo.tests import tagged

from odoo.addons.crm_analytics.models import crm_analytics_engine
from odoo.addons.crm_analytics.tools import sql_arrays

from .common import AS_OF, CrmAnalyticsCommon

VALUE_FIELDS = ("partner_id", "rfm_r_score", "rfm_f_score", "rfm_m_score", "rfm_segment",
                "clv_historic", "clv_predicted", "customer_tier", "lifecycle_stage",
                "value_quadrant", "churn_risk", "churn_signals", "scores_key",
                "churn_alert_date")
HISTORY_FIELDS = ("partner_id", "rfm_segment", "clv_predicted", "probability_alive",
                  "customer_tier", "lifecycle_stage", "value_quadrant", "churn_risk")


@tagged("post_install", "-at_install")
class TestRanges(CrmAnalyticsCommon):
    """The run holds the whole company's figures in memory, but scores, labels and
    writes its customers by range of partners, predicts by chunks and fits on a
    sample beyond ``FIT_SAMPLE`` customers: ranges and chunks of any size give the
    same rows as one."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.crm_churn_high_signals = 1
        partners = cls._customers(45, "Range", user_id=cls.salesman.id)
        specs = []
        for index, partner in enumerate(partners):
            step = index % 30
            specs += [(partner, 20.0 + 5 * step + index,
                       AS_OF - timedelta(days=300 - step * 5 - visit * (10 + step)))
                      for visit in range(1 + step % 4)]
        cls.env["crm.complaint"].create([{"name": "Late", "partner_id": partner.id}
                                         for partner in partners[::4]])
        cls._orders_on(specs)
        cls.partners = partners

    def _rows(self):
        self.env.flush_all()
        Value = self.env["crm.customer.value"].sudo()
        History = self.env["crm.customer.value.history"].sudo()
        domain = [("company_id", "=", self.company.id)]
        values = Value.search(domain).read(list(VALUE_FIELDS))
        history = History.search(domain).read(list(HISTORY_FIELDS))
        warnings = self.env["mail.activity"].search_count(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.partners.ids)])
        key = lambda row: row["partner_id"][0]  # noqa: E731
        return ([{**row, "id": None} for row in sorted(values, key=key)],
                [{**row, "id": None} for row in sorted(history, key=key)], warnings)

    def _forget(self):
        """The company as if never computed."""
        self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.partners.ids)]).unlink()
        for table in ("crm_customer_value_history", "crm_customer_value", "crm_clv_model"):
            self.env.cr.execute(f"DELETE FROM {table} WHERE company_id = %s",
                                [self.company.id])
        self.env.invalidate_all()

    def test_ranges_and_chunks_give_the_same_rows(self):
        model = self._run()
        self.assertEqual(model.state, "fitted", model.reason)
        whole, fitted_r = self._rows(), model.bgnbd_r
        self.assertEqual(len(whole[0]), 45)
        self.assertTrue(whole[2], "the complaints raise warnings")
        self._forget()
        # ranges of 4 customers (the last one shorter), predictions by 7
        with patch.object(sql_arrays, "CHUNK_ROWS", 4), \
                patch.object(crm_analytics_engine, "PREDICT_CHUNK", 7):
            ranged = self._run()
        self.assertEqual(ranged.state, "fitted")
        self.assertEqual(self._rows(), whole)
        self.assertAlmostEqual(ranged.bgnbd_r, fitted_r)

    def test_fit_on_a_sample(self):
        engine = self.env["crm.analytics.engine"]
        fit_rows = []
        fit_data = type(engine)._fit_data

        def keep(self_, count):
            data = fit_data(self_, count)
            fit_rows.append(len(data))
            return data

        with patch.object(crm_analytics_engine, "FIT_SAMPLE", 30), \
                patch.object(type(engine), "_fit_data", keep):
            model = self._run()
        # every second partner (45 customers, 30 a sample): about 22
        self.assertEqual(fit_rows, [len([p for p in self.partners if p.id % 2 == 0])])
        self.assertEqual(model.state, "fitted", model.reason)
        self.assertEqual(model.customer_count, 45)
        # every customer is scored and predicted all the same
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COUNT(*) FROM crm_customer_value WHERE company_id = %s "
            "AND clv_predicted IS NOT NULL AND rfm_segment IS NOT NULL", [self.company.id])
        self.assertEqual(self.env.cr.fetchone()[0], 45)
