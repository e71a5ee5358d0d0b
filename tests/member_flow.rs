//! The member's flow end to end, across crates: an embedded node (ledger +
//! verifier) and wallets (prover's member flow) talking over the real HTTP
//! API, each wallet a file opened through a `MemberSession`. Covers the
//! wallet's crash safety (a transaction recorded but never submitted is
//! submitted again by the next sync), the wallet's lock (a second session on
//! the same file is refused), a stale copy of the wallet following what the
//! other copy did, recovery of a lost wallet from its phrase and the chain
//! alone, a watch-only wallet, and refusals with nothing changed.

#[path = "../prover/tests/common/mod.rs"]
mod common;

use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;
use std::time::Duration;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::Fr;
use zkpension_circuits::statements::Clause;
use zkpension_core::genesis::GenesisParams;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::{Genesis, Transaction};
use zkpension_ledger::{Node, NodeConfig};
use zkpension_prover::keys::test_keys;
use zkpension_prover::member::flow::{self, AttestRequest, FlowError};
use zkpension_prover::member::inherit::InheritError;
use zkpension_prover::member::{light, Action, ClientError, MemberSession, Naming, NodeClient};
use zkpension_prover::roles;
use zkpension_prover::wallet::{parse_phrase, Wallet, WalletError};
use zkpension_prover::ProvingKeys;
use zkpension_verifier::VerifierKeys;

struct Chain {
    _dir: tempfile::TempDir,
    node: Option<Node>,
    client: NodeClient,
    keys: ProvingKeys,
    chain: ChainId,
    registrar: SigningKey,
    authority: SigningKey,
    rng: ChaCha20Rng,
}

fn keys_dir() -> PathBuf {
    test_keys(std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))).expect("test keys")
}

/// The test chain's dormancy: an heir may inherit after 2 epochs.
const DORMANCY: u64 = 2;

fn start() -> Chain {
    let keys_dir = keys_dir();
    let mut rng = ChaCha20Rng::seed_from_u64(42);
    let registrar = SigningKey::generate(&mut rng);
    let authority = SigningKey::generate(&mut rng);
    let chain = ChainId::from_name("member-flow-test");
    let ids = VerifierKeys::load_dir(&keys_dir).unwrap().ids();
    let genesis = Genesis {
        chain_id: chain,
        registrar: FixedBytes(registrar.verifying_key().to_bytes()),
        authority: FixedBytes(authority.verifying_key().to_bytes()),
        params: GenesisParams {
            cap: 1000,
            min_periods: 1,
            divisor: 3,
            anchor_window: 64,
        },
        initial_epoch: 1,
        paying_agent: None,
        ceremony: None,
        governance: None,
        subsidy: None,
        dormancy: Some(DORMANCY),
        verifying_keys: ids.into_iter().map(|(s, id)| (s, FixedBytes(id))).collect(),
    };
    let dir = tempfile::tempdir().unwrap();
    let mut config = NodeConfig::new(dir.path().join("node"), genesis, keys_dir.clone());
    config.block_interval = Duration::from_millis(20);
    let node = Node::start(config).unwrap();
    Chain {
        client: NodeClient::new(&node.url()),
        node: Some(node),
        _dir: dir,
        keys: ProvingKeys::load(&keys_dir).unwrap(),
        chain,
        registrar,
        authority,
        rng,
    }
}

impl Chain {
    fn include(&self, tx: &Transaction) -> u64 {
        self.client.submit(tx).unwrap();
        self.client
            .wait_included(&tx.id(), Duration::from_secs(30))
            .unwrap()
    }

    /// A new wallet file `name.json` in the chain's directory, opened.
    fn member(&self, name: &str) -> MemberSession {
        let wallet = Wallet::from_seed_bytes(format!("{name} test wallet").as_bytes());
        let path = self._dir.path().join(format!("{name}.json"));
        MemberSession::create(&path, wallet, self.client.clone()).unwrap()
    }

