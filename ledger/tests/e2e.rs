//! End to end through the `zkpension-node` binary and its HTTP API, with real
//! proofs: keys and genesis made with the binary, two members who sync the
//! tree from compact blocks, enroll, contribute over two epochs, claim and
//! attest; a double spend refused; a graceful restart at the same state.

use crate::common;

use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::tree::MerkleTree;
use zkpension_core::keyfile::{Role, RoleKey};
use zkpension_core::tx::{AdvanceEpoch, Enroll};
use zkpension_core::Transaction;

pub fn node_bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_zkpension-node"))
}

/// Runs the binary to completion; returns its stdout.
fn run_ok(args: &[&str]) -> String {
    let out = node_bin().args(args).output().unwrap();
    assert!(
        out.status.success(),
        "zkpension-node {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

struct Running {
    child: Child,
    url: String,
}

/// Starts `zkpension-node run` on a free port; returns once it listens.
fn spawn(data: &Path, interval_ms: u64) -> Running {
    let mut child = node_bin()
        .args([
            "run",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--block-interval-ms",
            &interval_ms.to_string(),
            "--threads",
            "2",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let line = common::first_stdout_line(&mut child);
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    assert_eq!(v["event"], "listening");
    Running {
        child,
        url: v["url"].as_str().unwrap().to_string(),
    }
}

fn answer(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    (status, resp.into_json().unwrap())
}

impl Running {
    fn get(&self, path: &str) -> Value {
        let (code, v) = answer(ureq::get(&format!("{}{path}", self.url)).call());
        assert_eq!(code, 200, "{path}: {v}");
        v
    }

    fn submit(&self, tx: &Transaction) -> (u16, Value) {
        answer(ureq::post(&format!("{}/v1/tx", self.url)).send_json(tx))
    }

    fn submit_ok(&self, tx: &Transaction) {
        let (code, v) = self.submit(tx);
        assert_eq!(code, 202, "{v}");
    }

    fn wait_included(&self, txs: &[&Transaction]) {
        let deadline = Instant::now() + Duration::from_secs(60);
        for tx in txs {
            loop {
                let v = self.get(&format!("/v1/tx/{}", tx.id()));
                if v["status"] == "included" {
                    break;
                }
                assert_eq!(v["status"], "pending", "{v}");
                assert!(Instant::now() < deadline, "not included: {v}");
                std::thread::sleep(Duration::from_millis(25));
            }
        }
    }

    /// A wallet's view of the tree: every commitment, from compact blocks.
    fn sync(&self) -> MerkleTree {
        let tip = self.get("/v1/status")["height"].as_u64().unwrap();
        let mut tree = MerkleTree::new();
        let mut from = 1;
        while from <= tip {
            let v = self.get(&format!("/v1/compact?from={from}&to={tip}"));
            for b in v["blocks"].as_array().unwrap() {
                assert_eq!(b["leaf_start"].as_u64().unwrap(), tree.len());
                for cm in b["commitments"].as_array().unwrap() {
                    tree.append(field::from_hex(cm.as_str().unwrap()).unwrap())
                        .unwrap();
                }
                assert_eq!(
                    field::to_hex(&tree.root()),
                    b["tree_root"].as_str().unwrap(),
                    "the wallet's tree matches the header"
                );
                from = b["height"].as_u64().unwrap() + 1;
            }
        }
        tree
    }

    fn terminate(mut self) {
        let status = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .unwrap();
        assert!(status.success());
        let exit = self.child.wait().unwrap();
        assert!(exit.success(), "graceful shutdown: {exit}");
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn two_members_through_the_node_binary() {
    let keys = fixture();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let data = d.join("node");

    // Registrar and authority key files (as `zkpension registrar|authority
    // keygen` writes them); init reads their public keys.
    let key_file = |role: Role, name: &str| -> (RoleKey, std::path::PathBuf) {
        let key = RoleKey::generate(role);
        let path = d.join(name);
        std::fs::write(&path, key.to_json().as_bytes()).unwrap();
        (key, path)
    };
    let (registrar_key, registrar_file) = key_file(Role::Registrar, "registrar.key");
    let (authority_key, _) = key_file(Role::Authority, "authority.key");
    let registrar_pk = registrar_file.to_str().unwrap().to_string();
    // A public key given in hex, without 0x, is taken as well.
    let authority_pk = authority_key.public_key().to_hex()[2..].to_string();
    // A secret key pasted for a public key is refused while its file is in sight.
    let secret = hex::encode(authority_key.key.as_bytes());
    let refused = node_bin()
        .current_dir(d)
        .args(["init", "--data", data.to_str().unwrap(), "--keys"])
        .arg(&keys.keys_dir)
        .args([
            "--chain",
            "x",
            "--registrar",
            &registrar_pk,
            "--authority",
            &secret,
        ])
        .args(["--cap", "1", "--min-periods", "1", "--divisor", "1"])
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(
        String::from_utf8_lossy(&refused.stderr).contains("SECRET key"),
        "{}",
        String::from_utf8_lossy(&refused.stderr)
    );
    assert!(!data.exists(), "a refused init writes nothing");

    let genesis: Value = serde_json::from_str(&run_ok(&[
        "init",
        "--data",
        data.to_str().unwrap(),
        "--keys",
        keys.keys_dir.to_str().unwrap(),
        "--chain",
        "zkpension-test",
        "--registrar",
        &registrar_pk,
        "--authority",
        &authority_pk,
        "--cap",
        "10.00",
        "--min-periods",
        "1",
        "--divisor",
        "4",
        "--json",
    ]))
    .unwrap();
    assert_eq!(genesis["verifying_keys"], json!(keys.vk_ids()));
    assert_eq!(genesis["chain_id"], json!(chain_id()));
    // init refuses an initialized directory.
    assert!(!node_bin()
        .args([
            "init",
            "--data",
            data.to_str().unwrap(),
            "--keys",
            keys.keys_dir.to_str().unwrap(),
            "--chain",
            "x",
            "--registrar",
            &registrar_pk,
            "--authority",
            &authority_pk,
            "--cap",
            "1",
            "--min-periods",
            "1",
            "--divisor",
            "1",
        ])
        .status()
        .unwrap()
        .success());

    let node = spawn(&data, 100);

    // The member's first day: the key manifest and the proving keys, as init
    // copied them.
    let manifest = ureq::get(&format!("{}/v1/keys", node.url))
        .call()
        .unwrap()
        .into_string()
        .unwrap();
    assert_eq!(
        manifest,
        std::fs::read_to_string(keys.keys_dir.join("manifest.json")).unwrap()
    );
    let manifest: Value = serde_json::from_str(&manifest).unwrap();
    let pk_file = manifest["statements"]["contribute"]["pk_file"]
        .as_str()
        .unwrap();
    let mut pk = Vec::new();
    use std::io::Read;
    ureq::get(&format!("{}/v1/keys/{pk_file}", node.url))
        .call()
        .unwrap()
        .into_reader()
        .read_to_end(&mut pk)
        .unwrap();
    assert_eq!(pk, std::fs::read(keys.keys_dir.join(pk_file)).unwrap());

    let mut a = Member::new(21, 2);
    let mut b = Member::new(22, 3);
    let enroll = |m: &Member| -> Transaction {
        Enroll::sign(&chain_id(), m.note.commit(), &registrar_key.key).into()
    };
    let (ea, eb) = (enroll(&a), enroll(&b));
    node.submit_ok(&ea);
    node.submit_ok(&eb);
    node.wait_included(&[&ea, &eb]);

    // Epoch 1: both contribute.
    let tree = node.sync();
    a.locate(&tree);
    b.locate(&tree);
    let (ca, na) = a.contribute(&tree, 600, 1, 1000, b"employer A");
    let (cb, nb) = b.contribute(&tree, 300, 1, 1000, b"employer B");
    node.submit_ok(&ca);
    node.submit_ok(&cb);
    node.wait_included(&[&ca, &cb]);
    let spent_note = a.clone();
    a.note = na;
    b.note = nb;

    // Epoch 2, by the authority.
    let adv: Transaction = AdvanceEpoch::sign(&chain_id(), 2, 0, &authority_key.key).into();
    node.submit_ok(&adv);
    node.wait_included(&[&adv]);
    assert_eq!(node.get("/v1/status")["epoch"], 2);

    // a claims (eligible from 2, one period), b attests.
    let tree = node.sync();
    a.locate(&tree);
    b.locate(&tree);
    let (claim, _) = a.claim(&tree, 2, 1, 4, b"IBAN A");
    let context = Fr::from(31337u64);
    let (att, _) = b.attest(&tree, 2, context, 300, 1, false, b"landlord challenge");
    node.submit_ok(&claim);
    node.submit_ok(&att);
    node.wait_included(&[&claim, &att]);

    let s = node.get("/v1/status");
    // ceil(600 / 4) = 150 paid to a.
    assert_eq!(
        s["totals"],
        json!({"contributed": 900, "paid_out": 150, "pool": 750})
    );
    assert_eq!(s["nullifier_count"], 4);
    assert_eq!(s["leaf_count"], 6);
    let Transaction::Contribute(c) = &ca else {
        panic!()
    };
    let n = node.get(&format!(
        "/v1/nullifiers/{}",
        field::to_hex(&c.body.spend.nf.to_field())
    ));
    assert_eq!(n["spent"], true);
    let list = node.get(&format!("/v1/attestations/{}", field::to_hex(&context)));
    assert_eq!(list["attestations"][0]["min_balance"], 300);
    assert_eq!(list["attestations"][0]["tx_id"], json!(att.id()));

    // The spent note cannot pay again.
    let tree = node.sync();
    let mut old = spent_note;
    old.locate(&tree);
    let (double, _) = old.contribute(&tree, 10, 2, 1000, b"employer A");
    let (code, v) = node.submit(&double);
    assert_eq!((code, &v["code"]), (422, &json!("nullifier_spent")), "{v}");

    // Graceful stop and restart: the same state.
    let root = s["state_root"].clone();
    let height = s["height"].clone();
    node.terminate();
    let node = spawn(&data, 100);
    let s = node.get("/v1/status");
    assert_eq!((&s["state_root"], &s["height"]), (&root, &height));
    assert_eq!(node.sync().root(), tree.root());
}
