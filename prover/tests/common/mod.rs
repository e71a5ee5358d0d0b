//! Shared by the prover's test binaries: one set of seeded test keys for the
//! whole test run, generated once and cached under the target directory (test
//! processes run in parallel and share it, see `keys::test_keys`).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use zkpension_prover::keys::test_keys;
use zkpension_prover::ProvingKeys;

/// The cached seeded key directory. Tests must not modify it; copy it first.
pub fn keys_dir() -> &'static Path {
    static DIR: OnceLock<PathBuf> = OnceLock::new();
    DIR.get_or_init(|| test_keys(Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("test keys"))
}

/// The test keys, loaded once per test process.
pub fn proving_keys() -> &'static ProvingKeys {
    static KEYS: OnceLock<ProvingKeys> = OnceLock::new();
    KEYS.get_or_init(|| ProvingKeys::load(keys_dir()).expect("load test keys"))
}

/// A copy of the test key directory that a test may modify. The large
/// prover-tables files are hard links where the file system allows it (they
/// are only ever replaced by rename, never written in place).
pub fn copy_of_keys(into: &Path) -> PathBuf {
    let dir = into.join("keys");
    std::fs::create_dir_all(&dir).unwrap();
    for entry in std::fs::read_dir(keys_dir()).unwrap() {
        let entry = entry.unwrap();
        let to = dir.join(entry.file_name());
        let is_tables = entry.path().extension().is_some_and(|e| e == "tables");
        if !(is_tables && std::fs::hard_link(entry.path(), &to).is_ok()) {
            std::fs::copy(entry.path(), &to).unwrap();
        }
    }
    dir
}

/// A deterministic RNG for tests.
pub fn rng(seed: u64) -> rand_chacha::ChaCha20Rng {
    use rand::SeedableRng;
    rand_chacha::ChaCha20Rng::seed_from_u64(seed)
}
