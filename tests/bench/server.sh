#!/usr/bin/env bash
# Load benchmark of the release server-stub on loopback, rate limits off: requests/s, p50 and
# p99 latency per endpoint and backend, peak and idle RSS, each read also as a fraction of a
# trivial axum handler built the same way (the ceiling).
#
# Usage: bash tests/bench/server.sh [BACKEND...]   BACKEND: memory sqlite postgres (default: all)
# Environment: DURATION (default 5s), CONNECTIONS (default 16); postgres uses TEST_POSTGRES_URL,
# or starts a throwaway server with .ci/start-postgres.sh. SERVER_STUB names another build of
# the binary (an older commit's, for a before-and-after), instead of this tree's.
set -euo pipefail
cd "$(dirname "$0")/../.."
DURATION=${DURATION:-5s}
THREADS=2
CONNECTIONS=${CONNECTIONS:-16}
BACKENDS=("$@")
[ ${#BACKENDS[@]} -gt 0 ] || BACKENDS=(memory sqlite postgres)

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q -p server-stub --bin server-stub --examples
BIN=${SERVER_STUB:-target/release/server-stub}
WORK=$(mktemp -d)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -z "${STARTED_POSTGRES:-}" ] || bash .ci/stop-postgres.sh
  rm -rf "$WORK"
}
trap cleanup EXIT

CS=http://127.0.0.1:18008
ID=http://127.0.0.1:18090

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }
rss() { awk -v key="$2:" '$1 == key {print int($2 / 1024) " MB"}' "/proc/$1/status"; }
wait_for() { for _ in $(seq 200); do curl -sf "$1" >/dev/null && return; sleep 0.05; done; echo "no answer from $1" >&2; exit 1; }

# wrk_row NAME URL SCRIPT [VAR=VALUE...]: one table row; sets RPS. WRK_THREADS overrides the
# thread count (refreshes need one connection per thread: wrk may resend a request on a
# connection, and a resent refresh token is a reused one, which revokes its session).
wrk_row() {
  local name=$1 url=$2 script=$3 threads=${WRK_THREADS:-$THREADS}
  shift 3
  local out
  out=$(env THREADS="$threads" "$@" wrk -t"$threads" -c"$CONNECTIONS" -d"$DURATION" --latency -s "tests/bench/wrk/$script.lua" "$url")
  RPS=$(awk '/^Requests\/sec/ {print $2}' <<<"$out")
  local p50 p99 failed
  p50=$(awk '$1 == "50%" {print $2}' <<<"$out")
  p99=$(awk '$1 == "99%" {print $2}' <<<"$out")
  failed=$(awk '/Non-2xx/ {print $5}' <<<"$out")
  echo "| $name | ${RPS%.*} | $p50 | $p99 | ${failed:-0} |$ROW_NOTE"
}

echo "Machine: $(nproc) cores, $(awk '/MemTotal/ {print int($2/1048576)}' /proc/meminfo) GiB; wrk -t$THREADS -c$CONNECTIONS -d$DURATION; $(git rev-parse --short HEAD 2>/dev/null)"
read -r HASH_MS HASH_RATE < <(target/release/examples/hash_time)
HASH_BOUND=$(python3 -c "print(round($(nproc) * 1000 / $HASH_MS))")
echo "One argon2id hash: $HASH_MS ms; bound $HASH_BOUND/s (cores ÷ one hash); measured with every core hashing: $HASH_RATE/s"
echo

target/release/examples/ceiling 127.0.0.1:18099 & PIDS+=($!)
wait_for http://127.0.0.1:18099/ceiling
echo "| ceiling (trivial axum handler) | req/s | p50 | p99 | non-2xx |"
echo "| --- | --- | --- | --- | --- |"
ROW_NOTE=""
wrk_row "GET /ceiling" http://127.0.0.1:18099/ceiling get TOKEN=none
CEILING=$RPS
echo

