#!/usr/bin/env python3
"""Load benchmark of the CRM served by the multi-worker server, as a working day.

Concurrent virtual users, each logged in over HTTP as a browser is, repeat the work
of their role, and each round also hits a trivial route, the floor, measured in the
same run:

  salespeople      open their pipeline (grouped by stage, then the cards), a
                   customer's 360° form, their sales targets
  service agents   list the complaints, open one, post a reply on it
  portal customers list their complaints, open the form and submit a complaint

A person pauses between two screens (--think, 1 s on average); with --think 0 every
user sends its next request as soon as it has the answer, a stress rather than a
day. It prints, per kind of request: how many, the throughput, the latency percentiles
p50/p95/p99, answers other than 2xx, JSON-RPC errors and failed connections; then
the p95 of each kind against the floor's.

It is bounded: at most --max-requests requests and --max-seconds seconds of load,
and only against the loopback interface (127.0.0.1 / localhost).

The database must be served by the server at --url with the suite's addons and its
demo data (admin / admin). The benchmark creates there, once, what it needs and
keeps it for the next run: users load_sales_N, load_agent_N and load_portal_N
(password = login), 20 opportunities and a target of the month per salesperson,
3 complaints per portal customer; every run adds the replies and the complaints it
posts. Use a database of its own:

    CRM_DB=crm_load CRM_WORKERS=2 bin/run        # in another terminal
    python3 benchmarks/load.py --url http://127.0.0.1:8069 -d crm_load --users 8
    python3 benchmarks/load.py --url http://127.0.0.1:8069 -d crm_load --users 32

Not a test: it prints its figures; the exit code is 1 when a request failed.
"""

import argparse
import itertools
import random
import re
import sys
import threading
import time
import uuid
from collections import defaultdict
from datetime import date

import lxml.etree
import requests
from _odoo import loopback_only, percentile

ROLES = ("sales", "agent", "portal")
FLOOR = "floor"
KINDS = [
    "pipeline_groups", "pipeline_cards", "partner_360", "targets",
    "complaint_list", "complaint_open", "complaint_reply",
    "portal_list", "portal_form", "portal_submit",
    FLOOR,
]
REQUEST_TIMEOUT = 120
CSRF_RE = re.compile(r'name="csrf_token"\s+value="([^"]+)"')
SUBMISSION_RE = re.compile(r'name="submission"\s+value="([^"]+)"')


class RpcError(Exception):
    pass


class TimeUp(Exception):
    """The load's time or request budget is spent: the user stops where it is."""


class Client:
    """One browser: a session cookie, JSON-RPC calls and pages."""

    _ids = itertools.count(1)

    def __init__(self, base_url, db, recorder=None):
        self.base_url = base_url
        self.db = db
        self.http = requests.Session()
        self.recorder = recorder
        self.uid = None
        self.context = {}

    def _check_budget(self):
        if self.recorder is not None and self.recorder.spent():
            raise TimeUp()

    def _record(self, kind, started, status, rpc_error=False, failed=False):
        if self.recorder is not None and kind:
            self.recorder.add(kind, time.perf_counter() - started, status, rpc_error, failed)

    def rpc(self, path, params, kind=None):
        self._check_budget()
        started = time.perf_counter()
        try:
            response = self.http.post(
                self.base_url + path,
                json={"jsonrpc": "2.0", "method": "call", "params": params,
                      "id": next(self._ids)},
                timeout=REQUEST_TIMEOUT,
            )
        except requests.RequestException as error:
            self._record(kind, started, None, failed=True)
            raise RpcError(f"{path}: {error}") from error
        try:
            body = response.json()
        except ValueError:
            body = {}
        error = body.get("error") if response.ok else None
        self._record(kind, started, response.status_code, rpc_error=bool(error))
        if not response.ok:
            raise RpcError(f"{path}: HTTP {response.status_code}")
        if error:
            raise RpcError(f"{path}: {error.get('data', {}).get('message') or error}")
        return body.get("result")

    def call(self, model, method, *args, kind=None, **kwargs):
        if self.context and "context" not in kwargs:
            kwargs["context"] = self.context
        return self.rpc(f"/web/dataset/call_kw/{model}/{method}",
                        {"model": model, "method": method, "args": list(args),
                         "kwargs": kwargs}, kind)

    def page(self, path, kind=None, data=None):
        self._check_budget()
        started = time.perf_counter()
        try:
            if data is None:
                response = self.http.get(self.base_url + path, timeout=REQUEST_TIMEOUT)
            else:
                response = self.http.post(self.base_url + path, data=data,
                                          timeout=REQUEST_TIMEOUT)
        except requests.RequestException as error:
            self._record(kind, started, None, failed=True)
            raise RpcError(f"{path}: {error}") from error
        self._record(kind, started, response.status_code)
        if not response.ok:
            raise RpcError(f"{path}: HTTP {response.status_code}")
        return response.text

    def login(self, login, password):
        info = self.rpc("/web/session/authenticate",
                        {"db": self.db, "login": login, "password": password})
        if not info or not info.get("uid"):
            raise RpcError(f"{login} could not log in")
        self.uid = info["uid"]
        self.context = info.get("user_context") or {}
        return info


