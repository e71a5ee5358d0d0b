//! How a node's restart, memory and throughput depend on its history.
//!
//! `write DIR N` writes a chain of `N` Contribute transactions into a node
//! database, in blocks of 1,024, through the node's own path: the stateless
//! checks, [`State::propose_deferred`] (every rule, the nullifier set, the
//! tree, the state root), the store's write transaction, the commit and the
//! store answering for the sets. Each adds a leaf, a nullifier and a
//! transaction id. Proving ten million statements is out of reach, so these
//! history transactions carry one placeholder proof (valid curve points,
//! decoded and subgroup-checked like any other) and their proofs are not
//! verified: `zkpension-node run --check-store` replays such a database, and
//! `--verify-proofs` would refuse it.
//!
//! DIR is also a node's data directory (`genesis.json`, `keys/` with the
//! bench's verifying keys): `zkpension-node run --data DIR` starts on it.
//!
//! `restart DIR` opens the database as a node starts (from its last commit),
//! reports the time and the resident memory, then applies `BLOCKS` blocks
//! of 1,024 contributions whose proofs are valid (made with the bench keys'
//! known trapdoor, as `cargo bench --bench ledger` does) and verified in one
//! batch per block, end to end (decoding, checks, batch verification, tree,
//! durable write, commit): transactions per second on this history, and on
//! an empty database in the same run (warmed up by one block, measured
//! before and after the history store) as the baseline. Each run adds
//! `BLOCKS` blocks to the history.
//!
//! ```text
//! cargo build --release --example scale_history
//! target/release/examples/scale_history write DIR 1000000
//! target/release/examples/scale_history restart DIR
//! ```

#[path = "../benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::path::Path;
use std::time::Instant;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_core::genesis::MAX_ANCHOR_WINDOW;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, SpendHeader};
use zkpension_core::{Params, Transaction};
use zkpension_ledger::rules::check_stateless;
use zkpension_ledger::store::Store;
use zkpension_ledger::State;

const PER_BLOCK: u64 = 1024;
/// Blocks applied to measure throughput.
const BLOCKS: u64 = 4;
/// History nullifiers start here (the measured blocks' start at 10^6).
const HISTORY_NF: u64 = 1 << 40;
const PARAMS: Params = Params {
    cap: 100_000,
    min_periods: 1,
    divisor: 240,
};

fn usage() -> ! {
    eprintln!("usage: scale_history write DIR N | scale_history restart DIR");
    std::process::exit(2)
}

/// A line of /proc/self/status, in kB.
fn status_kb(key: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with(key))
        .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        .unwrap_or(0)
}

/// Writes a block through the node's path and lets the store answer for
/// its sets.
fn settle(store: &Store, state: &mut State, plan: &zkpension_ledger::BlockPlan) {
    store.write_block(plan, &[]).expect("write");
    state.commit(plan).expect("commit");
    state.forget_stored_items();
}

fn write(dir: &Path, n: u64, chain: &support::BenchChain) {
    // A node's data directory: `zkpension-node run --data DIR` starts on it.
    let genesis = serde_json::to_string_pretty(&chain.genesis).expect("genesis JSON") + "\n";
    std::fs::write(dir.join("genesis.json"), genesis).expect("genesis.json");
    chain.write_keys(&dir.join("keys"));
    let mut rng = ChaCha20Rng::seed_from_u64(0x5ca1e);
    let (store, mut state) = Store::open(&dir.join("ledger.redb"), &chain.genesis).expect("store");
    let placeholder = chain.contributions(1, &PARAMS, &mut rng)[0]
        .proof()
        .expect("a proof")
        .0;
    let start = Instant::now();
    let mut i = state.frontier().len();
    while i < n {
        let end = (i + PER_BLOCK).min(n);
        let anchor = Anchor::from(state.tree_root());
        let checked: Vec<_> = (i..end)
            .into_par_iter()
            .map(|k| {
                let tx: Transaction = Contribute {
                    body: ContributeBody {
                        spend: SpendHeader {
                            anchor,
                            nf: Nullifier::from(Fr::from(HISTORY_NF + k)),
                            cm_new: NoteCommitment::from(Fr::from(k * 7919 + 11)),
                            heir_ct: Default::default(),
                        },
                        amount: 1000,
                        matched: 0,
                        epoch: 1,
                        payer_ref: Context::new("payer_ref", b"history".to_vec()).expect("short"),
                    },
                    proof: FixedBytes(placeholder),
                }
                .into();
                check_stateless(tx).expect("well formed")
            })
            .collect();
        let mut unverified = Vec::new();
        let plan = state.propose_deferred(checked, &chain.keys, &mut rng, &mut unverified);
        assert_eq!(
            plan.block.transactions.len() as u64,
            end - i,
            "all included"
        );
        settle(&store, &mut state, &plan);
        i = end;
        if (i / PER_BLOCK).is_multiple_of(500) {
            eprintln!("{i} notes, {:.0} s", start.elapsed().as_secs_f64());
        }
    }
    println!(
        "{{\"notes\": {i}, \"height\": {}, \"write_seconds\": {:.1}}}",
        state.height(),
        start.elapsed().as_secs_f64()
    );
}

