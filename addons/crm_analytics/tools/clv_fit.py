"""BG/NBD, MBG/NBD and Gamma-Gamma models, fitted by maximum likelihood.

Pure functions over NumPy arrays, one entry per customer:

- ``x``: number of repeat transactions (transactions after the first one);
- ``t_x``: time of the last transaction, counted from the first one (0 when ``x = 0``);
- ``T``: age of the customer, from the first transaction to the end of the period;
- ``m_x``: average value of the repeat transactions (customers with ``x > 0``).

Time is in any unit (the engine uses days); the scale parameter ``alpha`` is in that
unit, ``r``, ``a``, ``b`` do not depend on it.

Two models of the purchases, with the same four parameters (r, alpha, a, b): a customer
buys at a Poisson rate (gamma distributed over the customers) until dropping out, with
a probability (beta distributed) at each chance to drop out.

- BG/NBD (``"bgnbd"``): the chances come after each repeat purchase. A customer without
  repeat purchase cannot have dropped out: probability alive 1, whatever the silence.
- MBG/NBD (``"mbgnbd"``): a chance also comes right after the first purchase, so a
  one-time buyer may be gone, the more likely the longer the silence.

The parameters' type carries the model (``BgNbdParams``, ``MbgNbdParams``);
``probability_alive`` and ``expected_purchases`` follow it, or their ``model`` argument
for a plain tuple. ``choose_model`` fits both and keeps the one that predicts a holdout
period best, or else the likelier one.

The spend per transaction follows the Gamma-Gamma model; ``expected_average_value`` can
take a one-time buyer's first spend as the one transaction seen, rather than give every
one of them the population mean.

The fits maximise the log-likelihood with L-BFGS-B over the logarithms of the
parameters (so that they stay positive without bounds), given its exact gradient: some
tens of evaluations, each one pass over the customers, where the terms that depend only
on the number of repeat transactions, or only on the customer's age, are computed once
per distinct value.

References: P. S. Fader, B. G. S. Hardie, K. L. Lee, "Counting Your Customers the Easy
Way: An Alternative to the Pareto/NBD Model", Marketing Science 24(2), 2005; and "RFM and
CLV: Using Iso-Value Curves for Customer Base Analysis", Journal of Marketing Research
42(4), 2005. E. P. Batislam, M. Denizel, A. Filiztekin, "Empirical Validation and
Comparison of Models for Customer Base Analysis", International Journal of Research in
Marketing 24(3), 2007 (the MBG/NBD model); U. Wagner, D. Hoppe, "Erratum on the MBG/NBD
Model", International Journal of Research in Marketing 25(3), 2008.
"""

from collections import namedtuple

import numpy as np
from scipy.optimize import minimize
from scipy.special import betaln, digamma, gammaln, hyp2f1


class BgNbdParams(namedtuple("BgNbdParams", "r alpha a b")):
    """Parameters of the BG/NBD model."""

    __slots__ = ()
    kind = "bgnbd"


class MbgNbdParams(namedtuple("MbgNbdParams", "r alpha a b")):
    """Parameters of the MBG/NBD model."""

    __slots__ = ()
    kind = "mbgnbd"


# the parameters' type of each purchase model, by kind
PURCHASE_MODELS = {"bgnbd": BgNbdParams, "mbgnbd": MbgNbdParams}

GammaGammaParams = namedtuple("GammaGammaParams", "p q gamma")
FitResult = namedtuple("FitResult", "params log_likelihood success message")
ModelChoice = namedtuple("ModelChoice", "kind fit fits metrics criterion")

# L-BFGS-B iterations at most. On a history where nobody seems to drop out, or where
# every purchase is of the same value, the likelihood has no maximum: the search stops
# on its flat slope with estimates running away (a towards 0, p and q towards
# infinity), which the engine refuses beyond a bound.
MAX_ITERATIONS = 300
# Largest derivative of the mean log-likelihood per customer (with respect to the
# logarithms of the parameters) at which a stalled search counts as a maximum.
FLAT_GRADIENT = 1e-4
# Largest estimate that ``choose_model`` takes as a maximum of the likelihood rather
# than one running away (the engine's bound).
MAX_PARAMETER = 1e8
# Within this distance of a = 1, the expected purchases (0/0 at a = 1) are taken from
# both sides.
A_NEAR_ONE = 1e-6


