//! `zkpension ceremony` end to end: a snarkjs `.ptau` (when snarkjs is
//! installed; else a fresh phase 1), two phase-1 contributions, the beacon,
//! three phase-2 contributions, the final beacon; the keys prove all four
//! statements, the project's verifier and `snarkjs groth16 verify` accept
//! the proofs, and the CLI refuses a key directory that claims another
//! ceremony. One ceremony for the whole binary (next-phase is the expensive
//! step).

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::rng;
use zkpension_circuits::Statement;
use zkpension_prover::{example, prove, ProvingKeys};
use zkpension_verifier::{KeyManifest, VerifierKeys};

fn zkpension(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkpension"));
    c.env("ZKPENSION_HOME", home)
        .env_remove("ZKPENSION_KEYS")
        .env_remove("ZKPENSION_WALLET")
        .stdin(Stdio::null());
    c
}

/// Runs the command, expects `code`, returns its JSON stdout.
fn run(c: &mut Command, code: i32) -> serde_json::Value {
    let o: Output = c.output().expect("run zkpension");
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(code), "stderr: {err}");
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {err}"))
}

fn snarkjs_ok(snarkjs: &Path, args: &[&std::ffi::OsStr]) -> String {
    let o = Command::new(snarkjs)
        .args(args)
        .output()
        .expect("run snarkjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(o.status.success(), "snarkjs {args:?}: {text}");
    text
}

#[test]
fn a_ceremony_through_the_cli_makes_keys_that_prove_and_verify() {
    let tmp = tempfile::tempdir().unwrap();
    let home = tmp.path();
    let dir = home.join("ceremony");
    let keys = home.join("keys");
    let snarkjs = common::snarkjs();
    if snarkjs.is_none() {
        eprintln!("a fresh phase 1 instead of a .ptau, no snarkjs verify");
    }

    // Phase 1 from a snarkjs .ptau with one contribution, or fresh.
    let mut init = zkpension(home);
    init.args(["ceremony", "init", "--json", "--out"]).arg(&dir);
    if let Some(s) = &snarkjs {
        let (a, b) = (home.join("a.ptau"), home.join("b.ptau"));
        snarkjs_ok(
            s,
            &[
                "powersoftau".as_ref(),
                "new".as_ref(),
                "bn128".as_ref(),
                "15".as_ref(),
                a.as_os_str(),
            ],
        );
        snarkjs_ok(
            s,
            &[
                "powersoftau".as_ref(),
                "contribute".as_ref(),
                a.as_os_str(),
                b.as_os_str(),
                "--name=x".as_ref(),
                "-e=y".as_ref(),
            ],
        );
        init.arg("--ptau").arg(&b);
    }
    let v = run(&mut init, 0);
    assert_eq!(v["power"], 15);
    if snarkjs.is_some() {
        assert_eq!(v["origin"]["kind"], "ptau");
        assert_eq!(v["origin"]["ptau_contributions"], 1);
    }

    let contribute = |name: &str| {
        run(
            zkpension(home)
                .args([
                    "ceremony",
                    "contribute",
                    "--json",
                    "--name",
                    name,
                    "--entropy",
                    "keyboard",
                ])
                .arg("--dir")
                .arg(&dir),
            0,
        )
    };
    let alice = contribute("alice");
    contribute("bob");
    // Not yet: phase 2 is not open.
    run(
        zkpension(home)
            .args(["ceremony", "finalize", "--json", "--beacon", "00ff"])
            .arg("--dir")
            .arg(&dir)
            .arg("--out")
            .arg(&keys),
        3,
    );
    let started = std::time::Instant::now();
    run(
        zkpension(home)
            .args([
                "ceremony",
                "next-phase",
                "--json",
                "--beacon",
                "0x1234abcd",
                "--iterations-exp",
                "4",
            ])
            .arg("--dir")
            .arg(&dir),
        0,
    );
    eprintln!("next-phase: {:.1} s", started.elapsed().as_secs_f64());
    contribute("carol");
    contribute("dave");
    let erin = contribute("erin");
    assert_eq!(erin["phase"], 2);
    let fin = run(
        zkpension(home)
            .args([
                "ceremony",
                "finalize",
                "--json",
                "--beacon",
                "abcdef",
                "--iterations-exp",
                "4",
            ])
            .arg("--dir")
            .arg(&dir)
            .arg("--out")
            .arg(&keys),
        0,
    );

    // Verify lists everyone and ends at the finalize hash; the keys match.
    let v = run(
        zkpension(home)
            .args(["ceremony", "verify", "--json", "--dir"])
            .arg(&dir)
            .arg("--keys")
            .arg(&keys),
        0,
    );
    let names: Vec<&str> = v["contributions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["alice", "bob", "beacon", "carol", "dave", "erin", "beacon"]
    );
    assert_eq!(v["contributions"][0]["hash"], alice["hash"]);
    assert_eq!(v["transcript_hash"], fin["hash"]);
    assert_eq!(v["valid"], true);

    // The manifest says where the keys came from; counts and digests are
    // this build's circuits'.
    let manifest = KeyManifest::read(&keys).unwrap();
    assert_eq!(manifest.setup, "ceremony");
    let info = manifest.ceremony.clone().unwrap();
    assert_eq!(info.transcript_hash, fin["hash"].as_str().unwrap());
    assert_eq!(info.contributions, 7);
    for s in Statement::ALL {
        let c = zkpension_prover::keys::circuit_info(s).unwrap();
        let e = manifest.entry(s).unwrap();
        assert_eq!(e.constraints, c.constraints as u64);
        assert_eq!(
            e.constraint_digest,
            zkpension_prover::keys::hex_digest(&c.digest)
        );
    }

    // All four statements prove; the verifier and snarkjs accept.
    let proving = ProvingKeys::load(&keys).unwrap();
    let verifier = VerifierKeys::load_dir(&keys).unwrap();
    for (i, s) in Statement::ALL.into_iter().enumerate() {
        let mut rng = rng(40 + i as u64);
        let w = example::witness(s, &mut rng);
        let proof = prove(&proving, &w, &mut rng).unwrap();
        let file = w.proof_file(&proof);
        file.verify(&verifier).unwrap();
        let path = home.join(format!("{s}.proof.json"));
        std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
        run(
            zkpension(home)
                .args(["verify", "--json"])
                .arg(&path)
                .arg("--keys")
                .arg(&keys),
            0,
        );
        if let Some(sj) = &snarkjs {
            let out = home.join(format!("snarkjs-{s}"));
            zkpension_prover::export_snarkjs(&keys, &path, &out).unwrap();
            let text = snarkjs_ok(
                sj,
                &[
                    "groth16".as_ref(),
                    "verify".as_ref(),
                    out.join("verification_key.json").as_os_str(),
                    out.join("public.json").as_os_str(),
                    out.join("proof.json").as_os_str(),
                ],
            );
            assert!(text.contains("OK"), "{text}");
        }
    }

    // A key directory that claims another ceremony is refused (exit 1).
    let mut forged = manifest.clone();
    forged.ceremony.as_mut().unwrap().transcript_hash = alice["hash"].as_str().unwrap().into();
    std::fs::write(
        keys.join("manifest.json"),
        serde_json::to_vec_pretty(&forged).unwrap(),
    )
    .unwrap();
    let v = run(
        zkpension(home)
            .args(["ceremony", "verify", "--json", "--dir"])
            .arg(&dir)
            .arg("--keys")
            .arg(&keys),
        1,
    );
    assert!(
        v["error"].as_str().unwrap().contains("claims ceremony"),
        "{v}"
    );
    // A finished ceremony takes no more contributions.
    run(
        zkpension(home)
            .args([
                "ceremony",
                "contribute",
                "--json",
                "--name",
                "late",
                "--dir",
            ])
            .arg(&dir),
        3,
    );
}

#[test]
fn every_subcommand_explains_the_trust_model() {
    let tmp = tempfile::tempdir().unwrap();
    for sub in ["init", "contribute", "verify", "next-phase", "finalize"] {
        let o = zkpension(tmp.path())
            .args(["ceremony", sub, "--help"])
            .output()
            .unwrap();
        let text = String::from_utf8_lossy(&o.stdout);
        assert!(o.status.success());
        assert!(
            text.contains("TRUST: the keys are safe if at least one participant"),
            "{sub}: {text}"
        );
    }
    // The CLI keeps 2^15 as its smallest phase 1.
    let o = zkpension(tmp.path())
        .args(["ceremony", "init", "--power", "12", "--out"])
        .arg(tmp.path().join("c"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2));
}
