#!/usr/bin/env bash
# Several app servers on one PostgreSQL, on this machine, from a fresh clone:
#
#   scripts/multi_server.sh          # start: PostgreSQL + two app servers; Ctrl-C stops all
#   scripts/multi_server.sh stop     # stop them from another terminal
#
# A throwaway PostgreSQL cluster (Debian's binaries, /usr/lib/postgresql/*/bin) lives in
# data/pg/: its data, its socket, a database "survey" owned by the role "survey_app" (password
# generated into data/pg/app_password) and the shared pseudonymisation key (data/pg/code_key:
# every app server must have the same SURVEY_CODE_KEY; back it up with the database). Then two
# `streamlit run survey_app.py` processes start together on two ports with the same
# SURVEY_DATABASE_URL and SURVEY_CODE_KEY; the first to start sets up the database (migrations,
# questionnaires, demo data, the first admin) and prints the admin's one-time password, which
# this script repeats.
#
# Settings (environment): PORTS="8501 8502" (one app server per port), PG_PORT=5433,
# PG_DIR=data/pg, SURVEY_DEMO (as for one machine), PYTHON=python3.
#
# A load balancer in front is optional: any server answers any request, because sessions,
# drafts and submissions live in the database (a cookie from server A is valid on server B).
# Sticky sessions are not needed, but proxying must keep a page visit's Streamlit websocket
# (/_stcore/stream) on the server it opened on, as any websocket proxy does; if that server
# goes away the page reconnects, to another server, and the visitor is still signed in. An
# nginx example is printed at start (upstream with the two ports, `proxy_http_version 1.1`,
# `Upgrade`/`Connection` headers). Set SURVEY_TRUSTED_PROXIES to the proxy's address.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
PORTS=${PORTS:-"8501 8502"}
PG_PORT=${PG_PORT:-5433}
PG_DIR=${PG_DIR:-data/pg}
PYTHON=${PYTHON:-python3}
mkdir -p "$PG_DIR"
PG_DIR=$(cd "$PG_DIR" && pwd)
CLUSTER=$PG_DIR/cluster
RUN=$PG_DIR/run            # socket and pid files
umask 077

say() { printf '%s\n' "$*"; }
die() { printf 'multi_server: %s\n' "$*" >&2; exit 1; }

bindir() {
  local found
  found=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
  if [ -n "$found" ] && [ -x "$found/initdb" ]; then echo "$found"; return; fi
  if command -v pg_config >/dev/null && [ -x "$(pg_config --bindir)/initdb" ]; then
    pg_config --bindir; return
  fi
  die "PostgreSQL binaries not found: apt-get install -y postgresql (Debian/Ubuntu)"
}

# initdb refuses to run as root: the cluster then belongs to the postgres user.
as_owner() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

stop_all() {
  local pid stopped=()
  for f in "$RUN"/app-*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    rm -f "$f"
    if kill "$pid" 2>/dev/null; then stopped+=("$pid"); say "stopping app server (pid $pid)"; fi
  done
  # let the app servers close their connections, then stop PostgreSQL
  for pid in "${stopped[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  if [ -f "$CLUSTER/postmaster.pid" ]; then
    as_owner "$(bindir)/pg_ctl" -D "$CLUSTER" -m fast -w stop >/dev/null && say "stopped PostgreSQL"
  fi
}

if [ "${1:-start}" = stop ]; then
  stop_all
  exit 0
fi
[ "${1:-start}" = start ] || die "usage: $0 [start|stop]"

BIN=$(bindir)
[ -f "$ROOT/survey_app.py" ] || die "run from the project (survey_app.py not found)"
"$PYTHON" -c "import psycopg, streamlit, duckdb_extension_postgres_scanner" 2>/dev/null \
  || die "missing Python packages: $PYTHON -m pip install -r requirements.txt"

mkdir -p "$RUN"
if [ "$(id -u)" = 0 ]; then
  chown postgres "$PG_DIR" "$RUN"
  runuser -u postgres -- test -x "$PG_DIR" || die "the postgres user cannot reach $PG_DIR (a \
parent folder is closed to others): set PG_DIR to a folder it can reach, e.g. PG_DIR=/var/tmp/survey-pg"
fi

# 1. the cluster (once), then started
if [ ! -f "$CLUSTER/PG_VERSION" ]; then
  say "creating a PostgreSQL cluster in $CLUSTER"
  as_owner "$BIN/initdb" -D "$CLUSTER" -U postgres --auth-local=trust --auth-host=scram-sha-256 \
    -E UTF8 --locale=C.UTF-8 >"$PG_DIR/initdb.log" 2>&1 || { cat "$PG_DIR/initdb.log" >&2; die "initdb failed"; }
fi
if as_owner "$BIN/pg_ctl" -D "$CLUSTER" status >/dev/null 2>&1; then
  say "PostgreSQL already running in $CLUSTER"
