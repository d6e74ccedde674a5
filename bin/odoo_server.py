#!/usr/bin/env python3
"""The host's server, Odoo 18.0, started from a script of the project.

What the host's ``odoo`` console script does, without depending on it being on
the PATH. ``python3 -m odoo`` is not enough for the multi-worker server: it
starts its websocket (gevent) worker by running ``sys.argv[0]`` again, which
under ``-m`` is ``odoo/__main__.py``, a file that cannot run on its own. Here
``sys.argv[0]`` is this script, which can.

    python3 bin/odoo_server.py [server options]      # as odoo-bin
    python3 bin/odoo_server.py shell|gevent|... [options]
"""

import os

# as odoo-bin: the server's time zone is UTC, whatever the machine's
os.environ["TZ"] = "UTC"

import odoo  # after TZ, as odoo-bin does

if __name__ == "__main__":
    odoo.cli.main()
