#!/usr/bin/env bash
# Builds the browser side of webvm: the emulator for wasm32-unknown-unknown, its
# JavaScript bindings (wasm-bindgen, version pinned to the crate's) into pkg/, and the
# xterm.js files from npm into node_modules/. Then `webvm serve` or `webvm build-web`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
target="${CARGO_TARGET_DIR:-$here/../target}"
want="0.2.100" # = the wasm-bindgen version in frontend-web/Cargo.toml
have="$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" || true
if [ "$have" != "$want" ]; then
  echo "need wasm-bindgen-cli $want (found ${have:-none}): cargo install wasm-bindgen-cli --version $want --locked" >&2
  exit 1
fi
cargo build --manifest-path "$here/Cargo.toml" -p frontend-web --target wasm32-unknown-unknown --release
wasm-bindgen --target web --no-typescript --out-dir "$here/pkg" \
  "$target/wasm32-unknown-unknown/release/frontend_web.wasm"
if [ ! -f "$here/node_modules/@xterm/xterm/lib/xterm.js" ]; then
  (cd "$here" && npm ci --no-audit --no-fund)
fi
