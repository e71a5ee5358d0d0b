//! zkpension's statements.
//!
//! The native side (always built) holds everything a ledger node or wallet needs:
//! Poseidon with circomlib's parameters, field encodings, keys, notes, the
//! commitment tree, the `binding` input, and each statement's public inputs and
//! native relation. The R1CS gadgets and circuits are behind the `r1cs` feature,
//! so a node never links the constraint-system stack.
//!
//! Section numbers (§) refer to the protocol specification, `docs/SPEC.md`.

pub mod binding;
pub mod field;
pub mod keys;
pub mod note;
pub mod poseidon;
#[cfg(feature = "r1cs")]
pub mod r1cs;
pub mod replay;
pub mod statements;
pub mod tree;
pub mod values;

pub use field::Fr;
pub use statements::Statement;
pub use values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
