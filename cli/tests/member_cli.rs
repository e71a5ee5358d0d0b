//! The member, registrar and authority commands of the `zkpension` binary
//! against an embedded node: keygen, enroll, approve, sync, contribute (and the
//! cap refusal in the member's terms, exit code 1), advance-epoch, claim,
//! `tx export` and `verify`, attest and `check-attestation`, balance, and a
//! transaction written to a file and held, then sent with `submit` (made with
//! keys whose prover tables must be rebuilt).

use crate::common;

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::Duration;

use common::{copy_of_keys, keys_dir};
use zkpension_circuits::binding::ChainId;
use zkpension_core::genesis::GenesisParams;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::subsidy::{Funder, Subsidy};
use zkpension_core::Genesis;
use zkpension_ledger::{Node, NodeConfig};
use zkpension_verifier::VerifierKeys;

fn zkpension(home: &Path, node: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_zkpension"));
    c.env("ZKPENSION_HOME", home)
        .env("ZKPENSION_KEYS", keys_dir())
        .env("ZKPENSION_NODE", node)
        .env_remove("ZKPENSION_WALLET")
        .env_remove("ZKPENSION_THREADS")
        .stdin(Stdio::null());
    c
}

/// `zkpension ARGS` run in `home` (relative file names are `home`'s).
fn zkpension_in(home: &Path, node: &str, args: &[&str]) -> Command {
    let mut c = zkpension(home, node);
    c.current_dir(home).args(args);
    c
}

