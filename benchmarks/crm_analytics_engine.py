#!/usr/bin/env python3
"""Benchmark of crm_analytics' customer value engine at 100,000 customers and
1,000,000 confirmed orders.

Usage (from the work tree root, against a database where crm_analytics is installed):

    python3 benchmarks/crm_analytics_engine.py -d <db> [--customers 100000] [--orders 1000000]

In a company of its own, it fills the customers and two years of their orders, drawn
from the purchase and drop-out processes the engine's models assume (customers buying
at rates of their own, some of them stopping), inserted set-based; then prints the
wall time of

- one plain aggregate over the same orders (``GROUP BY partner``: count, sum, last date;
  the best of three runs);
- the engine's ``run()``: RFM, pyramid, BG/NBD and Gamma-Gamma fit, predictions,
  lifecycle, matrix, churn warning, the customers' update and the history rows;

their ratio, the time of each of the engine's steps, its query count and the process's
peak resident size (getrusage);
with --trace-memory, also the engine's peak Python memory (tracemalloc, NumPy's arrays
included), which slows Python down, so the wall time of that run is not comparable.

It works on a copy of the database (``<db>_engine_benchmark``, dropped at the end: the
database is left as found), where the fill, each run and the next day's orders are
committed, as the nightly job's runs are, and the tables are analyzed after the fill
as the server's autovacuum does after a million new orders.
"""
import argparse
import resource
import time
import tracemalloc
from contextlib import contextmanager
from datetime import timedelta

import numpy as np
from _odoo import ROOT, configure

DAYS = 730
# orders inserted per statement by the fill
ORDER_BATCH = 500_000


def simulate(customers, orders, days, seed=42):
    """Purchase histories drawn from the BG/NBD and Gamma-Gamma processes, so that some
    customers drop out as real ones do: each customer buys at a rate of its own (gamma
    distributed), may stop after each repeat purchase (with a probability of its own,
    beta distributed), and spends around a level of its own. The purchase rates are
    scaled until the repeat orders number about ``orders``.

    :return: (customer index, day, amount) of each order, day 0 being the oldest
    """
    rng = np.random.default_rng(seed)
    first = rng.integers(0, days, customers)
    age = days - first
    rate = rng.gamma(0.9, 1 / 30.0, customers)
    stop = rng.beta(1.0, 9.0, customers)
    level = rng.gamma(3.5, 1 / 0.05, customers)
    scale = 1.0
    for _attempt in range(10):
        state = np.random.default_rng(seed + 1)
        arrivals = state.poisson(rate * scale * age)
        before_stop = state.geometric(stop)
        repeat = np.minimum(arrivals, before_stop)
        total = int(repeat.sum())
        if abs(total - orders) <= orders * 0.01:
            break
        scale *= orders / max(total, 1)
    # the repeat purchases of a customer: its first ``repeat`` arrivals, an arrival
    # being uniform over its age (Poisson process given the number of arrivals)
    owner = np.repeat(np.arange(customers), arrivals)
    times = state.random(len(owner)) * np.repeat(age, arrivals)
    order = np.lexsort((times, owner))
    owner, times = owner[order], times[order]
    starts = np.repeat(np.cumsum(arrivals) - arrivals, arrivals)
    kept = (np.arange(len(owner)) - starts) < np.repeat(repeat, arrivals)
    owner, times = owner[kept], times[kept]
    index = np.concatenate([np.arange(customers), owner])
    day = np.concatenate([first, first[owner] + np.floor(times).astype(int)])
    amount = np.round(state.gamma(6.0, level[index] / 6.0), 2) + 1
    return index, np.minimum(day, days - 1), amount


