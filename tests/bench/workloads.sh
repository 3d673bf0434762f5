#!/usr/bin/env bash
# Times fixed guest workloads natively (a chroot of the image's root tree), under
# `qemu-i386 -L` and under `webvm run`, in the same run, and prints the ratios.
# Usage (as root, from the repository, after ./test.sh or ./run.sh built the images):
#   bash tests/bench/workloads.sh [PROFILE_DIR]        (default images/default)
# Nothing here asserts a speed: it only measures.
set -euo pipefail
cd "$(dirname "$0")/../.."
profile_dir=$(realpath "${1:-images/default}")
root="$profile_dir/root"
[ -d "$root" ] || { echo "no root tree at $root: build the image first" >&2; exit 1; }
cargo build --quiet --release -p frontend-native
webvm="${CARGO_TARGET_DIR:-target}/release/webvm"
command -v qemu-i386 >/dev/null || { echo "qemu-i386 is missing (apt-get install qemu-user)" >&2; exit 1; }

# What gzip compresses, fed on standard input to every side.
gzip_input="$root/usr/bin/python3.11"

# name | program | arguments (run by each side as the same argv); one line each (the
# table is read line by line)
workloads=(
  "python3 fib(30)|/usr/bin/python3|-c|exec('def f(n): return n if n < 2 else f(n-1) + f(n-2)\\nprint(f(30))')"
  "gzip of python3.11 (stdin)|/bin/gzip|-c|-n"
  "gcc -O2 -c primes.c|/usr/bin/gcc|-O2|-c|-o|/tmp/webvm-bench.o|/home/user/examples/c/primes.c"
  "shell loop, 100 processes|/bin/sh|-c|i=0; while [ \$i -lt 100 ]; do /bin/true; i=\$((i+1)); done"
)

out=$(mktemp -d)
trap 'rm -rf "$out"; rm -f "$root/tmp/webvm-bench.o"' EXIT

now() { date +%s.%N; }
elapsed() { echo "$2 - $1" | bc -l; }

printf '%-28s %10s %10s %10s %12s %12s\n' workload native qemu-i386 webvm webvm/native qemu/native
for w in "${workloads[@]}"; do
  IFS='|' read -r -a parts <<< "$w"
  name=${parts[0]}
  argv=("${parts[@]:1}")
  input=/dev/null
  case "$name" in gzip*) input=$gzip_input ;; esac
  t0=$(now); chroot "$root" setarch i686 "${argv[@]}" < "$input" > "$out/native"; t1=$(now)
  native=$(elapsed "$t0" "$t1")
  # qemu-user runs one program; it does not follow execve (gcc's cc1, the shell's
  # children run natively), so those rows are not comparable and are left out.
  qemu="n/a"
  case "$name" in
    python3*|gzip*)
      t0=$(now)
      (cd "$root" && qemu-i386 -L . ."${argv[0]}" "${argv[@]:1}" < "$input" > "$out/qemu" 2>&1) || true
      t1=$(now); qemu=$(elapsed "$t0" "$t1") ;;
  esac
  t0=$(now); "$webvm" run --image "$profile_dir" --ephemeral -- "${argv[@]}" < "$input" > "$out/webvm"; t1=$(now)
  emulated=$(elapsed "$t0" "$t1")
  # A timing is only worth something if the work was done: same output as native.
  cmp -s "$out/native" "$out/webvm" || { echo "$name: webvm's output differs from native" >&2; exit 1; }
  [ "$qemu" = "n/a" ] || cmp -s "$out/native" "$out/qemu" || { echo "$name: qemu's output differs from native" >&2; exit 1; }
  ratio=$(echo "$emulated / $native" | bc -l)
  qratio="n/a"
  [ "$qemu" = "n/a" ] || qratio=$(printf '%.1fx' "$(echo "$qemu / $native" | bc -l)")
  [ "$qemu" = "n/a" ] || qemu=$(printf '%.3f' "$qemu")
  printf '%-28s %10.3f %10s %10.3f %11.1fx %12s\n' "$name" "$native" "$qemu" "$emulated" "$ratio" "$qratio"
done