def _arrays(*values):
    return [np.asarray(value, dtype=float) for value in values]


def _purchase_arrays(x, t_x, T):
    x, t_x, T = _arrays(x, t_x, T)
    # without repeat transaction, the last one is the first one
    return x, np.where(x > 0, t_x, 0.0), T


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


def mbgnbd_log_likelihood(params, x, t_x, T):
    """Per-customer log-likelihood of the MBG/NBD model (Batislam et al. 2007):

    L = Gamma(r + x) alpha^r / Gamma(r) * B(a, b + x + 1) / B(a, b)
        * [(alpha + T)^-(r + x) + a / (b + x) * (alpha + t_x)^-(r + x)]

    alive at T after x + 1 chances to drop out, or gone at the last one, at t_x (at 0
    for a one-time buyer)."""
    r, alpha, a, b = params
    x, t_x, T = _purchase_arrays(x, t_x, T)
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = betaln(a, b + x + 1) - betaln(a, b)
    a3 = -(r + x) * np.log(alpha + T)
    a4 = np.log(a) - np.log(b + x) - (r + x) * np.log(alpha + t_x)
    return a1 + a2 + np.logaddexp(a3, a4)


def _distinct(values):
    """Distinct values, the position of each value among them, and their counts."""
    return np.unique(values, return_inverse=True, return_counts=True)


def _alive_or_gone(a, rx, T, t, b_x, weights=None):
    """Sum of log(exp(alive) + exp(gone)) over customers, alive = -rx log(alpha + T),
    gone = log(a / b_x) - rx log(alpha + t), and its derivatives with respect to r,
    alpha, a, b; ``T`` and ``t`` are (log(alpha + age), 1 / (alpha + age)) pairs."""
    log_T, inv_T = T
    log_t, inv_t = t
    alive = -rx * log_T
    gone = np.log(a) - np.log(b_x) - rx * log_t
    total = np.logaddexp(alive, gone)
    w_gone = np.exp(gone - total)
    w_alive = 1.0 - w_gone
    if weights is None:
        weights = np.ones_like(total)
    return np.array([
        weights @ total,
        -(weights @ (w_alive * log_T + w_gone * log_t)),
        -(weights @ (rx * (w_alive * inv_T + w_gone * inv_t))),
        weights @ w_gone / a,
        -(weights @ (w_gone / b_x)),
    ])


class _BgNbdObjective:
    """Total log-likelihood of the BG/NBD model over a set of customers, and its
    gradient with respect to (r, alpha, a, b)."""

    # the MBG/NBD model: b + 1 in the beta terms, a chance to drop out at time 0
    modified = False

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
        b1 = b + 1 if self.modified else b
        # terms of x alone, once per distinct x
        value = (counts @ (gammaln(r + xs) + betaln(a, b1 + xs))
                 + n * (r * np.log(alpha) - gammaln(r) - betaln(a, b)))
        psi_ab_x = digamma(a + b1 + xs)
        d_r = counts @ digamma(r + xs) + n * (np.log(alpha) - digamma(r))
        d_alpha = n * r / alpha
        d_a = counts @ (digamma(a + b) - psi_ab_x)
        d_b = counts @ (digamma(b1 + xs) - psi_ab_x) + n * (digamma(a + b) - digamma(b))
        gradient = np.array([d_r, d_alpha, d_a, d_b])
        # customers without repeat transactions: alive until T (BG/NBD); or gone at 0
        T0 = (np.log(alpha + self.T0), 1.0 / (alpha + self.T0))
        if self.modified:
            at_0 = (np.log(alpha), 1.0 / alpha)
            terms = _alive_or_gone(a, r, T0, at_0, b, self.T0_counts)
            value += terms[0]
            gradient += terms[1:]
        else:
            value -= r * (self.T0_counts @ T0[0])
            gradient[0] -= self.T0_counts @ T0[0]
            gradient[1] -= r * (self.T0_counts @ T0[1])
        # repeat customers: alive until T or gone after t_x
        rx = r + self.x
        T = (np.log(alpha + self.Ts)[self.T_index], (1.0 / (alpha + self.Ts))[self.T_index])
        t = (np.log(alpha + self.ts)[self.t_index], (1.0 / (alpha + self.ts))[self.t_index])
        b_x = (b1 + self.xs1 - 1)[self.x_index]
        terms = _alive_or_gone(a, rx, T, t, b_x)
        return value + terms[0], gradient + terms[1:]