fn ok(c: &mut Command) -> serde_json::Value {
    let o = c.arg("--json").output().unwrap();
    assert!(o.status.success(), "{}", show(&o));
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", show(&o)))
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\nstdout: {}\nstderr: {}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn public_key(v: &serde_json::Value) -> [u8; 32] {
    hex::decode(v["public_key"].as_str().unwrap().trim_start_matches("0x"))
        .unwrap()
        .try_into()
        .unwrap()
}

/// The tests' chain: cap 5.00, one contributing epoch, divisor 2.
fn test_genesis(name: &str, registrar: [u8; 32], authority: [u8; 32]) -> Genesis {
    let ids = VerifierKeys::load_dir(keys_dir()).unwrap().ids();
    Genesis {
        chain_id: ChainId::from_name(name),
        registrar: FixedBytes(registrar),
        authority: FixedBytes(authority),
        params: GenesisParams {
            cap: 500,
            min_periods: 1,
            divisor: 2,
            anchor_window: 64,
        },
        initial_epoch: 1,
        paying_agent: None,
        ceremony: None,
        governance: None,
        subsidy: None,
        dormancy: None,
        verifying_keys: ids.into_iter().map(|(s, id)| (s, FixedBytes(id))).collect(),
    }
}

/// A genesis for `name` whose registrar and authority keys the CLI made in
/// `home` (`registrar.key`, `authority.key`).
fn genesis_with_cli_keys(home: &Path, name: &str) -> Genesis {
    let z = |args: &[&str]| ok(&mut zkpension_in(home, "", args));
    let reg = z(&["registrar", "keygen", "--out", "registrar.key"]);
    let auth = z(&["authority", "keygen", "--out", "authority.key"]);
    test_genesis(name, public_key(&reg), public_key(&auth))
}

/// A node on `genesis`, its data in `home/node`, a block every 20 ms.
fn start_node(home: &Path, genesis: Genesis) -> Node {
    let mut config = NodeConfig::new(home.join("node"), genesis, keys_dir().to_path_buf());
    config.block_interval = Duration::from_millis(20);
    Node::start(config).unwrap()
}

/// A new default wallet in `home`, enrolled by the registrar (eligible from
/// epoch `eligible`) and synced.
fn enroll_new_member(home: &Path, url: &str, eligible: &str) {
    let z = |args: &[&str]| ok(&mut zkpension_in(home, url, args));
    z(&["wallet", "new"]);
    z(&[
        "enroll",
        "--eligible-epoch",
        eligible,
        "--out",
        "me.enroll.json",
    ]);
    z(&[
        "registrar",
        "approve",
        "--expect-eligible-epoch",
        eligible,
        "--request",
        "me.enroll.json",
        "--key",
        "registrar.key",
    ]);
    z(&["sync"]);
}

#[test]
fn member_registrar_and_authority_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let z = |node: &str| zkpension(home, node);
    let reg = ok(z("")
        .args(["registrar", "keygen", "--out"])
        .arg(home.join("registrar.key")));
    let auth = ok(z("")
        .args(["authority", "keygen", "--out"])
        .arg(home.join("authority.key")));
    // The public key can be read back from the file.
    let pk = ok(z("")
        .args(["authority", "pubkey", "--key"])
        .arg(home.join("authority.key")));
    assert_eq!(pk["public_key"], auth["public_key"]);
    // A key file is never overwritten (`admin` is the old name of `authority`).
    let again = z("")
        .args(["admin", "keygen", "--out"])
        .arg(home.join("authority.key"))
        .output()
        .unwrap();
    assert_eq!(again.status.code(), Some(3), "{}", show(&again));

    let genesis = test_genesis("cli-test", public_key(&reg), public_key(&auth));
    let mut config = NodeConfig::new(home.join("node"), genesis, keys_dir().to_path_buf());
    config.block_interval = Duration::from_millis(20);
    let node = Node::start(config).unwrap();
    let url = node.url();
    let z = |args: &[&str]| {
        let mut c = zkpension(home, &url);
        c.args(args);
        c
    };

    let created = ok(&mut z(&["wallet", "new"]));
    let phrase = created["phrase"].as_str().unwrap().to_string();
    assert_eq!(phrase.split(' ').count(), 24, "{created}");
    let req = home.join("me.enroll.json");
    ok(z(&["enroll", "--eligible-epoch", "2", "--out"]).arg(&req));
    ok(z(&[
        "registrar",
        "approve",
        "--expect-eligible-epoch",
        "2",
        "--request",
    ])
    .arg(&req)
    .arg("--key")
    .arg(home.join("registrar.key")));
    ok(&mut z(&["sync"]));
    let v = ok(&mut z(&[
        "contribute",
        "--cents",
        "300",
        "--payer-ref",
        "nov",
    ]));
    assert_eq!(v["balance"], 300);
    // Over the cap of 5.00 this epoch: refused in the member's terms, exit
    // code 1, nothing submitted.
    let o = z(&["contribute", "--amount", "2.01"]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains(
            "2.01 is more than you can pay this epoch: you can pay 2.00 more (cap 5.00, paid 3.00)"
        ),
        "{}",
        show(&o)
    );
    // An amount that is not one, and a payment reference the ledger cannot
    // hold: usage errors (2) before anything is proved.
    for bad in [
        vec!["contribute", "--amount", "2.001"],
        vec!["contribute", "--amount", "250,5"],
        vec!["contribute", "--cents", "5", "--amount", "1.00"],
    ] {
        let o = z(&bad).output().unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", show(&o));
    }
    let long_ref = "x".repeat(1025);
    let o = z(&["contribute", "--amount", "1.00", "--payer-ref", &long_ref])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("at most 1024"),
        "{}",
        show(&o)
    );
    let o = z(&["sync", "--node", "http://no host:80"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));

    // Keys without prover tables (the default of `setup`) prove without
    // them; `keys tables` writes them.
    let lean = copy_of_keys(&home.join("lean"));
    let lean_tables = lean.join("contribute.tables");
    std::fs::remove_file(&lean_tables).unwrap();
    let v = ok(z(&["keys", "tables", "--keys"]).arg(&lean));
    let states: Vec<_> = v["tables"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["statement"].as_str().unwrap().to_string(),
                t["state"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert!(
        states.contains(&("contribute".into(), "written".into())),
        "{v}"
    );
    assert!(states.contains(&("claim".into(), "present".into())), "{v}");
    assert!(lean_tables.is_file());

    // Written to a file and held: sync does not submit it, `submit` does. With
    // keys whose prover tables are damaged: the proof still comes, and the
    // user is told that the tables were rebuilt and saved.
    let keys = copy_of_keys(home);
    let tables = keys.join("contribute.tables");
    let mut bytes = std::fs::read(&tables).unwrap();
    let at = bytes.len() / 2;
    bytes[at] ^= 1;
    std::fs::remove_file(&tables).unwrap();
    std::fs::write(&tables, &bytes).unwrap();
    let file = home.join("tx.hex");
    let o = z(&["contribute", "--amount", "2", "--json", "--out"])
        .arg(&file)
        .arg("--keys")
        .arg(&keys)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", show(&o));
    let note = String::from_utf8_lossy(&o.stderr);
    assert!(
        note.contains("contribute prover tables were not usable")
            && note.contains("saved them for the next run"),
        "{}",
        show(&o)
    );
    assert!(tables.exists());
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(v["included_at"].is_null());
    assert!(file.exists());
    assert_eq!(v["held"], true);
    let v = ok(&mut z(&["sync"]));
    assert_eq!(v["report"]["resubmitted"].as_array().unwrap().len(), 0);
    let b = ok(&mut z(&["balance"]));
    assert_eq!(b["balance"], 300);
    assert_eq!(b["pending"][0]["held"], true);
    let v = ok(z(&["submit"]).arg(&file));
    assert!(v["included_at"].as_u64().is_some(), "{v}");
    let b = ok(&mut z(&["balance"]));
    assert_eq!(b["balance"], 500);
    assert_eq!(b["pending"].as_array().unwrap().len(), 0);

    ok(z(&["authority", "advance-epoch", "--key"]).arg(home.join("authority.key")));
    let v = ok(&mut z(&["claim", "--recipient", "my bank"]));
    assert_eq!(v["pension"], 250);
    assert_eq!(v["balance"], 250);
    let claim_id = v["tx_id"].as_str().unwrap().to_string();
    // Its proof file, from the chain, verifies.
    let proof = home.join("claim.proof.json");
    ok(z(&["tx", "export", &claim_id, "--out"]).arg(&proof));
    let v = ok(z(&["verify"]).arg(&proof));
    assert_eq!(v["statement"], "claim");
    // An attestation, and the relying party's checks of it.
    let v = ok(&mut z(&[
        "attest",
        "--context",
        "landlord:flat-12",
        "--min-balance",
        "2.00",
        "--message",
        "challenge 7f3a",
    ]));
    let tag = v["attestation"]["tag"].as_str().unwrap().to_string();
    let check = |extra: &[&str]| {
        let mut c = z(&["check-attestation", "--context", "landlord:flat-12"]);
        c.args(extra);
        c
    };
    let v = ok(&mut check(&[
        "--tag",
        &tag,
        "--min-balance",
        "2.00",
        "--message",
        "challenge 7f3a",
    ]));
    assert_eq!(v["proof_rechecked"], true);
    for (extra, why) in [
        (vec!["--min-balance", "2.01"], "you ask for 2.01"),
        (
            vec!["--message", "another challenge"],
            "not \"another challenge\"",
        ),
        (vec!["--require-eligible"], "does not prove eligibility"),
    ] {
        let o = check(&extra).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", show(&o));
        assert!(
            String::from_utf8_lossy(&o.stderr).contains(why),
            "{}",
            show(&o)
        );
    }
    let o = check(&["--tag", &format!("0x{}", "11".repeat(32))])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    let b = ok(&mut z(&["balance"]));
    assert_eq!(b["balance"], 250);
    assert_eq!(b["pension"], 250);
    assert_eq!(b["pending"].as_array().unwrap().len(), 0);

    // The registrar's key cannot sign an authority command: the key file says
    // whose key it is, and the command refuses it before signing anything.
    let o = z(&["authority", "advance-epoch", "--key"])
        .arg(home.join("registrar.key"))
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("holds the registrar key"),
        "{}",
        show(&o)
    );

    // Three contributions at once on one wallet: each process holds the
    // wallet's lock for its whole run, so the others are refused with the
    // holder's pid, and nothing is lost: the balance counts exactly the ones
    // that succeeded.
    let mut children: Vec<_> = (0..3)
        .map(|_| {
            z(&["contribute", "--cents", "10"])
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap()
        })
        .collect();
    let outputs: Vec<Output> = children
        .drain(..)
        .map(|c| c.wait_with_output().unwrap())
        .collect();
    let done = outputs.iter().filter(|o| o.status.success()).count();
    assert!(done >= 1, "no contribution went through");
    for o in outputs.iter().filter(|o| !o.status.success()) {
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(err.contains("is in use by"), "{}", show(o));
    }
    ok(&mut z(&["sync"]));
    let b = ok(&mut z(&["balance"]));
    assert_eq!(b["balance"], 250 + 10 * done as u64, "{b}");
    assert_eq!(b["pending"].as_array().unwrap().len(), 0);

    // Parameters the ledger would refuse are usage errors (2).
    for bad in [
        ["--cap", "0", "--divisor", "3"],
        ["--cap", "1.00", "--divisor", "0"],
    ] {
        let o = z(&["authority", "set-params", "--min-periods", "1"])
            .args(bad)
            .arg("--key")
            .arg(home.join("authority.key"))
            .output()
            .unwrap();
        assert_eq!(o.status.code(), Some(2), "{bad:?}: {}", show(&o));
    }

    // A copy of the wallet holds a spend of the same note that loses the
    // race: the copy drops its own spend and follows the winner, whose note
    // it derives from the key and the public amount.
    let copy = home.join("copy.json");
    std::fs::copy(home.join("wallet.json"), &copy).unwrap();
    let copy = copy.to_str().unwrap();
    let held = home.join("held.json");
    ok(z(&["contribute", "--cents", "5", "--wallet", copy, "--out"]).arg(&held));
    ok(&mut z(&["contribute", "--cents", "7"]));
    let synced = ok(&mut z(&["sync", "--wallet", copy]));
    assert_eq!(synced["report"]["followed"], 1, "{synced}");
    let b = ok(&mut z(&["balance", "--wallet", copy]));
    let main = ok(&mut z(&["balance"]));
    assert_eq!(b["spent_elsewhere"], false, "{b}");
    assert_eq!(b["balance"], main["balance"], "{b}");
    assert_eq!(b["pending"], serde_json::json!([]), "{b}");

    // The wallet file lost: the 24 words and the chain give it back, with
    // its history. A phrase with a broken checksum writes nothing.
    let recovered = home.join("recovered.json");
    let recover_to = |to: &std::path::Path, words: &str, extra: &[&str]| {
        let mut c = zkpension(home, &url);
        c.args(["wallet", "recover", "--json", "--wallet"])
            .arg(to)
            .args(extra)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        let mut child = c.spawn().unwrap();
        use std::io::Write;
        // A child that stops before reading the phrase closes the pipe; its
        // exit status and output then say why (asserted by the caller).
        let _ = child
            .stdin
            .take()
            .unwrap()
            .write_all(format!("{words}\n").as_bytes());
        child.wait_with_output().unwrap()
    };
    let recover = |words: &str| recover_to(&recovered, words, &[]);
    let mut swapped: Vec<&str> = phrase.split(' ').collect();
    swapped.swap(0, 1);
    let o = recover(&swapped.join(" "));
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        show(&o).contains("checksum does not match") || show(&o).contains("not in the BIP-39"),
        "{}",
        show(&o)
    );
    assert!(!recovered.exists());
    let o = recover(&phrase.to_uppercase());
    assert!(o.status.success(), "{}", show(&o));
    let r: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(r["current_note"]["note"]["balance"], main["balance"], "{r}");
    let rec = recovered.to_str().unwrap();
    let history = |wallet: &str| ok(&mut z(&["history", "--wallet", wallet]))["history"].clone();
    let mine = history(home.join("wallet.json").to_str().unwrap());
    let theirs = history(rec);
    let kinds = |h: &serde_json::Value| {
        h.as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["kind"].clone(),
                    e["amount"].clone(),
                    e["commitment"].clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(kinds(&theirs), kinds(&mine));
    assert_eq!(mine[0]["kind"], "enroll", "{mine}");
    // With a birthday before the enrollment: the same account, read from
    // there on. At the enrollment's block or later: not found, nothing
    // written; above the tip: refused.
    let enrolled_at = mine[0]["height"].as_u64().unwrap();
    assert_eq!(r["enrolled_at"], enrolled_at, "{r}");
    let early = home.join("early.json");
    let before = (enrolled_at - 1).to_string();
    let o = recover_to(&early, &phrase, &["--birthday", &before]);
    assert!(o.status.success(), "{}", show(&o));
    let e: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(e["current_note"], r["current_note"], "{e}");
    assert_eq!(kinds(&history(early.to_str().unwrap())), kinds(&mine));
    let late = home.join("late.json");
    let at = enrolled_at.to_string();
    let o = recover_to(&late, &phrase, &["--birthday", &at]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(show(&o).contains("after the birthday"), "{}", show(&o));
    assert!(!late.exists());
    let o = recover_to(&late, &phrase, &["--birthday", "99999999"]);
    assert!(!o.status.success(), "{}", show(&o));
    assert!(show(&o).contains("above the node's tip"), "{}", show(&o));
    assert!(!late.exists());
    // Recovering over an existing file is refused (exit 3).
    let o = recover(&phrase);
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));

    // A viewing key: a watch-only wallet with the same balance that can
    // prove nothing.
    let vk = home.join("view.json");
    ok(z(&["wallet", "export-viewing-key", "--out"]).arg(&vk));
    let watch = home.join("watch.json");
    let w = ok(z(&["wallet", "watch", "--viewing-key"])
        .arg(&vk)
        .arg("--wallet")
        .arg(&watch));
    assert_eq!(w["watch_only"], true, "{w}");
    let watch = watch.to_str().unwrap();
    assert_eq!(
        ok(&mut z(&["balance", "--wallet", watch]))["balance"],
        main["balance"]
    );
    let o = z(&["contribute", "--cents", "1", "--json", "--wallet", watch])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert!(show(&o).contains("watch-only"), "{}", show(&o));

    // The books, re-checked from the public data: every proof and rule
    // agrees with the node. A node that serves a block with a changed
    // contribution is caught at that block, exit 1.
    let v = ok(&mut z(&["audit"]));
    assert_eq!(v["agrees"], true, "{v}");
    let status: serde_json::Value = ureq::get(&format!("{url}/v1/status"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();
    assert_eq!(v["summary"]["state_root"], status["state_root"], "{v}");
    assert_eq!(v["summary"]["money_in"], status["totals"]["contributed"]);
    assert!(v["summary"]["proofs_checked"].as_u64().unwrap() >= 5, "{v}");

    // An audit that continues from a checkpoint checks only the new blocks
    // and ends at the same state; an edited checkpoint is refused.
    let cp = home.join("fund.audit");
    let cp_arg = cp.to_str().unwrap();
    let first = ok(&mut z(&["audit", "--checkpoint", cp_arg]));
    assert_eq!(first["summary"]["from"], 1, "{first}");
    ok(&mut z(&["contribute", "--cents", "3"]));
    ok(&mut z(&["sync"]));
    let next = ok(&mut z(&["audit", "--checkpoint", cp_arg]));
    let h = first["summary"]["height"].as_u64().unwrap();
    assert_eq!(next["summary"]["from"], h + 1, "{next}");
    assert!(next["summary"]["height"].as_u64().unwrap() > h, "{next}");
    let full = ok(&mut z(&["audit"]));
    assert_eq!(next["summary"]["state_root"], full["summary"]["state_root"]);
    let mut edited: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&cp).unwrap()).unwrap();
    edited["scalars"]["total_contributed"] =
        (edited["scalars"]["total_contributed"].as_u64().unwrap() + 1).into();
    std::fs::write(&cp, serde_json::to_vec(&edited).unwrap()).unwrap();
    let o = z(&["audit", "--checkpoint", cp_arg]).output().unwrap();
    assert_eq!(o.status.code(), Some(3), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("does not check"),
        "{}",
        show(&o)
    );
    let liar = common::lying_proxy(url.clone(), |path, v| {
        if path.starts_with("/v1/blocks/") {
            for t in v["transactions"].as_array_mut().into_iter().flatten() {
                if t["tx"]["type"] == "contribute" {
                    t["tx"]["amount"] = (t["tx"]["amount"].as_u64().unwrap() + 1).into();
                }
            }
        }
    });
    let o = z(&["audit", "--node", &liar]).output().unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        String::from_utf8_lossy(&o.stderr).contains("disagrees"),
        "{}",
        show(&o)
    );

    // Nodes that serve a chain whose block 3 is broken in one way each, its
    // header hash recomputed so that only that one thing is wrong: the audit
    // names the height and the reason, exit 1.
    type Lie = fn(&mut serde_json::Value);
    let lies: [(&str, Lie); 3] = [
        ("prev_hash", |b| {
            b["header"]["prev_hash"] = format!("0x{}", "11".repeat(32)).into()
        }),
        ("state_root", |b| {
            b["header"]["state_root"] = format!("0x{}", "22".repeat(32)).into()
        }),
        ("proof", |b| {
            let t = b["transactions"]
                .as_array_mut()
                .unwrap()
                .iter_mut()
                .find(|t| t["tx"]["proof"].is_string())
                .expect("block 3 holds a proved transaction");
            let proof = t["tx"]["proof"].as_str().unwrap().to_string();
            // A well-formed proof that does not verify: C replaced by A
            // (A, B, C compressed: 32, 64 and 32 bytes).
            t["tx"]["proof"] = format!("0x{}{}", &proof[2..2 + 192], &proof[2..66]).into();
        }),
    ];
    let block3 = ureq::get(&format!("{url}/v1/blocks/3"))
        .call()
        .unwrap()
        .into_json::<serde_json::Value>()
        .unwrap();
    assert!(
        block3["transactions"]
            .as_array()
            .unwrap()
            .iter()
            .any(|t| t["tx"]["proof"].is_string()),
        "block 3 should hold a proof: {block3}"
    );
    for (reason, lie) in lies {
        let liar = common::lying_proxy(url.clone(), move |path, v| {
            if path == "/v1/blocks/3" {
                lie(v);
                let header: zkpension_core::BlockHeader =
                    serde_json::from_value(v["header"].clone()).unwrap();
                v["hash"] = serde_json::to_value(header.hash()).unwrap();
            }
        });
        let o = z(&["audit", "--node", &liar]).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{reason}: {}", show(&o));
        let err = String::from_utf8_lossy(&o.stderr);
        assert!(
            err.contains("block 3 disagrees") && err.contains(reason),
            "{reason}: {}",
            show(&o)
        );
    }
    node.shutdown().unwrap();
}

