//! Groth16 keys: generation ([`setup`]) and checked loading ([`ProvingKeys::load`]).
//!
//! A key directory is the verifier's format (`zkpension_verifier` key
//! directories): for each statement `<statement>.pk` and `<statement>.vk`, and
//! one `manifest.json` ([`KeyManifest`]) giving each file's size and id
//! (SHA-256 of its bytes), the statement version, the public-input names, and
//! the constraint count and digest of the circuit the keys were made for.
//!
//! File encodings:
//! - `.vk`: compressed canonical `ark_groth16::VerifyingKey<Bn254>`, read with
//!   every check (on the curve, in the subgroup, canonical, non-degenerate) by
//!   [`zkpension_verifier::VerifyingKey::from_bytes`].
//! - `.pk`: **uncompressed** `ark_groth16::ProvingKey<Bn254>`. A proving key
//!   holds about five points per circuit variable; decompressing them (one
//!   square root each) and checking subgroup membership would cost seconds per
//!   load. The file is instead read with arkworks' unchecked mode, which only
//!   parses coordinates, and this is sound because its SHA-256 was compared
//!   with the manifest first: the bytes are exactly what [`setup`] wrote from
//!   valid points. Beyond the id, the loader checks that the proving key embeds
//!   the (fully checked) verifying key and that its vectors have the lengths
//!   this build's circuit needs, and every proof is verified before it is
//!   returned (see [`crate::prove`]).
//!
//! # Trust
//!
//! **[`setup`] is a single-party setup.** Whoever runs it learns the toxic waste
//! (alpha, beta, gamma, delta, tau) while it runs and could forge proofs for
//! every statement if they kept it: pensions could be claimed from accounts
//! that hold nothing. Keys made this way are only as trustworthy as the party
//! that made them and the machine they were made on. A production deployment
//! needs a multi-party ceremony (a powers-of-tau ceremony followed by a
//! circuit-specific phase 2) whose result is imported into this format.
//!
//! **Keys from a seed ([`SetupOptions::seed`]) are for reproducible tests
//! only.** Anyone who knows the seed can recompute the toxic waste and forge
//! proofs. The manifest's `setup` field says which kind of setup made the keys.

use std::collections::BTreeMap;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_relations::gr1cs::{Matrix, SynthesisError};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError};
use ark_snark::SNARK;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, OsRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zkpension_circuits::field::Fr;
use zkpension_circuits::r1cs::{
    self, AttestCircuit, ClaimCircuit, ConstraintInfo, ContributeCircuit,
};
use zkpension_circuits::statements::STATEMENT_VERSION;
use zkpension_circuits::Statement;
use zkpension_verifier::{id_to_hex, KeyEntry, KeyManifest, VerifyingKey, MANIFEST_FILE};

use crate::fsutil;
use crate::groth16::{ProverTables, TablesError};

/// `setup` field of keys made from OS randomness.
pub const SETUP_SINGLE_PARTY: &str =
    "single-party setup from OS randomness: trust in these keys is trust in whoever ran it";

/// `setup` field of keys made from a seed.
pub const SETUP_SEEDED: &str =
    "single-party setup from a seed: FOR TESTS ONLY, anyone who knows the seed can forge proofs";

/// The seed of [`test_keys`]. Public, so keys made from it are worthless
/// outside tests: anyone can forge proofs for them.
pub const TEST_SEED: [u8; 32] = *b"zkpension/v1/INSECURE-test-keys!";

/// How `.pk` files are encoded (see the module docs).
pub const PK_ENCODING: &str = "ark-groth16 0.6 ProvingKey<Bn254>, uncompressed";

/// Permission bits of key files and the manifest.
const KEY_FILE_MODE: u32 = 0o644;

