//! The member's wallet file.
//!
//! A JSON file holding the secret key and everything the wallet learns about
//! its own account: its notes (with leaf index and Merkle path once synced),
//! transactions it submitted that the ledger has not yet included, and its own
//! view of the commitment tree ([`TreeTracker`]: enough to compute its note's
//! Merkle path without storing the tree or asking a node for a path, SPEC §3). The file is created with mode 0600
//! and never silently overwritten; every update replaces it atomically
//! (temporary file, fsync, rename).
//!
//! # Format and extending it
//!
//! `"format": "zkpension-wallet"` and `"version": 1`. A later version that adds
//! fields gives them `#[serde(default)]` so files of older versions still load,
//! bumps [`WALLET_VERSION`] when old software must not read (and then rewrite,
//! dropping the new fields) its files, and adds the upgrade step to
//! [`Wallet::load`]. A file of a newer version is refused, never rewritten.

use crate::fsutil;
use crate::member::tracker::TreeTracker;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::{self, serde_hex, Fr};
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::tree::{empty_roots, DEPTH};
use zkpension_circuits::values::{NoteCommitment, Nullifier};
use zkpension_core::Hash32;

/// The `format` field of a wallet file.
pub const WALLET_FORMAT: &str = "zkpension-wallet";

/// The wallet version this build writes; it reads versions 1 to this one.
pub const WALLET_VERSION: u32 = 1;

/// Permission bits of a wallet file: readable and writable by its owner only.
pub const WALLET_MODE: u32 = 0o600;

/// Why a wallet could not be created, read or written.
#[derive(Debug, Error)]
pub enum WalletError {
    #[error("{0} already exists; refusing to overwrite a wallet (move it away first)")]
    Exists(PathBuf),
    #[error("cannot read wallet {path}: {source}")]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write wallet {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("wallet {path} is not valid JSON of a zkpension wallet: {source}")]
    Parse {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error("{path} is not a zkpension wallet (format {found:?}, expected {WALLET_FORMAT:?})")]
    Format { path: PathBuf, found: String },
    #[error("wallet {path} is version {found}, made by a newer zkpension; this one reads versions 1 to {WALLET_VERSION}")]
    Version { path: PathBuf, found: u32 },
    #[error("wallet {path} is inconsistent: its {field} is not derived from its secret key")]
    Inconsistent { path: PathBuf, field: &'static str },
    #[error("wallet {path} is in use by {}; wait for it to finish (one command at a time per wallet)", match .pid { Some(pid) => format!("process {pid}"), None => "another process".to_string() })]
    InUse { path: PathBuf, pid: Option<u32> },
    #[error("wallet {path} is damaged: note {index} (commitment {cm}) {what}; restore the wallet from a backup")]
    Damaged {
        path: PathBuf,
        index: usize,
        cm: String,
        what: &'static str,
    },
    #[error("a seed phrase must contain at least one word")]
    EmptySeedPhrase,
}

/// Where a note stands as far as this wallet knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NoteStatus {
    /// Created by a transaction the ledger has not yet included.
    Pending,
    /// In the commitment tree and not spent: the account's current note.
    Unspent,
    /// Its nullifier is on the ledger.
    Spent,
}

/// A note the wallet owns, with what it needs to spend it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct OwnedNote {
    pub note: Note,
    /// `cm(note)`.
    pub cm: NoteCommitment,
    /// Leaf position in the commitment tree, once the wallet has seen it there.
    #[serde(default)]
    pub leaf_index: Option<u64>,
    pub status: NoteStatus,
}

impl OwnedNote {
    /// A note the wallet has just made and not yet seen in the tree.
    pub fn pending(note: Note) -> Self {
        OwnedNote {
            cm: note.commit(),
            note,
            leaf_index: None,
            status: NoteStatus::Pending,
        }
    }
}

