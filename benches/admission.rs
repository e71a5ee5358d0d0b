//! What a spammer costs the node: forged transactions (a random nullifier
//! with a valid proof copied from another transaction) processed per second
//! by admission.
//!
//! - `old_path`: what admission did before proofs were checked at
//!   submission, reproduced step by step: decode, stateless and stateful
//!   checks, a durable write to the queue and `202`; then, at the next block,
//!   one batch verification that refuses them all and a block written without
//!   transactions that records each refusal.
//! - `verify_one_by_one`: [`NodeCore::submit`] today, one forgery at a time:
//!   the proof is verified (alone) and the forgery refused with 422; nothing
//!   is written.
//! - `verify_concurrent_64`: 64 forgeries submitted at once from 8 threads,
//!   verified in micro-batches (a failing batch is bisected down to single
//!   checks to find the bad proofs), with the default window (none: batches
//!   form from what arrives during a check) and with a 2 ms wait.
//! - `admission/honest`: for comparison, 64 valid transactions submitted at
//!   once, each verified and durably queued, with and without the window.
//! - `limited`: a client over its limit on refused submissions, answered 429
//!   before its request body is decoded (what the API does first).
//!
//! Run with `cargo bench --bench admission`.

use criterion::{criterion_group, criterion_main, BatchSize, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rand_core::OsRng;
use std::net::IpAddr;
use std::time::Duration;
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, SpendHeader};
use zkpension_core::{Genesis, Params, Transaction};
use zkpension_ledger::limiter::RefusalLimits;
use zkpension_ledger::rules::{check_stateful, check_stateless};
use zkpension_ledger::store::Store;
use zkpension_ledger::{CoreError, NodeCore};
use zkpension_verifier::{Fr, Statement, VerifierKeys};

mod support;

const PARAMS: Params = Params {
    cap: 100_000,
    min_periods: 1,
    divisor: 240,
};
/// Forgeries per measured round.
const N: usize = 64;

struct Setup {
    genesis: Genesis,
    keys: VerifierKeys,
    /// Canonical encodings of `N` forgeries.
    forged: Vec<Vec<u8>>,
    /// Canonical encodings of `N` valid transactions.
    honest: Vec<Vec<u8>>,
}

fn setup() -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(0xf0e9);
    let support::BenchChain {
        trapdoors,
        keys,
        genesis,
    } = support::BenchChain::new(&mut rng, PARAMS, 256);
    let chain_id = genesis.chain_id;
    // An honest transaction, as seen in a public block.
    let mut honest = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(MerkleTree::new().root()),
                nf: Nullifier::from(Fr::from(1u64)),
                cm_new: NoteCommitment::from(Fr::from(2u64)),
                heir_ct: Default::default(),
            },
            amount: 1000,
            matched: 0,
            epoch: 1,
            payer_ref: Context::new("payer_ref", b"employer".to_vec()).expect("short"),
        },
        proof: FixedBytes([0; 128]),
    };
    let contribute = &trapdoors[&Statement::Contribute];
    let inputs = honest.public(&chain_id, &PARAMS).to_field_elements();
    honest.proof = FixedBytes(contribute.prove(&inputs, &mut rng));
    let forged = (0..N as u64)
        .map(|i| {
            let mut f = honest.clone();
            f.body.spend.nf = Nullifier::from(Fr::from(1_000_000 + i));
            Transaction::from(f).encode()
        })
        .collect();
    let honest = (0..N as u64)
        .map(|i| {
            let mut t = honest.clone();
            t.body.spend.nf = Nullifier::from(Fr::from(2_000_000 + i));
            let inputs = t.public(&chain_id, &PARAMS).to_field_elements();
            t.proof = FixedBytes(contribute.prove(&inputs, &mut rng));
            Transaction::from(t).encode()
        })
        .collect();
    Setup {
        genesis,
        keys,
        forged,
        honest,
    }
}

fn node(s: &Setup, dir: &std::path::Path) -> NodeCore {
    let (store, state) = Store::open(&dir.join("ledger.redb"), &s.genesis).expect("store");
    NodeCore::new(s.keys.clone(), store, state, 1 << 16, 1024, None).expect("node")
}

fn decode(bytes: &[u8]) -> Transaction {
    Transaction::decode(bytes).expect("canonical")
}