else
  as_owner "$BIN/pg_ctl" -D "$CLUSTER" -l "$PG_DIR/postgresql.log" -w \
    -o "-p $PG_PORT -k $RUN -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
    || { tail -n 20 "$PG_DIR/postgresql.log" >&2; die "PostgreSQL did not start (port $PG_PORT taken? set PG_PORT)"; }
fi
psql_admin() { as_owner "$BIN/psql" -h "$RUN" -p "$PG_PORT" -U postgres -d postgres -qAt -v ON_ERROR_STOP=1 "$@"; }

# 2. the app's role and database (once); password and key kept in files only this user reads
if [ ! -s "$PG_DIR/app_password" ]; then
  "$PYTHON" -c 'import secrets; print(secrets.token_urlsafe(24))' >"$PG_DIR/app_password"
fi
if [ ! -s "$PG_DIR/code_key" ]; then
  "$PYTHON" -c 'import secrets; print(secrets.token_hex(32))' >"$PG_DIR/code_key"
fi
APP_PASSWORD=$(cat "$PG_DIR/app_password")
if [ "$(psql_admin -c "SELECT 1 FROM pg_roles WHERE rolname = 'survey_app'")" != 1 ]; then
  psql_admin -c "CREATE ROLE survey_app LOGIN PASSWORD '$APP_PASSWORD'"
fi
if [ "$(psql_admin -c "SELECT 1 FROM pg_database WHERE datname = 'survey'")" != 1 ]; then
  psql_admin -c "CREATE DATABASE survey OWNER survey_app ENCODING 'UTF8'"
fi

export SURVEY_DATABASE_URL="postgresql://survey_app:$APP_PASSWORD@127.0.0.1:$PG_PORT/survey"
export SURVEY_CODE_KEY
SURVEY_CODE_KEY=$(cat "$PG_DIR/code_key")
# the analytics snapshot (data/pg/analytics.duckdb) is written beside SURVEY_DB, one writer at a time
export SURVEY_DB=${SURVEY_DB:-$PG_DIR/survey.duckdb}

# 3. the app servers, started together (the first one sets up the database, the others wait)
trap 'say ""; stop_all; exit 0' INT TERM
pids=()
for port in $PORTS; do
  log=$PG_DIR/app-$port.log
  "$PYTHON" -m streamlit run "$ROOT/survey_app.py" --server.port "$port" \
    --server.headless true >"$log" 2>&1 &
  echo $! >"$RUN/app-$port.pid"
  pids+=($!)
done

for port in $PORTS; do
  for _ in $(seq 1 240); do
    if "$PYTHON" -c "import sys, urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/healthz', timeout=2)" 2>/dev/null; then
      break
    fi
    pid=$(cat "$RUN/app-$port.pid")
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$PG_DIR/app-$port.log" >&2
      stop_all
      die "the app server on port $port stopped (log: $PG_DIR/app-$port.log)"
    fi
    sleep 0.5
  done
done

say ""
say "PostgreSQL:  $(printf '%s' "$SURVEY_DATABASE_URL" | sed 's#:[^:@/]*@#:***@#')  (data: $CLUSTER)"
say "App servers (same database, same SURVEY_CODE_KEY):"
for port in $PORTS; do say "  http://localhost:$port    log: $PG_DIR/app-$port.log"; done
password=$(grep -ho "one-time password [^ ]*" "$PG_DIR"/app-*.log 2>/dev/null | head -n 1 | awk '{print $3}' || true)
if [ -n "$password" ]; then
  echo "$password" >"$PG_DIR/first_admin_password"  # this run's logs are overwritten by the next
  say "First start: sign in as 'admin' with the one-time password $password (you will set your own)."
elif [ -s "$PG_DIR/first_admin_password" ]; then
  say "Set up at an earlier start: the first admin's one-time password (useless once changed) is in $PG_DIR/first_admin_password."
else
  say "Set up before: sign in with your accounts (or: python -m survey admin create ... with these settings)."
fi
first=${PORTS%% *}
say ""
say "Optional load balancer (not needed to try it; sessions live in the database, so no sticky"
say "sessions; a page visit's websocket stays on the server it opened on, as proxies do), nginx:"
say "  upstream survey { $(for p in $PORTS; do printf 'server 127.0.0.1:%s; ' "$p"; done)}"
say "  location / { proxy_pass http://survey; proxy_http_version 1.1;"
say "    proxy_set_header Upgrade \$http_upgrade; proxy_set_header Connection \"upgrade\";"
say "    proxy_set_header Host \$host; proxy_set_header X-Forwarded-For \$remote_addr;"
say "    proxy_read_timeout 1h; }"
say "  and SURVEY_TRUSTED_PROXIES=127.0.0.1 for the app servers."
say ""
say "Ctrl-C (or scripts/multi_server.sh stop) stops the app servers and PostgreSQL; the data stays in $PG_DIR."
wait "${pids[@]}" || true
stop_all
