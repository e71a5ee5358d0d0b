//! Key directories: the manifest format, checked loading, and the verifying
//! keys of all the statements.
//!
//! A key directory holds
//!
//! ```text
//! manifest.json     KeyManifest (format "zkpension-keys/1")
//! contribute.vk     compressed canonical ark-groth16 VerifyingKey<Bn254>
//! contribute.pk     compressed ark-groth16 ProvingKey<Bn254> (provers only)
//! claim.vk  claim.pk  attest.vk  attest.pk
//! ```
//!
//! Every file is listed in the manifest with its size and id (SHA-256 of its
//! bytes, `0x` + 64 hex digits). A loader checks a file's size and id before it
//! deserializes a single byte of it, and refuses a key made for another
//! statement. A node loads only the `.vk` files; the `.pk` files may be absent.

use std::collections::BTreeMap;
use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use zkpension_circuits::statements::STATEMENT_VERSION;
use zkpension_circuits::Statement;

use crate::error::{KeyError, VerifyError};
use crate::ids::{id_from_hex, id_to_hex, sha256_id};
use crate::key::VerifyingKey;
use crate::proof::ProofFile;

/// The `format` of a key manifest this crate reads and writes.
pub const KEY_FORMAT: &str = "zkpension-keys/1";

/// The manifest's file name inside a key directory.
pub const MANIFEST_FILE: &str = "manifest.json";

/// A manifest larger than this is refused unread.
const MAX_MANIFEST_BYTES: u64 = 1 << 20;

/// `<statement>.vk`.
pub fn vk_file_name(statement: Statement) -> String {
    format!("{}.vk", statement.name())
}

/// `<statement>.pk`.
pub fn pk_file_name(statement: Statement) -> String {
    format!("{}.pk", statement.name())
}

/// `manifest.json` of a key directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyManifest {
    /// [`KEY_FORMAT`].
    pub format: String,
    /// One entry per statement.
    pub statements: BTreeMap<Statement, KeyEntry>,
    /// How the keys were made, for people: "seeded test keys (insecure)",
    /// "single-party random setup", "ceremony", ...
    pub setup: String,
    /// Set when the keys came out of a multi-party setup ceremony: its
    /// transcript hash and number of contributions. Absent: a single-party
    /// setup (whoever ran it could forge proofs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<CeremonyInfo>,
}

/// The ceremony a key directory came out of ([`KeyManifest::ceremony`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CeremonyInfo {
    /// The transcript hash (`0x` hex): the last contribution's hash.
    pub transcript_hash: String,
    /// Contributions in the transcript, the two beacons included.
    pub contributions: u32,
}

/// One statement's keys in a [`KeyManifest`].
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyEntry {
    /// `zkpension_circuits::statements::STATEMENT_VERSION` of the circuit.
    pub statement_version: u32,
    /// Number of constraints of the circuit.
    pub constraints: u64,
    /// Digest of the circuit's constraint matrices, `0x` hex.
    pub constraint_digest: String,
    /// Public-input names in SPEC order.
    pub public_inputs: Vec<String>,
    /// `<statement>.pk`.
    pub pk_file: String,
    /// SHA-256 of the proving-key file, `0x` hex.
    pub pk_id: String,
    /// Bytes in the proving-key file.
    pub pk_size: u64,
    /// `<statement>.vk`.
    pub vk_file: String,
    /// SHA-256 of the verifying-key file, `0x` hex.
    pub vk_id: String,
    /// Bytes in the verifying-key file.
    pub vk_size: u64,
}

impl KeyEntry {
    /// The entry for a statement's key files with these contents, at the
    /// current statement version.
    pub fn new(
        statement: Statement,
        constraints: u64,
        constraint_digest: impl Into<String>,
        pk_bytes: &[u8],
        vk_bytes: &[u8],
    ) -> KeyEntry {
        KeyEntry {
            statement_version: STATEMENT_VERSION,
            constraints,
            constraint_digest: constraint_digest.into(),
            public_inputs: statement
                .public_input_names()
                .iter()
                .map(|s| s.to_string())
                .collect(),
            pk_file: pk_file_name(statement),
            pk_id: id_to_hex(&sha256_id(pk_bytes)),
            pk_size: pk_bytes.len() as u64,
            vk_file: vk_file_name(statement),
            vk_id: id_to_hex(&sha256_id(vk_bytes)),
            vk_size: vk_bytes.len() as u64,
        }
    }

