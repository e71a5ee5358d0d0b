//! The verifier's errors: decoding untrusted bytes, loading keys, verifying.

use std::path::PathBuf;

use thiserror::Error;
use zkpension_circuits::field::EncodingError;
use zkpension_circuits::Statement;

/// The three group elements of a Groth16 proof, for error messages.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ProofElement {
    /// `A`, in G1.
    A,
    /// `B`, in G2.
    B,
    /// `C`, in G1.
    C,
}

impl std::fmt::Display for ProofElement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ProofElement::A => "A (G1)",
            ProofElement::B => "B (G2)",
            ProofElement::C => "C (G1)",
        })
    }
}

/// Why bytes or text from outside are not a proof or a list of public inputs.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum DecodeError {
    /// Fewer bytes than the encoding needs.
    #[error("truncated: expected {expected} bytes, got {got}")]
    Truncated { expected: usize, got: usize },
    /// More bytes than the encoding has.
    #[error("trailing bytes: expected {expected} bytes, got {got}")]
    TrailingBytes { expected: usize, got: usize },
    /// Flag bits that no point has, a coordinate `>= q`, or the point at
    /// infinity with a non-zero coordinate: a second encoding of some value.
    #[error("proof element {element} is not canonically encoded")]
    NonCanonical { element: ProofElement },
    /// No point of the curve has this x-coordinate.
    #[error("proof element {element} is not on the curve")]
    NotOnCurve { element: ProofElement },
    /// On the curve, but outside the prime-order subgroup.
    #[error("proof element {element} is not in the prime-order subgroup")]
    NotInSubgroup { element: ProofElement },
    /// Text that is not `0x` followed by the expected number of hex digits.
    #[error("expected \"0x\" followed by {digits} hex digits")]
    Hex { digits: usize },
    /// A statement given a wrong number of public inputs.
    #[error("{statement} takes {expected} public inputs, got {got}")]
    InputCount {
        statement: Statement,
        expected: usize,
        got: usize,
    },
    /// A public input that is not a canonical field element.
    #[error("public input {index}: {source}")]
    PublicInput {
        index: usize,
        #[source]
        source: EncodingError,
    },
}

/// Why a verifying key, or a key directory, was refused.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{}: not a key manifest: {source}", path.display())]
    ManifestJson {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("key manifest format is {found:?}, this verifier reads {expected:?}")]
    Format {
        expected: &'static str,
        found: String,
    },
    #[error("{statement} keys are for statement version {found}, this verifier checks version {expected}")]
    StatementVersion {
        statement: Statement,
        expected: u32,
        found: u32,
    },
    #[error("the key manifest has no entry for {0}")]
    MissingStatement(Statement),
    /// The manifest entry of one statement names a file of another statement
    /// (or any file but the statement's own).
    #[error("the manifest entry for {statement} names {field} {found:?}, expected {expected:?}")]
    FileName {
        statement: Statement,
        field: &'static str,
        found: String,
        expected: String,
    },
    #[error("the manifest entry for {statement} lists public inputs {found:?}, the statement has {expected:?}")]
    PublicInputNames {
        statement: Statement,
        expected: Vec<String>,
        found: Vec<String>,
    },
    #[error("{} is {got} bytes, the manifest says {expected}", path.display())]
    Size {
        path: PathBuf,
        expected: u64,
        got: u64,
    },
    #[error("{} has id {got}, the manifest says {expected}", path.display())]
    Id {
        path: PathBuf,
        expected: String,
        got: String,
    },
    #[error("the {statement} verifying key has id {got}, the caller pins {expected}")]
    Pinned {
        statement: Statement,
        expected: String,
        got: String,
    },
    #[error("no verifying-key id is pinned for {0}")]
    NotPinned(Statement),
    #[error("a {found} key was given where the {expected} key belongs")]
    WrongStatement {
        expected: Statement,
        found: Statement,
    },
    #[error("malformed id {0:?}: expected \"0x\" followed by 64 hex digits")]
    IdHex(String),
    /// The key has a different number of public inputs: it was made for
    /// another statement (or another version of it).
    #[error(
        "the key has {got} public inputs, {statement} has {expected}: a key for another statement?"
    )]
    InputCount {
        statement: Statement,
        expected: usize,
        got: usize,
    },
    #[error("{statement} verifying key is not canonically encoded: {reason}")]
    Encoding {
        statement: Statement,
        reason: String,
    },
    /// A key whose `alpha`, `beta`, `gamma` or `delta` is the identity accepts
    /// forged proofs (with `gamma` the identity the public inputs are not bound).
    #[error("{statement} verifying key is degenerate: `{element}` is the identity")]
    Degenerate {
        statement: Statement,
        element: &'static str,
    },
    /// A key error in a particular file.
    #[error("{}: {source}", path.display())]
    InFile {
        path: PathBuf,
        #[source]
        source: Box<KeyError>,
    },
}

/// Why a proof was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum VerifyError {
    /// The number of public inputs differs from the statement's.
    #[error("expected {expected} public inputs, got {got}")]
    InputCount { expected: usize, got: usize },
    /// The pairing check failed.
    #[error("invalid proof")]
    InvalidProof,
    /// The proof's encoding was refused before any check.
    #[error("malformed proof: {0}")]
    Decode(#[from] DecodeError),
}

/// Why a batch was not accepted.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum BatchError {
    /// Exactly the items, by index into the batch in increasing order, that
    /// would fail [`crate::VerifyingKey::verify`] on their own.
    #[error("{} of the batch's proofs are invalid (indices {failed:?})", failed.len())]
    Invalid { failed: Vec<usize> },
    /// An item has the wrong number of public inputs for its statement (the
    /// first such item); the batch was not verified.
    #[error("batch item {index}: {statement} takes {expected} public inputs, got {got}")]
    InputCount {
        index: usize,
        statement: Statement,
        expected: usize,
        got: usize,
    },
}
