//! State snapshots (`zkpension_ledger::snapshot`): a node's state after a
//! block, installed into a new database that then goes on with the chain;
//! and every way a snapshot that does not add up is refused before
//! anything is written.

use crate::common;
use crate::storage::{add_block, build, genesis_for};

use common::sim::SimKeys;
use common::*;
use zkpension_circuits::field::Fr;
use zkpension_core::{Genesis, Params};
use zkpension_ledger::snapshot::{Snapshot, SnapshotError};
use zkpension_ledger::state::RestoreError;
use zkpension_ledger::store::{OpenOptions, Store, StoreError};
use zkpension_ledger::tables;

fn opened(
    db: &std::path::Path,
    genesis: &Genesis,
    sim: &SimKeys,
) -> (Store, zkpension_ledger::State) {
    Store::open_checked(
        db,
        genesis,
        &sim.keys,
        OpenOptions {
            create: false,
            replay: true,
            verify_proofs: true,
        },
    )
    .unwrap()
}

#[test]
fn a_snapshot_installs_into_a_new_database_and_the_chain_goes_on() {
    let sim = SimKeys::new(31);
    let genesis = genesis_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let (db_a, db_b) = (dir.path().join("a.redb"), dir.path().join("b.redb"));
    build(&db_a, &sim, &genesis);
    let (store_a, mut state_a) = Store::open(&db_a, &genesis).unwrap();
    let snap = store_a.snapshot().unwrap().unwrap();
    assert_eq!(snap.height(), 5);
    let bytes = snap.encode();
    let decoded = Snapshot::decode(&bytes).unwrap();
    assert_eq!(decoded, snap);
    let checked = decoded.verify(&genesis).unwrap();
    assert_eq!(checked.state_root(), state_a.state_root());

    // Installed into a new database, which then opens like any other: the
    // base state rebuilt from the tables, every check.
    {
        let (store_b, fresh) = Store::open(&db_b, &genesis).unwrap();
        assert_eq!(fresh.height(), 0);
        store_b.install_snapshot(&decoded, &checked).unwrap();
        assert!(matches!(
            store_b.install_snapshot(&decoded, &checked),
            Err(StoreError::NotEmpty { height: 5 })
        ));
    }
    let (store_b, mut state_b) = opened(&db_b, &genesis, &sim);
    assert_eq!(state_b.state_root(), state_a.state_root());
    assert_eq!(
        state_b.anchors().collect::<Vec<_>>(),
        state_a.anchors().collect::<Vec<_>>()
    );
    assert_eq!(store_b.snapshot_base().unwrap().unwrap().height(), 5);
    assert!(store_a.snapshot_base().unwrap().is_none());
    // Before the base: no blocks; the index records came with the snapshot.
    assert!(store_b.block(3).unwrap().is_none());
    assert!(store_b.block(5).unwrap().is_some());
    let nf = zkpension_circuits::values::Nullifier::from(Fr::from(12u64));
    assert_eq!(
        store_b.nullifier(&nf).unwrap(),
        store_a.nullifier(&nf).unwrap()
    );

    // Two more blocks on the first node, checked and applied by the second.
    let mut r = rng(9);
    for b in 5..7 {
        let block = add_block(&store_a, &mut state_a, &sim, b, &mut r);
        let plan = state_b.check_block(&block, &sim.keys, &mut r).unwrap();
        store_b.write_block(&plan, &[]).unwrap();
        state_b.commit(&plan).unwrap();
    }
    assert_eq!(state_b.state_root(), state_a.state_root());
    drop(store_b);
    let (store_b, state_b) = opened(&db_b, &genesis, &sim);
    assert_eq!(state_b.height(), 7);
    assert_eq!(state_b.state_root(), state_a.state_root());
    // A snapshot of the snapshot-based node is the same snapshot.
    assert_eq!(
        store_b.snapshot().unwrap().unwrap().encode(),
        store_a.snapshot().unwrap().unwrap().encode()
    );
    // A snapshot-based database that lost a record of the snapshot's items
    // is refused at start, naming it.
    drop(store_b);
    {
        let db = redb::Database::open(&db_b).unwrap();
        let tx = db.begin_write().unwrap();
        tx.open_table(tables::TXS)
            .unwrap()
            .remove(snap.txs[0].0 .0)
            .unwrap();
        tx.commit().unwrap();
    }
    let replay = OpenOptions {
        replay: true,
        ..OpenOptions::default()
    };
    let err = Store::open_checked(&db_b, &genesis, &sim.keys, replay).unwrap_err();
    assert!(
        err.to_string().contains("of the snapshot has no location"),
        "{err}"
    );
    // An empty ledger has nothing to snapshot.
    let (empty, _) = Store::open(&dir.path().join("c.redb"), &genesis).unwrap();
    assert!(empty.snapshot().unwrap().is_none());
}

