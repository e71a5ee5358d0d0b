#!/usr/bin/env bash
# A local cluster on one machine: one etcd and three zkpension-node processes
# on 127.0.0.1, from one genesis (docs/CLUSTER.md). Ctrl-C stops them all.
#
#   scripts/local-cluster.sh [DIR]     # default DIR: ./zkpension-cluster
#
# The nodes listen on 127.0.0.1:8081, :8082 and :8083; etcd on :2379. DIR keeps
# the keys, the data directories and the logs (node1.log, ..., etcd.log); run
# the script again on the same DIR to restart the cluster where it stopped.
# Needs `zkpension`, `zkpension-node` (cargo install --path cli; cargo install
# --path ledger) and `etcd` (Debian: apt-get install etcd-server).
set -euo pipefail

DIR=${1:-zkpension-cluster}
ZKPENSION=${ZKPENSION:-zkpension}
NODE=${ZKPENSION_NODE:-zkpension-node}
ETCD=${ETCD:-etcd}
ETCD_URL=http://127.0.0.1:2379

for cmd in "$ZKPENSION" "$NODE" "$ETCD"; do
    if ! command -v "$cmd" >/dev/null 2>&1; then
        echo "local-cluster: $cmd not found (cargo install --path cli / --path ledger; apt-get install etcd-server)" >&2
        exit 1
    fi
done

mkdir -p "$DIR"
cd "$DIR"

if [ ! -d node1 ]; then
    echo "== keys and genesis in $PWD"
    [ -f registrar.key ] || "$ZKPENSION" registrar keygen --out registrar.key
    [ -f authority.key ] || "$ZKPENSION" authority keygen --out authority.key
    [ -d keys ] || "$ZKPENSION" setup --out keys
    "$NODE" init --data node1 --keys keys --chain local-cluster \
        --registrar registrar.key --authority authority.key \
        --cap 1000.00 --min-periods 2 --divisor 240
    # The same genesis everywhere: copies of one initialised directory.
    cp -r node1 node2
    cp -r node1 node3
fi

pids=()
stop() {
    for pid in "${pids[@]}"; do
        kill "$pid" 2>/dev/null || true
    done
    wait 2>/dev/null || true
}
trap stop EXIT INT TERM

"$ETCD" --name local --data-dir etcd-data \
    --listen-client-urls "$ETCD_URL" --advertise-client-urls "$ETCD_URL" \
    --listen-peer-urls http://127.0.0.1:2380 \
    --initial-advertise-peer-urls http://127.0.0.1:2380 \
    --initial-cluster local=http://127.0.0.1:2380 >etcd.log 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
    curl -fsS "$ETCD_URL/health" 2>/dev/null | grep -q true && break
    sleep 0.1
done

for i in 1 2 3; do
    "$NODE" run --data "node$i" --listen "127.0.0.1:808$i" \
        --etcd "$ETCD_URL" --node-name "node$i" >"node$i.log" 2>&1 &
    pids+=($!)
done
sleep 1
for i in 1 2 3; do
    curl -fsS "http://127.0.0.1:808$i/v1/status" >/dev/null ||
        { echo "local-cluster: node$i did not start; see $PWD/node$i.log" >&2; exit 1; }
done
echo "== three nodes on one ledger: http://127.0.0.1:8081 http://127.0.0.1:8082 http://127.0.0.1:8083"
echo "   etcd at $ETCD_URL; logs in $PWD/*.log; Ctrl-C stops everything"
wait -n "${pids[@]}" || true
echo "local-cluster: a process stopped; see the logs in $PWD" >&2
