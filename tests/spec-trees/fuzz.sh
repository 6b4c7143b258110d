#!/usr/bin/env bash
# The routers of the Matrix v1.16 crate under hostile input: schemathesis (pinned, as
# tests/schemathesis/run.sh installs it) fuzzes every operation against the crate's scripted
# servers (tests/spec-trees/fuzz.py says how), within a bounded budget (MAX_EXAMPLES per
# operation, default 10). No answer may be a server error or a status neither the
# operation nor the router documents. Report in ci-artefacts/spec-tree-fuzz/.
# Usage: bash tests/spec-trees/fuzz.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
venv=$root/target/schemathesis-venv
if [ ! -x "$venv/bin/schemathesis" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q "schemathesis==4.32.5"
fi
crate=$root/target/spec-trees/v1.16/crate
[ -d "$crate" ] || bash tests/spec-trees/generate.sh v1.16
cargo build -q -p generator
rm -rf "$root/target/spec-trees/v1.16/openapi"
"$root/target/debug/generator" openapi --config tests/spec-trees/v1.16/codegen.toml \
  --out "$root/target/spec-trees/v1.16/openapi" > /dev/null 2>&1
rm -rf ci-artefacts/spec-tree-fuzz
CARGO_TARGET_DIR=$root/target "$venv/bin/python" tests/spec-trees/fuzz.py --crate "$crate" \
  --openapi "$root/target/spec-trees/v1.16/openapi" --report ci-artefacts/spec-tree-fuzz \
  --apis client-server,server-server,application-service,identity,push-gateway \
  --max-examples "${MAX_EXAMPLES:-10}"
