//! The ledger rules of SPEC §5 with real proofs: every refusal names its
//! reason, and a block holding a refused transaction leaves the state (and
//! its root) unchanged.

use crate::common;

use common::*;
use ed25519_dalek::SigningKey;
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::ContextId;
use zkpension_core::block::Block;
use zkpension_core::codec::DecodeError;
use zkpension_core::governance::GovernanceAction;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::subsidy::{Funder, Subsidy};
use zkpension_core::tx::{AdvanceEpoch, Deposit, Enroll, SetParams};
use zkpension_core::tx::{Context, SetParamsBody};
use zkpension_core::{Governance, Params, PendingParams, Transaction};
use zkpension_ledger::{BlockError, BlockPlan, State};

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 4,
};

struct Chain {
    state: State,
    /// The whole tree, as a wallet would build it from the blocks (the
    /// state keeps only its right edge).
    tree: MerkleTree,
    rng: rand_chacha::ChaCha20Rng,
}

impl Chain {
    fn new(anchor_window: u64) -> Self {
        Chain {
            state: State::genesis(&genesis(PARAMS, anchor_window)).unwrap(),
            tree: MerkleTree::new(),
            rng: rng(99),
        }
    }

    /// A chain under the default governance of `zkpension-node init`: a
    /// delay of 2 epochs, the cap at most 10% per change within [100,
    /// 10,000], the divisor within [2, 8].
    fn governed() -> Self {
        let mut g = genesis(PARAMS, 16);
        g.governance = Some(Governance::defaults_for(&PARAMS));
        Chain {
            state: State::genesis(&g).unwrap(),
            tree: MerkleTree::new(),
            rng: rng(98),
        }
    }

    /// A chain with a subsidy pool: 500 matched per 1000 paid, one funder
    /// (the state, [`state_funder`]).
    fn subsidized() -> Self {
        let mut g = genesis(PARAMS, 16);
        g.subsidy = Some(Subsidy {
            match_rate: 500,
            funders: vec![Funder {
                name: "state".into(),
                key: FixedBytes(state_funder().verifying_key().to_bytes()),
            }],
        });
        Chain {
            state: State::genesis(&g).unwrap(),
            tree: MerkleTree::new(),
            rng: rng(97),
        }
    }

    fn tree(&self) -> &MerkleTree {
        &self.tree
    }

    /// Proposes and commits a block of `txs`; returns the plan.
    fn block(&mut self, txs: Vec<Transaction>) -> BlockPlan {
        let plan = self.state.propose(txs, &fixture().keys, &mut self.rng);
        self.state.commit(&plan).unwrap();
        self.tree.extend(&plan.delta.leaves).unwrap();
        assert_eq!(self.tree.root(), self.state.tree_root());
        plan
    }

    /// A block in which every transaction must be included.
    fn include(&mut self, txs: Vec<Transaction>) -> BlockPlan {
        let n = txs.len();
        let plan = self.block(txs);
        assert!(
            plan.rejected.is_empty(),
            "unexpected rejections: {:?}",
            plan.rejected
        );
        assert_eq!(plan.block.transactions.len(), n);
        plan
    }

    /// `tx` is left out of a proposed block with reason `code`, and a block
    /// holding it is refused with that reason, the state root unchanged.
    fn assert_rejected(&mut self, tx: Transaction, code: &str) {
        let root = self.state.state_root();
        let height = self.state.height();
        let plan = self
            .state
            .propose(vec![tx.clone()], &fixture().keys, &mut self.rng);
        assert_eq!(plan.rejected.len(), 1, "{tx:?} was not rejected");
        assert_eq!(plan.rejected[0].2.code(), code, "{}", plan.rejected[0].2);
        assert_eq!(plan.rejected[0].1, tx.id());
        assert!(plan.block.transactions.is_empty());
        let block = Block {
            header: plan.block.header,
            transactions: vec![tx.clone()],
        };
        match self
            .state
            .apply_block(&block, &fixture().keys, &mut self.rng)
        {
            Err(BlockError::InvalidTransaction { reason, index, id }) => {
                assert_eq!(reason.code(), code);
                assert_eq!((index, id), (0, tx.id()));
            }
            other => panic!("block with a {code} transaction: {other:?}"),
        }
        assert_eq!(self.state.state_root(), root);
        assert_eq!(self.state.height(), height);
    }
}

/// Two enrolled members: `a` eligible from epoch 2, `b` from epoch 50.
fn two_members(chain: &mut Chain) -> (Member, Member) {
    let mut a = Member::new(1, 2);
    let mut b = Member::new(2, 50);
    chain.include(vec![a.enroll(), b.enroll()]);
    a.locate(chain.tree());
    b.locate(chain.tree());
    (a, b)
}

