//! Key generation: circuit-specific Groth16 setup of every statement into a
//! key directory (see the [`crate::keys`] docs on trust).

use std::collections::BTreeMap;
use std::path::Path;
use std::time::Instant;

use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_relations::gr1cs::SynthesisError;
use ark_serialize::CanonicalSerialize;
use ark_snark::SNARK;
use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, OsRng, RngCore, SeedableRng};
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit, InheritCircuit};
use zkpension_circuits::Statement;
use zkpension_verifier::{CeremonyInfo, KeyEntry, KeyManifest, VerifyingKey};

use super::circuits::{circuit, circuit_info, hex_digest, matrices_file_name, write_matrices};
use super::error::{io_err, KeyError};
use super::manifest::write_manifest;
use super::tables::{save_tables, tables_file_name};
use super::KEY_FILE_MODE;
use crate::fsutil;
use crate::groth16::ProverTables;

/// `setup` field of keys made from OS randomness.
pub const SETUP_SINGLE_PARTY: &str =
    "single-party setup from OS randomness: trust in these keys is trust in whoever ran it";

/// `setup` field of keys made by a multi-party ceremony (the manifest's
/// `ceremony` field then names its transcript).
pub const SETUP_CEREMONY: &str = "ceremony";

/// `setup` field of keys made from a seed.
pub const SETUP_SEEDED: &str =
    "single-party setup from a seed: FOR TESTS ONLY, anyone who knows the seed can forge proofs";

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
        /// Bytes of its prover-tables file (a cache derived from the key),
        /// when [`SetupOptions::tables`] asked for one.
        tables_size: Option<u64>,
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
    /// Also write each statement's prover tables (`<statement>.tables`, about
    /// 80 MB each): proofs about 1.3x as fast for a process that proves a lot,
    /// at about 130 MB of memory instead of 40 MB. Without them the prover
    /// runs its MSMs over the key's own bases; the proofs are the same.
    pub tables: bool,
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
        Statement::Inherit => {
            Groth16::<Bn254>::circuit_specific_setup(InheritCircuit::blank(), rng)?
        }
    };
    Ok(pk)
}

/// Circuit-specific Groth16 setup of every statement into `dir` (created
/// if missing); refuses a directory that already holds files. See the [`crate::keys`]
/// docs on trust: a single-party setup is only as good as whoever ran it, and
/// `seed` keys are for reproducible tests only.
///
/// Runs on the caller's rayon pool.
pub fn setup(dir: &Path, seed: Option<[u8; 32]>) -> Result<KeyManifest, KeyError> {
    setup_with(
        dir,
        SetupOptions {
            seed,
            ..SetupOptions::default()
        },
        &mut |_| {},
    )
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
                rng.set_stream(statement.index() as u64 + 1);
                generate(statement, &mut rng)
            }
            None => generate(statement, &mut OsRng),
        }
        .map_err(|source| KeyError::Circuit { statement, source })?;

        let (entry, pk_size, tables_size) =
            write_statement_keys(dir, statement, &pk, options.tables)?;
        progress(SetupEvent::Written {
            statement,
            pk_size,
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

/// Writes one statement's key files (`.pk`, `.vk`, the matrices and the
/// prover tables)
/// atomically into `dir` and returns its manifest entry, the proving key's
/// size and the tables' size.
pub(super) fn write_statement_keys(
    dir: &Path,
    statement: Statement,
    pk: &ProvingKey<Bn254>,
    tables: bool,
) -> Result<(KeyEntry, u64, Option<u64>), KeyError> {
    let info = circuit_info(statement)?;
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
    // The circuit's matrices, so that proving processes need not build them:
    // derived from the circuit, so not in the manifest; checked against the
    // file hash this build pins when read.
    let matrices_path = dir.join(matrices_file_name(statement));
    write_matrices(&matrices_path, statement, &circuit(statement)?.matrices)
        .map_err(io_err(&matrices_path))?;
    // The prover's fixed-base tables (only when asked for): derived from the
    // proving key, so not in the manifest; bound to the key by its id instead.
    let tables_path = dir.join(tables_file_name(statement));
    let tables_size = if tables {
        save_tables(&tables_path, &entry.pk_id()?, &ProverTables::new(pk))
            .map_err(io_err(&tables_path))?;
        Some(
            std::fs::metadata(&tables_path)
                .map_err(io_err(&tables_path))?
                .len(),
        )
    } else {
        // A tables file of earlier keys (setup --force) is not theirs.
        match std::fs::remove_file(&tables_path) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
                return Err(io_err(&tables_path)(e))
            }
            _ => None,
        }
    };
    Ok((entry, pk_bytes.len() as u64, tables_size))
}

/// Writes a key directory from a ceremony's final keys: every statement's
/// files, then the manifest (last, atomically) with `setup` [`SETUP_CEREMONY`]
/// and the ceremony's transcript hash and number of contributions. Refuses a
/// directory that already holds files unless `force`.
pub fn write_ceremony_keys(
    dir: &Path,
    keys: &[(Statement, ProvingKey<Bn254>)],
    ceremony: CeremonyInfo,
    force: bool,
) -> Result<KeyManifest, KeyError> {
    if dir.exists() {
        let mut entries = std::fs::read_dir(dir).map_err(io_err(dir))?;
        if entries.next().is_some() && !force {
            return Err(KeyError::DirNotEmpty(dir.to_path_buf()));
        }
    }
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut statements = BTreeMap::new();
    for (statement, pk) in keys {
        let (entry, _, _) = write_statement_keys(dir, *statement, pk, false)?;
        statements.insert(*statement, entry);
    }
    let mut manifest = KeyManifest::new(SETUP_CEREMONY, statements);
    manifest.ceremony = Some(ceremony);
    write_manifest(dir, &manifest)?;
    Ok(manifest)
}
