#!/usr/bin/env python3
"""Benchmark of the CTI interface of crm_callcenter, on the multi-worker server.

A few PBX clients play call events over real HTTP, as a PBX does:
``POST /crm_callcenter/cti/event`` with a Bearer token and a JSON body, ringing
(routed by the ACD, the agent's screen-pop sent on the bus), answered, then
ended, for EVENTS / 3 calls; after every event the same client posts to
``/crm_callcenter/cti/ping``, a route served as the event route is (POST, JSON
out, no session) that does nothing: the floor a request costs on that server,
measured in the same run, under the same load. It prints the events per second,
p50/p95/p99 latency per event and of the floor, and the event's p95 against the
floor's (aim: within 3x, and under 50 ms). Before the run, a few calls are played
in-process to count the SQL queries of each event (rolled back).

By default it starts the server itself, Odoo's multi-worker server
(bin/odoo_server.py, --workers 2, no cron) on 127.0.0.1:--port, and stops it at
the end; --url uses a server already running on this machine instead (it must
serve --database, e.g. CRM_WORKERS=2 bin/run).

    python3 benchmarks/crm_callcenter_cti.py -d crm_test
    python3 benchmarks/crm_callcenter_cti.py -d crm_test --events 3000 --clients 8
    python3 benchmarks/crm_callcenter_cti.py -d crm_test --url http://127.0.0.1:8069

The database must have crm_callcenter installed. The benchmark creates there,
once, and keeps: a queue BENCHCTI, --agents agents with their users
(bench_cti_agent_N) and a CTI endpoint "CTI benchmark" (its token is replaced at
every run); it deletes the calls it played and sets its agents offline at the
end. Not a test: it prints its figures; the exit code is 1 when a request failed.
"""

import argparse
import itertools
import math
import os
import secrets
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

import requests
from _odoo import ROOT, host_addons_path, load_registry, loopback_only, percentile

EVENTS = ("ringing", "answered", "ended")
FLOOR = "ping (floor)"
QUEUE_CODE = "BENCHCTI"
ENDPOINT_NAME = "CTI benchmark"
REQUEST_TIMEOUT = 60
LOG_PATH = "/tmp/crm_callcenter_cti_bench_{port}.log"


# -- set-up in the database ------------------------------------------------------


def setup(registry, agents_count):
    """The queue, its agents (available) and the endpoint with a new token; the
    numbers of customers to call from."""
    from odoo import SUPERUSER_ID, api

    from odoo.addons.crm_callcenter.models.crm_cti_endpoint import hash_token

    token = secrets.token_urlsafe(32)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True,
                                                 "mail_create_nolog": True,
                                                 "no_reset_password": True})
        company = env.ref("base.main_company")
        env = env(context=dict(env.context, allowed_company_ids=company.ids))
        queue = env["crm.call.queue"].search([("code", "=", QUEUE_CODE),
                                              ("company_id", "=", company.id)])
        if not queue:
            queue = env["crm.call.queue"].create({
                "name": "CTI benchmark queue", "code": QUEUE_CODE,
                "strategy": "longest_idle", "company_id": company.id,
            })
        group = env.ref("crm_callcenter.group_crm_callcenter_agent")
        Agent = env["crm.call.agent"].with_context(active_test=False)
        for index in range(1, agents_count + 1):
            login = f"bench_cti_agent_{index}"
            user = env["res.users"].with_context(active_test=False).search(
                [("login", "=", login)])
            if not user:
                user = env["res.users"].create({
                    "name": f"Bench CTI Agent {index}", "login": login,
                    "groups_id": [(6, 0, group.ids)], "company_id": company.id,
                    "company_ids": [(6, 0, company.ids)],
                })
            if not Agent.search([("user_id", "=", user.id), ("company_id", "=", company.id)]):
                Agent.create({"user_id": user.id, "extension": f"9{index:03d}",
                              "company_id": company.id, "queue_ids": [(6, 0, queue.ids)]})
        agents = Agent.search([("queue_ids", "in", queue.id)])
        agents.write({"active": True})
        agents._write_state("available")
        endpoint = env["crm.cti.endpoint"].search([("name", "=", ENDPOINT_NAME),
                                                   ("company_id", "=", company.id)])
        if not endpoint:
            endpoint = env["crm.cti.endpoint"].create({"name": ENDPOINT_NAME,
                                                       "company_id": company.id})
        endpoint.write({"token_hash": hash_token(token), "token_hint": token[:6] + "…",
                        "active": True})
        numbers = env["res.partner"].search_read(
            [("phone", "!=", False), ("company_id", "in", [False, company.id])],
            ["phone"], limit=200)
        cr.commit()
    return token, [row["phone"] for row in numbers]


def cleanup(registry, prefix):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"active_test": False})
        calls = env["crm.call"].search([("external_id", "=like", f"{prefix}%")])
        count = len(calls)
        calls.unlink()
        env["crm.call.agent"].search([("queue_ids.code", "=", QUEUE_CODE)])._write_state(
            "offline")
        cr.commit()
    return count


