//! Verifier benchmarks: decoding a proof, one verification, batch verification
//! of 1 to 256 proofs, and arkworks' own verifier one proof at a time as the
//! baseline. Proofs are real Contribute proofs under throwaway keys (one
//! proof, re-randomized into as many distinct proofs as needed).
//!
//! Run with `cargo bench --bench verify`. Batch groups report throughput in
//! proofs per second; all work runs on the global rayon pool (one thread per
//! core unless `RAYON_NUM_THREADS` says otherwise).

use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use criterion::{criterion_group, criterion_main, BenchmarkId, Criterion, Throughput};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use zkpension_circuits::binding::{binding, ChainId, ProofKind};
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::r1cs::ContributeCircuit;
use zkpension_circuits::statements::contribute;
use zkpension_circuits::tree::MerkleTree;
use zkpension_verifier::{
    batch_verify, decode_proofs, BatchItem, Fr, Proof, Statement, VerifierKeys, VerifyingKey,
};

const SIZES: [usize; 4] = [1, 16, 64, 256];

struct Setup {
    key: VerifyingKey,
    proofs: Vec<Proof>,
    inputs: Vec<Fr>,
}

fn setup(n: usize) -> Setup {
    let mut rng = ChaCha20Rng::seed_from_u64(0xbe7c);
    let sk = SpendingKey::random(&mut rng);
    let note = Note::enrollment(sk.owner(), 60, Fr::rand(&mut rng), Fr::rand(&mut rng));
    let tree = MerkleTree::from_leaves(&[note.commit().to_field()]).expect("one leaf");
    let (public, private, _) = contribute::prepare(
        &sk,
        &note,
        tree.path(0).expect("leaf 0"),
        10_000,
        1,
        100_000,
        binding(
            &ChainId::from_name("bench"),
            ProofKind::Contribute,
            b"payer",
        ),
        Fr::rand(&mut rng),
        note.heir,
    )
    .expect("honest contribute");
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(ContributeCircuit::blank(), &mut rng)
        .expect("setup");
    let circuit = ContributeCircuit::new(&public, &private);
    let inputs = circuit.public_inputs().to_vec();
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng).expect("prove");
    let proofs = (0..n)
        .map(|_| Proof(Groth16::<Bn254>::rerandomize_proof(&vk, &proof, &mut rng)))
        .collect();
    Setup {
        key: VerifyingKey::new(Statement::Contribute, vk).expect("valid key"),
        proofs,
        inputs,
    }
}

/// A well-formed key of `statement` for the slots the benchmark does not use:
/// `key` with `gamma_abc` padded to the statement's input count.
fn unused_key(statement: Statement, key: &VerifyingKey) -> VerifyingKey {
    let mut vk = key.ark().clone();
    let extra = vk.gamma_abc_g1[1];
    vk.gamma_abc_g1
        .resize(statement.num_public_inputs() + 1, extra);
    VerifyingKey::new(statement, vk).expect("well-formed key")
}

fn bench(c: &mut Criterion) {
    let max = SIZES[SIZES.len() - 1];
    let s = setup(max);
    let keys = VerifierKeys::new([
        s.key.clone(),
        unused_key(Statement::Claim, &s.key),
        unused_key(Statement::Attest, &s.key),
        unused_key(Statement::Inherit, &s.key),
    ])
    .expect("keys");
    let encoded: Vec<[u8; 128]> = s.proofs.iter().map(Proof::to_bytes).collect();

    c.bench_function("decode_proof", |b| {
        b.iter(|| Proof::from_bytes(&encoded[0]).expect("valid"))
    });
    c.bench_function("verify_single", |b| {
        b.iter(|| s.key.verify(&s.proofs[0], &s.inputs).expect("valid"))
    });

    let mut group = c.benchmark_group("batch_verify");
    group.sample_size(10);
    for n in SIZES {
        let items: Vec<BatchItem<'_>> = s.proofs[..n]
            .iter()
            .map(|proof| BatchItem {
                statement: Statement::Contribute,
                proof,
                public_inputs: &s.inputs,
            })
            .collect();
        group.throughput(Throughput::Elements(n as u64));
        let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
        group.bench_with_input(BenchmarkId::from_parameter(n), &items, |b, items| {
            b.iter(|| batch_verify(&keys, items, &mut rng).expect("valid"))
        });
    }
    group.finish();

    // What a node does with a block: decode every proof, then batch verify.
    let mut group = c.benchmark_group("decode_and_batch_verify");
    group.sample_size(10);
    for n in [64, 256] {
        group.throughput(Throughput::Elements(n as u64));
        let mut rng = ChaCha20Rng::seed_from_u64(n as u64);
        group.bench_with_input(
            BenchmarkId::from_parameter(n),
            &encoded[..n],
            |b, encoded| {
                b.iter(|| {
                    let proofs: Vec<Proof> = decode_proofs(encoded)
                        .into_iter()
                        .map(|p| p.expect("valid"))
                        .collect();
                    let items: Vec<BatchItem<'_>> = proofs
                        .iter()
                        .map(|proof| BatchItem {
                            statement: Statement::Contribute,
                            proof,
                            public_inputs: &s.inputs,
                        })
                        .collect();
                    batch_verify(&keys, &items, &mut rng).expect("valid")
                })
            },
        );
    }
    group.finish();

    // Baseline: arkworks' verifier, one proof after another on one thread,
    // and the same spread over the rayon pool.
    let pvk = s.key.prepared();
    let mut group = c.benchmark_group("naive_ark_groth16");
    group.sample_size(10);
    for n in SIZES {
        group.throughput(Throughput::Elements(n as u64));
        group.bench_with_input(BenchmarkId::new("sequential", n), &n, |b, &n| {
            b.iter(|| {
                for proof in &s.proofs[..n] {
                    assert!(
                        Groth16::<Bn254>::verify_with_processed_vk(pvk, &s.inputs, &proof.0)
                            .expect("verifies")
                    );
                }
            })
        });
        group.bench_with_input(BenchmarkId::new("parallel", n), &n, |b, &n| {
            b.iter(|| {
                s.proofs[..n].par_iter().for_each(|proof| {
                    assert!(
                        Groth16::<Bn254>::verify_with_processed_vk(pvk, &s.inputs, &proof.0)
                            .expect("verifies")
                    );
                })
            })
        });
    }
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
