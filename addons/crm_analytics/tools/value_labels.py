"""The labels of the customer value and the rules that give them.

Pure functions over NumPy arrays, one entry per customer of a company, as the customer
value engine (``crm.analytics.engine``) computes them in memory by range of partners:
RFM scores by quintiles and the value before each customer (the customer pyramid),
then segment, tier, lifecycle stage, value quadrant, churn signals and churn risk by
the rules of readme/USAGE.md; each customer's scores packed in one number (the scores
key the value row keeps) and which value rows may change.

Labels are numbers in memory: 1 + their index in ``LABELS`` (0: none).
"""

import numpy as np

from odoo.addons.crm_core.models.res_partner import CUSTOMER_TIERS, LIFECYCLE_STAGES

RFM_SEGMENTS = [
    ("champions", "Champions"),
    ("loyal", "Loyal"),
    ("potential_loyalist", "Potential loyalist"),
    ("new", "New"),
    ("promising", "Promising"),
    ("need_attention", "Need attention"),
    ("about_to_sleep", "About to sleep"),
    ("at_risk", "At risk"),
    ("cannot_lose", "Cannot lose"),
    ("hibernating", "Hibernating"),
    ("lost", "Lost"),
]

# Segment of each (R score, F score): rows R = 5 .. 1, columns F = 1 .. 5.
RFM_SEGMENT_GRID = {
    5: ("new", "potential_loyalist", "potential_loyalist", "champions", "champions"),
    4: ("promising", "potential_loyalist", "potential_loyalist", "loyal", "loyal"),
    3: ("about_to_sleep", "about_to_sleep", "need_attention", "loyal", "loyal"),
    2: ("hibernating", "hibernating", "at_risk", "at_risk", "cannot_lose"),
    1: ("lost", "hibernating", "at_risk", "at_risk", "cannot_lose"),
}

VALUE_QUADRANTS = [
    ("grow", "Keep and grow"),
    ("develop", "Develop"),
    ("maintain", "Maintain"),
    ("reduce", "Reduce effort"),
]

CHURN_RISKS = [
    ("low", "Low"),
    ("medium", "Medium"),
    ("high", "High"),
]

# A stored predicted value is refreshed when it moves by more than this share (5%): it
# drifts a little every day as customers age, and rewriting every customer daily
# for that would cost more than it tells
CLV_REFRESH_SHARE = 0.05
# The churn signals of a customer, as the bits of one number
SIGNAL_BITS = {"alive": 1, "overdue": 2, "spend": 4, "complaints": 8, "detractor": 16,
               "receivables": 32}
# ... those whose figures come from outside the orders
EXTERNAL_SIGNALS = SIGNAL_BITS["complaints"] | SIGNAL_BITS["detractor"] \
    | SIGNAL_BITS["receivables"]
# The company's settings the labels are computed from (read before the customers
# are, see the engine's ``_compute_values``)
LABEL_SETTINGS = (
    "crm_pyramid_key_share", "crm_pyramid_normal_share", "crm_overdue_factor",
    "crm_lifecycle_churn_days", "crm_lifecycle_churn_alive", "crm_lifecycle_decline_days",
    "crm_lifecycle_decline_alive", "crm_lifecycle_stability_orders",
    "crm_lifecycle_stability_days", "crm_lifecycle_formation_orders",
    "crm_churn_alive_threshold", "crm_churn_high_signals")
# The labels the run computes, as numbers in memory: 1 + their index (0: none); with
# the RFM scores and the churn signals, they make a customer's scores key, of these
# fields (name: bits)
SCORES_KEY = {"r_score": 3, "f_score": 3, "m_score": 3, "segment": 4, "quadrant": 3,
              "tier": 2, "stage": 3, "risk": 2, "signals": 6}
LABELS = {
    "segment": [value for value, _name in RFM_SEGMENTS],
    "quadrant": [value for value, _name in VALUE_QUADRANTS],
    "tier": [value for value, _name in CUSTOMER_TIERS],
    "stage": [value for value, _name in LIFECYCLE_STAGES],
    "risk": [value for value, _name in CHURN_RISKS],
}


