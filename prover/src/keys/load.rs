//! Loading keys: the manifest first, then each file checked by size and id
//! before it is decoded, then the key pair and its shape
//! ([`ProvingKeys::load`]).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use ark_serialize::{CanonicalDeserialize, SerializationError};
use zkpension_circuits::r1cs::ConstraintInfo;
use zkpension_circuits::Statement;
use zkpension_verifier::{id_to_hex, KeyEntry, KeyManifest, VerifyingKey};

use super::circuits::{circuit_in, circuit_info, Circuit};
use super::error::KeyError;
use super::manifest::{check_digest, read_manifest};
use super::tables::{save_tables, tables_file_name, TablesOrigin};
use crate::groth16::ProverTables;

/// How `.pk` files are encoded (see the [`crate::keys`] docs).
pub const PK_ENCODING: &str = "ark-groth16 0.6 ProvingKey<Bn254>, uncompressed";

/// One statement's key pair, loaded and checked.
pub struct StatementKeys {
    statement: Statement,
    pub(super) pk: ProvingKey<Bn254>,
    vk: VerifyingKey,
    pub(super) pk_id: [u8; 32],
    circuit: &'static Circuit,
    pub(super) tables_path: PathBuf,
    pub(super) tables: OnceLock<(ProverTables, TablesOrigin)>,
    pub(super) use_tables: bool,
}

impl StatementKeys {
    /// The statement.
    pub fn statement(&self) -> Statement {
        self.statement
    }

    /// The arkworks proving key.
    pub fn proving_key(&self) -> &ProvingKey<Bn254> {
        &self.pk
    }

    /// The verifying key (prepared); every proof is checked against it before
    /// it is returned.
    pub fn verifying_key(&self) -> &VerifyingKey {
        &self.vk
    }

    /// SHA-256 of the proving-key file.
    pub fn pk_id(&self) -> [u8; 32] {
        self.pk_id
    }

    /// SHA-256 of the verifying-key file.
    pub fn vk_id(&self) -> [u8; 32] {
        self.vk.id()
    }

    /// The circuit the keys were checked against (by its constraint digest).
    pub fn circuit(&self) -> &'static Circuit {
        self.circuit
    }
}

impl std::fmt::Debug for StatementKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StatementKeys")
            .field("statement", &self.statement)
            .field("pk_id", &id_to_hex(&self.pk_id))
            .field("vk_id", &id_to_hex(&self.vk.id()))
            .field("constraints", &self.circuit.info.constraints)
            .finish()
    }
}

/// Proving keys of some or all statements, loaded and checked.
pub struct ProvingKeys {
    dir: PathBuf,
    manifest: KeyManifest,
    keys: BTreeMap<Statement, StatementKeys>,
}

impl std::fmt::Debug for ProvingKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ProvingKeys")
            .field("dir", &self.dir)
            .field("keys", &self.keys.values().collect::<Vec<_>>())
            .finish()
    }
}

impl ProvingKeys {
    /// Loads and checks the keys of every statement.
    pub fn load(dir: &Path) -> Result<ProvingKeys, KeyError> {
        ProvingKeys::load_statements(dir, &Statement::ALL)
    }

    /// Loads and checks the keys of `statements` only (a wallet that only
    /// contributes need not hold the other proving keys in memory).
    ///
    /// In this order, so that nothing is deserialized before it is known to be
    /// the right file: the manifest (format, statement version, file names,
    /// public-input names); its constraint count and digest against this
    /// build's circuit; each key file's size (before reading it) and SHA-256 id
    /// (before decoding it); the verifying key with every check; the proving
    /// key in unchecked mode (see the [`crate::keys`] docs); then the proving key must
    /// embed that verifying key and have exactly the circuit's shape.
    pub fn load_statements(dir: &Path, statements: &[Statement]) -> Result<ProvingKeys, KeyError> {
        let manifest = read_manifest(dir)?;
        let mut keys = BTreeMap::new();
        for &statement in statements {
            let entry = manifest.entry(statement)?;
            check_digest(dir, statement, entry)?;
            // The key pair, and beside it on another thread the matrices
            // (stored beside the keys, or built and stored): about half of
            // a proving process's loading each. A key error is reported
            // first, as when the matrices came second.
            let (pair, circuit) = rayon::join(
                || read_pair(dir, &manifest, entry, statement),
                || circuit_in(Some(dir), statement),
            );
            let (vk, pk) = pair?;
            let circuit = circuit?;
            keys.insert(
                statement,
                StatementKeys {
                    statement,
                    pk,
                    vk,
                    pk_id: entry.pk_id()?,
                    circuit,
                    use_tables: dir.join(tables_file_name(statement)).exists(),
                    tables_path: dir.join(tables_file_name(statement)),
                    tables: OnceLock::new(),
                },
            );
        }
        Ok(ProvingKeys {
            dir: dir.to_path_buf(),
            manifest,
            keys,
        })
    }

    /// The keys of `statement`, if loaded.
    pub fn get(&self, statement: Statement) -> Option<&StatementKeys> {
        self.keys.get(&statement)
    }

