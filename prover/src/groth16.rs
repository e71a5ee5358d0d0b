//! zkpension's Groth16 proof computation: the same proof as
//! `ark_groth16::Groth16::<Bn254>::create_proof_with_reduction_and_matrices`
//! (bit for bit, for the same `r` and `s`), computed faster.
//!
//! Where the time goes in the stock prover, and what this one does instead:
//! - **Five variable-base MSMs** (A, B in G1, B in G2, the H and L terms of C).
//!   With [`create_proof`] every proving-key vector has a [`FixedBaseTable`]
//!   built once per key ([`ProverTables`]): precomputed window shifts, signed
//!   digits, affine bucket sums with shared inversions (see [`crate::msm`]).
//!   Bases at infinity (a third of the B queries for our circuits) are
//!   dropped when the table is built. [`create_proof_without_tables`] runs
//!   the same bucket sums over the key's own bases, one window set per MSM
//!   ([`crate::msm::variable_msm_rows`]): no table to build or load.
//! - **Scheduling.** The stock prover runs the MSMs one after another, each
//!   split across threads. Here the QAP reduction (seven FFTs) and then the H
//!   MSM form one chain, and the other MSMs, cut into row ranges, run beside
//!   it as separate rayon tasks, so two cores stay busy with little
//!   synchronisation.
//!
//! The QAP reduction is arkworks' (`LibsnarkReduction`) step for step, over
//! the compact matrices ([`Matrices::witness_map`]), so `h` is exactly the
//! stock prover's.
//!
//! The tables' file format (`<statement>.tables` beside the keys) is
//! [`ProverTables::write`] and [`ProverTables::read`]; [`crate::keys`] decides
//! when a file is read, built or saved.

use std::ops::Range;

use ark_bn254::{g1, g2, Bn254, Fr, G1Projective, G2Projective};
use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{BigInt, PrimeField, Zero};
use ark_groth16::{Proof, ProvingKey};
use ark_relations::gr1cs::SynthesisError;
use rayon::prelude::*;
use zeroize::Zeroize;

use crate::msm::{variable_msm_rows, window_for_rows, FixedBaseTable};
use crate::qap::Matrices;

/// Window widths (bits) of the tables, per query. Measured on our three
/// circuits (about 10,000 variables, domain 2^14); see `benches/README.md`.
pub const WINDOW_G1: u32 = 12;
/// Window width of the G2 table.
pub const WINDOW_G2: u32 = 12;

/// The fixed-base tables of one proving key.
#[derive(Debug)]
pub struct ProverTables {
    pub(crate) a: FixedBaseTable<g1::Config>,
    pub(crate) b_g1: FixedBaseTable<g1::Config>,
    pub(crate) b_g2: FixedBaseTable<g2::Config>,
    pub(crate) h: FixedBaseTable<g1::Config>,
    pub(crate) l: FixedBaseTable<g1::Config>,
}

impl ProverTables {
    /// Builds the tables of `pk` on the current rayon pool.
    pub fn new(pk: &ProvingKey<Bn254>) -> Self {
        ProverTables {
            a: FixedBaseTable::new(&pk.a_query, WINDOW_G1),
            b_g1: FixedBaseTable::new(&pk.b_g1_query, WINDOW_G1),
            b_g2: FixedBaseTable::new(&pk.b_g2_query, WINDOW_G2),
            h: FixedBaseTable::new(&pk.h_query, WINDOW_G1),
            l: FixedBaseTable::new(&pk.l_query, WINDOW_G1),
        }
    }

    /// Bytes held by the tables.
    pub fn size_in_bytes(&self) -> usize {
        self.a.size_in_bytes()
            + self.b_g1.size_in_bytes()
            + self.b_g2.size_in_bytes()
            + self.h.size_in_bytes()
            + self.l.size_in_bytes()
    }

    /// Whether these tables have the shape of `pk`'s vectors.
    pub fn fits(&self, pk: &ProvingKey<Bn254>) -> bool {
        self.a.len() == pk.a_query.len()
            && self.b_g1.len() == pk.b_g1_query.len()
            && self.b_g2.len() == pk.b_g2_query.len()
            && self.h.len() == pk.h_query.len()
            && self.l.len() == pk.l_query.len()
    }
}

