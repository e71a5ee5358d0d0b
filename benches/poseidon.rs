//! Native Poseidon: [`poseidon::hash`] (partial rounds with sparse matrices
//! and scalar constants) against [`poseidon::hash_reference`] (the textbook
//! rounds with the dense MDS matrix, as the R1CS gadget computes them), for
//! the arities the protocol hashes most: 4 (a tree node, SPEC §3) and 11 (a
//! note commitment); and a 100,000-leaf tree, the unit of a node's restart
//! and a wallet's hashing.
//!
//! `cargo bench --bench poseidon`

use ark_ff::UniformRand;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::time::Duration;
use zkpension_circuits::field::Fr;
use zkpension_circuits::poseidon;
use zkpension_circuits::tree::MerkleTree;

fn bench(c: &mut Criterion) {
    let mut rng = ChaCha20Rng::seed_from_u64(1);
    let mut g = c.benchmark_group("poseidon");
    g.sample_size(20).measurement_time(Duration::from_secs(5));
    for n in [2usize, 4, 11] {
        let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
        assert_eq!(poseidon::hash(&inputs), poseidon::hash_reference(&inputs));
        g.bench_with_input(BenchmarkId::new("fast", n), &inputs, |b, x| {
            b.iter(|| poseidon::hash(x))
        });
        g.bench_with_input(
            BenchmarkId::new("baseline_reference", n),
            &inputs,
            |b, x| b.iter(|| poseidon::hash_reference(x)),
        );
    }
    let leaves: Vec<Fr> = (0..100_000u64).map(|i| Fr::from(i * 7919 + 11)).collect();
    g.sample_size(10);
    g.bench_function("tree_100k_leaves", |b| {
        b.iter(|| MerkleTree::from_leaves(&leaves).unwrap().root())
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