def fill(env, customers, orders, SQL):
    """A company of its own, ``customers`` customers and their simulated orders over
    the two years up to yesterday (written when placed), inserted set-based."""
    cr = env.cr
    company = env["res.company"].create({"name": "Benchmark Company (crm_analytics)"})
    cr.execute(SQL(
        """
        INSERT INTO res_partner (name, complete_name, active, is_company, type, lang,
                                 autopost_bills, create_date, write_date, create_uid,
                                 write_uid)
        SELECT 'Bench Customer ' || n, 'Bench Customer ' || n, TRUE, TRUE, 'contact',
               'en_US', 'ask', NOW(), NOW(), 1, 1
          FROM generate_series(1, %s) n
        RETURNING id
        """,
        customers,
    ))
    ids = np.array(sorted(row[0] for row in cr.fetchall()))
    # each customer followed by one of ten salespeople, who get the churn warnings
    salespeople = env["res.users"].with_context(no_reset_password=True).create([{
        "name": f"Bench Salesperson {n}", "login": f"bench.salesperson.{n}",
        "company_id": company.id, "company_ids": [(6, 0, [company.id])],
        "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
    } for n in range(10)])
    cr.execute(SQL(
        """UPDATE res_partner p
              SET commercial_partner_id = p.id,
                  user_id = (%s::integer[])[1 + mod(p.id, 10)]
            WHERE p.id = ANY(%s)""",
        salespeople.ids, ids.tolist()))
    index, day, amount = simulate(customers, orders, DAYS)
    # in batches: one statement's parameters stay far below PostgreSQL's 1 GB limit
    for start in range(0, len(index), ORDER_BATCH):
        batch = slice(start, start + ORDER_BATCH)
        cr.execute(SQL(
            """
            INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                    partner_shipping_id, company_id, currency_id, state,
                                    date_order, amount_untaxed, amount_tax, amount_total,
                                    currency_rate, create_date, write_date, create_uid,
                                    write_uid)
            SELECT 'BENCH/' || (%(start)s + o.n), o.p, o.p, o.p, %(company)s,
                   %(currency)s, 'sale', o.placed, o.amount, 0, o.amount, 1, o.placed,
                   o.placed, 1, 1
              FROM (SELECT *, date_trunc('day', NOW() AT TIME ZONE 'UTC')
                              - (%(days)s - day) * INTERVAL '1 day'
                              + INTERVAL '10 hours' AS placed
                      FROM unnest(%(partners)s::integer[], %(day)s::integer[],
                                  %(amount)s::numeric[])
                           WITH ORDINALITY AS o(p, day, amount, n)) AS o
            """,
            start=start, company=company.id, currency=company.currency_id.id, days=DAYS,
            partners=ids[index[batch]].tolist(), day=day[batch].tolist(),
            amount=amount[batch].tolist(),
        ))
    # what autovacuum does after a commit: the planner must know the tables grew
    cr.execute(SQL("ANALYZE res_partner, sale_order"))
    env.invalidate_all()
    return company, len(index)


STEPS = ("_insert_customers", "_fit_and_predict", "_compute_values", "_write_values",
         "_insert_history", "_alert_churn", "_notify_dependents")


@contextmanager
def timed_steps(engine_class, times):
    """Time each step of the engine's run (wall time, summed per step)."""
    originals = {name: getattr(engine_class, name) for name in STEPS}

    def timer(name, method):
        def step(self, *args, **kwargs):
            start = time.perf_counter()
            try:
                return method(self, *args, **kwargs)
            finally:
                times[name] = times.get(name, 0.0) + time.perf_counter() - start
        return step

    for name, method in originals.items():
        setattr(engine_class, name, timer(name, method))
    try:
        yield times
    finally:
        for name, method in originals.items():
            setattr(engine_class, name, method)


def report_steps(steps, model):
    for name in STEPS:
        print(f"  {name:<26} {steps.get(name, 0.0):8.2f} s")
    print(f"  value rows changed: {model.changed_count}, retention activities: "
          f"{model.churn_warning_count}, customers at high risk with nobody to warn: "
          f"{model.churn_unwarned_count}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000,
                        help="repeat orders, about (each customer also has a first one)")
    parser.add_argument("--trace-memory", action="store_true",
                        help="also trace the engine's peak Python memory (tracemalloc), "
                        "which slows Python down: the wall time is then not comparable")
    args = parser.parse_args()

    # a copy of the database, dropped at the end: each run is a transaction of its
    # own, as the nightly job's are, on tables analyzed as the server's autovacuum
    # leaves them after a million new orders
    copy = f"{args.database}_engine_benchmark"
    configure(args.database, args.config)
    from odoo.modules.registry import Registry

    drop_database(copy)
    copy_database(args.database, copy)
    try:
        run_on(Registry(copy), args)
    finally:
        drop_database(copy)
    print(f"dropped {copy}: {args.database} is left as it was")


def _on_server(statement):
    """Run ``statement`` (SQL) outside a transaction, from the server's maintenance
    database."""
    from contextlib import closing

    from odoo.sql_db import db_connect

    with closing(db_connect("postgres").cursor()) as cr:
        # CREATE and DROP DATABASE run outside a transaction
        cr._cnx.autocommit = True
        cr.execute(statement)


def copy_database(source, copy):
    """``copy`` made from ``source`` as a template (nobody may be connected to it)."""
    from odoo.tools import SQL

    _on_server(SQL("CREATE DATABASE %s TEMPLATE %s", SQL.identifier(copy),
                   SQL.identifier(source)))


def drop_database(name):
    """Drop the database ``name``, if it exists, and this process's connections to it."""
    from odoo.modules.registry import Registry
    from odoo.sql_db import close_db
    from odoo.tools import SQL

    Registry.delete(name)
    close_db(name)
    _on_server(SQL("DROP DATABASE IF EXISTS %s", SQL.identifier(name)))


