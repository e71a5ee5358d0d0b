//! The HTTP server under hostile clients, and the member's first-day routes:
//! slow and half-open connections are closed and never lock an honest client
//! out; a slow body gets 408; too many refused submissions get 429; key files
//! and text attest contexts are served.

use crate::common;

use common::sim::SimKeys;
use common::*;
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::path::Path;
use std::time::{Duration, Instant};
use zkpension_circuits::binding::context_from_text;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, AttestTag, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Attest, AttestBody, Context, SpendHeader};
use zkpension_core::Params;
use zkpension_core::{Genesis, Transaction};
use zkpension_ledger::limiter::RefusalLimits;
use zkpension_ledger::serve::HttpLimits;
use zkpension_ledger::{Node, NodeConfig};
use zkpension_verifier::{KeyEntry, KeyManifest, MANIFEST_FILE};

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

fn config(dir: &Path, sim: &SimKeys) -> NodeConfig {
    sim.write_dir(&dir.join("keys"));
    let mut config = NodeConfig::new(dir.join("data"), sim_genesis(sim), dir.join("keys"));
    config.block_interval = Duration::from_millis(20);
    config.verify_threads = Some(1);
    config
}

fn answer(r: Result<ureq::Response, ureq::Error>) -> (u16, Option<String>, Vec<u8>) {
    let resp = match r {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let status = resp.status();
    let retry = resp.header("retry-after").map(str::to_string);
    let mut bytes = Vec::new();
    resp.into_reader().read_to_end(&mut bytes).unwrap();
    (status, retry, bytes)
}

fn get(node: &Node, path: &str) -> (u16, Vec<u8>) {
    let (code, _, bytes) = answer(ureq::get(&format!("{}{path}", node.url())).call());
    (code, bytes)
}

fn get_json(node: &Node, path: &str) -> (u16, Value) {
    let (code, bytes) = get(node, path);
    let v =
        serde_json::from_slice(&bytes).unwrap_or_else(|e| panic!("{code} {path}: not JSON ({e})"));
    (code, v)
}

#[test]
fn slow_and_half_open_connections_are_closed_and_do_not_lock_out_a_client() {
    let sim = SimKeys::new(61);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sim);
    config.http = HttpLimits {
        max_connections: 64,
        header_timeout: Duration::from_millis(500),
        body_timeout: Duration::from_millis(500),
        idle_timeout: Duration::from_millis(500),
    };
    let node = Node::start(config).unwrap();
    // 300 connections: half send the start of a request head and stop, half
    // send nothing at all.
    let mut slow: Vec<TcpStream> = (0..300)
        .map(|i| {
            let mut s = TcpStream::connect(node.addr()).unwrap();
            if i % 2 == 0 {
                // May fail on a connection the node already refused.
                let _ = s.write_all(b"GET /v1/status HTTP/1.1\r\nHost: x\r\n");
            }
            s
        })
        .collect();
    // An honest client is answered (it may be told to retry while the slots
    // are taken).
    let agent = ureq::AgentBuilder::new()
        .timeout(Duration::from_secs(5))
        .build();
    let deadline = Instant::now() + Duration::from_secs(30);
    let mut tries = 0;
    loop {
        tries += 1;
        match agent.get(&format!("{}/v1/status", node.url())).call() {
            Ok(r) => {
                assert_eq!(r.status(), 200);
                break;
            }
            Err(ureq::Error::Status(503, r)) => {
                assert_eq!(r.header("retry-after"), Some("1"));
                // The node closes at once, so the body may be cut by a reset.
                if let Ok(v) = r.into_json::<Value>() {
                    assert!(v["error"].as_str().unwrap().contains("connections"), "{v}");
                }
            }
            Err(_) => {}
        }
        assert!(Instant::now() < deadline, "no answer after {tries} tries");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Every slow connection is closed by the node (or refused at once):
    // none is held open.
    for (i, s) in slow.iter_mut().enumerate() {
        s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
        let mut buf = [0u8; 512];
        loop {
            match s.read(&mut buf) {
                Ok(0) => break,
                // A 503 answer before the close.
                Ok(_) => continue,
                Err(e)
                    if matches!(
                        e.kind(),
                        std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                    ) =>
                {
                    panic!("slow connection {i} is still open after 20 s")
                }
                // Reset by the node.
                Err(_) => break,
            }
        }
    }
    // Still serving.
    assert_eq!(get(&node, "/v1/status").0, 200);
    node.shutdown().unwrap();
}

#[test]
fn a_body_that_does_not_arrive_in_time_gets_408() {
    let sim = SimKeys::new(62);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sim);
    config.http.body_timeout = Duration::from_millis(300);
    let node = Node::start(config).unwrap();
    let mut s = TcpStream::connect(node.addr()).unwrap();
    s.write_all(
        b"POST /v1/tx HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n\
          Content-Length: 100\r\n\r\n{\"type\":",
    )
    .unwrap();
    s.set_read_timeout(Some(Duration::from_secs(20))).unwrap();
    let mut text = String::new();
    let _ = s.read_to_string(&mut text);
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    assert!(text.contains("{\"error\":"), "{text}");
    node.shutdown().unwrap();
}

