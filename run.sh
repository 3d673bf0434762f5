#!/usr/bin/env bash
# README command 1: installs what is missing, builds webvm and the default guest image
# (cached: fast on a second run), then starts the VM with the default image.
# Run as root from the repository. Arguments are passed to `webvm run`.
set -euo pipefail
cd "$(dirname "$0")"
source .ci/prereqs.sh
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --quiet --release -p guest-image -p frontend-native
cargo run --quiet --release -p guest-image -- build default
exec cargo run --quiet --release -p frontend-native --bin webvm -- run --profile default "$@"