/// A transaction the wallet submitted and has not yet seen included.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PendingTx {
    /// `contribute`, `claim`, `attest` or `enroll`.
    pub kind: String,
    /// Transaction id as `0x` + 64 hex digits (SHA-256 of its encoding without
    /// the proof, SPEC §5).
    pub tx_id: String,
    /// The nullifier it reveals (absent for an enrollment).
    #[serde(default)]
    pub nf: Option<Nullifier>,
    /// The commitment it appends.
    pub cm_new: NoteCommitment,
    /// The ledger height when it was submitted, if known.
    #[serde(default)]
    pub submitted_at: Option<u64>,
    /// The transaction's canonical encoding (hex), to submit it again if the
    /// node never received it.
    #[serde(default)]
    pub tx: Option<String>,
    /// Written to a file (`--out`) and held back: this wallet does not
    /// submit it until `zkpension submit FILE` releases it.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub held: bool,
}

/// How far the wallet has followed the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SyncState {
    /// Last block read.
    pub height: u64,
    /// The tree root in that block's header.
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    /// The wallet's partial view of the commitment tree.
    pub tree: TreeTracker,
    /// Hash of the last block read (absent at height 0, and in wallets
    /// written before it was kept).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tip_hash: Option<Hash32>,
    /// The state root in that block's header.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub state_root: Option<Hash32>,
}

impl Default for SyncState {
    fn default() -> Self {
        SyncState {
            height: 0,
            tree_root: empty_roots()[DEPTH],
            tree: TreeTracker::new(),
            tip_hash: None,
            state_root: None,
        }
    }
}

/// A member's wallet.
///
/// Secret: `sk` (private field; [`Wallet::spending_key`]), zeroized when the
/// wallet is dropped. Everything else is the member's private view of their
/// account and is stored in the same 0600 file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Wallet {
    /// [`WALLET_FORMAT`].
    pub format: String,
    /// [`WALLET_VERSION`] when written by this build.
    pub version: u32,
    /// The secret key; zeroized when the wallet is dropped.
    #[serde(with = "secret_hex")]
    sk: SpendingKey,
    /// `owner = H(OWNER, sk)`: the member's address.
    #[serde(with = "serde_hex")]
    pub owner: Fr,
    /// `nk = H(NK, sk)`: with `owner`, the viewing key.
    #[serde(with = "serde_hex")]
    pub nk: Fr,
    /// The chain this wallet is used on, once known.
    #[serde(default)]
    pub chain_id: Option<ChainId>,
    #[serde(default)]
    pub notes: Vec<OwnedNote>,
    #[serde(default)]
    pub pending: Vec<PendingTx>,
    #[serde(default)]
    pub sync: SyncState,
    /// Set when the ledger shows the account's note spent by a transaction
    /// this wallet did not make.
    #[serde(default)]
    pub spent_elsewhere: bool,
}

impl Wallet {
    /// A wallet for `sk`, with nothing else known yet.
    pub fn from_key(sk: SpendingKey) -> Self {
        Wallet {
            format: WALLET_FORMAT.to_string(),
            version: WALLET_VERSION,
            owner: sk.owner(),
            nk: sk.nullifier_key(),
            sk,
            chain_id: None,
            notes: Vec::new(),
            pending: Vec::new(),
            sync: SyncState::default(),
            spent_elsewhere: false,
        }
    }

