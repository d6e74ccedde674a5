"""Loading Odoo for the benchmarks: the project's configuration and addons path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def host_addons_path():
    """The directory of the host's addons (bin/odoo_host.py finds it)."""
    sys.path.insert(0, str(ROOT / "bin"))
    from odoo_host import HostNotFound, addons_path

    try:
        return addons_path()
    except HostNotFound as error:
        sys.exit(str(error))


def load_registry(database, config=ROOT / "odoo.conf"):
    """The registry of ``database``, with the project's configuration."""
    import odoo

    odoo.tools.config.parse_config([
        "-c", str(config), "-d", database,
        f"--addons-path={host_addons_path()},{ROOT / 'addons'}",
        "--log-level=warn",
    ])
    return odoo.modules.registry.Registry(database)
