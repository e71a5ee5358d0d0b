//! The README's sections "Using it against a node" and "Rules nobody
//! changes alone", each run as a script: every command of its code block, in
//! order, in a fresh directory with a fresh HOME, through a shell, with the
//! release-like test binaries on PATH. Two
//! substitutions only, both said here: `zkpension setup --out keys` becomes a
//! copy of the cached test keys (the same files, made from a fixed seed,
//! saving a minute of key generation; `setup` itself is tested in cli.rs),
//! and the node listens on a free port instead of 8080 (member commands find
//! it through `ZKPENSION_NODE`, as a user may set it).

use crate::common;

use common::{free_port, Killed};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The commands of the first code block of the README section `title`,
/// comments dropped and continued lines joined.
fn readme_commands(title: &str) -> Vec<String> {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../README.md"))
            .expect("README.md");
    let section = readme
        .split(&format!("\n{title}\n"))
        .nth(1)
        .unwrap_or_else(|| panic!("the README has a section {title:?}"));
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

/// A README block run as a script: its directory, its node and what it printed.
struct Script {
    _tmp: tempfile::TempDir,
    work: PathBuf,
    home: PathBuf,
    path: String,
    listen: String,
    node: Option<Killed>,
    transcript: String,
    /// Each command (as run) and its stdout.
    outputs: Vec<(String, String)>,
}

impl Script {
    /// Runs every command of the section's block in a fresh directory; a
    /// failing command fails the test with the transcript.
    fn run(title: &str, min_commands: usize) -> Script {
        let commands = readme_commands(title);
        assert!(commands.len() >= min_commands, "{commands:#?}");
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
        let mut script = Script {
            work,
            home,
            path: format!(
                "{}:{}",
                bin_dir.display(),
                std::env::var("PATH").unwrap_or_default()
            ),
            listen: format!("127.0.0.1:{}", free_port()),
            node: None,
            transcript: String::new(),
            outputs: Vec::new(),
            _tmp: tmp,
        };
        for command in &commands {
            let line = command.replace("127.0.0.1:8080", &script.listen);
            script.transcript.push_str(&format!("$ {line}\n"));
            if line == "zkpension setup --out keys" {
                copy_dir(common::keys_dir(), &script.work.join("keys"));
                continue;
            }
            if let Some(bg) = line.strip_suffix('&') {
                let child = script
                    .shell(bg.trim())
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .unwrap();
                script.node = Some(Killed(child));
                let start = Instant::now();
                while std::net::TcpStream::connect(&script.listen).is_err() {
                    assert!(
                        start.elapsed() < Duration::from_secs(30),
                        "the node did not listen on {}\n{}",
                        script.listen,
                        script.transcript
                    );
                    std::thread::sleep(Duration::from_millis(50));
                }
                continue;
            }
            let o = script.shell(&line).output().unwrap();
            let stdout = String::from_utf8_lossy(&o.stdout).into_owned();
            script.transcript.push_str(&stdout);
            script
                .transcript
                .push_str(&String::from_utf8_lossy(&o.stderr));
            assert!(
                o.status.success(),
                "README step failed (exit {:?}): {line}\n--- transcript ---\n{}",
                o.status.code(),
                script.transcript
            );
            script.outputs.push((line, stdout));
        }
        assert!(script.node.is_some(), "the README starts a node");
        script
    }

    /// A shell in the script's directory, with its HOME, PATH and node.
    fn shell(&self, line: &str) -> Command {
        let mut c = Command::new("bash");
        c.arg("-c")
            .arg(line)
            .current_dir(&self.work)
            .env("HOME", &self.home)
            .env("PATH", &self.path)
            .env("ZKPENSION_NODE", format!("http://{}", self.listen))
            .env("ZKPENSION_THREADS", "2")
            .env_remove("ZKPENSION_HOME")
            .env_remove("ZKPENSION_KEYS")
            .env_remove("ZKPENSION_WALLET")
            .stdin(Stdio::null());
        c
    }

    /// The JSON a command prints with `--json`.
    fn json(&self, line: &str) -> serde_json::Value {
        let o = self.shell(line).output().unwrap();
        serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
            panic!(
                "{line}: {e}\n{}\n{}",
                String::from_utf8_lossy(&o.stdout),
                String::from_utf8_lossy(&o.stderr)
            )
        })
    }

    /// The stdout of the first command that starts with `prefix`.
    fn output_of(&self, prefix: &str) -> &str {
        self.outputs
            .iter()
            .find(|(line, _)| line.starts_with(prefix))
            .map_or("", |(_, out)| out.as_str())
    }
}

