//! The `zkpension` binary: help, JSON output, exit codes.

use crate::common;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use common::{keys_dir, proving_keys, rng};
use zkpension_circuits::Statement;
use zkpension_prover::{example, prove};
use zkpension_verifier::KeyManifest;

const SEED: &str = "0x0202020202020202020202020202020202020202020202020202020202020202";

/// The binary with a private `ZKPENSION_HOME` and none of the other variables.
fn zkpension(home: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkpension"));
    c.env("ZKPENSION_HOME", home)
        .env_remove("ZKPENSION_KEYS")
        .env_remove("ZKPENSION_WALLET")
        .env_remove("ZKPENSION_THREADS")
        .stdin(Stdio::null());
    c
}

fn run(c: &mut Command) -> Output {
    c.output().expect("run zkpension")
}

fn code(o: &Output) -> i32 {
    o.status.code().expect("exited normally")
}

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| {
        panic!(
            "stdout is not JSON ({e}):\n{}\nstderr:\n{}",
            stdout(o),
            stderr(o)
        )
    })
}

/// A valid proof file of `statement` made with the shared test keys.
fn proof_file(dir: &Path, statement: Statement) -> std::path::PathBuf {
    let mut rng = rng(100);
    let w = example::witness(statement, &mut rng);
    let proof = prove(proving_keys(), &w, &mut rng).unwrap();
    let path = dir.join(format!("{statement}.json"));
    std::fs::write(
        &path,
        serde_json::to_vec_pretty(&w.proof_file(&proof)).unwrap(),
    )
    .unwrap();
    path
}

#[test]
fn help_documents_commands_exit_codes_and_trust() {
    let home = tempfile::tempdir().unwrap();
    let o = run(zkpension(home.path()).arg("--help"));
    assert_eq!(code(&o), 0);
    let text = stdout(&o);
    for needle in [
        "setup",
        "circuits",
        "wallet",
        "verify",
        "export-snarkjs",
        "--threads",
        "--json",
        "Exit codes",
    ] {
        assert!(text.contains(needle), "--help lacks {needle:?}:\n{text}");
    }
    let o = run(zkpension(home.path()).args(["setup", "--help"]));
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("SINGLE-PARTY"), "{}", stdout(&o));
    for sub in [
        &["circuits", "--help"][..],
        &["wallet", "new", "--help"],
        &["wallet", "show", "--help"],
        &["verify", "--help"],
        &["export-snarkjs", "--help"],
    ] {
        let o = run(zkpension(home.path()).args(sub));
        assert_eq!(code(&o), 0, "{sub:?}");
        assert!(stdout(&o).contains("Usage"), "{sub:?}");
    }
}

#[test]
fn usage_errors_exit_2() {
    let home = tempfile::tempdir().unwrap();
    for args in [
        &["no-such-command"][..],
        &["verify"],
        &["setup", "--seed", "xyz"],
        &["circuits", "--threads", "0"],
    ] {
        let o = run(zkpension(home.path()).args(args));
        assert_eq!(code(&o), 2, "{args:?}: {}", stderr(&o));
    }
    // With --json, a usage error is a JSON document too.
    let o = run(zkpension(home.path()).args(["circuits", "--json", "--threads", "0"]));
    assert_eq!(code(&o), 2, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["exit_code"], 2);
    assert!(v["error"].as_str().unwrap().contains("--threads"), "{v}");
}

#[test]
fn a_closed_pipe_is_not_a_panic() {
    // `zkpension circuits --json | head -c 1`: the reader goes away early.
    let home = tempfile::tempdir().unwrap();
    let mut child = zkpension(home.path())
        .args(["circuits", "--json", "--keys"])
        .arg(keys_dir())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let o = child.wait_with_output().unwrap();
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(!stderr(&o).contains("panicked"), "{}", stderr(&o));
}