/// Why keys could not be made or loaded.
#[derive(Debug, Error)]
pub enum KeyError {
    #[error("{} already holds files; refusing to overwrite them (choose an empty directory, or pass force to replace keys)", .0.display())]
    DirNotEmpty(PathBuf),
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The manifest or a key file was refused by the checks shared with the
    /// verifier: format, statement version, file names, public-input names,
    /// size, id, or the verifying key's own checks.
    #[error(transparent)]
    Checked(#[from] zkpension_verifier::KeyError),
    /// The manifest's constraint digest (or count) is not this build's
    /// circuit's: the keys were made for another circuit or circuit version.
    #[error("the {statement} keys in {} were made for another circuit: the manifest has {manifest_constraints} constraints with digest {manifest_digest}, this build's {statement} circuit has {circuit_constraints} with digest {circuit_digest} (make keys for this build with `zkpension setup --out DIR`, adding --force to replace these)", dir.display())]
    Digest {
        dir: PathBuf,
        statement: Statement,
        manifest_digest: String,
        manifest_constraints: u64,
        circuit_digest: String,
        circuit_constraints: usize,
    },
    #[error("{}: not a proving key: {source}", path.display())]
    Decode {
        path: PathBuf,
        #[source]
        source: SerializationError,
    },
    /// The proving key does not have the shape of the statement's circuit.
    #[error("{} does not fit the {statement} circuit: {what}", path.display())]
    Shape {
        path: PathBuf,
        statement: Statement,
        what: String,
    },
    #[error("{} and {} are not one key pair: the proving key embeds another verifying key", pk.display(), vk.display())]
    PairMismatch { pk: PathBuf, vk: PathBuf },
    #[error("synthesizing the {statement} circuit failed: {source}")]
    Circuit {
        statement: Statement,
        #[source]
        source: SynthesisError,
    },
    #[error("gave up waiting for another process to finish generating keys in {} (lock file {})", dir.display(), lock.display())]
    LockTimeout { dir: PathBuf, lock: PathBuf },
}

fn io_err(path: &Path) -> impl FnOnce(io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// This build's circuit of a statement: its counts and digest, and its R1CS
/// matrices exactly as Groth16 key generation builds them (setup mode,
/// linear combinations inlined). The prover reuses the matrices for every
/// proof instead of rebuilding them from each synthesis.
#[derive(Debug)]
pub struct Circuit {
    /// Counts and the digest of `matrices`.
    pub info: ConstraintInfo,
    /// `[A, B, C]`; columns: the constant 1, the public inputs, the witness.
    pub matrices: Vec<Matrix<Fr>>,
}

/// [`Circuit`] of `statement`, built once per process.
pub fn circuit(statement: Statement) -> Result<&'static Circuit, KeyError> {
    static CIRCUITS: [OnceLock<Circuit>; 3] = [OnceLock::new(), OnceLock::new(), OnceLock::new()];
    let slot = &CIRCUITS[statement_index(statement)];
    if let Some(c) = slot.get() {
        return Ok(c);
    }
    let synthesis = |source| KeyError::Circuit { statement, source };
    let cs = r1cs::blank_constraint_system(statement).map_err(synthesis)?;
    let matrices = r1cs::r1cs_matrices(&cs).map_err(synthesis)?;
    let (constraints, instance_variables, witness_variables) = (
        cs.num_constraints(),
        cs.num_instance_variables(),
        cs.num_witness_variables(),
    );
    let digest = r1cs::matrix_digest(
        statement,
        constraints,
        instance_variables,
        witness_variables,
        &matrices,
    );
    let built = Circuit {
        info: ConstraintInfo {
            constraints,
            instance_variables,
            witness_variables,
            digest,
        },
        matrices,
    };
    Ok(slot.get_or_init(|| built))
}

/// The constraint count, variable counts and matrix digest of this build's
/// circuit for `statement` (see [`circuit`]).
pub fn circuit_info(statement: Statement) -> Result<ConstraintInfo, KeyError> {
    circuit(statement).map(|c| c.info)
}

fn statement_index(statement: Statement) -> usize {
    match statement {
        Statement::Contribute => 0,
        Statement::Claim => 1,
        Statement::Attest => 2,
    }
}

/// `0x` + hex of a digest.
pub fn hex_digest(d: &[u8; 32]) -> String {
    id_to_hex(d)
}

/// A progress report from [`setup_with`].
#[derive(Clone, Copy, Debug)]
pub enum SetupEvent {
    /// Generating the keys of a statement, with its constraint count.
    Generating {
        statement: Statement,
        constraints: usize,
    },
    /// A statement's keys were written.
    Written {
        statement: Statement,
        pk_size: u64,
        /// Bytes of its prover-tables file (a cache derived from the key).
        tables_size: u64,
        seconds: f64,
    },
}

/// Options of [`setup_with`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SetupOptions {
    /// Derive all randomness from this seed. **Tests only**: anyone who knows
    /// the seed can forge proofs.
    pub seed: Option<[u8; 32]>,
    /// Replace keys already in the directory.
    pub force: bool,
}

