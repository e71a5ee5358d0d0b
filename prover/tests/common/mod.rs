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

/// A node that lies: an HTTP proxy in front of the real node that passes
/// every JSON answer through `edit` (path, body) before the client sees it.
pub fn lying_proxy(
    node_url: String,
    edit: impl Fn(&str, &mut serde_json::Value) + Send + Sync + 'static,
) -> String {
    use std::io::{BufRead, BufReader, Write};
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    let edit = std::sync::Arc::new(edit);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut reader = BufReader::new(stream.try_clone().unwrap());
            let mut request_line = String::new();
            reader.read_line(&mut request_line).unwrap();
            loop {
                let mut header = String::new();
                if reader.read_line(&mut header).unwrap() == 0 || header == "\r\n" {
                    break;
                }
            }
            let path = request_line.split(' ').nth(1).unwrap_or("/").to_string();
            let resp = match ureq::get(&format!("{node_url}{path}")).call() {
                Ok(r) => r,
                Err(ureq::Error::Status(_, r)) => r,
                Err(e) => panic!("{e}"),
            };
            let (code, kind) = (resp.status(), resp.content_type().to_string());
            let mut body = Vec::new();
            std::io::Read::read_to_end(&mut resp.into_reader(), &mut body).unwrap();
            // JSON answers pass through `edit`, anything else (key files) as is.
            if let Ok(mut v) = serde_json::from_slice::<serde_json::Value>(&body) {
                edit(&path, &mut v);
                body = serde_json::to_vec(&v).unwrap();
            }
            let head = format!(
                "HTTP/1.1 {code} X\r\nContent-Type: {kind}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(&body);
        }
    });
    url
}

/// snarkjs, the independent Groth16 implementation the tests check against:
/// `ZKPENSION_SNARKJS`, else the workspace's `.tools/snarkjs`; with
/// `ZKPENSION_REQUIRE_SNARKJS=1` (CI) its absence fails the test.
pub fn snarkjs() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("ZKPENSION_SNARKJS").filter(|p| !p.is_empty()) {
        let path = PathBuf::from(path);
        assert!(
            path.exists(),
            "ZKPENSION_SNARKJS={} does not exist",
            path.display()
        );
        return Some(path);
    }
    let local =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../.tools/snarkjs/node_modules/.bin/snarkjs");
    if local.exists() {
        return Some(local);
    }
    let required = std::env::var("ZKPENSION_REQUIRE_SNARKJS").is_ok_and(|v| v == "1");
    assert!(
        !required,
        "ZKPENSION_REQUIRE_SNARKJS=1 but snarkjs is not installed: run \
         `npm install --prefix .tools/snarkjs snarkjs@0.7.5` or set ZKPENSION_SNARKJS"
    );
    eprintln!("snarkjs not found (set ZKPENSION_SNARKJS or install it into .tools/snarkjs)");
    None
}

/// A free TCP port on 127.0.0.1 (for a child process to listen on).
#[allow(dead_code)] // not every test binary starts processes
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// A child process killed and reaped when dropped, so a failed assertion
/// leaves no node or driver running.
#[allow(dead_code)]
pub struct Killed(pub std::process::Child);

impl Drop for Killed {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}
