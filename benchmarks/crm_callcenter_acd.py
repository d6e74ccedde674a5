#!/usr/bin/env python3
"""Benchmark of crm_callcenter's ACD across its channels: the time per assignment of
a call, a live chat and a complaint, next to the CTI route's floor, measured in the
same run.

Usage (from the work tree root, against a database where crm_callcenter is installed,
im_livechat with it):

    python3 benchmarks/crm_callcenter_acd.py -d <db> [--agents 200] [--items 10000]
    python3 benchmarks/crm_callcenter_acd.py -d <db> --per-channel 500 --floor-calls 500

In a company of its own it creates, set-based (SQL for the customers, ``create([...])``
in batches for the rest):

- two queues of the same 200 agents (their users, available): *BENCHACD* answers the
  calls and the live chats (longest idle; 1 call, 5 chats at once; the customer's
  salesperson first, key customers ahead and to key-account agents, open complaints to
  their owner and to their team's queue), *BENCHDESK* assigns the complaints of its
  team (least busy; 20 complaints in progress; 1 call, for the calls sent there because
  the caller has an open complaint of its team);
- customers (a fifth of the items, at least 100) of every tier, a third of them
  followed by a salesperson (most of them agents, some not), a tenth with an open
  complaint already owned by an agent; 200 portal users of those customers;
- the waiting items, 40 % calls, 30 % chats, 30 % complaints (4,000, 3,000 and 3,000
  by default):

  * calls: inbound calls ringing in BENCHACD, not routed yet, as the CTI's ringing
    event creates them before it routes them (most from known customers' numbers);
  * chats: visitor requests (a third signed in as a portal customer, the rest
    anonymous). Each is offered as the host's ``/im_livechat/get_session`` does for a
    visitor's new session: the tied live chat channel's ``_get_livechat_discuss_channel_vals``
    (its operator chosen by the queue's ACD, ``_get_operator`` → ``_acd_select("chat",
    ...)``) and the ``discuss.channel`` created from them; the guest record and the
    bus broadcast of the host's controller are left out;
  * complaints: new complaints by e-mail and the portal, of BENCHDESK's team, without
    an owner (created while the queue did not assign them yet), to be assigned by the
    job ``_cron_acd_assign_complaints`` as the scheduler runs it: one complaint per
    run (``ir_cron_progress_id`` in the context).

Then it measures, each item as one short transaction as in production — a savepoint
per item (released when the item is done: what it wrote stays for the next items),
the environment's cache emptied before it (a new request or job run), its writes
flushed and the bus rows of its pre-commit written inside it; the whole run is one
transaction rolled back at the end, the database left as found:

- the CTI route's *floor*: a PBX ``ringing`` event for an inbound call of an endpoint
  whose calls without a queue enter an IVR menu, applied as the controller applies it
  (``_cti_authenticate``, then ``_cti_handle``): the token checked, the event read,
  the call created (its number normalised and matched to the customer) and the route
  answered — to a fixed destination, the IVR menu. Everything a routed call costs but
  the ACD's choice. The same event with the queue BENCHACD (the whole CTI request with
  the ACD) is measured interleaved with it, on --floor-calls calls each;
- per channel, each item of the backlog: a call routed by ``crm.call._acd_route``, a
  chat offered, a complaint assigned by one run of the job;

and prints, per channel: mean, median and p95 ms per assignment, SQL queries per
assignment (``cr.sql_log_count``; 2 of them the savepoint's), the ratio of the mean to
the floor's mean, the outcomes, the mean by fifth of the run (the backlog shrinks as it
goes: a cost growing with the waiting items shows there), the total for the items
(measured; extrapolated from the mean with --per-channel), and the process's peak
resident size (getrusage). Capacity is given back between rounds, outside the clock:
every half of a channel's capacity (agents times the queue's capacity) the calls offered
are ended (agents available again), the chats closed, the complaints assigned closed.
"""
import argparse
import hashlib
import random
import resource
import secrets
import statistics
import sys
import time
from collections import Counter
from datetime import timedelta

from _odoo import ROOT, load_registry, percentile