/// A 2-of-3 registrar made by a DKG through the CLI enrolls a member: the
/// registrar's check and the unsigned enrollment, two trustees' commitments
/// and shares, the aggregate submitted to the node, which knows only the
/// group's plain Ed25519 key. A third trustee's share alone signs nothing.
#[test]
fn a_threshold_registrar_enrolls_a_member() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let z = |node: &str, args: &[&str]| zkpension_in(home, node, args);
    let dkg = |args: &[&str]| {
        let mut all = vec!["registrar", "dkg"];
        all.extend_from_slice(args);
        ok(&mut z("", &all))
    };
    for i in ["1", "2", "3"] {
        dkg(&["round1", "--index", i, "--threshold", "2", "--signers", "3"]);
    }
    let round1 = [
        "registrar-round1-1.json",
        "registrar-round1-2.json",
        "registrar-round1-3.json",
    ];
    for i in ["1", "2", "3"] {
        let secret = format!("registrar-{i}.dkg1.secret.json");
        let mut args = vec!["round2", "--secret", secret.as_str(), "--round1"];
        args.extend_from_slice(&round1);
        dkg(&args);
    }
    let mut group = None;
    for i in ["1", "2", "3"] {
        let secret = format!("registrar-{i}.dkg2.secret.json");
        let others: Vec<String> = ["1", "2", "3"]
            .iter()
            .filter(|j| **j != i)
            .map(|j| format!("registrar-round2-{j}-to-{i}.json"))
            .collect();
        let mut args = vec!["finish", "--secret", secret.as_str(), "--round1"];
        args.extend_from_slice(&round1);
        args.push("--round2");
        args.extend(others.iter().map(String::as_str));
        let v = dkg(&args);
        assert_eq!(v["threshold"], 2, "{v}");
        // Every trustee finishes with the same key.
        assert_eq!(
            *group.get_or_insert(v["public_key"].clone()),
            v["public_key"]
        );
    }
    let group_key: [u8; 32] =
        hex::decode(group.unwrap().as_str().unwrap().trim_start_matches("0x"))
            .unwrap()
            .try_into()
            .unwrap();
    let auth = ok(&mut z(
        "",
        &["authority", "keygen", "--out", "authority.key"],
    ));
    let genesis = test_genesis("cli-threshold", group_key, public_key(&auth));
    let node = start_node(home, genesis);
    let url = node.url();
    let z = |args: &[&str]| z(&url, args);

    ok(&mut z(&["wallet", "new"]));
    ok(&mut z(&[
        "enroll",
        "--eligible-epoch",
        "2",
        "--out",
        "me.enroll.json",
    ]));
    let unsigned = ok(&mut z(&[
        "registrar",
        "approve",
        "--request",
        "me.enroll.json",
        "--expect-eligible-epoch",
        "2",
        "--unsigned-out",
        "enroll.unsigned.json",
    ]));
    let sign = |args: &[&str]| {
        let mut all = vec!["registrar", "sign"];
        all.extend_from_slice(args);
        z(&all)
    };
    for i in ["2", "3"] {
        let share = format!("registrar-{i}.share.json");
        ok(&mut sign(&["commit", "--share", share.as_str()]));
    }
    ok(&mut sign(&[
        "package",
        "--group",
        "registrar.group.json",
        "--tx",
        "enroll.unsigned.json",
        "--commitments",
        "registrar-commit-2.json",
        "registrar-commit-3.json",
    ]));
    // A share of trustee 2 alone is not a signature.
    let share = |i: &str| {
        let (s, n) = (
            format!("registrar-{i}.share.json"),
            format!("registrar-{i}.nonces.json"),
        );
        ok(&mut sign(&[
            "share",
            "--share",
            s.as_str(),
            "--nonces",
            n.as_str(),
            "--package",
            "registrar-package.json",
            "--tx",
            "enroll.unsigned.json",
            "--yes",
        ]))
    };
    share("2");
    let aggregate = |shares: &[&str]| {
        let mut args = vec![
            "aggregate",
            "--group",
            "registrar.group.json",
            "--package",
            "registrar-package.json",
            "--tx",
            "enroll.unsigned.json",
            "--shares",
        ];
        args.extend_from_slice(shares);
        sign(&args).arg("--json").output().unwrap()
    };
    let o = aggregate(&["registrar-sigshare-2.json"]);
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    share("3");
    let o = aggregate(&["registrar-sigshare-2.json", "registrar-sigshare-3.json"]);
    assert!(o.status.success(), "{}", show(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["tx_id"], unsigned["tx_id"], "{v}");
    assert!(v["included_at"].as_u64().unwrap() >= 1, "{v}");
    // The member's wallet finds its enrolled account.
    ok(&mut z(&["sync"]));
    let b = ok(&mut z(&["balance"]));
    assert_eq!(b["eligible_epoch"], 2, "{b}");
    node.shutdown().unwrap();
}

