//! The auditor: proofs verified in batches across blocks, and the first
//! height that disagrees named even when a later block breaks another rule
//! before the batch is verified.

use crate::common;

use common::sim::SimKeys;
use common::*;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, SpendHeader};
use zkpension_core::{Block, Genesis, Params, Transaction};
use zkpension_ledger::audit::Auditor;
use zkpension_ledger::State;

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

/// Four blocks: two enrollments, then three blocks of one contribution.
fn chain(sim: &SimKeys) -> (Genesis, Vec<Block>) {
    let genesis = genesis_with_keys(PARAMS, 8, sim.vk_ids());
    let mut state = State::genesis(&genesis).unwrap();
    let mut r = rng(2);
    let mut blocks = Vec::new();
    let mut apply = |state: &mut State, txs: Vec<Transaction>, r: &mut _| {
        let plan = state.propose(txs, &sim.keys, r);
        assert!(plan.rejected.is_empty(), "{:?}", plan.rejected);
        state.commit(&plan).unwrap();
        blocks.push(plan.block);
    };
    apply(
        &mut state,
        vec![Member::new(1, 2).enroll(), Member::new(2, 2).enroll()],
        &mut r,
    );
    for i in 0..3u64 {
        let mut c = Contribute {
            body: ContributeBody {
                spend: SpendHeader {
                    anchor: Anchor::from(state.tree_root()),
                    nf: Nullifier::from(Fr::from(100 + i)),
                    cm_new: NoteCommitment::from(Fr::from(200 + i)),
                    heir_ct: Default::default(),
                },
                amount: 10 + i,
                matched: 0,
                epoch: 1,
                payer_ref: Context::empty(),
            },
            proof: FixedBytes([0; 128]),
        };
        c.proof = FixedBytes(sim.prove(
            Statement::Contribute,
            &c.public(&chain_id(), &PARAMS).to_field_elements(),
            &mut r,
        ));
        apply(&mut state, vec![c.into()], &mut r);
    }
    (genesis, blocks)
}

/// A well-formed proof that does not verify: C replaced by A.
fn break_proof(block: &mut Block) {
    let Transaction::Contribute(c) = &mut block.transactions[0] else {
        panic!("a contribution");
    };
    let a: [u8; 32] = c.proof.0[..32].try_into().unwrap();
    c.proof.0[96..].copy_from_slice(&a);
}

#[test]
fn a_valid_chain_is_checked_in_one_batch_and_counted() {
    let sim = SimKeys::new(40);
    let (genesis, blocks) = chain(&sim);
    let mut a = Auditor::new(&genesis, sim.keys.clone()).unwrap();
    for b in &blocks {
        a.push(b).unwrap();
    }
    assert_eq!(
        a.counts().proofs_checked,
        0,
        "verified only once the batch is full"
    );
    let (state, counts) = a.finish().unwrap();
    assert_eq!(counts.proofs_checked, 3);
    assert_eq!(counts.members_enrolled, 2);
    assert_eq!(counts.transactions, 5);
    assert_eq!(counts.blocks, 4);
    assert_eq!(state.tip_hash(), blocks[3].hash());
    assert_eq!(state.scalars().total_contributed, 10 + 11 + 12);
}

#[test]
fn a_bad_proof_is_named_at_its_height_even_when_a_later_block_breaks_a_rule() {
    let sim = SimKeys::new(41);
    let (genesis, mut blocks) = chain(&sim);
    break_proof(&mut blocks[2]);
    // Alone: found when the batch is verified, at the end.
    let mut a = Auditor::new(&genesis, sim.keys.clone()).unwrap();
    for b in &blocks {
        a.push(b).unwrap();
    }
    let e = a.finish().expect_err("the proof does not verify");
    assert_eq!(e.height, 3, "{e}");
    assert!(e.reason.contains("contribute proof does not verify"), "{e}");
    // With a full batch of one, at its own block.
    let mut a = Auditor::new(&genesis, sim.keys.clone())
        .unwrap()
        .with_batch_size(1);
    a.push(&blocks[0]).unwrap();
    a.push(&blocks[1]).unwrap();
    assert_eq!(a.push(&blocks[2]).unwrap_err().height, 3);
    // Block 4 also lies about its state root; block 3's proof is still the
    // first disagreement.
    blocks[3].header.state_root = FixedBytes([7; 32]);
    let mut a = Auditor::new(&genesis, sim.keys.clone()).unwrap();
    for b in &blocks[..3] {
        a.push(b).unwrap();
    }
    let e = a.push(&blocks[3]).unwrap_err();
    assert_eq!(e.height, 3, "{e}");
    // Block 4 alone (block 3's proof intact) is named with its reason.
    let (_, mut good) = chain(&sim);
    good[3].header.state_root = FixedBytes([7; 32]);
    let mut a = Auditor::new(&genesis, sim.keys.clone()).unwrap();
    for b in &good[..3] {
        a.push(b).unwrap();
    }
    let e = a.push(&good[3]).unwrap_err();
    assert_eq!(e.height, 4, "{e}");
    assert!(e.reason.contains("state_root"), "{e}");
}
