#!/usr/bin/env bash
# Generates the crate of a real Matrix spec tree (tests/spec-trees/RELEASE/codegen.toml)
# into target/spec-trees/RELEASE/crate, with the generator's warnings in
# target/spec-trees/RELEASE/warnings.txt, as a crate of its own (not a workspace member)
# that builds with the workspace's lock file and target directory, so it reuses the
# dependencies the workspace already built. Usage: bash tests/spec-trees/generate.sh RELEASE
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
release=$1
work=$root/target/spec-trees/$release
rm -rf "$work"
mkdir -p "$work"
cargo build -q -p generator
"$root/target/debug/generator" generate --config "tests/spec-trees/$release/codegen.toml" \
  --out "$work/crate" > /dev/null 2> "$work/warnings.txt"
echo "[workspace]" >> "$work/crate/Cargo.toml"
cp Cargo.lock "$work/crate/"
