//! Groth16 proving of the four statements, one at a time or many in parallel.
//!
//! Every proof goes through the same steps:
//! 1. the native relation (`check_relation`) must accept the witness, else
//!    [`ProveError::Unsatisfied`] names the first clause it breaks;
//! 2. the circuit is synthesized with the witness (assignments only: the R1CS
//!    matrices are built once per process, [`crate::keys::circuit`], and were
//!    matched to the keys by digest when they were loaded); the assignment must
//!    satisfy every constraint and carry exactly the statement's one
//!    public-input encoding (`to_field_elements`), else a
//!    [`ProveError::Circuit`] reports the disagreement between the native
//!    relation and the circuit (a bug, never the caller's fault);
//! 3. the proof is computed by [`crate::groth16`] (over the prover tables when
//!    they are loaded, else over the key's own bases), the FFTs and MSMs on
//!    the current rayon pool;
//! 4. the proof is checked against the verifying key before it is returned.
//!
//! Secrets: the witness types ([`SpendWitness`]) are zeroized on drop, and so
//! are the prover's copies (the constraint system's witness assignment and the
//! full assignment vector, `h` and the MSMs' digits). Temporaries inside
//! arkworks' QAP reduction (the polynomials' evaluations) are freed without
//! being wiped.
//!
//! So a caller gets a proof that verifies, or an error; never a bad proof.
//! Threads: this library never builds a thread pool; it runs on the caller's
//! (rayon's global pool unless the caller installs one).

use crate::groth16;
use crate::keys::{ProvingKeys, StatementKeys};
use crate::qap::Matrices;
use ark_bn254::Fr;
use ark_ff::UniformRand;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use thiserror::Error;
use zeroize::{Zeroize, Zeroizing};
use zkpension_circuits::r1cs::ConstraintInfo;
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit, InheritCircuit};
use zkpension_circuits::statements::{
    attest, claim, contribute, inherit, AttestPublic, ClaimPublic, ContributePublic,
    InheritPrivate, InheritPublic, RelationError, SpendWitness,
};
use zkpension_circuits::Statement;
use zkpension_verifier::{Proof, ProofFile, VerifyError};

/// Why no proof was made.
#[derive(Debug, Error)]
pub enum ProveError {
    /// The witness does not satisfy the statement: the first clause it breaks.
    #[error(transparent)]
    Unsatisfied(#[from] RelationError),
    /// The keys of this statement were not loaded.
    #[error("no proving key for the {0} statement was loaded")]
    MissingKey(Statement),
    /// The native relation accepted the witness but the circuit did not, or the
    /// circuit's public inputs differ from the statement's encoder. This is a
    /// bug in the circuit or the relation, not in the caller's input.
    #[error("the {statement} circuit disagrees with the native relation: {detail}")]
    Circuit {
        statement: Statement,
        detail: String,
    },
    /// Synthesis or the QAP reduction failed.
    #[error("synthesizing the {statement} circuit failed: {source}")]
    Synthesis {
        statement: Statement,
        #[source]
        source: SynthesisError,
    },
    /// The proof just made does not verify: the keys do not belong to the
    /// circuit (or a bug). The proof is discarded.
    #[error("the {statement} proof does not verify against its own verifying key: {source}")]
    SelfCheck {
        statement: Statement,
        #[source]
        source: VerifyError,
    },
}

/// A statement's public inputs and private witness, ready to prove. The
/// witness ([`SpendWitness`], [`InheritPrivate`]) is zeroized when this is dropped, and `Debug`
/// prints only the public inputs.
#[derive(Clone)]
pub enum Witness {
    Contribute(ContributePublic, SpendWitness),
    Claim(ClaimPublic, SpendWitness),
    Attest(AttestPublic, SpendWitness),
    Inherit(InheritPublic, InheritPrivate),
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Witness");
        match self {
            Witness::Contribute(p, _) => d.field("contribute", p),
            Witness::Claim(p, _) => d.field("claim", p),
            Witness::Attest(p, _) => d.field("attest", p),
            Witness::Inherit(p, _) => d.field("inherit", p),
        };
        d.field("private", &"<secret>").finish()
    }
}

impl Witness {
    /// The statement this witness is for.
    pub fn statement(&self) -> Statement {
        match self {
            Witness::Contribute(..) => Statement::Contribute,
            Witness::Claim(..) => Statement::Claim,
            Witness::Attest(..) => Statement::Attest,
            Witness::Inherit(..) => Statement::Inherit,
        }
    }

    /// The public inputs, from the statement's one encoder.
    pub fn public_inputs(&self) -> Vec<Fr> {
        match self {
            Witness::Contribute(p, _) => p.to_field_elements(),
            Witness::Claim(p, _) => p.to_field_elements(),
            Witness::Attest(p, _) => p.to_field_elements(),
            Witness::Inherit(p, _) => p.to_field_elements(),
        }
    }