def run_on(registry, args):
    """Fill, then time the aggregate, the first run and the next day's run, each
    committed."""
    from odoo import SUPERUSER_ID, api, fields
    from odoo.tools import SQL

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        company, count = fill(env, args.customers, args.orders, SQL)
        env.flush_all()
        cr.commit()
        cr.execute(SQL("ANALYZE sale_order, res_partner"))
        cr.commit()
        print(f"fill {args.customers} customers, {count} orders: "
              f"{time.perf_counter() - start:8.2f} s")
        env = env(context={"allowed_company_ids": [company.id]})

        # the best of three: the figure every ratio divides by, least disturbed
        # by whatever else the machine does
        aggregate = float("inf")
        for _attempt in range(3):
            start = time.perf_counter()
            cr.execute(SQL(
                """SELECT so.partner_id, COUNT(*), SUM(so.amount_untaxed),
                          MAX(so.date_order)
                     FROM sale_order so
                    WHERE so.company_id = %s AND so.state = 'sale'
                 GROUP BY so.partner_id""",
                company.id,
            ))
            groups = len(cr.fetchall())
            aggregate = min(aggregate, time.perf_counter() - start)
        print(f"plain GROUP BY partner ({groups} groups):  {aggregate:8.2f} s")

        queries = cr.sql_log_count
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        if args.trace_memory:
            tracemalloc.start()
        engine_class = type(env["crm.analytics.engine"])
        with timed_steps(engine_class, {}) as steps:
            start = time.perf_counter()
            model = env["crm.analytics.engine"].run()
            cr.commit()
            engine = time.perf_counter() - start
        if args.trace_memory:
            _current, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        queries = cr.sql_log_count - queries
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"engine run ({model.customer_count} customers, {model.state}): "
              f"{engine:8.2f} s, {queries} queries"
              + (" (slowed down by tracemalloc)" if args.trace_memory else ""))
        first = engine
        print(f"engine / aggregate: {engine / aggregate:6.1f}x (aim: 10x for a first run)")
        report_steps(steps, model)
        history = env["crm.customer.value.history"]

        def history_rows(model):
            return history.search_count([("company_id", "=", model.company_id.id),
                                         ("as_of", "=", model.as_of)])

        print(f"  history rows: {history_rows(model)}")
        if args.trace_memory:
            print(f"engine peak Python memory (tracemalloc): {peak / 2**20:8.1f} MiB")
        print(f"process peak resident memory (getrusage): {rss:8.1f} MiB "
              f"({rss_before:.1f} MiB before the engine ran)")
        if model.reason:
            print(f"model: {model.reason}")
        if model.state == "fitted":
            print(f"fit ({model.model_kind}): r={model.bgnbd_r:.3f} "
                  f"alpha={model.bgnbd_alpha:.3f} a={model.bgnbd_a:.3f} "
                  f"b={model.bgnbd_b:.3f} p={model.gg_p:.3f} "
                  f"q={model.gg_q:.3f} gamma={model.gg_gamma:.3f}")

        # the next day's run: a day of new orders (written now, after the first
        # run: their customers are counted again in full), warnings only for new
        # episodes
        cr.execute(SQL(
            """INSERT INTO sale_order (name, partner_id, partner_invoice_id,
                                   partner_shipping_id, company_id, currency_id,
                                   state, date_order, amount_untaxed, amount_tax,
                                   amount_total, currency_rate, create_date,
                                   write_date, create_uid, write_uid)
            SELECT 'BENCH/NEXT/' || p.id, p.id, p.id, p.id, %(company)s,
                   %(currency)s, 'sale', %(placed)s, 20 + mod(p.id::bigint * 7919, 400), 0,
                   20 + mod(p.id::bigint * 7919, 400), 1, NOW() AT TIME ZONE 'UTC',
                   NOW() AT TIME ZONE 'UTC', 1, 1
              FROM res_partner p
             WHERE mod(p.id, %(every)s) = 0
               AND p.id IN (SELECT partner_id FROM sale_order
                             WHERE company_id = %(company)s)""",
            company=company.id, currency=company.currency_id.id,
            placed=company._crm_day_start(fields.Date.add(model.as_of, days=1))
            + timedelta(hours=10),
            # as many as a day of the history has, about
            every=max(args.customers * DAYS // count, 1),
        ))
        print(f"next day's new orders: {cr.rowcount}")
        cr.commit()
        with timed_steps(engine_class, {}) as steps:
            start = time.perf_counter()
            model = env["crm.analytics.engine"].run(
                as_of=fields.Date.add(model.as_of, days=1))
            cr.commit()
            engine = time.perf_counter() - start
        print(f"next day's run: {engine:8.2f} s, "
              f"engine / aggregate: {engine / aggregate:6.1f}x (aim: 5x)")
        report_steps(steps, model)
        print(f"  history rows: {history_rows(model)}")
        print(f"side by side: aggregate {aggregate:.2f} s | first run {first:.2f} s "
              f"({first / aggregate:.1f}x) | next day {engine:.2f} s "
              f"({engine / aggregate:.1f}x) | peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
