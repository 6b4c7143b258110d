#!/usr/bin/env bash
# Prints the tag features of a generated crate's Cargo.toml, one a line: an API with a
# feature per tag lists them in its own feature, a line each (Cargo.toml.j2). Prints
# nothing for a crate without any. Usage: bash tests/tag-features.sh CARGO_TOML
set -euo pipefail
sed -n '/^[a-z-]* = \[$/,/^\]$/p' "$1" | sed -n 's/^    "\(.*\)",$/\1/p'
