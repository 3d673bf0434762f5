#!/usr/bin/env bash
# README command 1: installs what is missing, builds webvm and the default guest image
# (cached: fast on a second run), then opens a shell in the VM with the default image,
# as the image's user in its home directory. Run as root from the repository. Arguments
# are passed to `webvm run` (e.g. `./run.sh -- python3 examples/python3/fibonacci.py`).
set -euo pipefail
cd "$(dirname "$0")"
source .ci/prereqs.sh
export PATH="$HOME/.cargo/bin:$PATH"

cargo build --quiet --release -p guest-image -p frontend-native
cargo run --quiet --release -p guest-image -- build default
exec cargo run --quiet --release -p frontend-native --bin webvm -- run --profile default --user user "$@"