#[test]
fn the_readme_node_section_runs_as_written() {
    let script = Script::run("## Using it against a node", 15);
    let transcript = &script.transcript;
    // The end state the README's comments promise.
    let v = script.json("zkpension balance --json");
    assert_eq!(v["balance"], 49_791, "{v}\n{transcript}");
    assert_eq!(v["periods"], 2);
    assert_eq!(v["pension"], 209);
    let v = script.json("zkpension status --json");
    assert_eq!(v["account"]["balance"], 49_791, "{v}");
    assert_eq!(v["status"]["epoch"], 3, "{v}");
    // The forecast's numbers: epochs 3 to 11 pay 100.00 each, so 900.00 at
    // the first claim in epoch 12, and ceil(90,000 / 240) cents per epoch.
    let v = script.json("zkpension forecast --per-epoch 100.00 --eligible-epoch 12 --json");
    assert_eq!(v["forecast"]["first_claim"], 12, "{v}");
    assert_eq!(v["forecast"]["balance"], 90_000, "{v}");
    assert_eq!(v["forecast"]["pension"], 375, "{v}");
    assert_eq!(v["forecast"]["payout_epochs"], 240, "{v}");
    // The genesis names the paying agent: the agent reads the recipient and
    // the payer references, and no file of the node holds them in clear.
    let payouts_output = script.output_of("zkpension agent payouts");
    assert!(
        payouts_output.contains("IBAN DE89 3704 0044 0532 0130 00")
            && payouts_output.contains("salary 2026-12"),
        "agent payouts shows the payout details\n{transcript}"
    );
    let work = script.work.clone();
    // The node stops; its files stay until the script is dropped.
    let mut script = script;
    script.node = None;
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

#[test]
fn the_readme_trustees_section_runs_as_written() {
    let script = Script::run("## Rules nobody changes alone", 20);
    let transcript = &script.transcript;
    // The genesis holds the group key and 2-of-3; the change waits its delay.
    let v = script.json("zkpension governance --json");
    let g = &v["governance"];
    assert_eq!(g["authority"]["threshold"], 2, "{v}\n{transcript}");
    assert_eq!(g["authority"]["signers"], 3, "{v}");
    assert_eq!(g["min_delay"], 2, "{v}");
    assert_eq!(g["pending_params"]["params"]["cap"], 110_000, "{v}");
    assert_eq!(g["pending_params"]["effective_epoch"], 3, "{v}");
    assert_eq!(g["params"]["cap"], 100_000, "{v}");
    assert_eq!(g["params_known_until"], 2, "{v}");
    assert_eq!(g["history"].as_array().unwrap().len(), 2, "{v}");
    assert_eq!(g["history"][0]["action"], "scheduled", "{v}");
    // The state's deposit is public, with its name; nothing is matched yet.
    assert_eq!(g["history"][1]["action"], "deposited", "{v}");
    assert_eq!(g["history"][1]["funder"], "state", "{v}");
    assert_eq!(g["funders"][0]["deposits"], 1, "{v}");
    assert_eq!(g["subsidy"]["match_rate"], 500, "{v}");
    assert_eq!(g["subsidy"]["available"], 500_000, "{v}");
    let group = std::fs::read_to_string(script.work.join("authority.group.json")).unwrap();
    let key = g["authority"]["key"]
        .as_str()
        .unwrap()
        .trim_start_matches("0x");
    assert!(
        group.contains(key),
        "the genesis key is the group's\n{group}"
    );
    assert!(
        script
            .output_of("zkpension status")
            .contains("from epoch 3: cap 1,100.00"),
        "status shows the pending change\n{transcript}"
    );
    // The nonces were used once and are gone.
    assert!(!script.work.join("authority-1.nonces.json").exists());
    // Fewer than t signers: no package (exit 1, with the numbers).
    let o = script
        .shell(
            "zkpension authority sign package --group authority.group.json --tx raise.json \
             --commitments authority-commit-1.json --out one.json",
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("2 of 3 signers needed"), "{err}");
    // A change outside the bounds is refused before anything is signed.
    let o = script
        .shell(
            "zkpension authority set-params --cap 1300.00 --min-periods 2 --divisor 240 \
             --unsigned-out too-much.json",
        )
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("param_step_too_large"), "{err}");
    assert!(!script.work.join("too-much.json").exists());
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
