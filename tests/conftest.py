"""End-to-end fixtures: a real Odoo server in a subprocess, and JSON-RPC clients.

The server runs on the database pytest-odoo works on, with the project's
configuration, on a free port of its own: never 8069 nor the port Odoo's
configuration holds, which pytest-odoo's ``--odoo-http`` may keep busy
in-process. The tests talk to it over HTTP only, as a browser or an external
client would. A second server, multi-worker behind the project's nginx (as
``CRM_WORKERS=2 bin/run`` runs it), is started for the tests that ask for it.
"""

import configparser
import contextlib
import itertools
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psycopg2
import pytest
import requests

import odoo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bin"))
import odoo_host  # noqa: E402  (bin/ is not a package)

CONF = ROOT / "odoo.conf"
ODOO_SERVER = ROOT / "bin" / "odoo_server.py"  # the host's server, as bin/run starts it
PROXY = ROOT / "bin" / "proxy"  # nginx in front of the multi-worker server, as bin/run
START_TIMEOUT = 120  # seconds for the server to answer /web/health
STOP_TIMEOUT = 30  # seconds for the server to stop on SIGTERM
REQUEST_TIMEOUT = 120  # seconds for one request (the first one may load the registry)
LOG_TAIL = 4000  # characters of the server's log shown when it fails


def _database_name():
    """The database of pytest-odoo, else $CRM_TEST_DB, else crm_test."""
    name = odoo.tools.config["db_name"]
    if isinstance(name, list | tuple):
        name = name[0] if name else None
    if name:
        return name.split(",")[0].strip()
    return os.environ.get("CRM_TEST_DB") or "crm_test"


def _host_addons_path():
    """The directory of the host's addons (bin/odoo_host.py finds it)."""
    try:
        return odoo_host.addons_path()
    except odoo_host.HostNotFound as error:
        pytest.fail(str(error))


def _free_port(busy):
    """A TCP port nobody listens on, other than the ones in ``busy``."""
    while True:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind(("127.0.0.1", 0))
            port = sock.getsockname()[1]
        if port not in busy:
            return port


def _db_params():
    """Connection settings of PostgreSQL: Odoo's, else odoo.conf's."""
    parser = configparser.ConfigParser()
    parser.read(CONF)
    options = parser["options"] if parser.has_section("options") else {}
    params = {}
    for key in ("host", "port", "user", "password"):
        value = odoo.tools.config.get(f"db_{key}") or options.get(f"db_{key}")
        if value:
            params[key] = value
    return params


def _database_exists(name):
    """Whether PostgreSQL has the database.

    Checked before starting the server: ``odoo -d`` creates a missing database.
    """
    connection = psycopg2.connect(dbname="postgres", **_db_params())
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
            return cursor.fetchone() is not None
    finally:
        connection.close()


def _tail(path):
    try:
        text = Path(path).read_text(errors="replace")
    except OSError as error:
        return f"(no server log: {error})"
    return text[-LOG_TAIL:] or "(the server wrote nothing)"


def _stop(process):
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=STOP_TIMEOUT)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=STOP_TIMEOUT)


# These tests drive a server of their own over HTTP: they need neither the
# registry nor the HTTP server that pytest-odoo runs in-process. Overriding its
# autouse fixtures for this folder lets them run alone too (CRM_TEST_DB=<db>
# pytest tests), and keeps them clear of the in-process server (with pytest-odoo
# 2.1.3 on Odoo 18, its --odoo-http fixture failed in every module).


@pytest.fixture(scope="session", autouse=True)
def load_registry():
    """No in-process registry for these tests (overrides pytest-odoo's fixture)."""
    yield


@pytest.fixture(scope="session", autouse=True)
def load_http():
    """No in-process HTTP server for these tests (overrides pytest-odoo's fixture)."""
    yield


@pytest.fixture(scope="session")
def odoo_db():
    """Name of the database the server under test runs on."""
    return _database_name()


def _server_command(db, *options):
    """The command line of the host's server on ``db`` with the project's configuration."""
    return [
        sys.executable, str(ODOO_SERVER),
        "-c", str(CONF),
        f"--addons-path={_host_addons_path()},{ROOT / 'addons'}",
        "-d", db,
        f"--db-filter=^{re.escape(db)}$",
        "--max-cron-threads=0",
        *options,
    ]