    fn enroll(&mut self, m: &mut MemberSession, eligible: u64) {
        let req = m.enroll_request(self.chain, eligible).unwrap();
        let tx = roles::approve(&req, &self.chain, &self.registrar, Some(eligible)).unwrap();
        self.include(&tx.into());
        m.sync().unwrap();
        assert!(
            m.wallet().current_note().is_some(),
            "enrolled note found by sync"
        );
    }

    fn advance(&self) {
        let s = self.client.status().unwrap();
        self.include(&roles::advance_epoch(
            &self.chain,
            s.epoch + 1,
            s.authority_nonce,
            &self.authority,
        ));
    }

    fn contribute(&mut self, m: &mut MemberSession, amount: u64) -> Result<(), FlowError> {
        let action = Action::Contribute {
            amount,
            payer_ref: b"ref".to_vec(),
        };
        let p = m.prepare(&self.keys, &action, &mut self.rng)?;
        let recorded = m.record(p)?;
        m.submit(&recorded)?;
        m.wait(&recorded, Duration::from_secs(30))?;
        Ok(())
    }

    /// Proves, records, submits and waits for `action`.
    fn transact(&mut self, m: &mut MemberSession, action: &Action) {
        let p = m.prepare(&self.keys, action, &mut self.rng).unwrap();
        let recorded = m.record(p).unwrap();
        m.submit(&recorded).unwrap();
        m.wait(&recorded, Duration::from_secs(30)).unwrap();
    }
}

fn balance(m: &MemberSession) -> u64 {
    m.wallet().current_note().unwrap().note.balance
}

