//! The chain's keys: a member proves with the keys whose verifying-key ids
//! the chain's genesis pins, and with no others. [`fetch_keys`] downloads a
//! node's key directory and checks every file against its manifest and the
//! manifest against the chain; [`check_chain_keys`] compares a local key
//! directory with the chain before anything is proved.

use super::client::{ClientError, NodeClient};
use crate::keys::{check_manifest, KeyError};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::views::StatusView;
use zkpension_core::Hash32;
use zkpension_verifier::{sha256_id, KeyManifest, MANIFEST_FILE};

/// Why the chain's keys could not be fetched or used.
#[derive(Debug, Error)]
pub enum ChainKeysError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error(transparent)]
    Manifest(#[from] zkpension_verifier::KeyError),
    #[error(
        "the keys in {dir} are not this chain's: {statement} verifying key {local}, \
         the chain's genesis pins {chain}. Get the chain's keys with \
         `zkpension keys fetch --node {node} --keys DIR` and use `--keys DIR`"
    )]
    Mismatch {
        dir: PathBuf,
        statement: Statement,
        local: String,
        chain: String,
        node: String,
    },
    #[error(
        "no keys in {dir}: get the chain's keys with `zkpension keys fetch --node {node}`{keys_arg}"
    )]
    Missing {
        dir: PathBuf,
        node: String,
        keys_arg: String,
    },
    #[error(
        "the node serves a {statement} verifying key {served} but its genesis pins {chain}: \
         this node's key directory is not its chain's; ask its operator"
    )]
    NodeInconsistent {
        statement: Statement,
        served: String,
        chain: String,
    },
    #[error("{file} from the node is {got} bytes with id {got_id}, its manifest says {size} bytes with id {id}")]
    BadFile {
        file: String,
        size: u64,
        id: String,
        got: u64,
        got_id: String,
    },
    #[error(
        "{dir} already holds other keys ({what}); give another directory with --keys, \
         or --force to replace them (the old ones are kept as {kept})"
    )]
    Occupied {
        dir: PathBuf,
        what: String,
        kept: PathBuf,
    },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> ChainKeysError + '_ {
    move |source| ChainKeysError::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// The verifying-key ids a manifest lists.
fn manifest_ids(
    m: &KeyManifest,
) -> Result<BTreeMap<Statement, [u8; 32]>, zkpension_verifier::KeyError> {
    Statement::ALL
        .into_iter()
        .map(|s| Ok((s, m.entry(s)?.vk_id()?)))
        .collect()
}

/// The first statement whose id in `ids` differs from the chain's.
fn first_difference(
    ids: &BTreeMap<Statement, [u8; 32]>,
    chain: &BTreeMap<Statement, Hash32>,
) -> Option<(Statement, String, String)> {
    Statement::ALL.into_iter().find_map(|s| {
        let local = ids.get(&s).map(|id| encode_hex(id));
        let pinned = chain.get(&s).map(|id| encode_hex(&id.0));
        (local != pinned).then(|| {
            (
                s,
                local.unwrap_or_else(|| "none".into()),
                pinned.unwrap_or_else(|| "none".into()),
            )
        })
    })
}

/// Checks that the key directory `dir` holds the chain's keys (by the
/// verifying-key ids of its manifest; the files themselves are checked
/// against the manifest when they are loaded). `keys_given` says whether
/// the user named `dir`, for the advice in the error.
pub fn check_chain_keys(
    dir: &Path,
    status: &StatusView,
    node: &str,
    keys_given: bool,
) -> Result<(), ChainKeysError> {
    if !dir.join(MANIFEST_FILE).exists() {
        return Err(ChainKeysError::Missing {
            dir: dir.to_path_buf(),
            node: node.to_string(),
            keys_arg: if keys_given {
                format!(" --keys {}", dir.display())
            } else {
                String::new()
            },
        });
    }
    let manifest = check_manifest(dir)?;
    match first_difference(&manifest_ids(&manifest)?, &status.verifying_keys) {
        None => Ok(()),
        Some((statement, local, chain)) => Err(ChainKeysError::Mismatch {
            dir: dir.to_path_buf(),
            statement,
            local,
            chain,
            node: node.to_string(),
        }),
    }
}

