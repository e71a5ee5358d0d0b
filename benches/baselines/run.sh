#!/usr/bin/env bash
# One proof as a whole process, side by side on this machine: rapidsnark
# v0.0.6 and the snarkjs CLI on membership.circom (8,502 constraints with
# circom --O2, a 2^14 domain), and zkpension's Contribute proof (default
# prover, no tables), interleaved run by run: wall milliseconds around each
# process and peak memory by /usr/bin/time, then the medians.
#
#   benches/baselines/run.sh WORKDIR [RUNS]
#
# The first run builds everything into WORKDIR: it clones rapidsnark v0.0.6
# with its submodules (network; or set RAPIDSNARK_SRC to a checkout), builds
# its prover against the system GMP (Debian: cmake nasm m4 libgmp-dev
# libsodium-dev), installs circom2, circomlib, circomlibjs and snarkjs with
# npm, compiles the circuit, makes a single-party Groth16 key (fine for a
# timing), the witness, and zkpension's keys. Later runs only time.
set -euo pipefail
W=$(realpath -m "${1:?usage: run.sh WORKDIR [RUNS]}")
RUNS=${2:-7}
HERE=$(cd "$(dirname "$0")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
mkdir -p "$W"
cd "$W"

PROVER=$W/rapidsnark/build_prover/src/prover
if [ ! -x "$PROVER" ]; then
    if [ ! -d rapidsnark ]; then
        if [ -n "${RAPIDSNARK_SRC:-}" ]; then
            cp -r "$RAPIDSNARK_SRC" rapidsnark
        else
            git clone --depth 1 --branch v0.0.6 --recurse-submodules --shallow-submodules \
                https://github.com/iden3/rapidsnark rapidsnark
        fi
        patch -d rapidsnark -p1 < "$HERE/gmp-system.patch"
    fi
    cmake -S rapidsnark -B rapidsnark/build_prover -DCMAKE_BUILD_TYPE=Release -DGMP_SYSTEM=ON
    # The prover only: the shared library needs a position-independent GMP.
    make -C rapidsnark/build_prover -j2 prover
fi

BIN=$W/node/node_modules/.bin
if [ ! -x "$BIN/snarkjs" ]; then
    npm install --prefix node --no-audit --no-fund \
        circom2@0.2.23 circomlib@2.0.5 circomlibjs@0.1.7 snarkjs@0.7.6
fi

if [ ! -f circuit/witness.wtns ]; then
    mkdir -p circuit
    cp "$HERE/membership.circom" circuit/
    "$BIN/circom2" circuit/membership.circom --O2 --r1cs --wasm -l node/node_modules -o circuit
    (cd node && node "$HERE/input.mjs" "$W/circuit/input.json")
    "$BIN/snarkjs" wtns calculate circuit/membership_js/membership.wasm circuit/input.json \
        circuit/witness.wtns
fi
if [ ! -f setup/membership.zkey ]; then
    mkdir -p setup
    "$BIN/snarkjs" powersoftau new bn128 14 setup/pot_0.ptau
    "$BIN/snarkjs" powersoftau contribute setup/pot_0.ptau setup/pot_1.ptau \
        --name=bench -e="benchmark entropy 1"
    "$BIN/snarkjs" powersoftau prepare phase2 setup/pot_1.ptau setup/pot.ptau
    "$BIN/snarkjs" groth16 setup circuit/membership.r1cs setup/pot.ptau setup/membership_0.zkey
    "$BIN/snarkjs" zkey contribute setup/membership_0.zkey setup/membership.zkey \
        --name=bench -e="benchmark entropy 2"
    "$BIN/snarkjs" zkey export verificationkey setup/membership.zkey setup/vk.json
fi

(cd "$REPO" && cargo build --profile test -p zkpension-prover --example prove_contribute \
    -p zkpension-cli)
TARGET=${CARGO_TARGET_DIR:-$REPO/target}
ZK=$TARGET/debug/examples/prove_contribute
[ -f zk-keys/manifest.json ] || "$TARGET/debug/zkpension" setup --out zk-keys --force

mkdir -p out
LOG=out/times.txt
: > "$LOG"
# Wall milliseconds (the clock read around the whole process) and peak KB.
timed() {
    local t0 t1 kb
    t0=$(date +%s%N)
    kb=$({ /usr/bin/time -f "%M" "$@" > /dev/null; } 2>&1 | tail -1)
    t1=$(date +%s%N)
    echo "$(( (t1 - t0) / 1000000 )) $kb"
}
for i in $(seq 1 "$RUNS"); do
    echo "rapidsnark $(timed "$PROVER" setup/membership.zkey circuit/witness.wtns out/proof.json out/public.json)" >> "$LOG"
    echo "zkpension $(timed "$ZK" zk-keys --threads 2 --low-memory)" >> "$LOG"
    echo "snarkjs $(timed "$BIN/snarkjs" groth16 prove setup/membership.zkey circuit/witness.wtns out/proof_sj.json out/public_sj.json)" >> "$LOG"
done
"$BIN/snarkjs" groth16 verify setup/vk.json out/public.json out/proof.json | tail -1
median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
printf '%-11s %15s %15s\n' prover median_wall_ms median_peak_kb
for t in rapidsnark zkpension snarkjs; do
    printf '%-11s %15s %15s\n' "$t" "$(awk -v t=$t '$1 == t {print $2}' "$LOG" | median)" \
        "$(awk -v t=$t '$1 == t {print $3}' "$LOG" | median)"
done