/// Groth16 setup of one statement's circuit.
fn generate<R: RngCore + CryptoRng>(
    statement: Statement,
    rng: &mut R,
) -> Result<ProvingKey<Bn254>, SynthesisError> {
    let (pk, _vk) = match statement {
        Statement::Contribute => {
            Groth16::<Bn254>::circuit_specific_setup(ContributeCircuit::blank(), rng)?
        }
        Statement::Claim => Groth16::<Bn254>::circuit_specific_setup(ClaimCircuit::blank(), rng)?,
        Statement::Attest => Groth16::<Bn254>::circuit_specific_setup(AttestCircuit::blank(), rng)?,
    };
    Ok(pk)
}

/// Circuit-specific Groth16 setup of all three statements into `dir` (created
/// if missing); refuses a directory that already holds files. See the module
/// docs on trust: a single-party setup is only as good as whoever ran it, and
/// `seed` keys are for reproducible tests only.
///
/// Runs on the caller's rayon pool.
pub fn setup(dir: &Path, seed: Option<[u8; 32]>) -> Result<KeyManifest, KeyError> {
    setup_with(dir, SetupOptions { seed, force: false }, &mut |_| {})
}

/// [`setup`] with options and a progress callback.
///
/// Each key file is written atomically, and the manifest last: a directory
/// whose setup was interrupted has no manifest (or, with `force`, the previous
/// one, whose ids no longer match) and never loads.
pub fn setup_with(
    dir: &Path,
    options: SetupOptions,
    progress: &mut dyn FnMut(SetupEvent),
) -> Result<KeyManifest, KeyError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
        if entries.next().is_some() && !options.force {
            return Err(KeyError::DirNotEmpty(dir.to_path_buf()));
        }
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut statements = BTreeMap::new();
    for statement in Statement::ALL {
        let info = circuit_info(statement)?;
        progress(SetupEvent::Generating {
            statement,
            constraints: info.constraints,
        });
        let started = Instant::now();
        let pk = match options.seed {
            // One ChaCha20 stream per statement, so each statement's keys depend
            // only on the seed and the statement.
            Some(seed) => {
                let mut rng = ChaCha20Rng::from_seed(seed);
                rng.set_stream(statement_index(statement) as u64 + 1);
                generate(statement, &mut rng)
            }
            None => generate(statement, &mut OsRng),
        }
        .map_err(|source| KeyError::Circuit { statement, source })?;

        let pk_path = dir.join(zkpension_verifier::pk_file_name(statement));
        let vk_path = dir.join(zkpension_verifier::vk_file_name(statement));
        let mut pk_bytes = Vec::with_capacity(pk.uncompressed_size());
        pk.serialize_uncompressed(&mut pk_bytes)
            .map_err(|source| KeyError::Decode {
                path: pk_path.clone(),
                source,
            })?;
        let vk_bytes = VerifyingKey::new(statement, pk.vk.clone())?.to_bytes();
        fsutil::write_atomic(&pk_path, &pk_bytes, KEY_FILE_MODE).map_err(io_err(&pk_path))?;
        fsutil::write_atomic(&vk_path, &vk_bytes, KEY_FILE_MODE).map_err(io_err(&vk_path))?;
        let entry = KeyEntry::new(
            statement,
            info.constraints as u64,
            hex_digest(&info.digest),
            &pk_bytes,
            &vk_bytes,
        );
        // The prover's fixed-base tables: derived from the proving key, so
        // not in the manifest; bound to the key by its id instead.
        let tables_path = dir.join(tables_file_name(statement));
        save_tables(&tables_path, &entry.pk_id()?, &ProverTables::new(&pk))
            .map_err(io_err(&tables_path))?;
        let tables_size = std::fs::metadata(&tables_path)
            .map_err(io_err(&tables_path))?
            .len();
        progress(SetupEvent::Written {
            statement,
            pk_size: pk_bytes.len() as u64,
            tables_size,
            seconds: started.elapsed().as_secs_f64(),
        });
        statements.insert(statement, entry);
    }
    let manifest = KeyManifest::new(
        if options.seed.is_some() {
            SETUP_SEEDED
        } else {
            SETUP_SINGLE_PARTY
        },
        statements,
    );
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}