#[test]
fn too_many_refused_submissions_get_429_with_retry_after() {
    let sim = SimKeys::new(63);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sim);
    config.refusal_limits = RefusalLimits {
        burst: 2.0,
        per_second: 0.01,
    };
    let node = Node::start(config).unwrap();
    let post = |body: &str| {
        answer(
            ureq::post(&format!("{}/v1/tx", node.url()))
                .set("content-type", "application/json")
                .send_string(body),
        )
    };
    assert_eq!(post("{").0, 400);
    assert_eq!(post("{\"type\":\"mint\"}").0, 400);
    let (code, retry, body) = post("{");
    assert_eq!(code, 429);
    let retry: u64 = retry.expect("Retry-After").parse().unwrap();
    assert!(retry >= 1, "{retry}");
    let v: Value = serde_json::from_slice(&body).unwrap();
    assert!(v["error"].as_str().unwrap().contains("try again"), "{v}");
    // Reads are not limited.
    assert_eq!(get(&node, "/v1/status").0, 200);
    node.shutdown().unwrap();
}

/// A key directory with the trapdoor verifying keys and small stand-in
/// proving-key files, except for `missing`.
fn keys_with_pks(dir: &Path, sim: &SimKeys, missing: Statement) -> BTreeMap<Statement, Vec<u8>> {
    sim.write_dir(dir);
    let mut entries = BTreeMap::new();
    let mut pks = BTreeMap::new();
    for (n, s) in Statement::ALL.into_iter().enumerate() {
        let vk = std::fs::read(dir.join(zkpension_verifier::vk_file_name(s))).unwrap();
        let pk: Vec<u8> = (0..5000u32).map(|i| (i * 7 + n as u32) as u8).collect();
        if s != missing {
            std::fs::write(dir.join(zkpension_verifier::pk_file_name(s)), &pk).unwrap();
        }
        entries.insert(
            s,
            KeyEntry::new(s, 0, format!("0x{}", "00".repeat(32)), &pk, &vk),
        );
        pks.insert(s, pk);
    }
    KeyManifest::new("trapdoor test keys", entries)
        .write(dir)
        .unwrap();
    pks
}

