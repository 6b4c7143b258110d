#!/usr/bin/env bash
# Clean build time of the crate generated from the v1.16 Matrix spec tree
# (tests/spec-trees/v1.16/codegen.toml: five APIs), both halves on (`server`, `client`),
# whole and with one API's feature alone, beside `ruma-client-api` with features `client`
# and `server` (the client-server API alone), built the same way: debug and release, each
# from an empty target directory (dependencies included), then the crate alone (`cargo clean
# -p` of it, its dependencies already built). Wall time, share of ruma's clean build, and
# peak RSS of cargo and the compilers it runs.
#
# Both crates are built as what they are to an application: a dependency of a crate of its
# own (so neither is compiled incrementally; a workspace member's first incremental build
# costs half as much again). Each side's halves are what ruma's are: `client` a typed client
# without a transport, `server` requests read from `http`'s types and responses written as
# them, on no framework. Rows marked `axum` add the axum routers, and `reqwest` the client's
# transport, which ruma leaves to other crates (ruma-client, the application's server). The
# last row is the floor: the generated crate's dependencies for both halves (no framework,
# no transport) built for an empty crate.
#
# Usage: bash tests/bench/build_time.sh   Environment: RUMA_VERSION (default 0.25.2), RUNS
# (default 1; the table shows the median), VARIANTS (a subset of the rows, `ruma` first for
# the shares; the loop below names them), PROFILES (default `debug release`). Needs
# crates.io for ruma and ../shared for the spec tree; not run by CI.
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
RUMA_VERSION=${RUMA_VERSION:-0.25.2}
RUNS=${RUNS:-1}
# Cargo compiles a path dependency incrementally in debug (it is a local package), a crates.io
# one never: without this, the generated crate would pay incremental compilation's
# bookkeeping (half as much again on a clean build of the crate) and ruma would not.
export CARGO_INCREMENTAL=0
work=$root/target/build-time
rm -rf "$work"
mkdir -p "$work"

# The generated crate, outside the workspace, with the workspace's lock file.
cargo build -q --release -p generator
target/release/generator generate --config tests/spec-trees/v1.16/codegen.toml \
  --out "$work/generated" > /dev/null 2>&1
package=$(sed -n 's/^name = "\(.*\)"/\1/p' "$work/generated/Cargo.toml" | head -1)

# The generated crate as a dependency of a crate of its own, its default features off: each
# variant names the features it builds.
mkdir -p "$work/ours/src"
cat > "$work/ours/Cargo.toml" <<EOF
[package]
name = "ours-build"
version = "0.1.0"
edition = "2024"
publish = false

[dependencies]
$package = { path = "../generated", default-features = false }

[workspace]
EOF
echo "pub use ${package//-/_};" > "$work/ours/src/lib.rs"
cp Cargo.lock "$work/ours/"

# The floor: an empty crate with the generated crate's dependencies for both halves (its
# `[dependencies]`, optional ones on, axum's and reqwest's left out), which no API alone
# can build faster than.
mkdir -p "$work/floor/src"
{
  printf '[package]\nname = "floor-build"\nversion = "0.1.0"\nedition = "2024"\npublish = false\n\n'
  sed -n '/^\[dependencies\]/,/^\[/p' "$work/generated/Cargo.toml" | sed '$d' |
    grep -v '^reqwest\|^axum\|^http-body-util' | sed 's/, optional = true//'
  printf '\n[workspace]\n'
} > "$work/floor/Cargo.toml"
: > "$work/floor/src/lib.rs"
cp Cargo.lock "$work/floor/"

# ruma-client-api in a crate of its own that only depends on it.
mkdir -p "$work/ruma/src"
cat > "$work/ruma/Cargo.toml" <<EOF
[package]
name = "ruma-build"
version = "0.1.0"
edition = "2021"
publish = false

[dependencies]
ruma-client-api = { version = "=$RUMA_VERSION", features = ["client", "server"] }

