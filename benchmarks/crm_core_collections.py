#!/usr/bin/env python3
"""Benchmark of the collections (回款) of crm_core.

Fills the database with ORDERS confirmed orders (100,000 by default), each invoiced
once, with two instalments of a payment plan (200,000) and three customer payments
reconciled with its invoice (300,000), spread over two years. Then it measures, on
the same data:

- the recomputation of what was collected on every order and instalment
  (``_crm_refresh_all_orders``, as at install or upgrade);
- the collections analysis grouped by month (planned against collected), next to
  one plain aggregate over the same payments (``SUM`` of the reconciliations): the
  aim is within 3x;
- the reminder job with DUE instalments due (1,000 by default) among all the others:
  its time, its queries and the plan of the statement that picks them (it must use
  the index of the open instalments, so that its cost follows what is due).

Everything happens in one transaction that is rolled back at the end: the database
is left as it was.

    python3 benchmarks/crm_core_collections.py -d crm_test [--orders 100000] [--due 1000]

The database must have crm_core installed (with a chart of accounts). Not a test:
it prints its figures.
"""

import argparse
import os
import sys
import time
from datetime import timedelta

from _odoo import ROOT, load_registry, timed


def fill(env, orders):
    """Orders, order lines, invoices, payments and plans, set-based."""
    from odoo.tools import SQL

    cr = env.cr
    company = env.company
    currency = company.currency_id
    sale_journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1)
    bank_journal = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", company.id)], limit=1)
    receivable = env["account.account"].search([
        ("account_type", "=", "asset_receivable"), ("company_ids", "in", company.id),
    ], limit=1)
    income = env["account.account"].search([
        ("account_type", "=", "income"), ("company_ids", "in", company.id),
    ], limit=1)
    if not (sale_journal and bank_journal and receivable and income):
        sys.exit("The company has no chart of accounts: install one first.")
    partners = env["res.partner"].create([
        {"name": f"Benchmark customer {index}"} for index in range(1000)])
    product = env["product.product"].create({
        "name": "Benchmark licence", "type": "service", "invoice_policy": "order"})
    user = env.ref("base.user_admin")
    env.flush_all()
    cr.execute(SQL(
        """
        CREATE TEMP TABLE bench_order ON COMMIT DROP AS
        SELECT n, (%(partners)s::int[])[1 + mod(n, 1000)] AS partner_id,
               (1000 + mod(n, 50) * 100)::numeric AS amount,
               (now() AT TIME ZONE 'UTC') - interval '1 day' * mod(n, 730) AS ordered
          FROM generate_series(1, %(orders)s) AS n
        """,
        partners=partners.ids, orders=orders,
    ))
    cr.execute(SQL(
        """
        ALTER TABLE bench_order ADD COLUMN order_id int, ADD COLUMN line_id int,
            ADD COLUMN move_id int, ADD COLUMN receivable_id int;
        WITH ins AS (
            INSERT INTO sale_order (name, company_id, partner_id, partner_invoice_id,
                                    partner_shipping_id, date_order, state, currency_id,
                                    currency_rate, amount_untaxed, amount_tax, amount_total,
                                    user_id, create_uid, write_uid, create_date, write_date)
            SELECT 'BENCH/' || n, %(company)s, partner_id, partner_id, partner_id, ordered,
                   'sale', %(currency)s, 1, amount, 0, amount, %(user)s, 1, 1, ordered, ordered
              FROM bench_order ORDER BY n
            RETURNING id, name)
        UPDATE bench_order b SET order_id = ins.id FROM ins WHERE ins.name = 'BENCH/' || b.n;
        WITH ins AS (
            INSERT INTO sale_order_line (order_id, name, product_id, price_unit,
                                         product_uom_qty, customer_lead, price_subtotal,
                                         price_total, company_id, currency_id, state)
            SELECT order_id, 'Benchmark licence', %(product)s, amount, 1, 0, amount, amount,
                   %(company)s, %(currency)s, 'sale'
              FROM bench_order
            RETURNING id, order_id)
        UPDATE bench_order b SET line_id = ins.id FROM ins WHERE ins.order_id = b.order_id;
        WITH ins AS (
            INSERT INTO account_move (name, move_type, state, journal_id, currency_id,
                                      company_id, partner_id, commercial_partner_id, date,
                                      invoice_date, auto_post, amount_total,
                                      amount_total_signed, amount_residual, payment_state,
                                      invoice_origin)
            SELECT 'BINV/' || n, 'out_invoice', 'posted', %(sale_journal)s, %(currency)s,
                   %(company)s, partner_id, partner_id, ordered::date, ordered::date, 'no',
                   amount, amount, amount * 0.2, 'partial', 'BENCH/' || n
              FROM bench_order
            RETURNING id, invoice_origin)
        UPDATE bench_order b SET move_id = ins.id FROM ins
         WHERE ins.invoice_origin = 'BENCH/' || b.n;
        WITH ins AS (
            INSERT INTO account_move_line (move_id, display_type, currency_id, company_id,
                                           journal_id, account_id, partner_id, date,
                                           parent_state, price_total, price_subtotal,
                                           balance, debit, credit, amount_currency, name)
            SELECT move_id, 'product', %(currency)s, %(company)s, %(sale_journal)s,
                   %(income)s, partner_id, ordered::date, 'posted', amount, amount,
                   -amount, 0, amount, -amount, 'line ' || n
              FROM bench_order
            RETURNING id, move_id)
        INSERT INTO sale_order_line_invoice_rel (order_line_id, invoice_line_id)
        SELECT b.line_id, ins.id FROM ins JOIN bench_order b ON b.move_id = ins.move_id;
        WITH ins AS (
            INSERT INTO account_move_line (move_id, display_type, currency_id, company_id,
                                           journal_id, account_id, partner_id, date,
                                           parent_state, balance, debit, credit,
                                           amount_currency, amount_residual, name)
            SELECT move_id, 'payment_term', %(currency)s, %(company)s, %(sale_journal)s,
                   %(receivable)s, partner_id, ordered::date, 'posted', amount, amount, 0,
                   amount, amount * 0.2, 'BINV/' || n
              FROM bench_order
            RETURNING id, move_id)
        UPDATE bench_order b SET receivable_id = ins.id FROM ins WHERE ins.move_id = b.move_id;
        """,
        company=company.id, currency=currency.id, user=user.id, product=product.id,
        sale_journal=sale_journal.id, income=income.id, receivable=receivable.id,
    ))
    # three payments an order (30 %, 30 %, 20 %), a month apart, never after today
    cr.execute(SQL(
        """
        CREATE TEMP TABLE bench_payment ON COMMIT DROP AS
        SELECT b.*, k, round(b.amount * CASE WHEN k = 3 THEN 0.2 ELSE 0.3 END, 2) AS paid,
               LEAST(b.ordered::date + 30 * k, CURRENT_DATE) AS paid_on
          FROM bench_order b, generate_series(1, 3) AS k;
        ALTER TABLE bench_payment ADD COLUMN pay_move_id int, ADD COLUMN pay_line_id int;
        WITH ins AS (
            INSERT INTO account_move (name, move_type, state, journal_id, currency_id,
                                      company_id, partner_id, date, auto_post, ref)
            SELECT 'BPAY/' || n || '/' || k, 'entry', 'posted', %(bank_journal)s,
                   %(currency)s, %(company)s, partner_id, paid_on, 'no', n || '/' || k
              FROM bench_payment
            RETURNING id, ref)
        UPDATE bench_payment p SET pay_move_id = ins.id FROM ins WHERE ins.ref = p.n || '/' || p.k;
        WITH ins AS (
            INSERT INTO account_move_line (move_id, display_type, currency_id, company_id,
                                           journal_id, account_id, partner_id, date,
                                           parent_state, balance, debit, credit,
                                           amount_currency, name)
            SELECT pay_move_id, 'product', %(currency)s, %(company)s, %(bank_journal)s,
                   %(receivable)s, partner_id, paid_on, 'posted', -paid, 0, paid, -paid,
                   'payment'
              FROM bench_payment
            RETURNING id, move_id)
        UPDATE bench_payment p SET pay_line_id = ins.id FROM ins WHERE ins.move_id = p.pay_move_id;
        INSERT INTO account_partial_reconcile (debit_move_id, credit_move_id, amount,
                                               debit_amount_currency, credit_amount_currency,
                                               debit_currency_id, credit_currency_id,
                                               company_id, max_date)
        SELECT receivable_id, pay_line_id, paid, paid, paid, %(currency)s, %(currency)s,
               %(company)s, paid_on
          FROM bench_payment;
        -- the payment plan: half a month after the order, half three months after
        INSERT INTO crm_collection_plan (order_id, company_id, currency_id, partner_id,
                                         user_id, sequence, date_planned, amount, method,
                                         state, amount_collected, amount_credited,
                                         amount_outstanding)
        SELECT b.order_id, %(company)s, %(currency)s, b.partner_id, %(user)s, k,
               b.ordered::date + CASE WHEN k = 1 THEN 15 ELSE 90 END, b.amount / 2,
               'transfer', 'planned', 0, 0, b.amount / 2
          FROM bench_order b, generate_series(1, 2) AS k;
        """,
        company=company.id, currency=currency.id, user=user.id,
        bank_journal=bank_journal.id, receivable=receivable.id,
    ))
    for table in ("sale_order", "sale_order_line", "account_move", "account_move_line",
                  "account_partial_reconcile", "crm_collection_plan",
                  "sale_order_line_invoice_rel"):
        cr.execute(SQL("ANALYZE %s", SQL.identifier(table)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--orders", type=int, default=100_000,
                        help="confirmed orders, each with 2 instalments and 3 payments")
    parser.add_argument("--due", type=int, default=1000,
                        help="instalments due within the reminder days")
    args = parser.parse_args()

    from odoo import SUPERUSER_ID, api
    from odoo.tools import SQL

    registry = load_registry(args.database, args.config)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        Plan = env["crm.collection.plan"]
        started = time.perf_counter()
        fill(env, args.orders)
        fill_time = time.perf_counter() - started
        cr.execute("SELECT COUNT(*) FROM crm_collection_plan")
        plans = cr.fetchone()[0]
        cr.execute("SELECT COUNT(*) FROM account_partial_reconcile")
        payments = cr.fetchone()[0]

        # -- what was collected, on every order and instalment
        env.invalidate_all()
        started = time.perf_counter()
        Plan._crm_refresh_all_orders()
        refresh_time = time.perf_counter() - started
        cr.execute("ANALYZE crm_collection_plan")
        cr.execute("SELECT state, COUNT(*) FROM crm_collection_plan GROUP BY state ORDER BY 1")
        states = ", ".join(f"{state} {count:,}" for state, count in cr.fetchall())

        # -- the analysis against one plain aggregate over the same payments
        def plain():
            cr.execute("SELECT SUM(amount) FROM account_partial_reconcile")
            return cr.fetchone()[0]

        def report():
            env.invalidate_all()
            return env["crm.collection.report"]._read_group(
                [], ["date:month"], ["planned_amount:sum", "collected_amount:sum"])

        plain_time, total_paid = timed(plain)
        report_time, months = timed(report)
        collected = sum(row[2] for row in months)

        # -- the reminder job with DUE instalments due among all the others
        today = env.company._crm_today()
        cr.execute(SQL(
            "UPDATE crm_collection_plan SET date_reminded_due = now(), "
            "date_reminded_overdue = now()"))
        cr.execute(SQL(
            """
            UPDATE crm_collection_plan SET date_planned = %(day)s,
                   date_reminded_due = NULL, state = 'planned'
             WHERE id IN (SELECT id FROM crm_collection_plan
                           WHERE state IN ('planned', 'partial') ORDER BY id
                           LIMIT %(due)s)
            """,
            day=today + timedelta(days=1),
            due=args.due,
        ))
        cr.execute("ANALYZE crm_collection_plan")
        env.invalidate_all()
        cr.execute(SQL(
            """
            EXPLAIN SELECT plan.id FROM crm_collection_plan plan
             WHERE plan.date_planned BETWEEN %s AND %s
               AND plan.state IN ('planned', 'partial', 'overdue')
               AND plan.date_reminded_due IS NULL AND plan.amount_outstanding > 0
             ORDER BY plan.date_planned, plan.id LIMIT 200
            """,
            today, today + timedelta(days=env.company.crm_collection_reminder_days),
        ))
        plan_text = "\n".join(f"    {row[0]}" for row in cr.fetchall())
        index_used = "crm_collection_plan_open_date_index" in plan_text
        queries_before = cr.sql_log_count
        started = time.perf_counter()
        before = env["mail.activity"].search_count([("res_model", "=", "crm.collection.plan")])
        for _batch in range(args.due // 200 + 2):
            Plan._cron_send_reminders()
        env.flush_all()
        job_time = time.perf_counter() - started
        job_queries = cr.sql_log_count - queries_before
        reminded = env["mail.activity"].search_count(
            [("res_model", "=", "crm.collection.plan")]) - before
        cr.rollback()

    print(f"crm_core collections benchmark on database {args.database!r}")
    print(f"  orders, instalments, payments : {args.orders:,}, {plans:,}, {payments:,} "
          f"(filled in {fill_time:.1f} s, rolled back)")
    print(f"  recompute every order         : {refresh_time:8.2f} s ({states})")
    print(f"  plain SUM over the payments   : {plain_time * 1000:8.1f} ms "
          f"(total {total_paid:,.0f})")
    print(f"  collections analysis by month : {report_time * 1000:8.1f} ms, {len(months)} "
          f"months, collected {collected:,.0f}: {report_time / plain_time:.1f}x the plain "
          "SUM (aim: within 3x)")
    print(f"  reminder job, {args.due:,} due        : {job_time:8.2f} s, {job_queries:,} "
          f"queries, {reminded:,} activities "
          f"({job_time / max(reminded, 1) * 1000:.1f} ms each)")
    print(f"  index of the open instalments used by the reminders' pick: "
          f"{'yes' if index_used else 'NO'}")
    print("  plan of the pick:")
    print(plan_text)
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    sys.exit(main())