/// Each alteration, re-encoded with a correct trailer where it matters, and
/// the error that names it.
#[test]
fn a_snapshot_that_does_not_add_up_is_refused() {
    let sim = SimKeys::new(31);
    let genesis = genesis_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("a.redb");
    build(&db, &sim, &genesis);
    let (store, _) = Store::open(&db, &genesis).unwrap();
    let snap = store.snapshot().unwrap().unwrap();
    let bytes = snap.encode();

    // Transport.
    let decode = |b: &[u8]| Snapshot::decode(b).unwrap_err();
    assert!(matches!(
        decode(&bytes[..bytes.len() - 1]),
        SnapshotError::Checksum(_)
    ));
    assert!(matches!(decode(&bytes[..40]), SnapshotError::Checksum(_)));
    let mut flipped = bytes.clone();
    flipped[bytes.len() / 2] ^= 1;
    assert!(matches!(decode(&flipped), SnapshotError::Checksum(_)));
    assert!(matches!(decode(b"GIF89a"), SnapshotError::Magic));
    let mut v2 = bytes.clone();
    v2[21] = 2;
    assert!(matches!(decode(&v2), SnapshotError::Version(2)));

    // Content: each change to a part makes the rebuilt state differ from
    // what the base header commits to.
    let refused = |f: &dyn Fn(&mut Snapshot)| {
        let mut s = snap.clone();
        f(&mut s);
        Snapshot::decode(&s.encode())
            .unwrap()
            .verify(&genesis)
            .unwrap_err()
    };
    let other = genesis_with_keys(
        Params {
            cap: 999,
            ..genesis.params.params()
        },
        3,
        sim.vk_ids(),
    );
    assert!(matches!(
        snap.verify(&other).unwrap_err(),
        SnapshotError::Genesis { .. }
    ));
    let root_differs = |e: SnapshotError| {
        assert!(
            matches!(e, SnapshotError::State(RestoreError::StateRoot { .. })),
            "{e}"
        )
    };
    // A leaf changed: the tree's root is not the last anchor.
    assert!(matches!(
        refused(&|s| s.leaves[3] = Fr::from(77u64)),
        SnapshotError::State(RestoreError::Anchors { .. })
    ));
    root_differs(refused(&|s| s.scalars.total_contributed += 1));
    root_differs(refused(&|s| s.scalars.epoch += 1));
    root_differs(refused(&|s| {
        s.anchors.remove(0);
    }));
    // A header that commits to another state root is another block.
    assert!(matches!(
        refused(&|s| s.block.header.state_root.0[0] ^= 1),
        SnapshotError::TipHash { .. }
    ));
    // ... and with the tip hash made to match, the root still differs.
    root_differs(refused(&|s| {
        s.block.header.state_root.0[0] ^= 1;
        s.scalars.tip_hash = s.block.hash();
    }));
    assert!(matches!(
        refused(&|s| s.block.transactions.pop().map(drop).unwrap_or(())),
        SnapshotError::TxRoot
    ));
    assert!(matches!(
        refused(&|s| {
            s.nullifiers.pop();
        }),
        SnapshotError::State(RestoreError::Count { .. })
    ));
    assert!(matches!(
        refused(&|s| s.nullifiers.swap(0, 1)),
        SnapshotError::State(RestoreError::Accumulator { .. })
    ));
    assert!(matches!(
        refused(&|s| s.txs.swap(0, 1)),
        SnapshotError::State(RestoreError::Accumulator { .. })
    ));
    assert!(matches!(
        refused(&|s| s.scalars.height = 4),
        SnapshotError::Height { block: 5, state: 4 }
    ));
    // Index records: a location above the base, a nullifier attributed to
    // a transaction the state does not hold, a wrong first new leaf.
    assert!(matches!(
        refused(&|s| s.txs[0].1[..8].copy_from_slice(&9u64.to_be_bytes())),
        SnapshotError::Records(_)
    ));
    assert!(matches!(
        refused(&|s| s.nullifiers[0].1[12] ^= 1),
        SnapshotError::Records(_)
    ));
    assert!(matches!(
        refused(&|s| s.leaf_start += 1),
        SnapshotError::Records(_)
    ));
}
