//! The one error type of the crate: every message says what was expected,
//! what was found, and what to do next.

use crate::FORMAT;
use std::path::PathBuf;
use thiserror::Error;

/// Why a threshold step failed.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    #[error("cannot {action} {}: {error}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        error: std::io::Error,
    },
    /// A file that must not be overwritten already exists.
    #[error("{} already exists: refusing to overwrite it (move it away first, or delete it if it is left over from an earlier run)", path.display())]
    Exists { path: PathBuf },
    /// A document read from a file is wrong; the path is named.
    #[error("{}: {error}", path.display())]
    InFile { path: PathBuf, error: Box<Error> },
    /// Not JSON, or JSON without the fields of the expected document.
    #[error("not a valid \"{expected}\" document: {detail}")]
    Malformed {
        expected: &'static str,
        detail: String,
    },
    /// The `format` field is not [`FORMAT`].
    #[error("expected a \"{FORMAT}\" document, found format {found}: this file was not written by this tool (or by another version of it)")]
    WrongFormat { found: String },
    /// A document of another kind than the step needs.
    #[error("expected a \"{expected}\" document, found a {found} document: check which file was given for this step")]
    WrongKind {
        expected: &'static str,
        found: String,
    },
    /// A document of another key's label.
    #[error("this \"{kind}\" document is for the key \"{found}\", but the key \"{expected}\" is in use: files of different keys can never be mixed; use the files of the key \"{expected}\"")]
    WrongLabel {
        kind: &'static str,
        expected: String,
        found: String,
    },
    /// Threshold, member count, index or label out of range.
    #[error("{0}")]
    Parameters(String),
    /// The set of round-1 files is wrong (missing, duplicate, mismatched).
    #[error("round-1 files: {0}")]
    Round1(String),
    /// `dkg_finish` was given other round-1 files than `dkg_round2`.
    #[error("these round-1 files are not the ones used for your round 2: finish with the same round-1 files")]
    Round1Changed,
    /// A sender saw other round-1 files than this participant.
    #[error("participant {from} saw other round-1 files than you: different round-1 files were handed to different trustees (or one was altered on the way); compare the round-1 files and restart the DKG from round 1")]
    Round1Differs { from: u16 },
    /// A sealed round-2 package addressed to someone else.
    #[error("the round-2 package from participant {from} is addressed to participant {to}, not to you (participant {me}): give only the packages addressed to you")]
    NotForMe { from: u16, to: u16, me: u16 },
    /// A sealed round-2 package that does not decrypt.
    #[error("cannot open the round-2 package from participant {from} to {to}: it was not sealed to your round-1 key for this label and these participants, or it was altered; ask participant {from} for it again")]
    CannotOpen { from: u16, to: u16 },
    /// The set of round-2 packages is wrong (missing, duplicate).
    #[error("round-2 packages: {0}")]
    Round2(String),
    /// FROST identified a misbehaving DKG participant.
    #[error("participant {culprit} sent an invalid {what}: restart the DKG and find out why participant {culprit}'s files are wrong")]
    Culprit { culprit: u16, what: &'static str },
    /// A document of another DKG run (same label, other group key).
    #[error("{what} is for the group key {found}, not {expected}: it belongs to another DKG run of this label (a stale group-key or key-share file?); use the files of one DKG run only")]
    WrongGroupKey {
        what: String,
        expected: String,
        found: String,
    },
    /// Fewer signers than the threshold.
    #[error("{needed} of {total} signers needed, got commitments from {} ({}): collect commitments from more trustees", .signers.len(), signer_list(.signers))]
    NotEnoughSigners {
        needed: u16,
        total: u16,
        signers: Vec<u16>,
    },
    /// A commitment or share from the wrong signer, twice, or missing.
    #[error("{0}")]
    Signers(String),
    /// Nonces whose commitment is not this signer's in the package.
    #[error("signer {index}'s nonces belong to another signing round (their commitment is not the one in this signing package): nonces are single-use; commit again and have a new signing package made")]
    NoncesMismatch { index: u16 },
    /// A signature share that does not verify (FROST cheater detection).
    #[error("the signature share of signer {culprit} is invalid: leave signer {culprit} out, or have it sign again from a fresh commitment")]
    InvalidShare { culprit: u16 },
    /// The aggregate does not verify as an Ed25519 signature.
    #[error("the aggregated signature does not verify (ed25519 verify_strict) under the group key {key}: do not publish it")]
    BadSignature { key: String },
    /// Any other FROST failure.
    #[error("FROST {step} failed: {error}")]
    Frost {
        step: &'static str,
        error: frost_ed25519::Error,
    },
}

/// "1, 2, 3" (or "none").
pub(crate) fn signer_list(indices: &[u16]) -> String {
    if indices.is_empty() {
        return "none".into();
    }
    let plural = if indices.len() == 1 { "" } else { "s" };
    format!("signer{plural} {}", self::indices(indices))
}

/// "1, 2, 3".
pub(crate) fn indices(indices: &[u16]) -> String {
    let items: Vec<String> = indices.iter().map(u16::to_string).collect();
    items.join(", ")
}

pub(crate) fn frost(step: &'static str) -> impl FnOnce(frost_ed25519::Error) -> Error {
    move |error| Error::Frost { step, error }
}
