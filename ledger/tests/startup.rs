//! Start-up of the node binary on a damaged data directory: a changed byte
//! in any table, a truncated, empty or missing database is refused with an
//! error that names the table (and height or entry), exit code 1, never a
//! panic and never a served block.

use crate::common;

use common::sim::SimKeys;
use common::*;
use redb::{Database, ReadableTable, TableDefinition};
use std::io::Read;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Attest, AttestBody, Context, Contribute, ContributeBody, SpendHeader};
use zkpension_core::{Genesis, Params, Transaction};
use zkpension_ledger::store::Store;
use zkpension_ledger::tables::*;

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

fn genesis_for(sim: &SimKeys) -> Genesis {
    genesis_with_keys(PARAMS, 3, sim.vk_ids())
}

/// A data directory as `init` leaves it, with four blocks of enrollments,
/// contributions and attestations, refusals and a queued transaction, so that
/// every table holds something.
fn build(data: &Path, sim: &SimKeys, genesis: &Genesis) {
    std::fs::create_dir_all(data).unwrap();
    sim.write_dir(&data.join("keys"));
    std::fs::write(
        data.join("genesis.json"),
        serde_json::to_string_pretty(genesis).unwrap(),
    )
    .unwrap();
    let (store, mut state) = Store::open(&data.join("ledger.redb"), genesis).unwrap();
    let mut r = rng(4);
    for b in 0..4u64 {
        let anchor = Anchor::from(state.tree_root());
        let mut txs: Vec<Transaction> = (0..2)
            .map(|i| Member::new(100 * b + i, 2).enroll())
            .collect();
        let mut c = Contribute {
            body: ContributeBody {
                spend: SpendHeader {
                    anchor,
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
        c.proof = FixedBytes(sim.prove(Statement::Contribute, &inputs, &mut r));
        txs.push(c.into());
        let mut a = Attest {
            body: AttestBody {
                spend: SpendHeader {
                    anchor,
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
        let inputs = a.public(&chain_id()).to_field_elements();
        a.proof = FixedBytes(sim.prove(Statement::Attest, &inputs, &mut r));
        txs.push(a.into());
        if b > 0 {
            // Refused as a replay, and recorded.
            txs.push(Member::new(100 * (b - 1), 2).enroll());
        }
        let plan = state.propose(txs, &sim.keys, &mut r);
        store.write_block(&plan, &[]).unwrap();
        state.commit(&plan).unwrap();
    }
    store
        .add_pending(0, &Member::new(999, 2).enroll(), None)
        .unwrap();
}

/// Runs `zkpension-node run` on `data`; returns its exit code and stderr, or
/// `None` (after stopping it) if it started serving.
fn run(data: &Path, extra: &[&str]) -> Option<(i32, String)> {
    let mut child = Command::new(env!("CARGO_BIN_EXE_zkpension-node"))
        .args(["run", "--data", data.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--json", "--threads", "1"])
        .args(extra)
        .env("ZKPENSION_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let line = common::first_stdout_line(&mut child);
    if line.contains("listening") {
        child.kill().unwrap();
        child.wait().unwrap();
        return None;
    }
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            Instant::now() < deadline,
            "the node neither served nor exited"
        );
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    Some((status.code().unwrap_or(-1), err))
}

fn flip_fixed<const N: usize>(
    db: &Path,
    table: TableDefinition<u64, [u8; N]>,
    key: u64,
    at: usize,
) {
    let d = Database::create(db).unwrap();
    let w = d.begin_write().unwrap();
    {
        let mut t = w.open_table(table).unwrap();
        let mut v = t.get(key).unwrap().unwrap().value();
        v[at] ^= 1;
        t.insert(key, v).unwrap();
    }
    w.commit().unwrap();
}

fn flip_keyed<const K: usize, const N: usize>(
    db: &Path,
    table: TableDefinition<[u8; K], [u8; N]>,
    at: usize,
) {
    let d = Database::create(db).unwrap();
    let w = d.begin_write().unwrap();
    {
        let mut t = w.open_table(table).unwrap();
        let (k, mut v) = {
            let first = t.iter().unwrap().next().unwrap().unwrap();
            (first.0.value(), first.1.value())
        };
        v[at] ^= 1;
        t.insert(k, v).unwrap();
    }
    w.commit().unwrap();
}

fn flip_bytes<K>(db: &Path, table: TableDefinition<K, &[u8]>, pick: impl Fn(&[u8]) -> usize)
where
    K: redb::Key + 'static + for<'a> redb::Value<SelfType<'a> = K>,
{
    let d = Database::create(db).unwrap();
    let w = d.begin_write().unwrap();
    {
        let mut t = w.open_table(table).unwrap();
        let (k, mut v) = {
            let first = t.iter().unwrap().last().unwrap().unwrap();
            (first.0.value(), first.1.value().to_vec())
        };
        let at = pick(&v);
        v[at] ^= 1;
        t.insert(k, v.as_slice()).unwrap();
    }
    w.commit().unwrap();
}

/// Flips a bit of byte `at` of a `meta` value.
fn flip_meta(db: &Path, key: &str, at: usize) {
    let d = Database::create(db).unwrap();
    let w = d.begin_write().unwrap();
    {
        let mut t = w.open_table(META).unwrap();
        let mut v = t.get(key).unwrap().unwrap().value().to_vec();
        v[at] ^= 1;
        t.insert(key, v.as_slice()).unwrap();
    }
    w.commit().unwrap();
}

fn flip_meta_scalars(db: &Path) {
    let d = Database::create(db).unwrap();
    let w = d.begin_write().unwrap();
    {
        let mut t = w.open_table(META).unwrap();
        let mut v = t.get(META_SCALARS).unwrap().unwrap().value().to_vec();
        // A digit of a number in the JSON.
        let at = v.iter().rposition(|b| b.is_ascii_digit()).unwrap();
        v[at] ^= 1;
        t.insert(META_SCALARS, v.as_slice()).unwrap();
    }
    w.commit().unwrap();
}

#[test]
fn a_damaged_database_is_refused_at_start_naming_the_table() {
    let sim = SimKeys::new(71);
    let genesis = genesis_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let original = dir.path().join("original");
    build(&original, &sim, &genesis);
    let copy = |name: &str| {
        let data = dir.path().join(name);
        std::fs::create_dir_all(&data).unwrap();
        for f in ["genesis.json", "ledger.redb"] {
            std::fs::copy(original.join(f), data.join(f)).unwrap();
        }
        sim.write_dir(&data.join("keys"));
        data
    };
    // An untouched copy starts, with or without its proofs verified.
    assert_eq!(
        run(&copy("control"), &[]),
        None,
        "the untouched copy must start"
    );
    assert_eq!(run(&copy("control2"), &["--verify-proofs"]), None);
    assert_eq!(run(&copy("control3"), &["--check-store"]), None);

    const CHECK: &[&str] = &["--check-store"];
    type Damage = Box<dyn Fn(&Path)>;
    let cases: Vec<(&str, Damage, &[&str])> = vec![
        // Starting from the last commit checks the state root the edge, the
        // scalars and the anchors give against the tip's header.
        ("state root", Box::new(flip_meta_scalars), &[]),
        (
            "but the anchor window's last root is",
            Box::new(|db| flip_meta(db, META_FRONTIER, 8)),
            &[],
        ),
        // The full check (`--check-store`) re-applies every block and
        // compares every table.
        ("table meta", Box::new(flip_meta_scalars), CHECK),
        // A byte of the last block's header (its prev_hash).
        (
            "table blocks, height 4",
            Box::new(|db| flip_bytes(db, BLOCKS, |_| 20)),
            CHECK,
        ),
        // A byte of the last proof of block 4, caught by --verify-proofs.
        (
            "table blocks, height 4",
            Box::new(|db| flip_bytes(db, BLOCKS, |v| v.len() - 40)),
            &["--verify-proofs"],
        ),
        (
            "table block_info, height 4",
            Box::new(|db| flip_bytes(db, BLOCK_INFO, |v| v.len() - 1)),
            CHECK,
        ),
        (
            "table leaves, leaf 4",
            Box::new(|db| flip_fixed(db, LEAVES, 4, 31)),
            CHECK,
        ),
        (
            "table nullifiers",
            Box::new(|db| flip_keyed(db, NULLIFIERS, 20)),
            CHECK,
        ),
        (
            "table nullifier_seq, entry 1",
            Box::new(|db| flip_fixed(db, NULLIFIER_SEQ, 1, 31)),
            CHECK,
        ),
        (
            "table attestations",
            Box::new(|db| flip_bytes(db, ATTESTATIONS, |v| v.len() - 1)),
            CHECK,
        ),
        (
            "table attestation_seq, entry 0",
            Box::new(|db| flip_fixed(db, ATTESTATION_SEQ, 0, 63)),
            CHECK,
        ),
        ("table txs", Box::new(|db| flip_keyed(db, TXS, 11)), CHECK),
        (
            "table tx_seq, entry 2",
            Box::new(|db| flip_fixed(db, TX_SEQ, 2, 5)),
            CHECK,
        ),
        (
            "table shard_roots",
            Box::new(|db| {
                let d = Database::create(db).unwrap();
                let w = d.begin_write().unwrap();
                w.open_table(SHARD_ROOTS)
                    .unwrap()
                    .insert(0, [0u8; 32])
                    .unwrap();
                w.commit().unwrap();
            }),
            CHECK,
        ),
        (
            "table epochs",
            Box::new(|db| flip_bytes(db, EPOCHS, |v| v.len() - 2)),
            CHECK,
        ),
        (
            "table rejected",
            Box::new(|db| flip_bytes(db, REJECTED, |_| 0)),
            CHECK,
        ),
        (
            "table pending, arrival 0",
            Box::new(|db| flip_bytes(db, PENDING, |_| 0)),
            CHECK,
        ),
        (
            "damaged or truncated",
            Box::new(|db| {
                let len = std::fs::metadata(db).unwrap().len();
                std::fs::OpenOptions::new()
                    .write(true)
                    .open(db)
                    .unwrap()
                    .set_len(len / 2)
                    .unwrap();
            }),
            &[],
        ),
        (
            "empty (0 bytes)",
            Box::new(|db| drop(std::fs::File::create(db).unwrap())),
            &[],
        ),
        (
            "is missing",
            Box::new(|db| std::fs::remove_file(db).unwrap()),
            &[],
        ),
    ];
    for (i, (expected, damage, flags)) in cases.iter().enumerate() {
        let data = copy(&format!("case{i}"));
        damage(&data.join("ledger.redb"));
        let Some((code, err)) = run(&data, flags) else {
            panic!("{expected}: the node started on a damaged database");
        };
        assert_eq!(code, 1, "{expected}: exit code {code}: {err}");
        assert!(!err.contains("panicked"), "{expected}: {err}");
        assert!(err.contains(expected), "expected {expected:?} in: {err}");
    }
}
