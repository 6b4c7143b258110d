#!/usr/bin/env bash
# Real Matrix clients, unmodified, against the real server binary: matrix-nio (PyPI) and
# matrix-js-sdk (npm), each installed into a throwaway directory.
# Usage: bash tests/clients/run.sh   (exit 0 when both clients register and log in)
set -euo pipefail
cd "$(dirname "$0")/../.."
work=$(mktemp -d)
server=""
trap '[ -z "$server" ] || kill "$server" 2>/dev/null; rm -rf "$work"' EXIT

python3 -m venv "$work/venv"
"$work/venv/bin/pip" install -q matrix-nio
(cd "$work" && npm install --silent --no-audit --no-fund matrix-js-sdk >/dev/null)

cargo build -q -p server-stub --bin server-stub
port=18108
"${CARGO_TARGET_DIR:-target}/debug/server-stub" serve --db memory --no-rate-limit \
  --client-listen "127.0.0.1:$port" --identity-listen 127.0.0.1:18190 --outbox "$work/outbox" 2>"$work/server.log" &
server=$!
up=""
for _ in $(seq 200); do
  if curl -sf "http://127.0.0.1:$port/_matrix/client/versions" >/dev/null; then up=1; break; fi
  sleep 0.05
done
[ -n "$up" ] || { echo "the server did not start:" >&2; cat "$work/server.log" >&2; exit 1; }

# Clients retry on their own when a server does not answer: bound them.
timeout 120 "$work/venv/bin/python" tests/clients/nio_client.py "http://127.0.0.1:$port"
(cd "$work" && timeout 120 node "$OLDPWD/tests/clients/js_sdk_client.mjs" "http://127.0.0.1:$port" 2>/dev/null | grep -v FetchHttpApi)