def count_queries(registry, numbers, calls=20):
    """SQL queries of each event, played in-process on a few calls (rolled back)."""
    from odoo import SUPERUSER_ID, api

    counts = defaultdict(list)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        endpoint = env["crm.cti.endpoint"].search([("name", "=", ENDPOINT_NAME)], limit=1)
        # as the controller runs it
        endpoint = endpoint.with_company(endpoint.company_id).with_context(
            allowed_company_ids=endpoint.company_id.ids, tracking_disable=True)
        # warm the caches as a long-running worker has them
        for index in range(calls + 3):
            payloads = event_payloads(f"bench-profile-{index}", numbers, index)
            for kind in EVENTS:
                env.invalidate_all()
                before = cr.sql_log_count
                answer = endpoint._cti_handle(payloads[kind])
                env.flush_all()
                cr.precommit.run()  # what the commit writes: the bus's rows
                if index >= 3:
                    counts[kind].append(cr.sql_log_count - before)
                if kind == "ringing":
                    route = answer.get("route") or {}
                    payloads["answered"]["agent"] = route.get("extension") or ""
        cr.rollback()
    return {kind: statistics.mean(values) for kind, values in counts.items()}


def event_payloads(call_id, numbers, index):
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    number = numbers[index % len(numbers)] if numbers and index % 2 else \
        f"+86 21 {5000_0000 + index:08d}"

    def at(seconds):
        return (start + timedelta(seconds=seconds)).isoformat()

    return {
        "ringing": {"event": "ringing", "call_id": call_id, "direction": "inbound",
                    "from": number, "to": "4008001234", "queue": QUEUE_CODE,
                    "timestamp": at(0)},
        "answered": {"event": "answered", "call_id": call_id, "timestamp": at(8)},
        "ended": {"event": "ended", "call_id": call_id, "timestamp": at(128)},
    }


# -- the server ------------------------------------------------------------------


def start_server(args):
    """Odoo's multi-worker server on 127.0.0.1:--port, serving --database alone."""
    command = [
        sys.executable, str(ROOT / "bin" / "odoo_server.py"), "-c", args.config,
        f"--addons-path={host_addons_path()},{ROOT / 'addons'}",
        "-d", args.database, f"--db-filter=^{args.database}$",
        f"--workers={args.workers}", "--max-cron-threads=0",
        "--http-interface=127.0.0.1", f"--http-port={args.port}",
        f"--gevent-port={args.port + 1}", "--log-level=info",
    ]
    log = open(LOG_PATH.format(port=args.port), "w")  # noqa: SIM115
    server = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT,
                              env={**os.environ, "ODOO_HTTP_SOCKET_TIMEOUT": "30"})
    url = f"http://127.0.0.1:{args.port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if server.poll() is not None:
            sys.exit(f"the server stopped at once (see {log.name})")
        try:
            if requests.post(url + "/crm_callcenter/cti/ping", timeout=5).ok:
                return server, url
        except requests.RequestException:
            pass
        time.sleep(0.5)
    server.terminate()
    sys.exit(f"the server did not answer within 120 s (see {log.name})")


# -- the PBX clients -------------------------------------------------------------


class Recorder:
    def __init__(self):
        self.lock = threading.Lock()
        self.samples = defaultdict(list)
        self.errors = defaultdict(int)
        self.messages = []

    def add(self, kind, seconds, ok, message=None):
        with self.lock:
            self.samples[kind].append(seconds)
            if not ok:
                self.errors[kind] += 1
                if message and len(self.messages) < 10:
                    self.messages.append(message)