@contextlib.contextmanager
def running_server(command, base_url, log_path, db, env=None):
    """Run ``command`` (a server) until the block ends; the block starts once
    ``base_url`` answers /web/health and serves ``db``'s login page."""
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
            env={**os.environ, **(env or {})},
        )
    try:
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            if process.poll() is not None:
                pytest.fail(
                    f"the Odoo server died at start (exit code {process.returncode}); "
                    f"command: {' '.join(command)}\n--- server log ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            try:
                response = requests.get(f"{base_url}/web/health", timeout=5)
                if response.status_code == 200 and response.json().get("status") == "pass":
                    break
            except (requests.RequestException, ValueError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(
                    f"the Odoo server did not answer {base_url}/web/health within "
                    f"{START_TIMEOUT} s\n--- server log ---\n{_tail(log_path)}",
                    pytrace=False,
                )
            time.sleep(0.5)
        # the database must be served too, not only the health check
        response = requests.get(f"{base_url}/web/login", timeout=REQUEST_TIMEOUT)
        if response.status_code != 200:
            pytest.fail(
                f"the Odoo server does not serve the database {db!r}: GET /web/login "
                f"answered {response.status_code}\n--- server log ---\n{_tail(log_path)}",
                pytrace=False,
            )
        yield process
    finally:
        _stop(process)


@pytest.fixture(scope="session")
def odoo_server(odoo_db, tmp_path_factory):
    """Base URL of an Odoo server started for the session, stopped at its end."""
    if not _database_exists(odoo_db):
        pytest.fail(f"the database {odoo_db!r} does not exist: install the addons first",
                    pytrace=False)
    port = _free_port({8069, int(odoo.tools.config["http_port"] or 8069)})
    command = _server_command(
        odoo_db,
        "--http-interface=127.0.0.1",
        f"--http-port={port}",
        "--workers=0",
        "--log-level=warn",
    )
    log_path = tmp_path_factory.mktemp("odoo_server") / "server.log"
    with running_server(command, f"http://127.0.0.1:{port}", log_path, odoo_db):
        yield f"http://127.0.0.1:{port}"


class MultiWorkerServer:
    """Odoo's multi-worker server behind the project's nginx, as ``CRM_WORKERS=N bin/run``
    runs it: ``base_url`` is the proxy, ``log_path`` Odoo's log."""

    def __init__(self, base_url, log_path, run_dir):
        self.base_url = base_url
        self.log_path = Path(log_path)
        self.run_dir = Path(run_dir)

    def log(self):
        return self.log_path.read_text(errors="replace")


@pytest.fixture(scope="session")
def odoo_multiworker_server(odoo_db, tmp_path_factory):
    """A multi-worker server (2 HTTP workers and the websocket worker) behind nginx,
    started for the session on free loopback ports. Its read-only requests go to a
    "replica" that is the same database, opened read-only, as with db_replica_host."""
    if not _database_exists(odoo_db):
        pytest.fail(f"the database {odoo_db!r} does not exist: install the addons first",
                    pytrace=False)
    busy = {8069, 8072, int(odoo.tools.config["http_port"] or 8069)}
    public = _free_port(busy)
    http_port = _free_port(busy | {public})
    gevent_port = _free_port(busy | {public, http_port})
    db = _db_params()
    command = _server_command(
        odoo_db,
        "--workers=2",
        "--proxy-mode",
        "--http-interface=127.0.0.1",
        f"--http-port={http_port}",
        f"--gevent-port={gevent_port}",
        f"--db_replica_host={db.get('host', '127.0.0.1')}",
        f"--db_replica_port={db.get('port', 5432)}",
        "--log-level=info",
    )
    log_path = tmp_path_factory.mktemp("odoo_multiworker") / "server.log"
    # not under pytest's tmp_path (mode 700): nginx's workers (www-data) reach it
    run_dir = tempfile.mkdtemp(prefix="crm-proxy-")
    base_url = f"http://127.0.0.1:{public}"
    proxy = subprocess.run(
        [str(PROXY), "start", run_dir, f"127.0.0.1:{public}", str(http_port), str(gevent_port)],
        cwd=ROOT, capture_output=True, text=True, timeout=600, check=False,
    )
    if proxy.returncode:
        shutil.rmtree(run_dir, ignore_errors=True)
        pytest.fail(f"the proxy did not start: {proxy.stderr or proxy.stdout}", pytrace=False)
    try:
        # as bin/run: a worker waits for a request the proxy has to send again
        env = {"ODOO_HTTP_SOCKET_TIMEOUT": "30"}
        with running_server(command, base_url, log_path, odoo_db, env):
            yield MultiWorkerServer(base_url, log_path, run_dir)
    finally:
        subprocess.run([str(PROXY), "stop", run_dir], cwd=ROOT, timeout=60, check=False)
        shutil.rmtree(run_dir, ignore_errors=True)


class RpcError(Exception):
    """A JSON-RPC answer carrying an error; ``data`` is its ``error.data``."""

    def __init__(self, error):
        self.error = error
        self.data = error.get("data") or {}
        self.name = self.data.get("name", "")
        super().__init__(f"{self.name}: {self.data.get('message') or error.get('message')}")


class OdooClient:
    """What the web client does over HTTP: a session cookie and JSON-RPC calls."""

    _ids = itertools.count(1)

    def __init__(self, base_url, db):
        self.base_url = base_url
        self.db = db
        self.http = requests.Session()
        self.uid = None
        self.user_context = {}

    def url(self, path):
        return f"{self.base_url}{path}"

    def json_rpc(self, path, params):
        """POST one JSON-RPC request; returns ``result`` or raises :class:`RpcError`."""
        request_id = next(self._ids)
        response = self.http.post(
            self.url(path),
            json={"jsonrpc": "2.0", "method": "call", "params": params, "id": request_id},
            timeout=REQUEST_TIMEOUT,
        )
        assert response.status_code == 200, (
            f"POST {path}: HTTP {response.status_code}: {response.text[:500]}"
        )
        body = response.json()
        assert body.get("jsonrpc") == "2.0" and body.get("id") == request_id, body
        if "error" in body:
            raise RpcError(body["error"])
        return body["result"]

    def json_rpc_error(self, path, params):
        """Like :meth:`json_rpc` for a request that must fail: returns the error's ``data``."""
        try:
            result = self.json_rpc(path, params)
        except RpcError as error:
            return error.data
        pytest.fail(f"POST {path} succeeded instead of failing: {result!r}")

    def authenticate(self, login, password):
        info = self.json_rpc(
            "/web/session/authenticate",
            {"db": self.db, "login": login, "password": password},
        )
        assert info.get("uid"), f"{login} could not log in: {info}"
        self.uid = info["uid"]
        self.user_context = info.get("user_context") or {}
        return info

    def call(self, model, method, *args, **kwargs):
        """``model.method(*args, **kwargs)`` as the web client calls it."""
        return self.json_rpc(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def call_error(self, model, method, *args, **kwargs):
        """Like :meth:`call` for a call that must fail: returns the error's ``data``."""
        return self.json_rpc_error(
            f"/web/dataset/call_kw/{model}/{method}",
            {"model": model, "method": method, "args": list(args), "kwargs": kwargs},
        )

    def xmlid_to_id(self, xmlid):
        """Database id of a record given its external id (needs access to ir.model.data)."""
        module, name = xmlid.split(".", 1)
        rows = self.call(
            "ir.model.data", "search_read",
            [("module", "=", module), ("name", "=", name)], ["res_id"],
        )
        assert rows, f"no record with the external id {xmlid}"
        return rows[0]["res_id"]


@pytest.fixture(scope="session")
def new_client(odoo_server, odoo_db):
    """Factory of fresh, anonymous clients of the server under test."""
    clients = []

    def make():
        client = OdooClient(odoo_server, odoo_db)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()


@pytest.fixture(scope="session")
def admin(new_client):
    """A client logged in as the sales administrator (admin/admin)."""
    client = new_client()
    client.authenticate("admin", "admin")
    return client


@pytest.fixture(scope="session")
def demo(new_client):
    """A client logged in as the plain salesperson Marc Demo (demo/demo)."""
    client = new_client()
    client.authenticate("demo", "demo")
    return client


@pytest.fixture(scope="session")
def new_multiworker_client(odoo_multiworker_server, odoo_db):
    """Factory of fresh, anonymous clients of the multi-worker server, through its proxy."""
    clients = []

    def make():
        client = OdooClient(odoo_multiworker_server.base_url, odoo_db)
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.http.close()
