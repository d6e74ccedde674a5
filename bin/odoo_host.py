"""Where the host, Odoo 18.0, is installed: found without importing it.

Importing ``odoo`` needs its dependencies, which the project's commands install
from requirements.txt; finding it must work before that. One place for the
lookup, used by bin/_common.sh (``python3 bin/odoo_host.py version|addons``),
tests/conftest.py and the benchmarks.
"""

import ast
import importlib.util
import sys
from pathlib import Path


class HostNotFound(Exception):
    """Odoo is not installed where this Python finds packages, or not usable."""


def package_dir():
    """The directory of the ``odoo`` package, without running its ``__init__``."""
    spec = importlib.util.find_spec("odoo")
    if spec is None or not spec.submodule_search_locations:
        raise HostNotFound(
            f"no 'odoo' package for {sys.executable}: install an Odoo 18.0 source tree "
            "first (see README.md, Prerequisite)"
        )
    return Path(next(iter(spec.submodule_search_locations))).resolve()


def major_version():
    """The major version in ``odoo/release.py``, read as text."""
    release = package_dir() / "release.py"
    for node in ast.parse(release.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            isinstance(target, ast.Name) and target.id == "version_info"
            for target in node.targets
        ):
            return node.value.elts[0].value
    raise HostNotFound(f"no version_info in {release}")


def addons_path():
    """The directory of the host's addons (the one holding ``sale_crm``): inside the
    package for an installed tree, beside it for a git checkout."""
    package = package_dir()
    for candidate in (package / "addons", package.parent / "addons"):
        if (candidate / "sale_crm").is_dir():
            return candidate
    raise HostNotFound(f"no addons directory with sale_crm next to the Odoo package {package}")


def main(argv):
    commands = {"version": major_version, "addons": addons_path, "package": package_dir}
    if len(argv) != 2 or argv[1] not in commands:
        print(f"usage: {argv[0]} {'|'.join(commands)}", file=sys.stderr)
        return 2
    try:
        print(commands[argv[1]]())
    except HostNotFound as error:
        print(error, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
