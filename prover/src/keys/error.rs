//! [`KeyError`]: why keys could not be made or loaded.

use std::io;
use std::path::{Path, PathBuf};

use ark_relations::gr1cs::SynthesisError;
use ark_serialize::SerializationError;
use thiserror::Error;
use zkpension_circuits::Statement;

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
    #[error(
        "this build's {statement} circuit has digest {built}, not the pinned {pinned}: the \
         circuit changed without updating zkpension_circuits::r1cs::pinned_info"
    )]
    Unpinned {
        statement: Statement,
        built: String,
        pinned: String,
    },
    #[error("gave up waiting for another process to finish generating keys in {} (lock file {})", dir.display(), lock.display())]
    LockTimeout { dir: PathBuf, lock: PathBuf },
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> KeyError + '_ {
    move |source| KeyError::Io {
        path: path.to_path_buf(),
        source,
    }
}
