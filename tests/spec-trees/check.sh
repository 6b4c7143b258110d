#!/usr/bin/env bash
# Real Matrix spec trees (../shared/matrix-spec, unmodified): each release's config here
# generates one crate of every API; the crate must build warning- and clippy-clean and pass
# its unit, example and round-trip tests and the wire tests written by hand from the spec's
# text (RELEASE/wire.rs). The newest release's crate (FEATURE_RELEASE, v1.16) must also be
# clippy-clean with neither half, with every feature alone, and with each API's and each
# tag's feature alone with both halves (a type builds with any feature that uses it). The older one is checked with both halves only, and the
# halves one at a time are checked on generated/ and the goldens: that logic is the
# generator's, not the release's, and CI has the time for one release of it. The generator's warnings
# (examples that do not fit their schemas, keywords no type can say) are printed: the
# report. Usage: bash tests/spec-trees/check.sh [RELEASE...] (default: every release here).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
releases=("$@")
if [ ${#releases[@]} -eq 0 ]; then
  releases=($(cd tests/spec-trees && ls -d v*/ | tr -d /))
fi
for release in "${releases[@]}"; do
  echo "== $release"
  bash tests/spec-trees/generate.sh "$release"
  work=$root/target/spec-trees/$release
  echo "-- the generator's report ($(wc -l < "$work/warnings.txt") warnings)"
  cat "$work/warnings.txt"
  if [ -f "tests/spec-trees/$release/wire.rs" ]; then
    cp "tests/spec-trees/$release/wire.rs" "$work/crate/tests/wire.rs"
  fi
  (
    cd "$work/crate"
    export CARGO_TARGET_DIR=$root/target
    cargo clippy -q --all-targets --features reqwest -- -D warnings
    if [ "$release" = "${FEATURE_RELEASE:-v1.16}" ]; then
      apis=$(sed -n 's/^default = \["axum", \(.*\)\]$/\1/p' Cargo.toml | tr -d '",')
      tags=$(bash "$root/tests/tag-features.sh" Cargo.toml)
      echo "-- every API, neither half"
      cargo clippy -q --no-default-features --features "$(echo $apis | tr ' ' ,)" -- -D warnings
      # Every feature alone, as `cargo hack --each-feature` would build them.
      echo "-- every feature alone: server axum client reqwest" $apis "and $(echo $tags | wc -w) tags"
      for feature in server axum client reqwest $apis $tags; do
        cargo clippy -q --no-default-features --features "$feature" -- -D warnings
      done
      echo "-- each API's and each tag's feature alone, both halves"
      for feature in $apis $tags; do
        cargo clippy -q --no-default-features --features "$feature,server,client" -- -D warnings
      done
    fi
    cargo test -q --features reqwest 2>&1 | tee "$work/test.txt" | grep -E "^test result|FAILED|panicked"
    ! grep -q "FAILED\|panicked" "$work/test.txt"
  )
done