class Recorder:
    """Latencies and outcomes per kind of request, shared by the virtual users."""

    def __init__(self, max_requests, max_seconds):
        self.lock = threading.Lock()
        self.deadline = None
        self.max_seconds = max_seconds
        self.samples = defaultdict(list)
        self.non_2xx = defaultdict(int)
        self.rpc_errors = defaultdict(int)
        self.failed = defaultdict(int)
        self.count = 0
        self.max_requests = max_requests
        self.errors = []

    def add(self, kind, seconds, status, rpc_error, failed):
        with self.lock:
            self.count += 1
            self.samples[kind].append(seconds)
            if failed:
                self.failed[kind] += 1
            elif not 200 <= status < 300:
                self.non_2xx[kind] += 1
            if rpc_error:
                self.rpc_errors[kind] += 1

    def start(self):
        self.deadline = time.monotonic() + self.max_seconds

    def spent(self):
        return self.count >= self.max_requests or (
            self.deadline is not None and time.monotonic() >= self.deadline)

    def error(self, message):
        with self.lock:
            if len(self.errors) < 10:
                self.errors.append(message)


# -- what the web client asks for --------------------------------------------


def specification(client, model, view_type):
    """The fields the web client reads for a view of ``model``, as a
    web_read/web_search_read specification."""
    result = client.call(model, "get_views", [[False, view_type]], options={})
    arch = lxml.etree.fromstring(result["views"][view_type]["arch"])
    fields = result["models"][model]["fields"]
    spec = {}
    for node in arch.iter("field"):
        # only the fields of the view itself, not those of embedded sub-views
        if any(parent.tag in ("list", "kanban", "form") and parent is not arch
               for parent in node.iterancestors()):
            continue
        name = node.get("name")
        if name not in fields:
            continue
        if fields[name]["type"] in ("many2one", "many2many", "one2many"):
            spec[name] = {"fields": {"display_name": {}}}
        else:
            spec[name] = {}
    return spec


# -- set-up: users and data, once --------------------------------------------


def xmlid(admin, name):
    module, ref = name.split(".")
    rows = admin.call("ir.model.data", "search_read",
                      [("module", "=", module), ("name", "=", ref)], ["res_id"])
    if not rows:
        sys.exit(f"{name} not found: is the suite installed in this database?")
    return rows[0]["res_id"]