WARM = 5  # items of each channel run before the clock counts (caches of the registry)
CHANNEL_SHARES = (("call", 0.4), ("chat", 0.3), ("complaint", 0.3))
PORTAL_VISITORS = 200
CAPACITY = {"call": 1, "chat": 5, "complaint": 20}
QUEUE_CODE = "BENCHACD"
DESK_CODE = "BENCHDESK"
IVR_CODE = "BENCHIVR"
BATCH = 500


# -- set-up -----------------------------------------------------------------------


def split_items(items):
    counts = {channel: int(items * share) for channel, share in CHANNEL_SHARES}
    counts["call"] += items - sum(counts.values())
    return counts


def create_batches(model, vals_list):
    records = model.browse()
    for start in range(0, len(vals_list), BATCH):
        records |= model.create(vals_list[start:start + BATCH])
    return records


def fill(env, args, rng, SQL):
    """The company, its queues, agents, customers and waiting items."""
    cr = env.cr
    counts = split_items(args.items)
    china = env.ref("base.cn")
    company = env["res.company"].create({
        "name": f"Benchmark Company (crm_callcenter ACD) {args.run}",
    })
    # in China (numbers read as Chinese ones), set on its partner: a company created or
    # written with a country installs that country's accounting module (committing the
    # transaction) and loads its chart of accounts
    company.partner_id.country_id = china
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    Team = env["crm.team"]
    service_team = Team.create({"name": "Bench ACD Service", "company_id": company.id})
    desk_team = Team.create({"name": "Bench ACD Desk", "company_id": company.id})
    Queue = env["crm.call.queue"]
    queue = Queue.create({
        "name": "Bench ACD Service", "code": QUEUE_CODE, "company_id": company.id,
        "team_id": service_team.id, "strategy": "longest_idle",
        "capacity_call": CAPACITY["call"], "capacity_chat": CAPACITY["chat"],
        "capacity_complaint": 0, "route_salesperson": True,
        "route_key_account_agents": True, "route_key_priority": True,
        "route_complaint_owner": True, "route_complaint_team": True,
    })
    desk = Queue.create({
        "name": "Bench ACD Desk", "code": DESK_CODE, "company_id": company.id,
        "team_id": desk_team.id, "strategy": "least_busy",
        "capacity_call": CAPACITY["call"], "capacity_chat": 0,
        "capacity_complaint": CAPACITY["complaint"], "complaint_wait_minutes": 0,
        "route_complaints": False,  # switched on once the backlog is in
    })

    # agents: their users, in both queues, available since staggered times
    groups = [env.ref("crm_callcenter.group_crm_callcenter_agent").id,
              env.ref("im_livechat.im_livechat_group_user").id,
              env.ref("sales_team.group_sale_salesman").id]
    users = create_batches(env["res.users"], [{
        "name": f"Bench ACD Agent {n}", "login": f"bench.acd.agent.{n}",
        "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        "groups_id": [(6, 0, groups)],
    } for n in range(args.agents)])
    start = env.cr.now().replace(tzinfo=None) - timedelta(hours=2)
    agents = create_batches(env["crm.call.agent"], [{
        "user_id": user.id, "extension": f"8{n:04d}", "company_id": company.id,
        "queue_ids": [(6, 0, (queue | desk).ids)], "is_key_account": n % 10 == 0,
        "state": "available", "date_state": start + timedelta(seconds=n),
    } for n, user in enumerate(users)])
    outsiders = env["res.users"].create([{
        "name": f"Bench ACD Salesperson {n}", "login": f"bench.acd.sales.{n}",
        "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        "groups_id": [(6, 0, [env.ref("sales_team.group_sale_salesman").id])],
    } for n in range(10)])

    # customers, set-based: tiers, salespeople, numbers in E.164
    customers = max(args.items // 5, 100)
    Partner = env["res.partner"]
    numbers = [f"+86 21 {5000_0000 + n:08d}" for n in range(customers)]
    normalized = [Partner._phone_format(number=number, country=china) for number in numbers]
    tiers = [rng.choices(("key", "normal", "small"), (1, 4, 5))[0] for _n in range(customers)]
    salespeople = [
        rng.choice(users.ids) if n % 3 == 0 else
        rng.choice(outsiders.ids) if n % 10 == 1 else None
        for n in range(customers)
    ]
    cr.execute(SQL(
        """
        INSERT INTO res_partner (name, complete_name, active, is_company, type, lang,
                                 autopost_bills, company_id, country_id, phone,
                                 crm_phone_normalized, customer_tier, user_id,
                                 create_date, write_date, create_uid, write_uid)
        SELECT 'Bench ACD Customer ' || c.n, 'Bench ACD Customer ' || c.n, TRUE, TRUE,
               'contact', 'en_US', 'ask', %(company)s, %(country)s, c.phone, c.e164,
               c.tier, c.salesperson, NOW(), NOW(), 1, 1
          FROM unnest(%(phones)s::varchar[], %(e164)s::varchar[], %(tiers)s::varchar[],
                      %(salespeople)s::integer[]) WITH ORDINALITY
               AS c(phone, e164, tier, salesperson, n)
      ORDER BY c.n
        RETURNING id
        """,
        company=company.id, country=china.id, phones=numbers, e164=normalized,
        tiers=tiers, salespeople=salespeople,
    ))
    partner_ids = sorted(row[0] for row in cr.fetchall())
    cr.execute(SQL("UPDATE res_partner SET commercial_partner_id = id WHERE id = ANY(%s)",
                   partner_ids))
    partners = Partner.browse(partner_ids)
    portal = create_batches(env["res.users"].with_context(no_reset_password=True), [{
        "name": f"Bench ACD Visitor {n}", "login": f"bench.acd.visitor.{n}",
        "company_id": company.id, "company_ids": [(6, 0, company.ids)],
        "groups_id": [(6, 0, [env.ref("base.group_portal").id])],
        "parent_id": partner_ids[(n * 7) % customers],
    } for n in range(PORTAL_VISITORS)])

    # complaints: open ones owned by agents (the owner rule), then the backlog
    Complaint = env["crm.complaint"]
    create_batches(Complaint, [{
        "name": f"Bench ACD owned complaint {n}", "partner_id": partner_ids[n * 10],
        "channel": "phone", "team_id": desk_team.id, "company_id": company.id,
        "user_id": rng.choice(users.ids), "priority": rng.choice("0123"),
    } for n in range(customers // 10)])
    now = env.cr.now().replace(tzinfo=None)
    complaints = create_batches(Complaint, [{
        "name": f"Bench ACD complaint {n}", "partner_id": rng.choice(partner_ids),
        "channel": rng.choice(("email", "portal")), "team_id": desk_team.id,
        "company_id": company.id, "priority": rng.choice("0112223"),
        "date_received": now - timedelta(minutes=rng.randint(1, 600)),
    } for n in range(counts["complaint"])])
    desk.route_complaints = True

    # calls ringing, not routed yet; a fifth from numbers nobody knows
    calls = create_batches(env["crm.call"], [{
        "direction": "inbound", "state": "ringing", "queue_id": queue.id,
        "company_id": company.id, "external_id": f"bench-acd-backlog-{n}",
        "phone": numbers[index] if (index := rng.randrange(customers)) % 5
        else f"+86 10 {6000_0000 + n:08d}",
        "partner_id": partner_ids[index] if index % 5 else False,
        "date_start": now - timedelta(seconds=rng.randint(0, 300)),
    } for n in range(counts["call"])])

    # chat requests: visitors signed in a third of the time
    livechat = env["im_livechat.channel"].create({
        "name": "Bench ACD chat", "user_ids": [(5, 0, 0)], "crm_queue_id": queue.id,
    })
    visitors = [rng.choice(portal.ids) if n % 3 == 0 else None
                for n in range(counts["chat"])]

    # the floor's endpoint: calls without a queue enter an IVR menu
    menu = env["crm.ivr.menu"].create({"name": "Bench ACD menu", "code": IVR_CODE,
                                       "company_id": company.id})
    token = secrets.token_urlsafe(32)
    env["crm.cti.endpoint"].create({
        "name": "Bench ACD endpoint", "company_id": company.id, "ivr_menu_id": menu.id,
        "token_hash": hashlib.sha256(token.encode()).hexdigest(), "token_hint": token[:6],
    })
    cron = env.ref("crm_callcenter.crm_complaint_cron_acd_assign")
    progress = env["ir.cron.progress"].create({"cron_id": cron.id, "remaining": 0,
                                               "done": 0})
    env.flush_all()
    # what autovacuum does after a commit: the planner must know the tables grew
    cr.execute(SQL("ANALYZE res_partner, crm_call, crm_complaint, crm_call_agent, "
                   "discuss_channel"))
    env.invalidate_all()
    return {
        "company": company, "queue": queue, "desk": desk, "agents": agents,
        "partners": partners, "numbers": numbers, "calls": calls.ids,
        "complaints": complaints.ids, "livechat": livechat, "visitors": visitors,
        "token": token, "progress": progress, "counts": counts,
        "closed_stage": env.ref("crm_service.crm_complaint_stage_closed"),
    }


# -- measuring --------------------------------------------------------------------


class Channel:
    """The samples of one row of the table."""

    def __init__(self, label, total=None):
        self.label = label
        self.total = total  # items of the backlog, when measured on a part of it
        self.seconds = []
        self.queries = []
        self.outcomes = Counter()

    def stats(self):
        values = sorted(self.seconds)
        return (statistics.mean(values) * 1000, percentile(values, 50) * 1000,
                percentile(values, 95) * 1000, statistics.mean(self.queries))


def run_item(env, work, row, counted):
    """One item as one short transaction: a savepoint, released when it is done."""
    cr = env.cr
    env.invalidate_all()
    before = cr.sql_log_count
    start = time.perf_counter()
    with cr.savepoint():
        outcome = work()
        env.flush_all()
        cr.precommit.run()  # what the commit writes: the bus's rows
    elapsed = time.perf_counter() - start
    if counted:
        row.seconds.append(elapsed)
        row.queries.append(cr.sql_log_count - before)
        row.outcomes[outcome] += 1
    return outcome


def free_calls(env, fixtures, SQL):
    """Outside the clock: the calls offered end, their agents are available again."""
    env.flush_all()
    company = fixtures["company"].id
    env.cr.execute(SQL(
        """UPDATE crm_call SET state = 'done', date_end = date_start
            WHERE company_id = %s AND state IN ('ringing', 'queued')
              AND agent_id IS NOT NULL""", company))
    env.cr.execute(SQL(
        """UPDATE crm_call_agent SET state = 'available'
            WHERE company_id = %s AND state = 'busy'""", company))
    env.invalidate_all()


def free_chats(env, session_ids, SQL):
    env.flush_all()
    env.cr.execute(SQL("UPDATE discuss_channel SET livechat_active = FALSE "
                       "WHERE id = ANY(%s)", list(session_ids)))
    session_ids.clear()
    env.invalidate_all()


def free_complaints(env, fixtures, complaint_ids, SQL):
    env.flush_all()
    env.cr.execute(SQL("UPDATE crm_complaint SET stage_id = %s WHERE id = ANY(%s)",
                       fixtures["closed_stage"].id, list(complaint_ids)))
    complaint_ids.clear()
    env.invalidate_all()


def measure_cti(env, fixtures, args, SQL):
    """The floor (ringing → IVR) and the same event through the ACD, interleaved."""
    from odoo import fields

    floor, routed = Channel("CTI floor"), Channel("CTI event+ACD")
    Endpoint = env["crm.cti.endpoint"]
    authorization = f"Bearer {fixtures['token']}"
    numbers = fixtures["numbers"]
    rounds = max(1, args.agents * CAPACITY["call"] // 2)

    def event(call_id, index, queue):
        def work():
            # as the controller's _cti_apply: the token, the endpoint in its company
            endpoint = Endpoint._cti_authenticate(authorization).with_context(
                tracking_disable=True)
            payload = {
                "event": "ringing", "call_id": call_id, "direction": "inbound",
                "from": numbers[index % len(numbers)] if index % 5
                else f"+86 10 {7000_0000 + index:08d}",
                "to": "4008001234",
                "timestamp": fields.Datetime.now().isoformat() + "Z",
            }
            if queue:
                payload["queue"] = QUEUE_CODE
            return (endpoint._cti_handle(payload).get("route") or {}).get("type")
        return work

    for index in range(args.floor_calls + WARM):
        if index and index % rounds == 0:
            free_calls(env, fixtures, SQL)
        run_item(env, event(f"bench-acd-floor-{index}", index, False), floor, index >= WARM)
        run_item(env, event(f"bench-acd-event-{index}", index, True), routed, index >= WARM)
    free_calls(env, fixtures, SQL)
    return floor, routed


def measure_calls(env, fixtures, limit, SQL):
    from odoo import fields

    ids = fixtures["calls"][:limit]
    row = Channel("call", len(fixtures["calls"]))
    Call = env["crm.call"].sudo().with_context(tracking_disable=True)
    rounds = max(1, len(fixtures["agents"]) * CAPACITY["call"] // 2)
    for index, call_id in enumerate(ids):
        if index and index % rounds == 0:
            free_calls(env, fixtures, SQL)
        run_item(env, lambda c=call_id: Call.browse(c)._acd_route(
            fields.Datetime.now())["type"], row, index >= WARM)
    free_calls(env, fixtures, SQL)
    return row


def measure_chats(env, fixtures, limit, SQL):
    visitors = fixtures["visitors"][:limit]
    row = Channel("chat", len(fixtures["visitors"]))
    livechat_id = fixtures["livechat"].id
    agent_partners = set(fixtures["agents"].user_id.partner_id.ids)
    rounds = max(1, len(fixtures["agents"]) * CAPACITY["chat"] // 2)
    sessions = set()

    def offer(index, visitor):
        def work():
            # as the host's /im_livechat/get_session for a visitor's new session
            livechat = env["im_livechat.channel"].with_context(lang=False).sudo().browse(
                livechat_id)
            vals = livechat._get_livechat_discuss_channel_vals(
                f"Visitor {index}", user_id=visitor)
            if not vals:
                return "no operator"
            session = env["discuss.channel"].with_context(
                mail_create_nosubscribe=False).sudo().create(vals)
            sessions.add(session.id)
            return "agent" if session.livechat_operator_id.id in agent_partners \
                else "host's operator"
        return work

    for index, visitor in enumerate(visitors):
        if index and index % rounds == 0:
            free_chats(env, sessions, SQL)
        run_item(env, offer(index, visitor), row, index >= WARM)
    free_chats(env, sessions, SQL)
    return row


def measure_complaints(env, fixtures, limit, SQL):
    from odoo import SUPERUSER_ID, api

    row = Channel("complaint", len(fixtures["complaints"]))
    # the job as the scheduler runs it: its user, one complaint per run
    Complaint = api.Environment(env.cr, SUPERUSER_ID, {
        "ir_cron_progress_id": fixtures["progress"].id,
    })["crm.complaint"]
    rounds = max(1, len(fixtures["agents"]) * CAPACITY["complaint"] // 2)
    assigned = set()

    def work():
        complaints = Complaint._cron_acd_assign_complaints()
        assigned.update(complaints.ids)
        return "assigned" if complaints else "nothing assigned"

    for index in range(min(limit, len(fixtures["complaints"]))):
        if index and index % rounds == 0:
            free_complaints(env, fixtures, assigned, SQL)
        run_item(env, work, row, index >= WARM)
    return row


# -- report -----------------------------------------------------------------------


def fifths(values):
    size = max(1, len(values) // 5)
    return [statistics.mean(values[i * size:(i + 1) * size]) * 1000
            for i in range(5) if values[i * size:(i + 1) * size]]


def report(rows, floor, args, fill_seconds, fixtures):
    floor_mean = floor.stats()[0]
    counts = fixtures["counts"]
    print(f"\n{args.agents} agents, {sum(counts.values())} waiting items "
          f"({counts['call']} calls, {counts['chat']} chats, {counts['complaint']} "
          f"complaints), set up in {fill_seconds:.1f} s; {WARM} items of each row "
          f"run first, not counted\n")
    header = (f"{'per assignment':<16}{'items':>7}{'mean ms':>9}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'queries':>9}{'x floor':>9}{'total s':>10}  outcomes")
    print(header)
    print("-" * (len(header) + 24))
    grand = 0.0
    for row in rows:
        mean, p50, p95, queries = row.stats()
        items = len(row.seconds)
        if row.total is None:
            total = f"{sum(row.seconds):>10.1f}"
        else:
            # the whole backlog of the channel: measured, or from the mean
            estimated = mean / 1000 * row.total
            grand += estimated
            measured = items + WARM >= row.total
            total = f"{estimated:>9.1f}{' ' if measured else '*'}"
        outcomes = ", ".join(f"{name} {count}" for name, count in row.outcomes.most_common())
        print(f"{row.label:<16}{items:>7}{mean:>9.2f}{p50:>9.2f}{p95:>9.2f}{queries:>9.1f}"
              f"{mean / floor_mean:>8.1f}x{total}  {outcomes}")
    print(f"\nall {sum(counts.values())} waiting items through the ACD: {grand:.1f} s "
          f"({'*: extrapolated from the mean' if args.per_channel else 'measured'})")
    print("floor: a CTI ringing event answered with a fixed route (the IVR menu), "
          "everything a routed call costs but the ACD's choice")
    print("\nmean ms per assignment by fifth of the run (the backlog shrinking):")
    for row in rows:
        if row.total is not None:
            print(f"  {row.label:<14}" + "".join(f"{value:>9.2f}" for value in
                                                 fifths(row.seconds)))
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"\nprocess peak resident memory (getrusage): {rss:.1f} MiB")


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--agents", type=int, default=200,
                        help="agents of the queues (default: %(default)s)")
    parser.add_argument("--items", type=int, default=10_000,
                        help="waiting items, 40/30/30 %% calls, chats, complaints "
                        "(default: %(default)s)")
    parser.add_argument("--per-channel", type=int, default=0,
                        help="items of each channel to measure; the total is then "
                        "extrapolated (default: all of them)")
    parser.add_argument("--floor-calls", type=int, default=500,
                        help="CTI events for the floor, and as many through the ACD "
                        "(default: %(default)s)")
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    args.run = secrets.token_hex(4)
    if args.agents < 2 or args.items < 10 or args.floor_calls < 1 or args.per_channel < 0:
        sys.exit("--agents must be 2 or more, --items 10 or more, --floor-calls positive")

    from odoo import SUPERUSER_ID, api
    from odoo.tools import SQL

    registry = load_registry(args.database, args.config)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {
            "tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True,
            "no_reset_password": True,
        })
        try:
            start = time.perf_counter()
            fixtures = fill(env, args, random.Random(args.seed), SQL)
            fill_seconds = time.perf_counter() - start
            print(f"set-up: {fill_seconds:.1f} s")
            env = api.Environment(cr, SUPERUSER_ID, {})
            limit = (args.per_channel + WARM) if args.per_channel else sys.maxsize
            floor, routed = measure_cti(env, fixtures, args, SQL)
            print(f"CTI floor and events: {sum(floor.seconds) + sum(routed.seconds):.1f} s")
            rows = [floor, routed]
            for name, measure in (("calls", measure_calls), ("chats", measure_chats),
                                  ("complaints", measure_complaints)):
                start = time.perf_counter()
                rows.append(measure(env, fixtures, limit, SQL))
                print(f"{name}: {time.perf_counter() - start:.1f} s")
            report(rows, floor, args, fill_seconds, fixtures)
        finally:
            cr.rollback()
    with registry.cursor() as cr:
        cr.execute(SQL("SELECT COUNT(*) FROM res_company WHERE name LIKE %s",
                       f"Benchmark Company (crm_callcenter ACD) {args.run}"))
        left = cr.fetchone()[0]
    print("rolled back: the database is left as found" if not left else
          "rolled back, but the benchmark's company was committed on the way: delete it")


if __name__ == "__main__":
    main()
