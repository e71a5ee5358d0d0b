//! The explorer's pages over HTTP: the figures equal the JSON API's, text
//! from transactions is escaped, unknown heights and ids answer 404 pages
//! and malformed paths and queries 400 pages.

use crate::common;

use common::sim::SimKeys;
use common::*;
use serde_json::Value;
use std::time::{Duration, Instant};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Attest, AttestBody, Claim, ClaimBody, Context, Contribute};
use zkpension_core::tx::{ContributeBody, SpendHeader};
use zkpension_core::{format_amount, Params, Transaction};
use zkpension_ledger::{Node, NodeConfig};

const HOSTILE: &str = "<script>alert(1)</script><b onmouseover=alert(2)>&amp;";

fn fetch(node: &Node, path: &str) -> (u16, String, String) {
    let r = match ureq::get(&format!("{}{path}", node.url())).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(_, r)) => r,
        Err(e) => panic!("transport error: {e}"),
    };
    let code = r.status();
    let ctype = r.content_type().to_string();
    (code, ctype, r.into_string().unwrap())
}

fn page(node: &Node, path: &str) -> String {
    let (code, ctype, body) = fetch(node, path);
    assert_eq!(code, 200, "{path}: {body}");
    assert_eq!(ctype, "text/html", "{path}");
    body
}

fn json(node: &Node, path: &str) -> Value {
    serde_json::from_str(&fetch(node, path).2).unwrap()
}

/// The text of the element with `id`.
fn by_id(html: &str, id: &str) -> String {
    let at = html
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element #{id} in {html}"));
    let start = at + html[at..].find('>').unwrap() + 1;
    let end = start + html[start..].find('<').unwrap();
    html[start..end].to_string()
}

fn wait_included(node: &Node, tx: &Transaction) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let v = json(node, &format!("/v1/tx/{}", tx.id()));
        if v["status"] == "included" {
            return;
        }
        assert!(v["status"] != "rejected", "{v}");
        assert!(Instant::now() < deadline, "not included: {v}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn submit_all(node: &Node, txs: &[Transaction]) {
    for tx in txs {
        let r = ureq::post(&format!("{}/v1/tx", node.url()))
            .send_string(&serde_json::to_string(tx).unwrap());
        assert!(r.is_ok(), "{:?}", r.map_err(|e| e.to_string()));
    }
    for tx in txs {
        wait_included(node, tx);
    }
}

fn spend(node: &Node, seed: u64) -> SpendHeader {
    let anchor = field::from_hex(json(node, "/v1/status")["tree_root"].as_str().unwrap()).unwrap();
    SpendHeader {
        anchor: Anchor::from(anchor),
        nf: Nullifier::from(Fr::from(1000 + seed)),
        cm_new: NoteCommitment::from(Fr::from(2000 + seed)),
        heir_ct: Default::default(),
    }
}

