//! Where keys live and how a directory comes to hold them: the default home
//! and key directory, [`ensure_keys`] (generation coordinated by a lock file
//! between concurrent processes), and the seeded [`test_keys`] cached for
//! tests and benchmarks.

use std::io;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};
use zkpension_circuits::statements::STATEMENT_VERSION;
use zkpension_circuits::Statement;
use zkpension_verifier::MANIFEST_FILE;

use super::circuits::circuit_info;
use super::error::{io_err, KeyError};
use super::load::PK_ENCODING;
use super::setup::{setup_with, SetupEvent, SetupOptions};
use crate::fsutil;

/// The seed of [`test_keys`]. Public, so keys made from it are worthless
/// outside tests: anyone can forge proofs for them.
pub const TEST_SEED: [u8; 32] = *b"zkpension/v1/INSECURE-test-keys!";

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
/// [`ProvingKeys::load`](super::ProvingKeys::load) does that.
pub fn ensure_keys(
    dir: &Path,
    options: SetupOptions,
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
                let result = generate_into(dir, &parent, &name, options, progress);
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
    options: SetupOptions,
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
    let options = SetupOptions {
        force: false,
        ..options
    };
    let result = setup_with(&tmp, options, progress)
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
    h.update(crate::tables_file::TABLES_MAGIC);
    for statement in Statement::ALL {
        let info = circuit_info(statement)?;
        h.update(info.digest);
    }
    let digest: [u8; 32] = h.finalize().into();
    let dir = cache_root.join(format!(
        "zkpension-test-keys-v{STATEMENT_VERSION}-{}",
        hex::encode(&digest[..8])
    ));
    // With prover tables: the tests prove a lot.
    let options = SetupOptions {
        seed: Some(TEST_SEED),
        force: false,
        tables: true,
    };
    ensure_keys(&dir, options, &mut |_| {})?;
    Ok(dir)
}