/// Submits `txs` from 8 threads at once; each must be queued (`valid`) or
/// refused.
fn concurrently(core: &NodeCore, txs: &[Vec<u8>], valid: bool) {
    std::thread::scope(|scope| {
        for part in txs.chunks(txs.len().div_ceil(8)) {
            scope.spawn(move || {
                for bytes in part {
                    match core.submit(decode(bytes)) {
                        Ok(s) => assert!(valid && s.queued),
                        Err(CoreError::Rejected { .. }) => assert!(!valid),
                        Err(e) => panic!("{e}"),
                    }
                }
            });
        }
    })
}

fn admission(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("admission/forged");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(N as u64));

    group.bench_function("old_path", |b| {
        b.iter_batched_ref(
            || {
                let dir = tempfile::tempdir().expect("temp dir");
                let (store, state) =
                    Store::open(&dir.path().join("ledger.redb"), &s.genesis).expect("store");
                (dir, store, state)
            },
            |(_, store, state)| {
                let mut queued = Vec::new();
                for (seq, bytes) in s.forged.iter().enumerate() {
                    let checked = check_stateless(decode(bytes)).expect("decodes");
                    check_stateful(state, state.scalars(), &checked).expect("passes");
                    store
                        .add_pending(seq as u64, checked.tx(), None)
                        .expect("queued");
                    queued.push(checked);
                }
                let plan = state.propose_checked(queued, &s.keys, &mut OsRng);
                assert!(plan.block.transactions.is_empty());
                let seqs: Vec<u64> = (0..N as u64).collect();
                store.write_block(&plan, &seqs).expect("empty block");
                state.commit(&plan).expect("commit");
            },
            BatchSize::PerIteration,
        )
    });

    let dir = tempfile::tempdir().expect("temp dir");
    let core = node(&s, dir.path());
    group.bench_function("verify_one_by_one", |b| {
        b.iter(|| {
            for bytes in &s.forged {
                let r = core.submit(decode(bytes));
                assert!(matches!(r, Err(CoreError::Rejected { .. })));
            }
        })
    });

    for (name, window) in [
        ("verify_concurrent_64", None),
        (
            "verify_concurrent_64_window_2ms",
            Some(Duration::from_millis(2)),
        ),
    ] {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut core = node(&s, dir.path());
        if let Some(w) = window {
            core = core.with_admission_window(w);
        }
        group.bench_function(name, |b| b.iter(|| concurrently(&core, &s.forged, false)));
    }
    group.finish();

    // Honest traffic, for comparison: 64 valid transactions at once, each
    // verified and durably queued (one redb commit each) on a fresh node.
    let mut group = c.benchmark_group("admission/honest");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(5));
    group.throughput(Throughput::Elements(N as u64));
    for (name, window) in [
        ("concurrent_64", None),
        ("concurrent_64_window_2ms", Some(Duration::from_millis(2))),
    ] {
        group.bench_function(name, |b| {
            b.iter_batched_ref(
                || {
                    let dir = tempfile::tempdir().expect("temp dir");
                    let mut core = node(&s, dir.path());
                    if let Some(w) = window {
                        core = core.with_admission_window(w);
                    }
                    (dir, core)
                },
                |(_, core)| concurrently(core, &s.honest, true),
                BatchSize::PerIteration,
            )
        });
    }
    group.finish();
    let mut group = c.benchmark_group("admission/forged");
    group.sample_size(10);
    group.throughput(Throughput::Elements(N as u64));

    let dir = tempfile::tempdir().expect("temp dir");
    // The default burst, refilled so slowly that the bench never sees a token.
    let limited = node(&s, dir.path()).with_refusal_limits(RefusalLimits {
        per_second: 1e-6,
        ..RefusalLimits::default()
    });
    let spammer: IpAddr = [192, 0, 2, 1].into();
    for bytes in &s.forged {
        let _ = limited.submit_from(spammer, decode(bytes));
    }
    group.bench_function("limited", |b| {
        b.iter(|| {
            for _ in 0..N {
                let r = limited.admit_peer(spammer);
                assert!(matches!(r, Err(CoreError::Limited { .. })));
            }
        })
    });
    group.finish();
}

criterion_group!(benches, admission);
criterion_main!(benches);