    /// Whether proofs use the prover tables or MSMs over the proving key
    /// alone: about 1.3 times slower, but about 40 MB of peak memory
    /// instead of about 130 MB for a Contribute proof, and the `.tables`
    /// files are neither read nor written. The proofs are the same either
    /// way. By default a statement uses its tables when its `.tables` file
    /// exists (`zkpension setup --tables`, [`StatementKeys::tables`] with
    /// this set): `true` builds and saves missing ones on first use.
    pub fn set_use_tables(&mut self, use_tables: bool) {
        for keys in self.keys.values_mut() {
            keys.use_tables = use_tables;
        }
    }

    /// The directory the keys came from.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The manifest they were checked against.
    pub fn manifest(&self) -> &KeyManifest {
        &self.manifest
    }

    /// The statements loaded.
    pub fn statements(&self) -> impl Iterator<Item = Statement> + '_ {
        self.keys.keys().copied()
    }
}

/// The verifying key with every check, then the proving key (unchecked
/// mode, after its file's id), which must embed the verifying key and have
/// the circuit's shape.
fn read_pair(
    dir: &Path,
    manifest: &KeyManifest,
    entry: &KeyEntry,
    statement: Statement,
) -> Result<(VerifyingKey, ProvingKey<Bn254>), KeyError> {
    let vk_path = dir.join(&entry.vk_file);
    let pk_path = dir.join(&entry.pk_file);
    let vk = VerifyingKey::from_bytes(statement, &manifest.read_vk(dir, statement)?).map_err(
        |source| zkpension_verifier::KeyError::InFile {
            path: vk_path.clone(),
            source: Box::new(source),
        },
    )?;
    let pk_bytes = manifest.read_pk(dir, statement)?;
    let pk = decode_pk(&pk_path, &pk_bytes)?;
    drop(pk_bytes);
    if pk.vk != *vk.ark() {
        return Err(KeyError::PairMismatch {
            pk: pk_path,
            vk: vk_path,
        });
    }
    check_shape(&pk_path, statement, &pk, &circuit_info(statement)?)?;
    Ok((vk, pk))
}

/// Decodes a proving key whose bytes' id was checked (unchecked mode: see the
/// [`crate::keys`] docs), refusing trailing bytes.
fn decode_pk(path: &Path, bytes: &[u8]) -> Result<ProvingKey<Bn254>, KeyError> {
    let mut reader = bytes;
    let pk =
        ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(&mut reader).map_err(|source| {
            KeyError::Decode {
                path: path.to_path_buf(),
                source,
            }
        })?;
    if !reader.is_empty() {
        return Err(KeyError::Decode {
            path: path.to_path_buf(),
            source: SerializationError::InvalidData,
        });
    }
    Ok(pk)
}

/// The proving key's vectors must have the lengths Groth16 setup gives this
/// circuit: one `a`/`b` query point per variable, one `l` point per witness
/// variable, one `h` point per power below the evaluation domain's size.
fn check_shape(
    path: &Path,
    statement: Statement,
    pk: &ProvingKey<Bn254>,
    info: &ConstraintInfo,
) -> Result<(), KeyError> {
    let variables = info.instance_variables + info.witness_variables;
    let domain = (info.constraints + info.instance_variables).next_power_of_two();
    let shape = |what: String| KeyError::Shape {
        path: path.to_path_buf(),
        statement,
        what,
    };
    for (name, got, expected) in [
        ("a_query", pk.a_query.len(), variables),
        ("b_g1_query", pk.b_g1_query.len(), variables),
        ("b_g2_query", pk.b_g2_query.len(), variables),
        ("l_query", pk.l_query.len(), info.witness_variables),
        ("h_query", pk.h_query.len(), domain - 1),
        (
            "gamma_abc_g1",
            pk.vk.gamma_abc_g1.len(),
            info.instance_variables,
        ),
    ] {
        if got != expected {
            return Err(shape(format!(
                "{name} has {got} points, the circuit needs {expected}"
            )));
        }
    }
    Ok(())
}

impl StatementKeys {
    /// The proving key's fixed-base tables ([`crate::groth16`]), the first
    /// time they are needed: read from the key directory's
    /// `<statement>.tables` (authenticated by its checksum and this key's
    /// id), or else built on the current rayon pool (a few seconds) and saved
    /// there for the next process, if the directory is writable.
    pub fn tables(&self) -> &ProverTables {
        &self.tables.get_or_init(|| self.load_tables()).0
    }

    /// Whether proofs use the prover tables ([`ProvingKeys::set_use_tables`]).
    ///
    /// [`ProvingKeys::set_use_tables`]: super::ProvingKeys::set_use_tables
    pub fn uses_tables(&self) -> bool {
        self.use_tables
    }

    /// How [`Self::tables`] got the tables (`None` before the first call).
    pub fn tables_origin(&self) -> Option<&TablesOrigin> {
        self.tables.get().map(|(_, origin)| origin)
    }

    fn load_tables(&self) -> (ProverTables, TablesOrigin) {
        match ProverTables::read(&self.tables_path, &self.pk_id, &self.pk) {
            Ok(tables) => (tables, TablesOrigin::Loaded),
            Err(unusable) => {
                let tables = ProverTables::new(&self.pk);
                let saved = save_tables(&self.tables_path, &self.pk_id, &tables);
                (tables, TablesOrigin::Built { unusable, saved })
            }
        }
    }
}
