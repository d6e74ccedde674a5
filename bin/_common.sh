# Shared set-up of bin/run and bin/test: sourced, not executed.
# Every step is idempotent and stops with a one-line reason when something
# cannot be had.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CONF="$ROOT/odoo.conf"
PYTHON="${PYTHON:-python3}"
PG_PORT="$(sed -n 's/^db_port *= *//p' "$CONF")"
PG_PORT="${PG_PORT:-5432}"

die() {
    echo "error: $*" >&2
    exit 1
}

as_root() {
    if [ "$(id -u)" = 0 ]; then "$@"; else sudo -n "$@"; fi
}

apt_install() {
    # apt_install PACKAGE...: installs Debian packages that are missing.
    command -v apt-get >/dev/null 2>&1 || return 1
    if [ -z "${_CRM_APT_UPDATED:-}" ]; then
        as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >/dev/null 2>&1 || return 1
        _CRM_APT_UPDATED=1
    fi
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null 2>&1
}

require_odoo() {
    # Found without importing it: Odoo's own dependencies come with requirements.txt.
    local version
    version=$("$PYTHON" "$ROOT/bin/odoo_host.py" version) || die "$("$PYTHON" "$ROOT/bin/odoo_host.py" version 2>&1)"
    [ "$version" = 18 ] || die "Odoo $version found, these addons need Odoo 18.0"
}

require_odoo_importable() {
    "$PYTHON" -c "import odoo" 2>/dev/null \
        || die "Odoo is installed but does not import with $PYTHON even with requirements.txt installed: $("$PYTHON" -c 'import odoo' 2>&1 | tail -n 1)"
}

host_addons_path() {
    # The directory holding the host's addons (sale_crm, survey, ...).
    "$PYTHON" "$ROOT/bin/odoo_host.py" addons
}

ensure_python_requirements() {
    "$PYTHON" -m pip install --disable-pip-version-check --root-user-action=ignore -q -r "$ROOT/requirements.txt" \
        || die "the Python requirements (requirements.txt) could not be installed"
}

pg_ready() {
    pg_isready -q -h 127.0.0.1 -p "$PG_PORT" >/dev/null 2>&1
}

ensure_postgres() {
    if ! command -v pg_isready >/dev/null 2>&1 || ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
        apt_install postgresql || die "PostgreSQL could not be installed (apt-get install postgresql failed)"
    fi
    if ! pg_ready; then
        command -v pg_lsclusters >/dev/null 2>&1 \
            || die "PostgreSQL is not running on port $PG_PORT and no Debian cluster tools are here to start it"
        local cluster
        cluster=$(pg_lsclusters -h 2>/dev/null | awk -v port="$PG_PORT" '$3 == port {print $1" "$2; exit}')
        if [ -z "$cluster" ]; then
            local version
            version=$(ls /usr/lib/postgresql | sort -n | tail -n 1)
            as_root pg_createcluster -p "$PG_PORT" "$version" crm >/dev/null \
                || die "could not create a PostgreSQL cluster on port $PG_PORT"
            cluster="$version crm"
        fi
        # pg_ctlcluster runs the server as the cluster's owner, never as root.
        as_root pg_ctlcluster $cluster start >/dev/null 2>&1 || true
        for _ in $(seq 30); do pg_ready && break; sleep 1; done
        pg_ready || die "PostgreSQL did not start on port $PG_PORT (see /var/log/postgresql/)"
    fi
    ensure_db_role
}

ensure_db_role() {
    local user password
    user=$(sed -n 's/^db_user *= *//p' "$CONF")
    password=$(sed -n 's/^db_password *= *//p' "$CONF")
    if PGPASSWORD="$password" psql -h 127.0.0.1 -p "$PG_PORT" -U "$user" -d postgres -tAc "select 1" >/dev/null 2>&1; then
        return 0
    fi
    as_root runuser -u postgres -- psql -q -p "$PG_PORT" -d postgres -c \
        "DO \$\$ BEGIN
           IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '$user') THEN
             CREATE ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password';
           ELSE
             ALTER ROLE \"$user\" LOGIN CREATEDB PASSWORD '$password';
           END IF;
         END \$\$;" >/dev/null \
        || die "could not create the database role '$user' (needs the postgres superuser)"
}

ensure_chromium() {
    command -v chromium >/dev/null 2>&1 || command -v chromium-browser >/dev/null 2>&1 \
        || apt_install chromium || die "Chromium could not be installed (apt-get install chromium failed)"
}

ensure_fonts_and_pdf() {
    # Debian's CJK fonts, for Chinese text in the browser and in PDF reports, and
    # wkhtmltopdf, which the host's QWeb PDF reports are rendered with.
    fc-list 2>/dev/null | grep -qi "Noto Sans CJK" || apt_install fonts-noto-cjk \
        || die "the CJK fonts could not be installed (apt-get install fonts-noto-cjk failed)"
    command -v wkhtmltopdf >/dev/null 2>&1 || apt_install wkhtmltopdf \
        || die "wkhtmltopdf could not be installed (apt-get install wkhtmltopdf failed)"
}