/// Writes a tables file atomically.
fn save_tables(path: &Path, pk_id: &[u8; 32], tables: &ProverTables) -> io::Result<()> {
    fsutil::write_atomic_with(path, KEY_FILE_MODE, |w| tables.write(pk_id, w))
}

/// Writes `dir/manifest.json` atomically (temporary file, fsync, rename).
pub fn write_manifest(dir: &Path, manifest: &KeyManifest) -> Result<(), KeyError> {
    let path = dir.join(MANIFEST_FILE);
    let mut text = serde_json::to_vec_pretty(manifest).map_err(|e| KeyError::Io {
        path: path.clone(),
        source: io::Error::other(e),
    })?;
    text.push(b'\n');
    fsutil::write_atomic(&path, &text, KEY_FILE_MODE).map_err(io_err(&path))
}

/// Reads and checks `manifest.json` of a key directory (format, statement
/// version, file names and public-input names of every statement).
pub fn read_manifest(dir: &Path) -> Result<KeyManifest, KeyError> {
    Ok(KeyManifest::read(dir)?)
}

/// Checks a manifest entry against this build's circuit: constraint count
/// and the digest of the constraint matrices.
fn check_digest(
    dir: &Path,
    statement: Statement,
    entry: &KeyEntry,
) -> Result<&'static Circuit, KeyError> {
    let circuit = circuit(statement)?;
    let info = &circuit.info;
    let circuit_digest = hex_digest(&info.digest);
    if !entry
        .constraint_digest
        .eq_ignore_ascii_case(&circuit_digest)
        || entry.constraints != info.constraints as u64
    {
        return Err(KeyError::Digest {
            dir: dir.to_path_buf(),
            statement,
            manifest_digest: entry.constraint_digest.clone(),
            manifest_constraints: entry.constraints,
            circuit_digest,
            circuit_constraints: info.constraints,
        });
    }
    Ok(circuit)
}

/// Checks that every statement's keys in `dir` were made for this build's
/// circuits (manifest checks and constraint digests; no key file is read).
pub fn check_manifest(dir: &Path) -> Result<KeyManifest, KeyError> {
    let manifest = read_manifest(dir)?;
    for statement in Statement::ALL {
        check_digest(dir, statement, manifest.entry(statement)?)?;
    }
    Ok(manifest)
}

/// One statement's key pair, loaded and checked.
pub struct StatementKeys {
    statement: Statement,
    pk: ProvingKey<Bn254>,
    vk: VerifyingKey,
    pk_id: [u8; 32],
    circuit: &'static Circuit,
    tables_path: PathBuf,
    tables: OnceLock<(ProverTables, TablesOrigin)>,
    use_tables: bool,
}

/// Where a statement's prover tables came from ([`StatementKeys::tables`]).
#[derive(Debug)]
pub enum TablesOrigin {
    /// Read from the key directory's tables file.
    Loaded,
    /// Built in memory, because the file could not be used (the reason), and
    /// then saved to the key directory, or not (why not).
    Built {
        unusable: TablesError,
        saved: Result<(), io::Error>,
    },
}

