//! R1CS gadgets and circuits (feature `r1cs`).
//!
//! The gadgets carry the native names ([`PoseidonVar`] for
//! [`crate::poseidon::hash`], [`NoteVar::commit`] for [`crate::note::Note::commit`],
//! [`NullifierVar::derive`], [`AttestTagVar::derive`], [`keys::owner`],
//! [`keys::nullifier_key`], [`MerklePathVar::root`]) and use the native
//! constants. Each statement of SPEC §4 is one circuit —
//! [`ContributeCircuit`], [`ClaimCircuit`], [`AttestCircuit`],
//! [`InheritCircuit`] — whose blocks are
//! labelled with the clause they enforce, in SPEC order, and mirror the native
//! `check_relation` of [`crate::statements`] clause for clause.
//!
//! Every circuit allocates its public inputs as instance variables in SPEC
//! order from the statement's one encoder (`XPublic::to_field_elements()`), and
//! takes the private witness as a [`crate::statements::SpendWitness`]: the key,
//! the old note's opening and path, and the full opening of the new note
//! (Inherit, which makes no new note, takes the heir's key and the old note's
//! opening and path, [`crate::statements::InheritPrivate`]).

pub mod attest;
pub mod claim;
pub mod contribute;
pub mod inherit;
pub mod keys;
mod lc;
pub mod note;
pub mod poseidon;
pub mod range;
pub mod spend;
pub mod tree;

pub use attest::AttestCircuit;
pub use claim::ClaimCircuit;
pub use contribute::ContributeCircuit;
pub use inherit::InheritCircuit;
pub use note::{AttestTagVar, NoteCommitmentVar, NoteVar, NullifierVar};
pub use poseidon::{poseidon_hash, PoseidonVar};
pub use tree::MerklePathVar;

use crate::field::{self, Fr};
use crate::statements::Statement;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, Matrix, OptimizationGoal,
    SynthesisError, SynthesisMode, R1CS_PREDICATE_LABEL,
};
use sha2::{Digest, Sha256};

/// The struct, constructors and `Debug` shared by the circuits: the public
/// inputs, the private witness type and its shape-only value.
macro_rules! circuit_struct {
    ($(#[$doc:meta])* $name:ident, $public:ty, $n:literal) => {
        $crate::r1cs::circuit_struct!(
            $(#[$doc])* $name,
            $public,
            $crate::statements::SpendWitness,
            $crate::r1cs::spend::blank_witness(),
            $n
        );
    };
    ($(#[$doc:meta])* $name:ident, $public:ty, $private:ty, $blank:expr, $n:literal) => {
        $(#[$doc])*
        ///
        /// Construct with `new` (typed public inputs), `from_raw` (any field
        /// elements, for tests that give out-of-range or malicious values) or
        /// `blank` (a shape-only witness for key generation; synthesis never
        /// branches on witness values, so every instance has the same shape).
        #[derive(Clone)]
        pub struct $name {
            public: [$crate::field::Fr; $n],
            private: $private,
        }

        impl $name {
            /// Number of public inputs.
            pub const NUM_PUBLIC_INPUTS: usize = $n;

            /// The circuit for these public inputs (encoded by
            /// `to_field_elements`, SPEC order) and witness.
            pub fn new(public: &$public, private: &$private) -> Self {
                let raw: [$crate::field::Fr; $n] = public
                    .to_field_elements()
                    .try_into()
                    .expect(concat!(stringify!($public), " encodes ", $n, " inputs"));
                Self::from_raw(raw, private.clone())
            }

            /// The circuit for raw public inputs in SPEC order; values need not
            /// be canonical `u64`s (the circuit itself range-checks them).
            pub fn from_raw(
                public: [$crate::field::Fr; $n],
                private: $private,
            ) -> Self {
                $name { public, private }
            }

            /// A shape-only instance (all zeros) for key generation and
            /// constraint counting.
            pub fn blank() -> Self {
                Self::from_raw([$crate::field::Fr::from(0u64); $n], $blank)
            }

            /// The public inputs, SPEC order (what a verifier checks the proof against).
            pub fn public_inputs(&self) -> &[$crate::field::Fr; $n] {
                &self.public
            }
        }

        impl std::fmt::Debug for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($name))
                    .field("public", &self.public)
                    .field("private", &"<witness>")
                    .finish()
            }
        }
    };
}
pub(crate) use circuit_struct;

/// Size and identity of a statement's constraint system.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConstraintInfo {
    /// Number of R1CS constraints.
    pub constraints: usize,
    /// Instance variables, including the constant 1 (public inputs + 1).
    pub instance_variables: usize,
    /// Witness variables.
    pub witness_variables: usize,
    /// SHA-256 of the canonical serialization of the matrices and counts (see
    /// [`matrix_digest`]).
    pub digest: [u8; 32],
}

