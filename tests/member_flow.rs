//! The member's flow end to end, across crates: an embedded node (ledger +
//! verifier) and wallets (prover's member flow) talking over the real HTTP
//! API. Covers the wallet's crash safety (a transaction recorded but never
//! submitted is submitted again by the next sync), a note spent by a copy of
//! the wallet elsewhere, and refusals with nothing changed.

use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::PathBuf;
use std::time::Duration;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::statements::Clause;
use zkpension_ledger::genesis::GenesisParams;
use zkpension_ledger::hexbytes::FixedBytes;
use zkpension_ledger::{Genesis, Node, NodeConfig, Transaction};
use zkpension_prover::keys::test_keys;
use zkpension_prover::member::flow::{self, AttestRequest, FlowError};
use zkpension_prover::member::{ClientError, NodeClient};
use zkpension_prover::wallet::{NoteStatus, Wallet};
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

    fn enroll(&mut self, w: &mut Wallet, eligible: u64) {
        let req = flow::enroll_request(w, self.chain, eligible, &mut self.rng).unwrap();
        let tx = flow::approve(&req, &self.chain, &self.registrar, Some(eligible)).unwrap();
        self.include(&tx.into());
        flow::sync(w, &self.client).unwrap();
        assert!(w.current_note().is_some(), "enrolled note found by sync");
    }

    fn advance(&self) {
        let s = self.client.status().unwrap();
        self.include(&flow::advance_epoch(
            &self.chain,
            s.epoch + 1,
            s.authority_nonce,
            &self.authority,
        ));
    }

    fn contribute(&mut self, w: &mut Wallet, amount: u64) -> Result<(), FlowError> {
        flow::sync(w, &self.client)?;
        let status = self.client.status()?;
        let p = flow::contribute(w, &self.keys, &status, amount, b"ref", &mut self.rng)?;
        flow::record(w, &p, status.height);
        self.client.submit(&p.tx)?;
        self.client.wait_included(&p.id, Duration::from_secs(30))?;
        flow::sync(w, &self.client)?;
        Ok(())
    }
}

fn balance(w: &Wallet) -> u64 {
    w.current_note().unwrap().note.balance
}

#[test]
fn two_members_contribute_claim_and_attest_over_http() {
    let mut c = start();
    let mut alice = Wallet::from_seed_phrase("alice test wallet").unwrap();
    let mut bob = Wallet::from_seed_phrase("bob test wallet").unwrap();
    c.enroll(&mut alice, 2);
    c.enroll(&mut bob, 5);
    c.contribute(&mut alice, 700).unwrap();
    c.contribute(&mut bob, 300).unwrap();
    // The cap, named by the wallet before any proof is made.
    match c.contribute(&mut alice, 301) {
        Err(FlowError::Relation(e)) => assert_eq!(e.clause, Clause::Cap),
        other => panic!("expected the cap: {other:?}"),
    }
    c.advance();
    c.contribute(&mut alice, 200).unwrap();
    assert_eq!(balance(&alice), 900);

    // Alice is eligible from epoch 2: pension ceil(900 / 3) = 300.
    flow::sync(&mut alice, &c.client).unwrap();
    let status = c.client.status().unwrap();
    let p = flow::claim(&alice, &c.keys, &status, b"alice's bank", &mut c.rng).unwrap();
    flow::record(&mut alice, &p, status.height);
    c.client.submit(&p.tx).unwrap();
    c.client
        .wait_included(&p.id, Duration::from_secs(30))
        .unwrap();
    flow::sync(&mut alice, &c.client).unwrap();
    assert_eq!(balance(&alice), 600);
    assert_eq!(alice.current_note().unwrap().note.pension, 300);
    // Bob is not eligible before epoch 5.
    flow::sync(&mut bob, &c.client).unwrap();
    match flow::claim(&bob, &c.keys, &status, b"bob", &mut c.rng) {
        Err(FlowError::Relation(e)) => assert_eq!(e.clause, Clause::Eligibility),
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
    let status = c.client.status().unwrap();
    let p = flow::attest(&bob, &c.keys, &status, &req, &mut c.rng).unwrap();
    flow::record(&mut bob, &p, status.height);
    c.client.submit(&p.tx).unwrap();
    c.client
        .wait_included(&p.id, Duration::from_secs(30))
        .unwrap();
    flow::sync(&mut bob, &c.client).unwrap();
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
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("w.json");
    let mut w = Wallet::from_seed_phrase("crashy").unwrap();
    w.create(&path).unwrap();
    c.enroll(&mut w, 3);
    flow::sync(&mut w, &c.client).unwrap();
    let status = c.client.status().unwrap();
    let p = flow::contribute(&w, &c.keys, &status, 250, b"ref", &mut c.rng).unwrap();
    flow::record(&mut w, &p, status.height);
    w.save(&path).unwrap();
    drop(w); // the process dies before submitting

    let mut w = Wallet::load(&path).unwrap();
    assert_eq!(w.pending.len(), 1);
    // A second transaction is refused while one is pending.
    let status = c.client.status().unwrap();
    assert!(matches!(
        flow::contribute(&w, &c.keys, &status, 1, b"x", &mut c.rng),
        Err(FlowError::Busy { .. })
    ));
    let report = flow::sync(&mut w, &c.client).unwrap();
    assert_eq!(report.resubmitted, vec![p.id_hex()]);
    c.client
        .wait_included(&p.id, Duration::from_secs(30))
        .unwrap();
    let report = flow::sync(&mut w, &c.client).unwrap();
    assert_eq!(report.included, vec![p.id_hex()]);
    assert!(w.pending.is_empty());
    assert_eq!(balance(&w), 250);
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_note_spent_by_a_copy_of_the_wallet_is_noticed() {
    let mut c = start();
    let mut here = Wallet::from_seed_phrase("shared phrase").unwrap();
    c.enroll(&mut here, 3);
    // The same key restored elsewhere, with the same account state.
    let dir = tempfile::tempdir().unwrap();
    let copy = dir.path().join("copy.json");
    here.create(&copy).unwrap();
    let mut there = Wallet::load(&copy).unwrap();
    c.contribute(&mut there, 100).unwrap();
    let report = flow::sync(&mut here, &c.client).unwrap();
    assert!(report.spent_elsewhere);
    assert!(here.spent_elsewhere);
    assert!(here.current_note().is_none());
    assert!(here.notes.iter().any(|n| n.status == NoteStatus::Spent));
    let status = c.client.status().unwrap();
    assert!(matches!(
        flow::contribute(&here, &c.keys, &status, 1, b"x", &mut c.rng),
        Err(FlowError::SpentElsewhere)
    ));
    c.node.take().unwrap().shutdown().unwrap();
}

#[test]
fn a_double_spend_is_rejected_and_changes_nothing() {
    let mut c = start();
    let mut w = Wallet::from_seed_phrase("double").unwrap();
    c.enroll(&mut w, 3);
    flow::sync(&mut w, &c.client).unwrap();
    let status = c.client.status().unwrap();
    // Two different contributions from the same note: same nullifier.
    let a = flow::contribute(&w, &c.keys, &status, 10, b"a", &mut c.rng).unwrap();
    let b = flow::contribute(&w, &c.keys, &status, 20, b"b", &mut c.rng).unwrap();
    c.client.submit(&a.tx).unwrap();
    c.client
        .wait_included(&a.id, Duration::from_secs(30))
        .unwrap();
    let before = c.client.status().unwrap();
    let err = c
        .client
        .submit(&b.tx)
        .and_then(|_| c.client.wait_included(&b.id, Duration::from_secs(30)));
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
