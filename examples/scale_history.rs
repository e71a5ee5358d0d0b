//! How a node's restart and memory grow with its history: writes a chain of
//! `N` enrollments (real Enroll transactions, signed by the bench genesis's
//! registrar, applied block by block of 1,024 through the node's own
//! propose / write / commit path, so every state root checks), then measures
//! what a restart costs: opening the store, which reads every leaf and
//! transaction id, rebuilds the tree and checks every count, accumulator and
//! the state root against the tip header.
//!
//! ```text
//! cargo build --release --example scale_history
//! target/release/examples/scale_history write DIR 1000000
//! /usr/bin/time -v target/release/examples/scale_history restart DIR
//! ```
//!
//! Enrollments add a leaf and a transaction id each, no nullifier: the
//! nullifier set (one more 32-byte key per spend, in memory and in redb) is
//! not exercised here.

#[path = "../benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::Path;
use std::time::Instant;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::NoteCommitment;
use zkpension_core::genesis::MAX_ANCHOR_WINDOW;
use zkpension_core::tx::Enroll;
use zkpension_core::{Params, Transaction};
use zkpension_ledger::store::Store;

const PER_BLOCK: u64 = 1024;

fn usage() -> ! {
    eprintln!("usage: scale_history write DIR N | scale_history restart DIR");
    std::process::exit(2)
}

/// Peak resident memory of this process, from /proc (kB).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [m, d, ..] => (m.as_str(), Path::new(d)),
        _ => usage(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(0x5ca1e);
    let params = Params {
        cap: 100_000,
        min_periods: 1,
        divisor: 240,
    };
    let chain = support::BenchChain::new(&mut rng, params, MAX_ANCHOR_WINDOW);
    std::fs::create_dir_all(dir).expect("directory");
    let db = dir.join("ledger.redb");
    match mode {
        "write" => {
            let n: u64 = args
                .get(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| usage());
            let registrar = ed25519_dalek::SigningKey::from_bytes(&[1; 32]);
            let (store, mut state) = Store::open(&db, &chain.genesis).expect("store");
            let start = Instant::now();
            let mut i = state.tree().len();
            while i < n {
                let end = (i + PER_BLOCK).min(n);
                let txs: Vec<Transaction> = (i..end)
                    .map(|k| {
                        let cm = NoteCommitment::from_field(Fr::from(k * 7919 + 11));
                        Enroll::sign(&chain.genesis.chain_id, cm, &registrar).into()
                    })
                    .collect();
                let plan = state.propose(txs, &chain.keys, &mut rng);
                assert_eq!(
                    plan.block.transactions.len() as u64,
                    end - i,
                    "all included"
                );
                store.write_block(&plan, &[]).expect("write");
                state.commit(&plan).expect("commit");
                i = end;
                if (i / PER_BLOCK).is_multiple_of(100) {
                    eprintln!("{i} leaves, {:.1} s", start.elapsed().as_secs_f64());
                }
            }
            println!(
                "{{\"leaves\": {i}, \"height\": {}, \"write_seconds\": {:.2}}}",
                state.height(),
                start.elapsed().as_secs_f64()
            );
        }
        "restart" => {
            let start = Instant::now();
            let (_store, state) = Store::open(&db, &chain.genesis).expect("store");
            let seconds = start.elapsed().as_secs_f64();
            println!(
                "{{\"leaves\": {}, \"height\": {}, \"restart_seconds\": {seconds:.3}, \"peak_rss_kb\": {}}}",
                state.tree().len(),
                state.height(),
                peak_rss_kb().unwrap_or(0)
            );
        }
        _ => usage(),
    }
}
