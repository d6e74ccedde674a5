#!/usr/bin/env python3
"""Benchmark of crm_analytics' customer value engine at 100,000 customers and
1,000,000 confirmed orders.

Usage (from the work tree root, against a database where crm_analytics is installed):

    python3 benchmarks/crm_analytics_engine.py -d <db> [--customers 100000] [--orders 1000000]

In a company of its own, it fills the customers and their orders set-based with
generate_series (two years of history, a few customers buying often, many once), then
prints the wall time of

- one plain aggregate over the same orders (``GROUP BY partner``: count, sum, last date);
- the engine's ``run()``: RFM, pyramid, BG/NBD and Gamma-Gamma fit, predictions,
  lifecycle, matrix, churn warning, the customers' update and the history rows;

their ratio, the engine's query count and the process's peak resident size (getrusage);
with --trace-memory, also the engine's peak Python memory (tracemalloc, NumPy's arrays
included), which slows Python down, so the wall time of that run is not comparable.

Everything happens in one transaction that is rolled back: the database is left as found.
"""
import argparse
import resource
import time
import tracemalloc

from _odoo import ROOT, load_registry


def fill(env, customers, orders, SQL):
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
    ids = [row[0] for row in cr.fetchall()]
    cr.execute(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id IN %s",
                   tuple(ids)))
    # customer k of n buys with a weight falling with k (skewed: a few frequent buyers,
    # a long tail buying once); each order on one of the last 730 days, its amount
    # around the customer's own level
    cr.execute(SQL("SELECT setseed(0.42)"))
    cr.execute(SQL(
        """
        INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                company_id, currency_id, state, date_order,
                                amount_untaxed, amount_tax, amount_total, currency_rate,
                                create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/' || o.n, p, p, p, %(company)s, %(currency)s, 'sale',
               NOW() - (floor(random() * 730)) * INTERVAL '1 day',
               round(((20 + mod(p * 7919, 480)) * (0.6 + random() * 0.8))::numeric, 2), 0,
               0, 1,
               NOW(), NOW(), 1, 1
          FROM (SELECT n, %(first)s + LEAST(floor(%(count)s * power(random(), 2))::int,
                                            %(count)s - 1) AS p
                  FROM generate_series(1, %(orders)s) n) AS o
        """,
        company=company.id, currency=company.currency_id.id, first=ids[0],
        count=customers, orders=orders,
    ))
    # ids are consecutive: every customer also has one order, so all of them count
    cr.execute(SQL(
        """
        INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                company_id, currency_id, state, date_order,
                                amount_untaxed, amount_tax, amount_total, currency_rate,
                                create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH/F' || p, p, p, p, %(company)s, %(currency)s, 'sale',
               NOW() - (730 - mod(p, 700)) * INTERVAL '1 day', 100, 0, 100, 1,
               NOW(), NOW(), 1, 1
          FROM unnest(%(ids)s::integer[]) AS p
        """,
        company=company.id, currency=company.currency_id.id, ids=ids,
    ))
    # what autovacuum does after a commit: the planner must know the tables grew
    cr.execute(SQL("ANALYZE res_partner, sale_order"))
    env.invalidate_all()
    return company


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--orders", type=int, default=1_000_000,
                        help="orders besides the first order of each customer")
    parser.add_argument("--trace-memory", action="store_true",
                        help="also trace the engine's peak Python memory (tracemalloc), "
                        "which slows Python down: the wall time is then not comparable")
    args = parser.parse_args()

    from odoo import SUPERUSER_ID, api
    from odoo.tools import SQL

    registry = load_registry(args.database, args.config)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            start = time.perf_counter()
            company = fill(env, args.customers, args.orders, SQL)
            print(f"fill {args.customers} customers, {args.orders + args.customers} "
                  f"orders (SQL): {time.perf_counter() - start:8.2f} s")
            env = env(context={"allowed_company_ids": [company.id]})
            env.flush_all()

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
            aggregate = time.perf_counter() - start
            print(f"plain GROUP BY partner ({groups} groups):  {aggregate:8.2f} s")

            queries = cr.sql_log_count
            rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            if args.trace_memory:
                tracemalloc.start()
            start = time.perf_counter()
            model = env["crm.analytics.engine"].run()
            engine = time.perf_counter() - start
            if args.trace_memory:
                _current, peak = tracemalloc.get_traced_memory()
                tracemalloc.stop()
            queries = cr.sql_log_count - queries
            rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
            print(f"engine run ({model.customer_count} customers, {model.state}): "
                  f"{engine:8.2f} s, {queries} queries"
                  + (" (slowed down by tracemalloc)" if args.trace_memory else ""))
            print(f"engine / aggregate: {engine / aggregate:6.1f}x")
            if args.trace_memory:
                print(f"engine peak Python memory (tracemalloc): {peak / 2**20:8.1f} MiB")
            print(f"process peak resident memory (getrusage): {rss:8.1f} MiB "
                  f"({rss_before:.1f} MiB before the engine ran)")
            if model.reason:
                print(f"model: {model.reason}")
            if model.state == "fitted":
                print(f"fit: r={model.bgnbd_r:.3f} alpha={model.bgnbd_alpha:.3f} "
                      f"a={model.bgnbd_a:.3f} b={model.bgnbd_b:.3f} p={model.gg_p:.3f} "
                      f"q={model.gg_q:.3f} gamma={model.gg_gamma:.3f}")
        finally:
            cr.rollback()
    print("rolled back: the database is left as it was")


if __name__ == "__main__":
    main()
