#!/usr/bin/env bash
# Several app servers on one PostgreSQL, on this machine, from a fresh clone:
#
#   scripts/multi_server.sh                   # start PostgreSQL (unless running) + two app servers
#   scripts/multi_server.sh status            # app servers, PostgreSQL and who is connected to it
#   scripts/multi_server.sh stop              # stop the app servers this script started
#   scripts/multi_server.sh stop --all        # ... and PostgreSQL, unless others still use it
#   scripts/multi_server.sh stop --all --force  # ... and PostgreSQL even then (cuts them off)
#
# The script stops only what it started. Ctrl-C stops this run's app servers, and PostgreSQL
# only if this run started it and no other program (an app server started by hand with the same
# SURVEY_DATABASE_URL, an analyst, psql) is connected; otherwise PostgreSQL keeps running and
# the script says who is connected. App servers that end on their own, or by `stop`, leave
# PostgreSQL running.
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

# The cluster's own record of where it listens (postmaster.pid: line 4 port, line 5 socket
# folder), so `stop` and `status` reach it whatever PG_PORT was at start.
pg_running() {
  [ -f "$CLUSTER/postmaster.pid" ] && as_owner "$(bindir)/pg_ctl" -D "$CLUSTER" status >/dev/null 2>&1
}
psql_admin() {
  local port socket
  port=$(sed -n 4p "$CLUSTER/postmaster.pid")
  socket=$(sed -n 5p "$CLUSTER/postmaster.pid")
  as_owner "$(bindir)/psql" -h "${socket:-$RUN}" -p "${port:-$PG_PORT}" -U postgres -d postgres \
    -qAt -v ON_ERROR_STOP=1 "$@"
}

# Other programs connected to PostgreSQL: "N  database  application  from" per line.
other_clients() {
  psql_admin -F '  ' -c "SELECT count(*), datname, coalesce(nullif(application_name, ''), '-'),
      coalesce('from ' || host(client_addr), 'local socket') FROM pg_stat_activity
    WHERE backend_type = 'client backend' AND pid <> pg_backend_pid() GROUP BY 2, 3, 4 ORDER BY 1 DESC"
}

# An app server this script started: the pid file's process is still that streamlit server
# (a pid reused by another program is left alone).
ours() {
  local pid=$1 port=$2
  [ -r "/proc/$pid/cmdline" ] || return 1
  tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q "survey_app.py --server.port $port "
}

