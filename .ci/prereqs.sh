#!/usr/bin/env bash
# Installs everything webvm needs on a Debian 12 machine, and does nothing when it is all
# there already (so it is fast on a second run). Used by run.sh, test.sh and .ci/run.
# Needs root (apt-get, debootstrap and chroot do).
set -euo pipefail

say() { echo "prereqs: $*" >&2; }

if [ "$(id -u)" -ne 0 ]; then
  say "must run as root (apt-get, debootstrap and chroot need it); try: sudo $0"
  exit 1
fi

# Debian packages: image building (debootstrap, e2fsprogs, dpkg-dev for apt-get download),
# the i386 native reference for differential tests (gcc-multilib), qemu-user for speed
# comparisons, and the C toolchain some crates need.
APT_PACKAGES=(
  build-essential pkg-config curl ca-certificates git
  debootstrap e2fsprogs dpkg-dev python3
  gcc-multilib g++-multilib
  qemu-user bc
  chromium
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
need_i386=0
dpkg --print-foreign-architectures | grep -qx i386 || need_i386=1
# The tiny profile downloads i386 packages with apt-get: the i386 package lists must exist.
ls /var/lib/apt/lists/*_binary-i386_Packages* >/dev/null 2>&1 || need_i386=1

if [ "${#missing[@]}" -gt 0 ] || [ "$need_i386" -eq 1 ]; then
  if [ "$need_i386" -eq 1 ]; then
    say "enabling the i386 architecture"
    dpkg --add-architecture i386
  fi
  say "apt-get update"
  # A mirror mid-sync can fail one index; what we need usually still resolves.
  apt-get update -qq || say "apt-get update reported errors; trying to install anyway"
  if [ "${#missing[@]}" -gt 0 ]; then
    say "installing ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
fi

# Node.js and npm for the page's xterm.js and the browser tests (Debian's, unless a
# Node.js is already installed: nodesource's package bundles npm and conflicts with it).
if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
  say "installing nodejs and npm"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
fi

# Rust: the toolchain through rustup, plus the wasm target the emulator must build for.
if ! command -v cargo >/dev/null 2>&1 && [ -x "$HOME/.cargo/bin/cargo" ]; then
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if ! command -v cargo >/dev/null 2>&1; then
  say "installing Rust with rustup"
  curl --proto '=https' --tlsv1.2 -sSf https://sh.rustup.rs | sh -s -- -y --profile minimal -c clippy,rustfmt
  export PATH="$HOME/.cargo/bin:$PATH"
fi
if command -v rustup >/dev/null 2>&1; then
  rustup target list --installed 2>/dev/null | grep -qx wasm32-unknown-unknown \
    || { say "adding the wasm32-unknown-unknown target"; rustup target add wasm32-unknown-unknown; }
else
  say "rustup is missing: cannot add the wasm32-unknown-unknown target"
  exit 1
fi

# wasm-bindgen's command-line tool, at exactly the version of the crate (frontend-web).
WASM_BINDGEN_VERSION=0.2.100
if [ "$(wasm-bindgen --version 2>/dev/null | awk '{print $2}')" != "$WASM_BINDGEN_VERSION" ]; then
  say "installing wasm-bindgen-cli $WASM_BINDGEN_VERSION"
  cargo install --quiet --locked wasm-bindgen-cli --version "$WASM_BINDGEN_VERSION"
fi
