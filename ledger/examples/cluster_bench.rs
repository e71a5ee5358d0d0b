//! Timed run of a local cluster: one etcd and three `zkpension-node --etcd`
//! processes on 127.0.0.1 (`benches/README.md`, "Cluster").
//!
//!     cargo build --release -p zkpension-ledger --bins --examples
//!     target/release/examples/cluster_bench [TXS] [RATE] [KILLS] [CLIENTS]
//!
//! 1. Throughput: TXS contributions (default 3000), each with a Groth16
//!    proof (trapdoor test keys: to the verifier an ordinary proof, verified
//!    at full cost), submitted by CLIENTS threads (default 24, spread over
//!    the three nodes); the time until all three nodes have included all of
//!    them.
//! 2. Latency: RATE transactions per second (default 100) for 5 s, spread
//!    over the nodes; for each, the time from its submission until it is in
//!    a block on all three nodes (median and 99th percentile).
//! 3. Failover: KILLS times (default 5), kill -9 of the producer; the time
//!    until another node holds the election key, and until a transaction
//!    submitted right after the kill is included on both survivors.

#[path = "../tests/cluster_support/mod.rs"]
mod cluster_support;
#[path = "../tests/common/mod.rs"]
mod common;

use cluster_support::*;
use common::rng;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkpension_core::tx::TxId;
use zkpension_core::views::BlockView;
use zkpension_core::Transaction;