for backend in "${BACKENDS[@]}"; do
  case $backend in
    memory) db=memory ;;
    sqlite) db="sqlite:$WORK/bench.db" ;;
    postgres)
      if [ -z "${TEST_POSTGRES_URL:-}" ]; then
        eval "$(bash .ci/start-postgres.sh)"
        STARTED_POSTGRES=1
      fi
      psql -q "$TEST_POSTGRES_URL" -c "DROP DATABASE IF EXISTS bench" -c "CREATE DATABASE bench"
      db="${TEST_POSTGRES_URL%/*}/bench" ;;
    *) echo "unknown backend $backend" >&2; exit 2 ;;
  esac
  "$BIN" serve --db "$db" --no-rate-limit --client-listen 127.0.0.1:18008 --identity-listen 127.0.0.1:18090 \
    --outbox "$WORK/outbox-$backend" --access-token-lifetime-secs 86400 2>/dev/null & server=$!
  PIDS+=($server)
  wait_for "$CS/_matrix/client/versions"
  idle=$(rss "$server" VmRSS)

  register='{"username":"reader","password":"pw","auth":{"type":"m.login.dummy"}}'
  token=$(curl -s -XPOST "$CS/_matrix/client/v3/register" -d "$register" | json "['access_token']")
  # Two refresh tokens per connection: wrk may build a connection's next request before it
  # hands the previous answer (with the new token) to the script.
  refresh=$(for _ in $(seq $((2 * CONNECTIONS))); do
    curl -s -XPOST "$CS/_matrix/client/v3/login" -d '{"type":"m.login.password","user":"reader","password":"pw"}' | json "['refresh_token']"
  done | paste -sd,)
  openid=$(curl -s -XPOST "$CS/_matrix/client/v3/user/%40reader%3Alocalhost/openid/request_token" -H "Authorization: Bearer $token" -d '{}')
  id_token=$(curl -s -XPOST "$ID/_matrix/identity/v2/account/register" -d "$openid" | json "['token']")
  sid=$(curl -s -XPOST "$ID/_matrix/identity/api/v1/validate/email/requestToken" \
    -d '{"email":"reader@example.org","client_secret":"secret","send_attempt":1}' | json "['sid']")
  curl -sf "$(grep -h submitToken "$WORK/outbox-$backend"/*.eml | tr -d '\r')" >/dev/null

  echo "### $backend (idle RSS $idle)"
  echo
  echo "| endpoint | req/s | p50 | p99 | non-2xx |"
  echo "| --- | --- | --- | --- | --- |"
  ROW_NOTE=""
  wrk_row "GET /account/3pid" "$CS/_matrix/client/v3/account/3pid" get TOKEN="$token"
  read_3pid=$RPS
  wrk_row "GET /_matrix/identity/v2/account" "$ID/_matrix/identity/v2/account" get TOKEN="$id_token"
  read_account=$RPS
  wrk_row "POST /login" "$CS/_matrix/client/v3/login" post BODY='{"type":"m.login.password","user":"reader","password":"pw"}'
  login=$RPS
  wrk_row "POST /register" "$CS/_matrix/client/v3/register" register RUN="$backend"
  register=$RPS
  WRK_THREADS=$CONNECTIONS wrk_row "POST /tokenrefresh" "$CS/_matrix/client/v3/tokenrefresh" refresh REFRESH_TOKENS="$refresh"
  wrk_row "POST /3pid/bind" "$ID/_matrix/identity/api/v1/3pid/bind" post \
    BODY="{\"sid\":\"$sid\",\"client_secret\":\"secret\",\"mxid\":\"@reader:localhost\"}"
  # Reads while logins keep the hashing pool busy.
  env BODY='{"type":"m.login.password","user":"reader","password":"pw"}' \
    wrk -t1 -c"$CONNECTIONS" -d"$DURATION" -s tests/bench/wrk/post.lua "$CS/_matrix/client/v3/login" >/dev/null & flood=$!
  sleep 0.5
  ROW_NOTE=" (during a login flood)"
  wrk_row "GET /account/3pid" "$CS/_matrix/client/v3/account/3pid" get TOKEN="$token"
  wait $flood
  ROW_NOTE=""
  echo
  percent() { python3 -c "print(f'{$1 / $2:.0%}')"; }
  echo "Peak RSS $(rss "$server" VmHWM); reads at $(percent "$read_3pid" "$CEILING") (/account/3pid) and $(percent "$read_account" "$CEILING") (identity /account) of the ceiling; login at $(percent "$login" "$HASH_RATE") and register at $(percent "$register" "$HASH_RATE") of the hashing rate measured with every core hashing ($(percent "$login" "$HASH_BOUND") and $(percent "$register" "$HASH_BOUND") of cores ÷ one hash)."
  echo
  kill "$server"; wait "$server" 2>/dev/null || true
done
