#!/usr/bin/env bash
# Build time of the crate generated from the v1.16 Matrix spec tree by two versions of the
# generator: the working tree's, and the one at REV (a git revision). Each crate is built
# with both halves on (`--features client`; `server` is a default), in debug and not
# incrementally (as a dependency builds), first with its dependencies (from an empty target
# directory), then alone (`cargo clean -p` of it, dependencies already built), RUNS times
# each, the two versions interleaved so that the host's load falls on both alike. Prints
# the medians: wall time and peak RSS.
#
# Usage: bash tests/bench/build_compare.sh REV   Environment: RUNS (default 3); FEATURES
# (default `client`) and BEFORE_FEATURES (default FEATURES), for a REV whose features had
# other names (before 2026-12-04, `client` brought reqwest, which is `reqwest` now, and
# `server` axum, which is `axum` now); NO_DEFAULT_FEATURES=1 turns the default features off
# on both sides (so that FEATURES names the APIs too). Needs ../shared for the spec tree;
# not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
rev=${1:?usage: build_compare.sh REV}
RUNS=${RUNS:-3}
FEATURES=${FEATURES:-client}
BEFORE_FEATURES=${BEFORE_FEATURES:-$FEATURES}
export CARGO_INCREMENTAL=0
work=$root/target/build-compare
rm -rf "$work"
mkdir -p "$work"

# The two generators: REV's in a worktree of its own beside this one (so that its config's
# relative `spec_root` finds ../shared as this tree's does), and the working tree's.
before_tree=$root/../$(basename "$root")-build-compare
git worktree remove --force "$before_tree" 2>/dev/null || true
git worktree add -q --detach "$before_tree" "$rev"
trap 'git worktree remove --force "$before_tree" 2>/dev/null || true' EXIT
(cd "$before_tree" && CARGO_TARGET_DIR=$work/before-generator cargo build -q --release -p generator)
cargo build -q --release -p generator
config=tests/spec-trees/v1.16/codegen.toml
"$work/before-generator/release/generator" generate \
  --config "$before_tree/$config" --out "$work/before" > "$work/before.log" 2>&1 ||
  { cat "$work/before.log" >&2; exit 1; }
target/release/generator generate --config "$config" --out "$work/after" > "$work/after.log" 2>&1 ||
  { cat "$work/after.log" >&2; exit 1; }
for side in before after; do
  echo "[workspace]" >> "$work/$side/Cargo.toml"
  cp Cargo.lock "$work/$side/"
  (cd "$work/$side" && cargo fetch -q)
done
package=$(sed -n 's/^name = "\(.*\)"/\1/p' "$work/after/Cargo.toml" | head -1)

# measure SIDE: prints "clean_s alone_s peak_mb" for one build of SIDE's crate.
measure() {
  local dir=$work/$1 target=$work/target-$1 start end clean alone features=$FEATURES
  [ "$1" = after ] || features=$BEFORE_FEATURES
  local flags=(--features "$features")
  [ -z "${NO_DEFAULT_FEATURES:-}" ] || flags+=(--no-default-features)
  rm -rf "$target"
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$work/rss" env CARGO_TARGET_DIR="$target" \
    cargo build -q --offline --manifest-path "$dir/Cargo.toml" "${flags[@]}"
  end=$(date +%s.%N)
  clean=$(echo "$end - $start" | bc)
  env CARGO_TARGET_DIR="$target" cargo clean -q --offline --manifest-path "$dir/Cargo.toml" -p "$package"
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$work/rss" env CARGO_TARGET_DIR="$target" \
    cargo build -q --offline --manifest-path "$dir/Cargo.toml" "${flags[@]}"
  end=$(date +%s.%N)
  alone=$(echo "$end - $start" | bc)
  rm -rf "$target"
  echo "$clean $alone $(( $(cat "$work/rss") / 1024 ))"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

for _ in $(seq "$RUNS"); do
  for side in before after; do measure "$side" >> "$work/$side.runs"; done
done
printf "| generator | lines of Rust | clean build (with dependencies) | the crate alone | peak RSS (crate alone) |\n"
printf "| --- | --- | --- | --- | --- |\n"
for side in before after; do
  lines=$(cat "$work/$side"/src/*.rs "$work/$side"/src/*/*.rs 2>/dev/null | wc -l)
  label=$([ "$side" = before ] && echo "$rev ($BEFORE_FEATURES)" || echo "working tree ($FEATURES)")
  printf "| %s | %s | %.1f s | %.1f s | %s MB |\n" "$label" "$lines" \
    "$(cut -d' ' -f1 < "$work/$side.runs" | median)" \
    "$(cut -d' ' -f2 < "$work/$side.runs" | median)" \
    "$(cut -d' ' -f3 < "$work/$side.runs" | median)"
done
