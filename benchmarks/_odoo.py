"""What the benchmarks share: loading Odoo with the project's configuration and addons
path, the check that a server to load is this machine's, and percentiles."""

import ipaddress
import socket
import statistics
import sys
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent


def host_addons_path():
    """The directory of the host's addons (bin/odoo_host.py finds it)."""
    sys.path.insert(0, str(ROOT / "bin"))
    from odoo_host import HostNotFound, addons_path

    try:
        return addons_path()
    except HostNotFound as error:
        sys.exit(str(error))


def configure(database, config=ROOT / "odoo.conf"):
    """Odoo's configuration for ``database``: the project's, with its addons path."""
    import odoo

    odoo.tools.config.parse_config([
        "-c", str(config), "-d", database,
        f"--addons-path={host_addons_path()},{ROOT / 'addons'}",
        "--log-level=warn",
    ])


def load_registry(database, config=ROOT / "odoo.conf"):
    """The registry of ``database``, with the project's configuration."""
    import odoo

    configure(database, config)
    return odoo.modules.registry.Registry(database)


def loopback_only(url):
    """``url`` without its trailing slash, when it is a server of this machine; else exit."""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.hostname:
        sys.exit(f"--url must be an http URL, not {url!r}")
    try:
        addresses = {info[4][0] for info in socket.getaddrinfo(parsed.hostname, None)}
    except socket.gaierror as error:
        sys.exit(f"{parsed.hostname}: {error}")
    if not all(ipaddress.ip_address(address).is_loopback for address in addresses):
        sys.exit(f"{parsed.hostname} is not the loopback interface: this benchmark only "
                 "loads a server of this machine")
    return url.rstrip("/")


def percentile(values, share):
    """The ``share``-th percentile (1 to 99) of ``values``."""
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[share - 1]


def timed(function, runs=3):
    """The median wall time of ``runs`` calls of ``function``, and its last result."""
    import time

    times, result = [], None
    for _run in range(runs):
        started = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result
