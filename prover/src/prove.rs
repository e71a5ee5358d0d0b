//! Groth16 proving of the three statements, one at a time or many in parallel.
//!
//! Every proof goes through the same steps:
//! 1. the native relation (`check_relation`) must accept the witness, else
//!    [`ProveError::Unsatisfied`] names the first clause it breaks;
//! 2. the circuit is synthesized with the witness, and its constraint system
//!    must be satisfied and its instance assignment must equal the statement's
//!    one public-input encoder (`to_field_elements`), else a
//!    [`ProveError::Circuit`] reports the disagreement between the native
//!    relation and the circuit (a bug, never the caller's fault);
//! 3. the proof is computed (ark-groth16 with the `parallel` feature, so the
//!    MSMs and FFTs use the current rayon pool);
//! 4. the proof is checked against the verifying key before it is returned.
//!
//! So a caller gets a proof that verifies, or an error; never a bad proof.
//! Threads: this library never builds a thread pool; it runs on the caller's
//! (rayon's global pool unless the caller installs one).

use crate::keys::{ProvingKeys, StatementKeys};
use ark_bn254::{Bn254, Fr};
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, OptimizationGoal, SynthesisError, SynthesisMode,
    R1CS_PREDICATE_LABEL,
};
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, RngCore, SeedableRng};
use rayon::prelude::*;
use thiserror::Error;
use zeroize::Zeroize;
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit};
use zkpension_circuits::statements::{
    attest, claim, contribute, AttestPublic, ClaimPublic, ContributePublic, RelationError,
    SpendWitness,
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
/// witness ([`SpendWitness`]) is zeroized when this is dropped, and `Debug`
/// prints only the public inputs.
#[derive(Clone)]
pub enum Witness {
    Contribute(ContributePublic, SpendWitness),
    Claim(ClaimPublic, SpendWitness),
    Attest(AttestPublic, SpendWitness),
}

impl std::fmt::Debug for Witness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut d = f.debug_struct("Witness");
        match self {
            Witness::Contribute(p, _) => d.field("contribute", p),
            Witness::Claim(p, _) => d.field("claim", p),
            Witness::Attest(p, _) => d.field("attest", p),
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
        }
    }

    /// The public inputs, from the statement's one encoder.
    pub fn public_inputs(&self) -> Vec<Fr> {
        match self {
            Witness::Contribute(p, _) => p.to_field_elements(),
            Witness::Claim(p, _) => p.to_field_elements(),
            Witness::Attest(p, _) => p.to_field_elements(),
        }
    }

    /// The native relation.
    pub fn check(&self) -> Result<(), RelationError> {
        match self {
            Witness::Contribute(p, w) => contribute::check_relation(p, w),
            Witness::Claim(p, w) => claim::check_relation(p, w),
            Witness::Attest(p, w) => attest::check_relation(p, w),
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

/// Proves a Contribute statement.
pub fn prove_contribute<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    public: &ContributePublic,
    witness: &SpendWitness,
    rng: &mut R,
) -> Result<Proof, ProveError> {
    contribute::check_relation(public, witness)?;
    let circuit = ContributeCircuit::new(public, witness);
    prove_circuit(
        statement_keys(keys, Statement::Contribute)?,
        circuit,
        &public.to_field_elements(),
        rng,
    )
}

/// Proves a Claim statement.
pub fn prove_claim<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    public: &ClaimPublic,
    witness: &SpendWitness,
    rng: &mut R,
) -> Result<Proof, ProveError> {
    claim::check_relation(public, witness)?;
    let circuit = ClaimCircuit::new(public, witness);
    prove_circuit(
        statement_keys(keys, Statement::Claim)?,
        circuit,
        &public.to_field_elements(),
        rng,
    )
}

/// Proves an Attest statement.
pub fn prove_attest<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    public: &AttestPublic,
    witness: &SpendWitness,
    rng: &mut R,
) -> Result<Proof, ProveError> {
    attest::check_relation(public, witness)?;
    let circuit = AttestCircuit::new(public, witness);
    prove_circuit(
        statement_keys(keys, Statement::Attest)?,
        circuit,
        &public.to_field_elements(),
        rng,
    )
}

/// Proves any statement.
pub fn prove<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    witness: &Witness,
    rng: &mut R,
) -> Result<Proof, ProveError> {
    match witness {
        Witness::Contribute(p, w) => prove_contribute(keys, p, w, rng),
        Witness::Claim(p, w) => prove_claim(keys, p, w, rng),
        Witness::Attest(p, w) => prove_attest(keys, p, w, rng),
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

/// Synthesizes `circuit`, checks it, proves, and checks the proof.
fn prove_circuit<C: ConstraintSynthesizer<Fr>, R: RngCore + CryptoRng>(
    keys: &StatementKeys,
    circuit: C,
    public_inputs: &[Fr],
    rng: &mut R,
) -> Result<Proof, ProveError> {
    let statement = keys.statement();
    let synthesis = |source| ProveError::Synthesis { statement, source };
    let circuit_bug = |detail: String| ProveError::Circuit { statement, detail };

    // The same synthesis settings as ark-groth16's own prover and setup.
    let cs = ConstraintSystem::<Fr>::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Prove {
        construct_matrices: true,
        generate_lc_assignments: false,
    });
    circuit
        .generate_constraints(cs.clone())
        .map_err(synthesis)?;
    cs.finalize();

    let result = (|| {
        if let Some(which) = cs.which_is_unsatisfied().map_err(synthesis)? {
            return Err(circuit_bug(format!(
                "the native relation accepts the witness but constraint {which} is not satisfied"
            )));
        }
        let instance = cs.instance_assignment().map_err(synthesis)?;
        // instance[0] is the constant 1.
        let circuit_inputs = instance.get(1..).unwrap_or(&[]);
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
        let matrices = cs.to_matrices().map_err(synthesis)?;
        let r1cs = matrices.get(R1CS_PREDICATE_LABEL).ok_or_else(|| {
            circuit_bug("the constraint system has no R1CS predicate".to_string())
        })?;
        let num_inputs = cs.num_instance_variables();
        let num_constraints = cs.num_constraints();
        let mut full_assignment = instance;
        full_assignment.extend(cs.witness_assignment().map_err(synthesis)?);
        let r = Fr::rand(rng);
        let s = Fr::rand(rng);
        let proof = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            keys.proving_key(),
            r,
            s,
            r1cs,
            num_inputs,
            num_constraints,
            &full_assignment,
        )
        .map_err(synthesis);
        full_assignment.zeroize();
        proof
    })();

    // Wipe the witness values the constraint system holds.
    if let Some(mut inner) = cs.borrow_mut() {
        inner.assignments.witness_assignment.zeroize();
        inner.assignments.lc_assignment.zeroize();
    }

    let proof = Proof(result?);
    keys.verifying_key()
        .verify(&proof, public_inputs)
        .map_err(|source| ProveError::SelfCheck { statement, source })?;
    Ok(proof)
}
