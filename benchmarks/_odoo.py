"""Loading Odoo for the benchmarks: the project's configuration and addons path."""

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def host_addons_path():
    """The directory of the host's addons (the one holding sale_crm): inside the odoo
    package for an installed tree, beside it for a git checkout."""
    import odoo

    package = Path(odoo.__file__).resolve().parent
    for candidate in (package / "addons", package.parent / "addons"):
        if (candidate / "sale_crm").is_dir():
            return candidate
    sys.exit("no host addons directory with sale_crm next to the Odoo package")


def load_registry(database, config=ROOT / "odoo.conf"):
    """The registry of ``database``, with the project's configuration."""
    import odoo

    odoo.tools.config.parse_config([
        "-c", str(config), "-d", database,
        f"--addons-path={host_addons_path()},{ROOT / 'addons'}",
        "--log-level=warn",
    ])
    return odoo.modules.registry.Registry(database)