# Stop the app servers started by this script (all of them, or those on the ports given).
stop_apps() {
  local f pid port stopped=() files=()
  if [ $# -gt 0 ]; then
    for port in "$@"; do files+=("$RUN/app-$port.pid"); done
  else
    files=("$RUN"/app-*.pid)
  fi
  for f in "${files[@]}"; do
    [ -e "$f" ] || continue
    pid=$(cat "$f")
    port=${f##*/app-}; port=${port%.pid}
    rm -f "$f"
    if ours "$pid" "$port" && kill "$pid" 2>/dev/null; then
      stopped+=("$pid")
      say "stopping the app server on port $port (pid $pid)"
    fi
  done
  # wait for them to end (and so to close their database connections)
  for pid in "${stopped[@]}"; do
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && say "the app server pid $pid has not stopped yet after 15 s"
  done
  [ ${#stopped[@]} -gt 0 ] || say "no app server of this script is running"
}

# Stop PostgreSQL unless other programs are connected (then list them and return 1); with
# "force", stop it anyway (pg_ctl -m fast: their transactions roll back, they are cut off).
stop_db() {
  local force=${1:-} clients=""
  if ! pg_running; then say "PostgreSQL is not running ($CLUSTER)"; return 0; fi
  for _ in $(seq 1 30); do  # a stopped server's connections take a moment to leave
    clients=$(other_clients) || clients="(could not list the connections)"
    [ -z "$clients" ] && break
    sleep 0.1
  done
  if [ -n "$clients" ]; then
    if [ "$force" != force ]; then
      say "PostgreSQL keeps running: other programs are connected to it"
      say "(connections, database, program, from):"
      printf '%s\n' "$clients" | sed 's/^/  /'
      say "Stop them first, or cut them off: scripts/multi_server.sh stop --all --force"
      return 1
    fi
    say "stopping PostgreSQL although programs are connected (they are cut off):"
    printf '%s\n' "$clients" | sed 's/^/  /'
  fi
  as_owner "$(bindir)/pg_ctl" -D "$CLUSTER" -m fast -w stop >/dev/null && say "stopped PostgreSQL"
}

status() {
  local f pid port any=""
  for f in "$RUN"/app-*.pid; do
    [ -e "$f" ] || continue
    pid=$(cat "$f"); port=${f##*/app-}; port=${port%.pid}; any=1
    if ours "$pid" "$port"; then say "app server on port $port: running (pid $pid)"
    else say "app server on port $port: not running (stale $f)"; fi
  done
  [ -n "$any" ] || say "app servers: none started by this script"
  if pg_running; then
    say "PostgreSQL: running in $CLUSTER, port $(sed -n 4p "$CLUSTER/postmaster.pid")"
    local clients
    clients=$(other_clients) || clients="(could not list the connections)"
    if [ -n "$clients" ]; then
      say "connected (connections, database, program, from):"
      printf '%s\n' "$clients" | sed 's/^/  /'
    else
      say "connected: nobody"
    fi
  else
    say "PostgreSQL: not running ($CLUSTER)"
  fi
}

usage="usage: $0 [start] | status | stop [--all [--force]]"
command=${1:-start}
[ $# -gt 0 ] && shift
case $command in
  stop)
    all="" force=""
    for arg in "$@"; do
      case $arg in --all) all=1 ;; --force) force=force ;; *) die "$usage" ;; esac
    done
    [ -z "$force" ] || [ -n "$all" ] || die "--force goes with --all: $usage"
    stop_apps
    if [ -n "$all" ]; then
      stop_db "$force" || exit 1
    elif pg_running; then
      say "PostgreSQL keeps running (scripts/multi_server.sh stop --all stops it)"
    fi
    exit 0 ;;
  status) [ $# = 0 ] || die "$usage"; status; exit 0 ;;
  start) [ $# = 0 ] || die "$usage" ;;
  *) die "$usage" ;;
esac

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
STARTED_PG=""  # set when this run starts PostgreSQL: only then may its Ctrl-C stop it
if pg_running; then
  PG_PORT=$(sed -n 4p "$CLUSTER/postmaster.pid")
  say "PostgreSQL already running in $CLUSTER (port $PG_PORT); this run will not stop it"
else
  as_owner "$BIN/pg_ctl" -D "$CLUSTER" -l "$PG_DIR/postgresql.log" -w \
    -o "-p $PG_PORT -k $RUN -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
    || { tail -n 20 "$PG_DIR/postgresql.log" >&2; die "PostgreSQL did not start (port $PG_PORT taken? set PG_PORT)"; }
  STARTED_PG=1
fi

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
# Ctrl-C: this run's app servers, and PostgreSQL if this run started it and nobody else uses it
finish() {
  stop_apps $PORTS
  if [ -n "$STARTED_PG" ]; then
    stop_db || true
  elif pg_running; then
    say "PostgreSQL keeps running (started before this run; scripts/multi_server.sh stop --all stops it)"
  fi
}
trap 'say ""; finish; exit 0' INT TERM
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
      finish
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
if [ -n "$STARTED_PG" ]; then
  say "Ctrl-C stops the app servers, and PostgreSQL unless other programs use it; the data stays in $PG_DIR."
else
  say "Ctrl-C stops the app servers; PostgreSQL was running before and keeps running."
fi
say "From another terminal: scripts/multi_server.sh status | stop | stop --all"
wait "${pids[@]}" || true
trap - INT TERM
# the app servers ended without Ctrl-C (crashed, or `stop`): PostgreSQL stays for its other users
say "the app servers have stopped; PostgreSQL keeps running (scripts/multi_server.sh stop --all stops it)"
for port in $PORTS; do rm -f "$RUN/app-$port.pid"; done