    /// A wallet with a fresh key from `rng` (use `OsRng`).
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        Self::from_key(SpendingKey::random(rng))
    }

    /// A wallet whose key is derived from a seed phrase. Words are separated by
    /// any whitespace; the phrase is normalized to its words joined by single
    /// spaces before `SpendingKey::from_seed`, so line breaks or doubled spaces
    /// do not change the key.
    pub fn from_seed_phrase(phrase: &str) -> Result<Self, WalletError> {
        let normalized = Zeroizing::new(phrase.split_whitespace().collect::<Vec<_>>().join(" "));
        if normalized.is_empty() {
            return Err(WalletError::EmptySeedPhrase);
        }
        Ok(Self::from_key(SpendingKey::from_seed(
            normalized.as_bytes(),
        )))
    }

    /// The secret key.
    pub fn spending_key(&self) -> &SpendingKey {
        &self.sk
    }

    /// The note the account currently spends from: the last unspent one.
    pub fn current_note(&self) -> Option<&OwnedNote> {
        self.notes
            .iter()
            .rev()
            .find(|n| n.status == NoteStatus::Unspent)
    }

    fn to_json(&self) -> Result<Zeroizing<Vec<u8>>, serde_json::Error> {
        let mut bytes = Zeroizing::new(serde_json::to_vec_pretty(self)?);
        bytes.push(b'\n');
        Ok(bytes)
    }

    /// Writes a new wallet file with mode 0600; fails with
    /// [`WalletError::Exists`] if `path` exists. A missing parent directory is
    /// created with mode 0700.
    pub fn create(&self, path: &Path) -> Result<(), WalletError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fsutil::create_private_dir_all(parent).map_err(|source| WalletError::Write {
                path: parent.to_path_buf(),
                source,
            })?;
        }
        let bytes = self.to_json().map_err(|e| WalletError::Write {
            path: path.to_path_buf(),
            source: std::io::Error::other(e),
        })?;
        fsutil::create_new_atomic(path, &bytes, WALLET_MODE).map_err(|source| {
            if source.kind() == std::io::ErrorKind::AlreadyExists {
                WalletError::Exists(path.to_path_buf())
            } else {
                WalletError::Write {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })
    }

    /// Replaces the wallet file atomically (mode 0600).
    pub fn save(&self, path: &Path) -> Result<(), WalletError> {
        let err = |source| WalletError::Write {
            path: path.to_path_buf(),
            source,
        };
        let bytes = self.to_json().map_err(|e| err(std::io::Error::other(e)))?;
        fsutil::write_atomic(path, &bytes, WALLET_MODE).map_err(err)
    }

    /// Reads a wallet file, checking its format and that `owner` and `nk` are
    /// the ones its secret key derives.
    pub fn load(path: &Path) -> Result<Self, WalletError> {
        let bytes = Zeroizing::new(std::fs::read(path).map_err(|source| WalletError::Read {
            path: path.to_path_buf(),
            source,
        })?);
        let w: Wallet = serde_json::from_slice(&bytes).map_err(|source| WalletError::Parse {
            path: path.to_path_buf(),
            source,
        })?;
        if w.format != WALLET_FORMAT {
            return Err(WalletError::Format {
                path: path.to_path_buf(),
                found: w.format.clone(),
            });
        }
        if w.version == 0 || w.version > WALLET_VERSION {
            return Err(WalletError::Version {
                path: path.to_path_buf(),
                found: w.version,
            });
        }
        // Upgrades from older versions go here; there are none yet.
        if w.owner != w.sk.owner() {
            return Err(WalletError::Inconsistent {
                path: path.to_path_buf(),
                field: "owner",
            });
        }
        if w.nk != w.sk.nullifier_key() {
            return Err(WalletError::Inconsistent {
                path: path.to_path_buf(),
                field: "nk",
            });
        }
        // Every stored note must open its commitment and belong to this
        // wallet: an edited balance is refused here, not proved against a
        // root that does not exist.
        for (index, n) in w.notes.iter().enumerate() {
            let what = if n.note.commit() != n.cm {
                "does not open its commitment (its fields were changed)"
            } else if n.note.owner != w.owner {
                "belongs to another owner"
            } else {
                continue;
            };
            return Err(WalletError::Damaged {
                path: path.to_path_buf(),
                index,
                cm: n.cm.to_hex(),
                what,
            });
        }
        Ok(w)
    }
}

/// Whether a file can be read by anyone but its owner (Unix permission bits).
pub fn readable_by_others(path: &Path) -> std::io::Result<bool> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        Ok(std::fs::metadata(path)?.permissions().mode() & 0o077 != 0)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        Ok(false)
    }
}