#[test]
fn key_files_are_served_by_their_manifest_names_only() {
    let sim = SimKeys::new(64);
    let dir = tempfile::tempdir().unwrap();
    let mut config = config(dir.path(), &sim);
    let pks = keys_with_pks(&config.keys_dir, &sim, Statement::Attest);
    config.keys_dir = dir.path().join("keys");
    // A file beside the keys that is not in the manifest.
    std::fs::write(config.keys_dir.join("secret.txt"), b"not a key").unwrap();
    let node = Node::start(config.clone()).unwrap();

    let (code, bytes) = get(&node, "/v1/keys");
    assert_eq!(code, 200);
    assert_eq!(
        bytes,
        std::fs::read(config.keys_dir.join(MANIFEST_FILE)).unwrap()
    );
    let manifest: KeyManifest = serde_json::from_slice(&bytes).unwrap();
    let contribute = &manifest.statements[&Statement::Contribute];
    let (code, _, body) =
        answer(ureq::get(&format!("{}/v1/keys/{}", node.url(), contribute.pk_file)).call());
    assert_eq!((code, &body), (200, &pks[&Statement::Contribute]));
    let r = ureq::get(&format!("{}/v1/keys/{}", node.url(), contribute.vk_file))
        .call()
        .unwrap();
    assert_eq!(r.header("content-type"), Some("application/octet-stream"));
    // Named in the manifest, but not held: 404 with a JSON error.
    let attest_pk = &manifest.statements[&Statement::Attest].pk_file;
    let (code, v) = get_json(&node, &format!("/v1/keys/{attest_pk}"));
    assert_eq!(code, 404, "{v}");
    assert!(
        v["error"].as_str().unwrap().contains("does not hold"),
        "{v}"
    );
    // Anything else.
    for path in [
        "secret.txt",
        "manifest.json",
        "..%2Fdata%2Fledger.redb",
        "..%2Fkeys%2Fcontribute.pk",
        "%2Fetc%2Fpasswd",
        ".",
    ] {
        let (code, v) = get_json(&node, &format!("/v1/keys/{path}"));
        assert_eq!(code, 404, "{path}: {v}");
        assert!(v["error"].is_string(), "{v}");
    }
    node.shutdown().unwrap();
}

#[test]
fn attestations_are_found_by_their_text_context() {
    let sim = SimKeys::new(65);
    let dir = tempfile::tempdir().unwrap();
    let node = Node::start(config(dir.path(), &sim)).unwrap();
    let context = context_from_text("landlord:flat-12");
    let mut a = Attest {
        body: AttestBody {
            spend: SpendHeader {
                anchor: Anchor::from(zkpension_circuits::tree::MerkleTree::new().root()),
                nf: Nullifier::from(Fr::from(3u64)),
                cm_new: NoteCommitment::from(Fr::from(4u64)),
                heir_ct: Default::default(),
            },
            epoch: 1,
            context,
            tag: AttestTag::from(Fr::from(9u64)),
            min_balance: 0,
            min_periods: 0,
            require_eligible: false,
            message: Context::new("message", b"m".to_vec()).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    a.proof = FixedBytes(sim.prove(
        Statement::Attest,
        &a.public(&chain_id()).to_field_elements(),
        &mut rng(1),
    ));
    let tx: Transaction = a.into();
    let (code, _, _) = answer(
        ureq::post(&format!("{}/v1/tx", node.url()))
            .set("content-type", "application/json")
            .send_string(&serde_json::to_string(&tx).unwrap()),
    );
    assert_eq!(code, 202);
    let deadline = Instant::now() + Duration::from_secs(20);
    let listed = loop {
        let (code, v) = get_json(&node, "/v1/attestations/landlord:flat-12");
        assert_eq!(code, 200, "{v}");
        if v["attestations"].as_array().unwrap().len() == 1 {
            break v;
        }
        assert!(Instant::now() < deadline, "not included: {v}");
        std::thread::sleep(Duration::from_millis(20));
    };
    assert_eq!(listed["context"], json!(context));
    // URL-encoded, and the hex form, give the same.
    assert_eq!(
        get_json(&node, "/v1/attestations/landlord%3Aflat-12").1,
        listed
    );
    assert_eq!(
        get_json(&node, &format!("/v1/attestations/{}", context.to_hex())).1,
        listed
    );
    let tag = listed["attestations"][0]["tag"]
        .as_str()
        .unwrap()
        .to_string();
    let (code, one) = get_json(&node, &format!("/v1/attestations/landlord:flat-12/{tag}"));
    assert_eq!(code, 200, "{one}");
    assert_eq!(one, listed["attestations"][0]);
    let (code, _) = get_json(&node, &format!("/v1/attestations/landlord:flat-13/{tag}"));
    assert_eq!(code, 404);
    node.shutdown().unwrap();
}
