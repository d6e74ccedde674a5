#!/usr/bin/env python3
"""Benchmark of the recall job of the customer pools (公海) of crm_core.

Fills the database with CUSTOMERS owned customers (1,000,000 by default) of 100
salespeople in one pool whose rule recalls a customer after 30 days without
follow-up; DUE of them (1 % by default) were last followed up 31 to 60 days ago,
the others within the last 29 days. Then it measures, on the same data:

- one plain aggregate over the customers' follow-up dates (``COUNT`` of those
  followed up more than 30 days ago, what the job must find), the floor;
- the recall job (``_cron_recall_customers``, as the host's cron calls it until it
  says nothing remains): its time, its queries, and the plan of the statement that
  picks the customers due (it must use the index of the days of recall, so that its
  cost follows what is due, not all the customers);
- the same job a second time, with nothing due.

Everything happens in one transaction that is rolled back at the end: the database
is left as it was.

    python3 benchmarks/crm_core_pool.py -d crm_test [--customers 1000000] [--due-share 0.01]

The database must have crm_core installed. Not a test: it prints its figures.
"""

import argparse
import time
from datetime import timedelta

from _odoo import ROOT, load_registry, timed

SALESPEOPLE = 100




def fill(env, customers, due):
    """Salespeople, a pool with its rule, and the customers, set-based."""
    from odoo import fields
    from odoo.tools import SQL

    cr = env.cr
    group = env.ref("sales_team.group_sale_salesman")
    users = env["res.users"].with_context(no_reset_password=True).create([
        {"name": f"Pool Bench {index}", "login": f"pool_bench_{index}",
         "groups_id": [(6, 0, group.ids)]} for index in range(SALESPEOPLE)])
    pool = env["crm.customer.pool"].create({
        "name": "Benchmark Pool", "user_ids": [(6, 0, users.ids)], "warn_days": 0,
        "rule_ids": [(0, 0, {"kind": "no_followup", "days": 30})],
    })
    now = fields.Datetime.now()
    today = env.company._crm_today()
    # every customer: owned 90 days, followed up 1-29 days ago; the first DUE of them
    # 31-60 days ago. The day of recall is what the ORM keeps on each follow-up. The
    # rows are copies of one customer made by the ORM (whatever columns the installed
    # addons require), with their own values.
    template = env["res.partner"].create({"name": "Pool Template", "is_company": True})
    values = {
        "name": SQL("'Pool Customer ' || n"),
        "complete_name": SQL("'Pool Customer ' || n"),
        "user_id": SQL("(%s)[1 + mod(n, %s)]", users.ids, SALESPEOPLE),
        "crm_pool_id": SQL("%s", pool.id),
        "crm_owner_date": SQL("%s - INTERVAL '90 days'", now),
        "crm_last_followup_date": SQL("followed"),
        "crm_recall_date": SQL("(%s::date - (%s::date - followed::date)) + 30", today, now),
        "crm_recall_rule_id": SQL("%s", pool.rule_ids.id),
        "commercial_partner_id": SQL("NULL"),
    }
    cr.execute("SELECT column_name FROM information_schema.columns "
               "WHERE table_name = 'res_partner' AND column_name != 'id'")
    columns = [row[0] for row in cr.fetchall()]
    cr.execute(SQL(
        """
        INSERT INTO res_partner (%(columns)s)
        SELECT %(values)s
          FROM res_partner tpl,
               (SELECT n, %(now)s - (CASE WHEN n <= %(due)s THEN 31 + mod(n, 30)
                                          ELSE 1 + mod(n, 29) END) * INTERVAL '1 day'
                                    AS followed
                  FROM generate_series(1, %(customers)s) AS n) AS s
         WHERE tpl.id = %(template)s
        """,
        columns=SQL(", ").join(SQL.identifier(column) for column in columns),
        values=SQL(", ").join(
            values.get(column, SQL.identifier("tpl", column)) for column in columns),
        now=now, due=due, customers=customers, template=template.id,
    ))
    cr.execute("UPDATE res_partner SET commercial_partner_id = id "
               "WHERE commercial_partner_id IS NULL")
    cr.execute("ANALYZE res_partner")
    return pool, users


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--customers", type=int, default=1_000_000)
    parser.add_argument("--due-share", type=float, default=0.01)
    args = parser.parse_args()
    due = int(args.customers * args.due_share)

    from odoo import SUPERUSER_ID, api, fields
    from odoo.tools import SQL

    registry = load_registry(args.database, args.config)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        Partner = env["res.partner"]
        started = time.perf_counter()
        pool, _users = fill(env, args.customers, due)
        fill_time = time.perf_counter() - started
        today = env.company._crm_today()
        since = fields.Datetime.now() - timedelta(days=30)

        def plain():
            cr.execute(SQL(
                "SELECT COUNT(*) FROM res_partner WHERE crm_last_followup_date < %s",
                since))
            return cr.fetchone()[0]

        plain_time, stale = timed(plain)
        cr.execute(SQL(
            """
            EXPLAIN SELECT id FROM res_partner
             WHERE crm_pool_id = %s AND user_id IS NOT NULL
               AND crm_recall_date IS NOT NULL AND crm_recall_date <= %s
             ORDER BY crm_recall_date, id LIMIT 500 FOR UPDATE SKIP LOCKED
            """, pool.id, today))
        plan_text = "\n".join(f"    {row[0]}" for row in cr.fetchall())

        def run_job():
            """As the host's cron does: call again while the job's progress says
            something remains (each call is a batch)."""
            calls = 0
            cron = env.ref("crm_core.ir_cron_crm_customer_recall")
            while True:
                calls += 1
                progress = env["ir.cron.progress"].create({"cron_id": cron.id})
                Partner.with_context(ir_cron_progress_id=progress.id)._cron_recall_customers()
                env.invalidate_all()
                if not progress.remaining:
                    return calls

        queries_before = cr.sql_log_count
        started = time.perf_counter()
        calls = run_job()
        job_time = time.perf_counter() - started
        job_queries = cr.sql_log_count - queries_before
        cr.execute(SQL("SELECT COUNT(*) FROM crm_owner_change WHERE pool_id = %s "
                       "AND reason = 'recall'", pool.id))
        recalled = cr.fetchone()[0]
        started = time.perf_counter()
        run_job()
        idle_time = time.perf_counter() - started
        cr.rollback()

    print(f"crm_core customer pool benchmark on database {args.database!r}")
    print(f"  customers, due              : {args.customers:,}, {due:,} "
          f"(filled in {fill_time:.1f} s, rolled back)")
    print(f"  plain COUNT over follow-ups : {plain_time * 1000:8.1f} ms ({stale:,} "
          "followed up more than 30 days ago)")
    print(f"  recall job                  : {job_time * 1000:8.1f} ms, {calls} batches, "
          f"{job_queries:,} queries, {recalled:,} recalled: "
          f"{job_time / plain_time:.1f}x the plain COUNT "
          f"({job_time / max(recalled, 1) * 1000:.2f} ms a customer)")
    print(f"  recall job, nothing due     : {idle_time * 1000:8.1f} ms")
    print("  index of the days of recall used by the pick: "
          f"{'yes' if 'res_partner_crm_recall_due_index' in plan_text else 'NO'}")
    print(plan_text)


if __name__ == "__main__":
    main()
