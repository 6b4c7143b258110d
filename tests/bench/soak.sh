#!/usr/bin/env bash
# Soak benchmark: the release server-stub on the memory backend with short lifetimes takes
# REQUESTS requests (3pid reads, OpenID tokens and token refreshes from WORKERS users, plus
# as many logins as hashing allows: server-stub/examples/soak.rs, through the generated
# client), then sits idle while the janitor runs. Prints RSS and the store's rows (from the
# janitor's log line) at the start, after a warm-up of 1% of the load (the hashing pool, the
# allocator's arenas and the connections exist then: the baseline the rest is held to), at
# the end of the load and after the janitor.
#
# Usage: bash tests/bench/soak.sh   Environment: REQUESTS (default 1000000), WORKERS (32),
# LIFETIME (seconds of access and OpenID tokens, and the purge interval; default 5).
set -euo pipefail
cd "$(dirname "$0")/../.."
REQUESTS=${REQUESTS:-1000000}
WORKERS=${WORKERS:-32}
LIFETIME=${LIFETIME:-5}
cargo build --release -q -p server-stub --bin server-stub --examples
WORK=$(mktemp -d)
trap 'kill "$server" 2>/dev/null || true; rm -rf "$WORK"' EXIT
CS=127.0.0.1:18108

RUST_LOG=info target/release/server-stub serve --db memory --no-rate-limit \
  --client-listen $CS --identity-listen 127.0.0.1:18190 --outbox "$WORK/outbox" \
  --access-token-lifetime-secs "$LIFETIME" --openid-token-lifetime-secs "$LIFETIME" \
  --purge-interval-secs "$LIFETIME" 2> "$WORK/server.log" & server=$!
for _ in $(seq 200); do curl -sf "http://$CS/_matrix/client/versions" >/dev/null && break; sleep 0.05; done

# Idle long enough that every token made so far has expired (twice the lifetime) and that
# tokio's idle blocking threads, the hashing pool's, have exited (10 s).
idle() { sleep $((2 * LIFETIME > 11 ? 2 * LIFETIME : 11)); }
rss() { echo "$(awk -v key="$1:" '$1 == key {printf "%.1f MB", $2 / 1024}' "/proc/$server/status"), $(ls "/proc/$server/task" | wc -l) threads"; }
# The rows the janitor counts on its next run (waits for it).
rows_after() {
  local seen
  seen=$(grep -c "purged what has expired" "$WORK/server.log" || true)
  while [ "$(grep -c "purged what has expired" "$WORK/server.log" || true)" -le "$seen" ]; do sleep 0.2; done
  grep "purged what has expired" "$WORK/server.log" | tail -1 | sed -E 's/.*rows=//; s/ *$//'
}

start_rss=$(rss VmRSS)
start_rows=$(rows_after)
target/release/examples/soak "http://$CS" $((REQUESTS / 100)) "$WORKERS" warm >/dev/null
idle
warm_rows=$(rows_after)
warm_rss=$(rss VmRSS)
read -r requests logins failures seconds < <(target/release/examples/soak "http://$CS" "$REQUESTS" "$WORKERS" soak)
loaded_rss=$(rss VmRSS)
peak_rss=$(rss VmHWM)
loaded_rows=$(rows_after)
idle
after_rows=$(rows_after)
after_rss=$(rss VmRSS)

echo "Machine: $(nproc) cores; $(git rev-parse --short HEAD 2>/dev/null); memory backend, lifetimes and purge interval ${LIFETIME} s, $WORKERS users"
echo
echo "$requests requests in $seconds s ($(python3 -c "print(round($requests / $seconds))")/s), $logins of them logins, $failures not the documented success"
echo
echo "| when | RSS | rows |"
echo "| --- | --- | --- |"
echo "| start | $start_rss | $start_rows |"
echo "| after the warm-up and the janitor | $warm_rss | $warm_rows |"
echo "| end of the load | $loaded_rss (peak $peak_rss) | $loaded_rows |"
echo "| after the janitor | $after_rss | $after_rows |"