    /// Checks the entry belongs to `statement` at this statement version.
    pub fn check(&self, statement: Statement) -> Result<(), KeyError> {
        if self.statement_version != STATEMENT_VERSION {
            return Err(KeyError::StatementVersion {
                statement,
                expected: STATEMENT_VERSION,
                found: self.statement_version,
            });
        }
        for (field, found, expected) in [
            ("vk_file", &self.vk_file, vk_file_name(statement)),
            ("pk_file", &self.pk_file, pk_file_name(statement)),
        ] {
            if *found != expected {
                return Err(KeyError::FileName {
                    statement,
                    field,
                    found: found.clone(),
                    expected,
                });
            }
        }
        let names = statement.public_input_names();
        if self.public_inputs.len() != names.len()
            || self.public_inputs.iter().zip(names).any(|(a, b)| a != b)
        {
            return Err(KeyError::PublicInputNames {
                statement,
                expected: names.iter().map(|s| s.to_string()).collect(),
                found: self.public_inputs.clone(),
            });
        }
        self.vk_id()?;
        self.pk_id()?;
        Ok(())
    }

    /// The verifying key's id.
    pub fn vk_id(&self) -> Result<[u8; 32], KeyError> {
        id_from_hex(&self.vk_id)
    }

    /// The proving key's id.
    pub fn pk_id(&self) -> Result<[u8; 32], KeyError> {
        id_from_hex(&self.pk_id)
    }
}

impl KeyManifest {
    /// A manifest of format [`KEY_FORMAT`].
    pub fn new(setup: impl Into<String>, statements: BTreeMap<Statement, KeyEntry>) -> KeyManifest {
        KeyManifest {
            format: KEY_FORMAT.to_string(),
            statements,
            setup: setup.into(),
            ceremony: None,
        }
    }

    /// Whether the keys came out of a multi-party ceremony (else a
    /// single-party setup made them).
    pub fn is_ceremony(&self) -> bool {
        self.ceremony.is_some()
    }

    /// Reads and checks `dir/manifest.json` (see [`KeyManifest::check`]).
    pub fn read(dir: &Path) -> Result<KeyManifest, KeyError> {
        let path = dir.join(MANIFEST_FILE);
        let io = |source| KeyError::Io {
            path: path.clone(),
            source,
        };
        let file = fs::File::open(&path).map_err(io)?;
        let mut text = String::new();
        file.take(MAX_MANIFEST_BYTES + 1)
            .read_to_string(&mut text)
            .map_err(io)?;
        if text.len() as u64 > MAX_MANIFEST_BYTES {
            return Err(KeyError::Size {
                path,
                expected: MAX_MANIFEST_BYTES,
                got: text.len() as u64,
            });
        }
        let manifest: KeyManifest = serde_json::from_str(&text)
            .map_err(|source| KeyError::ManifestJson { path, source })?;
        manifest.check()?;
        Ok(manifest)
    }

    /// Checks the format, and that every statement has an entry of this
    /// statement version naming its own files and public inputs.
    pub fn check(&self) -> Result<(), KeyError> {
        if self.format != KEY_FORMAT {
            return Err(KeyError::Format {
                expected: KEY_FORMAT,
                found: self.format.clone(),
            });
        }
        for statement in Statement::ALL {
            self.entry(statement)?.check(statement)?;
        }
        Ok(())
    }

    /// Writes `dir/manifest.json` (pretty JSON), replacing it atomically.
    pub fn write(&self, dir: &Path) -> Result<(), KeyError> {
        let path = dir.join(MANIFEST_FILE);
        let tmp = dir.join(format!("{MANIFEST_FILE}.tmp"));
        let mut text =
            serde_json::to_string_pretty(self).map_err(|source| KeyError::ManifestJson {
                path: path.clone(),
                source,
            })?;
        text.push('\n');
        fs::write(&tmp, text).map_err(|source| KeyError::Io {
            path: tmp.clone(),
            source,
        })?;
        fs::rename(&tmp, &path).map_err(|source| KeyError::Io { path, source })
    }

    /// The entry of `statement`.
    pub fn entry(&self, statement: Statement) -> Result<&KeyEntry, KeyError> {
        self.statements
            .get(&statement)
            .ok_or(KeyError::MissingStatement(statement))
    }

    /// The bytes of `statement`'s verifying-key file, after checking its size
    /// and id against the manifest.
    pub fn read_vk(&self, dir: &Path, statement: Statement) -> Result<Vec<u8>, KeyError> {
        let entry = self.entry(statement)?;
        entry.check(statement)?;
        read_checked(&dir.join(&entry.vk_file), entry.vk_size, &entry.vk_id()?)
    }

    /// The bytes of `statement`'s proving-key file, after checking its size and
    /// id against the manifest (so a prover may then deserialize it without
    /// re-checking every point).
    pub fn read_pk(&self, dir: &Path, statement: Statement) -> Result<Vec<u8>, KeyError> {
        let entry = self.entry(statement)?;
        entry.check(statement)?;
        read_checked(&dir.join(&entry.pk_file), entry.pk_size, &entry.pk_id()?)
    }
}