    /// The native relation.
    pub fn check(&self) -> Result<(), RelationError> {
        match self {
            Witness::Contribute(p, w) => contribute::check_relation(p, w),
            Witness::Claim(p, w) => claim::check_relation(p, w),
            Witness::Attest(p, w) => attest::check_relation(p, w),
            Witness::Inherit(p, w) => inherit::check_relation(p, w),
        }
    }

    /// A proof file for a proof of this witness.
    pub fn proof_file(&self, proof: &Proof) -> ProofFile {
        ProofFile {
            statement: self.statement(),
            proof: proof.clone(),
            public_inputs: self.public_inputs(),
        }
    }
}

/// Proves any statement: the native relation first (a broken clause is
/// named before any proving), then the statement's circuit with its keys.
pub fn prove<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    witness: &Witness,
    rng: &mut R,
) -> Result<Proof, ProveError> {
    witness.check()?;
    let k = statement_keys(keys, witness.statement())?;
    let inputs = witness.public_inputs();
    match witness {
        Witness::Contribute(p, w) => prove_circuit(k, ContributeCircuit::new(p, w), &inputs, rng),
        Witness::Claim(p, w) => prove_circuit(k, ClaimCircuit::new(p, w), &inputs, rng),
        Witness::Attest(p, w) => prove_circuit(k, AttestCircuit::new(p, w), &inputs, rng),
        Witness::Inherit(p, w) => prove_circuit(k, InheritCircuit::new(p, w), &inputs, rng),
    }
}

/// Proves many statements in parallel on the current rayon pool; the result at
/// index `i` belongs to `witnesses[i]`, and one failure does not stop the rest.
///
/// One 32-byte seed is drawn from `rng`; proof `i` uses its own ChaCha20 stream
/// `i` of that seed, so the proofs' blinding values are independent and the
/// result does not depend on scheduling. The seed is zeroized afterwards.
pub fn prove_batch<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    witnesses: &[Witness],
    rng: &mut R,
) -> Vec<Result<Proof, ProveError>> {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    let results = witnesses
        .par_iter()
        .enumerate()
        .map(|(i, w)| {
            let mut rng = ChaCha20Rng::from_seed(seed);
            rng.set_stream(i as u64);
            prove(keys, w, &mut rng)
        })
        .collect();
    seed.zeroize();
    results
}

fn statement_keys(keys: &ProvingKeys, statement: Statement) -> Result<&StatementKeys, ProveError> {
    keys.get(statement).ok_or(ProveError::MissingKey(statement))
}

/// The full assignment `z = (1, public inputs, witness)` of `witness` for its
/// statement's circuit, after the native relation accepted it: the vector the
/// Groth16 MSMs and the QAP reduction consume. For profiling and tests.
pub fn assignment(witness: &Witness) -> Result<Zeroizing<Vec<Fr>>, ProveError> {
    witness.check()?;
    let statement = witness.statement();
    match witness {
        Witness::Contribute(p, w) => assign(statement, ContributeCircuit::new(p, w)),
        Witness::Claim(p, w) => assign(statement, ClaimCircuit::new(p, w)),
        Witness::Attest(p, w) => assign(statement, AttestCircuit::new(p, w)),
        Witness::Inherit(p, w) => assign(statement, InheritCircuit::new(p, w)),
    }
}

/// Synthesizes `circuit` (witness only), checks it against the key's
/// matrices, proves, and checks the proof.
fn prove_circuit<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    keys: &StatementKeys,
    circuit: C,
    public_inputs: &[Fr],
    rng: &mut R,
) -> Result<Proof, ProveError> {
    let statement = keys.statement();
    let synthesis = |source| ProveError::Synthesis { statement, source };
    let shape = &keys.circuit().info;
    let matrices = &keys.circuit().matrices;

    let z = assign(statement, circuit)?;
    check_assignment(statement, shape, matrices, &z, public_inputs)?;
    // The blinding scalars, like the witness, are wiped after use.
    let r = Zeroizing::new(Fr::rand(rng));
    let s = Zeroizing::new(Fr::rand(rng));
    let proof = if keys.uses_tables() {
        groth16::create_proof(
            keys.proving_key(),
            keys.tables(),
            *r,
            *s,
            matrices,
            shape.instance_variables,
            shape.constraints,
            &z,
        )
    } else {
        groth16::create_proof_without_tables(
            keys.proving_key(),
            *r,
            *s,
            matrices,
            shape.instance_variables,
            shape.constraints,
            &z,
        )
    }
    .map_err(synthesis)?;
    drop(z);

    let proof = Proof(proof);
    keys.verifying_key()
        .verify(&proof, public_inputs)
        .map_err(|source| ProveError::SelfCheck { statement, source })?;
    Ok(proof)
}