/// This build's circuits, pinned: constraint count, witness variables and
/// matrix digest of each statement. Programs that only check key files
/// against the circuits (loading keys, the matrices stored beside them) use
/// these instead of synthesizing the circuit; `circuits/tests/binding.rs`
/// checks that synthesis gives exactly them, so a circuit change must
/// update them (and `STATEMENT_VERSION`, and the prover's pinned hashes of
/// the stored matrices files, `STORED_SHA256`, whose test prints the new
/// values).
pub fn pinned_info(statement: Statement) -> ConstraintInfo {
    let (constraints, witness_variables, digest) = match statement {
        Statement::Contribute => (
            9916,
            9983,
            hex32("93b11b8e3257890312ae28d3b31298ae91d8ae7fe53f47c8e90f722e9b1e8eea"),
        ),
        Statement::Claim => (
            10246,
            10308,
            hex32("ffaf019fd03def887e6dbcbe425c5209124da4fa2d86306e815570b0b841cbc1"),
        ),
        Statement::Attest => (
            10044,
            10111,
            hex32("6525f40794365e13d7867eb46ac47e62e82f69931104da0ddef24bd51a2dcc16"),
        ),
        Statement::Inherit => (
            8928,
            8999,
            hex32("ee95003b8d5a0568a6993e0720d8dd54a3496fd3bb6bd7d5c5c4f39cfc12f5b0"),
        ),
    };
    ConstraintInfo {
        constraints,
        instance_variables: statement.num_public_inputs() + 1,
        witness_variables,
        digest,
    }
}

/// 32 bytes from 64 lowercase hex digits (a compile-time pin).
const fn hex32(s: &str) -> [u8; 32] {
    const fn nibble(c: u8) -> u8 {
        match c {
            b'0'..=b'9' => c - b'0',
            b'a'..=b'f' => c - b'a' + 10,
            _ => panic!("not a lowercase hex digit"),
        }
    }
    let b = s.as_bytes();
    assert!(b.len() == 64, "a pin is 64 hex digits");
    let mut out = [0u8; 32];
    let mut i = 0;
    while i < 32 {
        out[i] = (nibble(b[2 * i]) << 4) | nibble(b[2 * i + 1]);
        i += 1;
    }
    out
}

/// The finalized constraint system of a statement's blank circuit, built the
/// way Groth16 key generation builds it (setup mode, linear combinations
/// inlined).
pub fn blank_constraint_system(
    statement: Statement,
) -> Result<ConstraintSystemRef<Fr>, SynthesisError> {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    match statement {
        Statement::Contribute => ContributeCircuit::blank().generate_constraints(cs.clone())?,
        Statement::Claim => ClaimCircuit::blank().generate_constraints(cs.clone())?,
        Statement::Attest => AttestCircuit::blank().generate_constraints(cs.clone())?,
        Statement::Inherit => InheritCircuit::blank().generate_constraints(cs.clone())?,
    }
    cs.finalize();
    Ok(cs)
}

/// The R1CS matrices `[A, B, C]` of a finalized constraint system. Columns:
/// 0 is the constant 1, then the public inputs, then the witness variables.
pub fn r1cs_matrices(cs: &ConstraintSystemRef<Fr>) -> Result<Vec<Matrix<Fr>>, SynthesisError> {
    cs.to_matrices()?
        .remove(R1CS_PREDICATE_LABEL)
        .ok_or(SynthesisError::PredicateNotFound)
}

/// Constraint counts and matrix digest of a statement's circuit.
pub fn constraint_info(statement: Statement) -> Result<ConstraintInfo, SynthesisError> {
    let cs = blank_constraint_system(statement)?;
    let matrices = r1cs_matrices(&cs)?;
    let constraints = cs.num_constraints();
    let instance_variables = cs.num_instance_variables();
    let witness_variables = cs.num_witness_variables();
    Ok(ConstraintInfo {
        constraints,
        instance_variables,
        witness_variables,
        digest: matrix_digest(
            statement,
            constraints,
            instance_variables,
            witness_variables,
            &matrices,
        ),
    })
}

/// SHA-256 of the canonical serialization of a statement's R1CS:
///
/// ```text
/// "zkpension/v1/r1cs" || u64 len(name) || name
/// || u64 constraints || u64 instance_variables || u64 witness_variables
/// || for M in [A, B, C]: u64 rows || for each row r: u64 r || u64 entries
///        || for each entry, by increasing column: u64 column || coefficient (32 bytes, big-endian)
/// ```
///
/// All integers little-endian.
pub fn matrix_digest(
    statement: Statement,
    constraints: usize,
    instance_variables: usize,
    witness_variables: usize,
    matrices: &[Matrix<Fr>],
) -> [u8; 32] {
    let mut h = Sha256::new();
    let u64le = |x: usize| (x as u64).to_le_bytes();
    h.update(b"zkpension/v1/r1cs");
    h.update(u64le(statement.name().len()));
    h.update(statement.name().as_bytes());
    h.update(u64le(constraints));
    h.update(u64le(instance_variables));
    h.update(u64le(witness_variables));
    for m in matrices {
        h.update(u64le(m.len()));
        for (r, row) in m.iter().enumerate() {
            let mut row = row.clone();
            row.sort_by_key(|(_, col)| *col);
            h.update(u64le(r));
            h.update(u64le(row.len()));
            for (coeff, col) in row {
                h.update(u64le(col));
                h.update(field::to_bytes(&coeff));
            }
        }
    }
    h.finalize().into()
}
