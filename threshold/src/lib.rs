//! t-of-n trustee Ed25519 keys with FROST, run by passing files around.
//!
//! A fund key such as the `"authority"` or the `"registrar"` key can be held
//! by n trustees so that any t of them sign together and fewer than t cannot.
//! The key is made by a distributed key generation (DKG) without a dealer,
//! and signing takes two rounds. Both use FROST, [RFC 9591], through the
//! Zcash Foundation's [`frost-ed25519`](https://docs.rs/frost-ed25519) crate
//! (ciphersuite FROST(Ed25519, SHA-512)). What comes out is a plain 64-byte
//! Ed25519 signature under a plain 32-byte Ed25519 public key: whoever checks
//! it (the node, with `ed25519_dalek::VerifyingKey::verify_strict`) cannot
//! tell it from a single signer's.
//!
//! # The flow
//!
//! Every step reads and writes JSON documents with `"format":
//! "zkpension-threshold/v1"`, a `"kind"` and the key's `"label"`; a
//! document of another kind, format or label is refused with an [`Error`]
//! saying what was expected and what was found. Trustees are numbered
//! 1..=n, fixed before the DKG.
//!
//! Key generation (every trustee runs every step):
//!
//! 1. [`dkg_round1`]: writes `dkg-round1-secret` (keep) and `dkg-round1`
//!    (publish to every other trustee). The round-1 file carries the FROST
//!    commitment with its proof of knowledge and a fresh X25519 key.
//! 2. [`dkg_round2`], given the other n-1 round-1 files: writes
//!    `dkg-round2-secret` (keep) and one `dkg-round2` file per other
//!    trustee. Each holds that trustee's secret share, sealed with HPKE
//!    (RFC 9180: base mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256,
//!    ChaCha20-Poly1305) to its round-1 X25519 key; the HPKE `info` binds
//!    the label, sender, recipient and a digest of all n round-1 files, so a
//!    package opens only for its recipient, from its sender, in this DKG.
//! 3. [`dkg_finish`], given the round-1 files and the round-2 files
//!    addressed to it: writes `key-share` (keep, secret) and `group-key`
//!    (public). Every trustee gets a byte-identical group-key file; the
//!    trustees compare [`GroupKey::fingerprint`] by a channel they trust
//!    (phone, meeting) before the key is used. The round-1 and round-2
//!    secret files can then be deleted.
//!
//! Signing a message (a coordinator, who may be one of the trustees,
//! collects and hands out files):
//!
//! 1. [`commit`], by each trustee taking part: writes `signing-nonces`
//!    (keep, secret) and `signing-commitment` (to the coordinator).
//! 2. [`signing_package`], by the coordinator from at least t commitments
//!    and the message: writes `signing-package` (to those signers); it shows
//!    the message in hex and its SHA-256 so each signer can check what it
//!    signs.
//! 3. [`sign_share`], by each of those signers: consumes its nonces and
//!    writes `signature-share` (to the coordinator).
//! 4. [`aggregate`], by the coordinator: checks every share, adds them up
//!    and checks the result with `verify_strict` against the group key.
//!
//! Secret files are the `*-secret` ones, `key-share` and `signing-nonces`:
//! write them with [`write_secret`] (mode 0600, never overwritten) and never
//! send them anywhere. Every other file, round-2 packages included (they
//! are sealed), may travel by email or through a shared folder: it reveals
//! nothing that helps forge a signature. The round-1 files must still reach
//! everyone unaltered: the DKG detects a substituted or equivocated round-1
//! file (round 2 then fails to open, or the fingerprints differ), it does
//! not prevent it, so a DKG that fails this way is simply run again.
//!
//! Nonces are single-use. Signing two different packages with the same
//! nonces reveals the trustee's key share: [`sign_share`] takes the nonces
//! by value and refuses nonces whose commitment is not the one in the
//! package, and the CLI deletes the nonces file once the share is written.
//! Never copy or restore a nonces file.
//!
//! # Trust model
//!
//! - Any t trustees can sign; any t-1 or fewer learn nothing about the group
//!   secret and cannot sign (as long as each uses fresh nonces).
//! - The DKG has no dealer: no one ever holds the whole secret key, not
//!   even during key generation.
//! - The coordinator holds no secret: it can refuse to finish a signature,
//!   or ask for one over another message (the signers see the message and
//!   its hash before signing), but cannot forge one. A bad share is pinned
//!   on its signer ([`Error::InvalidShare`]).
//! - The signature is a plain Ed25519 signature ([RFC 8032]), checked as
//!   any other; nothing on the node changes.
//!
//! [RFC 9591]: https://www.rfc-editor.org/rfc/rfc9591
//! [RFC 8032]: https://www.rfc-editor.org/rfc/rfc8032

