#!/usr/bin/env bash
# README command 2: installs what is missing, builds the guest images the tests need
# (cached: fast on a second run), then runs every test: the Rust tests and the browser
# end-to-end tests. Run as root from the repository.
set -euo pipefail
cd "$(dirname "$0")"
source .ci/prereqs.sh
export PATH="$HOME/.cargo/bin:$PATH"
export WEBVM_IMAGES="${WEBVM_IMAGES:-$PWD/images}"

echo "== building the guest images (tiny, default)"
cargo run --quiet --release -p guest-image -- build tiny default

echo "== checking that the emulator builds for wasm32-unknown-unknown"
cargo build --quiet -p emulator --target wasm32-unknown-unknown

echo "== running the tests"
cargo test --workspace --no-fail-fast

echo "== browser end-to-end tests (headless Chromium)"
bash tests/web/run.sh tiny
bash tests/web/run.sh default
