//! Prover benchmarks: one proof of each statement with `zkpension_prover::prove`
//! (native relation check, synthesis, satisfaction and public-input check,
//! proof, self-verification) on 1 thread and on all threads, stock
//! `ark_groth16::Groth16::<Bn254>::prove` (synthesis and proof only) as the
//! baseline, and `prove_batch` throughput.
//!
//! Run with `cargo bench --bench prove`. Keys are the insecure seeded test keys,
//! generated once into the target directory.

use std::path::Path;

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit};
use zkpension_circuits::Statement;
use zkpension_prover::keys::test_keys;
use zkpension_prover::{example, prove, prove_batch, ProvingKeys, Witness};

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads)
        .build()
        .expect("thread pool")
}

/// Stock arkworks proving of the same witness: synthesis and proof, nothing
/// else.
fn stock_prove(keys: &ProvingKeys, w: &Witness, rng: &mut ChaCha20Rng) {
    let pk = keys
        .get(w.statement())
        .expect("keys of every statement")
        .proving_key();
    let proof = match w {
        Witness::Contribute(p, s) => Groth16::<Bn254>::prove(pk, ContributeCircuit::new(p, s), rng),
        Witness::Claim(p, s) => Groth16::<Bn254>::prove(pk, ClaimCircuit::new(p, s), rng),
        Witness::Attest(p, s) => Groth16::<Bn254>::prove(pk, AttestCircuit::new(p, s), rng),
    };
    proof.expect("stock prove");
}

fn bench_prove(c: &mut Criterion) {
    let dir = test_keys(Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("test keys");
    let keys = ProvingKeys::load(&dir).expect("load keys");
    // The fixed-base tables are built once per key, before any timing.
    for statement in Statement::ALL {
        keys.get(statement).expect("keys").tables();
    }
    let mut rng = ChaCha20Rng::seed_from_u64(0x9007);
    let all = rayon::current_num_threads();
    let mut thread_counts = vec![1];
    if all > 1 {
        thread_counts.push(all);
    }

    let mut group = c.benchmark_group("prove");
    group.sample_size(10);
    for statement in Statement::ALL {
        let w = example::witness(statement, &mut rng);
        for &threads in &thread_counts {
            let pool = pool(threads);
            group.bench_with_input(
                BenchmarkId::new(
                    format!("{statement}/zkpension"),
                    format!("{threads} threads"),
                ),
                &w,
                |b, w| b.iter(|| pool.install(|| prove(&keys, w, &mut rng).expect("prove"))),
            );
            group.bench_with_input(
                BenchmarkId::new(
                    format!("{statement}/ark-groth16"),
                    format!("{threads} threads"),
                ),
                &w,
                |b, w| b.iter(|| pool.install(|| stock_prove(&keys, w, &mut rng))),
            );
        }
    }
    group.finish();

    // Throughput of a batch of 8 mixed statements on all threads.
    let mut group = c.benchmark_group("prove_batch");
    group.sample_size(10);
    let batch: Vec<Witness> = (0..8)
        .map(|i| example::witness(Statement::ALL[i % 3], &mut rng))
        .collect();
    group.throughput(Throughput::Elements(batch.len() as u64));
    for &threads in &thread_counts {
        let pool = pool(threads);
        group.bench_with_input(
            BenchmarkId::new("mixed-8", format!("{threads} threads")),
            &batch,
            |b, batch| {
                b.iter(|| {
                    let results = pool.install(|| prove_batch(&keys, batch, &mut rng));
                    assert!(results.iter().all(Result::is_ok));
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, bench_prove);
criterion_main!(benches);
