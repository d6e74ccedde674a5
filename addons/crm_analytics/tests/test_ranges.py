import contextlib
from datetime import timedelta
from unittest.mock import patch

import numpy as np

from odoo.tests import tagged
from odoo.tools import SQL

from odoo.addons.crm_analytics.models import crm_analytics_engine
from odoo.addons.crm_analytics.tools import sql_arrays, value_labels

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
        partners = cls._buyers(45, "Range")
        cls.env["crm.complaint"].create([{"name": "Late", "partner_id": partner.id}
                                         for partner in partners[::4]])
        cls.partners = partners

    @classmethod
    def _buyers(cls, count, prefix):
        """``count`` customers of one to four purchase days each."""
        partners = cls._customers(count, prefix, user_id=cls.salesman.id)
        specs = []
        for index, partner in enumerate(partners):
            step = index % 30
            specs += [(partner, 20.0 + 5 * step + index,
                       AS_OF - timedelta(days=300 - step * 5 - visit * (10 + step)))
                      for visit in range(1 + step % 4)]
        cls._orders_on(specs)
        return partners

    def _rows(self):
        self.env.flush_all()
        Value = self.env["crm.customer.value"].sudo()
        History = self.env["crm.customer.value.history"].sudo()
        domain = [("company_id", "=", self.company.id)]
        values = Value.search(domain).read(list(VALUE_FIELDS))
        history = History.search(domain).read(list(HISTORY_FIELDS))
        warnings = self.env["mail.activity"].search_count(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.partners.ids)])
        def rows(records):
            return [{**row, "id": None}
                    for row in sorted(records, key=lambda row: row["partner_id"][0])]

        return rows(values), rows(history), warnings

    def _forget(self):
        """The company as if never computed."""
        self.env["mail.activity"].search(
            [("res_model", "=", "res.partner"), ("res_id", "in", self.partners.ids)]).unlink()
        for table in ("crm_customer_value_history", "crm_customer_value", "crm_clv_model"):
            self.env.cr.execute(SQL("DELETE FROM %s WHERE company_id = %s",
                                    SQL.identifier(table), self.company.id))
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

    def test_ranges_write_what_moved_the_next_day(self):
        """The next day (no monthly snapshot) only the customers whose rows may change
        are written, chosen range by range: ranges of 4 choose and write the same rows
        as one. (In a test every order looks written during the run, so every
        customer may change: one in three, by partner, stands for those that did.)"""
        self._run(AS_OF - timedelta(days=1))
        to_write = value_labels.to_write

        def some(scores, labels, key):
            return to_write(scores, labels, key) & (scores["ids"] % 3 == 0)

        class Undo(Exception):
            pass

        with patch.object(value_labels, "to_write", some):
            with contextlib.suppress(Undo), self.env.cr.savepoint():
                model = self._run()
                whole, changed = self._rows(), model.changed_count
                raise Undo
            self.env.invalidate_all()
            with patch.object(sql_arrays, "CHUNK_ROWS", 4), \
                    patch.object(crm_analytics_engine, "PREDICT_CHUNK", 7):
                ranged = self._run()
        self.assertTrue(0 < changed < 45, changed)
        self.assertEqual(ranged.changed_count, changed)
        self.assertEqual(self._rows(), whole)

    def test_fit_on_a_sample(self):
        """Beyond ``FIT_SAMPLE`` customers the fit reads one customer in n, drawn by a
        hash of the partner's id (the same draw each time); every customer is scored
        all the same."""
        engine = self.env["crm.analytics.engine"]
        Engine = type(engine)
        fit = Engine._fit
        fitted_on = []

        def spy(self_, company, data, last):
            fitted_on.append(data.copy())
            return fit(self_, company, data, last)

        with patch.object(crm_analytics_engine, "FIT_SAMPLE", 20), \
                patch.object(Engine, "_fit", spy):
            model = self._run()
            # (the run's customer table lasts until the transaction ends)
            sample = engine._fit_data(45)
            again = engine._fit_data(45)
        self.assertEqual(model.customer_count, 45)
        # one in three (45 customers, 20 a sample)
        self.assertEqual(len(fitted_on), 1)
        self.assertTrue(5 <= len(sample) <= 25, len(sample))
        np.testing.assert_array_equal(fitted_on[0], sample)
        np.testing.assert_array_equal(again, sample)
        # the sample's figures are those of some of the customers, all of them read
        everyone = engine._fit_data(45)
        self.assertEqual(len(everyone), 45)
        rows = {tuple(row) for row in np.nan_to_num(everyone, nan=-1)}
        self.assertTrue({tuple(row) for row in np.nan_to_num(sample, nan=-1)} <= rows)
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COUNT(*) FROM crm_customer_value WHERE company_id = %s "
            "AND rfm_segment IS NOT NULL", [self.company.id])
        self.assertEqual(self.env.cr.fetchone()[0], 45)

    def test_dependents_told_by_ranges(self):
        """On a first run every customer's tier and stage move: what depends on them
        is told by ranges of ``NOTIFY_CHUNK`` partners, each once."""
        Partner = type(self.env["res.partner"])
        modified = Partner.modified
        told = []

        def spy(records, fnames, *args, **kwargs):
            if "customer_tier" in fnames:
                told.append(records.ids)
            return modified(records, fnames, *args, **kwargs)

        with patch.object(crm_analytics_engine, "NOTIFY_CHUNK", 10), \
                patch.object(Partner, "modified", spy):
            self._run()
        self.assertEqual([len(ids) for ids in told], [10, 10, 10, 10, 5])
        self.assertEqual(sorted(pid for ids in told for pid in ids), sorted(self.partners.ids))
