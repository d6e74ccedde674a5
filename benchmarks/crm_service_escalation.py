#!/usr/bin/env python3
"""Benchmark of the escalation job of crm_service.

Fills the database with COUNT complaints (200,000 by default), a few hundred of
them overdue, and measures the scheduled action ``crm.complaint._cron_escalate``:
its wall time, its number of SQL queries, and the plan PostgreSQL uses to find
the due complaints (it must be the index on ``next_escalation_date``, so that the
cost follows the overdue complaints, not all of them). Everything happens in one
transaction that is rolled back at the end: the database is left as it was.

    python3 benchmarks/crm_service_escalation.py -d svc_dev [--count 200000] [--overdue 300]

The database must have crm_service installed. Not a test: it prints its figures.
"""

import argparse
import os
import sys
import time

from _odoo import ROOT, load_registry


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--count", type=int, default=200_000, help="complaints in the database")
    parser.add_argument("--overdue", type=int, default=300, help="complaints already due")
    args = parser.parse_args()

    from odoo import SUPERUSER_ID, api, fields
    from odoo.tools import SQL

    registry = load_registry(args.database, args.config)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        Complaint = env["crm.complaint"]
        now = fields.Datetime.now()
        calendar = env.ref("resource.resource_calendar_std")
        policy = env["crm.sla.policy"].create({
            "name": "Benchmark policy", "priority": "3", "sequence": 1,
            "resource_calendar_id": calendar.id, "response_hours": 2, "resolve_hours": 8,
            "escalation_ids": [
                (0, 0, {"name": "Benchmark: at breach", "trigger": "at_breach", "level": 1}),
                (0, 0, {"name": "Benchmark: after breach", "trigger": "after_breach",
                        "hours": 1, "level": 2, "raise_priority": True}),
            ],
        })
        stage_open = env.ref("crm_service.crm_complaint_stage_in_progress")
        stage_closed = env.ref("crm_service.crm_complaint_stage_closed")
        company = env.company

        # -- fill: set-based, one INSERT
        started = time.perf_counter()
        cr.execute(SQL(
            """
            INSERT INTO crm_complaint (
                name, reference, company_id, channel, priority, active, stage_id,
                sla_policy_id, date_received, response_deadline, resolve_deadline,
                first_response_date, resolved_date, sla_status, next_escalation_date,
                escalation_level, paused_hours, create_uid, write_uid, create_date, write_date)
            SELECT 'Benchmark complaint ' || n, 'BENCH/' || n, %(company)s, 'phone',
                   CASE WHEN n <= %(overdue)s THEN '3' ELSE '1' END, TRUE,
                   CASE WHEN n <= %(overdue)s OR mod(n, 5) = 0 THEN %(open)s ELSE %(closed)s END,
                   %(policy)s, received, received + interval '2 hours',
                   received + interval '1 day', received + interval '1 hour',
                   CASE WHEN n <= %(overdue)s OR mod(n, 5) = 0 THEN NULL
                        ELSE received + interval '20 hours' END,
                   CASE WHEN n <= %(overdue)s OR mod(n, 5) = 0 THEN 'on_track' ELSE 'met' END,
                   -- open complaints wait for a future date, the overdue ones are due
                   CASE WHEN n <= %(overdue)s THEN %(now)s - interval '1 hour' * (1 + mod(n, 48))
                        WHEN mod(n, 5) = 0 THEN %(now)s + interval '1 hour' * (1 + mod(n, 500))
                        ELSE NULL END,
                   0, 0, 1, 1, %(now)s, %(now)s
              FROM generate_series(1, %(count)s) AS n,
                   LATERAL (SELECT CASE WHEN n <= %(overdue)s
                                        THEN %(now)s - interval '3 days'
                                        ELSE %(now)s - interval '1 minute' * mod(n, 500000)
                                   END AS received) AS r
            """,
            company=company.id, overdue=args.overdue, open=stage_open.id,
            closed=stage_closed.id, policy=policy.id, now=now, count=args.count,
        ))
        cr.execute(SQL("ANALYZE crm_complaint"))
        fill_time = time.perf_counter() - started
        cr.execute(SQL("SELECT COUNT(*) FROM crm_complaint"))
        total = cr.fetchone()[0]
        cr.execute(SQL(
            "SELECT COUNT(*) FROM crm_complaint WHERE next_escalation_date <= %s", now,
        ))
        due = cr.fetchone()[0]

        # -- the plan of the job's search
        query = Complaint._search(
            [("next_escalation_date", "<=", now)], order="next_escalation_date", limit=1000,
        )
        cr.execute(SQL("EXPLAIN %s", query.select()))
        plan = "\n".join(f"    {row[0]}" for row in cr.fetchall())
        index_used = "crm_complaint__next_escalation_date_index" in plan

        # -- the job itself
        env.invalidate_all()
        queries_before = cr.sql_log_count
        started = time.perf_counter()
        processed = Complaint._cron_escalate()
        env.flush_all()
        job_time = time.perf_counter() - started
        job_queries = cr.sql_log_count - queries_before
        fired = env["crm.complaint.escalation.log"].search_count(
            [("escalation_id", "in", policy.escalation_ids.ids)]
        )

        # -- a second run: nothing is due any more
        env.invalidate_all()
        queries_before = cr.sql_log_count
        started = time.perf_counter()
        again = Complaint._cron_escalate()
        idle_time = time.perf_counter() - started
        idle_queries = cr.sql_log_count - queries_before

        cr.rollback()

    print(f"crm_service escalation benchmark on database {args.database!r}")
    print(f"  complaints in the database : {total:>10,}")
    print(f"  due (next date passed)     : {due:>10,}")
    print(f"  filled in                  : {fill_time:>10.2f} s (rolled back)")
    print(f"  escalation job             : {job_time:>10.2f} s, {job_queries:,} queries, "
          f"{processed:,} complaints processed, {fired:,} steps fired")
    if processed:
        print(f"  per due complaint          : {job_time / processed * 1000:>10.2f} ms, "
              f"{job_queries / processed:.1f} queries")
    print(f"  second run (nothing due)   : {idle_time * 1000:>10.2f} ms, {idle_queries} queries, "
          f"{again} processed")
    print(f"  index on next_escalation_date used: {'yes' if index_used else 'NO'}")
    print("  plan of the job's search:")
    print(plan)
    return 0 if index_used else 1


if __name__ == "__main__":
    os.environ.setdefault("TZ", "UTC")
    sys.exit(main())