nginx_bin() {
    command -v nginx 2>/dev/null || echo /usr/sbin/nginx
}

ensure_nginx() {
    # Debian's nginx, for the reverse proxy of the multi-worker server (bin/proxy).
    [ -x "$(nginx_bin)" ] || apt_install nginx \
        || die "nginx could not be installed (apt-get install nginx failed)"
}

port_free() {
    # port_free PORT [ADDRESS]: nobody listens on PORT (on every address by default).
    "$PYTHON" - "$1" "${2:-}" 2>/dev/null <<'PY'
import socket, sys
with socket.socket() as sock:
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((sys.argv[2], int(sys.argv[1])))
PY
}

proxy_pid() {
    # proxy_pid RUN_DIR: the pid of the nginx master of RUN_DIR, when it runs.
    local pid
    pid=$(cat "$1/nginx.pid" 2>/dev/null) || return 1
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null \
        && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q "nginx: master process" \
        && echo "$pid"
}

proxy_stop() {
    # proxy_stop RUN_DIR: stops the nginx of RUN_DIR gracefully, if it runs.
    local pid
    pid=$(proxy_pid "$1") || { rm -f "$1/nginx.pid"; return 0; }
    kill -QUIT "$pid" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -0 "$pid" 2>/dev/null && kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    rm -f "$1/nginx.pid"
}

proxy_start() {
    # proxy_start RUN_DIR LISTEN HTTP_PORT GEVENT_PORT MAX_UPLOAD: nginx on
    # deploy/nginx.conf.template, as a daemon whose files are all in RUN_DIR.
    local run_dir="$1" user=""
    if [ ! -d "$run_dir" ]; then
        mkdir -p -m 755 "$run_dir" || die "could not create the run directory $run_dir"
    fi
    # refuse a directory planted by someone else (the default one is under /tmp)
    [ -O "$run_dir" ] && [ ! -L "$run_dir" ] \
        || die "the run directory $run_dir is not a directory of $(id -un)"
    chmod 755 "$run_dir"  # nginx's workers (www-data under root) reach tmp/
    mkdir -p "$run_dir/tmp"
    [ "$(id -u)" = 0 ] && user="user www-data;"
    sed -e "s|@RUN_DIR@|$run_dir|g" -e "s|@LISTEN@|$2|g" -e "s|@HTTP_PORT@|$3|g" \
        -e "s|@GEVENT_PORT@|$4|g" -e "s|@BODY_SIZE@|$5|g" -e "s|@USER@|$user|g" \
        "$ROOT/deploy/nginx.conf.template" >"$run_dir/nginx.conf"
    "$(nginx_bin)" -q -t -p "$run_dir" -e "$run_dir/error.log" -c "$run_dir/nginx.conf" \
        || die "the proxy's configuration $run_dir/nginx.conf is not valid (see above)"
    "$(nginx_bin)" -p "$run_dir" -e "$run_dir/error.log" -c "$run_dir/nginx.conf" \
        || die "nginx did not start on $2 (see $run_dir/error.log)"
}

project_addons() {
    # Comma-separated names of every installable addon of the project.
    "$PYTHON" - "$ROOT/addons" <<'PY'
import ast, pathlib, sys
names = []
for manifest in sorted(pathlib.Path(sys.argv[1]).glob("*/__manifest__.py")):
    if ast.literal_eval(manifest.read_text()).get("installable", True):
        names.append(manifest.parent.name)
print(",".join(names))
PY
}

odoo_cmd() {
    # odoo_cmd ARGS...: the host's server with the project's configuration. Started
    # from bin/odoo_server.py, not `python3 -m odoo`: the multi-worker server starts
    # its websocket worker by running its own sys.argv[0] again.
    "$PYTHON" "$ROOT/bin/odoo_server.py" -c "$CONF" --addons-path="$(host_addons_path),$ROOT/addons" "$@"
}

load_chinese() {
    # load_chinese DB: Chinese next to English, for every installed addon's terms and
    # records. Done in a shell once the registry is loaded: --load-language runs before
    # the addons' models exist (their records would stay English), and on a new database
    # it would replace English.
    "$PYTHON" "$ROOT/bin/odoo_server.py" shell -c "$CONF" \
        --addons-path="$(host_addons_path),$ROOT/addons" \
        -d "$1" --no-http --log-level=warn >/dev/null <<'PY'
env["res.lang"]._activate_lang("zh_CN")
env["ir.module.module"].search([("state", "=", "installed")])._update_translations(["zh_CN"])
env.cr.commit()
PY
}

prepare() {
    require_odoo
    ensure_python_requirements
    require_odoo_importable
    ensure_postgres
    [ -n "$(host_addons_path)" ] || die "the Odoo tree has no addons directory with sale_crm in it"
    [ -n "$(project_addons)" ] || die "no installable addon found in $ROOT/addons"
}
