//! The HTTP API of an embedded node: shapes of the answers, client errors as
//! JSON 4xx, restart with the same state, queued transactions surviving a
//! restart.

use crate::common;

use common::sim::SimKeys;
use common::*;
use serde_json::{json, Value};
use std::path::Path;
use std::time::{Duration, Instant};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Attest, Contribute, Enroll};
use zkpension_core::tx::{AttestBody, Context, ContributeBody, SpendHeader};
use zkpension_core::{Genesis, Params, Transaction};
use zkpension_ledger::{Node, NodeConfig};

fn sim_genesis(sim: &SimKeys) -> Genesis {
    genesis_with_keys(
        Params {
            cap: 1000,
            min_periods: 1,
            divisor: 2,
        },
        8,
        sim.vk_ids(),
    )
}

fn start(data: &Path, keys: &Path, genesis: &Genesis, interval_ms: u64) -> Node {
    let mut config = NodeConfig::new(data.to_path_buf(), genesis.clone(), keys.to_path_buf());
    config.block_interval = Duration::from_millis(interval_ms);
    config.verify_threads = Some(1);
    Node::start(config).unwrap()
}

fn answer(r: Result<ureq::Response, ureq::Error>) -> (u16, Value) {
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let text = resp.into_string().unwrap();
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("answer {status} is not JSON ({e}): {text}"));
    (status, value)
}

fn get(node: &Node, path: &str) -> (u16, Value) {
    answer(ureq::get(&format!("{}{path}", node.url())).call())
}

fn post(node: &Node, body: &str) -> (u16, Value) {
    answer(
        ureq::post(&format!("{}/v1/tx", node.url()))
            .set("content-type", "application/json")
            .send_string(body),
    )
}

fn submit(node: &Node, tx: &Transaction) -> (u16, Value) {
    post(node, &serde_json::to_string(tx).unwrap())
}

