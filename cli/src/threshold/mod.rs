//! Threshold keys for the authority and the registrar: `zkpension authority
//! dkg ...` / `sign ...` (the same under `registrar`), by passing files
//! between the trustees (`zkpension_threshold`: FROST over Ed25519).
//!
//! The key's label is the role (`authority`, `registrar`), so a registrar's
//! file can never be used for the authority's key. What the trustees sign is
//! an [`UnsignedTx`] written by the role's own command with
//! `--unsigned-out`; every signer sees its summary and checks that the
//! signing package's message is that transaction's, for that chain.

use crate::output::{Rejected, Usage};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use zkpension_circuits::binding::ChainId;
use zkpension_core::keyfile::Role;
use zkpension_core::Transaction;
use zkpension_prover::member::NodeClient;
use zkpension_threshold as th;

mod dkg;
mod sign;

pub use dkg::{dkg, DkgCommand};
pub use sign::{sign, SignCommand};

/// The `format` of an unsigned transaction file.
pub const UNSIGNED_FORMAT: &str = "zkpension-unsigned-tx/v1";

/// A transaction waiting for a threshold group's signature.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsignedTx {
    pub format: String,
    /// `authority` or `registrar`: whose group signs it.
    pub role: String,
    #[serde(with = "chain_hex")]
    pub chain_id: ChainId,
    /// What the transaction does, in words, for the trustees.
    pub summary: String,
    /// The transaction, with an all-zero signature.
    pub tx: Transaction,
}

mod chain_hex {
    use super::ChainId;
    use serde::{Deserialize, Deserializer, Serializer};
    use zkpension_core::hexbytes::FixedBytes;

    pub fn serialize<S: Serializer>(c: &ChainId, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&FixedBytes(c.0), s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ChainId, D::Error> {
        let b: FixedBytes<32> = FixedBytes::deserialize(d)?;
        Ok(ChainId(b.0))
    }
}

impl UnsignedTx {
    pub fn new(role: Role, chain_id: &ChainId, tx: Transaction, summary: &str) -> Self {
        UnsignedTx {
            format: UNSIGNED_FORMAT.into(),
            role: role.to_string(),
            chain_id: *chain_id,
            summary: summary.into(),
            tx,
        }
    }

    /// Writes the file (never over an existing one).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        zkpension_prover::fsutil::create_new_atomic(path, text.as_bytes(), 0o644).with_context(
            || {
                format!(
                    "writing {} (an existing file is never overwritten)",
                    path.display()
                )
            },
        )
    }

    /// Reads an unsigned transaction of `role`'s group.
    pub fn read(path: &Path, role: Role) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc: UnsignedTx = serde_json::from_str(&text).map_err(|e| {
            Usage(format!(
                "{} is not an unsigned transaction ({e}); make one with --unsigned-out",
                path.display()
            ))
        })?;
        if doc.format != UNSIGNED_FORMAT {
            return Err(Usage(format!(
                "{}: format {:?}, expected {UNSIGNED_FORMAT:?}",
                path.display(),
                doc.format
            ))
            .into());
        }
        if doc.role != role.to_string() {
            return Err(Usage(format!(
                "{} is for the {}'s group, not the {role}'s",
                path.display(),
                doc.role
            ))
            .into());
        }
        Ok(doc)
    }

    /// The bytes the group signs.
    pub fn message(&self) -> anyhow::Result<Vec<u8>> {
        self.tx.signed_message(&self.chain_id).ok_or_else(|| {
            Usage(format!(
                "a {} transaction is proved, not signed",
                self.tx.kind()
            ))
            .into()
        })
    }
}

/// Asks `question` on the terminal; `false` unless the answer is yes.
pub(crate) fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::Write;
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Submits `tx`, waits for its block and returns the height.
pub(crate) fn submit(
    client: &NodeClient,
    tx: &zkpension_core::Transaction,
    what: &str,
) -> anyhow::Result<u64> {
    let id = tx.id();
    let refused = |e: zkpension_prover::member::ClientError| match e {
        zkpension_prover::member::ClientError::Rejected { id, reason } => anyhow::Error::from(
            Rejected(format!("the node rejected {what} {id}: {}", reason.message)),
        ),
        e => e.into(),
    };
    client.submit(tx).map_err(refused)?;
    client
        .wait_included(&id, std::time::Duration::from_secs(60))
        .map_err(refused)
}

/// A threshold-library error: a bad file is the input's fault (exit 1),
/// unless it is about reading or writing.
pub(crate) fn th_err(e: th::Error) -> anyhow::Error {
    Rejected(e.to_string()).into()
}

pub(crate) fn read_all<T: th::Document>(paths: &[PathBuf], label: &str) -> anyhow::Result<Vec<T>> {
    paths
        .iter()
        .map(|p| th::read_for::<T>(p, label).map_err(th_err))
        .collect()
}

pub(crate) fn or_default(path: Option<PathBuf>, default: String) -> PathBuf {
    path.unwrap_or_else(|| PathBuf::from(default))
}
