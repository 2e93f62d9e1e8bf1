#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL cluster:
#   tests/pg_cluster.sh COMMAND [ARG...]
# initdb in a fresh temporary folder, the server on a Unix socket in that
# folder and on a free port of 127.0.0.1 (trust authentication: nothing else
# can reach it), a database "presswatch_test", then COMMAND with
# PW_TEST_PG_URI set; the cluster is stopped and removed however COMMAND ends.
# As root it runs the server as the "postgres" user (initdb refuses root).
# Needs Debian's postgresql package (PG_BINDIR overrides where its binaries are).
set -euo pipefail

if [ $# -eq 0 ]; then
    echo "usage: $0 COMMAND [ARG...]" >&2
    exit 2
fi
bindir=${PG_BINDIR:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)}
if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    echo "pg_cluster: no PostgreSQL server binaries (apt-get install -y postgresql)" >&2
    exit 1
fi

dir=$(mktemp -d /tmp/pw-pg-XXXXXX)
as_owner() { "$@"; }
if [ "$(id -u)" = 0 ]; then
    chown postgres: "$dir"
    as_owner() { runuser -u postgres -- "$@"; }
fi

cleanup() {
    as_owner "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$dir"
}
trap cleanup EXIT

# A free port: bind port 0 and read what the kernel chose (a small race
# with other programs, acceptable for tests).
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

as_owner "$bindir/initdb" -D "$dir/data" -U pw --auth=trust -E UTF8 --locale=C.UTF-8 \
    --no-sync >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# fsync off: the cluster is thrown away, so durability buys nothing here.
as_owner "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
as_owner "$bindir/psql" -X -q -h "$dir" -p "$port" -U pw -d postgres \
    -c "CREATE DATABASE presswatch_test" >/dev/null

export PW_TEST_PG_URI="postgresql://pw@127.0.0.1:$port/presswatch_test"
export PW_TEST_PG_SOCKET_DIR="$dir"
echo "pg_cluster: PostgreSQL $("$bindir/postgres" -V | awk '{print $3}') on $PW_TEST_PG_URI" >&2
set +e
"$@"
rc=$?
set -e
exit $rc