#[test]
fn circuits_json_lists_each_statement() {
    let home = tempfile::tempdir().unwrap();
    let o = run(zkpension(home.path()).args(["circuits", "--json"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let obj = v.as_object().unwrap();
    assert_eq!(obj.len(), Statement::ALL.len());
    for statement in Statement::ALL {
        let s = &v[statement.name()];
        assert!(s["constraints"].as_u64().unwrap() > 1000, "{s}");
        let names: Vec<&str> = s["public_inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_str().unwrap())
            .collect();
        assert_eq!(names, statement.public_input_names());
        assert!(s.get("keys").is_none());
    }

    // With keys: their ids, and that they fit.
    let o = run(zkpension(home.path())
        .args(["circuits", "--json", "--keys"])
        .arg(keys_dir()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let manifest = KeyManifest::read(keys_dir()).unwrap();
    for statement in Statement::ALL {
        let k = &v[statement.name()]["keys"];
        assert_eq!(
            k["vk_id"],
            manifest.entry(statement).unwrap().vk_id.as_str()
        );
        assert_eq!(
            k["pk_id"],
            manifest.entry(statement).unwrap().pk_id.as_str()
        );
        assert_eq!(k["matches_circuit"], true);
    }
    // Human output names the same.
    let o = run(zkpension(home.path()).arg("circuits"));
    assert!(stdout(&o).contains("anchor, nf, cm_new, amount, epoch, cap, binding"));
}

#[test]
fn setup_writes_keys_and_refuses_to_overwrite_them() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("keys");
    let o = run(zkpension(tmp.path())
        .args(["setup", "--json", "--seed", SEED, "--out"])
        .arg(&out));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["manifest"]["format"], "zkpension-keys/1");
    let err = stderr(&o);
    assert!(err.contains("TEST keys"), "{err}");
    assert!(
        err.contains("contribute: generating keys"),
        "progress on stderr: {err}"
    );
    zkpension_prover::ProvingKeys::load(&out).unwrap();

    // Again into the same directory: refused, nothing changed.
    let before = std::fs::read(out.join("manifest.json")).unwrap();
    let o = run(zkpension(tmp.path())
        .args(["setup", "--json", "--seed", SEED, "--out"])
        .arg(&out));
    assert_eq!(code(&o), 3);
    let v = json(&o);
    assert_eq!(v["exit_code"], 3);
    assert!(
        v["error"]
            .as_str()
            .unwrap()
            .contains("refusing to overwrite"),
        "{v}"
    );
    assert_eq!(std::fs::read(out.join("manifest.json")).unwrap(), before);
}

#[test]
fn wallet_new_and_show() {
    let home = tempfile::tempdir().unwrap();
    let o = run(zkpension(home.path()).args(["wallet", "new", "--json"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let created = json(&o);
    let path = home.path().join("wallet.json");
    assert_eq!(created["wallet"], path.to_str().unwrap());
    let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600);
    let before = std::fs::read(&path).unwrap();

    // Never overwritten.
    let o = run(zkpension(home.path()).args(["wallet", "new"]));
    assert_eq!(code(&o), 3);
    assert!(
        stderr(&o).contains("refusing to overwrite"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&path).unwrap(), before);

    // Shown without the secret unless asked.
    let wallet: serde_json::Value = serde_json::from_slice(&before).unwrap();
    let sk = wallet["sk"].as_str().unwrap().to_string();
    let o = run(zkpension(home.path()).args(["wallet", "show", "--json"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let shown = json(&o);
    assert_eq!(shown["owner"], created["owner"]);
    assert!(shown.get("sk").is_none());
    assert!(!stdout(&o).contains(&sk));
    let o = run(zkpension(home.path()).args(["wallet", "show"]));
    assert!(!stdout(&o).contains(&sk));
    assert!(stdout(&o).contains(created["owner"].as_str().unwrap()));
    let o = run(zkpension(home.path()).args(["wallet", "show", "--show-secret", "--json"]));
    assert_eq!(json(&o)["sk"], sk.as_str());

    // --wallet chooses another file; every wallet gets its own phrase.
    let other = home.path().join("other.json");
    let mut phrases = Vec::new();
    for name in ["a.json", "b.json"] {
        let o = run(zkpension(home.path())
            .args(["wallet", "new", "--json", "--wallet"])
            .arg(home.path().join(name)));
        assert_eq!(code(&o), 0, "{}", stderr(&o));
        phrases.push(json(&o)["phrase"].clone());
    }
    assert_ne!(phrases[0], phrases[1]);
    let o = run(zkpension(home.path())
        .args(["wallet", "show", "--wallet"])
        .arg(&other));
    assert_eq!(code(&o), 3, "a missing wallet is a failure");
}

#[test]
fn verify_accepts_a_valid_proof_and_says_why_it_rejects_others() {
    let tmp = tempfile::tempdir().unwrap();
    let good = proof_file(tmp.path(), Statement::Attest);
    let o = run(zkpension(tmp.path())
        .args(["verify", "--json", "--keys"])
        .arg(keys_dir())
        .arg(&good));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    assert_eq!(v["valid"], true);
    assert_eq!(v["statement"], "attest");
    assert!(v["public_inputs"]["tag"]
        .as_str()
        .unwrap()
        .starts_with("0x"));

    let o = run(zkpension(tmp.path())
        .args(["verify", "--keys"])
        .arg(keys_dir())
        .arg(&good));
    assert_eq!(code(&o), 0);
    assert!(stdout(&o).contains("valid attest proof"));

    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();

    // A changed public input: the proof does not verify.
    let mut wrong = file.clone();
    wrong["public_inputs"][3] = format!("0x{:064x}", 12345).into();
    let path = tmp.path().join("wrong-input.json");
    std::fs::write(&path, serde_json::to_vec(&wrong).unwrap()).unwrap();
    let o = run(zkpension(tmp.path())
        .args(["verify", "--json", "--keys"])
        .arg(keys_dir())
        .arg(&path));
    assert_eq!(code(&o), 1);
    let v = json(&o);
    assert_eq!(v["valid"], false);
    assert!(
        v["error"].as_str().unwrap().contains("invalid proof"),
        "{v}"
    );

    // A proof that is not a point encoding.
    let proof = file["proof"].as_str().unwrap().to_string();
    file["proof"] = format!("0x{}{}", "ff".repeat(32), &proof[66..]).into();
    let path = tmp.path().join("bad-point.json");
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    let o = run(zkpension(tmp.path())
        .args(["verify", "--keys"])
        .arg(keys_dir())
        .arg(&path));
    assert_eq!(code(&o), 1);
    assert!(
        stderr(&o).contains("not a valid proof file"),
        "{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("proof element A"), "{}", stderr(&o));

    // Not a proof file at all.
    let path = tmp.path().join("garbage.json");
    std::fs::write(&path, b"{\"hello\": 1}").unwrap();
    let o = run(zkpension(tmp.path())
        .args(["verify", "--keys"])
        .arg(keys_dir())
        .arg(&path));
    assert_eq!(code(&o), 1);

    // A file or keys that cannot be read: exit 3.
    let o = run(zkpension(tmp.path())
        .args(["verify", "--keys"])
        .arg(keys_dir())
        .arg(tmp.path().join("missing.json")));
    assert_eq!(code(&o), 3);
    let o = run(zkpension(tmp.path())
        .args(["verify", "--keys"])
        .arg(tmp.path().join("no-keys"))
        .arg(&good));
    assert_eq!(code(&o), 3);
}

#[test]
fn without_keys_nothing_is_generated_and_the_error_says_where_keys_come_from() {
    // Only `setup` and `demo` make keys: a member's keys are the chain's.
    let home = tempfile::tempdir().unwrap();
    let good = proof_file(home.path(), Statement::Contribute);
    let o = run(zkpension(home.path()).arg("verify").arg(&good));
    let err = stderr(&o);
    assert_eq!(code(&o), 3, "{err}");
    assert!(
        err.contains("no keys in") && err.contains("zkpension keys fetch --node URL"),
        "{err}"
    );
    assert!(!home.path().join("keys").exists());
}

#[test]
fn export_snarkjs_writes_three_files() {
    let tmp = tempfile::tempdir().unwrap();
    let good = proof_file(tmp.path(), Statement::Claim);
    let out = tmp.path().join("snarkjs");
    let o = run(zkpension(tmp.path())
        .args(["export-snarkjs", "--json", "--keys"])
        .arg(keys_dir())
        .arg("--proof")
        .arg(&good)
        .arg("--out")
        .arg(&out));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    for name in ["verification_key", "proof", "public"] {
        let path = v[name].as_str().unwrap();
        assert!(Path::new(path).exists(), "{path}");
    }
    let public: Vec<String> =
        serde_json::from_slice(&std::fs::read(out.join("public.json")).unwrap()).unwrap();
    assert_eq!(public.len(), Statement::Claim.num_public_inputs());

    // An invalid proof is refused with exit code 1.
    let mut file: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&good).unwrap()).unwrap();
    file["public_inputs"][4] = format!("0x{:064x}", 7).into();
    let bad = tmp.path().join("bad.json");
    std::fs::write(&bad, serde_json::to_vec(&file).unwrap()).unwrap();
    let o = run(zkpension(tmp.path())
        .args(["export-snarkjs", "--keys"])
        .arg(keys_dir())
        .arg("--proof")
        .arg(&bad)
        .arg("--out")
        .arg(tmp.path().join("out2")));
    assert_eq!(code(&o), 1, "{}", stderr(&o));
}

#[test]
fn the_demo_tells_the_whole_story_and_the_books_balance() {
    let home = tempfile::tempdir().unwrap();
    let data = home.path().join("demo");
    let o = run(zkpension(home.path())
        .args(["demo", "--json", "--keys"])
        .arg(keys_dir())
        .arg("--data")
        .arg(&data));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let v = json(&o);
    let events = v["events"].as_array().unwrap();
    let count = |kind: &str| events.iter().filter(|e| e["event"] == kind).count();
    assert_eq!(count("enroll"), 3);
    assert_eq!(count("attest"), 1);
    assert!(count("contribute") >= 6, "{events:?}");
    assert!(count("claim") >= 3, "{events:?}");
    // The cap, the early claim, the second claim in one epoch and the
    // heir's inheritance before the dormancy are refused.
    assert_eq!(count("refused"), 4, "{events:?}");
    // Carol names Dana as heir; Dana inherits Carol's whole balance once
    // the account has been dormant for 3 epochs, and the books still balance.
    assert_eq!(count("name_heir"), 1, "{events:?}");
    let early = events
        .iter()
        .find(|e| e["event"] == "refused" && e["what"] == "inherit")
        .unwrap();
    let inherit = events.iter().find(|e| e["event"] == "inherit").unwrap();
    let last_active = inherit["member_last_active"].as_u64().unwrap();
    assert_eq!(
        early["dormant_from"].as_u64(),
        Some(last_active + 3),
        "{early}"
    );
    assert!(
        inherit["epoch"].as_u64().unwrap() >= last_active + 3,
        "{inherit}"
    );
    let carol = v["summary"]["members_private_view"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member"] == "carol")
        .unwrap();
    assert_eq!(carol["closed"], true, "{carol}");
    assert_eq!(carol["inherited"]["amount"], inherit["amount"], "{carol}");
    let checks = &v["summary"]["checks"];
    assert_eq!(checks["pool_equals_in_plus_matched_minus_out"], true);
    // The state's deposit of 200.00 is matched 50 cents per unit: bob's
    // 600.00 gets what is left, 200.00 of 300.00, and carol's 100.00 after
    // it gets nothing.
    assert_eq!(count("deposit"), 1);
    let matched: Vec<u64> = events
        .iter()
        .filter(|e| e["event"] == "contribute")
        .map(|e| e["matched"].as_u64().unwrap())
        .collect();
    assert_eq!(matched.iter().sum::<u64>(), 20_000, "{matched:?}");
    assert_eq!(matched[matched.len() - 2..], [20_000, 0]);
    let sub = &v["summary"]["public_ledger"]["subsidy"];
    assert_eq!(
        (sub["funded"].as_u64(), sub["matched"].as_u64()),
        (Some(20_000), Some(20_000))
    );
    assert_eq!(sub["available"], 0);
    assert_eq!(checks["pool_equals_sum_of_private_balances"], true);
    // The paying agent reads every claim's recipient; the ledger stores none
    // of them in clear (its block files are searched for the text).
    let payouts = v["summary"]["paying_agent_view"].as_array().unwrap();
    assert_eq!(
        payouts.len(),
        count("claim") + count("inherit"),
        "{payouts:?}"
    );
    for p in payouts {
        assert!(p["recipient"]
            .as_str()
            .unwrap()
            .starts_with("bank account of "));
    }
    let mut stored = Vec::new();
    for e in std::fs::read_dir(&data).unwrap() {
        let path = e.unwrap().path();
        if path.is_file() {
            stored.extend(std::fs::read(&path).unwrap());
        }
    }
    assert!(!stored.is_empty());
    assert!(
        !stored.windows(15).any(|w| w == b"bank account of"),
        "a recipient is stored in clear"
    );
    assert!(
        !stored.windows(7).any(|w| w == b"payroll"),
        "a payment reference is stored in clear"
    );
    // Bob lost his wallet file and recovered the account from his phrase:
    // every transaction replayed, then a claim made with the recovered wallet.
    let recover = events.iter().find(|e| e["event"] == "recover").unwrap();
    assert!(
        recover["transactions_replayed"].as_u64().unwrap() >= 5,
        "{recover}"
    );
    let bob_claims = |after: bool| {
        let at = events.iter().position(|e| e["event"] == "recover").unwrap();
        events
            .iter()
            .enumerate()
            .filter(|(i, e)| (*i > at) == after && e["event"] == "claim" && e["member"] == "bob")
            .count()
    };
    assert_eq!(bob_claims(true), 1, "{events:?}");
    // The members' wallets are files beside the node's data.
    for name in ["alice", "bob-recovered", "carol"] {
        assert!(data.join("wallets").join(format!("{name}.json")).exists());
    }
    assert!(!data.join("wallets").join("bob.json").exists());
    // The authority schedules a 10% raise two epochs ahead; a 50% one is refused.
    let change = events.iter().find(|e| e["event"] == "set_params").unwrap();
    assert_eq!(change["cap"], 110_000, "{change}");
    assert_eq!(change["effective_epoch"], 4, "{change}");
    assert_eq!(
        change["refused"]["code"], "param_step_too_large",
        "{change}"
    );
}

#[test]
fn version_names_the_protocol_and_the_keys_and_completions_are_printed() {
    let home = tempfile::tempdir().unwrap();
    let o = run(zkpension(home.path())
        .arg("--version")
        .env("ZKPENSION_KEYS", keys_dir()));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    let manifest = KeyManifest::read(keys_dir()).unwrap();
    let text = stdout(&o);
    assert!(text.contains("protocol version 1"), "{text}");
    for e in manifest.statements.values() {
        assert!(text.contains(&e.vk_id), "{text}");
    }
    let o = run(zkpension(home.path()).args(["completions", "bash"]));
    assert_eq!(code(&o), 0, "{}", stderr(&o));
    assert!(stdout(&o).contains("_zkpension()"), "{}", stdout(&o));
    let o = run(zkpension(home.path()).args(["completions", "tcsh"]));
    assert_eq!(code(&o), 2, "an unknown shell is a usage error");
}