def ensure_users(admin, role, count, groups):
    logins = [f"load_{role}_{index}" for index in range(1, count + 1)]
    existing = {
        row["login"]: row["id"]
        for row in admin.call("res.users", "search_read", [("login", "in", logins)],
                              ["login"], context={"active_test": False})
    }
    missing = [login for login in logins if login not in existing]
    if missing:
        ids = admin.call("res.users", "create", [
            {"name": login.replace("_", " ").title(), "login": login, "password": login,
             "email": f"{login}@example.com", "groups_id": [(6, 0, groups)]}
            for login in missing
        ], context={"no_reset_password": True})
        existing.update(zip(missing, ids, strict=True))
    return [(login, existing[login]) for login in logins]


def setup(admin, users_per_role):
    started = time.perf_counter()
    group_user = xmlid(admin, "base.group_user")
    sales = ensure_users(admin, "sales", users_per_role["sales"], [
        group_user, xmlid(admin, "sales_team.group_sale_salesman")])
    agents = ensure_users(admin, "agent", users_per_role["agent"], [
        group_user, xmlid(admin, "crm_service.group_crm_service_user")])
    portal = ensure_users(admin, "portal", users_per_role["portal"], [
        xmlid(admin, "base.group_portal")])

    customers = admin.call("res.partner", "search",
                           [("is_company", "=", True), ("sale_order_ids", "!=", False)],
                           limit=20) or admin.call("res.partner", "search",
                                                   [("is_company", "=", True)], limit=20)
    stages = admin.call("crm.stage", "search", [])
    month_start = date.today().replace(day=1).isoformat()
    for _login, uid in sales:
        have = admin.call("crm.lead", "search_count",
                          [("user_id", "=", uid), ("type", "=", "opportunity")])
        if have < 20:
            admin.call("crm.lead", "create", [
                {"name": f"Load opportunity {uid}-{index}", "type": "opportunity",
                 "user_id": uid, "team_id": False, "partner_id": random.choice(customers),
                 "stage_id": random.choice(stages),
                 "expected_revenue": random.randint(1, 200) * 1000}
                for index in range(20 - have)
            ], context={"mail_create_nolog": True, "tracking_disable": True})
        if not admin.call("crm.sales.target", "search_count",
                          [("user_id", "=", uid), ("date_start", "=", month_start)]):
            admin.call("crm.sales.target", "create", {
                "target_type": "user", "user_id": uid, "period_type": "month",
                "date_start": month_start, "target_amount": 100000,
            })
    portal_partners = {
        row["id"]: row["partner_id"][0]
        for row in admin.call("res.users", "read", [uid for _login, uid in portal],
                              ["partner_id"])
    }
    for _login, uid in portal:
        partner = portal_partners[uid]
        have = admin.call("crm.complaint", "search_count", [("partner_id", "=", partner)])
        if have < 3:
            admin.call("crm.complaint", "create", [
                {"name": f"Load complaint {partner}-{index}", "partner_id": partner,
                 "channel": "portal", "description": "<p>The parcel arrived damaged.</p>"}
                for index in range(3 - have)
            ], context={"mail_create_nolog": True})
    print(f"set-up: {len(sales)} salespeople, {len(agents)} service agents, "
          f"{len(portal)} portal customers ready in {time.perf_counter() - started:.1f} s")
    return {"sales": sales, "agent": agents, "portal": portal, "customers": customers}


# -- the virtual users ---------------------------------------------------------