mod dkg;
mod error;
mod keys;
mod sign;

#[cfg(test)]
mod tests;

pub use dkg::{
    dkg_finish, dkg_round1, dkg_round2, Round1Public, Round1Secret, Round2Sealed, Round2Secret,
};
pub use error::Error;
pub use keys::{GroupKey, KeyShare};
pub use sign::{
    aggregate, commit, sign_share, signing_package, SignatureShare, SigningCommitment,
    SigningNonces, SigningPackage,
};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::Path;
use zeroize::Zeroizing;

/// The `"format"` of every document.
pub const FORMAT: &str = "zkpension-threshold/v1";

/// Longest key label, in bytes.
pub const MAX_LABEL_BYTES: usize = 64;

/// A JSON document of this crate.
pub trait Document: Serialize + DeserializeOwned {
    /// Its `"kind"`.
    const KIND: &'static str;
    /// The label of the key it belongs to.
    fn label(&self) -> &str;
    /// Consistency checks after parsing (beyond the JSON shape).
    #[doc(hidden)]
    fn check(&self) -> Result<(), Error> {
        check_label(self.label())
    }
}

/// The document as pretty JSON, ending with a newline.
pub fn to_json<T: Document>(doc: &T) -> Result<String, Error> {
    let mut text = serde_json::to_string_pretty(doc).map_err(|e| Error::Malformed {
        expected: T::KIND,
        detail: format!("cannot serialize: {e}"),
    })?;
    text.push('\n');
    Ok(text)
}

/// Parses a document of kind `T::KIND`, checking format and kind first.
pub fn parse<T: Document>(text: &str) -> Result<T, Error> {
    let malformed = |e: serde_json::Error| Error::Malformed {
        expected: T::KIND,
        detail: e.to_string(),
    };
    // Only the head is read here: the other fields (maybe secret) are skipped.
    #[derive(Deserialize)]
    #[serde(expecting = "a JSON object")]
    struct Head {
        format: Option<serde_json::Value>,
        kind: Option<serde_json::Value>,
    }
    let head: Head = serde_json::from_str(text).map_err(malformed)?;
    match head.format {
        Some(serde_json::Value::String(f)) if f == FORMAT => {}
        Some(other) => {
            return Err(Error::WrongFormat {
                found: other.to_string(),
            })
        }
        None => {
            return Err(Error::WrongFormat {
                found: "none (no \"format\" field)".into(),
            })
        }
    }
    match head.kind {
        Some(serde_json::Value::String(k)) if k == T::KIND => {}
        Some(other) => {
            return Err(Error::WrongKind {
                expected: T::KIND,
                found: other.to_string(),
            })
        }
        None => {
            return Err(Error::WrongKind {
                expected: T::KIND,
                found: "no \"kind\"".into(),
            })
        }
    }
    let doc: T = serde_json::from_str(text).map_err(malformed)?;
    doc.check()?;
    Ok(doc)
}

/// [`parse`], and the document must belong to the key `label`.
pub fn parse_for<T: Document>(text: &str, label: &str) -> Result<T, Error> {
    let doc: T = parse(text)?;
    expect_label(&doc, label)?;
    Ok(doc)
}