fn arg(i: usize, default: u64) -> u64 {
    std::env::args()
        .nth(i)
        .map(|a| a.parse().expect("a number"))
        .unwrap_or(default)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

fn ms(d: Duration) -> String {
    format!("{:.0} ms", d.as_secs_f64() * 1e3)
}

fn main() {
    let txs_n = arg(1, 3000);
    let rate = arg(2, 100);
    let kills = arg(3, 5);
    let clients = arg(4, 24) as usize;
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let e = urls(&etcd);
    let mut nodes: Vec<NodeProc> = (0..3)
        .map(|i| {
            let mut n = NodeProc::new(chain.data_dir(&format!("n{i}")), &e, &format!("n{i}"), 1024);
            n.block_interval_ms = 20;
            n.start();
            n
        })
        .collect();
    let mut direct = Direct::new(&e, &chain.genesis);
    producer_index(&mut direct, &nodes, Duration::from_secs(15));
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "cluster bench: 3 nodes (--threads 1, --max-block-txs 1024, --block-interval-ms 20, lease {LEASE_MS} ms) and 1 etcd on {cores} cores"
    );

    // 1. Throughput.
    let mut r = rng(1);
    let made = Instant::now();
    let txs: Vec<Transaction> = (0..txs_n)
        .map(|i| chain.contribution(i, 0, &mut r))
        .collect();
    println!(
        "  {} contributions proven in {:.1} s",
        txs.len(),
        made.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let urls: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
    std::thread::scope(|s| {
        for (k, chunk) in txs.chunks(txs.len().div_ceil(clients)).enumerate() {
            let url = urls[k % 3].clone();
            s.spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                for tx in chunk {
                    agent
                        .post(&format!("{url}/v1/tx"))
                        .send_json(tx)
                        .unwrap_or_else(|e| panic!("{url}: {e}"));
                }
            });
        }
    });
    let admitted = start.elapsed();
    let total = txs_n;
    wait_until(
        "every node to include everything",
        Duration::from_secs(600),
        || {
            nodes
                .iter()
                .all(|n| n.status().is_some_and(|s| s.tx_count >= total))
        },
    );
    let all = start.elapsed();
    let height = nodes[0].height();
    println!(
        "  throughput ({clients} clients): {total} transactions admitted in {:.2} s ({:.0} tx/s), included on all 3 nodes after {:.2} s: {:.0} tx/s ({height} blocks)",
        admitted.as_secs_f64(),
        total as f64 / admitted.as_secs_f64(),
        all.as_secs_f64(),
        total as f64 / all.as_secs_f64()
    );

    // 2. Latency at a steady rate.
    let n = rate * 5;
    let txs: Vec<Transaction> = (0..n)
        .map(|i| chain.contribution(1_000_000 + i, 0, &mut r))
        .collect();
    let submitted: Arc<Mutex<HashMap<TxId, Instant>>> = Arc::default();
    let seen: Arc<Mutex<HashMap<TxId, Vec<Instant>>>> = Arc::default();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let pollers: Vec<_> = nodes
        .iter()
        .map(|node| {
            let url = node.url.clone();
            let seen = seen.clone();
            let stop = stop.clone();
            let mut next = node.height() + 1;
            std::thread::spawn(move || {
                let agent = ureq::AgentBuilder::new().build();
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    let b: Option<BlockView> = agent
                        .get(&format!("{url}/v1/blocks/{next}"))
                        .call()
                        .ok()
                        .and_then(|r| r.into_json().ok());
                    match b {
                        Some(b) => {
                            let now = Instant::now();
                            let mut seen = seen.lock().unwrap();
                            for t in b.transactions {
                                seen.entry(t.tx.id()).or_default().push(now);
                            }
                            next += 1;
                        }
                        None => std::thread::sleep(Duration::from_millis(2)),
                    }
                }
            })
        })
        .collect();
    let period = Duration::from_secs_f64(1.0 / rate as f64);
    let begin = Instant::now();
    let agent = ureq::AgentBuilder::new().build();
    for (i, tx) in txs.iter().enumerate() {
        let due = begin + period * i as u32;
        if let Some(wait) = due.checked_duration_since(Instant::now()) {
            std::thread::sleep(wait);
        }
        submitted.lock().unwrap().insert(tx.id(), Instant::now());
        agent
            .post(&format!("{}/v1/tx", urls[i % 3]))
            .send_json(tx)
            .unwrap();
    }
    wait_until(
        "every node to include the steady load",
        Duration::from_secs(120),
        || {
            let seen = seen.lock().unwrap();
            txs.iter()
                .all(|tx| seen.get(&tx.id()).is_some_and(|v| v.len() == 3))
        },
    );
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    for p in pollers {
        p.join().unwrap();
    }
    let mut lat: Vec<Duration> = {
        let seen = seen.lock().unwrap();
        let submitted = submitted.lock().unwrap();
        txs.iter()
            .map(|tx| *seen[&tx.id()].iter().max().unwrap() - submitted[&tx.id()])
            .collect()
    };
    lat.sort();
    println!(
        "  latency at {rate} tx/s for 5 s ({n} transactions), submit to included on all 3 nodes: p50 {}, p99 {}, max {}",
        ms(percentile(&lat, 0.5)),
        ms(percentile(&lat, 0.99)),
        ms(*lat.last().unwrap())
    );

    // 3. Failover.
    let mut elected = Vec::new();
    let mut included_after = Vec::new();
    for k in 0..kills {
        let p = producer_index(&mut direct, &nodes, Duration::from_secs(15));
        let old = nodes[p].url.clone();
        let survivors: Vec<usize> = (0..3).filter(|i| *i != p).collect();
        let tx = chain.contribution(2_000_000 + k, 0, &mut r);
        nodes[p].kill9();
        let killed = Instant::now();
        assert!(nodes[survivors[0]].submit(&tx));
        wait_until("a new producer", Duration::from_secs(30), || {
            direct.leader().is_some_and(|u| u != old)
        });
        elected.push(killed.elapsed());
        let id = tx.id();
        wait_until(
            "the transaction on both survivors",
            Duration::from_secs(30),
            || {
                survivors.iter().all(|i| {
                    matches!(
                        nodes[*i].tx_state(&id),
                        Some(zkpension_core::views::TxState::Included { .. })
                    )
                })
            },
        );
        included_after.push(killed.elapsed());
        nodes[p].start();
        // Back in step before the next kill.
        let h = nodes[survivors[0]].height();
        wait_until(
            "the restarted node to catch up",
            Duration::from_secs(30),
            || nodes[p].height() >= h,
        );
    }
    if kills > 0 {
        elected.sort();
        included_after.sort();
        println!(
            "  failover after kill -9 of the producer ({kills} times): new producer elected after {} median ({} .. {}); a transaction submitted at the kill included on both survivors after {} median ({} .. {})",
            ms(percentile(&elected, 0.5)),
            ms(elected[0]),
            ms(*elected.last().unwrap()),
            ms(percentile(&included_after, 0.5)),
            ms(included_after[0]),
            ms(*included_after.last().unwrap()),
        );
    }
    assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(30));
    println!("  all 3 nodes: the same {} blocks", nodes[0].height());
}