/// Reads `path` if it is exactly `size` bytes with SHA-256 `id`. The size is
/// checked before the file is read, the id before the bytes are returned.
pub fn read_checked(path: &Path, size: u64, id: &[u8; 32]) -> Result<Vec<u8>, KeyError> {
    let io = |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    };
    let file = fs::File::open(path).map_err(io)?;
    let on_disk = file.metadata().map_err(io)?.len();
    if on_disk != size {
        return Err(KeyError::Size {
            path: path.to_path_buf(),
            expected: size,
            got: on_disk,
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(size).unwrap_or(0));
    file.take(size.saturating_add(1))
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() as u64 != size {
        // The file changed between the two looks.
        return Err(KeyError::Size {
            path: path.to_path_buf(),
            expected: size,
            got: bytes.len() as u64,
        });
    }
    let got = sha256_id(&bytes);
    if got != *id {
        return Err(KeyError::Id {
            path: path.to_path_buf(),
            expected: id_to_hex(id),
            got: id_to_hex(&got),
        });
    }
    Ok(bytes)
}

/// The verifying keys of the statements, one per statement.
#[derive(Clone, Debug)]
pub struct VerifierKeys {
    /// In [`Statement::ALL`] order.
    keys: [VerifyingKey; Statement::ALL.len()],
}

impl VerifierKeys {
    /// Groups the keys given in [`Statement::ALL`] order; each must be of
    /// its slot's statement.
    pub fn new(keys: [VerifyingKey; Statement::ALL.len()]) -> Result<VerifierKeys, KeyError> {
        for (expected, key) in Statement::ALL.into_iter().zip(&keys) {
            if key.statement() != expected {
                return Err(KeyError::WrongStatement {
                    expected,
                    found: key.statement(),
                });
            }
        }
        Ok(VerifierKeys { keys })
    }

    /// Groups keys by statement; every statement must have one.
    pub fn from_fn(
        mut key: impl FnMut(Statement) -> Result<VerifyingKey, KeyError>,
    ) -> Result<VerifierKeys, KeyError> {
        let mut keys = Vec::with_capacity(Statement::ALL.len());
        for statement in Statement::ALL {
            keys.push(key(statement)?);
        }
        let keys =
            <[VerifyingKey; Statement::ALL.len()]>::try_from(keys).expect("one key per statement");
        VerifierKeys::new(keys)
    }

    /// Loads the verifying keys of a key directory: the manifest is checked
    /// (format, statement version, file names, public-input names), then for
    /// each statement the `.vk` file's size and id are checked against the
    /// manifest before it is deserialized, and the key must be of that
    /// statement.
    pub fn load_dir(dir: &Path) -> Result<VerifierKeys, KeyError> {
        load(dir, None)
    }

    /// Like [`VerifierKeys::load_dir`], and every verifying key's id must be the
    /// one in `expected_vk_ids` (a ledger's genesis pins them). A statement
    /// missing from `expected_vk_ids` is an error.
    pub fn load_dir_expecting(
        dir: &Path,
        expected_vk_ids: &BTreeMap<Statement, [u8; 32]>,
    ) -> Result<VerifierKeys, KeyError> {
        load(dir, Some(expected_vk_ids))
    }

    /// The key of `statement`.
    pub fn get(&self, statement: Statement) -> &VerifyingKey {
        &self.keys[statement.index()]
    }

    /// Each statement's verifying-key id.
    pub fn ids(&self) -> BTreeMap<Statement, [u8; 32]> {
        Statement::ALL
            .into_iter()
            .map(|s| (s, self.get(s).id()))
            .collect()
    }
}

fn load(
    dir: &Path,
    pinned: Option<&BTreeMap<Statement, [u8; 32]>>,
) -> Result<VerifierKeys, KeyError> {
    let manifest = KeyManifest::read(dir)?;
    let load_one = |statement: Statement| -> Result<VerifyingKey, KeyError> {
        let entry = manifest.entry(statement)?;
        let listed = entry.vk_id()?;
        if let Some(pinned) = pinned {
            let expected = pinned
                .get(&statement)
                .ok_or(KeyError::NotPinned(statement))?;
            if *expected != listed {
                return Err(KeyError::Pinned {
                    statement,
                    expected: id_to_hex(expected),
                    got: id_to_hex(&listed),
                });
            }
        }
        let path: PathBuf = dir.join(&entry.vk_file);
        let bytes = read_checked(&path, entry.vk_size, &listed)?;
        VerifyingKey::from_bytes(statement, &bytes).map_err(|source| KeyError::InFile {
            path,
            source: Box::new(source),
        })
    };
    VerifierKeys::from_fn(load_one)
}

impl ProofFile {
    /// Verifies the proof with the key of its statement.
    pub fn verify(&self, keys: &VerifierKeys) -> Result<(), VerifyError> {
        keys.get(self.statement)
            .verify(&self.proof, &self.public_inputs)
    }
}