/// Cuts `0..rows` into `parts` near-equal ranges.
fn split(rows: usize, parts: usize) -> Vec<Range<usize>> {
    let parts = parts.clamp(1, rows.max(1));
    (0..parts)
        .map(|p| rows * p / parts..rows * (p + 1) / parts)
        .collect()
}

/// Computes the Groth16 proof of the full assignment `z = (1, inputs,
/// witness)` with blinding `r`, `s`, with the MSMs over `tables`: the same
/// proof as `Groth16::<Bn254>::create_proof_with_reduction_and_matrices(pk,
/// r, s, matrices, num_inputs, num_constraints, z)`.
///
/// `num_inputs` counts the constant 1. The caller checks that `z` satisfies
/// the matrices (the proof does not verify otherwise) and that `tables` were
/// built from `pk` ([`ProverTables::fits`] checks the shape only).
///
/// # Panics
/// If the tables do not fit `pk`, or `z` is not one scalar per variable.
// The same arguments as arkworks' `create_proof_with_reduction_and_matrices`.
#[allow(clippy::too_many_arguments)]
pub fn create_proof(
    pk: &ProvingKey<Bn254>,
    tables: &ProverTables,
    r: Fr,
    s: Fr,
    matrices: &Matrices,
    num_inputs: usize,
    num_constraints: usize,
    z: &[Fr],
) -> Result<Proof<Bn254>, SynthesisError> {
    assert!(tables.fits(pk), "prover tables of another proving key");
    let msms = Msms {
        a: &tables.a,
        b_g1: &tables.b_g1,
        b_g2: &tables.b_g2,
        h: &tables.h,
        l: &tables.l,
    };
    prove_with(pk, msms, r, s, matrices, num_inputs, num_constraints, z)
}

/// [`create_proof`] with no tables: the MSMs run over the proving key's own
/// bases ([`crate::msm::variable_msm_rows`]), so nothing is built or loaded
/// beyond the key. The default for a process that makes one proof.
///
/// # Panics
/// If `z` is not one scalar per variable.
pub fn create_proof_without_tables(
    pk: &ProvingKey<Bn254>,
    r: Fr,
    s: Fr,
    matrices: &Matrices,
    num_inputs: usize,
    num_constraints: usize,
    z: &[Fr],
) -> Result<Proof<Bn254>, SynthesisError> {
    let msms = Msms {
        a: &KeyBases(&pk.a_query),
        b_g1: &KeyBases(&pk.b_g1_query),
        b_g2: &KeyBases(&pk.b_g2_query),
        h: &KeyBases(&pk.h_query),
        l: &KeyBases(&pk.l_query),
    };
    prove_with(pk, msms, r, s, matrices, num_inputs, num_constraints, z)
}

/// One of the five MSMs, cut into row ranges that run as separate tasks.
trait RowMsm<P: SWCurveConfig>: Sync {
    /// The number of scalars it takes.
    fn scalars(&self) -> usize;
    /// The number of rows to cut.
    fn rows(&self) -> usize;
    /// The part of the MSM over `rows`.
    fn msm_rows(&self, scalars: &[BigInt<4>], rows: Range<usize>) -> Projective<P>;
}

impl<P: SWCurveConfig<ScalarField = Fr>> RowMsm<P> for FixedBaseTable<P> {
    fn scalars(&self) -> usize {
        self.len()
    }
    fn rows(&self) -> usize {
        FixedBaseTable::rows(self)
    }
    fn msm_rows(&self, scalars: &[BigInt<4>], rows: Range<usize>) -> Projective<P> {
        FixedBaseTable::msm_rows(self, scalars, rows)
    }
}

/// A proving-key vector used as it is, with no table.
struct KeyBases<'a, P: SWCurveConfig>(&'a [Affine<P>]);

impl<P: SWCurveConfig<ScalarField = Fr>> RowMsm<P> for KeyBases<'_, P> {
    fn scalars(&self) -> usize {
        self.0.len()
    }
    fn rows(&self) -> usize {
        self.0.len()
    }
    fn msm_rows(&self, scalars: &[BigInt<4>], rows: Range<usize>) -> Projective<P> {
        let c = window_for_rows(self.0, scalars, rows.clone());
        variable_msm_rows(self.0, scalars, rows, c)
    }
}