#[test]
fn two_members_contribute_claim_and_attest_over_http() {
    let mut c = start();
    let mut alice = c.member("alice");
    let mut bob = c.member("bob");
    c.enroll(&mut alice, 2);
    c.enroll(&mut bob, 5);
    c.contribute(&mut alice, 700).unwrap();
    c.contribute(&mut bob, 300).unwrap();
    // The cap, named by the wallet before any proof is made.
    match c.contribute(&mut alice, 301) {
        Err(FlowError::Rule {
            clause,
            explanation,
        }) => {
            assert_eq!(clause.clause, Clause::Cap);
            assert!(
                explanation.contains("you can pay 3.00 more"),
                "{explanation}"
            );
        }
        other => panic!("expected the cap: {other:?}"),
    }
    c.advance();
    c.contribute(&mut alice, 200).unwrap();
    assert_eq!(balance(&alice), 900);

    // Alice is eligible from epoch 2: pension ceil(900 / 3) = 300.
    let claim = Action::Claim {
        recipient: b"alice's bank".to_vec(),
    };
    c.transact(&mut alice, &claim);
    assert_eq!(balance(&alice), 600);
    assert_eq!(alice.wallet().current_note().unwrap().note.pension, 300);
    // Bob is not eligible before epoch 5.
    let claim = Action::Claim {
        recipient: b"bob".to_vec(),
    };
    match bob.prepare(&c.keys, &claim, &mut c.rng) {
        Err(FlowError::Rule {
            clause,
            explanation,
        }) => {
            assert_eq!(clause.clause, Clause::Eligibility);
            assert!(
                explanation.contains("eligible from epoch 5"),
                "{explanation}"
            );
        }
        other => panic!("expected eligibility: {other:?}"),
    }

    // Bob attests; the relying party finds it by context.
    let req = AttestRequest {
        context: "bank:mortgage-77".into(),
        min_balance: 300,
        min_periods: 1,
        require_eligible: false,
        message: b"challenge".to_vec(),
    };
    c.transact(&mut bob, &Action::Attest(req.clone()));
    let seen = c
        .client
        .attestations(&zkpension_circuits::binding::context_from_text(
            &req.context,
        ))
        .unwrap();
    assert_eq!(seen.attestations.len(), 1);
    assert_eq!(seen.attestations[0].min_balance, 300);

    // The public totals add up.
    let s = c.client.status().unwrap();
    assert_eq!(s.totals.contributed, 1200);
    assert_eq!(s.totals.paid_out, 300);
    assert_eq!(s.totals.pool, balance(&alice) + balance(&bob));
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_recorded_but_unsent_transaction_is_submitted_by_the_next_sync() {
    let mut c = start();
    let mut w = c.member("crashy");
    let path = w.path().to_path_buf();
    c.enroll(&mut w, 3);
    let contribute = |amount| Action::Contribute {
        amount,
        payer_ref: b"ref".to_vec(),
    };
    let p = w.prepare(&c.keys, &contribute(250), &mut c.rng).unwrap();
    let recorded = w.record(p).unwrap();
    let id = recorded.id();
    let id_hex = recorded.prepared().id_hex();
    // While the session is open, nobody else may change the file.
    match MemberSession::open(&path, c.client.clone()) {
        Err(WalletError::InUse { pid, .. }) => assert_eq!(pid, Some(std::process::id())),
        other => panic!("a second session on one wallet must be refused: {other:?}"),
    }
    drop(recorded);
    drop(w); // the process dies before submitting

    let mut w = MemberSession::open(&path, c.client.clone()).unwrap();
    assert_eq!(w.wallet().pending.len(), 1);
    // A second transaction is refused while one is pending.
    let status = c.client.status().unwrap();
    assert!(matches!(
        flow::contribute(w.wallet(), &c.keys, &status, 1, b"x", None, &mut c.rng),
        Err(FlowError::Busy { .. })
    ));
    let report = w.sync().unwrap();
    assert_eq!(report.resubmitted, vec![id_hex.clone()]);
    c.client
        .wait_included(&id, Duration::from_secs(30))
        .unwrap();
    let report = w.sync().unwrap();
    assert_eq!(report.included, vec![id_hex]);
    assert!(w.wallet().pending.is_empty());
    assert_eq!(balance(&w), 250);
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_stale_copy_of_the_wallet_follows_what_the_other_copy_did() {
    let mut c = start();
    let mut here = c.member("shared phrase");
    c.enroll(&mut here, 3);
    // The same key restored elsewhere, with the same account state.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.json");
    here.wallet().create(&copy).unwrap();
    let mut there = MemberSession::open(&copy, c.client.clone()).unwrap();
    c.contribute(&mut there, 100).unwrap();
    c.contribute(&mut there, 50).unwrap();
    // The stale copy replays both contributions from their public values:
    // every note opening is derived from the key, so it lands on the same note.
    let report = here.sync().unwrap();
    assert_eq!(report.followed, 2);
    assert!(!report.spent_elsewhere);
    assert_eq!(
        here.wallet().current_note().unwrap(),
        there.wallet().current_note().unwrap()
    );
    assert_eq!(balance(&here), 150);
    // And it can go on from there; the other copy follows in turn.
    c.contribute(&mut here, 25).unwrap();
    there.sync().unwrap();
    assert_eq!(balance(&there), 175);
    c.node.take().unwrap().shutdown().unwrap();
}

/// 24 words from a seeded generator: a reproducible test phrase.
fn test_phrase(seed: u64) -> String {
    Wallet::generate(&mut ChaCha20Rng::seed_from_u64(seed))
        .1
        .to_string()
}

#[test]
fn a_lost_wallet_is_recovered_from_its_phrase_alone() {
    let mut c = start();
    let phrase = test_phrase(7);
    let wallet = Wallet::from_mnemonic(&parse_phrase(&phrase).unwrap());
    let path = c._dir.path().join("lost.json");
    let mut m = MemberSession::create(&path, wallet, c.client.clone()).unwrap();
    // Another member's traffic around it.
    let mut other = c.member("neighbour");
    c.enroll(&mut other, 4);
    c.enroll(&mut m, 2);
    c.contribute(&mut other, 90).unwrap();
    c.contribute(&mut m, 400).unwrap();
    c.contribute(&mut m, 300).unwrap();
    c.advance();
    c.contribute(&mut m, 200).unwrap();
    let req = AttestRequest {
        context: "landlord".into(),
        min_balance: 100,
        min_periods: 1,
        require_eligible: false,
        message: Vec::new(),
    };
    c.transact(&mut m, &Action::Attest(req));
    c.transact(
        &mut m,
        &Action::Claim {
            recipient: b"bank".to_vec(),
        },
    );
    let before = m.wallet().current_note().unwrap().clone();
    assert_eq!(before.note.pension, 300);
    let history: Vec<_> = m.wallet().notes.iter().map(|n| (n.cm, n.change)).collect();
    drop(m);
    std::fs::remove_file(&path).unwrap();

    // The phrase alone: the enrollment is found among the commitments, each
    // spend replayed from its public amount and epoch.
    let mut recovered = Wallet::from_mnemonic(&parse_phrase(&phrase).unwrap());
    let report = zkpension_prover::member::sync::sync(&mut recovered, &c.client).unwrap();
    assert_eq!(report.followed, 5);
    assert!(report.enrollment_found.is_some());
    assert_eq!(recovered.current_note().unwrap(), &before);
    assert_eq!(
        recovered
            .notes
            .iter()
            .map(|n| (n.cm, n.change))
            .collect::<Vec<_>>(),
        history
    );
    assert_eq!(recovered.enrollments, 1);

    // The recovered wallet spends: its Merkle path and keys are whole.
    recovered.create(&path).unwrap();
    let mut m = MemberSession::open(&path, c.client.clone()).unwrap();
    c.advance();
    c.transact(
        &mut m,
        &Action::Claim {
            recipient: b"bank".to_vec(),
        },
    );
    assert_eq!(balance(&m), 300);

    // A watch-only wallet from the viewing key sees the same account and
    // cannot prove anything.
    let mut watch = Wallet::watch_only(m.wallet().viewing_key());
    zkpension_prover::member::sync::sync(&mut watch, &c.client).unwrap();
    assert_eq!(watch.current_note(), m.wallet().current_note());
    let status = c.client.status().unwrap();
    assert!(matches!(
        flow::contribute(&watch, &c.keys, &status, 1, b"x", None, &mut c.rng),
        Err(FlowError::Wallet(WalletError::WatchOnly("contribute")))
    ));
    // Another phrase finds nothing.
    let mut stranger = Wallet::from_mnemonic(&parse_phrase(&test_phrase(8)).unwrap());
    let report = zkpension_prover::member::sync::sync(&mut stranger, &c.client).unwrap();
    assert!(report.enrollment_found.is_none());
    assert!(stranger.notes.is_empty());
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_double_spend_is_rejected_and_changes_nothing() {
    let mut c = start();
    let mut w = c.member("double");
    c.enroll(&mut w, 3);
    w.sync().unwrap();
    let status = c.client.status().unwrap();
    // Two different contributions from the same note: same nullifier.
    let a = flow::contribute(w.wallet(), &c.keys, &status, 10, b"a", None, &mut c.rng).unwrap();
    let b = flow::contribute(w.wallet(), &c.keys, &status, 20, b"b", None, &mut c.rng).unwrap();
    let (a, b) = (w.record(a).unwrap(), w.record(b).unwrap());
    c.client.submit(a.transaction()).unwrap();
    c.client
        .wait_included(&a.id(), Duration::from_secs(30))
        .unwrap();
    let before = c.client.status().unwrap();
    let err = c
        .client
        .submit(b.transaction())
        .and_then(|_| c.client.wait_included(&b.id(), Duration::from_secs(30)));
    match err {
        Err(ClientError::Rejected { reason, .. }) => {
            assert!(reason.message.contains("nullifier"), "{}", reason.message)
        }
        other => panic!("double spend not rejected: {other:?}"),
    }
    let after = c.client.status().unwrap();
    assert_eq!(before.state_root, after.state_root);
    assert_eq!(after.totals.contributed, 10);
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_copy_with_a_broken_proof_does_not_cost_the_member_the_account() {
    let mut c = start();
    let mut w = c.member("griefed");
    let mut other = c.member("bystander");
    c.enroll(&mut w, 3);
    c.enroll(&mut other, 3);
    let contribute = |amount| Action::Contribute {
        amount,
        payer_ref: b"ref".to_vec(),
    };
    // The member's transaction, recorded but not yet submitted (say, written
    // to a file that someone else gets to see first).
    let p = w.prepare(&c.keys, &contribute(100), &mut c.rng).unwrap();
    let mine = w.record(p).unwrap();
    // Whoever saw it submits a copy with a proof taken from another
    // transaction: valid points, wrong statement. The id leaves the proof
    // out; the node verifies the proof before it answers, refuses the copy
    // and does not record the member's id as rejected.
    let p = other.prepare(&c.keys, &contribute(7), &mut c.rng).unwrap();
    let stolen = *other.record(p).unwrap().transaction().proof().unwrap();
    let mut forged = mine.transaction().clone();
    let Transaction::Contribute(t) = &mut forged else {
        panic!("a contribute")
    };
    t.proof = stolen;
    assert_eq!(forged.id(), mine.id());
    match c.client.submit(&forged) {
        Err(ClientError::Rejected { reason, .. }) => assert_eq!(reason.code, "invalid_proof"),
        other => panic!("the forged copy must be refused: {other:?}"),
    }
    // The wallet keeps the note, submits its own copy (the node never
    // received it), and the chain includes it.
    let report = w.sync().unwrap();
    assert!(report.rejected.is_empty(), "{report:?}");
    assert_eq!(report.resubmitted, vec![mine.prepared().id_hex()]);
    c.client
        .wait_included(&mine.id(), Duration::from_secs(30))
        .unwrap();
    let report = w.sync().unwrap();
    assert_eq!(report.included, vec![mine.prepared().id_hex()]);
    assert_eq!(balance(&w), 100);
    assert!(!w.wallet().spent_elsewhere);
    c.node.take().unwrap().shutdown().unwrap();
}

/// Every leaf of the chain, from the honest node.
fn all_leaves(client: &NodeClient) -> Vec<zkpension_circuits::field::Fr> {
    let view = client.compact(1, None).unwrap();
    view.blocks
        .iter()
        .flat_map(|b| b.commitments.iter().map(|cm| cm.to_field()))
        .collect()
}

#[test]
fn a_node_that_serves_a_tree_its_headers_do_not_commit_to_is_refused() {
    use zkpension_circuits::field::{serde_hex, Fr};
    use zkpension_circuits::tree::MerkleTree;
    let mut c = start();
    let mut a = c.member("honest");
    c.enroll(&mut a, 3);
    // The lie: one more commitment in the last block (a note the liar wants
    // the wallet to see), with the tree root and leaf count to match, in the
    // compact blocks and in the status, so the wallet's own tree check passes.
    let mut leaves = all_leaves(&c.client);
    let fake = Fr::from(123_456_789u64);
    leaves.push(fake);
    let fake_root = MerkleTree::from_leaves(&leaves).unwrap().root();
    let hex = |f: &Fr| {
        serde_hex::serialize(f, serde_json::value::Serializer)
            .unwrap()
            .as_str()
            .unwrap()
            .to_string()
    };
    let (root, fake_cm) = (hex(&fake_root), hex(&fake));
    let n = leaves.len() as u64;
    let lie = move |path: &str, v: &mut serde_json::Value, also_header: bool| {
        if path.starts_with("/v1/compact") {
            if let Some(last) = v["blocks"].as_array_mut().and_then(|b| b.last_mut()) {
                last["commitments"]
                    .as_array_mut()
                    .unwrap()
                    .push(fake_cm.clone().into());
                last["tree_root"] = root.clone().into();
                if also_header {
                    // The liar also rewrites the header's state root.
                    last["header"]["state_root"] = format!("0x{}", "ab".repeat(32)).into();
                }
            }
        } else if path.starts_with("/v1/status") {
            v["tree_root"] = root.clone().into();
            v["state"]["tree_root"] = root.clone().into();
            v["leaf_count"] = n.into();
            v["state"]["leaf_count"] = n.into();
        }
    };
    for also_header in [false, true] {
        let lie = lie.clone();
        let proxy = common::lying_proxy(c.node.as_ref().unwrap().url(), move |p, v| {
            lie(p, v, also_header)
        });
        let wallet = Wallet::from_seed_bytes(format!("fooled {also_header}").as_bytes());
        let path = c._dir.path().join(format!("fooled-{also_header}.json"));
        let mut fresh = MemberSession::create(&path, wallet, NodeClient::new(&proxy)).unwrap();
        let err = fresh.sync().unwrap_err().to_string();
        let expected = if also_header {
            "its header does not match its hash"
        } else {
            "the header's state root is"
        };
        assert!(err.contains(expected), "{err}");
    }
    // Through the honest node the same wallet state syncs.
    let mut fine = c.member("fine");
    fine.sync().unwrap();
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_settled_wallet_catches_up_light_across_shards() {
    use zkpension_circuits::field::Fr;
    use zkpension_circuits::tree::SHARD_LEAVES;
    use zkpension_circuits::values::NoteCommitment;
    use zkpension_core::tx::Enroll;
    let mut c = start();
    let mut a = c.member("light");
    c.enroll(&mut a, 3);
    c.contribute(&mut a, 100).unwrap();
    // A copy of the wallet that will only ever sync the ordinary way.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.json");
    a.wallet().create(&copy).unwrap();
    let mut full = MemberSession::open(&copy, c.client.clone()).unwrap();
    // Nothing new: a light sync reads only the status.
    let r = a.sync_light(None).unwrap();
    assert_eq!(
        (r.mode, r.new_commitments, r.leaves),
        ("light", 0, 0),
        "{r:?}"
    );

    // More than a shard of commitments (enrollments of made-up notes) and
    // another member's spends, across several blocks.
    let mut b = c.member("other");
    c.enroll(&mut b, 3);
    let fillers: Vec<Transaction> = (0..2 * SHARD_LEAVES + 900)
        .map(|i| {
            let cm = NoteCommitment::from_field(Fr::from(1_000_000 + i));
            Enroll::sign(&c.chain, cm, &c.registrar).into()
        })
        .collect();
    for tx in &fillers {
        c.client.submit(tx).unwrap();
    }
    c.client
        .wait_included(&fillers.last().unwrap().id(), Duration::from_secs(60))
        .unwrap();
    c.contribute(&mut b, 40).unwrap();
    c.contribute(&mut b, 60).unwrap();

    let before = a.wallet().sync.height;
    let old_len = a.wallet().sync.tree.len;
    let r = a.sync_light(None).unwrap();
    assert_eq!(r.mode, "light", "{r:?}");
    assert!(r.new_commitments > 2 * SHARD_LEAVES, "{r:?}");
    assert!(r.shard_roots >= 2, "{r:?}");
    // The rest of the old shard and the new last shard; the whole shard in
    // between only by its root.
    let [rest, last] = light::leaf_ranges(old_len, old_len + r.new_commitments);
    assert_eq!(
        r.leaves,
        rest.end - rest.start + last.end - last.start,
        "{r:?}"
    );
    assert!(r.leaves + SHARD_LEAVES <= r.new_commitments, "{r:?}");
    assert!(r.bytes > 0 && r.from == before + 1, "{r:?}");
    // The ordinary sync of the copy lands on the same tree and note.
    full.sync().unwrap();
    assert_eq!(a.wallet().sync.height, full.wallet().sync.height);
    assert_eq!(a.wallet().sync.tree_root, full.wallet().sync.tree_root);
    assert_eq!(a.wallet().current_note(), full.wallet().current_note());
    // The path from the light view proves: the next contribution goes in.
    c.contribute(&mut a, 25).unwrap();
    assert_eq!(balance(&a), 125);

    // The copy, stale now, spends first; the light sync notices the note in
    // its bucket, changes nothing itself and follows with the ordinary sync.
    full.sync().unwrap();
    c.contribute(&mut full, 10).unwrap();
    let r = a.sync_light(None).unwrap();
    assert_eq!(r.mode, "full", "{r:?}");
    assert!(
        r.reason
            .as_deref()
            .unwrap_or("")
            .contains("was spent at height"),
        "{r:?}"
    );
    assert_eq!(r.full.as_ref().unwrap().followed, 1, "{r:?}");
    assert_eq!(balance(&a), 135);

    // With a pending transaction the ordinary sync runs, and says why.
    let action = Action::Contribute {
        amount: 5,
        payer_ref: b"ref".to_vec(),
    };
    let p = a.prepare(&c.keys, &action, &mut c.rng).unwrap();
    let recorded = a.record(p).unwrap();
    let r = a.sync_light(None).unwrap();
    assert_eq!(r.mode, "full");
    assert!(r.reason.unwrap().contains("pending"));
    assert_eq!(r.full.unwrap().resubmitted.len(), 1);
    a.wait(&recorded, Duration::from_secs(30)).unwrap();

    // The bucket endpoint: every nullifier is in one of the two 1-bit
    // buckets (all below p < 2^254, so bucket 0), none in a later one's
    // range, and malformed buckets are refused.
    let status = c.client.status().unwrap();
    let all = c.client.nullifier_bucket(1, 0, 0, None).unwrap();
    assert_eq!(all.nullifiers.len() as u64, status.state.nullifier_count);
    assert!(c
        .client
        .nullifier_bucket(1, 1, 0, None)
        .unwrap()
        .nullifiers
        .is_empty());
    let late = c
        .client
        .nullifier_bucket(1, 0, status.height, None)
        .unwrap();
    assert!(late.nullifiers.iter().all(|s| s.height == status.height));
    for (bits, bucket, why) in [
        (0u8, 0u32, "bits must be 1 to 32"),
        (33, 0, "bits must be"),
        (8, 256, "does not fit in 8 bits"),
    ] {
        let err = c
            .client
            .nullifier_bucket(bits, bucket, 0, None)
            .unwrap_err();
        assert!(
            matches!(&err, ClientError::Refused { status: 400, message } if message.contains(why)),
            "{err}"
        );
    }
    c.node.take().unwrap().shutdown().unwrap();
}

/// Proves, records, submits and waits for `action`, naming `heir`.
fn transact_naming(c: &mut Chain, m: &mut MemberSession, action: &Action, heir: Fr) {
    let naming = Naming {
        action,
        heir: Some(heir),
    };
    let p = m.prepare_naming(&c.keys, naming, &mut c.rng).unwrap();
    let recorded = m.record(p).unwrap();
    m.submit(&recorded).unwrap();
    m.wait(&recorded, Duration::from_secs(30)).unwrap();
}

/// A member names an heir, changes it, names it again; recovery from the
/// phrase rebuilds the heir from the chain; the heir is refused before the
/// dormancy and a stranger always; after the dormancy the heir inherits the
/// whole balance, the account closes for the member's wallet and for the
/// watching one, and a second inheritance is refused.
#[test]
fn a_named_heir_inherits_a_dormant_account() {
    let mut c = start();
    let phrase = test_phrase(11);
    let wallet = Wallet::from_mnemonic(&parse_phrase(&phrase).unwrap());
    let path = c._dir.path().join("parent.json");
    let mut m = MemberSession::create(&path, wallet, c.client.clone()).unwrap();
    c.enroll(&mut m, 30);
    let heir = Wallet::from_seed_bytes(b"the heir's wallet");
    let heir_sk = heir.spending_key("test").unwrap().clone();
    let other = Wallet::from_seed_bytes(b"a cousin's wallet");
    let contribute = |amount| Action::Contribute {
        amount,
        payer_ref: b"salary".to_vec(),
    };
    transact_naming(&mut c, &mut m, &contribute(400), heir.owner);
    assert_eq!(m.wallet().current_note().unwrap().note.heir, heir.owner);
    // The heir follows the account with its viewing key.
    let watch_path = c._dir.path().join("watch.json");
    let watch = Wallet::watch_only(m.wallet().viewing_key());
    let mut watch = MemberSession::create(&watch_path, watch, c.client.clone()).unwrap();
    // Named, then another heir, then the first again: the watcher sees each.
    transact_naming(&mut c, &mut m, &contribute(100), other.owner);
    let refused = watch
        .prepare_inheritance(&c.keys, &heir_sk, b"heir's bank", &mut c.rng)
        .unwrap_err();
    assert!(
        matches!(
            refused,
            InheritError::NotTheHeir {
                once_named: true,
                ..
            }
        ),
        "{refused}"
    );
    c.advance();
    transact_naming(&mut c, &mut m, &contribute(200), heir.owner);
    let last_active = c.client.status().unwrap().epoch;
    assert_eq!(
        m.wallet().current_note().unwrap().note.last_active,
        last_active
    );
    // The phrase alone gives back the account with its heir.
    let mut recovered = Wallet::from_mnemonic(&parse_phrase(&phrase).unwrap());
    zkpension_prover::member::sync::sync(&mut recovered, &c.client).unwrap();
    assert_eq!(recovered.current_note(), m.wallet().current_note());
    assert_eq!(recovered.current_note().unwrap().note.heir, heir.owner);
    // Not dormant yet: refused with the first epoch the heir may inherit in.
    match watch.prepare_inheritance(&c.keys, &heir_sk, b"heir's bank", &mut c.rng) {
        Err(InheritError::NotDormant {
            last_active: l,
            from,
            ..
        }) => assert_eq!((l, from), (last_active, last_active + DORMANCY)),
        other => panic!("{other:?}"),
    }
    // A stranger's key is refused whatever the epoch.
    c.advance();
    c.advance();
    let stranger = Wallet::from_seed_bytes(b"a stranger");
    let refused = watch
        .prepare_inheritance(
            &c.keys,
            stranger.spending_key("test").unwrap(),
            b"x",
            &mut c.rng,
        )
        .unwrap_err();
    assert!(
        matches!(
            refused,
            InheritError::NotTheHeir {
                once_named: false,
                ..
            }
        ),
        "{refused}"
    );
    // Dormant: the heir draws the whole balance.
    let before = c.client.status().unwrap().totals.paid_out;
    let inheritance = watch
        .prepare_inheritance(&c.keys, &heir_sk, b"heir's bank", &mut c.rng)
        .unwrap();
    assert_eq!(inheritance.amount, 700);
    c.include(&inheritance.tx);
    assert_eq!(c.client.status().unwrap().totals.paid_out, before + 700);
    // Both wallets learn the account is closed; the member can do nothing.
    watch.sync().unwrap();
    m.sync().unwrap();
    let closed = m.wallet().inherited.unwrap();
    assert_eq!((closed.amount, closed.epoch), (700, inheritance.epoch));
    assert_eq!(watch.wallet().inherited, Some(closed));
    assert!(matches!(
        c.contribute(&mut m, 10),
        Err(FlowError::Inherited { amount: 700, .. })
    ));
    assert!(matches!(
        watch.prepare_inheritance(&c.keys, &heir_sk, b"again", &mut c.rng),
        Err(InheritError::AlreadyInherited { amount: 700, .. })
    ));
    c.node.take().unwrap().shutdown().unwrap();
}
