#!/usr/bin/env bash
# Schemathesis (PyPI, pinned) against the real server binary: every spec, the in-memory
# and SQLite backends, real credentials. The report (JUnit XML, NDJSON events, each run's
# output, a summary) is kept in ci-artefacts/schemathesis/.
# Usage: bash tests/schemathesis/run.sh   (exit 0 when every run passes)
set -euo pipefail
cd "$(dirname "$0")/../.."
target=${CARGO_TARGET_DIR:-target}
venv="$target/schemathesis-venv"
report=ci-artefacts/schemathesis

if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
cargo build -q -p server-stub --bin server-stub -p generator --bin generator
"$target/debug/generator" openapi --config specs/codegen.toml --out "$target/openapi" >/dev/null
rm -rf "$report"
"$venv/bin/python" tests/schemathesis/run.py --server "$target/debug/server-stub" \
  --openapi "$target/openapi" --report "$report" "$@"
