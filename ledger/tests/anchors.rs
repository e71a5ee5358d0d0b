//! The anchor window counts distinct tree roots: blocks that append nothing
//! never push an honest, held-back transaction's anchor out.

use crate::common;

use common::sim::SimKeys;
use common::*;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, SpendHeader};
use zkpension_core::{Params, Rejection, Transaction};
use zkpension_ledger::store::{OpenOptions, Store};
use zkpension_ledger::State;

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

fn contribute(sim: &SimKeys, anchor: Fr, nf: u64) -> Transaction {
    let mut c = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(anchor),
                nf: Nullifier::from(Fr::from(nf)),
                cm_new: NoteCommitment::from(Fr::from(nf + 1_000)),
                heir_ct: Default::default(),
            },
            amount: 7,
            matched: 0,
            epoch: 1,
            payer_ref: Context::new("payer_ref", vec![1]).unwrap(),
        },
        proof: FixedBytes([0; 128]),
    };
    let inputs = c.public(&chain_id(), &PARAMS).to_field_elements();
    c.proof = FixedBytes(sim.prove(Statement::Contribute, &inputs, &mut rng(nf)));
    c.into()
}

#[test]
fn blocks_without_new_leaves_keep_an_old_anchor_valid() {
    let sim = SimKeys::new(51);
    let genesis = genesis_with_keys(PARAMS, 2, sim.vk_ids());
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.redb");
    let (store, mut state) = Store::open(&db, &genesis).unwrap();
    let apply = |store: &Store, state: &mut State, txs: Vec<Transaction>| {
        let n = txs.len();
        let plan = state.propose(txs, &sim.keys, &mut rng(n as u64));
        assert_eq!(plan.block.transactions.len(), n, "{:?}", plan.rejected);
        store.write_block(&plan, &[]).unwrap();
        state.commit(&plan).unwrap();
    };
    apply(&store, &mut state, vec![Member::new(1, 2).enroll()]);
    let held_back = state.tree_root();
    apply(&store, &mut state, vec![Member::new(2, 2).enroll()]);
    // Many blocks that append nothing (authority transactions only).
    for nonce in 0..10 {
        apply(&store, &mut state, vec![set_params(PARAMS, 2, nonce)]);
    }
    assert_eq!(state.height(), 12);
    assert!(
        state.is_anchor(&held_back),
        "the window moved without new roots"
    );
    drop(store);
    let (store, reloaded) = Store::open(&db, &genesis).unwrap();
    assert!(reloaded.is_anchor(&held_back), "reloaded window differs");
    assert_eq!(reloaded.state_root(), state.state_root());
    drop(store);
    let options = OpenOptions {
        replay: true,
        ..OpenOptions::default()
    };
    let (store, replayed) = Store::open_checked(&db, &genesis, &sim.keys, options).unwrap();
    assert_eq!(replayed.state_root(), state.state_root());
    // Go on with the state of the open store (a state asks its own store).
    let mut state = replayed;

    // The held-back transaction is accepted with its old anchor.
    let plan = state.propose(vec![contribute(&sim, held_back, 5)], &sim.keys, &mut rng(2));
    assert_eq!(plan.block.transactions.len(), 1, "{:?}", plan.rejected);

    // Two new roots later it has left the window.
    apply(&store, &mut state, vec![Member::new(3, 2).enroll()]);
    assert!(!state.is_anchor(&held_back));
    let plan = state.propose(vec![contribute(&sim, held_back, 6)], &sim.keys, &mut rng(3));
    assert_eq!(
        plan.rejected[0].2,
        Rejection::UnknownAnchor { window: 2 },
        "{:?}",
        plan.rejected
    );
}
