#!/usr/bin/env bash
# Starts a throwaway PostgreSQL on loopback for the tests, installing it from the system
# packages first if needed. Prints shell to evaluate:
#   eval "$(bash .ci/start-postgres.sh)"   # sets TEST_POSTGRES_URL and TEST_POSTGRES_DATA
#   .ci/stop-postgres.sh                    # stops it and deletes its data
set -euo pipefail
port=${TEST_POSTGRES_PORT:-55432}
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  {
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql
  } >&2
fi
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
data=$(mktemp -d /tmp/test-postgres.XXXXXX)
# PostgreSQL will not run as root: run it as the package's `postgres` user when we are root.
as_owner=()
if [ "$(id -u)" = 0 ]; then
  chown postgres "$data"
  as_owner=(runuser -u postgres --)
fi
"${as_owner[@]}" "$bin/initdb" -D "$data/db" -A trust -U postgres >/dev/null
# fsync off: the data is thrown away after the run; durability is tested on SQLite.
"${as_owner[@]}" "$bin/pg_ctl" -D "$data/db" -l "$data/log" -w \
  -o "-h 127.0.0.1 -p $port -k $data -c fsync=off -c max_connections=300" start >/dev/null
echo "export TEST_POSTGRES_URL=postgres://postgres@127.0.0.1:$port/postgres"
echo "export TEST_POSTGRES_DATA=$data"
