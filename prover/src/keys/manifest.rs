//! A key directory's `manifest.json`: writing and reading it, and checking its
//! constraint counts and digests against this build's circuits.

use std::io;
use std::path::Path;

use zkpension_circuits::Statement;
use zkpension_verifier::{KeyEntry, KeyManifest, MANIFEST_FILE};

use super::circuits::{circuit_info, hex_digest};
use super::error::{io_err, KeyError};
use super::KEY_FILE_MODE;
use crate::fsutil;

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

/// Checks a manifest entry against this build's circuit (as pinned):
/// constraint count and the digest of the constraint matrices.
pub(super) fn check_digest(
    dir: &Path,
    statement: Statement,
    entry: &KeyEntry,
) -> Result<(), KeyError> {
    let info = &circuit_info(statement)?;
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
    Ok(())
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
