#!/usr/bin/env python3
"""Benchmark of crm_marketing's segments: count and mailing-list sync at 100,000 members.

Usage (from the work tree root, against a database where crm_marketing is installed):

    python3 benchmarks/crm_marketing_segment.py -d <db> [--partners 100000]

It fills the partners (and an order for one in ten) set-based with generate_series,
then measures with time.perf_counter and the cursor's query counter:

- the member count of a segment mixing a demographic and a behavioural condition;
- the first sync of its mailing list (every contact created and subscribed);
- a second sync with nothing to change;
- a sync after a tenth of the members left the segment.

Everything happens in one transaction that is rolled back: the database is left as found.
"""
import argparse
import time

from _odoo import ROOT, load_registry


def measure(cr, label, func):
    before = cr.sql_log_count
    start = time.perf_counter()
    result = func()
    seconds = time.perf_counter() - start
    print(f"{label:<48} {seconds:8.2f} s {cr.sql_log_count - before:6d} queries  {result}")
    return result


def fill(env, count, SQL):
    cr = env.cr
    company = env.company.id
    cr.execute(SQL(
        """
        INSERT INTO res_partner (name, complete_name, email, email_normalized, gender,
                                 birthdate, active, is_company, type, lang, autopost_bills,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Bench Partner ' || n, 'Bench Partner ' || n,
               'bench' || n || '@bench.example.com', 'bench' || n || '@bench.example.com',
               CASE WHEN mod(n, 2) = 0 THEN 'female' ELSE 'male' END,
               DATE '1960-01-01' + (mod(n, 15000)), TRUE, FALSE, 'contact', 'en_US', 'ask',
               NOW(), NOW(), 1, 1
          FROM generate_series(1, %s) n
        """,
        count,
    ))
    cr.execute(SQL(
        "UPDATE res_partner SET commercial_partner_id = id "
        "WHERE commercial_partner_id IS NULL AND name LIKE %s",
        "Bench Partner %",
    ))
    # one confirmed order for one partner in ten, so the behavioural variable has work
    cr.execute(SQL(
        """
        INSERT INTO sale_order (name, partner_id, partner_invoice_id, partner_shipping_id,
                                company_id, pricelist_id, currency_id, state, date_order,
                                amount_untaxed, amount_total, currency_rate,
                                create_date, write_date, create_uid, write_uid)
        SELECT 'BENCH' || p.id, p.id, p.id, p.id, %s, NULL, c.currency_id, 'sale',
               NOW() - (mod(p.id, 300)) * INTERVAL '1 day',
               100 + mod(p.id, 900), 100 + mod(p.id, 900), 1,
               NOW(), NOW(), 1, 1
          FROM res_partner p, res_company c
         WHERE c.id = %s AND p.name LIKE %s AND mod(p.id, 10) = 0
        """,
        company, company, "Bench Partner %",
    ))
    # what autovacuum does after a commit: the planner must know the tables grew
    cr.execute(SQL("ANALYZE res_partner, sale_order"))
    env.invalidate_all()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--partners", type=int, default=100_000)
    args = parser.parse_args()

    from odoo import SUPERUSER_ID, api
    from odoo.tools import SQL

    registry = load_registry(args.database, args.config)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        try:
            measure(cr, f"fill {args.partners} partners (SQL)",
                    lambda: fill(env, args.partners, SQL))
            segment = env["crm.segment"].create({
                "name": "Benchmark segment",
                "domain": "[('email', '=like', 'bench%'), ('crm_spend', '>=', 0)]",
            })

            def count():
                segment.invalidate_recordset()
                return segment.member_count

            measure(cr, "member count", count)
            measure(cr, "first sync (create + subscribe)", segment._sync_mailing_list)
            measure(cr, "second sync (nothing to change)", segment._sync_mailing_list)
            cr.execute(SQL(
                "UPDATE res_partner SET email_normalized = NULL, email = NULL "
                "WHERE name LIKE %s AND mod(id, 10) = 1",
                "Bench Partner %",
            ))
            env.invalidate_all()
            measure(cr, "sync after a tenth left (remove)", segment._sync_mailing_list)
            measure(cr, "member count after the change", count)
        finally:
            cr.rollback()
    print("rolled back: the database is left as it was")


if __name__ == "__main__":
    main()