class VirtualUser:
    VIEWS = {
        "sales": [("crm.lead", "kanban"), ("res.partner", "form"), ("crm.sales.target", "list")],
        "agent": [("crm.complaint", "list"), ("crm.complaint", "form")],
        "portal": [],
    }

    def __init__(self, role, login, base_url, db, recorder, data, think):
        self.think = think
        self.role = role
        self.login = login
        self.client = Client(base_url, db)
        self.recorder = recorder
        self.data = data
        self.specs = {}
        self.random = random.Random(login)

    def start(self):
        self.client.login(self.login, self.login)
        # the views as this user gets them (fields of groups they lack are left out)
        for model, view_type in self.VIEWS[self.role]:
            self.specs[model, view_type] = specification(self.client, model, view_type)
        self.round()  # warm-up: caches of this session's user in every worker
        self.client.recorder = self.recorder

    def round(self):
        getattr(self, f"_{self.role}")()
        self.client.rpc("/web/webclient/version_info", {}, FLOOR)

    def pause(self):
        """The person reads or types before the next screen."""
        if self.think and self.client.recorder is not None:
            time.sleep(self.random.uniform(0.5, 1.5) * self.think)

    def _sales(self):
        c, uid = self.client, self.client.uid
        domain = [("type", "=", "opportunity"), ("user_id", "=", uid)]
        c.call("crm.lead", "web_read_group", domain, ["expected_revenue:sum"],
               ["stage_id"], lazy=True, kind="pipeline_groups")
        c.call("crm.lead", "web_search_read", domain, self.specs["crm.lead", "kanban"],
               limit=40, order="stage_id, priority desc, id desc", kind="pipeline_cards")
        self.pause()
        partner = self.random.choice(self.data["customers"])
        c.call("res.partner", "web_read", [partner],
               specification=self.specs["res.partner", "form"], kind="partner_360")
        self.pause()
        c.call("crm.sales.target", "web_search_read", [("user_id", "=", uid)],
               self.specs["crm.sales.target", "list"], limit=80, kind="targets")
        self.pause()

    def _agent(self):
        c = self.client
        page = c.call("crm.complaint", "web_search_read", [],
                      self.specs["crm.complaint", "list"], limit=80, kind="complaint_list")
        if not page["records"]:
            return
        complaint = self.random.choice(page["records"])["id"]
        self.pause()
        c.call("crm.complaint", "web_read", [complaint],
               specification=self.specs["crm.complaint", "form"], kind="complaint_open")
        self.pause()
        c.call("crm.complaint", "message_post", [complaint],
               body="We are looking into it and will call you back today.",
               message_type="comment", subtype_xmlid="mail.mt_comment",
               kind="complaint_reply")
        self.pause()

    def _portal(self):
        c = self.client
        c.page("/my/complaints", "portal_list")
        self.pause()
        form = c.page("/my/complaints/new", "portal_form")
        self.pause()
        csrf, submission = CSRF_RE.search(form), SUBMISSION_RE.search(form)
        if not csrf:
            raise RpcError("/my/complaints/new: no CSRF token in the form")
        c.page("/my/complaints/new", "portal_submit", data={
            "csrf_token": csrf.group(1),
            "submission": submission.group(1) if submission else uuid.uuid4().hex,
            "name": "Parcel arrived damaged",
            "description": "The box was crushed and the product does not start.",
        })
        self.pause()


def run_user(user, recorder, stop):
    while not stop.is_set() and not recorder.spent():
        try:
            user.round()
        except TimeUp:
            break
        except RpcError as error:
            recorder.error(f"{user.login}: {error}")
        except Exception as error:  # a benchmark reports, never stops
            recorder.error(f"{user.login}: {type(error).__name__}: {error}")


