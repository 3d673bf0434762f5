#!/usr/bin/env bash
# Web end-to-end test: builds the page (wasm + bindings + xterm.js) and the `webvm`
# command, starts `webvm serve` on a free port, runs e2e.mjs in headless Chromium,
# stops the server. Artifacts (screenshots) go to tests/web/artifacts/.
#
#   tests/web/run.sh [PROFILE]      (default: tiny; images from $WEBVM_IMAGES or images/)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
profile="${1:-tiny}"
images="${WEBVM_IMAGES:-$root/images}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"

"$root/frontend-web/build.sh"
cargo build --manifest-path "$root/Cargo.toml" -p frontend-native --bin webvm
[ -d "$here/node_modules/playwright-core" ] || (cd "$here" && npm ci --no-audit --no-fund)

log="$(mktemp)"
"$CARGO_TARGET_DIR/debug/webvm" serve --profile "$profile" --images "$images" --port 0 >"$log" 2>&1 &
server=$!
trap 'kill "$server" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  url="$(sed -n 's/^webvm: serving //p' "$log")"
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { cat "$log"; echo "webvm serve did not start" >&2; exit 1; }

site="$(mktemp -d)"
trap 'kill "$server" 2>/dev/null || true; rm -rf "$log" "$site"' EXIT
"$CARGO_TARGET_DIR/debug/webvm" build-web --out "$site" --profile "$profile" --images "$images" >/dev/null

cd "$here"
WEBVM_URL="$url" WEBVM_SITE="$site" WEBVM_PROFILE="$profile" WEBVM_ARTIFACTS="$here/artifacts" \
  node --test --test-concurrency=1 e2e.mjs
