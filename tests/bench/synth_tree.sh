#!/usr/bin/env bash
# The synthetic Matrix-sized spec tree (synth_tree.py): generates, compiles clippy-clean with
# either half, both and neither, every fitting example round-trips, every operation
# round-trips through the generated client and router, and exactly the two upstream-style
# slips are reported as warnings. Run by CI; anyone can run it.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
work=$root/target/synth-tree
rm -rf "$work"
python3 tests/bench/synth_tree.py "$work/specs"
cargo build -q -p generator
"$root/target/debug/generator" generate --config "$work/specs/codegen.toml" --out "$work/crate" \
  > /dev/null 2> "$work/warnings.txt"
cat "$work/warnings.txt"
misfits=$(grep -c "does not fit its schema" "$work/warnings.txt" || true)
others=$(grep -vc "does not fit its schema" "$work/warnings.txt" || true)
if [ "$misfits" != 2 ] || [ "$others" != 0 ]; then
  echo "expected exactly the two example slips as warnings, got $misfits misfits and $others others"
  exit 1
fi
# A crate of its own (not a workspace member), built with the workspace's lock file and
# target directory, so it reuses the dependencies the workspace already built.
echo "[workspace]" >> "$work/crate/Cargo.toml"
cp Cargo.lock "$work/crate/"
cd "$work/crate"
export CARGO_TARGET_DIR=$root/target
cargo clippy -q --all-targets --features reqwest -- -D warnings
cargo clippy -q --no-default-features -- -D warnings
cargo clippy -q --no-default-features --features reqwest -- -D warnings
cargo test -q --features reqwest 2>&1 | grep -E "^test result|FAILED|panicked" | tee "$work/test.txt"
! grep -q "FAILED\|panicked" "$work/test.txt"
