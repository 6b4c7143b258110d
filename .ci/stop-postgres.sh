#!/usr/bin/env bash
# Stops the PostgreSQL that start-postgres.sh started, and deletes its data.
set -u
[ -n "${TEST_POSTGRES_DATA:-}" ] || exit 0
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
as_owner=()
[ "$(id -u)" = 0 ] && as_owner=(runuser -u postgres --)
"${as_owner[@]}" "$bin/pg_ctl" -D "$TEST_POSTGRES_DATA/db" -m fast -w stop >/dev/null 2>&1
rm -rf "$TEST_POSTGRES_DATA"