/// What [`throughput`] measured.
struct Speed {
    tx_per_s: f64,
    /// Milliseconds per block in the store's durable write transaction.
    write_ms: f64,
}

/// Applies `blocks` blocks of valid contributions end to end (nullifiers
/// from `1_000_000 + first`).
fn throughput(
    store: &Store,
    state: &mut State,
    chain: &support::BenchChain,
    blocks: u64,
    first: u64,
) -> Speed {
    let mut rng = ChaCha20Rng::seed_from_u64(first);
    let (mut seconds, mut write) = (0.0, 0.0);
    for b in 0..blocks {
        let txs = chain.contributions_at(
            PER_BLOCK as usize,
            state.tree_root(),
            first + b * PER_BLOCK,
            &PARAMS,
            &mut rng,
        );
        let encoded: Vec<Vec<u8>> = txs.iter().map(Transaction::encode).collect();
        let started = Instant::now();
        let decoded: Vec<Transaction> = encoded
            .iter()
            .map(|b| Transaction::decode(b).expect("canonical"))
            .collect();
        let plan = state.propose(decoded, &chain.keys, &mut rng);
        assert_eq!(plan.block.transactions.len() as u64, PER_BLOCK, "all valid");
        let writing = Instant::now();
        settle(store, state, &plan);
        write += writing.elapsed().as_secs_f64();
        seconds += started.elapsed().as_secs_f64();
    }
    Speed {
        tx_per_s: (blocks * PER_BLOCK) as f64 / seconds,
        write_ms: 1000.0 * write / blocks as f64,
    }
}

fn restart(dir: &Path, chain: &support::BenchChain) {
    let before_kb = status_kb("VmRSS:");
    let start = Instant::now();
    let (store, mut state) = Store::open(&dir.join("ledger.redb"), &chain.genesis).expect("store");
    let seconds = start.elapsed().as_secs_f64();
    let open_kb = status_kb("VmHWM:");
    let notes = state.frontier().len();
    // The baseline: an empty store, warmed up by one block first, measured
    // before and after the history store (the mean of the two).
    let empty = tempfile::tempdir().expect("temp dir");
    let (empty_store, mut empty_state) =
        Store::open(&empty.path().join("ledger.redb"), &chain.genesis).expect("empty store");
    throughput(&empty_store, &mut empty_state, chain, 1, 0);
    let before = throughput(&empty_store, &mut empty_state, chain, BLOCKS, PER_BLOCK);
    // On the history store, the nullifiers of earlier runs are taken.
    let offset = 100 * PER_BLOCK * (1 + state.height() % 1000);
    let tps = throughput(&store, &mut state, chain, BLOCKS, offset);
    let after_kb = status_kb("VmRSS:");
    let after = throughput(
        &empty_store,
        &mut empty_state,
        chain,
        BLOCKS,
        (BLOCKS + 1) * PER_BLOCK,
    );
    let baseline = (before.tx_per_s + after.tx_per_s) / 2.0;
    println!(
        "{{\"notes\": {notes}, \"restart_seconds\": {seconds:.3}, \"rss_before_open_kb\": \
         {before_kb}, \"peak_rss_after_open_kb\": {open_kb}, \"rss_after_blocks_kb\": {after_kb}, \
         \"tx_per_s\": {:.0}, \"empty_store_tx_per_s\": [{:.0}, {:.0}], \"ratio\": {:.3}, \
         \"write_ms_per_block\": {:.1}, \"empty_store_write_ms_per_block\": [{:.1}, {:.1}]}}",
        tps.tx_per_s,
        before.tx_per_s,
        after.tx_per_s,
        tps.tx_per_s / baseline,
        tps.write_ms,
        before.write_ms,
        after.write_ms,
    );
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (mode, dir) = match args.as_slice() {
        [m, d, ..] => (m.as_str(), Path::new(d)),
        _ => usage(),
    };
    let mut rng = ChaCha20Rng::seed_from_u64(0x5ca1e);
    let chain = support::BenchChain::new(&mut rng, PARAMS, MAX_ANCHOR_WINDOW);
    std::fs::create_dir_all(dir).expect("directory");
    match mode {
        "write" => {
            let n = args
                .get(2)
                .and_then(|s| s.parse().ok())
                .unwrap_or_else(|| usage());
            write(dir, n, &chain);
        }
        "restart" => restart(dir, &chain),
        _ => usage(),
    }
}