/// Reads and [`parse`]s a document; errors name the path.
pub fn read<T: Document>(path: impl AsRef<Path>) -> Result<T, Error> {
    let path = path.as_ref();
    let text = Zeroizing::new(std::fs::read_to_string(path).map_err(|error| Error::Io {
        action: "read",
        path: path.into(),
        error,
    })?);
    parse(&text).map_err(|e| Error::InFile {
        path: path.into(),
        error: Box::new(e),
    })
}

/// [`read`], and the document must belong to the key `label`.
pub fn read_for<T: Document>(path: impl AsRef<Path>, label: &str) -> Result<T, Error> {
    let path = path.as_ref();
    let doc: T = read(path)?;
    expect_label(&doc, label).map_err(|e| Error::InFile {
        path: path.into(),
        error: Box::new(e),
    })?;
    Ok(doc)
}

/// Writes a secret document: a new file (never overwrites), mode 0600 on
/// Unix.
pub fn write_secret<T: Document>(path: impl AsRef<Path>, doc: &T) -> Result<(), Error> {
    let text = Zeroizing::new(to_json(doc)?);
    write_file(path.as_ref(), text.as_bytes(), false, true)
}

/// Writes a public document; an existing file is overwritten only if
/// `overwrite`.
pub fn write_public<T: Document>(
    path: impl AsRef<Path>,
    doc: &T,
    overwrite: bool,
) -> Result<(), Error> {
    write_file(path.as_ref(), to_json(doc)?.as_bytes(), overwrite, false)
}

fn write_file(path: &Path, bytes: &[u8], overwrite: bool, secret: bool) -> Result<(), Error> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true);
    if overwrite {
        options.create(true).truncate(true);
    } else {
        options.create_new(true);
    }
    #[cfg(unix)]
    if secret {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    #[cfg(not(unix))]
    let _ = secret;
    let io = |error: std::io::Error| {
        if error.kind() == std::io::ErrorKind::AlreadyExists {
            Error::Exists { path: path.into() }
        } else {
            Error::Io {
                action: "write",
                path: path.into(),
                error,
            }
        }
    };
    let mut file = options.open(path).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)
}

pub(crate) fn expect_label<T: Document>(doc: &T, label: &str) -> Result<(), Error> {
    if doc.label() == label {
        Ok(())
    } else {
        Err(Error::WrongLabel {
            kind: T::KIND,
            expected: label.into(),
            found: doc.label().into(),
        })
    }
}

pub(crate) fn check_label(label: &str) -> Result<(), Error> {
    if label.is_empty() || label.len() > MAX_LABEL_BYTES || label.chars().any(char::is_control) {
        return Err(Error::Parameters(format!(
            "invalid key label {label:?}: give 1 to {MAX_LABEL_BYTES} bytes without control characters, such as \"authority\""
        )));
    }
    Ok(())
}

/// Serde as a lowercase hex string.
pub(crate) mod hex_bytes {
    use serde::{de::Error as _, Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer, T: AsRef<[u8]>>(bytes: &T, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&hex::encode(bytes))
    }

    pub fn deserialize<'de, D, T>(d: D) -> Result<T, D::Error>
    where
        D: Deserializer<'de>,
        T: hex::FromHex,
        T::Error: std::fmt::Display,
    {
        let text = zeroize::Zeroizing::new(String::deserialize(d)?);
        T::from_hex(text.as_str()).map_err(D::Error::custom)
    }
}

/// Implements [`Document`] for a struct with `head` and `label` fields.
macro_rules! document {
    ($ty:ty, $kind:literal) => {
        impl $crate::Document for $ty {
            const KIND: &'static str = $kind;
            fn label(&self) -> &str {
                &self.label
            }
            fn check(&self) -> Result<(), $crate::Error> {
                $crate::check_label(&self.label)?;
                self.validate()
            }
        }
    };
}
pub(crate) use document;

/// A `Debug` that shows whose secret it is, never the secret.
macro_rules! redacted_debug {
    ($ty:ty) => {
        impl std::fmt::Debug for $ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(stringify!($ty))
                    .field("label", &self.label)
                    .field("index", &self.index)
                    .finish_non_exhaustive()
            }
        }
    };
}
pub(crate) use redacted_debug;
