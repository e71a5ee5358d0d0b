//! The ceremony and key directories: this build's statements as ceremony
//! targets, writing a finalized ceremony's keys as a normal key directory
//! (manifest `setup: "ceremony"` with the transcript hash), and checking
//! that a key directory is what a ceremony made.

use std::path::Path;

use ark_serialize::CanonicalSerialize;
use zkpension_circuits::Statement;
use zkpension_verifier::{CeremonyInfo, KeyManifest};

use super::error::CeremonyError;
use super::steps::final_keys;
use super::verify::Report;
use super::Target;
use crate::keys::{circuit, read_manifest, write_ceremony_keys, KeyError};

/// This build's three statements as ceremony targets.
pub fn statement_targets() -> Result<Vec<Target<'static>>, KeyError> {
    Statement::ALL
        .iter()
        .map(|&s| {
            let c = circuit(s)?;
            Ok(Target {
                name: s.name(),
                info: c.info,
                matrices: c.ark_matrices(),
            })
        })
        .collect()
}

fn statement_of(name: &str) -> Result<Statement, CeremonyError> {
    Statement::ALL
        .into_iter()
        .find(|s| s.name() == name)
        .ok_or_else(|| CeremonyError::State(format!("{name} is not a statement of this build")))
}

/// Writes a finalized ceremony's keys into `out` as a key directory.
pub fn export_keys(
    dir: &Path,
    targets: &[Target],
    out: &Path,
    force: bool,
) -> Result<KeyManifest, CeremonyError> {
    let (keys, t) = final_keys(dir, targets)?;
    let keys = t
        .circuits
        .iter()
        .zip(keys)
        .map(|(c, pk)| Ok((statement_of(&c.name)?, pk)))
        .collect::<Result<Vec<_>, CeremonyError>>()?;
    let info = CeremonyInfo {
        transcript_hash: t.head().to_string(),
        contributions: t.contributions.len() as u32,
    };
    Ok(write_ceremony_keys(out, &keys, info, force)?)
}

/// Checks that the key directory `keys` is what the verified ceremony in
/// `dir` made: its manifest names this transcript (hash and number of
/// contributions) and every proving key is byte-equal to the ceremony's
/// final keys (whose verifying keys the manifest's ids then pin).
pub fn check_key_dir(
    dir: &Path,
    targets: &[Target],
    report: &Report,
    keys: &Path,
) -> Result<(), CeremonyError> {
    let place = format!("key directory {}", keys.display());
    let manifest = read_manifest(keys)?;
    let Some(info) = &manifest.ceremony else {
        return Err(CeremonyError::invalid(
            place,
            format!(
                "its manifest claims no ceremony (setup: {:?})",
                manifest.setup
            ),
        ));
    };
    if info.transcript_hash != report.transcript_hash
        || info.contributions as usize != report.contributions.len()
    {
        return Err(CeremonyError::invalid(
            place,
            format!(
                "its manifest claims ceremony {} with {} contributions, the transcript is {} with {}",
                info.transcript_hash,
                info.contributions,
                report.transcript_hash,
                report.contributions.len()
            ),
        ));
    }
    let (final_keys, t) = final_keys(dir, targets)?;
    for (c, pk) in t.circuits.iter().zip(final_keys) {
        let statement = statement_of(&c.name)?;
        let mut expected = Vec::new();
        pk.serialize_uncompressed(&mut expected)
            .expect("serializing into a Vec cannot fail");
        let entry = manifest.entry(statement).map_err(KeyError::from)?;
        let got = manifest.read_pk(keys, statement).map_err(KeyError::from)?;
        if got != expected {
            return Err(CeremonyError::invalid(
                place,
                format!(
                    "{} is not the ceremony's final {} key",
                    entry.pk_file, c.name
                ),
            ));
        }
        let vk = zkpension_verifier::VerifyingKey::new(statement, pk.vk.clone())
            .map_err(KeyError::from)?;
        if zkpension_verifier::id_to_hex(&vk.id()) != entry.vk_id {
            return Err(CeremonyError::invalid(
                place,
                format!(
                    "{} is not the ceremony's final {} key",
                    entry.vk_file, c.name
                ),
            ));
        }
    }
    Ok(())
}