class _MbgNbdObjective(_BgNbdObjective):
    """Total log-likelihood of the MBG/NBD model over a set of customers, and its
    gradient with respect to (r, alpha, a, b)."""

    modified = True


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


def _start(start, default):
    """``start`` (estimates to begin from: the last ones, often) when usable, else
    ``default``."""
    if start is not None and all(np.isfinite(v) and 0 < v < MAX_PARAMETER for v in start):
        return [float(v) for v in start]
    return default


def fit_bgnbd(x, t_x, T, start=None):
    """Maximum-likelihood BG/NBD parameters (from the estimates ``start``, if given)."""
    x, t_x, T = _arrays(x, t_x, T)
    start = _start(start, [1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0])
    params, value, success, message = _maximise(_BgNbdObjective(x, t_x, T), start)
    return FitResult(BgNbdParams(*params), value, success, message)


def fit_mbgnbd(x, t_x, T, start=None):
    """Maximum-likelihood MBG/NBD parameters (from the estimates ``start``, if given)."""
    x, t_x, T = _purchase_arrays(x, t_x, T)
    start = _start(start, [1.0, max(float(np.mean(T)), 1.0), 1.0, 1.0])
    params, value, success, message = _maximise(_MbgNbdObjective(x, t_x, T), start)
    return FitResult(MbgNbdParams(*params), value, success, message)


def gamma_gamma_log_likelihood(params, x, m_x):
    """Per-customer log-likelihood of the Gamma-Gamma spend model (customers with
    ``x > 0`` repeat transactions of average value ``m_x > 0``)."""
    p, q, gamma = params
    x, m_x = _arrays(x, m_x)
    return (gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(gamma)
            + (p * x - 1) * np.log(m_x) + p * x * np.log(x)
            - (p * x + q) * np.log(gamma + m_x * x))


def fit_gamma_gamma(x, m_x, start=None):
    """Maximum-likelihood Gamma-Gamma parameters over the customers with ``x > 0`` and
    ``m_x > 0`` (the others say nothing of the spend per transaction), from the
    estimates ``start``, if given."""
    x, m_x = _arrays(x, m_x)
    keep = (x > 0) & (m_x > 0)
    x, m_x = x[keep], m_x[keep]
    if not len(x):
        return FitResult(GammaGammaParams(np.nan, np.nan, np.nan), np.nan, False,
                         "no repeat transaction with a positive value")
    start = _start(start, [1.0, 1.0, max(float(np.mean(m_x)), 1.0)])
    params, value, success, message = _maximise(_GammaGammaObjective(x, m_x), start)
    return FitResult(GammaGammaParams(*params), value, success, message)
def _model_kind(params, model=None):
    """The purchase model of ``params``: ``model`` when given, else the kind of the
    parameters' type, BG/NBD for a plain tuple."""
    kind = getattr(params, "kind", None)
    if model is None:
        return kind or "bgnbd"
    if model not in PURCHASE_MODELS:
        raise ValueError(f"unknown purchase model {model!r}, expected one of "
                         f"{', '.join(PURCHASE_MODELS)}")
    if kind and kind != model:
        raise ValueError(f"{type(params).__name__} given for the {model} model")
    return model


def _alive_odds(params, x, t_x, T, kind="bgnbd"):
    """Odds of having dropped out against being alive:
    a / (b + x - 1) * ((alpha + T) / (alpha + t_x)) ** (r + x) for x > 0, else 0
    (BG/NBD); a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x) (MBG/NBD)."""
    r, alpha, a, b = params
    odds = np.zeros_like(x)
    drop = x > 0 if kind == "bgnbd" else np.ones_like(x, dtype=bool)
    b_x = b + x[drop] - (1 if kind == "bgnbd" else 0)
    with np.errstate(all="ignore"):
        odds[drop] = a / b_x * np.exp(
            (r + x[drop]) * (np.log(alpha + T[drop]) - np.log(alpha + t_x[drop])))
    return odds


