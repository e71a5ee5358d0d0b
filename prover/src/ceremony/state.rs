//! Reading and writing a ceremony directory's files: the transcript, the
//! phase-1 powers and the phase-2 keys, each state file checked against the
//! SHA-256 the transcript records for it. New files are written under new
//! names and the transcript is replaced last (atomically), so a step that
//! fails or is refused leaves the directory as it was.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, SerializationError, Valid};
use sha2::{Digest, Sha256};

use super::error::{io_err, CeremonyError};
use super::powers::{check_g2, Powers};
use super::transcript::{hash_hex, CircuitEntry, Transcript, FORMAT, TRANSCRIPT_FILE};
use super::Target;
use crate::fsutil;

const FILE_MODE: u32 = 0o644;

/// The phase-1 file written by contribution `index` (0: the start).
pub fn powers_file(index: u32) -> String {
    format!("phase1-{index:04}.powers")
}

/// The phase-2 keys of `circuit` written by contribution `index`.
pub fn keys_file(index: u32, circuit: &str) -> String {
    format!("phase2-{index:04}-{circuit}.pk")
}

/// Reads and parses `ceremony.json`, and checks it was made for `targets`.
pub fn read_transcript(dir: &Path, targets: &[Target]) -> Result<Transcript, CeremonyError> {
    let path = dir.join(TRANSCRIPT_FILE);
    let text = std::fs::read(&path).map_err(io_err(&path))?;
    let t: Transcript = serde_json::from_slice(&text)
        .map_err(|e| CeremonyError::invalid(TRANSCRIPT_FILE, format!("not a transcript: {e}")))?;
    if t.format != FORMAT {
        return Err(CeremonyError::invalid(
            TRANSCRIPT_FILE,
            format!("format {:?}, expected {FORMAT:?}", t.format),
        ));
    }
    let expected: Vec<CircuitEntry> = targets.iter().map(CircuitEntry::of).collect();
    if t.circuits != expected {
        return Err(CeremonyError::invalid(
            TRANSCRIPT_FILE,
            "the ceremony was started for other circuits (names, counts or matrix digests \
             differ from this build's)",
        ));
    }
    Ok(t)
}

/// Writes the transcript atomically.
pub fn write_transcript(dir: &Path, t: &Transcript) -> Result<(), CeremonyError> {
    let path = dir.join(TRANSCRIPT_FILE);
    let mut text = serde_json::to_vec_pretty(t).map_err(|e| CeremonyError::Io {
        path: path.clone(),
        source: std::io::Error::other(e),
    })?;
    text.push(b'\n');
    fsutil::write_atomic(&path, &text, FILE_MODE).map_err(io_err(&path))
}

/// Reads a state file the transcript lists, checking its SHA-256.
pub fn read_state_file(dir: &Path, t: &Transcript, name: &str) -> Result<Vec<u8>, CeremonyError> {
    let expected = t.files().get(name).ok_or_else(|| {
        CeremonyError::invalid(TRANSCRIPT_FILE, format!("lists no state file {name}"))
    })?;
    let path = dir.join(name);
    let bytes = std::fs::read(&path).map_err(io_err(&path))?;
    let got = hash_hex(&Sha256::digest(&bytes).into());
    if !got.eq_ignore_ascii_case(expected) {
        return Err(CeremonyError::invalid(
            name,
            format!("SHA-256 is {got}, the transcript records {expected} (the file was changed)"),
        ));
    }
    Ok(bytes)
}

/// The current phase-1 file's name.
pub fn current_powers_name(t: &Transcript) -> Result<String, CeremonyError> {
    let names: Vec<&String> = t
        .files()
        .keys()
        .filter(|n| n.starts_with("phase1-"))
        .collect();
    match names.as_slice() {
        [one] => Ok((*one).clone()),
        _ => Err(CeremonyError::invalid(
            TRANSCRIPT_FILE,
            "the state must list exactly one phase-1 file",
        )),
    }
}

