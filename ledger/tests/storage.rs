//! Storage: blocks written in one transaction each, reloaded to the same
//! state; a database whose contents no longer add up is refused.

use crate::common;

use common::sim::SimKeys;
use common::*;
use redb::{Database, ReadableTable};
use std::path::Path;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Attest, Contribute};
use zkpension_core::tx::{AttestBody, Context, ContributeBody, SpendHeader};
use zkpension_core::{Genesis, Params, Rejection, Transaction};
use zkpension_ledger::store::{OpenOptions, Store, StoreError, StoredStatus};
use zkpension_ledger::tables;
use zkpension_ledger::State;

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

pub(crate) fn genesis_for(sim: &SimKeys) -> Genesis {
    genesis_with_keys(PARAMS, 3, sim.vk_ids())
}

/// Five blocks of enrollments, contributions and attestations.
pub(crate) fn build(db: &Path, sim: &SimKeys, genesis: &Genesis) -> State {
    let (store, mut state) = Store::open(db, genesis).unwrap();
    let mut r = rng(4);
    for b in 0..5u64 {
        add_block(&store, &mut state, sim, b, &mut r);
    }
    state
}

/// Block `b` of the pattern [`build`] writes: three enrollments, a
/// contribution and an attestation (and, from the second block on, a replay
/// that is left out), stored and committed. Returns the block.
pub(crate) fn add_block(
    store: &Store,
    state: &mut State,
    sim: &SimKeys,
    b: u64,
    r: &mut rand_chacha::ChaCha20Rng,
) -> zkpension_core::Block {
    {
        let anchor = state.tree_root();
        let mut txs: Vec<Transaction> = (0..3)
            .map(|i| Member::new(100 * b + i, 2).enroll())
            .collect();
        let mut c = Contribute {
            body: ContributeBody {
                spend: SpendHeader {
                    anchor: Anchor::from(anchor),
                    nf: Nullifier::from(Fr::from(10 + b)),
                    cm_new: NoteCommitment::from(Fr::from(20 + b)),
                    heir_ct: Default::default(),
                },
                amount: 5 + b,
                matched: 0,
                epoch: 1,
                payer_ref: Context::new("payer_ref", vec![b as u8]).unwrap(),
            },
            proof: FixedBytes([0; 128]),
        };
        let inputs = c.public(&chain_id(), &PARAMS).to_field_elements();
        c.proof = FixedBytes(sim.prove(Statement::Contribute, &inputs, r));
        txs.push(c.into());
        let mut a = Attest {
            body: AttestBody {
                spend: SpendHeader {
                    anchor: Anchor::from(anchor),
                    nf: Nullifier::from(Fr::from(30 + b)),
                    cm_new: NoteCommitment::from(Fr::from(40 + b)),
                    heir_ct: Default::default(),
                },
                epoch: 1,
                context: ContextId::from(Fr::from(7u64)),
                tag: AttestTag::from(Fr::from(50 + b)),
                min_balance: b,
                min_periods: 0,
                require_eligible: false,
                message: Context::new("message", b"m".to_vec()).unwrap(),
            },
            proof: FixedBytes([0; 128]),
        };
        a.proof = FixedBytes(sim.prove(
            Statement::Attest,
            &a.public(&chain_id()).to_field_elements(),
            r,
        ));
        txs.push(a.into());
        // Left out: a replay of the first enrollment of the previous block.
        if b > 0 {
            txs.push(Member::new(100 * (b - 1), 2).enroll());
        }
        let plan = state.propose(txs, &sim.keys, r);
        assert_eq!(plan.block.transactions.len(), 5);
        store.write_block(&plan, &[]).unwrap();
        state.commit(&plan).unwrap();
        plan.block
    }
}

