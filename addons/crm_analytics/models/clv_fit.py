"""BG/NBD and Gamma-Gamma models, fitted by maximum likelihood.

Pure functions over NumPy arrays, one entry per customer:

- ``x``: number of repeat transactions (transactions after the first one);
- ``t_x``: time of the last transaction, counted from the first one;
- ``T``: age of the customer, from the first transaction to the end of the period;
- ``m_x``: average value of the repeat transactions (customers with ``x > 0``).

Time is in any unit (the engine uses days); the scale parameter ``alpha`` is in that
unit, ``r``, ``a``, ``b`` do not depend on it.

Both fits maximise the log-likelihood with L-BFGS-B over the logarithms of the
parameters (so that they stay positive without bounds), given its exact gradient: some
tens of evaluations, each one pass over the customers, where the terms that depend only
on the number of repeat transactions, or only on the customer's age, are computed once
per distinct value.

References: P. S. Fader, B. G. S. Hardie, K. L. Lee, "Counting Your Customers the Easy
Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005; and "RFM and
CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research
42(4), 2005.
"""

from collections import namedtuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1

BgNbdParams = namedtuple("BgNbdParams", "r alpha a b")
GammaGammaParams = namedtuple("GammaGammaParams", "p q gamma")
FitResult = namedtuple("FitResult", "params log_likelihood success message")

# L-BFGS-B iterations at most. On a history where nobody seems to drop out, or where
# every purchase is of the same value, the likelihood has no maximum: the search stops
# on its flat slope with estimates running away (a towards 0, p and q towards
# infinity), which the engine refuses beyond a bound.
MAX_ITERATIONS = 300
# Largest derivative of the mean log-likelihood per customer (with respect to the
# logarithms of the parameters) at which a stalled search counts as a maximum.
FLAT_GRADIENT = 1e-4


def _arrays(*values):
    return [np.asarray(value, dtype=float) for value in values]


def bgnbd_log_likelihood(params, x, t_x, T):
    """Per-customer log-likelihood of the BG/NBD model (Fader et al. 2005, eq. 6),
    computed with a log-sum-exp so that large ``x`` and ``T`` do not overflow."""
    r, alpha, a, b = params
    x, t_x, T = _arrays(x, t_x, T)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    repeat = x > 0
    a4 = np.full_like(x, -np.inf)
    a4[repeat] = (np.log(a) - np.log(b + x[repeat] - 1)
                  - (r + x[repeat]) * np.log(alpha + t_x[repeat]))
    return a1 + a2 + np.logaddexp(a3, a4)


def _distinct(values):
    """Distinct values, the position of each value among them, and their counts."""
    return np.unique(values, return_inverse=True, return_counts=True)


class _BgNbdObjective:
    """Total log-likelihood of the BG/NBD model over a set of customers, and its
    gradient with respect to (r, alpha, a, b)."""

    def __init__(self, x, t_x, T):
        self.n = len(x)
        self.xs, _index, self.x_counts = _distinct(x)
        repeat = x > 0
        # customers without repeat transactions: only their age matters
        self.T0, self.T0_counts = np.unique(T[~repeat], return_counts=True)
        # repeat customers, one entry each
        self.x = x[repeat]
        self.xs1, self.x_index, _counts = _distinct(self.x)
        self.Ts, self.T_index, _counts = _distinct(T[repeat])
        self.ts, self.t_index, _counts = _distinct(t_x[repeat])

    def __call__(self, params):
        r, alpha, a, b = params
        xs, counts, n = self.xs, self.x_counts, self.n
        # terms of x alone, once per distinct x
        value = (counts @ (gammaln(r + xs) + betaln(a, b + xs))
                 + n * (r * np.log(alpha) - gammaln(r) - betaln(a, b)))
        psi_ab_x = digamma(a + b + xs)
        d_r = counts @ digamma(r + xs) + n * (np.log(alpha) - digamma(r))
        d_alpha = n * r / alpha
        d_a = counts @ (digamma(a + b) - psi_ab_x)
        d_b = counts @ (digamma(b + xs) - psi_ab_x) + n * (digamma(a + b) - digamma(b))
        # customers without repeat transactions: -r log(alpha + T)
        log_T0 = np.log(alpha + self.T0)
        value -= r * (self.T0_counts @ log_T0)
        d_r -= self.T0_counts @ log_T0
        d_alpha -= r * (self.T0_counts @ (1.0 / (alpha + self.T0)))
        # repeat customers: log(exp(alive) + exp(dropped)), alive until T or dropped
        # out after t_x
        rx = r + self.x
        log_T = np.log(alpha + self.Ts)[self.T_index]
        log_t = np.log(alpha + self.ts)[self.t_index]
        b_x = (b + self.xs1 - 1)[self.x_index]
        alive = -rx * log_T
        dropped = np.log(a) - np.log(b_x) - rx * log_t
        total = np.logaddexp(alive, dropped)
        w_dropped = np.exp(dropped - total)
        w_alive = 1.0 - w_dropped
        value += total.sum()
        d_r -= w_alive @ log_T + w_dropped @ log_t
        d_alpha -= (rx * (w_alive / (alpha + self.Ts)[self.T_index]
                          + w_dropped / (alpha + self.ts)[self.t_index])).sum()
        d_a += w_dropped.sum() / a
        d_b -= (w_dropped / b_x).sum()
        return value, np.array([d_r, d_alpha, d_a, d_b])


