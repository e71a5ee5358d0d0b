//! Crash safety: the `zkpension-node` binary is killed with SIGKILL at random
//! moments while transactions stream in and blocks are being produced, and
//! restarted, twenty times. After every restart the node is at a whole block,
//! every block seen before has the same hash and state root, every
//! transaction seen included is still included at the same place, and every
//! transaction the node acknowledged is still known. At the end a fresh state
//! replaying every block reaches the node's state root, and every
//! acknowledged transaction is included.

use crate::common;

use common::sim::SimKeys;
use common::*;
use rand_chacha::rand_core::RngCore;
use serde_json::Value;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, ContributeBody, SpendHeader};
use zkpension_core::tx::{Contribute, Enroll, TxId};
use zkpension_core::views::{BlockView, StatusView, TxState, TxStatusView};
use zkpension_core::{Params, Transaction};
use zkpension_ledger::State;

const ROUNDS: usize = 20;
const PER_ROUND: usize = 60;
const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

fn spawn(data: &Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkpension-node"))
        .args([
            "run",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--block-interval-ms",
            "5",
            "--max-block-txs",
            "12",
            "--threads",
            "1",
            "--json",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap();
    let line = common::first_stdout_line(&mut child);
    let v: Value = serde_json::from_str(&line).unwrap_or_else(|e| panic!("{e}: {line:?}"));
    (child, v["url"].as_str().unwrap().to_string())
}

fn get<T: serde::de::DeserializeOwned>(url: &str) -> Result<T, String> {
    ureq::get(url)
        .timeout(Duration::from_secs(5))
        .call()
        .map_err(|e| e.to_string())?
        .into_json()
        .map_err(|e| e.to_string())
}

/// What the client saw before a crash.
#[derive(Default)]
struct Seen {
    /// Acknowledged by the node (queued or already known).
    acked: Vec<TxId>,
    /// Seen included, with height and index.
    included: HashMap<TxId, (u64, u32)>,
    /// Blocks seen: height → (hash, state root).
    blocks: BTreeMap<u64, (FixedBytes<32>, FixedBytes<32>)>,
}

/// Submits `txs` one by one, watching statuses and blocks, until the node
/// stops answering.
fn client(url: String, txs: Vec<Transaction>, seen: Arc<Mutex<Seen>>) {
    let mut next_block = seen
        .lock()
        .unwrap()
        .blocks
        .keys()
        .last()
        .map_or(1, |h| h + 1);
    for (i, tx) in txs.iter().enumerate() {
        let r = ureq::post(&format!("{url}/v1/tx"))
            .timeout(Duration::from_secs(5))
            .send_json(tx);
        match r {
            Ok(resp) => {
                let v: TxStatusView = match resp.into_json() {
                    Ok(v) => v,
                    Err(_) => return,
                };
                assert_eq!(v.id, tx.id());
                seen.lock().unwrap().acked.push(v.id);
            }
            Err(ureq::Error::Status(code, resp)) => {
                panic!("{code}: {}", resp.into_string().unwrap_or_default())
            }
            Err(_) => return,
        }
        if i % 4 != 3 {
            continue;
        }
        // Statuses of what is not yet seen included.
        let pending: Vec<TxId> = {
            let s = seen.lock().unwrap();
            s.acked
                .iter()
                .filter(|id| !s.included.contains_key(id))
                .copied()
                .collect()
        };
        for id in pending {
            let Ok(v) = get::<TxStatusView>(&format!("{url}/v1/tx/{id}")) else {
                return;
            };
            match v.state {
                TxState::Included { height, index } => {
                    seen.lock().unwrap().included.insert(id, (height, index));
                }
                TxState::Pending => {}
                TxState::Rejected { reason } => panic!("{id} rejected: {reason:?}"),
            }
        }
        // New blocks.
        let Ok(status) = get::<StatusView>(&format!("{url}/v1/status")) else {
            return;
        };
        while next_block <= status.height {
            let Ok(b) = get::<BlockView>(&format!("{url}/v1/blocks/{next_block}")) else {
                return;
            };
            seen.lock()
                .unwrap()
                .blocks
                .insert(next_block, (b.hash, b.header.state_root));
            next_block += 1;
        }
    }
}

/// Checks the restarted node against everything seen before.
fn check(url: &str, seen: &Seen) -> StatusView {
    let status: StatusView = get(&format!("{url}/v1/status")).unwrap();
    if let Some((&h, _)) = seen.blocks.iter().last() {
        assert!(status.height >= h, "the node lost block {h}");
    }
    for (h, (hash, root)) in &seen.blocks {
        let b: BlockView = get(&format!("{url}/v1/blocks/{h}")).unwrap();
        assert_eq!(
            (&b.hash, &b.header.state_root),
            (hash, root),
            "block {h} changed"
        );
    }
    if status.height > 0 {
        let tip: BlockView = get(&format!("{url}/v1/blocks/{}", status.height)).unwrap();
        assert_eq!(tip.header.state_root, status.state_root);
        assert_eq!(tip.hash, status.tip_hash);
    }
    for id in &seen.acked {
        let v: TxStatusView = get(&format!("{url}/v1/tx/{id}")).unwrap();
        match (v.state, seen.included.get(id)) {
            (TxState::Included { height, index }, Some(&(h, i))) => {
                assert_eq!((height, index), (h, i), "{id} moved")
            }
            (TxState::Included { .. } | TxState::Pending, None) => {}
            (other, _) => panic!("acknowledged {id} is now {other:?}"),
        }
    }
    status
}

#[test]
fn kill_nine_during_block_production() {
    let sim = SimKeys::new(21);
    let dir = tempfile::tempdir().unwrap();
    let keys = dir.path().join("keys");
    let data = dir.path().join("node");
    let genesis = common::sim::init_node(
        Path::new(env!("CARGO_BIN_EXE_zkpension-node")),
        &sim,
        &keys,
        &data,
        PARAMS,
    );

    // The stream: enrollments, and contributions anchored at the empty tree's
    // root (an anchor for the whole test: the window is larger than the
    // number of blocks), proven with the trapdoor keys.
    let empty_root = MerkleTree::new().root();
    let mut r = rng(7);
    // One contribution, then two enrollments, and again.
    let txs: Vec<Transaction> = (0..ROUNDS * PER_ROUND)
        .map(|i| {
            let i = i as u64;
            let contribution = i % 3 < 1;
            if contribution {
                let mut c = Contribute {
                    body: ContributeBody {
                        spend: SpendHeader {
                            anchor: Anchor::from(empty_root),
                            nf: Nullifier::from(Fr::from(1_000_000 + i)),
                            cm_new: NoteCommitment::from(Fr::from(2_000_000 + i)),
                            heir_ct: Default::default(),
                        },
                        amount: 1 + i % 100,
                        matched: 0,
                        epoch: 1,
                        payer_ref: Context::new("payer_ref", i.to_be_bytes().to_vec()).unwrap(),
                    },
                    proof: FixedBytes([0; 128]),
                };
                let inputs = c.public(&chain_id(), &PARAMS).to_field_elements();
                c.proof = FixedBytes(sim.prove(Statement::Contribute, &inputs, &mut r));
                c.into()
            } else {
                Enroll::sign(
                    &chain_id(),
                    NoteCommitment::from(Fr::from(3_000_000 + i)),
                    &registrar(),
                )
                .into()
            }
        })
        .collect();

    let seen = Arc::new(Mutex::new(Seen::default()));
    let mut kill_rng = rng(8);
    for round in 0..ROUNDS {
        let (mut child, url) = spawn(&data);
        check(&url, &seen.lock().unwrap());
        let chunk = txs[round * PER_ROUND..(round + 1) * PER_ROUND].to_vec();
        let client = {
            let seen = seen.clone();
            let url = url.clone();
            std::thread::spawn(move || client(url, chunk, seen))
        };
        std::thread::sleep(Duration::from_millis(20 + kill_rng.next_u64() % 250));
        child.kill().unwrap();
        child.wait().unwrap();
        client.join().unwrap();
    }

    // A last run: everything acknowledged lands.
    let (mut child, url) = spawn(&data);
    let seen = seen.lock().unwrap();
    check(&url, &seen);
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let status: StatusView = get(&format!("{url}/v1/status")).unwrap();
        if status.mempool == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "the queue does not drain");
        std::thread::sleep(Duration::from_millis(20));
    }
    for id in &seen.acked {
        let v: TxStatusView = get(&format!("{url}/v1/tx/{id}")).unwrap();
        assert!(
            matches!(v.state, TxState::Included { .. }),
            "{id}: {:?}",
            v.state
        );
    }
    assert!(
        seen.acked.len() > ROUNDS,
        "too few transactions got through"
    );
    assert!(!seen.blocks.is_empty());

    // Replaying every block from genesis gives the node's state.
    let status: StatusView = get(&format!("{url}/v1/status")).unwrap();
    let mut state = State::genesis(&genesis).unwrap();
    let mut vr = rng(9);
    for h in 1..=status.height {
        let b: BlockView = get(&format!("{url}/v1/blocks/{h}")).unwrap();
        let block = zkpension_core::Block {
            header: b.header,
            transactions: b.transactions.into_iter().map(|t| t.tx).collect(),
        };
        state.apply_block(&block, &sim.keys, &mut vr).unwrap();
    }
    assert_eq!(state.state_root(), status.state_root);
    assert_eq!(
        field::to_hex(&state.tree_root()),
        field::to_hex(&status.tree_root)
    );
    println!(
        "{} rounds, {} blocks, {} transactions acknowledged",
        ROUNDS,
        status.height,
        seen.acked.len()
    );
    child.kill().unwrap();
    child.wait().unwrap();
}