fn wait_included(node: &Node, tx: &Transaction) -> Value {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let (code, v) = get(node, &format!("/v1/tx/{}", tx.id()));
        if code == 200 && v["status"] != "pending" {
            return v;
        }
        assert!(Instant::now() < deadline, "not included: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn fr(v: &Value) -> Fr {
    field::from_hex(v.as_str().unwrap()).unwrap()
}

#[test]
fn client_errors_are_json_4xx() {
    let sim = SimKeys::new(11);
    let dir = tempfile::tempdir().unwrap();
    sim.write_dir(&dir.path().join("keys"));
    let genesis = sim_genesis(&sim);
    let node = start(
        &dir.path().join("data"),
        &dir.path().join("keys"),
        &genesis,
        50,
    );
    let root = get(&node, "/v1/status").1["state_root"].clone();

    let error = |(code, v): (u16, Value), expected: u16| {
        assert_eq!(code, expected, "{v}");
        assert!(v["error"].is_string(), "{v}");
        v
    };
    // Oversized body.
    let big = format!(
        "{{\"type\":\"enroll\",\"pad\":\"{}\"}}",
        "x".repeat(64 * 1024)
    );
    error(post(&node, &big), 413);
    // A body announced far too large is refused before it is sent.
    {
        use std::io::{Read, Write};
        let mut sock = std::net::TcpStream::connect(node.addr()).unwrap();
        write!(
            sock,
            "POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
             Content-Length: 5000000\r\nConnection: close\r\n\r\n"
        )
        .unwrap();
        let mut answer = String::new();
        sock.read_to_string(&mut answer).unwrap();
        assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
        assert!(answer.contains("{\"error\":"), "{answer}");
    }
    // Malformed JSON, unknown kind, unknown field.
    error(post(&node, "{"), 400);
    error(post(&node, r#"{"type":"mint","amount":5}"#), 400);
    let enroll = Member::new(1, 2).enroll();
    let with_extra = serde_json::to_string(&enroll)
        .unwrap()
        .replace('}', r#","extra":1}"#);
    error(post(&node, &with_extra), 400);
    // A non-canonical field element: cm = p.
    let p = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    let mut v = serde_json::to_value(&enroll).unwrap();
    v["cm"] = json!(p);
    let e = error(post(&node, &v.to_string()), 400);
    assert!(e["error"].as_str().unwrap().contains("modulus"), "{e}");
    // A forged registrar signature: a rule no later block can change.
    let forged: Transaction = Enroll::sign(
        &chain_id(),
        NoteCommitment::from(Fr::from(5u64)),
        &authority(),
    )
    .into();
    let e = error(submit(&node, &forged), 422);
    assert_eq!(e["code"], "bad_registrar_signature");
    assert_eq!(e["id"], json!(forged.id()));
    let (code, v) = get(&node, &format!("/v1/tx/{}", forged.id()));
    assert_eq!((code, &v["status"]), (200, &json!("rejected")), "{v}");
    assert_eq!(v["reason"]["code"], "bad_registrar_signature");
    // A malformed proof.
    let c: Transaction = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(Fr::from(1u64)),
                nf: Nullifier::from(Fr::from(2u64)),
                cm_new: NoteCommitment::from(Fr::from(3u64)),
                heir_ct: Default::default(),
            },
            amount: 5,
            matched: 0,
            epoch: 1,
            payer_ref: Context::new("payer_ref", vec![]).unwrap(),
        },
        proof: FixedBytes([0xff; 128]),
    }
    .into();
    let e = error(submit(&node, &c), 400);
    assert_eq!(e["code"], "malformed_proof");
    // A transaction for a later epoch is refused until that epoch has come.
    let mut future = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(zkpension_circuits::tree::MerkleTree::new().root()),
                nf: Nullifier::from(Fr::from(2u64)),
                cm_new: NoteCommitment::from(Fr::from(3u64)),
                heir_ct: Default::default(),
            },
            amount: 5,
            matched: 0,
            epoch: 2,
            payer_ref: Context::new("payer_ref", vec![]).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    let params = Params {
        cap: 1000,
        min_periods: 1,
        divisor: 2,
    };
    future.proof = FixedBytes(sim.prove(
        Statement::Contribute,
        &future.public(&chain_id(), &params).to_field_elements(),
        &mut rng(1),
    ));
    let e = error(submit(&node, &future.into()), 422);
    assert_eq!(e["code"], "wrong_epoch");
    // Binary submissions are decoded strictly.
    let mut bytes = enroll.encode();
    bytes.push(0);
    let e = answer(
        ureq::post(&format!("{}/v1/tx", node.url()))
            .set("content-type", "application/octet-stream")
            .send_bytes(&bytes),
    );
    let e = error(e, 400);
    assert!(e["error"].as_str().unwrap().contains("trailing"), "{e}");
    // Reads.
    error(get(&node, "/v1/tx/0x12"), 400);
    error(get(&node, &format!("/v1/tx/0x{}", "00".repeat(32))), 404);
    error(get(&node, "/v1/blocks/abc"), 400);
    error(get(&node, "/v1/blocks/99"), 404);
    error(get(&node, &format!("/v1/nullifiers/{p}")), 400);
    error(get(&node, "/v1/compact?from=1&to=5000"), 400);
    error(get(&node, "/v1/compact?from=x"), 400);
    error(get(&node, "/v1/compact?from=5&to=2"), 400);
    error(get(&node, "/v1/tree/leaves?from=0&to=100000"), 400);
    // Not 0x + 64 hex digits: a text context, with no attestations yet.
    let (code, v) = get(&node, "/v1/attestations/0x1234");
    assert_eq!((code, &v["attestations"]), (200, &json!([])), "{v}");
    assert_eq!(
        v["context"],
        json!(zkpension_circuits::binding::context_from_text("0x1234"))
    );
    error(get(&node, &format!("/v1/attestations/{p}")), 400);
    error(get(&node, "/nope"), 404);
    error(
        answer(ureq::delete(&format!("{}/v1/tx", node.url())).call()),
        405,
    );
    // Nothing changed.
    assert_eq!(get(&node, "/v1/status").1["state_root"], root);
    assert_eq!(get(&node, "/v1/status").1["height"], 0);
    node.shutdown().unwrap();
}