#[test]
fn explorer_pages_show_the_ledger_and_escape_its_text() {
    let sim = SimKeys::new(31);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    sim.write_dir(&keys);
    let params = Params {
        cap: 100_000,
        min_periods: 1,
        divisor: 2,
    };
    let genesis = genesis_with_keys(params, 8, sim.vk_ids());
    let mut config = NodeConfig::new(dir.path().join("data"), genesis, keys);
    config.block_interval = Duration::from_millis(20);
    config.verify_threads = Some(1);
    let node = Node::start(config).unwrap();
    let mut r = rng(5);

    // Before any block: the page works and shows zeros, no chart yet.
    let home = page(&node, "/");
    assert_eq!(by_id(&home, "height"), "0");
    assert_eq!(by_id(&home, "total-in"), format_amount(0));
    assert!(
        home.contains("single-party"),
        "the sim keys come from no ceremony"
    );

    let (a, b) = (Member::new(1, 2), Member::new(2, 3));
    submit_all(&node, &[a.enroll(), b.enroll()]);

    let mut contribute = Contribute {
        body: ContributeBody {
            spend: spend(&node, 1),
            amount: 12_345,
            matched: 0,
            epoch: 1,
            payer_ref: Context::new("payer_ref", HOSTILE.as_bytes().to_vec()).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    contribute.proof = FixedBytes(sim.prove(
        Statement::Contribute,
        &contribute.public(&chain_id(), &params).to_field_elements(),
        &mut r,
    ));
    let context = Fr::from(4242u64);
    let tag = Fr::from(4343u64);
    let mut attest = Attest {
        body: AttestBody {
            spend: spend(&node, 2),
            epoch: 1,
            context: ContextId::from(context),
            tag: AttestTag::from(tag),
            min_balance: 100,
            min_periods: 1,
            require_eligible: false,
            message: Context::new("message", HOSTILE.as_bytes().to_vec()).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    attest.proof = FixedBytes(sim.prove(
        Statement::Attest,
        &attest.public(&chain_id()).to_field_elements(),
        &mut r,
    ));
    let contribute: Transaction = contribute.into();
    let attest: Transaction = attest.into();
    submit_all(&node, &[contribute.clone(), attest.clone()]);
    submit_all(&node, &[advance(2, 0)]);
    let mut claim = Claim {
        body: ClaimBody {
            spend: spend(&node, 3),
            amount: 2_000,
            epoch: 2,
            recipient: Context::new("recipient", b"DE89 3704".to_vec()).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    claim.proof = FixedBytes(sim.prove(
        Statement::Claim,
        &claim.public(&chain_id(), &params).to_field_elements(),
        &mut r,
    ));
    let claim: Transaction = claim.into();
    submit_all(&node, std::slice::from_ref(&claim));

    // The home page's figures are the JSON API's.
    let status = json(&node, "/v1/status");
    for path in ["/", "/explorer", "/explorer/"] {
        let home = page(&node, path);
        assert_eq!(by_id(&home, "height"), status["height"].to_string());
        assert_eq!(by_id(&home, "epoch"), "2");
        assert_eq!(
            by_id(&home, "state-root"),
            status["state_root"].as_str().unwrap()
        );
        assert_eq!(by_id(&home, "tx-count"), status["tx_count"].to_string());
        let totals = &status["totals"];
        for (id, key) in [
            ("total-in", "contributed"),
            ("total-out", "paid_out"),
            ("pool", "pool"),
        ] {
            assert_eq!(
                by_id(&home, id),
                format_amount(totals[key].as_u64().unwrap()),
                "{id}"
            );
        }
        assert_eq!(by_id(&home, "total-in"), format_amount(12_345));
        assert_eq!(by_id(&home, "total-out"), format_amount(2_000));
        // Two epochs: the chart is drawn, and the table lists both.
        assert!(home.contains("<svg id=\"chart\""), "{home}");
        assert!(home.contains("<polyline"), "{home}");
        assert!(home.contains(&format!("/explorer/block/{}", status["height"])));
    }
    let home = page(&node, "/");
    assert!(
        !home.contains("<script"),
        "the explorer is plain HTML: {home}"
    );

    // The block and transaction pages, with the hostile texts escaped.
    let tx = json(&node, &format!("/v1/tx/{}", contribute.id()));
    let height = tx["height"].as_u64().unwrap();
    let block = page(&node, &format!("/explorer/block/{height}"));
    assert!(block.contains(&format!("{}", contribute.id())), "{block}");
    assert!(block.contains(&format_amount(12_345)));
    assert!(!block.contains("<script>") && !block.contains("<b onmouseover"));
    assert!(
        block.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{block}"
    );
    let txp = page(&node, &format!("/explorer/tx/{}", attest.id()));
    assert!(by_id(&txp, "tx-status").starts_with("Included in"), "{txp}");
    assert!(
        !txp.contains("<script>") && txp.contains("&amp;amp;"),
        "{txp}"
    );
    let claimp = page(&node, &format!("/explorer/tx/{}", claim.id()));
    assert!(
        claimp.contains("DE89 3704"),
        "a clear recipient when no agent"
    );

    // The attestation check, by hex context and by the pseudonym.
    let q = format!(
        "/explorer/attestation?context={}&pseudonym={}",
        field::to_hex(&context),
        field::to_hex(&tag)
    );
    let found = page(&node, &q);
    assert!(
        by_id(&found, "verdict").starts_with("Attested in epoch 1"),
        "{found}"
    );
    assert!(!found.contains("<script>"));
    let other = page(
        &node,
        &format!(
            "/explorer/attestation?context=landlord%3Aflat-12&pseudonym={}",
            field::to_hex(&tag)
        ),
    );
    assert!(by_id(&other, "verdict").starts_with("No attestation"));

    // Older blocks page.
    let list = page(&node, "/explorer/blocks?to=2");
    assert!(list.contains("/explorer/block/1") && !list.contains("/explorer/block/3\""));

    // Unknown: 404 pages; malformed: 400 pages. Never a panic or JSON.
    let zero = format!("0x{}", "0".repeat(64));
    for (path, code) in [
        ("/explorer/block/999999".to_string(), 404),
        ("/explorer/block/0".to_string(), 404),
        (format!("/explorer/tx/{zero}"), 404),
        ("/explorer/nothing/here".to_string(), 404),
        ("/explorer/blocks?to=999999".to_string(), 404),
        ("/explorer/block/abc".to_string(), 400),
        ("/explorer/block/-1".to_string(), 400),
        ("/explorer/tx/0x1234".to_string(), 400),
        ("/explorer/blocks?to=x".to_string(), 400),
        ("/explorer/blocks?to=%ZZ".to_string(), 400),
        ("/explorer/attestation".to_string(), 400),
        (
            "/explorer/attestation?context=a&pseudonym=0xzz".to_string(),
            400,
        ),
        (
            format!(
                "/explorer/attestation?context=a&pseudonym=0x{}",
                "f".repeat(64)
            ),
            400,
        ),
    ] {
        let (got, ctype, body) = fetch(&node, &path);
        assert_eq!(got, code, "{path}: {body}");
        assert_eq!(ctype, "text/html", "{path}");
        assert!(body.contains("id=\"error\""), "{path}: {body}");
    }
    node.shutdown().unwrap();
}
