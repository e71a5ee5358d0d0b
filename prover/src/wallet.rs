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
//! Every note opening the wallet makes is derived from its key (SPEC §2):
//! the enrollment's `rho_0 = H(RHO, ns, k)` and each note's `r = H(RCM, ns,
//! rho)`, with the note secret `ns = H(NS, sk)`. The file is therefore a
//! cache: the 24-word recovery phrase rebuilds it from the public chain
//! ([`Wallet::from_mnemonic`], then a sync), and a watch-only wallet made of
//! the viewing key `(owner, nk, ns)` ([`Wallet::watch_only`]) follows the
//! same account without being able to spend it.
//!
//! # Format and extending it
//!
//! `"format": "zkpension-wallet"` and `"version": 3` (version 1 had no `ns`
//! and drew note randomness at random; versions 1 and 2 hold notes of
//! protocol version 1, without `nk`, `heir` and `last_active`: a file of
//! either without notes or pending transactions is upgraded on load, one
//! with them is refused, its notes belonging to a chain of the old
//! protocol). A later version that adds
//! fields gives them `#[serde(default)]` so files of older versions still load,
//! bumps [`WALLET_VERSION`] when old software must not read (and then rewrite,
//! dropping the new fields) its files, and adds the upgrade step to
//! [`Wallet::load`]. A file of a newer version is refused, never rewritten.

use crate::fsutil;
use crate::member::tracker::TreeTracker;
use bip39::{Language, Mnemonic};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zeroize::Zeroizing;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::{self, serde_hex, Fr};
use zkpension_circuits::keys::{SpendingKey, ViewingKey};
use zkpension_circuits::note::Note;
use zkpension_circuits::replay::PublicChange;
use zkpension_circuits::tree::{empty_roots, DEPTH};
use zkpension_circuits::values::{NoteCommitment, Nullifier};
use zkpension_core::Hash32;

mod viewing_key;
pub use viewing_key::{ViewingKeyFile, VIEWING_KEY_FORMAT};

/// The `format` field of a wallet file.
pub const WALLET_FORMAT: &str = "zkpension-wallet";

/// The wallet version this build writes; it reads versions 1 to this one.
pub const WALLET_VERSION: u32 = 3;

/// The first wallet version whose notes are protocol version 2's.
const FIRST_V2_NOTES: u32 = 3;

/// Words of the recovery phrase this build makes and accepts.
pub const PHRASE_WORDS: usize = 24;

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
    #[error("wallet {path} (version {found}) holds notes or transactions of protocol version 1, which this build cannot open or spend (protocol version 2 changed the note); use it with the build that made it, or recover the account on a chain of protocol version 2 with `zkpension wallet recover` and the recovery phrase")]
    OldProtocol { path: PathBuf, found: u32 },
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
    #[error("this is a watch-only wallet (made from a viewing key): it can show the account but not {0}; use the wallet made from the recovery phrase")]
    WatchOnly(&'static str),
    #[error("wallet {0} holds neither a secret key nor a viewing key's note secret (ns)")]
    NoKey(PathBuf),
    #[error("recovery phrase: {0}")]
    Phrase(String),
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
    /// What made the note: the public change of the spend that created it
    /// (absent for an enrollment note).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub change: Option<PublicChange>,
    /// The block that put the note in the tree, once seen.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub height: Option<u64>,
}

