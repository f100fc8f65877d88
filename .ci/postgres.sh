#!/usr/bin/env bash
# A throwaway PostgreSQL server for the register and web tests (issue 10/11).
#
#   eval "$(.ci/postgres.sh start)"   # installs the server if missing (as root), starts a cluster in a
#                                     # temporary folder on 127.0.0.1 and a free port, creates a database,
#                                     # prints `export CHUAN_NGHEO_TEST_PG_URL=postgresql://...`
#   .ci/postgres.sh url               # the URL of the running cluster
#   .ci/postgres.sh stop              # stops it and removes the folder
#
# Idempotent: `start` on a running cluster prints its URL again. The cluster folder is
# $CHUAN_NGHEO_PG_DIR (default /tmp/chuan-ngheo-pg). PostgreSQL refuses to run as root, so as root the
# cluster runs as the `postgres` system user (created by the Debian package) or, failing that, a
# system user created for it. Messages go to stderr; stdout carries only the export line.
set -euo pipefail

action=${1:-start}
dir=${CHUAN_NGHEO_PG_DIR:-/tmp/chuan-ngheo-pg}
db=chuan_ngheo_test

bin_dir() {
  local d
  for d in /usr/lib/postgresql/*/bin; do
    if [ -x "$d/initdb" ] && [ -x "$d/pg_ctl" ]; then echo "$d"; return 0; fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"; return 0
  fi
  return 1
}

ensure_installed() {
  if bin_dir >/dev/null; then return 0; fi
  if [ "$(id -u)" -ne 0 ]; then
    echo "postgres.sh: PostgreSQL is not installed and this is not root: apt-get install postgresql" >&2
    exit 1
  fi
  echo "postgres.sh: installing PostgreSQL (apt-get install -y postgresql)" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq postgresql >&2
  bin_dir >/dev/null || { echo "postgres.sh: no initdb/pg_ctl after installing" >&2; exit 1; }
}

# Run a command as the cluster's owner (ourselves unless we are root).
as_owner() {
  if [ "$(id -u)" -ne 0 ]; then "$@"; return; fi
  local user=postgres
  if ! id "$user" >/dev/null 2>&1; then
    user=chuan_ngheo_pg
    id "$user" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$user"
  fi
  runuser -u "$user" -- "$@"
}

running() {
  local bin
  bin=$(bin_dir) || return 1
  [ -f "$dir/url" ] && as_owner "$bin/pg_ctl" -D "$dir/data" status >/dev/null 2>&1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

start() {
  ensure_installed
  if running; then
    echo "export CHUAN_NGHEO_TEST_PG_URL=$(cat "$dir/url")"
    return 0
  fi
  local bin port
  bin=$(bin_dir)
  rm -rf "$dir"
  mkdir -p "$dir"
  if [ "$(id -u)" -eq 0 ]; then
    as_owner true  # creates the system user if needed
    chown "$(as_owner id -un)" "$dir"
  fi
  port=$(free_port)
  as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --no-locale -N >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off" start >&2 \
    || { cat "$dir/server.log" >&2; exit 1; }
  as_owner "$bin/psql" -h 127.0.0.1 -p "$port" -U postgres -d postgres -qAt \
    -c "CREATE DATABASE $db" >&2 2>/dev/null \
    || as_owner "$bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "$db" >&2 \
    || python3 - "$port" "$db" <<'PY' >&2
import sys
import psycopg
with psycopg.connect(f"postgresql://postgres@127.0.0.1:{sys.argv[1]}/postgres", autocommit=True) as c:
    c.execute(f"CREATE DATABASE {sys.argv[2]}")
PY
  echo "postgresql://postgres@127.0.0.1:$port/$db" >"$dir/url"
  echo "export CHUAN_NGHEO_TEST_PG_URL=$(cat "$dir/url")"
}

stop() {
  local bin
  if bin=$(bin_dir) && [ -d "$dir/data" ]; then
    as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >&2 || true
  fi
  rm -rf "$dir"
}

case "$action" in
  start) start ;;
  stop) stop ;;
  url) running && cat "$dir/url" ;;
  *) echo "usage: $0 start|stop|url" >&2; exit 2 ;;
esac
