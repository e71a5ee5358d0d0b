//! Admission without HTTP: proofs checked before a transaction is queued, a
//! refused proof never recorded as the id's status, no empty blocks, and the
//! per-client limit on refused submissions.

use crate::common;

use common::sim::SimKeys;
use common::*;
use std::net::IpAddr;
use std::sync::Arc;
use std::time::Duration;
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, SpendHeader};
use zkpension_core::views::TxState;
use zkpension_core::{Genesis, Params, Rejection, Transaction};
use zkpension_ledger::limiter::RefusalLimits;
use zkpension_ledger::node_core::Stage;
use zkpension_ledger::store::Store;
use zkpension_ledger::{CoreError, NodeCore};

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

fn genesis_for(sim: &SimKeys) -> Genesis {
    genesis_with_keys(PARAMS, 8, sim.vk_ids())
}

fn core(sim: &SimKeys, dir: &std::path::Path) -> NodeCore {
    let genesis = genesis_for(sim);
    let (store, state) = Store::open(&dir.join("ledger.redb"), &genesis).unwrap();
    NodeCore::new(sim.keys.clone(), store, state, 1000, 64, None)
        .unwrap()
        .with_admission_window(Duration::from_millis(3))
}

/// A Contribute spending nullifier `nf` against the empty tree, with a valid
/// proof.
fn contribute(sim: &SimKeys, nf: u64) -> Contribute {
    let mut c = Contribute {
        body: ContributeBody {
            spend: SpendHeader {
                anchor: Anchor::from(MerkleTree::new().root()),
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
    c
}

/// `honest` with another nullifier and the proof copied: what a spammer
/// makes from a public block.
fn forged(honest: &Contribute, nf: u64) -> Transaction {
    let mut f = honest.clone();
    f.body.spend.nf = Nullifier::from(Fr::from(nf));
    f.into()
}

fn refused_with(r: Result<impl std::fmt::Debug, CoreError>, code: &str) {
    match r {
        Err(CoreError::Rejected { reason, .. }) => assert_eq!(reason.code(), code),
        other => panic!("expected {code}, got {other:?}"),
    }
}

#[test]
fn a_forged_proof_is_refused_before_queueing_and_never_becomes_a_status() {
    let sim = SimKeys::new(41);
    let dir = tempfile::tempdir().unwrap();
    let core = core(&sim, dir.path());
    let honest = contribute(&sim, 5);

    // A random nullifier with a proof copied from another transaction.
    let f = forged(&honest, 77);
    match core.submit(f.clone()) {
        Err(CoreError::Rejected { stage, reason, .. }) => {
            assert_eq!(stage, Stage::Stateful);
            assert_eq!(reason, Rejection::InvalidProof);
        }
        other => panic!("a forgery was not refused: {other:?}"),
    }
    assert_eq!(core.status().mempool, 0);
    assert_eq!(core.tx_status(&f.id()).unwrap(), None);
    // Nothing queued, so nothing to produce: no block.
    assert_eq!(core.produce_block().unwrap().block, None);
    assert_eq!(core.status().height, 0);

    // The honest body with a broken proof arrives first: refused, and the
    // honest id does not look rejected.
    let mut broken = honest.clone();
    broken.proof = contribute(&sim, 6).proof;
    let broken: Transaction = broken.into();
    let real: Transaction = honest.into();
    assert_eq!(broken.id(), real.id());
    refused_with(core.submit(broken.clone()), "invalid_proof");
    assert_eq!(core.tx_status(&real.id()).unwrap(), None);
    // A proof that does not even decode is not the id's status either.
    let Transaction::Contribute(mut garbage) = real.clone() else {
        unreachable!()
    };
    garbage.proof = FixedBytes([0xff; 128]);
    refused_with(core.submit(garbage.into()), "malformed_proof");
    assert_eq!(core.tx_status(&real.id()).unwrap(), None);

    let s = core.submit(real.clone()).unwrap();
    assert!(s.queued);
    // Another broken copy leaves the queued one pending.
    refused_with(core.submit(broken), "invalid_proof");
    assert_eq!(core.tx_status(&real.id()).unwrap(), Some(TxState::Pending));
    assert!(!core.submit(real.clone()).unwrap().queued);
    let produced = core.produce_block().unwrap();
    assert_eq!(produced.block.map(|b| (b.height, b.txs)), Some((1, 1)));
    assert!(matches!(
        core.tx_status(&real.id()).unwrap(),
        Some(TxState::Included { height: 1, .. })
    ));
}

#[test]
fn concurrent_submissions_share_batches_and_each_gets_its_own_verdict() {
    let sim = SimKeys::new(42);
    let dir = tempfile::tempdir().unwrap();
    let core = Arc::new(core(&sim, dir.path()));
    // Twelve honest transactions and twelve forgeries, submitted at once.
    let honest: Vec<Contribute> = (0..12).map(|i| contribute(&sim, 100 + i)).collect();
    let mut txs: Vec<(Transaction, bool)> = Vec::new();
    for (i, h) in honest.iter().enumerate() {
        txs.push((h.clone().into(), true));
        txs.push((forged(h, 500 + i as u64), false));
    }
    let threads: Vec<_> = txs
        .into_iter()
        .map(|(tx, valid)| {
            let core = core.clone();
            std::thread::spawn(move || (valid, core.submit(tx)))
        })
        .collect();
    for t in threads {
        let (valid, r) = t.join().unwrap();
        if valid {
            assert!(r.unwrap().queued);
        } else {
            refused_with(r, "invalid_proof");
        }
    }
    assert_eq!(core.status().mempool, 12);
}

#[test]
fn production_drops_what_became_invalid_without_an_empty_block() {
    let sim = SimKeys::new(43);
    let dir = tempfile::tempdir().unwrap();
    let genesis = genesis_for(&sim);
    let db = dir.path().join("ledger.redb");
    // Queued before proofs were checked at admission: one with a broken
    // proof, one for an epoch that has passed... both written straight into
    // the durable queue as an older build would have.
    let broken = forged(&contribute(&sim, 5), 9);
    let mut stale = contribute(&sim, 6);
    stale.body.epoch = 0;
    let stale: Transaction = stale.into();
    {
        let (store, _) = Store::open(&db, &genesis).unwrap();
        store.add_pending(0, &broken, None).unwrap();
        store.add_pending(1, &stale, None).unwrap();
    }
    let (store, state) = Store::open(&db, &genesis).unwrap();
    let core = NodeCore::new(sim.keys.clone(), store, state, 100, 64, None).unwrap();
    assert_eq!(core.status().mempool, 2);
    let produced = core.produce_block().unwrap();
    assert_eq!(produced.block, None, "no block without transactions");
    assert_eq!(produced.dropped, 2);
    assert_eq!(core.status().height, 0);
    assert_eq!(core.status().mempool, 0);
    assert!(matches!(core.block(1), Err(CoreError::NotFound(_))));
    // The broken proof is not the id's status (a valid copy may come); the
    // stale epoch is.
    assert_eq!(core.tx_status(&broken.id()).unwrap(), None);
    assert!(matches!(
        core.tx_status(&stale.id()).unwrap(),
        Some(TxState::Rejected { reason }) if reason.code == "wrong_epoch"
    ));
    // Nothing is queued again after a restart.
    drop(core);
    let (store, _) = Store::open(&db, &genesis).unwrap();
    assert!(store.pending().unwrap().is_empty());
}

#[test]
fn a_client_with_too_many_refusals_is_limited_and_others_are_not() {
    let sim = SimKeys::new(44);
    let dir = tempfile::tempdir().unwrap();
    let core = core(&sim, dir.path()).with_refusal_limits(RefusalLimits {
        burst: 3.0,
        per_second: 0.001,
    });
    let honest = contribute(&sim, 5);
    let spammer: IpAddr = [127, 0, 0, 9].into();
    let member: IpAddr = [127, 0, 0, 10].into();
    for i in 0..3 {
        refused_with(
            core.submit_from(spammer, forged(&honest, 600 + i)),
            "invalid_proof",
        );
    }
    // The fourth is refused before any check.
    match core.submit_from(spammer, forged(&honest, 700)) {
        Err(CoreError::Limited { peer, retry_after }) => {
            assert_eq!(peer, spammer);
            assert!(retry_after > Duration::from_secs(1), "{retry_after:?}");
        }
        other => panic!("not limited: {other:?}"),
    }
    // Even an honest transaction from that address waits.
    assert!(matches!(
        core.submit_from(spammer, honest.clone().into()),
        Err(CoreError::Limited { .. })
    ));
    // Another client is served.
    assert!(core.submit_from(member, honest.into()).unwrap().queued);
    // Accepted submissions never count: the member stays unlimited.
    for i in 0..5 {
        assert!(
            core.submit_from(member, contribute(&sim, 800 + i).into())
                .unwrap()
                .queued
        );
    }
}