#[test]
fn submit_query_and_restart() {
    let sim = SimKeys::new(12);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let data = dir.path().join("data");
    sim.write_dir(&keys);
    let genesis = sim_genesis(&sim);
    let node = start(&data, &keys, &genesis, 30);

    let (code, g) = get(&node, "/v1/genesis");
    assert_eq!(code, 200);
    assert_eq!(g["hash"], json!(genesis.hash()));
    assert_eq!(
        serde_json::from_value::<Genesis>(g["genesis"].clone()).unwrap(),
        genesis
    );

    // Two enrollments, one as canonical bytes.
    let (a, b) = (Member::new(1, 2), Member::new(2, 3));
    let (code, v) = submit(&node, &a.enroll());
    assert_eq!((code, &v["status"]), (202, &json!("pending")), "{v}");
    assert_eq!(v["id"], json!(a.enroll().id()));
    let (code, v) = answer(
        ureq::post(&format!("{}/v1/tx", node.url()))
            .set("content-type", "application/octet-stream")
            .send_bytes(&b.enroll().encode()),
    );
    assert_eq!(code, 202, "{v}");
    let inc = wait_included(&node, &a.enroll());
    assert_eq!(inc["status"], "included", "{inc}");
    wait_included(&node, &b.enroll());
    // Submitting it again answers its status.
    let (code, v) = submit(&node, &a.enroll());
    assert_eq!((code, &v["status"]), (200, &json!("included")), "{v}");

    // Contribute and attest against the current root, with trapdoor proofs.
    let (_, status) = get(&node, "/v1/status");
    let anchor = fr(&status["tree_root"]);
    let mut r = rng(3);
    let mut c = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(anchor),
                nf: Nullifier::from(Fr::from(77u64)),
                cm_new: NoteCommitment::from(Fr::from(78u64)),
                heir_ct: Default::default(),
            },
            amount: 300,
            matched: 0,
            epoch: 1,
            payer_ref: Context::new("payer_ref", b"employer".to_vec()).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    let params = Params {
        cap: 1000,
        min_periods: 1,
        divisor: 2,
    };
    c.proof = FixedBytes(sim.prove(
        Statement::Contribute,
        &c.public(&chain_id(), &params).to_field_elements(),
        &mut r,
    ));
    let context = Fr::from(4242u64);
    let mut att = Attest {
        body: AttestBody {
            spend: SpendHeader {
                anchor: Anchor::from(anchor),
                nf: Nullifier::from(Fr::from(79u64)),
                cm_new: NoteCommitment::from(Fr::from(80u64)),
                heir_ct: Default::default(),
            },
            epoch: 1,
            context: ContextId::from(context),
            tag: AttestTag::from(Fr::from(81u64)),
            min_balance: 100,
            min_periods: 1,
            require_eligible: false,
            message: Context::new("message", b"hello".to_vec()).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    att.proof = FixedBytes(sim.prove(
        Statement::Attest,
        &att.public(&chain_id()).to_field_elements(),
        &mut r,
    ));
    let c: Transaction = c.into();
    let att: Transaction = att.into();
    assert_eq!(submit(&node, &c).0, 202);
    assert_eq!(submit(&node, &att).0, 202);
    let ci = wait_included(&node, &c);
    wait_included(&node, &att);
    // A second spend of the same nullifier can never be valid.
    let mut again = c.clone();
    if let Transaction::Contribute(t) = &mut again {
        t.body.spend.cm_new = NoteCommitment::from(Fr::from(99u64));
    }
    let (code, v) = submit(&node, &again);
    assert_eq!((code, &v["code"]), (422, &json!("nullifier_spent")), "{v}");

    let (_, s) = get(&node, "/v1/status");
    assert_eq!(
        s["totals"],
        json!({"contributed": 300, "paid_out": 0, "pool": 300})
    );
    assert_eq!(s["leaf_count"], 4);
    assert_eq!(s["nullifier_count"], 2);
    assert_eq!(s["attestation_count"], 1);
    assert_eq!(s["epoch"], 1);
    assert_eq!(
        s["params"],
        json!({"cap": 1000, "min_periods": 1, "divisor": 2})
    );
    assert_eq!(s["verifying_keys"], json!(sim.vk_ids()));
    assert_eq!(s["chain_id"], json!(chain_id()));
    let height = s["height"].as_u64().unwrap();

    // The block holding the contribution.
    let h = ci["height"].as_u64().unwrap();
    let (code, blk) = get(&node, &format!("/v1/blocks/{h}"));
    assert_eq!(code, 200);
    let txs = blk["transactions"].as_array().unwrap();
    let pos = ci["index"].as_u64().unwrap() as usize;
    assert_eq!(txs[pos]["id"], json!(c.id()));
    assert_eq!(txs[pos]["tx"], serde_json::to_value(&c).unwrap());
    assert_eq!(blk["header"]["height"], h);
    assert!(blk["hash"].is_string() && blk["tree_root"].is_string());

    // Compact blocks rebuild the tree.
    let (code, compact) = get(&node, &format!("/v1/compact?from=1&to={height}"));
    assert_eq!(code, 200);
    let mut tree = zkpension_circuits::tree::MerkleTree::new();
    let mut nullifiers = Vec::new();
    for blk in compact["blocks"].as_array().unwrap() {
        assert_eq!(blk["leaf_start"].as_u64().unwrap(), tree.len());
        for cm in blk["commitments"].as_array().unwrap() {
            tree.append(fr(cm)).unwrap();
        }
        for spend in blk["spends"].as_array().unwrap() {
            nullifiers.push(fr(&spend["nf"]));
            // Each spend names its new commitment's place in the block and
            // its public kind, amount and epoch.
            let out = spend["out"].as_u64().unwrap() as usize;
            assert!(
                out < blk["commitments"].as_array().unwrap().len(),
                "{spend}"
            );
            assert!(
                spend["kind"].is_string() && spend["epoch"].is_u64(),
                "{spend}"
            );
        }
        assert_eq!(fr(&blk["tree_root"]), tree.root());
    }
    assert_eq!(fr(&s["tree_root"]), tree.root());
    assert_eq!(nullifiers, vec![Fr::from(77u64), Fr::from(79u64)]);
    // Leaves and shard roots (no complete shard yet).
    let (_, leaves) = get(&node, "/v1/tree/leaves?from=1&to=3");
    let got: Vec<Fr> = leaves["leaves"]
        .as_array()
        .unwrap()
        .iter()
        .map(fr)
        .collect();
    assert_eq!(got, tree.leaves()[1..3].to_vec());
    let (_, shards) = get(&node, "/v1/tree/shards");
    assert_eq!(shards["roots"], json!([]));
    assert_eq!(shards["leaf_count"], 4);

    // Nullifiers and attestations.
    let (_, n) = get(
        &node,
        &format!("/v1/nullifiers/{}", field::to_hex(&Fr::from(77u64))),
    );
    assert_eq!((&n["spent"], &n["tx_id"]), (&json!(true), &json!(c.id())));
    let (_, n) = get(
        &node,
        &format!("/v1/nullifiers/{}", field::to_hex(&Fr::from(1u64))),
    );
    assert_eq!(n["spent"], false);
    let (code, list) = get(
        &node,
        &format!("/v1/attestations/{}", field::to_hex(&context)),
    );
    assert_eq!(code, 200);
    assert_eq!(list["more"], false);
    let rec = &list["attestations"][0];
    assert_eq!(rec["tag"], json!(field::to_hex(&Fr::from(81u64))));
    assert_eq!(rec["min_balance"], 100);
    assert_eq!(rec["message"], "0x68656c6c6f");
    assert_eq!(rec["tx_id"], json!(att.id()));
    let (code, one) = get(
        &node,
        &format!(
            "/v1/attestations/{}/{}",
            field::to_hex(&context),
            field::to_hex(&Fr::from(81u64))
        ),
    );
    assert_eq!((code, &one), (200, rec));
    let (code, _) = get(
        &node,
        &format!(
            "/v1/attestations/{}/{}",
            field::to_hex(&context),
            field::to_hex(&Fr::from(1u64))
        ),
    );
    assert_eq!(code, 404);

    // Restart: same state. Then a transaction queued by a node that never
    // produces a block survives a restart and lands afterwards.
    let root = s["state_root"].clone();
    node.shutdown().unwrap();
    let node = start(&data, &keys, &genesis, 3_600_000);
    let (_, s2) = get(&node, "/v1/status");
    assert_eq!((&s2["state_root"], &s2["height"]), (&root, &json!(height)));
    let late = Member::new(3, 2).enroll();
    assert_eq!(submit(&node, &late).0, 202);
    assert_eq!(
        get(&node, &format!("/v1/tx/{}", late.id())).1["status"],
        "pending"
    );
    assert_eq!(get(&node, "/v1/status").1["mempool"], 1);
    node.shutdown().unwrap();
    let node = start(&data, &keys, &genesis, 30);
    let v = wait_included(&node, &late);
    assert_eq!(v["height"], height + 1);
    node.shutdown().unwrap();

    // Another genesis does not open this data directory.
    let mut other = genesis.clone();
    other.params.cap += 1;
    let mut config = NodeConfig::new(data.clone(), other, keys.clone());
    config.block_interval = Duration::from_millis(30);
    let err = Node::start(config).unwrap_err();
    assert!(err.to_string().contains("belongs to genesis"), "{err}");
}

#[test]
fn a_copy_with_a_mangled_proof_does_not_shadow_the_real_one() {
    let sim = SimKeys::new(13);
    let dir = tempfile::tempdir().unwrap();
    sim.write_dir(&dir.path().join("keys"));
    let genesis = sim_genesis(&sim);
    let node = start(
        &dir.path().join("data"),
        &dir.path().join("keys"),
        &genesis,
        2000,
    );
    let params = Params {
        cap: 1000,
        min_periods: 1,
        divisor: 2,
    };
    let mut c = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(zkpension_circuits::tree::MerkleTree::new().root()),
                nf: Nullifier::from(Fr::from(5u64)),
                cm_new: NoteCommitment::from(Fr::from(6u64)),
                heir_ct: Default::default(),
            },
            amount: 7,
            matched: 0,
            epoch: 1,
            payer_ref: Context::new("payer_ref", vec![1]).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    let inputs = c.public(&chain_id(), &params).to_field_elements();
    let mut r = rng(4);
    let mut wrong = inputs.clone();
    wrong[3] += Fr::from(1u64);
    c.proof = FixedBytes(sim.prove(Statement::Contribute, &wrong, &mut r));
    let mangled: Transaction = c.clone().into();
    c.proof = FixedBytes(sim.prove(Statement::Contribute, &inputs, &mut r));
    let real: Transaction = c.clone().into();
    assert_eq!(mangled.id(), real.id());

    // The mangled copy arrives first: refused before it is queued, and the
    // id is not marked rejected (the real proof may still come).
    let (code, v) = submit(&node, &mangled);
    assert_eq!((code, &v["code"]), (422, &json!("invalid_proof")), "{v}");
    assert_eq!(get(&node, &format!("/v1/tx/{}", real.id())).0, 404);
    assert_eq!(get(&node, "/v1/status").1["mempool"], 0);
    let (code, v) = submit(&node, &real);
    assert_eq!(code, 202, "{v}");
    // Another mangled copy is refused, the real one is kept and pending.
    let (code, v) = submit(&node, &mangled);
    assert_eq!((code, &v["code"]), (422, &json!("invalid_proof")), "{v}");
    assert_eq!(
        get(&node, &format!("/v1/tx/{}", real.id())).1["status"],
        "pending"
    );
    assert_eq!(submit(&node, &real).0, 200);
    assert_eq!(get(&node, "/v1/status").1["mempool"], 1);
    let v = wait_included(&node, &real);
    assert_eq!(v["status"], "included", "{v}");
    let (_, blk) = get(&node, &format!("/v1/blocks/{}", v["height"]));
    assert_eq!(
        blk["transactions"][0]["tx"],
        serde_json::to_value(&real).unwrap()
    );
    node.shutdown().unwrap();
}