impl OwnedNote {
    /// A note the wallet has just made and not yet seen in the tree.
    pub fn pending(note: Note, change: Option<PublicChange>) -> Self {
        OwnedNote {
            cm: note.commit(),
            note,
            leaf_index: None,
            status: NoteStatus::Pending,
            change,
            height: None,
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

/// What [`Wallet::load`] reads first: the format, the version and whether
/// the file holds notes or transactions.
#[derive(Deserialize)]
struct Head {
    #[serde(default)]
    format: String,
    #[serde(default)]
    version: u32,
    #[serde(default)]
    notes: Vec<serde::de::IgnoredAny>,
    #[serde(default)]
    pending: Vec<serde::de::IgnoredAny>,
}

/// A member's wallet.
///
/// Secret: `sk` (private field; [`Wallet::spending_key`]; absent in a
/// watch-only wallet), zeroized when the wallet is dropped, and the viewing
/// key `(owner, nk, ns)`. Everything else is the member's private view of
/// their account and is stored in the same 0600 file.
#[derive(Debug, Serialize, Deserialize)]
pub struct Wallet {
    /// [`WALLET_FORMAT`].
    pub format: String,
    /// [`WALLET_VERSION`] when written by this build.
    pub version: u32,
    /// The secret key; zeroized when the wallet is dropped. Absent in a
    /// watch-only wallet.
    #[serde(with = "secret_hex", default, skip_serializing_if = "Option::is_none")]
    sk: Option<SpendingKey>,
    /// `owner = H(OWNER, sk)`: the member's address.
    #[serde(with = "serde_hex")]
    pub owner: Fr,
    /// `nk = H(NK, sk)`: with `owner`, the viewing key.
    #[serde(with = "serde_hex")]
    pub nk: Fr,
    /// `ns = H(NS, sk)`: the note secret every note opening is derived from
    /// (absent in version 1 files, derived on load).
    #[serde(with = "serde_hex", default = "Fr::default")]
    ns: Fr,
    /// Enrollments this wallet has asked for: the next uses `rho_0 = H(RHO, ns, k)`
    /// with `k = enrollments`.
    #[serde(default)]
    pub enrollments: u64,
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
    /// Set when the account's heir inherited it: the amount paid to the heir
    /// and the epoch. The account is closed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inherited: Option<Inherited>,
}

/// The heir's payout that closed the account.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Inherited {
    pub amount: u64,
    pub epoch: u64,
}

impl Wallet {
    /// A wallet for `sk`, with nothing else known yet.
    pub fn from_key(sk: SpendingKey) -> Self {
        let mut w = Self::watch_only(sk.viewing_key());
        w.sk = Some(sk);
        w
    }

    /// A watch-only wallet: it finds and follows the account of `vk` but can
    /// make no transaction.
    pub fn watch_only(vk: ViewingKey) -> Self {
        Wallet {
            format: WALLET_FORMAT.to_string(),
            version: WALLET_VERSION,
            sk: None,
            owner: vk.owner,
            nk: vk.nk,
            ns: vk.ns,
            enrollments: 0,
            chain_id: None,
            notes: Vec::new(),
            pending: Vec::new(),
            sync: SyncState::default(),
            spent_elsewhere: false,
            inherited: None,
        }
    }

    /// A wallet with a new 24-word recovery phrase from `rng` (use `OsRng`).
    /// Show the phrase to the member once; it is the only backup they need.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> (Self, Mnemonic) {
        let mut entropy = Zeroizing::new([0u8; 32]);
        rng.fill_bytes(entropy.as_mut());
        let mnemonic =
            Mnemonic::from_entropy(entropy.as_ref()).expect("32 bytes is a BIP-39 length");
        (Self::from_mnemonic(&mnemonic), mnemonic)
    }

    /// The wallet of a recovery phrase: `sk` from its BIP-39 seed (empty
    /// passphrase), SPEC §2.
    pub fn from_mnemonic(mnemonic: &Mnemonic) -> Self {
        let seed = Zeroizing::new(mnemonic.to_seed(""));
        Self::from_key(SpendingKey::from_bip39_seed(&seed))
    }

    /// A wallet whose key is derived from arbitrary seed bytes (tests and
    /// tools that need a reproducible key without a phrase).
    pub fn from_seed_bytes(seed: &[u8]) -> Self {
        Self::from_key(SpendingKey::from_seed(seed))
    }

    /// The secret key, or [`WalletError::WatchOnly`] naming what `action`
    /// needed it for.
    pub fn spending_key(&self, action: &'static str) -> Result<&SpendingKey, WalletError> {
        self.sk.as_ref().ok_or(WalletError::WatchOnly(action))
    }

    /// Whether this wallet holds no spending key.
    pub fn is_watch_only(&self) -> bool {
        self.sk.is_none()
    }

    /// The account's viewing key `(owner, nk, ns)`.
    pub fn viewing_key(&self) -> ViewingKey {
        ViewingKey {
            owner: self.owner,
            nk: self.nk,
            ns: self.ns,
        }
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
        let parse = |source| WalletError::Parse {
            path: path.to_path_buf(),
            source,
        };
        // The version first: notes of an older protocol do not parse as
        // today's.
        let head: Head = serde_json::from_slice(&bytes).map_err(parse)?;
        if head.format == WALLET_FORMAT
            && (1..FIRST_V2_NOTES).contains(&head.version)
            && (head.notes.len() + head.pending.len()) > 0
        {
            return Err(WalletError::OldProtocol {
                path: path.to_path_buf(),
                found: head.version,
            });
        }
        let mut w: Wallet = serde_json::from_slice(&bytes).map_err(parse)?;
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
        let inconsistent = |field| WalletError::Inconsistent {
            path: path.to_path_buf(),
            field,
        };
        match w.sk.as_ref().map(SpendingKey::viewing_key) {
            Some(vk) => {
                // Version 1 had no note secret: derive it (written on the next save).
                if w.version == 1 {
                    w.ns = vk.ns;
                }
                if w.owner != vk.owner {
                    return Err(inconsistent("owner"));
                }
                if w.nk != vk.nk {
                    return Err(inconsistent("nk"));
                }
                if w.ns != vk.ns {
                    return Err(inconsistent("ns"));
                }
            }
            None if w.version == 1 || w.ns == Fr::default() => {
                return Err(WalletError::NoKey(path.to_path_buf()))
            }
            None => {}
        }
        // Versions 1 and 2 without notes: nothing of the old protocol left.
        w.version = WALLET_VERSION;
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

/// Reads a recovery phrase: words separated by any whitespace, in any case,
/// checked against the BIP-39 English list and its checksum.
pub fn parse_phrase(text: &str) -> Result<Mnemonic, WalletError> {
    let words = Zeroizing::new(
        text.split_whitespace()
            .map(str::to_lowercase)
            .collect::<Vec<_>>(),
    );
    if words.len() != PHRASE_WORDS {
        return Err(WalletError::Phrase(format!(
            "a zkpension recovery phrase has {PHRASE_WORDS} words; this one has {}",
            words.len()
        )));
    }
    let normalized = Zeroizing::new(words.join(" "));
    Mnemonic::parse_in_normalized(Language::English, &normalized).map_err(|e| {
        WalletError::Phrase(match e {
            bip39::Error::UnknownWord(i) => format!(
                "word {} ({:?}) is not in the BIP-39 English word list; check its spelling",
                i + 1,
                words[i]
            ),
            bip39::Error::InvalidChecksum => {
                "its checksum does not match: a word is wrong or two words are swapped".into()
            }
            other => other.to_string(),
        })
    })
}

/// Serde for the secret key as `0x` hex; the text is zeroized after writing.
mod secret_hex {
    use super::*;
    use serde::{Deserializer, Serializer};

    pub fn serialize<S: Serializer>(sk: &Option<SpendingKey>, s: S) -> Result<S::Ok, S::Error> {
        let sk = sk.as_ref().expect("skipped when absent");
        let text = Zeroizing::new(field::to_hex(&sk.expose()));
        s.serialize_str(&text)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<SpendingKey>, D::Error> {
        let text = Zeroizing::new(String::deserialize(d)?);
        field::from_hex(&text)
            .map(|sk| Some(SpendingKey::from_field(sk)))
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
        let mut w = Wallet::generate(&mut rng).0;
        w.create(&path).unwrap();
        assert!(matches!(w.create(&path), Err(WalletError::Exists(_))));
        assert!(!readable_by_others(&path).unwrap());

        let note = Note::enrollment(w.owner, 40, Fr::from(3u64), Fr::from(4u64));
        w.notes.push(OwnedNote::pending(note.clone(), None));
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
        assert_eq!(
            back.spending_key("test").unwrap().expose(),
            w.spending_key("test").unwrap().expose()
        );
        assert_eq!(back.notes, w.notes);
        assert_eq!(back.pending, w.pending);
        assert!(!readable_by_others(&path).unwrap());
    }

    #[test]
    fn an_edited_note_is_refused_on_load() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let mut w = Wallet::from_seed_bytes(b"edited balance");
        let note = Note::enrollment(w.owner, 40, Fr::from(3u64), Fr::from(4u64));
        w.notes.push(OwnedNote::pending(note, None));
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
        let mut w = Wallet::from_seed_bytes(b"from the future");
        w.version = WALLET_VERSION + 1;
        w.create(&path).unwrap();
        assert!(matches!(
            Wallet::load(&path),
            Err(WalletError::Version { .. })
        ));
    }

    /// BIP-39's own test vector (all-zero entropy, passphrase "TREZOR" in
    /// the reference vectors; here the empty passphrase zkpension uses).
    const ZERO_PHRASE: &str = "abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon abandon art";

    #[test]
    fn phrases_are_normalized_and_checked() {
        let a = Wallet::from_mnemonic(&parse_phrase(ZERO_PHRASE).unwrap());
        let b = Wallet::from_mnemonic(
            &parse_phrase(&format!(
                "  {}\n",
                ZERO_PHRASE.to_uppercase().replace(' ', "\t  ")
            ))
            .unwrap(),
        );
        assert_eq!(a.owner, b.owner);
        assert_eq!(a.viewing_key(), b.viewing_key());

        let e = |t: &str| parse_phrase(t).unwrap_err().to_string();
        assert!(
            e("abandon art").contains("has 24 words; this one has 2"),
            "{}",
            e("abandon art")
        );
        let unknown = ZERO_PHRASE.replacen("abandon", "abandonn", 3);
        assert!(
            e(&unknown).contains(r#"word 1 ("abandonn")"#),
            "{}",
            e(&unknown)
        );
        let checksum = ZERO_PHRASE.replace(" art", " abandon");
        assert!(
            e(&checksum).contains("checksum does not match"),
            "{}",
            e(&checksum)
        );

        let (w, m) = Wallet::generate(&mut rand_chacha::ChaCha20Rng::seed_from_u64(1));
        assert_eq!(m.word_count(), PHRASE_WORDS);
        let again = Wallet::from_mnemonic(&parse_phrase(&m.to_string()).unwrap());
        assert_eq!(again.viewing_key(), w.viewing_key());
    }

    #[test]
    fn watch_only_wallets_cannot_spend_and_round_trip() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("watch.json");
        let full = Wallet::from_seed_bytes(b"watched");
        let w = Wallet::watch_only(full.viewing_key());
        assert!(w.is_watch_only());
        assert!(matches!(
            w.spending_key("contribute"),
            Err(WalletError::WatchOnly("contribute"))
        ));
        w.create(&path).unwrap();
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(!text.contains("\"sk\""), "{text}");
        let back = Wallet::load(&path).unwrap();
        assert!(back.is_watch_only());
        assert_eq!(back.viewing_key(), full.viewing_key());
    }

    #[test]
    fn files_with_notes_of_protocol_version_1_are_refused_and_left_alone() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v2.json");
        Wallet::from_seed_bytes(b"old notes").create(&path).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        // A version 2 file without notes is upgraded.
        json["version"] = 2.into();
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        assert_eq!(Wallet::load(&path).unwrap().version, WALLET_VERSION);
        // With a note of protocol version 1 (no nk, heir, last_active) it is
        // refused, naming the version and the way out; the file is untouched.
        json["notes"] = serde_json::json!([{"note": {"owner": "0x01"}}]);
        let bytes = serde_json::to_vec(&json).unwrap();
        std::fs::write(&path, &bytes).unwrap();
        let err = Wallet::load(&path).unwrap_err();
        assert!(
            matches!(err, WalletError::OldProtocol { found: 2, .. }),
            "{err}"
        );
        assert!(
            err.to_string().contains("zkpension wallet recover"),
            "{err}"
        );
        assert_eq!(std::fs::read(&path).unwrap(), bytes);
    }

    #[test]
    fn version_1_files_gain_their_note_secret() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("v1.json");
        let w = Wallet::from_seed_bytes(b"old file");
        w.create(&path).unwrap();
        let mut json: serde_json::Value =
            serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
        json["version"] = 1.into();
        json.as_object_mut().unwrap().remove("ns");
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        let back = Wallet::load(&path).unwrap();
        assert_eq!(back.version, WALLET_VERSION);
        assert_eq!(back.viewing_key(), w.viewing_key());
        // A file whose note secret was edited is refused.
        json["version"] = WALLET_VERSION.into();
        json["ns"] = field::to_hex(&Fr::from(9u64)).into();
        std::fs::write(&path, serde_json::to_vec(&json).unwrap()).unwrap();
        assert!(matches!(
            Wallet::load(&path),
            Err(WalletError::Inconsistent { field: "ns", .. })
        ));
    }

    #[test]
    fn tampered_or_foreign_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("w.json");
        let w = Wallet::from_seed_bytes(b"one two three");
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