def probability_alive(params, x, t_x, T, model=None):
    """P(alive | x, t_x, T): under the BG/NBD model (Fader et al. 2005, eq. 11), 1 for
    a customer without repeat transactions; under the MBG/NBD model
    1 / (1 + a / (b + x) * ((alpha + T) / (alpha + t_x)) ** (r + x)), below 1 for
    everyone.

    :param model: ``"bgnbd"`` or ``"mbgnbd"``; by default the kind of ``params``
        (``BgNbdParams``, ``MbgNbdParams``), BG/NBD for a plain tuple
    """
    kind = _model_kind(params, model)
    x, t_x, T = _purchase_arrays(x, t_x, T)
    return 1.0 / (1.0 + _alive_odds(params, x, t_x, T, kind))


def _purchases_if_alive(r, alpha, a, b, t, x, T):
    """Expected transactions in the next ``t`` of a customer alive at T, given x:
    (a + b + x - 1) / (a - 1)
    * [1 - ((alpha + T) / (alpha + T + t)) ** (r + x) * 2F1(r + x, b + x; a + b + x - 1; z)]
    with z = t / (alpha + T + t), times P(x, alive) / P(x)."""
    z = t / (alpha + T + t)
    head = (a + b + x - 1) / (a - 1)
    tail = 1 - np.exp((r + x) * (np.log(alpha + T) - np.log(alpha + T + t))) * hyp2f1(
        r + x, b + x, a + b + x - 1, z)
    return head * tail


def expected_purchases(params, t, x, t_x, T, model=None):
    """Expected number of transactions in the next ``t`` time units of a customer with
    history (x, t_x, T): Fader et al. 2005, eq. 10, for the BG/NBD model; the same with
    b + 1 in place of b, divided by 1 + a / (b + x) * ((alpha + T) / (alpha + t_x))
    ** (r + x) whatever x, for the MBG/NBD model.

    The closed form is 0/0 at a = 1 (finite on both sides, below and above 1): near 1,
    it is the mean of both sides.

    :param model: as for ``probability_alive``
    """
    kind = _model_kind(params, model)
    r, alpha, a, b = params
    x, t_x, T = _purchase_arrays(x, t_x, T)
    if t <= 0:
        return np.zeros_like(x)
    # the MBG/NBD customer alive at T has survived one more chance to drop out
    b_alive = b + 1 if kind == "mbgnbd" else b
    with np.errstate(all="ignore"):
        if abs(a - 1) < A_NEAR_ONE:
            value = 0.5 * sum(_purchases_if_alive(r, alpha, side, b_alive, t, x, T)
                              for side in (1 - A_NEAR_ONE, 1 + A_NEAR_ONE))
        else:
            value = _purchases_if_alive(r, alpha, a, b_alive, t, x, T)
        value = value / (1.0 + _alive_odds(params, x, t_x, T, kind))
    return np.where(np.isfinite(value), np.maximum(value, 0.0), 0.0)


def holdout_errors(params, length, x, t_x, T, actual, model=None):
    """How the predicted transactions of the next ``length`` time units after the
    calibration period (x, t_x, T) match the ``actual`` ones, per customer.

    :return: dict of ``predicted`` and ``actual`` (totals), ``mae`` and ``rmse`` (mean
        absolute and root mean square error per customer), ``customers``
    """
    x, t_x, T, actual = _arrays(x, t_x, T, actual)
    if actual.shape != x.shape:
        raise ValueError(f"{actual.size} holdout counts for {x.size} customers")
    predicted = expected_purchases(params, length, x, t_x, T, model)
    error = predicted - actual
    count = len(x)
    return {
        "predicted": float(predicted.sum()),
        "actual": float(actual.sum()),
        "mae": float(np.abs(error).mean()) if count else 0.0,
        "rmse": float(np.sqrt((error ** 2).mean())) if count else 0.0,
        "customers": count,
    }


def _usable(fit):
    """A converged fit whose estimates did not run away."""
    params = np.asarray(fit.params, dtype=float)
    return bool(fit.success and np.all(np.isfinite(params))
                and np.all((params > 0) & (params < MAX_PARAMETER)))