def key_fields():
    """Where each field of a scores key sits (``SCORES_KEY``): name: (shift, mask)."""
    fields_at, shift = {}, 0
    for name, bits in SCORES_KEY.items():
        fields_at[name] = (shift, (1 << bits) - 1)
        shift += bits
    return fields_at


def ntile(buckets, order):
    """The bucket (1 to ``buckets``) of each row, as SQL's ``NTILE`` gives it over the
    rows sorted by ``order`` (the indices of the rows in their sorted order): buckets
    of equal size, the first ones one row larger when the rows do not divide evenly."""
    count = len(order)
    size, larger = divmod(count, buckets)
    position = np.arange(count)
    cut = larger * (size + 1)
    tiles = np.where(position < cut, position // (size + 1),
                     larger + (position - cut) // max(size, 1)) + 1
    result = np.empty(count, dtype=np.int64)
    result[order] = tiles
    return result


def rfm_scores(ids, recency, frequency, monetary):
    """The RFM scores by quintiles and the value of the customers before each one in
    the order of value (the customer pyramid), from the customers' figures (arrays):
    sorted once each in memory, ties broken by partner id, as the rules of
    readme/USAGE.md say.

    :return: r, f and m scores, the value before each customer, the total value
    """
    r_score = ntile(5, np.lexsort((-ids, -recency)))
    f_score = ntile(5, np.lexsort((-ids, frequency)))
    m_score = ntile(5, np.lexsort((-ids, monetary)))
    by_value = np.lexsort((ids, -monetary))
    before = np.empty_like(monetary)
    before[by_value] = np.cumsum(monetary[by_value]) - monetary[by_value]
    return r_score, f_score, m_score, before, float(monetary.sum())


def customer_labels(settings, scores, external):
    """Segment, tier, lifecycle stage, value quadrant, churn signals and churn risk
    of each customer of ``scores`` (see the engine's ``_customer_scores``), by the
    rules of readme/USAGE.md, as arrays in the same order: labels as numbers (see
    ``LABELS``), the signals as bits (``SIGNAL_BITS``).

    :param settings: the company's settings of ``LABEL_SETTINGS`` (name: value)
    :param external: the external signals (see the engine's ``_external_signals``)
    """
    count = len(scores["ids"])
    x, t_x, recency = scores["x"], scores["t_x"], scores["recency"]
    p_alive, clv, monetary = scores["p_alive"], scores["clv"], scores["monetary"]

    def codes(kind, *values):
        return [LABELS[kind].index(value) + 1 for value in values]

    # the segment of each (R, F) of the grid
    grid = np.zeros((6, 6), dtype=np.int64)
    for r_score, row in RFM_SEGMENT_GRID.items():
        grid[r_score, 1:] = codes("segment", *row)
    segment = grid[scores["r_score"], scores["f_score"]]
    # the customer pyramid: the share of the total value before the customer
    total, before = scores["value_total"], scores["value_before"]
    key, normal, small = codes("tier", "key", "normal", "small")
    key_share = settings["crm_pyramid_key_share"]
    tier = np.full(count, small) if total <= 0 else np.select(
        [before < total * (key_share / 100.0),
         before < total * ((key_share + settings["crm_pyramid_normal_share"]) / 100.0)],
        [key, normal], small)
    # (an unknown probability alive, NaN, is below no threshold)
    with np.errstate(divide="ignore", invalid="ignore"):
        usual_gap = np.where(x > 0, settings["crm_overdue_factor"] * t_x / x, np.inf)
    stage = np.select(
        [(recency > settings["crm_lifecycle_churn_days"])
         | (p_alive < settings["crm_lifecycle_churn_alive"] / 100.0),
         (recency > settings["crm_lifecycle_decline_days"])
         | (p_alive < settings["crm_lifecycle_decline_alive"] / 100.0)
         | ((x > 0) & (recency > usual_gap)),
         (scores["frequency"] >= settings["crm_lifecycle_stability_orders"])
         & (scores["age"] >= settings["crm_lifecycle_stability_days"]),
         scores["frequency"] >= settings["crm_lifecycle_formation_orders"]],
        codes("stage", "churned", "decline", "stability", "formation"),
        *codes("stage", "exploration"))
    quadrant = np.zeros(count, dtype=np.int64)
    if scores["predicted_limit"] is not None:
        high_now = monetary >= scores["historic_limit"]
        high_later = clv >= scores["predicted_limit"]
        quadrant = np.select(
            [np.isnan(clv), high_later & high_now, high_later, high_now],
            [0, *codes("quadrant", "grow", "develop", "maintain")],
            *codes("quadrant", "reduce"))
    # the churn signals
    partner_ids, complaints, receivables, detractor = external
    # (the external signals' rows, sorted by partner, looked up by bisection)
    at = np.minimum(np.searchsorted(partner_ids, scores["ids"]),
                    max(len(partner_ids) - 1, 0))
    found = (partner_ids[at] == scores["ids"]) if len(partner_ids) \
        else np.zeros(count, dtype=bool)

    def outside(values):
        result = np.zeros(count, dtype=values.dtype)
        result[found] = values[at[found]]
        return result

    signals = {
        "alive": p_alive < settings["crm_churn_alive_threshold"] / 100.0,
        "overdue": np.where(x > 0, recency > usual_gap,
                            recency > settings["crm_lifecycle_decline_days"]),
        "spend": scores["spend_fell"],
        "complaints": outside(complaints) > 0,
        "detractor": outside(detractor),
        "receivables": outside(receivables),
    }
    bits = sum(flags.astype(np.int64) * SIGNAL_BITS[name]
               for name, flags in signals.items())
    found_count = sum(flags.astype(np.int64) for flags in signals.values())
    risk = np.select([found_count >= settings["crm_churn_high_signals"], found_count >= 1],
                     codes("risk", "high", "medium"), *codes("risk", "low"))
    return {"segment": segment, "tier": tier, "stage": stage, "quadrant": quadrant,
            "signals": bits, "risk": risk}

def scores_key(scores, labels):
    """Each customer's RFM scores, labels and churn signals packed in one number
    (``SCORES_KEY``): stored on the value row, the next run compares it with its
    own instead of every column."""
    key = np.zeros(len(scores["ids"]), dtype=np.int64)
    for name, (shift, _mask) in key_fields().items():
        key |= np.asarray(scores[name] if name in scores else labels[name],
                          dtype=np.int64) << shift
    return key

def to_write(scores, labels, key):
    """Which customers' value rows may change (a boolean array in the order of
    ``scores``): those whose figures may differ from the row's (``touched``) or
    who have no scores yet, those whose scores key (``scores_key``) or predicted
    value (by more than ``CLV_REFRESH_SHARE``, about: the write compares the
    exact amounts) differ, those with churn signals from outside the orders
    (whose figures may have moved) and those at high risk without a churn
    warning, unless churned (by the engine, without a manager's correction).
    The others' rows hold what the run computed already."""
    old = scores["old"]
    clv, old_clv = scores["clv"], old["clv"]
    with np.errstate(invalid="ignore"):
        # (NaN, no predicted value, compares to nothing: told by isnan)
        drift = np.abs(old_clv - clv) > 0.99 * CLV_REFRESH_SHARE * np.maximum(
            np.abs(old_clv), 1)
    shift, mask = key_fields()["signals"]
    # (a row without a key, -1, had no signals to speak of)
    old_signals = np.where(old["key"] < 0, 0, (old["key"] >> shift) & mask)
    external = ((labels["signals"] | old_signals) & EXTERNAL_SIGNALS) > 0
    warn = (labels["risk"] == LABELS["risk"].index("high") + 1) & ~old["alerted"] & (
        (labels["stage"] != LABELS["stage"].index("churned") + 1) | old["manual_stage"])
    return scores["touched"] | ~old["scored"] | (old["key"] != key) \
        | (np.isnan(old_clv) != np.isnan(clv)) | drift | external | warn
