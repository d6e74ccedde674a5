from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

from odoo.tests import TransactionCase, tagged

from odoo.addons.crm_analytics.models import clv_fit

# <repository>/../shared/data/cdnow_sample.txt
CDNOW = Path(__file__).resolve().parents[3].parent / "shared" / "data" / "cdnow_sample.txt"
CALIBRATION_END = date(1997, 9, 30)


def cdnow_arrays(path=CDNOW, end=CALIBRATION_END):
    """(x, t_x, T, m_x) in days of each customer of the CDNOW sample over the
    calibration period; a transaction is a customer's purchases of one day."""
    spend = defaultdict(lambda: defaultdict(float))
    with path.open() as lines:
        for line in lines:
            _cohort_id, customer, day, _cds, amount = line.split()
            day = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            if day <= end:
                spend[customer][day] += float(amount)
    rows = []
    for days in spend.values():
        ordered = sorted(days)
        repeat = [days[day] for day in ordered[1:]]
        rows.append((len(repeat), (ordered[-1] - ordered[0]).days,
                     (end - ordered[0]).days, np.mean(repeat) if repeat else 0.0))
    return np.array(rows, dtype=float).T


@tagged("post_install", "-at_install")
class TestClvFit(TransactionCase):
    """The fitting functions reproduce the published estimates on the CDNOW sample."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        if not CDNOW.is_file():
            cls.x = None
            return
        cls.x, cls.t_x, cls.T, cls.m_x = cdnow_arrays()

    def setUp(self):
        super().setUp()
        if self.x is None:
            self.skipTest(f"the CDNOW sample is not at {CDNOW} (the project's shared data)")

    def assertWithin(self, value, expected, share, name):
        self.assertLessEqual(abs(value - expected), abs(expected) * share,
                             f"{name} = {value:.4f}, published {expected}")

    def test_sample(self):
        self.assertEqual(len(self.x), 2357)
        self.assertEqual(int(np.count_nonzero(self.x > 0)), 946)

    def test_bgnbd_fader_hardie_lee_2005(self):
        fit = clv_fit.fit_bgnbd(self.x, self.t_x, self.T)
        self.assertTrue(fit.success, fit.message)
        r, alpha, a, b = fit.params
        self.assertWithin(r, 0.243, 0.01, "r")
        self.assertWithin(alpha, 4.414 * 7, 0.01, "alpha (days)")
        self.assertWithin(a, 0.793, 0.01, "a")
        self.assertWithin(b, 2.426, 0.01, "b")
        # the published log-likelihood is in weeks: each repeat transaction's density
        # differs by the factor 7 between days and weeks
        log_likelihood_weeks = fit.log_likelihood + self.x.sum() * np.log(7)
        self.assertAlmostEqual(log_likelihood_weeks, -9582.4, delta=0.1)

    def test_gamma_gamma_fader_hardie_lee_2005(self):
        fit = clv_fit.fit_gamma_gamma(self.x, self.m_x)
        self.assertTrue(fit.success, fit.message)
        p, q, gamma = fit.params
        self.assertWithin(p, 6.25, 0.02, "p")
        self.assertWithin(q, 3.74, 0.02, "q")
        self.assertWithin(gamma, 15.44, 0.02, "gamma")

    def assertGradient(self, objective, params):
        """The objective's gradient against central differences of its value."""
        value, gradient = objective(np.asarray(params))
        self.assertTrue(np.isfinite(value))
        for index, param in enumerate(params):
            step = np.zeros(len(params))
            step[index] = 1e-6 * param
            numeric = (objective(params + step)[0] - objective(params - step)[0]) / (
                2 * step[index])
            self.assertAlmostEqual(gradient[index], numeric,
                                   delta=1e-5 * max(1.0, abs(numeric)),
                                   msg=f"derivative {index} at {params}")

    def test_gradients(self):
        """The fits follow the exact gradient: it must be the likelihood's, at points
        near and far from the estimates, and the value its sum over the customers."""
        bgnbd = clv_fit._BgNbdObjective(self.x, self.t_x, self.T)
        for params in ([0.3, 20.0, 0.7, 2.0], [2.0, 150.0, 0.05, 30.0]):
            params = np.array(params)
            self.assertAlmostEqual(
                bgnbd(params)[0],
                clv_fit.bgnbd_log_likelihood(params, self.x, self.t_x, self.T).sum(),
                places=6)
            self.assertGradient(bgnbd, params)
        repeat = (self.x > 0) & (self.m_x > 0)
        gamma_gamma = clv_fit._GammaGammaObjective(self.x[repeat], self.m_x[repeat])
        for params in ([5.0, 3.0, 12.0], [0.5, 9.0, 200.0]):
            params = np.array(params)
            self.assertAlmostEqual(
                gamma_gamma(params)[0],
                clv_fit.gamma_gamma_log_likelihood(
                    params, self.x[repeat], self.m_x[repeat]).sum(),
                places=6)
            self.assertGradient(gamma_gamma, params)

    def test_predictions(self):
        params = clv_fit.BgNbdParams(0.243, 4.414 * 7, 0.793, 2.426)
        # no repeat purchase: alive for sure under BG/NBD (nobody drops out before
        # a repeat purchase)
        self.assertEqual(clv_fit.probability_alive(params, [0], [0], [100])[0], 1.0)
        # the same frequency, a long silence: less likely alive
        alive = clv_fit.probability_alive(params, [5, 5], [200, 20], [210, 210])
        self.assertGreater(alive[0], alive[1])
        # expected purchases grow with the horizon and with the frequency
        e30, e90 = (clv_fit.expected_purchases(params, t, [3], [150], [200])[0]
                    for t in (30, 90))
        self.assertGreater(e90, e30)
        self.assertGreater(e30, 0)
        low, high = clv_fit.expected_purchases(params, 90, [1, 6], [150, 150], [200, 200])
        self.assertGreater(high, low)
        self.assertEqual(clv_fit.expected_purchases(params, 0, [3], [150], [200])[0], 0)
        # Gamma-Gamma: between the population mean and the customer's own mean
        spend = clv_fit.GammaGammaParams(6.25, 3.74, 15.44)
        population = 6.25 * 15.44 / 2.74
        own, new = clv_fit.expected_average_value(spend, [4, 0], [100.0, 0.0])
        self.assertAlmostEqual(new, population)
        self.assertTrue(population < own < 100.0)