/// Synthesizes `circuit` for its assignment `z = (1, public inputs, witness)`
/// only: the matrices are the ones the keys were made for (checked by digest
/// when the keys were loaded), so they are not rebuilt for every proof. The
/// constraint system's own copy of the witness is wiped; the returned vector
/// is wiped when dropped.
fn assign<C: ConstraintSynthesizer<Fr>>(
    statement: Statement,
    circuit: C,
) -> Result<Zeroizing<Vec<Fr>>, ProveError> {
    let synthesis = |source| ProveError::Synthesis { statement, source };
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: false,
        generate_lc_assignments: false,
    });
    let assignment = circuit
        .generate_constraints(cs.clone())
        .map_err(synthesis)
        .and_then(|()| {
            cs.finalize();
            let mut z = Zeroizing::new(cs.instance_assignment().map_err(synthesis)?);
            z.extend(cs.witness_assignment().map_err(synthesis)?);
            Ok(z)
        });
    if let Some(mut inner) = cs.borrow_mut() {
        inner.assignments.witness_assignment.zeroize();
        inner.assignments.lc_assignment.zeroize();
    }
    assignment
}

/// The assignment `z = (1, public inputs, witness)` must have the circuit's
/// shape, carry exactly the statement's encoded public inputs, and satisfy
/// every constraint `(A z) * (B z) = C z`. The native relation accepted the
/// witness, so any failure here is a disagreement between it and the circuit.
fn check_assignment(
    statement: Statement,
    shape: &ConstraintInfo,
    matrices: &Matrices,
    z: &[Fr],
    public_inputs: &[Fr],
) -> Result<(), ProveError> {
    let circuit_bug = |detail: String| ProveError::Circuit { statement, detail };
    let variables = shape.instance_variables + shape.witness_variables;
    if z.len() != variables {
        return Err(circuit_bug(format!(
            "synthesis assigned {} variables, the circuit has {variables}",
            z.len()
        )));
    }
    // z[0] is the constant 1.
    let circuit_inputs = &z[1..shape.instance_variables];
    if circuit_inputs != public_inputs {
        let index = circuit_inputs
            .iter()
            .zip(public_inputs)
            .position(|(a, b)| a != b)
            .unwrap_or(circuit_inputs.len().min(public_inputs.len()));
        return Err(circuit_bug(format!(
            "its public inputs differ from the statement's encoder from index {index} on ({} vs {} inputs)",
            circuit_inputs.len(),
            public_inputs.len()
        )));
    }
    if (0..3).any(|m| matrices.rows(m) != shape.constraints) {
        return Err(circuit_bug(format!(
            "matrices of {}, {} and {} rows, the circuit has {} constraints",
            matrices.rows(0),
            matrices.rows(1),
            matrices.rows(2),
            shape.constraints
        )));
    }
    let unsatisfied = (0..shape.constraints)
        .into_par_iter()
        .find_first(|&i| matrices.eval(0, i, z) * matrices.eval(1, i, z) != matrices.eval(2, i, z));
    match unsatisfied {
        Some(i) => Err(circuit_bug(format!(
            "the native relation accepts the witness but R1CS constraint {i} is not satisfied"
        ))),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::example;
    use crate::keys::circuit;
    use rand::SeedableRng;

    #[test]
    fn cached_circuits_are_the_circuits_crate_s() {
        for statement in Statement::ALL {
            let info = zkpension_circuits::r1cs::constraint_info(statement).unwrap();
            assert_eq!(circuit(statement).unwrap().info, info);
        }
    }

    /// The check behind [`ProveError::Circuit`]: an assignment that breaks a
    /// constraint, or whose public part is not the encoder's, is caught.
    #[test]
    fn the_assignment_check_catches_a_circuit_disagreement() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(8);
        let Witness::Contribute(public, private) = example::contribute_witness(&mut rng) else {
            unreachable!()
        };
        let statement = Statement::Contribute;
        let c = circuit(statement).unwrap();
        let inputs = public.to_field_elements();
        let z = assign(statement, ContributeCircuit::new(&public, &private)).unwrap();
        check_assignment(statement, &c.info, &c.matrices, &z, &inputs).unwrap();

        let mut bad = z.to_vec();
        let last = bad.len() - 1;
        bad[last] += Fr::from(1u64);
        let err = check_assignment(statement, &c.info, &c.matrices, &bad, &inputs).unwrap_err();
        assert!(err.to_string().contains("R1CS constraint"), "{err}");

        let mut other = inputs.clone();
        other[4] += Fr::from(1u64);
        let err = check_assignment(statement, &c.info, &c.matrices, &z, &other).unwrap_err();
        assert!(err.to_string().contains("index 4"), "{err}");

        let err = check_assignment(statement, &c.info, &c.matrices, &z[1..], &inputs).unwrap_err();
        assert!(matches!(err, ProveError::Circuit { .. }), "{err}");
    }
}
