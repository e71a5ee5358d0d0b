//! The auditor's re-application of a chain (`zkpension audit`): 2,048
//! (64 in the test suite's smoke run) Contribute transactions in blocks of 1, 16 and 256, checked from genesis
//! with every rule and every proof. [`Auditor`] verifies the proofs in
//! batches across blocks; the baseline is [`State::apply_block`] block by
//! block, which verifies each block's proofs in one batch of its own (what a
//! node does with a block it receives). Throughput in transactions per
//! second.
//!
//! Proofs come from trapdoor keys (`benches/support`): valid proofs that
//! cost exactly as much to check. Fetching over HTTP is not included.
//!
//! `cargo bench --bench audit`

use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkpension_core::genesis::MAX_ANCHOR_WINDOW;
use zkpension_core::{Block, Genesis, Params};
use zkpension_ledger::audit::Auditor;
use zkpension_ledger::State;
use zkpension_verifier::VerifierKeys;

mod support;

const BLOCK_SIZES: [usize; 3] = [1, 16, 256];
const PARAMS: Params = Params {
    cap: 100_000,
    min_periods: 1,
    divisor: 240,
};

struct Chains {
    genesis: Genesis,
    keys: VerifierKeys,
    /// For each block size, the chain of all the contributions.
    chains: Vec<(usize, Vec<Block>)>,
}

fn total() -> usize {
    if support::measuring() {
        2048
    } else {
        64
    }
}

fn setup() -> Chains {
    let mut rng = ChaCha20Rng::seed_from_u64(0xa0d17);
    let chain = support::BenchChain::new(&mut rng, PARAMS, MAX_ANCHOR_WINDOW);
    let txs = chain.contributions(total(), &PARAMS, &mut rng);
    let support::BenchChain { keys, genesis, .. } = chain;
    let chains = BLOCK_SIZES
        .iter()
        .map(|&size| {
            let mut state = State::genesis(&genesis).expect("genesis");
            let blocks = txs
                .chunks(size)
                .map(|chunk| {
                    let plan = state.propose(chunk.to_vec(), &keys, &mut rng);
                    assert_eq!(plan.block.transactions.len(), chunk.len());
                    state.commit(&plan).expect("commit");
                    plan.block
                })
                .collect();
            (size, blocks)
        })
        .collect();
    Chains {
        genesis,
        keys,
        chains,
    }
}

fn audit(c: &mut Criterion) {
    let s = setup();
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.throughput(Throughput::Elements(total() as u64));
    for (size, blocks) in &s.chains {
        group.bench_with_input(
            BenchmarkId::new("auditor_cross_block_batches", size),
            blocks,
            |b, blocks| {
                b.iter(|| {
                    let mut a = Auditor::new(&s.genesis, s.keys.clone()).expect("genesis");
                    for block in blocks {
                        a.push(block).expect("the chain is valid");
                    }
                    let (_, counts) = a.finish().expect("the chain is valid");
                    assert_eq!(counts.proofs_checked, total() as u64);
                })
            },
        );
        group.bench_with_input(
            BenchmarkId::new("baseline_apply_block_each", size),
            blocks,
            |b, blocks| {
                let mut rng = ChaCha20Rng::seed_from_u64(7);
                b.iter(|| {
                    let mut state = State::genesis(&s.genesis).expect("genesis");
                    for block in blocks {
                        state
                            .apply_block(block, &s.keys, &mut rng)
                            .expect("the chain is valid");
                    }
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, audit);
criterion_main!(benches);