/// Serde for the secret key as `0x` hex; the text is zeroized after writing.
mod secret_hex {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sk: &SpendingKey, s: S) -> Result<S::Ok, S::Error> {
        let text = Zeroizing::new(field::to_hex(&sk.expose()));
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SpendingKey, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        field::from_hex(&text)
            .map(SpendingKey::from_field)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn create_load_save_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(7);
        let mut w = Wallet::random(&mut rng);
        w.create(&path).unwrap();
        assert!(matches!(w.create(&path), Err(WalletError::Exists(_))));
        assert!(!readable_by_others(&path).unwrap());

        let note = Note::enrollment(w.owner, 40, Fr::from(3u64), Fr::from(4u64));
        w.notes.push(OwnedNote::pending(note.clone()));
        w.pending.push(PendingTx {
            kind: "enroll".into(),
            tx_id: format!("0x{}", "ab".repeat(32)),
            nf: None,
            cm_new: NoteCommitment::from(note.commit().to_field()),
            submitted_at: Some(5),
            tx: None,
            held: false,
        });
        w.save(&path).unwrap();
        let back = Wallet::load(&path).unwrap();
        assert_eq!(back.owner, w.owner);
        assert_eq!(back.spending_key().expose(), w.spending_key().expose());
        assert_eq!(back.notes, w.notes);
        assert_eq!(back.pending, w.pending);
        assert!(!readable_by_others(&path).unwrap());
    }

    #[test]
    fn an_edited_note_is_refused_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let mut w = Wallet::from_seed_phrase("edited balance").unwrap();
        let note = Note::enrollment(w.owner, 40, Fr::from(3u64), Fr::from(4u64));
        w.notes.push(OwnedNote::pending(note));
        w.create(&path).unwrap();
        Wallet::load(&path).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json["notes"][0]["note"]["balance"] = 1_000_000.into();
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let e = Wallet::load(&path).unwrap_err();
        assert!(matches!(e, WalletError::Damaged { index: 0, .. }), "{e}");
        assert!(
            e.to_string().contains("does not open its commitment"),
            "{e}"
        );
    }

    #[test]
    fn newer_versions_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let mut w = Wallet::from_seed_phrase("from the future").unwrap();
        w.version = WALLET_VERSION + 1;
        w.create(&path).unwrap();
        assert!(matches!(
            Wallet::load(&path),
            Err(WalletError::Version { .. })
        ));
    }

    #[test]
    fn seed_phrase_is_whitespace_normalized() {
        let a = Wallet::from_seed_phrase("correct horse  battery\nstaple").unwrap();
        let b = Wallet::from_seed_phrase(" correct horse battery staple ").unwrap();
        let c = Wallet::from_seed_phrase("correct horse battery staples").unwrap();
        assert_eq!(a.owner, b.owner);
        assert_ne!(a.owner, c.owner);
        assert!(matches!(
            Wallet::from_seed_phrase(" \n "),
            Err(WalletError::EmptySeedPhrase)
        ));
    }

    #[test]
    fn tampered_or_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let w = Wallet::from_seed_phrase("one two three").unwrap();
        w.create(&path).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json["owner"] = serde_json::Value::String(field::to_hex(&Fr::from(1u64)));
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        assert!(matches!(
            Wallet::load(&path),
            Err(WalletError::Inconsistent { field: "owner", .. })
        ));
        json["owner"] = serde_json::Value::String(field::to_hex(&w.owner));
        json["format"] = serde_json::Value::String("another-wallet".into());
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        assert!(matches!(
            Wallet::load(&path),
            Err(WalletError::Format { .. })
        ));
        std::fs::write(&path, b"{not json").unwrap();
        assert!(matches!(
            Wallet::load(&path),
            Err(WalletError::Parse { .. })
        ));
    }
}