[workspace]
EOF
echo "pub use ruma_client_api;" > "$work/ruma/src/lib.rs"
(cd "$work/ruma" && cargo fetch -q)
(cd "$work/ours" && cargo fetch -q)
(cd "$work/floor" && cargo fetch -q)

# measure DIR PACKAGE PROFILE_FLAG [FEATURE_FLAGS]: prints "clean_s crate_s peak_mb"; the
# crate alone is PACKAGE rebuilt after `cargo clean -p`, its dependencies already built.
measure() {
  local dir=$1 package=$2 profile=$3 target=$work/target-$(basename "$1")
  shift 3
  rm -rf "$target"
  local start end clean crate peak
  start=$(date +%s.%N)
  /usr/bin/time -f %M -o "$work/rss" \
    env CARGO_TARGET_DIR="$target" cargo build -q --offline --manifest-path "$dir/Cargo.toml" $profile "$@"
  end=$(date +%s.%N)
  clean=$(echo "$end - $start" | bc)
  peak=$(( $(cat "$work/rss") / 1024 ))
  env CARGO_TARGET_DIR="$target" cargo clean -q --offline --manifest-path "$dir/Cargo.toml" $profile -p "$package"
  start=$(date +%s.%N)
  env CARGO_TARGET_DIR="$target" cargo build -q --offline --manifest-path "$dir/Cargo.toml" $profile "$@"
  end=$(date +%s.%N)
  crate=$(echo "$end - $start" | bc)
  rm -rf "$target"
  echo "$clean $crate $peak"
}

median() { sort -n | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }

printf "| crate | profile | clean build (with dependencies) | share of ruma's | the crate alone | peak RSS |\n"
printf "| --- | --- | --- | --- | --- | --- |\n"
for name in ${PROFILES:-debug release}; do
  profile=--profile=$([ "$name" = release ] && echo release || echo dev)
  ruma_clean=
  apis=client-server,server-server,application-service,identity,push-gateway
  # A variant is SCOPE[:HALVES]: `ruma`, `floor`, `whole` (five APIs) or features of ours
  # joined by `+` (an API's, or tags'), with the halves' features (default `server,client`).
  # The tags are what a bot that logs in and sends messages needs.
  bot=client-server-session-management+client-server-room-participation
  for variant in ${VARIANTS:-ruma whole whole:axum,client whole:axum,reqwest client-server client-server:axum,client identity identity:axum,client $bot floor}; do
    scope=${variant%%:*}
    halves=server,client
    [ "$scope" = "$variant" ] || halves=${variant#*:}
    case $scope in
      floor) dir=floor crate=floor-build features=
        label="the generated crate's dependencies alone, no code (server, client)" ;;
      ruma) dir=ruma crate=ruma-client-api features= label="ruma-client-api $RUMA_VERSION (client, server)" ;;
      whole) dir=ours crate=$package features=$apis,$halves label="v1.16, five APIs ($halves)" ;;
      *) dir=ours crate=$package features=${scope//+/,},$halves
        label="v1.16, \`${scope//+/\`, \`}\` alone ($halves)" ;;
    esac
    flags=()
    [ -z "$features" ] || flags=(--features "$(echo "$features" | sed "s/[^,]*/$package\/&/g")")
    : > "$work/runs"
    for _ in $(seq "$RUNS"); do measure "$work/$dir" "$crate" "$profile" "${flags[@]}" >> "$work/runs"; done
    clean=$(cut -d' ' -f1 < "$work/runs" | median)
    alone=$(cut -d' ' -f2 < "$work/runs" | median)
    peak=$(cut -d' ' -f3 < "$work/runs" | median)
    ruma_clean=${ruma_clean:-$clean}
    share=$(echo "scale=1; 100 * $clean / $ruma_clean" | bc)
    printf "| %s | %s | %.1f s | %s%% | %.1f s | %s MB |\n" "$label" "$name" "$clean" "$share" "$alone" "$peak"
  done
done