#[test]
fn full_cycle_and_replay_by_a_follower() {
    let mut chain = Chain::new(16);
    let mut plans = Vec::new();
    let mut a = Member::new(1, 2);
    let b = Member::new(2, 50);
    plans.push(chain.include(vec![a.enroll(), b.enroll()]));
    a.locate(chain.tree());

    let (c1, n1) = a.contribute(chain.tree(), 600, 1, PARAMS.cap, b"employer-1");
    plans.push(chain.include(vec![c1]));
    a.note = n1;
    a.locate(chain.tree());
    plans.push(chain.include(vec![advance(2, 0)]));
    let (c2, n2) = a.contribute(chain.tree(), 400, 2, PARAMS.cap, b"employer-1");
    plans.push(chain.include(vec![c2]));
    a.note = n2;
    a.locate(chain.tree());
    let s = chain.state.scalars().clone();
    assert_eq!(
        (s.total_contributed, s.total_paid_out, s.pool()),
        (1000, 0, 1000)
    );

    // First pension: ceil(1000 / 4) = 250.
    let (claim, n3) = a.claim(
        chain.tree(),
        2,
        PARAMS.min_periods,
        PARAMS.divisor,
        b"IBAN 1",
    );
    assert!(matches!(&claim, Transaction::Claim(c) if c.body.amount == 250));
    plans.push(chain.include(vec![claim]));
    a.note = n3;
    a.locate(chain.tree());
    let context = Fr::from(777u64);
    let (att, n4) = a.attest(chain.tree(), 2, context, 500, 2, true, b"challenge");
    let Transaction::Attest(t) = &att else {
        panic!("an attestation")
    };
    let tag = t.body.tag;
    plans.push(chain.include(vec![att]));
    a.note = n4;
    assert!(chain.state.has_attestation(&ContextId::from(context), &tag));
    let s = chain.state.scalars().clone();
    assert_eq!(
        (s.total_contributed, s.total_paid_out, s.pool()),
        (1000, 250, 750)
    );
    assert_eq!(
        (s.nullifier_count, s.attestation_count, s.leaf_count),
        (4, 1, 6)
    );
    assert_eq!((s.height, s.epoch, s.tx_count), (6, 2, 7));

    // A follower applying the same blocks reaches the same state roots.
    let mut follower = State::genesis(chain.state.genesis_config()).unwrap();
    let mut r = rng(5);
    for plan in &plans {
        follower
            .apply_block(&plan.block, &fixture().keys, &mut r)
            .unwrap();
        assert_eq!(follower.state_root(), plan.block.header.state_root);
        assert_eq!(follower.tip_hash(), plan.hash);
    }
    assert_eq!(follower.state_root(), chain.state.state_root());
    // Blocks link: each header names its parent's hash.
    let mut prev = chain.state.context().genesis_hash;
    for plan in &plans {
        assert_eq!(plan.block.header.prev_hash, prev);
        prev = plan.block.header.hash();
    }
}

#[test]
fn block_headers_are_checked() {
    let mut chain = Chain::new(16);
    let a = Member::new(1, 2);
    let plan = chain
        .state
        .propose(vec![a.enroll()], &fixture().keys, &mut rng(1));
    let root = chain.state.state_root();
    let mut r = rng(2);
    let mut bad = plan.block.clone();
    bad.header.state_root = FixedBytes([1; 32]);
    assert!(matches!(
        chain.state.apply_block(&bad, &fixture().keys, &mut r),
        Err(BlockError::HeaderMismatch {
            field: "state_root"
        })
    ));
    let mut bad = plan.block.clone();
    bad.header.tx_root = FixedBytes([1; 32]);
    assert!(matches!(
        chain.state.apply_block(&bad, &fixture().keys, &mut r),
        Err(BlockError::HeaderMismatch { field: "tx_root" })
    ));
    let mut bad = plan.block.clone();
    bad.header.epoch = 9;
    assert!(matches!(
        chain.state.apply_block(&bad, &fixture().keys, &mut r),
        Err(BlockError::HeaderMismatch { field: "epoch" })
    ));
    let mut bad = plan.block.clone();
    bad.header.prev_hash = FixedBytes([1; 32]);
    assert!(matches!(
        chain.state.apply_block(&bad, &fixture().keys, &mut r),
        Err(BlockError::PrevHash { .. })
    ));
    let mut bad = plan.block.clone();
    bad.header.height = 2;
    assert!(matches!(
        chain.state.apply_block(&bad, &fixture().keys, &mut r),
        Err(BlockError::Height {
            expected: 1,
            got: 2
        })
    ));
    assert_eq!(chain.state.state_root(), root);
    chain
        .state
        .apply_block(&plan.block, &fixture().keys, &mut r)
        .unwrap();
    assert_eq!(chain.state.height(), 1);
    // A plan made for height 1 cannot be committed again.
    assert!(matches!(
        chain.state.commit(&plan),
        Err(BlockError::Height { .. })
    ));
}