/// The current powers, read with every point check.
pub fn read_powers(dir: &Path, t: &Transcript) -> Result<Powers, CeremonyError> {
    let name = current_powers_name(t)?;
    let bytes = read_state_file(dir, t, &name)?;
    let powers = Powers::from_bytes(&bytes).map_err(|e| CeremonyError::invalid(&name, e))?;
    if powers.power != t.power {
        return Err(CeremonyError::invalid(
            &name,
            format!(
                "holds power {}, the transcript says {}",
                powers.power, t.power
            ),
        ));
    }
    Ok(powers)
}

/// The current phase-2 keys of each circuit, read with every point check.
pub fn read_keys(dir: &Path, t: &Transcript) -> Result<Vec<ProvingKey<Bn254>>, CeremonyError> {
    let mut out = Vec::new();
    for c in &t.circuits {
        let suffix = format!("-{}.pk", c.name);
        let name = t
            .files()
            .keys()
            .find(|n| n.starts_with("phase2-") && n.ends_with(&suffix))
            .ok_or_else(|| {
                CeremonyError::invalid(TRANSCRIPT_FILE, format!("lists no keys of {}", c.name))
            })?
            .clone();
        let bytes = read_state_file(dir, t, &name)?;
        let mut reader = &bytes[..];
        let pk = read_checked_keys(&mut reader)
            .map_err(|e| CeremonyError::invalid(&name, format!("not valid keys: {e}")))?;
        if !reader.is_empty() {
            return Err(CeremonyError::invalid(
                &name,
                "trailing bytes after the keys",
            ));
        }
        out.push(pk);
    }
    Ok(out)
}

/// Keys with every check of arkworks' `deserialize_uncompressed` (each point
/// on its curve and in the prime-order subgroup), the many points of
/// `b_g2_query` checked together by [`check_g2`] (the same test for each
/// point, computed for all of them at once).
fn read_checked_keys(reader: &mut &[u8]) -> Result<ProvingKey<Bn254>, SerializationError> {
    let mut pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(reader)?;
    let b_g2_query = std::mem::take(&mut pk.b_g2_query);
    pk.check()?;
    check_g2(&b_g2_query).map_err(|_| SerializationError::InvalidData)?;
    pk.b_g2_query = b_g2_query;
    Ok(pk)
}

/// New state files of a step, written before the transcript that lists them.
#[derive(Default)]
pub struct Staged {
    written: Vec<PathBuf>,
    pub files: BTreeMap<String, String>,
}

impl Staged {
    /// Writes a new state file (atomically) and records its hash.
    pub fn write(&mut self, dir: &Path, name: &str, bytes: &[u8]) -> Result<(), CeremonyError> {
        let path = dir.join(name);
        if path.exists() {
            return Err(CeremonyError::State(format!(
                "{} already exists: another step is writing this ceremony, or one was \
                 interrupted (remove the files the transcript does not list)",
                path.display()
            )));
        }
        fsutil::write_atomic(&path, bytes, FILE_MODE).map_err(io_err(&path))?;
        self.written.push(path);
        self.files
            .insert(name.to_string(), hash_hex(&Sha256::digest(bytes).into()));
        Ok(())
    }

    /// Serializes keys into a new state file.
    pub fn write_keys(
        &mut self,
        dir: &Path,
        name: &str,
        pk: &ProvingKey<Bn254>,
    ) -> Result<(), CeremonyError> {
        let mut bytes = Vec::with_capacity(pk.uncompressed_size());
        pk.serialize_uncompressed(&mut bytes)
            .expect("serializing into a Vec cannot fail");
        self.write(dir, name, &bytes)
    }

    /// Commits: writes the transcript, then removes the files it no longer
    /// lists. On failure, removes the staged files.
    pub fn commit(
        self,
        dir: &Path,
        old: &BTreeMap<String, String>,
        t: &Transcript,
    ) -> Result<(), CeremonyError> {
        if let Err(e) = write_transcript(dir, t) {
            self.abandon();
            return Err(e);
        }
        for name in old.keys() {
            if !t.files().contains_key(name) {
                let _ = std::fs::remove_file(dir.join(name));
            }
        }
        Ok(())
    }

    /// Removes the staged files (the step failed).
    pub fn abandon(self) {
        for p in self.written {
            let _ = std::fs::remove_file(p);
        }
    }
}