/// What [`fetch_keys`] did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fetched {
    /// `dir` already held the chain's keys; nothing was downloaded.
    AlreadyPresent,
    /// The keys were downloaded into `dir` (`bytes` in all).
    Downloaded { bytes: u64 },
}

/// Progress of [`fetch_keys`]: one event per file.
#[derive(Debug, Clone)]
pub struct FetchProgress<'a> {
    pub file: &'a str,
    pub size: u64,
}

/// Downloads the node's key directory into `dir`: the manifest's ids must be
/// the ones the chain's genesis pins and its constraint digests this build's
/// circuits, and every file must have the size and SHA-256 id its manifest
/// gives. The files are written to a fresh directory beside `dir` that
/// replaces it only when complete. A `dir` with other keys is kept unless
/// `force` (then it is moved aside, never deleted).
pub fn fetch_keys(
    client: &NodeClient,
    dir: &Path,
    force: bool,
    progress: &mut dyn FnMut(FetchProgress<'_>),
) -> Result<Fetched, ChainKeysError> {
    let status = client.status()?;
    let kept = dir.with_file_name(format!(
        "{}.replaced-{}",
        dir.file_name()
            .map_or("keys".into(), |n| n.to_string_lossy()),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs())
    ));
    if dir.join(MANIFEST_FILE).exists() {
        match check_chain_keys(dir, &status, client.url(), true) {
            Ok(()) => return Ok(Fetched::AlreadyPresent),
            Err(e) if !force => {
                return Err(ChainKeysError::Occupied {
                    dir: dir.to_path_buf(),
                    what: e.to_string(),
                    kept,
                })
            }
            Err(_) => {}
        }
    } else if dir.exists() && std::fs::read_dir(dir).map_err(io(dir))?.next().is_some() && !force {
        return Err(ChainKeysError::Occupied {
            dir: dir.to_path_buf(),
            what: "files but no manifest.json".into(),
            kept,
        });
    }
    let manifest = client.keys_manifest()?;
    manifest.check()?;
    if let Some((statement, served, chain)) =
        first_difference(&manifest_ids(&manifest)?, &status.verifying_keys)
    {
        return Err(ChainKeysError::NodeInconsistent {
            statement,
            served,
            chain,
        });
    }
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    std::fs::create_dir_all(&parent).map_err(io(&parent))?;
    let staging = tempfile::Builder::new()
        .prefix(".zkpension-keys-fetch-")
        .tempdir_in(&parent)
        .map_err(io(&parent))?;
    let mut bytes = 0;
    for statement in Statement::ALL {
        let entry = manifest.entry(statement)?;
        for (file, size, id) in [
            (&entry.vk_file, entry.vk_size, entry.vk_id()?),
            (&entry.pk_file, entry.pk_size, entry.pk_id()?),
        ] {
            progress(FetchProgress { file, size });
            let data = client.key_file(file, size)?;
            let got_id = sha256_id(&data);
            if data.len() as u64 != size || got_id != id {
                return Err(ChainKeysError::BadFile {
                    file: file.clone(),
                    size,
                    id: encode_hex(&id),
                    got: data.len() as u64,
                    got_id: encode_hex(&got_id),
                });
            }
            let path = staging.path().join(file);
            std::fs::write(&path, &data).map_err(io(&path))?;
            bytes += size;
        }
    }
    manifest.write(staging.path())?;
    // Checked as a whole (this build's circuits) before it takes the name.
    check_manifest(staging.path())?;
    if dir.exists() {
        std::fs::rename(dir, &kept).map_err(io(dir))?;
    }
    let staged = staging.keep();
    std::fs::rename(&staged, dir).map_err(io(dir))?;
    Ok(Fetched::Downloaded { bytes })
}