/// A state subsidy through the CLI: the funder's key in the genesis, a
/// deposit, contributions matched 50 cents per unit into the member's
/// balance until the pool runs dry, the totals in `status` and the deposit
/// in `governance`; a key that is not a funder's deposits nothing.
#[test]
fn a_state_subsidy_is_matched_into_the_balance() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let z = |node: &str, args: &[&str]| zkpension_in(home, node, args);
    let state = ok(&mut z("", &["funder", "keygen", "--out", "state.key"]));
    ok(&mut z("", &["funder", "keygen", "--out", "stranger.key"]));
    let mut genesis = genesis_with_cli_keys(home, "cli-subsidy");
    genesis.subsidy = Some(Subsidy {
        match_rate: 500,
        funders: vec![Funder {
            name: "state".into(),
            key: FixedBytes(public_key(&state)),
        }],
    });
    let node = start_node(home, genesis);
    let url = node.url();
    let z = |args: &[&str]| z(&url, args);

    let o = z(&[
        "funder",
        "deposit",
        "--key",
        "stranger.key",
        "--amount",
        "1.00",
    ])
    .output()
    .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", show(&o));
    assert!(
        show(&o).contains("not one of the chain's funders (state)"),
        "{}",
        show(&o)
    );
    let d = ok(&mut z(&[
        "funder",
        "deposit",
        "--key",
        "state.key",
        "--amount",
        "1.00",
    ]));
    assert_eq!(d["subsidy"]["available"], 100, "{d}");

    enroll_new_member(home, &url, "2");
    // 1.50 paid gets 0.75; 1.00 paid gets the 0.25 left; then nothing.
    for (cents, matched, balance) in [("150", 75, 225), ("100", 25, 350), ("50", 0, 400)] {
        let v = ok(&mut z(&[
            "contribute",
            "--cents",
            cents,
            "--payer-ref",
            "nov",
        ]));
        assert_eq!(
            (v["matched"].as_u64(), v["balance"].as_u64()),
            (Some(matched), Some(balance)),
            "{v}"
        );
    }
    let s = ok(&mut z(&["status"]));
    let totals = &s["status"]["totals"];
    assert_eq!(totals["contributed"], 300, "{s}");
    assert_eq!(totals["pool"], 400, "{s}");
    assert_eq!(totals["subsidy"]["matched"], 100, "{s}");
    assert_eq!(totals["subsidy"]["available"], 0, "{s}");
    let g = ok(&mut z(&["governance"]));
    let g = &g["governance"];
    assert_eq!(g["funders"][0]["deposits"], 1, "{g}");
    assert_eq!(g["history"][0]["action"], "deposited", "{g}");
    node.shutdown().unwrap();
}

