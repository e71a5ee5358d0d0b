//! This build's circuit of each statement: its counts, digest and R1CS
//! matrices, built once per process and shared by setup, loading and proving.

use std::sync::OnceLock;

use ark_relations::gr1cs::Matrix;
use zkpension_circuits::field::Fr;
use zkpension_circuits::r1cs::{self, ConstraintInfo};
use zkpension_circuits::Statement;
use zkpension_verifier::id_to_hex;

use super::KeyError;

/// This build's circuit of a statement: its counts and digest, and its R1CS
/// matrices exactly as Groth16 key generation builds them (setup mode,
/// linear combinations inlined). The prover reuses the matrices for every
/// proof instead of rebuilding them from each synthesis.
#[derive(Debug)]
pub struct Circuit {
    /// Counts and the digest of `matrices`.
    pub info: ConstraintInfo,
    /// `[A, B, C]`; columns: the constant 1, the public inputs, the witness.
    pub matrices: Vec<Matrix<Fr>>,
}

/// [`Circuit`] of `statement`, built once per process.
pub fn circuit(statement: Statement) -> Result<&'static Circuit, KeyError> {
    static CIRCUITS: [OnceLock<Circuit>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = &CIRCUITS[statement_index(statement)];
    if let Some(c) = slot.get() {
        return Ok(c);
    }
    let synthesis = |source| KeyError::Circuit { statement, source };
    let cs = r1cs::blank_constraint_system(statement).map_err(synthesis)?;
    let matrices = r1cs::r1cs_matrices(&cs).map_err(synthesis)?;
    let (constraints, instance_variables, witness_variables) = (
        cs.num_constraints(),
        cs.num_instance_variables(),
        cs.num_witness_variables(),
    );
    let digest = r1cs::matrix_digest(
        statement,
        constraints,
        instance_variables,
        witness_variables,
        &matrices,
    );
    let built = Circuit {
        info: ConstraintInfo {
            constraints,
            instance_variables,
            witness_variables,
            digest,
        },
        matrices,
    };
    Ok(slot.get_or_init(|| built))
}

/// The constraint count, variable counts and matrix digest of this build's
/// circuit for `statement` (see [`circuit`]).
pub fn circuit_info(statement: Statement) -> Result<ConstraintInfo, KeyError> {
    circuit(statement).map(|c| c.info)
}

pub(super) fn statement_index(statement: Statement) -> usize {
    match statement {
        Statement::Contribute => 0,
        Statement::Claim => 1,
        Statement::Attest => 2,
    }
}

/// `0x` + hex of a digest.
pub fn hex_digest(d: &[u8; 32]) -> String {
    id_to_hex(d)
}
