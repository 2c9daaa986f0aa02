#!/usr/bin/env bash
# A throwaway PostgreSQL 15 server for the tests (the CTest fixture "postgres", and test
# binaries run by hand). Usage:
#   scripts/pg-test-server.sh start DIR [--durable]
#                                         initdb into DIR/data, start the server on a Unix socket
#                                         in DIR (no TCP), write its admin URL to DIR/url;
#                                         --durable keeps PostgreSQL's fsync/commit defaults
#                                         (benchmarks), otherwise they are off (tests)
#   scripts/pg-test-server.sh stop DIR    stop it and remove DIR
# Runs the server as the `postgres` user when started as root (initdb refuses root).
set -euo pipefail
PGBIN=${RECO_PG_BIN:-/usr/lib/postgresql/15/bin}
cmd=${1:-}
dir=${2:-}
durable=${3:-}
if [[ -z "$cmd" || -z "$dir" ]]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi
as=()
if [[ $(id -u) -eq 0 ]]; then
  as=(setpriv --reuid=postgres --regid=postgres --init-groups)
fi
case "$cmd" in
  start)
    if [[ ! -x "$PGBIN/initdb" || ! -x "$PGBIN/postgres" ]]; then
      echo "pg-test-server: the PostgreSQL 15 server (postgresql-15: $PGBIN/initdb, postgres) is" \
        "not installed; run scripts/install-deps.sh" >&2
      exit 1
    fi
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      "${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    mkdir -p "$dir"
    [[ $(id -u) -eq 0 ]] && chown postgres: "$dir"
    if ! "${as[@]}" "$PGBIN/initdb" -D "$dir/data" -U reco -A trust -E UTF8 --locale=C \
      --no-sync >"$dir/initdb.log" 2>&1; then
      cat "$dir/initdb.log" >&2
      exit 1
    fi
    port=5432
    # Durability is not what the tests measure: no fsync unless --durable. Only the socket in
    # DIR listens.
    opts="-k $dir -p $port -c listen_addresses='' -c max_connections=200"
    if [[ "$durable" != "--durable" ]]; then
      opts+=" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
    fi
    if ! "${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -o "$opts" \
      start >/dev/null; then
      cat "$dir/server.log" >&2
      exit 1
    fi
    echo "postgresql://reco@/postgres?host=$dir&port=$port" >"$dir/url"
    cat "$dir/url"
    ;;
  stop)
    if [[ -f "$dir/data/postmaster.pid" ]]; then
      "${as[@]}" "$PGBIN/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    fi
    rm -rf "$dir"
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
