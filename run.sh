#!/usr/bin/env bash
# README command 1: installs what is missing, builds webvm, the page (wasm) and the
# default guest image (cached: fast on a second run), then serves the VM on localhost and
# prints the URL to open. Run as root from the repository. Arguments are passed to
# `webvm serve` (e.g. `./run.sh --port 9000`). For a shell in this terminal instead:
# `cargo run --release -p frontend-native --bin webvm -- run --user user`.
set -euo pipefail
cd "$(dirname "$0")"
source .ci/prereqs.sh
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --quiet --release -p guest-image -p frontend-native
bash frontend-web/build.sh
cargo run --quiet --release -p guest-image -- build default
exec cargo run --quiet --release -p frontend-native --bin webvm -- serve --profile default "$@"
