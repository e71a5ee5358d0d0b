//! The README's section "Using it against a node", run as a script: every
//! command of its code block, in order, in a fresh directory with a fresh
//! HOME, through a shell, with the release-like test binaries on PATH. Two
//! substitutions only, both said here: `zkpension setup --out keys` becomes a
//! copy of the cached test keys (the same files, made from a fixed seed,
//! saving a minute of key generation; `setup` itself is tested in cli.rs),
//! and the node listens on a free port instead of 8080 (member commands find
//! it through `ZKPENSION_NODE`, as a user may set it).

#[path = "../../prover/tests/common/mod.rs"]
mod common;

use common::{free_port, Killed};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The commands of the README's node section, comments dropped and
/// continued lines joined.
fn readme_commands() -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let section = readme
        .split("## Using it against a node")
        .nth(1)
        .expect("the README has a section 'Using it against a node'");
    let mut commands = Vec::new();
    let mut current = String::new();
    let mut in_block = false;
    for line in section.lines() {
        if let Some(code) = line.strip_prefix("    ") {
            in_block = true;
            let code = match code.find("  #") {
                Some(i) => &code[..i],
                None => code,
            };
            let code = code.trim();
            if code.is_empty() || code.starts_with('#') {
                continue;
            }
            match code.strip_suffix('\\') {
                Some(head) => current.push_str(head),
                None => {
                    current.push_str(code);
                    commands.push(std::mem::take(&mut current));
                }
            }
        } else if in_block && !line.trim().is_empty() {
            break;
        }
    }
    assert!(current.is_empty(), "a continued line ends the block");
    commands
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        std::fs::copy(e.path(), to.join(e.file_name())).unwrap();
    }
}

#[test]
fn the_readme_node_section_runs_as_written() {
    let commands = readme_commands();
    assert!(commands.len() >= 15, "{commands:#?}");
    let bin = PathBuf::from(env!("CARGO_BIN_EXE_zkpension"));
    let bin_dir = bin.parent().unwrap().to_path_buf();
    assert!(
        bin_dir.join("zkpension-node").exists(),
        "zkpension-node is not built beside {}: build the workspace's binaries \
         (cargo nextest run --workspace builds them)",
        bin.display()
    );
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path().join("home");
    let work = tmp.path().join("work");
    std::fs::create_dir_all(&home).unwrap();
    std::fs::create_dir_all(&work).unwrap();
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let path = format!(
        "{}:{}",
        bin_dir.display(),
        std::env::var("PATH").unwrap_or_default()
    );
    let shell = |line: &str| {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(line)
            .current_dir(&work)
            .env("HOME", &home)
            .env("PATH", &path)
            .env("ZKPENSION_NODE", format!("http://{listen}"))
            .env("ZKPENSION_THREADS", "2")
            .env_remove("ZKPENSION_HOME")
            .env_remove("ZKPENSION_KEYS")
            .env_remove("ZKPENSION_WALLET")
            .stdin(Stdio::null());
        c
    };
    let mut node: Option<Killed> = None;
    let mut transcript = String::new();
    let mut payouts_output = String::new();
    for command in &commands {
        let line = command.replace("127.0.0.1:8080", &listen);
        transcript.push_str(&format!("$ {line}\n"));
        if line == "zkpension setup --out keys" {
            copy_dir(common::keys_dir(), &work.join("keys"));
            continue;
        }
        if let Some(bg) = line.strip_suffix('&') {
            let child = shell(bg.trim())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap();
            node = Some(Killed(child));
            let start = Instant::now();
            while std::net::TcpStream::connect(&listen).is_err() {
                assert!(
                    start.elapsed() < Duration::from_secs(30),
                    "the node did not listen on {listen}\n{transcript}"
                );
                std::thread::sleep(Duration::from_millis(50));
            }
            continue;
        }
        let o = shell(&line).output().unwrap();
        if line.starts_with("zkpension agent payouts") {
            payouts_output = String::from_utf8_lossy(&o.stdout).into_owned();
        }
        transcript.push_str(&String::from_utf8_lossy(&o.stdout));
        transcript.push_str(&String::from_utf8_lossy(&o.stderr));
        assert!(
            o.status.success(),
            "README step failed (exit {:?}): {line}\n--- transcript ---\n{transcript}",
            o.status.code()
        );
    }
    assert!(node.is_some(), "the README starts a node");
    // The end state the README's comments promise.
    let o = shell("zkpension balance --json").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["balance"], 49_791, "{v}\n{transcript}");
    assert_eq!(v["periods"], 2);
    assert_eq!(v["pension"], 209);
    let o = shell("zkpension status --json").output().unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["account"]["balance"], 49_791, "{v}");
    assert_eq!(v["status"]["epoch"], 3, "{v}");
    // The forecast's numbers: epochs 3 to 11 pay 100.00 each, so 900.00 at
    // the first claim in epoch 12, and ceil(90,000 / 240) cents per epoch.
    let o = shell("zkpension forecast --per-epoch 100.00 --eligible-epoch 12 --json")
        .output()
        .unwrap();
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["forecast"]["first_claim"], 12, "{v}");
    assert_eq!(v["forecast"]["balance"], 90_000, "{v}");
    assert_eq!(v["forecast"]["pension"], 375, "{v}");
    assert_eq!(v["forecast"]["payout_epochs"], 240, "{v}");
    // The genesis names the paying agent: the agent reads the recipient and
    // the payer references, and no file of the node holds them in clear.
    assert!(
        payouts_output.contains("IBAN DE89 3704 0044 0532 0130 00")
            && payouts_output.contains("salary 2026-12"),
        "agent payouts shows the payout details\n{transcript}"
    );
    drop(node);
    for secret in ["DE89 3704", "salary 2026"] {
        for file in files_under(&work.join("node-data")) {
            let bytes = std::fs::read(&file).unwrap();
            assert!(
                !bytes.windows(secret.len()).any(|w| w == secret.as_bytes()),
                "{} holds {secret:?} in clear text",
                file.display()
            );
        }
    }
}

fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        if p.is_dir() {
            out.extend(files_under(&p));
        } else {
            out.push(p);
        }
    }
    out
}
