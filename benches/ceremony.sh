#!/usr/bin/env bash
# Times `zkpension ceremony` steps with their peak memory (/usr/bin/time -v):
# phase-1 contributions at 2^15 and 2^16, next-phase, one phase-2
# contribution (all three statements), verify of a 10-contribution transcript.
# Usage: benches/ceremony.sh [path/to/zkpension]  (default: a release build)
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${1:-target/release/zkpension}"
[ -x "$BIN" ] || cargo build --release -p zkpension-cli
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

step() { # label, command...
    local label="$1"; shift
    /usr/bin/time -v "$@" >/dev/null 2>"$WORK/time.txt" || { cat "$WORK/time.txt"; exit 1; }
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$WORK/time.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$WORK/time.txt" | awk '{print $NF}')
    printf '%-48s %10s  %6d MB\n' "$label" "$wall" "$((rss / 1024))"
}

C="$WORK/c"
step "init (2^15)" "$BIN" ceremony init --out "$C"
step "phase-1 contribution at 2^15" "$BIN" ceremony contribute --dir "$C" --name p1a
"$BIN" ceremony contribute --dir "$C" --name p1b >/dev/null 2>&1
step "next-phase (beacon, phase-2 keys of 3 statements)" "$BIN" ceremony next-phase --dir "$C" --beacon 01
step "phase-2 contribution (3 statements)" "$BIN" ceremony contribute --dir "$C" --name p2a
for i in 2 3 4 5 6; do "$BIN" ceremony contribute --dir "$C" --name "p2-$i" >/dev/null 2>&1; done
step "finalize (beacon, key directory)" "$BIN" ceremony finalize --dir "$C" --beacon 02 --out "$WORK/keys"
step "verify, 10 contributions, with --keys" "$BIN" ceremony verify --dir "$C" --keys "$WORK/keys"

C16="$WORK/c16"
"$BIN" ceremony init --out "$C16" --power 16 >/dev/null 2>&1
step "phase-1 contribution at 2^16" "$BIN" ceremony contribute --dir "$C16" --name p1
step "verify, phase 1 at 2^16, 1 contribution" "$BIN" ceremony verify --dir "$C16"