class Pbx:
    """One PBX link: sends a call's events one after the other, a ping after each."""

    def __init__(self, url, token, recorder):
        self.url = url
        self.recorder = recorder
        self.http = requests.Session()
        self.headers = {"Content-Type": "application/json",
                        "Authorization": f"Bearer {token}"}

    def post(self, kind, path, payload):
        started = time.perf_counter()
        try:
            response = self.http.post(self.url + path, json=payload, headers=self.headers,
                                      timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            self.recorder.add(kind, time.perf_counter() - started, False, f"{kind}: {error}")
            return None
        elapsed = time.perf_counter() - started
        ok = response.status_code == 200
        self.recorder.add(kind, elapsed, ok,
                          None if ok else f"{kind}: HTTP {response.status_code} "
                          f"{response.text[:200]}")
        return response.json() if ok else None

    def play(self, call_id, payloads, budget):
        for kind in EVENTS:
            if not budget():
                return
            answer = self.post(kind, "/crm_callcenter/cti/event", payloads[kind])
            self.post(FLOOR, "/crm_callcenter/cti/ping", {})
            if kind == "ringing":
                if answer is None:
                    return
                route = answer.get("route") or {}
                if route.get("type") == "agent":
                    payloads["answered"]["agent"] = route["extension"]


def report(recorder, elapsed, args, queries, served_by):
    events = sum(len(recorder.samples[kind]) for kind in EVENTS)
    print(f"\n{events} CTI events ({events / elapsed:.1f} events/s) and "
          f"{len(recorder.samples[FLOOR])} pings in {elapsed:.1f} s, {args.clients} PBX "
          f"clients; {served_by}\n")
    header = (f"{'request':<16}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'errors':>8}{'queries':>9}{'p95/floor':>11}")
    print(header)
    print("-" * len(header))
    floor = sorted(recorder.samples[FLOOR])
    floor_p95 = percentile(floor, 95) if floor else float("nan")
    every_event = sorted(itertools.chain.from_iterable(recorder.samples[k] for k in EVENTS))
    rows = [(kind, sorted(recorder.samples[kind]), queries.get(kind)) for kind in EVENTS]
    rows += [("all events", every_event, statistics.mean(queries.values()) if queries
              else None), (FLOOR, floor, None)]
    for kind, values, query_count in rows:
        if not values:
            continue
        p50, p95, p99 = (percentile(values, share) * 1000 for share in (50, 95, 99))
        errors = sum(recorder.errors[k] for k in EVENTS) if kind == "all events" \
            else recorder.errors[kind]
        print(f"{kind:<16}{len(values):>7}{len(values) / elapsed:>8.1f}{p50:>9.1f}"
              f"{p95:>9.1f}{p99:>9.1f}{errors:>8}"
              f"{'' if query_count is None else f'{query_count:.1f}':>9}"
              f"{p95 / 1000 / floor_p95:>10.1f}x")
    errors = sum(recorder.errors.values())
    if every_event:
        p95 = percentile(every_event, 95)
        print(f"\nCTI event p95 {p95 * 1000:.1f} ms = {p95 / floor_p95:.1f}x the floor's "
              f"{floor_p95 * 1000:.1f} ms (aim: within 3x and under 50 ms: "
              f"{'met' if p95 <= 3 * floor_p95 and p95 < 0.050 else 'missed'}); "
              f"errors: {errors}")
    for message in recorder.messages:
        print(f"  {message}")
    return errors


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("-c", "--config", default=str(ROOT / "odoo.conf"))
    parser.add_argument("--events", type=int, default=10_000,
                        help="call events to play, 3 per call (default: %(default)s)")
    parser.add_argument("--clients", type=int, default=4,
                        help="PBX clients sending at once (default: %(default)s)")
    parser.add_argument("--agents", type=int, default=20,
                        help="agents of the benchmark's queue (default: %(default)s)")
    parser.add_argument("--url", help="a server already running on this machine; "
                        "default: start one")
    parser.add_argument("--workers", type=int, default=2,
                        help="HTTP workers of the server it starts (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8274,
                        help="port of the server it starts (and +1 for its websocket "
                        "worker; default: %(default)s)")
    args = parser.parse_args()
    if args.events < 3 or args.clients < 1 or args.agents < 1 or args.workers < 1:
        sys.exit("--events must be 3 or more; --clients, --agents and --workers positive")

    registry = load_registry(args.database, args.config)
    token, numbers = setup(registry, args.agents)
    queries = count_queries(registry, numbers)
    print("SQL queries per event (in-process, caches warm): " + ", ".join(
        f"{kind} {count:.1f}" for kind, count in queries.items()))

    server = None
    if args.url:
        url = loopback_only(args.url)
        served_by = f"server at {url}"
    else:
        server, url = start_server(args)
        served_by = f"Odoo's multi-worker server, {args.workers} HTTP workers, at {url}"
    prefix = f"bench-{uuid.uuid4().hex[:8]}-"
    recorder = Recorder()
    calls = math.ceil(args.events / 3)
    next_call = itertools.count()
    sent = itertools.count(1)
    lock = threading.Lock()

    def budget():
        with lock:
            return next(sent) <= args.events

    def run(pbx):
        while True:
            index = next(next_call)
            if index >= calls:
                return
            pbx.play(f"{prefix}{index}", event_payloads(f"{prefix}{index}", numbers, index),
                     budget)

    try:
        # warm-up: every worker loads the registry and the route before the clock runs
        warm = Pbx(url, token, Recorder())
        for _index in range(4 * args.workers):
            warm.post(FLOOR, "/crm_callcenter/cti/ping", {})
        warm.play(f"{prefix}warm", event_payloads(f"{prefix}warm", numbers, 1), lambda: True)
        pbxs = [Pbx(url, token, recorder) for _client in range(args.clients)]
        threads = [threading.Thread(target=run, args=(pbx,), daemon=True) for pbx in pbxs]
        print(f"playing {args.events} events of {calls} calls with {args.clients} clients ...")
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.perf_counter() - started
    finally:
        if server is not None:
            server.terminate()
            try:
                server.wait(30)
            except subprocess.TimeoutExpired:
                server.kill()
    errors = report(recorder, elapsed, args, queries, served_by)
    if server is not None:
        with open(LOG_PATH.format(port=args.port)) as log:
            text = log.read()
        print(f"events run again after a conflict with a simultaneous one: "
              f"{text.count('conflicted with a simultaneous event')} at once, "
              f"{text.count('tries left')} by the host after a wait (server log: "
              f"{log.name})")
    removed = cleanup(registry, "bench-")
    print(f"clean-up: {removed} calls of the benchmark deleted, its agents offline")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