/// The name of a statement's prover-tables file in a key directory.
pub fn tables_file_name(statement: Statement) -> String {
    format!("{statement}.tables")
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

    /// The proving key's fixed-base tables ([`crate::groth16`]), the first
    /// time they are needed: read from the key directory's
    /// `<statement>.tables` (authenticated by its checksum and this key's
    /// id), or else built on the current rayon pool (a few seconds) and saved
    /// there for the next process, if the directory is writable.
    pub fn tables(&self) -> &ProverTables {
        &self.tables.get_or_init(|| self.load_tables()).0
    }

    /// Whether proofs use the prover tables ([`ProvingKeys::set_use_tables`]).
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
    /// Loads and checks the keys of all three statements.
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
    /// key in unchecked mode (see the module docs); then the proving key must
    /// embed that verifying key and have exactly the circuit's shape.
    pub fn load_statements(dir: &Path, statements: &[Statement]) -> Result<ProvingKeys, KeyError> {
        let manifest = read_manifest(dir)?;
        let mut keys = BTreeMap::new();
        for &statement in statements {
            let entry = manifest.entry(statement)?;
            let circuit = check_digest(dir, statement, entry)?;
            let vk_path = dir.join(&entry.vk_file);
            let pk_path = dir.join(&entry.pk_file);
            let vk = VerifyingKey::from_bytes(statement, &manifest.read_vk(dir, statement)?)
                .map_err(|source| zkpension_verifier::KeyError::InFile {
                    path: vk_path.clone(),
                    source: Box::new(source),
                })?;
            let pk_bytes = manifest.read_pk(dir, statement)?;
            let pk = decode_pk(&pk_path, &pk_bytes)?;
            drop(pk_bytes);
            if pk.vk != *vk.ark() {
                return Err(KeyError::PairMismatch {
                    pk: pk_path,
                    vk: vk_path,
                });
            }
            check_shape(&pk_path, statement, &pk, &circuit.info)?;
            keys.insert(
                statement,
                StatementKeys {
                    statement,
                    pk,
                    vk,
                    pk_id: entry.pk_id()?,
                    circuit,
                    tables_path: dir.join(tables_file_name(statement)),
                    tables: OnceLock::new(),
                    use_tables: true,
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

    /// Whether proofs use the prover tables (the default) or arkworks' MSMs
    /// on the proving key alone: about 1.7 times slower, but about 35 MB of
    /// peak memory instead of about 130 MB for a Contribute proof, and the
    /// `.tables` files are neither read nor written. The proofs are the same
    /// either way.
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

/// Decodes a proving key whose bytes' id was checked (unchecked mode: see the
/// module docs), refusing trailing bytes.
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

/// The default key directory: `$ZKPENSION_HOME/keys`, else
/// `$HOME/.zkpension/keys`, else `.zkpension/keys`.
pub fn default_keys_dir() -> PathBuf {
    default_home().join("keys")
}

/// `$ZKPENSION_HOME`, else `$HOME/.zkpension`, else `.zkpension`.
pub fn default_home() -> PathBuf {
    match std::env::var_os("ZKPENSION_HOME") {
        Some(home) if !home.is_empty() => PathBuf::from(home),
        _ => match std::env::var_os("HOME") {
            Some(home) if !home.is_empty() => PathBuf::from(home).join(".zkpension"),
            _ => PathBuf::from(".zkpension"),
        },
    }
}

/// How [`ensure_keys`] found the directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ensured {
    /// It already held a manifest.
    Existing,
    /// Keys were generated into it now (by this process).
    Generated,
    /// Another process generated them while this one waited.
    GeneratedByOther,
}

/// Makes sure `dir` holds keys: if it has no manifest, runs [`setup_with`]
/// into a temporary sibling directory and renames it into place, so `dir`
/// never holds a half-written key set. Concurrent callers (processes or
/// threads) coordinate through a lock file `.<name>.lock` next to `dir`: one
/// generates, the others wait. A lock left by a process that died is noticed
/// (Linux: its pid no longer exists) and taken over.
///
/// Whether the keys already there fit this build is not checked here;
/// [`ProvingKeys::load`] does that.
pub fn ensure_keys(
    dir: &Path,
    seed: Option<[u8; 32]>,
    progress: &mut dyn FnMut(SetupEvent),
) -> Result<Ensured, KeyError> {
    const WAIT_LIMIT: Duration = Duration::from_secs(60 * 60);
    let manifest = dir.join(MANIFEST_FILE);
    if manifest.exists() {
        return Ok(Ensured::Existing);
    }
    let name = dir
        .file_name()
        .ok_or_else(|| KeyError::Io {
            path: dir.to_path_buf(),
            source: io::Error::new(io::ErrorKind::InvalidInput, "not a directory name"),
        })?
        .to_string_lossy()
        .into_owned();
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io_err(&parent))?;
    let lock = parent.join(format!(".{name}.lock"));
    let started = Instant::now();
    let mut waited = false;
    loop {
        if manifest.exists() {
            return Ok(if waited {
                Ensured::GeneratedByOther
            } else {
                Ensured::Existing
            });
        }
        match fsutil::create_lock(&lock) {
            Ok(guard) => {
                let result = generate_into(dir, &parent, &name, seed, progress);
                drop(guard);
                return result.map(|()| Ensured::Generated);
            }
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {
                if fsutil::lock_is_stale(&lock) {
                    let _ = std::fs::remove_file(&lock);
                    continue;
                }
                if started.elapsed() > WAIT_LIMIT {
                    return Err(KeyError::LockTimeout {
                        dir: dir.to_path_buf(),
                        lock,
                    });
                }
                waited = true;
                std::thread::sleep(Duration::from_millis(200));
            }
            Err(e) => return Err(io_err(&lock)(e)),
        }
    }
}

/// Holding the lock: setup into a temporary sibling, then rename it to `dir`.
fn generate_into(
    dir: &Path,
    parent: &Path,
    name: &str,
    seed: Option<[u8; 32]>,
    progress: &mut dyn FnMut(SetupEvent),
) -> Result<(), KeyError> {
    if dir.join(MANIFEST_FILE).exists() {
        return Ok(());
    }
    if dir.exists() {
        // A directory without a manifest: empty (remove it, so the rename can
        // take its place) or holding something else (refuse to touch it).
        std::fs::remove_dir(dir).map_err(|_| KeyError::DirNotEmpty(dir.to_path_buf()))?;
    }
    let tmp = parent.join(format!(".{name}.tmp-{}", std::process::id()));
    if tmp.exists() {
        std::fs::remove_dir_all(&tmp).map_err(io_err(&tmp))?;
    }
    let result = setup_with(&tmp, SetupOptions { seed, force: false }, progress)
        .and_then(|_| std::fs::rename(&tmp, dir).map_err(io_err(dir)));
    if result.is_err() {
        let _ = std::fs::remove_dir_all(&tmp);
    }
    result
}

/// Seeded keys for tests and benchmarks, generated once and cached under
/// `cache_root` (for example a test's `CARGO_TARGET_TMPDIR`) in a directory
/// named after this build's circuits, so a changed circuit gets new keys.
/// Concurrent test processes share one generation (see [`ensure_keys`]).
///
/// **Insecure by construction**: made from the public [`TEST_SEED`].
pub fn test_keys(cache_root: &Path) -> Result<PathBuf, KeyError> {
    let mut h = Sha256::new();
    // Everything the cached files depend on besides the circuits.
    h.update(zkpension_verifier::KEY_FORMAT);
    h.update(PK_ENCODING);
    h.update(TEST_SEED);
    h.update(crate::groth16::TABLES_MAGIC);
    for statement in Statement::ALL {
        let info = circuit_info(statement)?;
        h.update(info.digest);
    }
    let digest: [u8; 32] = h.finalize().into();
    let dir = cache_root.join(format!(
        "zkpension-test-keys-v{STATEMENT_VERSION}-{}",
        hex::encode(&digest[..8])
    ));
    ensure_keys(&dir, Some(TEST_SEED), &mut |_| {})?;
    Ok(dir)
}