def report(recorder, elapsed, users, workers_note):
    print(f"\n{users} concurrent users, {recorder.count} requests in {elapsed:.1f} s "
          f"({recorder.count / elapsed:.1f} req/s){workers_note}\n")
    header = (f"{'kind':<16}{'count':>7}{'req/s':>8}{'p50 ms':>9}{'p95 ms':>9}"
              f"{'p99 ms':>9}{'non-2xx':>9}{'rpc err':>9}{'failed':>8}{'p95/floor':>11}")
    print(header)
    print("-" * len(header))
    floor = recorder.samples.get(FLOOR)
    floor_p95 = percentile(sorted(floor), 95) if floor else None
    worst = 0.0
    for kind in KINDS:
        values = sorted(recorder.samples.get(kind, []))
        if not values:
            continue
        p50, p95, p99 = (percentile(values, share) * 1000 for share in (50, 95, 99))
        ratio = p95 / 1000 / floor_p95 if floor_p95 else float("nan")
        if kind != FLOOR:
            worst = max(worst, ratio)
        print(f"{kind:<16}{len(values):>7}{len(values) / elapsed:>8.1f}{p50:>9.0f}"
              f"{p95:>9.0f}{p99:>9.0f}{recorder.non_2xx[kind]:>9}"
              f"{recorder.rpc_errors[kind]:>9}{recorder.failed[kind]:>8}{ratio:>10.1f}x")
    errors = (sum(recorder.non_2xx.values()) + sum(recorder.rpc_errors.values())
              + sum(recorder.failed.values()))
    print(f"\nerrors: {errors} (non-2xx {sum(recorder.non_2xx.values())}, "
          f"JSON-RPC {sum(recorder.rpc_errors.values())}, "
          f"failed {sum(recorder.failed.values())}); "
          f"worst p95 against the floor's: {worst:.1f}x")
    for message in recorder.errors:
        print(f"  {message}")
    return errors


def main():
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__.split("\n\n", 1)[1],
    )
    parser.add_argument("--url", default="http://127.0.0.1:8069",
                        help="the server, on this machine (default: %(default)s)")
    parser.add_argument("-d", "--database", required=True)
    parser.add_argument("--users", type=int, default=8, help="concurrent users (default: 8)")
    parser.add_argument("--max-requests", type=int, default=3000,
                        help="stop after this many requests (default: %(default)s)")
    parser.add_argument("--max-seconds", type=float, default=60,
                        help="stop after this many seconds of load (default: %(default)s)")
    parser.add_argument("--think", type=float, default=1.0,
                        help="seconds a person reads or types between two screens, on "
                        "average (default: %(default)s); 0: each user sends its next "
                        "request as soon as it has the answer")
    parser.add_argument("--admin", default="admin:admin",
                        help="login:password of an administrator, for the set-up")
    args = parser.parse_args()
    if args.users < 1 or args.max_requests < 1 or args.max_seconds <= 0 or args.think < 0:
        sys.exit("--users, --max-requests and --max-seconds must be positive, --think too or 0")
    base_url = loopback_only(args.url)

    admin = Client(base_url, args.database)
    try:
        admin.login(*args.admin.split(":", 1))
    except RpcError as error:
        sys.exit(f"cannot log in as the administrator on {base_url}, database "
                 f"{args.database!r}: {error}")
    # the mix of a working day: 3 salespeople, 3 agents, 2 portal customers in 8
    roles = [ROLES[index] for index in (0, 1, 2, 0, 1, 2, 0, 1)]
    roles = [roles[index % len(roles)] for index in range(args.users)]
    per_role = {role: max(roles.count(role), 1) for role in ROLES}
    data = setup(admin, per_role)

    recorder = Recorder(args.max_requests, args.max_seconds)
    counters = defaultdict(int)
    users = []
    for role in roles:
        login = data[role][counters[role] % len(data[role])][0]
        counters[role] += 1
        users.append(VirtualUser(role, login, base_url, args.database, recorder, data,
                                 args.think))
    started = time.perf_counter()
    for user in users:
        user.start()
    print(f"{len(users)} users logged in and warmed up in {time.perf_counter() - started:.1f} s; "
          f"load for at most {args.max_seconds:g} s or {args.max_requests} requests ...")

    stop = threading.Event()
    threads = [threading.Thread(target=run_user, args=(user, recorder, stop), daemon=True)
               for user in users]
    recorder.start()
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    try:
        for thread in threads:
            thread.join()
    except KeyboardInterrupt:
        stop.set()
        for thread in threads:
            thread.join()
    elapsed = time.perf_counter() - started
    info = admin.rpc("/web/webclient/version_info", {})
    errors = report(recorder, elapsed, len(users),
                    f", think time {args.think:g} s; server "
                    f"{info.get('server_version', '?')} at {base_url}")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