class _GammaGammaObjective:
    """Total log-likelihood of the Gamma-Gamma model over a set of customers, and its
    gradient with respect to (p, q, gamma)."""

    def __init__(self, x, m_x):
        self.n = len(x)
        self.xs, self.x_index, self.x_counts = _distinct(x)
        self.log_m = np.log(m_x)
        self.x = x
        self.mx = m_x * x
        # sum of x log(m_x), of log(m_x), of x log(x): constant over the fit
        self.x_log_m = float(x @ self.log_m)
        self.sum_log_m = float(self.log_m.sum())
        self.x_log_x = float(x @ np.log(x))

    def __call__(self, params):
        p, q, gamma = params
        xs, counts, n = self.xs, self.x_counts, self.n
        pxq = p * xs + q
        log_g_mx = np.log(gamma + self.mx)
        weight = p * self.x + q
        value = (counts @ (gammaln(pxq) - gammaln(p * xs))
                 + n * (q * np.log(gamma) - gammaln(q))
                 + p * self.x_log_m - self.sum_log_m + p * self.x_log_x
                 - weight @ log_g_mx)
        psi_pxq = digamma(pxq)
        d_p = (counts @ (xs * (psi_pxq - digamma(p * xs)))
               + self.x_log_m + self.x_log_x - self.x @ log_g_mx)
        d_q = counts @ psi_pxq + n * (np.log(gamma) - digamma(q)) - log_g_mx.sum()
        d_gamma = n * q / gamma - (weight / (gamma + self.mx)).sum()
        return value, np.array([d_p, d_q, d_gamma])


def _maximise(objective, start):
    """L-BFGS-B on the logarithms of the parameters, from ``start``."""
    scale = 1.0 / max(objective.n, 1)

    def negative(log_params):
        with np.errstate(all="ignore"):
            params = np.exp(log_params)
            value, gradient = objective(params)
        if not (np.isfinite(value) and np.all(np.isfinite(gradient))):
            return 1e300, np.zeros_like(log_params)
        # per customer, so that the tolerances do not depend on their number
        return -value * scale, -gradient * params * scale

    result = minimize(negative, np.log(start), jac=True, method="L-BFGS-B",
                      options={"maxiter": MAX_ITERATIONS, "ftol": 1e-13, "gtol": 1e-9})
    value = -float(result.fun) / scale
    # a line search that cannot improve any more on a flat ridge of the likelihood (a
    # direction where the data says nothing) is a maximum all the same
    success = bool(np.isfinite(result.fun) and result.fun < 1e300 and (
        result.success or np.max(np.abs(result.jac)) <= FLAT_GRADIENT))
    return np.exp(result.x), value, success, str(result.message)


def fit_bgnbd(x, t_x, T):
    """Maximum-likelihood BG/NBD parameters."""
    x, t_x, T = _arrays(x, t_x, T)
    start = [1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0]
    params, value, success, message = _maximise(_BgNbdObjective(x, t_x, T), start)
    return FitResult(BgNbdParams(*params), value, success, message)


def gamma_gamma_log_likelihood(params, x, m_x):
    """Per-customer log-likelihood of the Gamma-Gamma spend model (customers with
    ``x > 0`` repeat transactions of average value ``m_x > 0``)."""
    p, q, gamma = params
    x, m_x = _arrays(x, m_x)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(gamma)
            + (p * x - 1) * np.log(m_x) + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + m_x * x))


def fit_gamma_gamma(x, m_x):
    """Maximum-likelihood Gamma-Gamma parameters over the customers with ``x > 0`` and
    ``m_x > 0`` (the others say nothing of the spend per transaction)."""
    x, m_x = _arrays(x, m_x)
    keep = (x > 0) & (m_x > 0)
    x, m_x = x[keep], m_x[keep]
    if not len(x):
        return FitResult(GammaGammaParams(np.nan, np.nan, np.nan), np.nan, False,
                         "no repeat transaction with a positive value")
    start = [1.0, 1.0, max(float(np.mean(m_x)), 1.0)]
    params, value, success, message = _maximise(_GammaGammaObjective(x, m_x), start)
    return FitResult(GammaGammaParams(*params), value, success, message)
def _alive_odds(params, x, t_x, T):
    """a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) for x > 0, else 0."""
    r, alpha, a, b = params
    odds = np.zeros_like(x)
    repeat = x > 0
    with np.errstate(all="ignore"):
        odds[repeat] = a / (b + x[repeat] - 1) * np.exp(
            (r + x[repeat]) * (np.log(alpha + T[repeat]) - np.log(alpha + t_x[repeat]))
        )
    return odds


def probability_alive(params, x, t_x, T):
    """P(alive | x, t_x, T) under the BG/NBD model (Fader et al. 2005, eq. 11)."""
    x, t_x, T = _arrays(x, t_x, T)
    return 1.0 / (1.0 + _alive_odds(params, x, t_x, T))


def expected_purchases(params, t, x, t_x, T):
    """Expected number of transactions in the next ``t`` time units of a customer with
    history (x, t_x, T) (Fader et al. 2005, eq. 10)."""
    r, alpha, a, b = params
    x, t_x, T = _arrays(x, t_x, T)
    if t <= 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    with np.errstate(all="ignore"):
        head = (a + b + x - 1) / (a - 1)
        tail = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(
            r + x, b + x, a + b + x - 1, z)
        value = head * tail / (1.0 + _alive_odds(params, x, t_x, T))
    return np.where(np.isfinite(value), np.maximum(value, 0.0), 0.0)


def expected_average_value(params, x, m_x):
    """Expected value of a future transaction (Gamma-Gamma conditional mean); for a
    customer without repeat transactions, the population mean p * gamma / (q - 1)."""
    p, q, gamma = params
    x, m_x = _arrays(x, m_x)
    population = p * gamma / (q - 1) if q > 1 else np.nan
    with np.errstate(all="ignore"):
        conditional = (gamma + m_x * x) * p / (p * x + q - 1)
    value = np.where((x > 0) & (m_x > 0), conditional, population)
    return np.where(np.isfinite(value), value, 0.0)