/// The five MSMs of a proof.
struct Msms<'a, G1: RowMsm<g1::Config>, G2: RowMsm<g2::Config>> {
    a: &'a G1,
    b_g1: &'a G1,
    b_g2: &'a G2,
    h: &'a G1,
    l: &'a G1,
}

#[allow(clippy::too_many_arguments)]
fn prove_with<G1: RowMsm<g1::Config>, G2: RowMsm<g2::Config>>(
    pk: &ProvingKey<Bn254>,
    msms: Msms<'_, G1, G2>,
    r: Fr,
    s: Fr,
    matrices: &Matrices,
    num_inputs: usize,
    num_constraints: usize,
    z: &[Fr],
) -> Result<Proof<Bn254>, SynthesisError> {
    assert!(
        z.len() == pk.a_query.len() && (1..=z.len()).contains(&num_inputs),
        "an assignment of {} variables ({num_inputs} inputs) for a key of {}",
        z.len(),
        pk.a_query.len()
    );
    let threads = rayon::current_num_threads();
    let mut zb: Vec<BigInt<4>> = z.par_iter().map(|x| x.into_bigint()).collect();

    // Chain 1: the QAP reduction, then Σ h_i·H_i. Chain 2: everything else.
    let (h_acc, rest) = rayon::join(
        || -> Result<G1Projective, SynthesisError> {
            let mut h = matrices.witness_map(num_inputs, num_constraints, z)?;
            let mut hb: Vec<BigInt<4>> = h
                .par_iter()
                .take(msms.h.scalars())
                .map(|x| x.into_bigint())
                .collect();
            // h is the witness in another form, like z.
            h.zeroize();
            drop(h);
            let acc = split(msms.h.rows(), threads)
                .into_par_iter()
                .map(|rows| msms.h.msm_rows(&hb, rows))
                .sum();
            hb.zeroize();
            Ok(acc)
        },
        || {
            // The G1 MSMs (A, B in G1, L over the witness part of z),
            // each cut into row ranges: tasks are (MSM, rows).
            let zb = &zb;
            let g1 = [
                (msms.a, &zb[..]),
                (msms.b_g1, &zb[..]),
                (msms.l, &zb[num_inputs..]),
            ];
            let g1_tasks: Vec<(usize, Range<usize>)> = g1
                .iter()
                .enumerate()
                .flat_map(|(k, (table, _))| {
                    split(table.rows(), threads)
                        .into_iter()
                        .map(move |rows| (k, rows))
                })
                .collect();
            rayon::join(
                || {
                    g1_tasks
                        .into_par_iter()
                        .map(|(k, rows)| {
                            let (table, scalars) = g1[k];
                            (k, table.msm_rows(scalars, rows))
                        })
                        .fold(
                            || [G1Projective::zero(); 3],
                            |mut acc, (k, part)| {
                                acc[k] += part;
                                acc
                            },
                        )
                        .reduce(
                            || [G1Projective::zero(); 3],
                            |mut x, y| {
                                for (a, b) in x.iter_mut().zip(y) {
                                    *a += b;
                                }
                                x
                            },
                        )
                },
                || -> G2Projective {
                    split(msms.b_g2.rows(), threads)
                        .into_par_iter()
                        .map(|rows| msms.b_g2.msm_rows(zb, rows))
                        .sum()
                },
            )
        },
    );
    zb.zeroize();
    let h_acc = h_acc?;
    let ([a_acc, b_g1_acc, l_acc], b_g2_acc) = rest;

    // The stock prover's combination, step for step.
    let g_a = pk.vk.alpha_g1.into_group() + a_acc + pk.delta_g1 * r;
    let g1_b = if r.is_zero() {
        G1Projective::zero()
    } else {
        pk.beta_g1.into_group() + b_g1_acc + pk.delta_g1 * s
    };
    let g2_b = pk.vk.beta_g2.into_group() + b_g2_acc + pk.vk.delta_g2 * s;
    let g_c = g_a * s + g1_b * r - pk.delta_g1 * (r * s) + l_acc + h_acc;
    Ok(Proof {
        a: g_a.into_affine(),
        b: g2_b.into_affine(),
        c: g_c.into_affine(),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use ark_ff::UniformRand;
    use ark_groth16::Groth16;
    use ark_relations::gr1cs::{
        ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, LinearCombination,
        OptimizationGoal, SynthesisMode, Variable,
    };
    use ark_relations::gr1cs::{Matrix, R1CS_PREDICATE_LABEL};
    use ark_snark::SNARK;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    /// A random satisfiable R1CS: each constraint multiplies two random linear
    /// combinations of earlier variables into a new witness variable. Some
    /// values are 0 or 1, some variables repeat others (equal key columns),
    /// some never appear in B (B bases at infinity), and one appears nowhere.
    #[derive(Clone)]
    pub(crate) struct RandomCircuit {
        pub(crate) seed: u64,
        pub(crate) inputs: usize,
        pub(crate) constraints: usize,
    }

    impl RandomCircuit {
        /// The shapes the tests run: no input, one constraint, up to a
        /// thousand constraints.
        pub(crate) fn shapes() -> Vec<RandomCircuit> {
            [(1, 0, 1), (2, 1, 3), (3, 2, 40), (4, 5, 200), (5, 3, 1000)]
                .into_iter()
                .map(|(seed, inputs, constraints)| RandomCircuit {
                    seed,
                    inputs,
                    constraints,
                })
                .collect()
        }

        fn public_inputs(&self) -> Vec<Fr> {
            let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
            (0..self.inputs).map(|_| Fr::rand(&mut rng)).collect()
        }
    }

    impl ConstraintSynthesizer<Fr> for RandomCircuit {
        fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
            let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
            let mut vars: Vec<(Variable, Fr)> = vec![(Variable::One, Fr::from(1u64))];
            for _ in 0..self.inputs {
                let v = Fr::rand(&mut rng);
                vars.push((cs.new_input_variable(|| Ok(v))?, v));
            }
            let unused = Fr::rand(&mut rng);
            let _ = cs.new_witness_variable(|| Ok(unused))?;
            for i in 0..self.constraints {
                let lc = |rng: &mut ChaCha20Rng, terms: usize| {
                    let mut lc = LinearCombination::zero();
                    let mut value = Fr::zero();
                    for _ in 0..terms {
                        let (var, x) = vars[rng.gen_range(0..vars.len())];
                        let coeff = match rng.gen_range(0..3) {
                            0 => Fr::from(1u64),
                            1 => -Fr::from(1u64),
                            _ => Fr::rand(rng),
                        };
                        lc += (coeff, var);
                        value += coeff * x;
                    }
                    (lc, value)
                };
                let terms = rng.gen_range(1..4);
                let (a, av) = lc(&mut rng, terms);
                // Every fourth constraint has the constant 1 as B, so its new
                // variable (like the a-side ones) is absent from B.
                let (b, bv) = if i % 4 == 0 {
                    (LinearCombination::from(Variable::One), Fr::from(1u64))
                } else {
                    let terms = rng.gen_range(1..3);
                    lc(&mut rng, terms)
                };
                let out = match i % 7 {
                    0 => Fr::zero(),
                    1 => Fr::from(1u64),
                    _ => av * bv,
                };
                // 0 and 1 outputs: a*0 = 0 and 1*1 = 1 keep the constraint true.
                let (a, b) = match i % 7 {
                    0 => (a, LinearCombination::zero()),
                    1 => (
                        LinearCombination::from(Variable::One),
                        LinearCombination::from(Variable::One),
                    ),
                    _ => (a, b),
                };
                let w = cs.new_witness_variable(|| Ok(out))?;
                cs.enforce_r1cs_constraint(|| a, || b, || LinearCombination::from(w))?;
                vars.push((w, out));
                if i % 5 == 0 {
                    // A copy: an equal column in every query.
                    let copy = cs.new_witness_variable(|| Ok(out))?;
                    cs.enforce_r1cs_constraint(
                        || LinearCombination::from(w),
                        || LinearCombination::from(Variable::One),
                        || LinearCombination::from(copy),
                    )?;
                    vars.push((copy, out));
                }
            }
            Ok(())
        }
    }

    pub(crate) fn matrices_and_assignment(
        c: RandomCircuit,
    ) -> (Vec<Matrix<Fr>>, usize, usize, Vec<Fr>) {
        let cs = ConstraintSystem::<Fr>::new_ref();
        cs.set_optimization_goal(OptimizationGoal::Constraints);
        cs.set_mode(SynthesisMode::Prove {
            construct_matrices: true,
            generate_lc_assignments: true,
        });
        c.generate_constraints(cs.clone()).unwrap();
        cs.finalize();
        assert!(cs.is_satisfied().unwrap());
        let matrices = cs
            .to_matrices()
            .unwrap()
            .remove(R1CS_PREDICATE_LABEL)
            .unwrap();
        let mut z = cs.instance_assignment().unwrap();
        z.extend(cs.witness_assignment().unwrap());
        (
            matrices,
            cs.num_instance_variables(),
            cs.num_constraints(),
            z,
        )
    }

    /// Same proof as arkworks' prover for the same r and s, on random
    /// circuits of many shapes, with 1 and 2 threads (different row splits),
    /// and the proof verifies.
    #[test]
    fn same_proof_as_arkworks_on_random_circuits() {
        let mut rng = ChaCha20Rng::seed_from_u64(77);
        for circuit in RandomCircuit::shapes() {
            let seed = circuit.seed;
            let (pk, vk) =
                Groth16::<Bn254>::circuit_specific_setup(circuit.clone(), &mut rng).unwrap();
            let (matrices, num_inputs, num_constraints, z) =
                matrices_and_assignment(circuit.clone());
            let compact = Matrices::from_matrices(&matrices);
            let tables = ProverTables::new(&pk);
            for (r, s) in [
                (Fr::rand(&mut rng), Fr::rand(&mut rng)),
                (Fr::zero(), Fr::rand(&mut rng)),
                (Fr::rand(&mut rng), Fr::zero()),
            ] {
                let stock = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
                    &pk,
                    r,
                    s,
                    &matrices,
                    num_inputs,
                    num_constraints,
                    &z,
                )
                .unwrap();
                for threads in [1, 2, 3] {
                    let pool = rayon::ThreadPoolBuilder::new()
                        .num_threads(threads)
                        .build()
                        .unwrap();
                    let (m, n, k) = (&compact, num_inputs, num_constraints);
                    let (ours, untabled) = pool.install(|| {
                        (
                            create_proof(&pk, &tables, r, s, m, n, k, &z),
                            create_proof_without_tables(&pk, r, s, m, n, k, &z),
                        )
                    });
                    assert_eq!(ours.unwrap(), stock, "seed {seed}, {threads} threads");
                    assert_eq!(
                        untabled.unwrap(),
                        stock,
                        "seed {seed}, {threads} threads, no tables"
                    );
                }
                let inputs = circuit.public_inputs();
                assert!(Groth16::<Bn254>::verify(&vk, &inputs, &stock).unwrap());
            }
        }
    }

    #[test]
    #[should_panic(expected = "prover tables of another proving key")]
    fn tables_of_another_key_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(78);
        let small = RandomCircuit {
            seed: 1,
            inputs: 1,
            constraints: 3,
        };
        let large = RandomCircuit {
            seed: 2,
            inputs: 1,
            constraints: 30,
        };
        let (pk_small, _) =
            Groth16::<Bn254>::circuit_specific_setup(small.clone(), &mut rng).unwrap();
        let (pk_large, _) = Groth16::<Bn254>::circuit_specific_setup(large, &mut rng).unwrap();
        let (matrices, num_inputs, num_constraints, z) = matrices_and_assignment(small);
        let tables = ProverTables::new(&pk_large);
        let _ = create_proof(
            &pk_small,
            &tables,
            Fr::from(1u64),
            Fr::from(2u64),
            &Matrices::from_matrices(&matrices),
            num_inputs,
            num_constraints,
            &z,
        );
    }
}