#[test]
fn double_spend_across_blocks() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    let (first, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    let (second, _) = a.contribute(chain.tree(), 50, 1, PARAMS.cap, b"p");
    chain.include(vec![first]);
    // Another spend of the same note: same nullifier.
    chain.assert_rejected(second, "nullifier_spent");
}

#[test]
fn double_spend_in_one_block() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    let (first, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    let (second, _) = a.contribute(chain.tree(), 50, 1, PARAMS.cap, b"p");
    let root = chain.state.state_root();
    // Strict: a block spending one nullifier twice is refused whole.
    let plan = chain
        .state
        .propose(vec![first.clone()], &fixture().keys, &mut rng(3));
    let block = Block {
        header: plan.block.header,
        transactions: vec![first.clone(), second.clone()],
    };
    match chain
        .state
        .apply_block(&block, &fixture().keys, &mut rng(4))
    {
        Err(BlockError::InvalidTransaction {
            index: 1, reason, ..
        }) => {
            assert_eq!(reason.code(), "nullifier_spent_in_block")
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(chain.state.state_root(), root);
    // Producing: the first goes in, the second is left out.
    let plan = chain.block(vec![first.clone(), second.clone()]);
    assert_eq!(plan.block.transactions, vec![first]);
    assert_eq!(plan.rejected.len(), 1);
    assert_eq!(plan.rejected[0].1, second.id());
    assert_eq!(plan.rejected[0].2.code(), "nullifier_spent_in_block");
    assert_eq!(chain.state.scalars().total_contributed, 100);
}

#[test]
fn invalid_proof_does_not_take_the_nullifier_of_a_valid_one() {
    let mut chain = Chain::new(16);
    let (a, b) = two_members(&mut chain);
    let (valid, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    let (other, _) = b.contribute(chain.tree(), 70, 1, PARAMS.cap, b"p");
    // `forged` claims a's nullifier with the proof of b's spend.
    let mut forged = other.clone();
    if let (Transaction::Contribute(f), Transaction::Contribute(v)) = (&mut forged, &valid) {
        f.body.spend.nf = v.body.spend.nf;
    }
    let plan = chain.block(vec![forged.clone(), valid.clone()]);
    assert_eq!(plan.block.transactions, vec![valid]);
    assert_eq!(plan.rejected[0].1, forged.id());
    assert_eq!(plan.rejected[0].2.code(), "invalid_proof");
}

#[test]
fn stale_anchor() {
    let mut chain = Chain::new(3);
    let (a, _) = two_members(&mut chain);
    let (stale, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    // Three more blocks push the anchor out of a window of three roots.
    for i in 0..3 {
        chain.include(vec![Member::new(100 + i, 9).enroll()]);
    }
    chain.assert_rejected(stale, "unknown_anchor");
    // The same contribution against a current root goes in.
    let mut a = a;
    a.locate(chain.tree());
    let (fresh, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    chain.include(vec![fresh]);
}

#[test]
fn wrong_epoch() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    let (future, _) = a.contribute(chain.tree(), 100, 2, PARAMS.cap, b"p");
    chain.assert_rejected(future.clone(), "wrong_epoch");
    // Once the epoch comes, it goes in; a block may carry the advance first.
    chain.include(vec![advance(2, 0), future]);
    let (past, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    chain.assert_rejected(past, "wrong_epoch");
}

#[test]
fn over_the_cap_and_parameters_take_effect_next_epoch() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    // The prover claims a cap of 2000; the ledger's is 1000.
    let (over, _) = a.contribute(chain.tree(), 1500, 1, 2000, b"p");
    chain.assert_rejected(over.clone(), "invalid_proof");
    // The authority raises the cap: not in this epoch...
    let raised = Params {
        cap: 2000,
        ..PARAMS
    };
    chain.include(vec![set_params(raised, 2, 0)]);
    assert_eq!(chain.state.params(), PARAMS);
    assert_eq!(
        chain.state.scalars().pending_params.map(|p| p.params),
        Some(raised)
    );
    chain.assert_rejected(over, "invalid_proof");
    // ...but from the next.
    chain.include(vec![advance(2, 1)]);
    assert_eq!(chain.state.params(), raised);
    assert_eq!(chain.state.scalars().pending_params, None);
    let (ok, _) = a.contribute(chain.tree(), 1500, 2, 2000, b"p");
    let (old_cap, _) = a.contribute(chain.tree(), 500, 2, 1000, b"p");
    chain.assert_rejected(old_cap, "invalid_proof");
    chain.include(vec![ok]);
}

/// `a` with a contribution in epoch 1, in epoch 2 (eligible), and `b`.
fn funded(chain: &mut Chain) -> (Member, Member) {
    let (mut a, mut b) = two_members(chain);
    let (ca, na) = a.contribute(chain.tree(), 800, 1, PARAMS.cap, b"p");
    let (cb, nb) = b.contribute(chain.tree(), 900, 1, PARAMS.cap, b"p");
    chain.include(vec![ca, cb, advance(2, 0)]);
    a.note = na;
    b.note = nb;
    a.locate(chain.tree());
    b.locate(chain.tree());
    (a, b)
}

#[test]
fn claim_before_eligibility() {
    let mut chain = Chain::new(16);
    let (_, b) = funded(&mut chain);
    // b is eligible from epoch 50 only; no proof for epoch 2 exists. A proof
    // for epoch 50 is refused in epoch 2...
    let (early, _) = b.claim(chain.tree(), 50, PARAMS.min_periods, PARAMS.divisor, b"r");
    chain.assert_rejected(early.clone(), "wrong_epoch");
    // ...and relabelled as epoch 2 it no longer verifies.
    let mut relabelled = early;
    if let Transaction::Claim(c) = &mut relabelled {
        c.body.epoch = 2;
    }
    chain.assert_rejected(relabelled, "invalid_proof");
}

#[test]
fn second_claim_in_one_epoch() {
    let mut chain = Chain::new(16);
    let (mut a, _) = funded(&mut chain);
    let old = a.clone();
    let (first, n) = a.claim(chain.tree(), 2, PARAMS.min_periods, PARAMS.divisor, b"r");
    chain.include(vec![first.clone()]);
    a.note = n;
    a.locate(chain.tree());
    // The same claim again, and a second claim from the spent note.
    chain.assert_rejected(first, "replayed");
    let (again, _) = old.claim(
        chain.tree(),
        2,
        PARAMS.min_periods,
        PARAMS.divisor,
        b"other",
    );
    chain.assert_rejected(again, "nullifier_spent");
    // From the new note, the circuit only proves a later epoch...
    let (next, _) = a.claim(chain.tree(), 3, PARAMS.min_periods, PARAMS.divisor, b"r");
    chain.assert_rejected(next.clone(), "wrong_epoch");
    let mut relabelled = next.clone();
    if let Transaction::Claim(c) = &mut relabelled {
        c.body.epoch = 2;
    }
    chain.assert_rejected(relabelled, "invalid_proof");
    // ...which goes in once that epoch has come.
    chain.include(vec![advance(3, 1), next]);
    // 800 / 4 = 200 per epoch, twice.
    assert_eq!(chain.state.scalars().total_paid_out, 400);
}

#[test]
fn forged_registrar_signature() {
    let mut chain = Chain::new(16);
    let m = Member::new(5, 2);
    let cm = m.note.commit();
    let by_authority = Enroll::sign(&chain_id(), cm, &authority());
    chain.assert_rejected(by_authority.into(), "bad_registrar_signature");
    let other_chain = Enroll::sign(
        &zkpension_circuits::binding::ChainId::from_name("other"),
        cm,
        &registrar(),
    );
    chain.assert_rejected(other_chain.into(), "bad_registrar_signature");
    let mut tampered = Enroll::sign(&chain_id(), cm, &registrar());
    tampered.body.cm = (tampered.body.cm.to_field() + Fr::from(1u64)).into();
    chain.assert_rejected(tampered.into(), "bad_registrar_signature");
    chain.include(vec![m.enroll()]);
}

#[test]
fn forged_authority_signature() {
    let mut chain = Chain::new(16);
    let forged = AdvanceEpoch::sign(&chain_id(), 2, 0, &registrar());
    chain.assert_rejected(forged.into(), "bad_authority_signature");
    let mut tampered = AdvanceEpoch::sign(&chain_id(), 2, 0, &authority());
    tampered.body.epoch = 3;
    chain.assert_rejected(tampered.into(), "bad_authority_signature");
    let forged = SetParams::sign(&chain_id(), PARAMS, 2, 0, &registrar());
    chain.assert_rejected(forged.into(), "bad_authority_signature");
    assert_eq!(chain.state.epoch(), 1);
}

#[test]
fn authority_nonce_epoch_order_and_parameters() {
    let mut chain = Chain::new(16);
    chain.assert_rejected(advance(2, 1), "wrong_nonce");
    chain.assert_rejected(advance(1, 0), "epoch_not_increasing");
    let zero_divisor = SetParams {
        body: SetParamsBody {
            params: Params {
                cap: 1,
                min_periods: 0,
                divisor: 0,
            },
            effective_epoch: 2,
            nonce: 0,
        },
        signature: FixedBytes([0; 64]),
    };
    chain.assert_rejected(zero_divisor.into(), "invalid_params");
    // Epochs may skip; the nonce counts authority transactions.
    chain.include(vec![advance(5, 0), set_params(PARAMS, 6, 1)]);
    assert_eq!(chain.state.epoch(), 5);
    chain.assert_rejected(advance(6, 1), "wrong_nonce");
    chain.include(vec![advance(6, 2)]);
}

#[test]
fn replayed_transactions() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    chain.assert_rejected(a.enroll(), "replayed");
    let adv = advance(2, 0);
    chain.include(vec![adv.clone()]);
    chain.assert_rejected(adv, "replayed");
    let (c, _) = a.contribute(chain.tree(), 10, 2, PARAMS.cap, b"p");
    chain.include(vec![c.clone()]);
    chain.assert_rejected(c.clone(), "replayed");
    // The same transaction twice in one block.
    let m = Member::new(9, 2);
    let plan = chain.block(vec![m.enroll(), m.enroll()]);
    assert_eq!(plan.block.transactions.len(), 1);
    assert_eq!(plan.rejected[0].2.code(), "duplicate_in_block");
}

#[test]
fn duplicate_attestation() {
    let mut chain = Chain::new(16);
    let (mut a, _) = funded(&mut chain);
    let context = Fr::from(42u64);
    let (first, n) = a.attest(chain.tree(), 2, context, 0, 0, false, b"m1");
    // The same note, two attestations in one context: one tag.
    let (twin, _) = a.attest(chain.tree(), 2, context, 100, 0, false, b"m2");
    let plan = chain.block(vec![first, twin.clone()]);
    assert_eq!(plan.block.transactions.len(), 1);
    assert_eq!(plan.rejected[0].2.code(), "nullifier_spent_in_block");
    a.note = n;
    a.locate(chain.tree());
    // From the new note: a new nullifier, but the context's tag is taken.
    let (again, _) = a.attest(chain.tree(), 2, context, 0, 0, false, b"m3");
    chain.assert_rejected(again, "duplicate_attestation");
    // Another context is free.
    let (other, _) = a.attest(chain.tree(), 2, Fr::from(43u64), 0, 0, false, b"m4");
    chain.include(vec![other]);
}

#[test]
fn non_canonical_field_element() {
    let enroll = Member::new(1, 2).enroll();
    let mut bytes = enroll.encode();
    // cm := p, the modulus: its alias 0 must not decode.
    let p =
        hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001").unwrap();
    bytes[2..34].copy_from_slice(&p);
    assert!(matches!(
        Transaction::decode(&bytes),
        Err(DecodeError::Field { what: "cm", .. })
    ));
    let json = serde_json::to_string(&enroll).unwrap();
    let cm_hex = match &enroll {
        Transaction::Enroll(e) => zkpension_circuits::field::to_hex(&e.body.cm.to_field()),
        _ => unreachable!(),
    };
    let alias = json.replace(&cm_hex, &format!("0x{}", hex::encode(&p)));
    assert!(serde_json::from_str::<Transaction>(&alias).is_err());
    // A block carrying it does not decode either.
    let block = Block {
        header: zkpension_core::block::BlockHeader {
            height: 1,
            prev_hash: FixedBytes([0; 32]),
            epoch: 1,
            tx_root: FixedBytes([0; 32]),
            state_root: FixedBytes([0; 32]),
        },
        transactions: vec![enroll],
    };
    let mut encoded = block.encode();
    let at = encoded.len() - 64 - 32;
    encoded[at..at + 32].copy_from_slice(&p);
    assert!(matches!(
        Block::decode(&encoded),
        Err(DecodeError::Field { what: "cm", .. })
    ));
}

#[test]
fn malformed_proof() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    let (c, _) = a.contribute(chain.tree(), 100, 1, PARAMS.cap, b"p");
    let with_proof = |f: &dyn Fn(&mut [u8; 128])| {
        let mut t = c.clone();
        if let Transaction::Contribute(x) = &mut t {
            f(&mut x.proof.0);
        }
        t
    };
    // Not a point encoding at all.
    chain.assert_rejected(with_proof(&|p| p.fill(0xff)), "malformed_proof");
    // A's x-coordinate changed: (almost surely) off the curve or another point.
    let flipped = with_proof(&|p| p[0] ^= 1);
    let plan = chain
        .state
        .propose(vec![flipped.clone()], &fixture().keys, &mut rng(1));
    let code = plan.rejected[0].2.code();
    assert!(
        code == "malformed_proof" || code == "invalid_proof",
        "{code}"
    );
    chain.assert_rejected(flipped, code);
    // A valid proof of another transaction.
    let (other, _) = a.contribute(chain.tree(), 99, 1, PARAMS.cap, b"p");
    let swapped = with_proof(&|p| {
        if let Transaction::Contribute(o) = &other {
            *p = o.proof.0;
        }
    });
    chain.assert_rejected(swapped, "invalid_proof");
    // The payer reference is bound to the proof.
    let mut rebound = c.clone();
    if let Transaction::Contribute(x) = &mut rebound {
        x.body.payer_ref = Context::new("payer_ref", b"someone else".to_vec()).unwrap();
    }
    chain.assert_rejected(rebound, "invalid_proof");
    chain.include(vec![c]);
}

#[test]
fn payout_details_must_be_sealed_when_genesis_names_a_paying_agent() {
    use zkpension_core::sealed::{seal, AgentKey, SealedField};
    let mut r = rng(5);
    let agent = AgentKey::generate(&mut r);
    let mut g = genesis(PARAMS, 16);
    g.paying_agent = Some(FixedBytes(agent.public()));
    let mut chain = Chain {
        state: State::genesis(&g).unwrap(),
        tree: MerkleTree::new(),
        rng: rng(99),
    };
    let (mut a, _) = two_members(&mut chain);
    // A payment reference in clear is refused, even with a valid proof over it.
    let (clear, _) = a.contribute(chain.tree(), 800, 1, PARAMS.cap, b"salary 2026-11");
    chain.assert_rejected(clear, "clear_payout_detail");
    let sealed_ref = seal(
        &agent.public(),
        &chain_id(),
        SealedField::PayerRef,
        b"salary 2026-11",
        &mut r,
    )
    .unwrap();
    let (tx, note) = a.contribute(chain.tree(), 800, 1, PARAMS.cap, &sealed_ref);
    chain.include(vec![tx, advance(2, 0)]);
    a.note = note;
    a.locate(chain.tree());
    // So is a recipient in clear; sealed, the claim is paid.
    let (clear, _) = a.claim(
        chain.tree(),
        2,
        PARAMS.min_periods,
        PARAMS.divisor,
        b"IBAN DE89",
    );
    chain.assert_rejected(clear, "clear_payout_detail");
    let sealed_to = seal(
        &agent.public(),
        &chain_id(),
        SealedField::Recipient,
        b"IBAN DE89",
        &mut r,
    )
    .unwrap();
    let (claim, _) = a.claim(
        chain.tree(),
        2,
        PARAMS.min_periods,
        PARAMS.divisor,
        &sealed_to,
    );
    let plan = chain.include(vec![claim]);
    // Only the agent reads it back from the block.
    let Transaction::Claim(c) = &plan.block.transactions[0] else {
        panic!("a claim");
    };
    assert_eq!(
        agent
            .open(
                &chain_id(),
                SealedField::Recipient,
                c.body.recipient.as_slice()
            )
            .unwrap(),
        b"IBAN DE89"
    );
}

#[test]
fn a_change_waits_its_delay_then_applies_and_a_cancelled_one_never_does() {
    let mut chain = Chain::governed();
    let p = |cap, divisor| Params {
        cap,
        min_periods: 1,
        divisor,
    };
    // Each clause of the governance check, against epoch 1 and cap 1000.
    chain.assert_rejected(set_params(p(1100, 4), 2, 0), "delay_too_short");
    chain.assert_rejected(set_params(p(1101, 4), 3, 0), "param_step_too_large");
    chain.assert_rejected(set_params(p(1000, 9), 3, 0), "param_out_of_bounds");
    chain.assert_rejected(cancel_params(0), "nothing_pending");
    // Within the rules: pending, in the state root, not yet in force.
    let root = chain.state.state_root();
    chain.include(vec![set_params(p(1100, 4), 3, 0)]);
    assert_ne!(chain.state.state_root(), root);
    let pending = PendingParams {
        params: p(1100, 4),
        effective_epoch: 3,
    };
    assert_eq!(chain.state.scalars().pending_params, Some(pending));
    chain.include(vec![advance(2, 1)]);
    assert_eq!(chain.state.params(), PARAMS, "epoch 2 is inside the delay");
    chain.include(vec![advance(3, 2)]);
    assert_eq!(chain.state.params(), p(1100, 4));
    assert_eq!(chain.state.scalars().pending_params, None);
    // The next step is 10% of the new cap; a cancelled change never applies.
    chain.include(vec![set_params(p(1210, 4), 5, 3)]);
    chain.include(vec![cancel_params(4)]);
    assert_eq!(chain.state.scalars().pending_params, None);
    chain.include(vec![advance(6, 5)]);
    assert_eq!(chain.state.params(), p(1100, 4));
    // A later change replaces a pending one.
    chain.include(vec![
        set_params(p(1000, 4), 8, 6),
        set_params(p(1050, 4), 9, 7),
    ]);
    chain.include(vec![advance(8, 8)]);
    assert_eq!(chain.state.params(), p(1100, 4), "the replaced change");
    chain.include(vec![advance(9, 9)]);
    assert_eq!(chain.state.params(), p(1050, 4));
    // The log: scheduled, took effect, scheduled, cancelled, scheduled,
    // scheduled (replacing), took effect.
    let actions: Vec<&str> = chain
        .state
        .governance_log()
        .iter()
        .map(|e| match &e.action {
            GovernanceAction::Scheduled { replaced: None, .. } => "scheduled",
            GovernanceAction::Scheduled { .. } => "replaced",
            GovernanceAction::Cancelled { .. } => "cancelled",
            GovernanceAction::TookEffect { .. } => "took_effect",
            GovernanceAction::Deposited { .. } => "deposited",
        })
        .collect();
    assert_eq!(
        actions,
        [
            "scheduled",
            "took_effect",
            "scheduled",
            "cancelled",
            "scheduled",
            "replaced",
            "took_effect"
        ]
    );
    assert_eq!(chain.state.governance_log()[1].epoch, 3);
}

fn state_funder() -> SigningKey {
    SigningKey::from_bytes(&[9; 32])
}

fn deposit(amount: u64, nonce: u64) -> Transaction {
    Deposit::sign(&chain_id(), amount, nonce, &state_funder()).into()
}

#[test]
fn deposits_are_matched_until_the_pool_runs_dry() {
    let mut chain = Chain::subsidized();
    let (mut a, mut b) = two_members(&mut chain);
    let cap = PARAMS.cap;
    // An empty pool matches nothing.
    let (asks, _) = a.contribute_matched(chain.tree(), 100, 50, 1, cap, b"a-1");
    chain.assert_rejected(asks, "subsidy_pool_empty");
    // Deposits: only the genesis's funder, signed, with its nonce, once.
    let d0 = deposit(80, 0);
    chain.include(vec![d0.clone()]);
    chain.assert_rejected(d0, "replayed");
    chain.assert_rejected(deposit(70, 0), "wrong_nonce");
    chain.assert_rejected(deposit(0, 1), "zero_amount");
    let stranger = Deposit::sign(&chain_id(), 80, 1, &authority());
    chain.assert_rejected(stranger.clone().into(), "unknown_funder");
    let mut forged = stranger;
    forged.body.funder = FixedBytes(state_funder().verifying_key().to_bytes());
    chain.assert_rejected(forged.into(), "bad_funder_signature");
    let t = chain.state.scalars().subsidy.clone().unwrap();
    assert_eq!((t.funded, t.matched, t.deposit_nonces), (80, 0, vec![1]));

    // 100 paid gets exactly 50: not 51, not 49.
    let (more, _) = a.contribute_matched(chain.tree(), 100, 51, 1, cap, b"a-1");
    chain.assert_rejected(more, "match_too_large");
    let (less, _) = a.contribute_matched(chain.tree(), 100, 49, 1, cap, b"a-1");
    chain.assert_rejected(less, "match_below_rule");
    let (none, _) = a.contribute(chain.tree(), 100, 1, cap, b"a-1");
    chain.assert_rejected(none, "match_below_rule");
    let (exact, na) = a.contribute_matched(chain.tree(), 100, 50, 1, cap, b"a-1");
    chain.include(vec![exact]);
    a.note = na;
    a.locate(chain.tree());
    // Only 30 is left: b's 100 gets 30, never 50.
    let (full, _) = b.contribute_matched(chain.tree(), 100, 50, 1, cap, b"b-1");
    chain.assert_rejected(full, "match_exceeds_pool");
    let (rest, nb) = b.contribute_matched(chain.tree(), 100, 30, 1, cap, b"b-1");
    chain.include(vec![rest]);
    b.note = nb;
    b.locate(chain.tree());
    assert_eq!(b.note.balance, 130, "the match is in the hidden balance");
    // The pool is dry: the next contribution is matched with 0.
    let (dry, _) = a.contribute(chain.tree(), 100, 1, cap, b"a-2");
    chain.include(vec![dry]);

    let s = chain.state.scalars().clone();
    let t = s.subsidy.clone().unwrap();
    assert_eq!((t.funded, t.matched, t.available()), (80, 80, 0));
    // pool = in + matched - out.
    assert_eq!((s.total_contributed, s.pool()), (300, 380));
    let view = chain.state.subsidy_view().unwrap();
    assert_eq!((view.match_rate, view.available), (500, 0));
    assert_eq!(chain.state.funders()[0].deposits, 1);
    let deposited: Vec<_> = chain
        .state
        .governance_log()
        .iter()
        .filter_map(|e| match &e.action {
            GovernanceAction::Deposited { funder, amount } => Some((funder.as_str(), *amount)),
            _ => None,
        })
        .collect();
    assert_eq!(deposited, [("state", 80)]);
}

#[test]
fn a_chain_without_a_subsidy_refuses_matches_and_deposits() {
    let mut chain = Chain::new(16);
    let (a, _) = two_members(&mut chain);
    let (asks, _) = a.contribute_matched(chain.tree(), 100, 50, 1, PARAMS.cap, b"a");
    chain.assert_rejected(asks, "no_subsidy_pool");
    chain.assert_rejected(deposit(80, 0), "unknown_funder");
    assert!(chain.state.scalars().subsidy.is_none());
    assert!(chain.state.subsidy_view().is_none());
}

/// An heir: named by the member's contribution, inherits after the
/// genesis's dormancy, once; the member's own spend of the inherited note
/// is then a double spend; a proof under a shorter dormancy does not
/// verify; a chain without a dormancy refuses every inheritance.
#[test]
fn an_heir_inherits_a_dormant_account_once() {
    let mut chain = Chain::new(16);
    let heir = zkpension_circuits::keys::SpendingKey::from_seed(b"the heir");
    let (mut a, _) = two_members(&mut chain);
    // Epoch 1: the member pays in 800 and names the heir.
    a.heir = heir.owner();
    let (c, n) = a.contribute(chain.tree(), 800, 1, PARAMS.cap, b"p");
    chain.include(vec![c]);
    a.note = n;
    a.locate(chain.tree());
    assert_eq!(a.note.heir, heir.owner());
    assert_eq!(a.note.last_active, 1);
    // Dormant from epoch 1 + 3 on. The heir's proof for epoch 4, sent in
    // epoch 3, is refused.
    chain.include(vec![advance(3, 0)]);
    let inherit = a.inherit(&heir, chain.tree(), 4, b"heir's account");
    chain.assert_rejected(inherit.clone(), "wrong_epoch");
    // Relabelled as epoch 3 (a dormancy of 2), it no longer verifies.
    let mut early = inherit.clone();
    if let Transaction::Inherit(t) = &mut early {
        t.body.epoch = 3;
    }
    chain.assert_rejected(early, "invalid_proof");
    // Epoch 4: the whole balance leaves as money out; no note is appended.
    chain.include(vec![advance(4, 1)]);
    let leaves = chain.state.scalars().leaf_count;
    chain.include(vec![inherit.clone()]);
    assert_eq!(chain.state.scalars().total_paid_out, 800);
    assert_eq!(chain.state.scalars().leaf_count, leaves);
    // Once only, and the member's own spend of the note is a double spend.
    chain.assert_rejected(inherit.clone(), "replayed");
    let (late, _) = a.contribute(chain.tree(), 10, 4, PARAMS.cap, b"p");
    chain.assert_rejected(late, "nullifier_spent");
    // A chain whose genesis sets no dormancy.
    let mut g = genesis(PARAMS, 16);
    g.dormancy = None;
    let mut off = Chain {
        state: State::genesis(&g).unwrap(),
        tree: MerkleTree::new(),
        rng: rng(96),
    };
    let mut b = Member::new(1, 2);
    b.heir = heir.owner();
    off.include(vec![b.enroll()]);
    b.locate(off.tree());
    let (c, n) = b.contribute(off.tree(), 800, 1, PARAMS.cap, b"p");
    off.include(vec![c, advance(4, 0)]);
    b.note = n;
    b.locate(off.tree());
    let inherit = b.inherit(&heir, off.tree(), 4, b"heir's account");
    off.assert_rejected(inherit, "no_inheritance");
}
