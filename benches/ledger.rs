//! Ledger benchmarks: applying a block of 1 to 1024 contributions end to end
//! — decoding the canonical transaction bytes, the stateless checks (proof
//! decoding with subgroup checks), the stateful checks, one batch
//! verification of all proofs, the tree update and new root, nullifiers, the
//! state root, the redb write transaction (durable commit) and the in-memory
//! commit. Throughput is reported in transactions per second.
//!
//! Each contribution needs a distinct nullifier and so a distinct valid
//! proof; proving 1024 of them would take many minutes, so the proofs are
//! made with verifying keys whose trapdoor the bench knows (the Groth16
//! simulator: `C = (ab - alpha beta - gamma IC(x)) / delta`). To the ledger
//! they are ordinary valid proofs and cost exactly as much to check.
//!
//! Run with `cargo bench --bench ledger`; verification runs on the global
//! rayon pool (one thread per core unless `RAYON_NUM_THREADS` says otherwise).

use criterion::{criterion_group, criterion_main, BatchSize, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use zkpension_circuits::tree::Frontier;
use zkpension_core::genesis::MAX_ANCHOR_WINDOW;
use zkpension_core::{Genesis, Params, Transaction};
use zkpension_ledger::rules::check_stateless;
use zkpension_ledger::state::append_nodes;
use zkpension_ledger::store::Store;
use zkpension_verifier::{Fr, VerifierKeys};

mod support;

const SIZES: [usize; 5] = [1, 16, 64, 256, 1024];
const PARAMS: Params = Params {
    cap: 100_000,
    min_periods: 1,
    divisor: 240,
};

struct Setup {
    genesis: Genesis,
    keys: VerifierKeys,
    /// Canonical encodings of 1024 contributions, distinct nullifiers.
    encoded: Vec<Vec<u8>>,
}

fn setup() -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(0x1ed9e7);
    let chain = support::BenchChain::new(&mut rng, PARAMS, MAX_ANCHOR_WINDOW);
    let max = *SIZES.iter().max().expect("sizes");
    let encoded = chain
        .contributions(max, &PARAMS, &mut rng)
        .iter()
        .map(Transaction::encode)
        .collect();
    let support::BenchChain { keys, genesis, .. } = chain;
    Setup {
        genesis,
        keys,
        encoded,
    }
}

fn apply_block(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("ledger/apply_block");
    group.sample_size(10);
    for n in SIZES {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("contributions", n), &n, |b, &n| {
            let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
            b.iter_batched_ref(
                || {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let (store, state) =
                        Store::open(&dir.path().join("ledger.redb"), &s.genesis).expect("store");
                    (dir, store, state)
                },
                |(_, store, state)| {
                    let txs: Vec<Transaction> = s.encoded[..n]
                        .iter()
                        .map(|b| Transaction::decode(b).expect("canonical"))
                        .collect();
                    let plan = state.propose(txs, &s.keys, &mut rng);
                    assert_eq!(plan.block.transactions.len(), n);
                    store.write_block(&plan, &[]).expect("write");
                    state.commit(&plan).expect("commit");
                },
                BatchSize::PerIteration,
            );
        });
    }
    group.finish();
}

/// Where the time of a 1024-contribution block goes, outside batch
/// verification (see `cargo bench --bench verify`), and a block made from
/// transactions checked at submission, as a node makes it.
fn parts(c: &mut Criterion) {
    let s = setup();
    let n = 1024;
    let mut group = c.benchmark_group("ledger/parts");
    group.sample_size(10);
    group.throughput(Throughput::Elements(n as u64));
    group.bench_function("decode_and_stateless", |b| {
        b.iter(|| {
            s.encoded[..n]
                .par_iter()
                .map(|b| check_stateless(Transaction::decode(b).expect("canonical")))
                .collect::<Vec<_>>()
        })
    });
    let leaves: Vec<Fr> = (0..n as u64).map(|i| Fr::from(2_000_000 + i)).collect();
    let mut tree = Frontier::new();
    tree.extend(&leaves[..100]).expect("tree");
    group.bench_function("tree_root_and_extend", |b| {
        b.iter_batched_ref(
            || tree.clone(),
            |t| {
                let (root, nodes) = append_nodes(t, &leaves).expect("fits");
                t.extend_computed(&leaves, &nodes).expect("fits");
                assert_eq!(root, t.root());
            },
            BatchSize::PerIteration,
        )
    });
    let checked: Vec<_> = s.encoded[..n]
        .par_iter()
        .map(|b| check_stateless(Transaction::decode(b).expect("canonical")).expect("valid"))
        .collect();
    group.bench_function("block_from_checked", |b| {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        b.iter_batched_ref(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let (store, state) =
                    Store::open(&dir.path().join("ledger.redb"), &s.genesis).expect("store");
                (dir, store, state)
            },
            |(_, store, state)| {
                let plan = state.propose_checked(checked.clone(), &s.keys, &mut rng);
                store.write_block(&plan, &[]).expect("write");
                state.commit(&plan).expect("commit");
            },
            BatchSize::PerIteration,
        )
    });
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let state = zkpension_ledger::State::genesis(&s.genesis).expect("genesis");
    let txs: Vec<Transaction> = s.encoded[..n]
        .iter()
        .map(|b| Transaction::decode(b).expect("canonical"))
        .collect();
    let plan = state.propose(txs, &s.keys, &mut rng);
    group.bench_function("store_write_block", |b| {
        b.iter_batched_ref(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let (store, _) =
                    Store::open(&dir.path().join("ledger.redb"), &s.genesis).expect("store");
                (dir, store)
            },
            |(_, store)| store.write_block(&plan, &[]).expect("write"),
            BatchSize::PerIteration,
        )
    });
    group.finish();
}

criterion_group!(benches, apply_block, parts);
criterion_main!(benches);
