//! Prover benchmarks: one proof of each statement with `zkpension_prover::prove`
//! (native relation check, synthesis, satisfaction and public-input check,
//! proof, self-verification) on 1 thread and on all threads, with the prover
//! tables (`zkpension`) and without (`zkpension-no-tables`, the default of a
//! key directory made without `--tables`), stock
//! `ark_groth16::Groth16::<Bn254>::prove` (synthesis and proof only) as the
//! baseline, and `prove_batch` throughput. `msm_window` times the no-tables
//! MSM of a Contribute key's A query at several window widths, and
//! `field_mul` one base-field multiplication (dependent and independent).
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
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit, InheritCircuit};
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
        Witness::Inherit(p, s) => Groth16::<Bn254>::prove(pk, InheritCircuit::new(p, s), rng),
    };
    proof.expect("stock prove");
}

fn bench_prove(c: &mut Criterion) {
    let dir = test_keys(Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("test keys");
    let keys = ProvingKeys::load(&dir).expect("load keys");
    let mut untabled = ProvingKeys::load(&dir).expect("load keys");
    untabled.set_use_tables(false);
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
                    format!("{statement}/zkpension-no-tables"),
                    format!("{threads} threads"),
                ),
                &w,
                |b, w| b.iter(|| pool.install(|| prove(&untabled, w, &mut rng).expect("prove"))),
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

/// The no-tables MSM over half of a Contribute key's A query (what each of
/// two threads takes) at window widths around [`msm::window_for`]'s choice,
/// with arkworks' variable-base MSM of the same half as the baseline.
fn bench_msm_window(c: &mut Criterion) {
    use ark_ec::VariableBaseMSM;
    use ark_ff::{PrimeField, UniformRand};
    use zkpension_prover::msm;
    let dir = test_keys(Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("test keys");
    let keys = ProvingKeys::load_statements(&dir, &[Statement::Contribute]).expect("load keys");
    let pk = keys.get(Statement::Contribute).expect("keys").proving_key();
    let n = pk.a_query.len() / 2;
    let bases = &pk.a_query[..n];
    let mut rng = ChaCha20Rng::seed_from_u64(0x3157);
    let scalars: Vec<_> = (0..n)
        .map(|_| ark_bn254::Fr::rand(&mut rng).into_bigint())
        .collect();
    // One thread: arkworks' MSM would otherwise split across the pool.
    let one = pool(1);
    let mut group = c.benchmark_group("msm_window");
    group.sample_size(10);
    for w in [9, 10, 11, 12, 13] {
        group.bench_function(BenchmarkId::new(format!("g1/{n}"), w), |b| {
            b.iter(|| one.install(|| msm::variable_msm_rows(bases, &scalars, 0..n, w)))
        });
    }
    group.bench_function(BenchmarkId::new(format!("g1/{n}"), "ark-ec"), |b| {
        b.iter(|| one.install(|| ark_bn254::G1Projective::msm_bigint(bases, &scalars)))
    });
    group.finish();
}

/// What bounds the MSMs: one BN254 base-field multiplication, 1,024 of them
/// in one dependent chain against four independent chains (same count), so
/// the figure shows whether a multiplication is limited by its latency or
/// by the core's multiplier throughput.
fn bench_field_mul(c: &mut Criterion) {
    use ark_bn254::Fq;
    use ark_ff::UniformRand;
    let mut rng = ChaCha20Rng::seed_from_u64(0x5157);
    let x = Fq::rand(&mut rng);
    let start = [0; 4].map(|_| Fq::rand(&mut rng));
    let mut group = c.benchmark_group("field_mul");
    group.throughput(Throughput::Elements(1024));
    group.bench_function("fq/1-chain", |b| {
        b.iter(|| {
            let mut a = start[0];
            for _ in 0..1024 {
                a *= &x;
            }
            a
        })
    });
    group.bench_function("fq/4-chains", |b| {
        b.iter(|| {
            let mut a = start;
            for _ in 0..256 {
                for v in &mut a {
                    *v *= &x;
                }
            }
            a
        })
    });
    group.finish();
}

criterion_group!(benches, bench_prove, bench_msm_window, bench_field_mul);
criterion_main!(benches);