/// A member names an heir with `--heir`; the heir watches the account with
/// its viewing key and, refused before the dormancy and refused as a
/// stranger, inherits it after; the member's wallet shows it closed.
#[test]
fn an_heir_inherits_through_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let home = dir.path();
    let z = |node: &str, args: &[&str]| zkpension_in(home, node, args);
    let mut genesis = genesis_with_cli_keys(home, "cli-heir");
    genesis.dormancy = Some(1);
    // The heir's recipient is sealed to the paying agent, who pays it.
    let agent = ok(&mut zkpension_in(
        home,
        "",
        &["agent", "keygen", "--out", "agent.key"],
    ));
    genesis.paying_agent = Some(FixedBytes(public_key(&agent)));
    let node = start_node(home, genesis);
    let url = node.url();
    let z = |args: &[&str]| z(&url, args);
    let refused = |args: &[&str], says: &str| {
        let o = z(args).output().unwrap();
        assert_eq!(o.status.code(), Some(1), "{}", show(&o));
        assert!(show(&o).contains(says), "{}", show(&o));
    };

    ok(&mut z(&["wallet", "new", "--wallet", "heir.json"]));
    ok(&mut z(&["wallet", "new", "--wallet", "cousin.json"]));
    let address = |file: &str| {
        ok(&mut z(&["wallet", "show", "--wallet", file]))["owner"]
            .as_str()
            .unwrap()
            .to_string()
    };
    let heir = address("heir.json");
    enroll_new_member(home, &url, "9");
    // A malformed address is a usage error before anything is proved.
    let o = z(&["contribute", "--cents", "100", "--heir", "0x12"])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(2), "{}", show(&o));
    let v = ok(&mut z(&["contribute", "--cents", "300", "--heir", &heir]));
    assert_eq!(v["heir"], heir.as_str(), "{v}");
    // Without --heir the heir is kept.
    let v = ok(&mut z(&["contribute", "--cents", "100"]));
    assert_eq!(v["heir"], heir.as_str(), "{v}");
    ok(&mut z(&[
        "wallet",
        "export-viewing-key",
        "--out",
        "me.view.json",
    ]));
    ok(&mut z(&[
        "wallet",
        "watch",
        "--viewing-key",
        "me.view.json",
        "--wallet",
        "watch.json",
    ]));
    let inherit = |wallet: &'static str| {
        vec![
            "inherit",
            "--wallet",
            wallet,
            "--watch",
            "watch.json",
            "--recipient",
            "heir's bank",
        ]
    };
    // Epoch 1, last active 1, dormancy 1: from epoch 2.
    refused(&inherit("heir.json"), "may inherit from epoch 2");
    ok(&mut z(&[
        "authority",
        "advance-epoch",
        "--key",
        "authority.key",
    ]));
    refused(&inherit("cousin.json"), "names another heir");
    let v = ok(&mut z(&inherit("heir.json")));
    assert_eq!(
        (v["amount"].as_u64(), v["epoch"].as_u64()),
        (Some(400), Some(2)),
        "{v}"
    );
    refused(&inherit("heir.json"), "already closed");
    let p = ok(&mut z(&["agent", "payouts", "--key", "agent.key"]));
    let row = &p["rows"].as_array().unwrap()[0];
    assert_eq!(
        (
            row["kind"].as_str(),
            row["amount"].as_u64(),
            row["detail"].as_str()
        ),
        (Some("inherit"), Some(400), Some("heir's bank")),
        "{p}"
    );
    // The member's wallet: closed, and says so.
    ok(&mut z(&["sync"]));
    let h = ok(&mut z(&["history"]));
    let last = h["history"].as_array().unwrap().last().unwrap().clone();
    assert_eq!(
        (last["kind"].as_str(), last["amount"].as_u64()),
        (Some("inherit"), Some(400)),
        "{h}"
    );
    refused(&["contribute", "--cents", "100"], "its heir inherited");
    let s = ok(&mut z(&["status"]));
    assert_eq!(s["status"]["totals"]["paid_out"], 400, "{s}");
    // An auditor re-verifies the heir's proof under the genesis's dormancy.
    let v = ok(&mut z(&["audit"]));
    assert_eq!(v["agrees"], true, "{v}");
    assert_eq!(v["summary"]["proofs_checked"], 3, "{v}");
    node.shutdown().unwrap();
}
