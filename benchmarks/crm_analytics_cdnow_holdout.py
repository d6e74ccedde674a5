#!/usr/bin/env python3
"""Holdout test of crm_analytics' purchase models (BG/NBD, MBG/NBD) on the CDNOW sample.

Usage (from the work tree root; no Odoo, no database):

    python3 benchmarks/crm_analytics_cdnow_holdout.py [--data ../shared/data/cdnow_sample.txt]

Time in days; a transaction is a customer's purchases of one day. Both models are
fitted on the calibration period (to 1997-09-30) and predict each customer's
transactions in the holdout period (to 1998-06-30). Per model it prints the parameters,
the log-likelihood, the predicted and actual holdout transactions, the mean absolute
and root mean square error per customer, for all customers, one-time buyers and repeat
buyers of the calibration period; then the model ``choose_model`` picks.
"""
import argparse
import importlib.util
from collections import defaultdict
from datetime import date
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
CLV_FIT = ROOT / "addons" / "crm_analytics" / "tools" / "clv_fit.py"
CALIBRATION_END = date(1997, 9, 30)
HOLDOUT_END = date(1998, 6, 30)


def load_clv_fit():
    """The module by its path: importing the addon's package would need Odoo."""
    spec = importlib.util.spec_from_file_location("clv_fit", CLV_FIT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def read_cdnow(path, calibration_end, holdout_end):
    """(x, t_x, T) over the calibration period and the holdout transactions of each
    customer, in days."""
    spend = defaultdict(lambda: defaultdict(float))
    with path.open() as lines:
        for line in lines:
            _cohort_id, customer, day, _cds, amount = line.split()
            day = date(int(day[:4]), int(day[4:6]), int(day[6:]))
            spend[customer][day] += float(amount)
    rows = []
    for days in spend.values():
        calibration = sorted(day for day in days if day <= calibration_end)
        if not calibration:
            continue
        holdout = sum(1 for day in days if calibration_end < day <= holdout_end)
        rows.append((len(calibration) - 1, (calibration[-1] - calibration[0]).days,
                     (calibration_end - calibration[0]).days, holdout))
    return np.array(rows, dtype=float).T


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path,
                        default=ROOT.parent / "shared" / "data" / "cdnow_sample.txt",
                        help="the CDNOW sample (default: %(default)s)")
    args = parser.parse_args()
    clv_fit = load_clv_fit()
    x, t_x, T, actual = read_cdnow(args.data, CALIBRATION_END, HOLDOUT_END)
    length = (HOLDOUT_END - CALIBRATION_END).days
    one_time = x == 0
    print(f"{len(x)} customers ({int(one_time.sum())} one-time buyers), "
          f"{int(x.sum())} repeat transactions to {CALIBRATION_END}, "
          f"{int(actual.sum())} in the {length} days to {HOLDOUT_END}")
    choice = clv_fit.choose_model(x, t_x, T, holdout=(length, actual))
    groups = (("all customers", np.ones_like(one_time)), ("one-time buyers", one_time),
              ("repeat buyers", ~one_time))
    for kind, fit in choice.fits.items():
        params = fit.params
        print(f"\n{kind}: r = {params.r:.4f}, alpha = {params.alpha:.3f} days "
              f"({params.alpha / 7:.3f} weeks), a = {params.a:.4f}, b = {params.b:.4f}"
              f"{'' if fit.success else ' (not converged)'}")
        print(f"  log-likelihood {fit.log_likelihood:.2f} in days, "
              f"{fit.log_likelihood + x.sum() * np.log(7):.2f} in weeks")
        alive = clv_fit.probability_alive(params, x, t_x, T)
        print(f"  mean probability alive: one-time buyers {alive[one_time].mean():.3f}, "
              f"repeat buyers {alive[~one_time].mean():.3f}")
        print(f"  {'holdout':<16} {'customers':>9} {'predicted':>10} {'actual':>8} "
              f"{'MAE':>7} {'RMSE':>7}")
        for name, keep in groups:
            errors = clv_fit.holdout_errors(params, length, x[keep], t_x[keep], T[keep],
                                            actual[keep])
            print(f"  {name:<16} {errors['customers']:>9} {errors['predicted']:>10.1f} "
                  f"{errors['actual']:>8.0f} {errors['mae']:>7.4f} {errors['rmse']:>7.4f}")
    print(f"\nchosen: {choice.kind} (by {choice.criterion})")


if __name__ == "__main__":
    main()