def choose_model(x, t_x, T, holdout=None, starts=None):
    """Fit the BG/NBD and the MBG/NBD models on (x, t_x, T) and choose one.

    The rule: only a usable fit (converged, every estimate positive and below
    ``MAX_PARAMETER``) is a candidate. With a holdout, the candidate with the lower mean
    absolute error per customer of the predicted holdout transactions wins, the higher
    log-likelihood breaking a tie; it measures what the engine uses the model for,
    predicting. Without one, the higher log-likelihood wins: both models have four
    parameters, so this is also the choice by AIC or BIC. An exact tie goes to BG/NBD.

    :param holdout: None, or (length, actual): the length of the period after the
        calibration one, in the time unit of ``T``, and each customer's number of
        transactions in it
    :param starts: the estimates to begin each fit from, by kind (optional)
    :return: ``ModelChoice(kind, fit, fits, metrics, criterion)``: ``kind`` the winner
        (``"bgnbd"``, ``"mbgnbd"``, None when neither fit is usable) and ``fit`` its
        ``FitResult``; ``fits`` and ``metrics`` by kind, the metrics a dict of
        ``log_likelihood``, ``usable`` and, with a holdout, ``holdout_predicted``,
        ``holdout_actual`` (totals), ``holdout_mae``, ``holdout_rmse`` (None without);
        ``criterion`` what decided: ``"holdout_mae"``, ``"log_likelihood"``, ``"usable"``
        (one candidate only) or None
    """
    x, t_x, T = _purchase_arrays(x, t_x, T)
    starts = starts or {}
    fits = {"bgnbd": fit_bgnbd(x, t_x, T, starts.get("bgnbd")),
            "mbgnbd": fit_mbgnbd(x, t_x, T, starts.get("mbgnbd"))}
    metrics = {}
    for kind, fit in fits.items():
        usable = _usable(fit)
        errors = {}
        if holdout is not None and usable:
            length, actual = holdout
            errors = holdout_errors(fit.params, length, x, t_x, T, actual)
        metrics[kind] = {
            "log_likelihood": float(fit.log_likelihood),
            "usable": usable,
            **{f"holdout_{name}": errors.get(name)
               for name in ("predicted", "actual", "mae", "rmse")},
        }
    candidates = [kind for kind in fits if metrics[kind]["usable"]]
    if not candidates:
        return ModelChoice(None, None, fits, metrics, None)
    if len(candidates) == 1:
        criterion = "usable"
    elif holdout is not None:
        criterion = "holdout_mae"
    else:
        criterion = "log_likelihood"

    def rank(kind):
        mae = metrics[kind]["holdout_mae"] if criterion == "holdout_mae" else 0.0
        return mae, -metrics[kind]["log_likelihood"]

    # min keeps the first of equals: BG/NBD
    kind = min(candidates, key=rank)
    return ModelChoice(kind, fits[kind], fits, metrics, criterion)


def expected_average_value(params, x, m_x, first_spend=None):
    """Expected value of a future transaction: the Gamma-Gamma conditional mean
    (gamma + m_x x) p / (p x + q - 1) of a customer with ``x > 0`` repeat transactions
    of average value ``m_x``.

    A customer without repeat transactions gets the population mean p gamma / (q - 1);
    or, given its ``first_spend > 0`` (one value per customer, or one for all), the
    conditional mean with that one transaction seen, (gamma + first_spend) p / (p + q - 1):
    between its own spend and the population mean, nearer the latter than a repeat
    buyer's. The fit leaves first transactions out (Fader et al. 2005, iso-value
    curves); here the first one stands in for the repeat ones nobody has seen yet.
    """
    p, q, gamma = params
    x, m_x = _arrays(x, m_x)
    population = p * gamma / (q - 1) if q > 1 else np.nan
    with np.errstate(all="ignore"):
        conditional = (gamma + m_x * x) * p / (p * x + q - 1)
    value = np.where((x > 0) & (m_x > 0), conditional, population)
    if first_spend is not None:
        first = np.broadcast_to(np.asarray(first_spend, dtype=float), x.shape)
        one_time = (x == 0) & (first > 0)
        with np.errstate(all="ignore"):
            own = np.where(p + q > 1, (gamma + first) * p / (p + q - 1), np.nan)
        value = np.where(one_time, own, value)
    return np.where(np.isfinite(value), value, 0.0)
