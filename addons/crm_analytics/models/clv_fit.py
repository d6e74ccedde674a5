"""BG/NBD and Gamma-Gamma models, fitted by maximum likelihood.

Pure functions over NumPy arrays, one entry per customer:

- ``x``: number of repeat transactions (transactions after the first one);
- ``t_x``: time of the last transaction, counted from the first one;
- ``T``: age of the customer, from the first transaction to the end of the period;
- ``m_x``: average value of the repeat transactions (customers with ``x > 0``).

Time is in any unit (the engine uses days); the scale parameter ``alpha`` is in that
unit, ``r``, ``a``, ``b`` do not depend on it.

References: P. S. Fader, B. G. S. Hardie, K. L. Lee, "Counting Your Customers the Easy
Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005; and "RFM and
CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research
42(4), 2005.
"""

from collections import namedtuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, gammaln, hyp2f1

BgNbdParams = namedtuple("BgNbdParams", "r alpha a b")
GammaGammaParams = namedtuple("GammaGammaParams", "p q gamma")
FitResult = namedtuple("FitResult", "params log_likelihood success message")


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


def fit_bgnbd(x, t_x, T):
    """Maximum-likelihood BG/NBD parameters, optimised on their logarithms (so that
    they stay positive without bounds)."""
    x, t_x, T = _arrays(x, t_x, T)
    scale = max(float(np.mean(T)), 1.0)

    def negative(log_params):
        with np.errstate(all="ignore"):
            value = -np.sum(bgnbd_log_likelihood(np.exp(log_params), x, t_x, T))
        return value if np.isfinite(value) else 1e300

    start = np.log([1.0, scale, 1.0, 1.0])
    result = minimize(negative, start, method="Nelder-Mead",
                      options={"maxiter": 20000, "maxfev": 20000,
                               "xatol": 1e-8, "fatol": 1e-8})
    result = minimize(negative, result.x, method="L-BFGS-B")
    params = BgNbdParams(*np.exp(result.x))
    return FitResult(params, -float(result.fun), bool(np.isfinite(result.fun)),
                     str(result.message))


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

    def negative(log_params):
        with np.errstate(all="ignore"):
            value = -np.sum(gamma_gamma_log_likelihood(np.exp(log_params), x, m_x))
        return value if np.isfinite(value) else 1e300

    start = np.log([1.0, 1.0, max(float(np.mean(m_x)), 1.0)])
    result = minimize(negative, start, method="Nelder-Mead",
                      options={"maxiter": 20000, "maxfev": 20000,
                               "xatol": 1e-8, "fatol": 1e-8})
    result = minimize(negative, result.x, method="L-BFGS-B")
    params = GammaGammaParams(*np.exp(result.x))
    return FitResult(params, -float(result.fun), bool(np.isfinite(result.fun)),
                     str(result.message))


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