#[test]
fn reload_queries_and_integrity() {
    let sim = SimKeys::new(31);
    let genesis = genesis_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.redb");
    let state = build(&db, &sim, &genesis);

    let (store, reloaded) = Store::open(&db, &genesis).unwrap();
    assert_eq!(reloaded.state_root(), state.state_root());
    assert_eq!(reloaded.tip_hash(), state.tip_hash());
    assert_eq!(reloaded.tree_root(), state.tree_root());
    assert_eq!(
        reloaded.anchors().collect::<Vec<_>>(),
        state.anchors().collect::<Vec<_>>()
    );
    assert_eq!(reloaded.scalars(), state.scalars());

    // Queries.
    let block = store.block(3).unwrap().unwrap();
    assert_eq!(store.block_info(3).unwrap().unwrap().hash, block.hash());
    let id = block.transactions[3].id();
    assert_eq!(
        store.tx_status(&id).unwrap(),
        Some(StoredStatus::Included {
            height: 3,
            index: 3
        })
    );
    let replay = Member::new(100, 2).enroll().id();
    assert!(matches!(
        store.tx_status(&replay).unwrap(),
        Some(StoredStatus::Included { height: 2, .. })
    ));
    let nf = store
        .nullifier(&Nullifier::from(Fr::from(12u64)))
        .unwrap()
        .unwrap();
    assert_eq!((nf.height, nf.tx_id), (3, id));
    assert_eq!(
        store.nullifier(&Nullifier::from(Fr::from(99u64))).unwrap(),
        None
    );
    let atts = store
        .attestations(&ContextId::from(Fr::from(7u64)), None, 10)
        .unwrap();
    assert_eq!(
        atts.iter().map(|a| a.tag.to_field()).collect::<Vec<_>>(),
        (50..55u64).map(Fr::from).collect::<Vec<_>>()
    );
    let page = store
        .attestations(
            &ContextId::from(Fr::from(7u64)),
            Some(&AttestTag::from(Fr::from(51u64))),
            2,
        )
        .unwrap();
    assert_eq!(
        page.iter().map(|a| a.tag.to_field()).collect::<Vec<_>>(),
        vec![Fr::from(52u64), Fr::from(53u64)]
    );
    let compact = store.compact_blocks(2, 4).unwrap();
    assert_eq!(compact.len(), 3);
    assert_eq!(compact[0].leaf_start, 5);
    assert_eq!(compact[0].commitments.len(), 5);
    // Each spend names the note it created among the block's commitments.
    assert!(compact[0]
        .spends
        .iter()
        .all(|s| compact[0].created_by(s).is_some()));
    assert_eq!(
        compact[0].spends.iter().map(|s| s.nf).collect::<Vec<_>>(),
        vec![
            Nullifier::from(Fr::from(11u64)),
            Nullifier::from(Fr::from(31u64))
        ]
    );
    let leaves = store.leaves(0, 100).unwrap();
    assert_eq!(leaves.len() as u64, state.scalars().leaf_count);
    assert_eq!(
        MerkleTree::from_leaves(&leaves).unwrap().root(),
        state.tree_root()
    );
    // The reloaded state asks the store for its sets and holds none.
    assert_eq!(reloaded.items_in_memory(), 0);
    assert!(reloaded.is_spent(&Nullifier::from(Fr::from(12u64))));
    assert!(!reloaded.is_spent(&Nullifier::from(Fr::from(99u64))));
    assert!(reloaded.is_included(&id));
    assert!(reloaded.has_attestation(
        &ContextId::from(Fr::from(7u64)),
        &AttestTag::from(Fr::from(52u64))
    ));
    // ... and its rules use them: block 3 again is all replays, and its
    // contribution with another payment reference (at a current anchor)
    // spends a spent nullifier.
    let again = reloaded.propose(block.transactions.clone(), &sim.keys, &mut rng(5));
    assert!(again.block.transactions.is_empty());
    assert!(again
        .rejected
        .iter()
        .all(|(_, _, why)| *why == Rejection::Replayed));
    let Transaction::Contribute(mut c) = block.transactions[3].clone() else {
        panic!("the fourth transaction of a block is its contribution");
    };
    c.body.payer_ref = Context::new("payer_ref", b"another".to_vec()).unwrap();
    c.body.spend.anchor = Anchor::from(reloaded.tree_root());
    let spent = reloaded.propose(vec![c.into()], &sim.keys, &mut rng(6));
    assert_eq!(spent.rejected[0].2, Rejection::NullifierSpent);
    drop(store);

    // Damage, on a copy: `open` reads the last commit (edge, scalars,
    // anchors) and checks the state root; the replay compares every table.
    let tamper = |f: &dyn Fn(&redb::WriteTransaction), replay: bool| {
        let copy = dir.path().join("copy.redb");
        std::fs::copy(&db, &copy).unwrap();
        let d = Database::create(&copy).unwrap();
        let tx = d.begin_write().unwrap();
        f(&tx);
        tx.commit().unwrap();
        drop(d);
        let options = OpenOptions {
            replay,
            ..OpenOptions::default()
        };
        Store::open_checked(&copy, &genesis, &sim.keys, options).map(|(_, s)| s.state_root())
    };
    // A changed node of the tree's edge: another state root.
    let err = tamper(
        &|tx| {
            let mut meta = tx.open_table(tables::META).unwrap();
            let mut edge = meta
                .get(tables::META_FRONTIER)
                .unwrap()
                .unwrap()
                .value()
                .to_vec();
            edge[12] ^= 1;
            meta.insert(tables::META_FRONTIER, edge.as_slice()).unwrap();
        },
        false,
    )
    .unwrap_err();
    assert!(matches!(err, StoreError::Restore(_)), "{err}");
    assert!(err.to_string().contains("root"), "{err}");
    // The edge missing.
    let err = tamper(
        &|tx| {
            tx.open_table(tables::META)
                .unwrap()
                .remove(tables::META_FRONTIER)
                .unwrap();
        },
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("frontier is missing"), "{err}");
    // A changed leaf: the replay finds it.
    let changed_leaf = |tx: &redb::WriteTransaction| {
        tx.open_table(tables::LEAVES)
            .unwrap()
            .insert(3, field::to_bytes(&Fr::from(5u64)))
            .unwrap();
    };
    let err = tamper(&changed_leaf, true).unwrap_err();
    assert!(err.to_string().contains("table leaves, leaf 3"), "{err}");
    // A nullifier dropped from the insertion list.
    let err = tamper(
        &|tx| {
            tx.open_table(tables::NULLIFIER_SEQ)
                .unwrap()
                .remove(0)
                .unwrap();
        },
        true,
    )
    .unwrap_err();
    assert!(err.to_string().contains("nullifier"), "{err}");
    // A nullifier record removed: the replay finds it.
    let err = tamper(
        &|tx| {
            tx.open_table(tables::NULLIFIERS)
                .unwrap()
                .remove(Nullifier::from(Fr::from(12u64)).to_bytes())
                .unwrap();
        },
        true,
    )
    .unwrap_err();
    assert!(err.to_string().contains("table nullifiers"), "{err}");
    // A changed epoch row: the replay finds it.
    let err = tamper(
        &|tx| {
            let mut t = tx.open_table(tables::EPOCHS).unwrap();
            let (k, v) = {
                let (k, v) = t.first().unwrap().unwrap();
                (k.value(), v.value().to_vec())
            };
            let mut row: serde_json::Value = serde_json::from_slice(&v).unwrap();
            row["txs"] = serde_json::json!(12345);
            t.insert(k, serde_json::to_vec(&row).unwrap().as_slice())
                .unwrap();
        },
        true,
    )
    .unwrap_err();
    assert!(err.to_string().contains("table epochs"), "{err}");
    // Another layout.
    let err = tamper(
        &|tx| {
            tx.open_table(tables::META)
                .unwrap()
                .insert(tables::META_FORMAT, b"something else".as_slice())
                .unwrap();
        },
        false,
    )
    .unwrap_err();
    assert!(err.to_string().contains("is not a"), "{err}");
    // Untouched, the copy opens both ways.
    assert_eq!(tamper(&|_| {}, false).unwrap(), state.state_root());
    assert_eq!(tamper(&|_| {}, true).unwrap(), state.state_root());

    // Another genesis.
    let mut other = genesis.clone();
    other.initial_epoch = 2;
    assert!(matches!(
        Store::open(&db, &other),
        Err(StoreError::GenesisMismatch { .. })
    ));
}

#[test]
fn queued_transactions_persist() {
    let sim = SimKeys::new(32);
    let genesis = genesis_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.redb");
    let (store, state) = Store::open(&db, &genesis).unwrap();
    let txs: Vec<Transaction> = (0..4).map(|i| Member::new(i, 2).enroll()).collect();
    for (seq, tx) in txs.iter().enumerate() {
        store.add_pending(seq as u64 + 10, tx, None).unwrap();
    }
    drop((store, state));
    let (store, mut state) = Store::open(&db, &genesis).unwrap();
    let pending = store.pending().unwrap();
    assert_eq!(
        pending,
        txs.iter()
            .enumerate()
            .map(|(i, t)| (i as u64 + 10, t.clone()))
            .collect::<Vec<_>>()
    );
    // A block settles two of them; they leave the queue with it.
    let plan = state.propose(txs[..2].to_vec(), &sim.keys, &mut rng(1));
    store.write_block(&plan, &[10, 11]).unwrap();
    state.commit(&plan).unwrap();
    assert_eq!(
        store
            .pending()
            .unwrap()
            .iter()
            .map(|(s, _)| *s)
            .collect::<Vec<_>>(),
        vec![12, 13]
    );
}
