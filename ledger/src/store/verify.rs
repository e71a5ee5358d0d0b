//! Opening a data directory's database at start: refusing one that is
//! missing, empty or damaged, then loading the state from the last commit,
//! or (when asked) re-applying every stored block from genesis (hash links,
//! transaction roots, state roots; proofs if asked) and comparing every
//! table with what the blocks give.

use super::{attestation_key, corrupt, location, BlockInfo, Store, StoreError};
use crate::state::{RestoreError, Scalars, State};
use crate::tables::*;
use rand_core::OsRng;
use redb::{
    Database, Key, ReadOnlyTable, ReadTransaction, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableHandle, Value,
};
use std::cell::RefCell;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Once;
use zkpension_circuits::field::to_bytes;
use zkpension_core::codec::Writer;
use zkpension_core::{Block, Genesis, Reason, Transaction};
use zkpension_verifier::VerifierKeys;

/// How [`Store::open_checked`] opens a database.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenOptions {
    /// Create the database if it is missing (a new data directory); when
    /// false, a missing database is refused.
    pub create: bool,
    /// Re-apply every stored block and compare every table with what the
    /// blocks give, instead of starting from the last commit (time and
    /// memory grow with the history).
    pub replay: bool,
    /// With the replay, verify the proofs of every stored block too (slow:
    /// a batch check per block). Implies `replay`.
    pub verify_proofs: bool,
}

fn damaged(path: &Path, detail: impl std::fmt::Display) -> StoreError {
    StoreError::Damaged {
        path: path.to_path_buf(),
        detail: detail.to_string(),
    }
}

thread_local! {
    /// While `Some`, a panic on this thread is recorded here instead of
    /// printed.
    static CAUGHT: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Runs `f`, turning a panic inside it (redb asserts on some damaged files)
/// into an error that says what failed, without printing it. Panics on other
/// threads, and outside `f`, are reported as before.
fn without_panic<T>(path: &Path, f: impl FnOnce() -> T) -> Result<T, StoreError> {
    static HOOK: Once = Once::new();
    HOOK.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            let quiet = CAUGHT.with(|c| {
                let mut c = c.borrow_mut();
                if let Some(slot) = c.as_mut() {
                    *slot = info.payload_as_str().unwrap_or("a panic").to_string();
                    true
                } else {
                    false
                }
            });
            if !quiet {
                previous(info);
            }
        }));
    });
    CAUGHT.with(|c| *c.borrow_mut() = Some(String::new()));
    let r = catch_unwind(AssertUnwindSafe(f));
    let message = CAUGHT.with(|c| c.borrow_mut().take()).unwrap_or_default();
    r.map_err(|_| {
        damaged(
            path,
            format!("the database library failed reading it ({message})"),
        )
    })
}

fn open_table<K: Key + 'static, V: Value + 'static>(
    rtx: &ReadTransaction,
    def: TableDefinition<K, V>,
) -> Result<ReadOnlyTable<K, V>, StoreError> {
    rtx.open_table(def)
        .map_err(|e| corrupt(format!("table {}: {e}", def.name())))
}

impl Store {
    /// Opens the database at `path` for `genesis`, refusing a missing (unless
    /// `options.create`), empty or damaged file, then loads the state after
    /// the last block from the last commit ([`Store::open`]), or with
    /// `options.replay` re-applies every stored block and compares each table
    /// with what the blocks give ([`Store::replay`]).
    pub fn open_checked(
        path: &Path,
        genesis: &Genesis,
        keys: &VerifierKeys,
        options: OpenOptions,
    ) -> Result<(Store, State), StoreError> {
        match std::fs::metadata(path) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                if !options.create {
                    return Err(StoreError::Missing {
                        path: path.to_path_buf(),
                    });
                }
            }
            Err(e) => return Err(damaged(path, format!("cannot read it: {e}"))),
            Ok(m) if m.len() == 0 => return Err(damaged(path, "the file is empty (0 bytes)")),
            Ok(_) => {}
        }
        let existed = path.exists();
        // redb reports a damaged file as an error; a panic inside it is caught
        // as well, so a damaged file never takes the process down.
        let db = without_panic(path, || {
            if existed {
                Database::open(path)
            } else {
                Database::create(path)
            }
        })?
        .map_err(|e| damaged(path, e))?;
        if existed {
            let rtx = db.begin_read()?;
            if let Err(redb::TableError::TableDoesNotExist(_)) = rtx.open_table(META) {
                return Err(damaged(path, "it holds no ledger (table meta is missing)"));
            }
        }
        drop(db);
        let (store, _) = without_panic(path, || Store::open_unloaded(path, genesis))??;
        let state = without_panic(path, || {
            if options.replay || options.verify_proofs {
                let mut state = store.replay(genesis, keys, options.verify_proofs)?;
                // Checked: from now on the database answers for the sets.
                state.attach_stored_sets(store.sets()?);
                Ok(state)
            } else {
                store.load_state(genesis)
            }
        })?
        .map_err(|e| match e {
            StoreError::Db(e) => damaged(path, e),
            e => e,
        })?;
        Ok((store, state))
    }

    /// Re-applies every stored block from genesis — hash links, transaction
    /// roots, state roots, every rule, the proofs if `verify_proofs` — and
    /// compares every table with what the blocks give. Errors name the table
    /// and the height, leaf or entry.
    pub fn replay(
        &self,
        genesis: &Genesis,
        keys: &VerifierKeys,
        verify_proofs: bool,
    ) -> Result<State, StoreError> {
        let rtx = self.db.begin_read()?;
        let meta = open_table(&rtx, META)?;
        let scalars: Option<Scalars> = match meta.get(META_SCALARS)? {
            Some(v) => Some(
                serde_json::from_slice(v.value())
                    .map_err(|e| corrupt(format!("table meta, key scalars: {e}")))?,
            ),
            None => None,
        };
        let tip = scalars.as_ref().map_or(0, |s| s.height);
        let base = super::snapshot::read_base(&rtx)?;
        // A database installed from a snapshot holds block infos 0 and
        // base..=tip, and blocks base..=tip.
        let from = base.as_ref().map_or(0, |b| b.height());
        let blocks = open_table(&rtx, BLOCKS)?;
        let infos = open_table(&rtx, BLOCK_INFO)?;
        let (n_blocks, n_infos) = (blocks.len()?, infos.len()?);
        let (want_blocks, want_infos) = match from {
            0 => (tip, tip + 1),
            b => ((tip + 1).saturating_sub(b), (tip + 2).saturating_sub(b)),
        };
        if tip < from || n_blocks != want_blocks || n_infos != want_infos {
            return Err(corrupt(format!(
                "table meta (key scalars) puts the tip at height {tip}{}, but table blocks \
                 holds {n_blocks} blocks and table block_info {n_infos} entries",
                if from > 0 {
                    format!(" after a snapshot at height {from}")
                } else {
                    String::new()
                }
            )));
        }
        let txs = open_table(&rtx, TXS)?;
        let leaves = open_table(&rtx, LEAVES)?;
        let shards = open_table(&rtx, SHARD_ROOTS)?;
        let nfs = open_table(&rtx, NULLIFIERS)?;
        let atts = open_table(&rtx, ATTESTATIONS)?;
        let genesis_state = State::genesis(genesis).map_err(RestoreError::from)?;
        let check_info = |h: u64, expected: BlockInfo| -> Result<(), StoreError> {
            let got = infos
                .get(h)?
                .ok_or_else(|| corrupt(format!("table block_info: height {h} is missing")))?;
            match BlockInfo::decode(got.value()) {
                Ok(info) if info == expected => Ok(()),
                Ok(_) => Err(corrupt(format!(
                    "table block_info, height {h}: differs from what block {h} gives"
                ))),
                Err(e) => Err(corrupt(format!("table block_info, height {h}: {e}"))),
            }
        };
        check_info(
            0,
            BlockInfo {
                height: 0,
                hash: genesis_state.tip_hash(),
                leaf_start: 0,
                leaf_count: 0,
                tree_root: genesis_state.tree_root(),
                tx_count: 0,
            },
        )?;
        let (mut tx_order, mut nf_order, mut att_order) = (Vec::new(), Vec::new(), Vec::new());
        let mut state = match &base {
            None => genesis_state,
            Some(base) => {
                // The snapshot's items have no block here to check their
                // records against: only that every one has a record.
                let (state, items) =
                    self.restore_at(&rtx, genesis, &base.scalars, &base.anchors, false)?;
                for id in &items.tx_ids {
                    if txs.get(id)?.is_none() {
                        return Err(corrupt(format!(
                            "table txs: transaction 0x{} of the snapshot has no location",
                            hex::encode(id)
                        )));
                    }
                }
                for nf in &items.nullifiers {
                    if nfs.get(nf)?.is_none() {
                        return Err(corrupt("table nullifiers: a snapshot nullifier is missing"));
                    }
                }
                for key in &items.attestations {
                    if atts.get(key)?.is_none() {
                        return Err(corrupt("table attestations: a snapshot tag is missing"));
                    }
                }
                let info = infos
                    .get(from)?
                    .map(|v| BlockInfo::decode(v.value()))
                    .transpose()
                    .map_err(|e| corrupt(format!("table block_info, height {from}: {e}")))?;
                let fits = info.is_some_and(|i| {
                    i.height == from
                        && i.hash == state.tip_hash()
                        && i.leaf_count == state.scalars().leaf_count
                        && i.tree_root == state.tree_root()
                        && i.leaf_start <= i.leaf_count
                });
                if !fits {
                    return Err(corrupt(format!(
                        "table block_info, height {from}: differs from the snapshot base"
                    )));
                }
                tx_order = items.tx_ids;
                nf_order = items.nullifiers;
                att_order = items.attestations;
                state
            }
        };
        for h in from + 1..=tip {
            let bytes = blocks
                .get(h)?
                .ok_or_else(|| corrupt(format!("table blocks: block {h} is missing")))?;
            let block = Block::decode(bytes.value())
                .map_err(|e| corrupt(format!("table blocks, height {h}: {e}")))?;
            let plan = state
                .check_block_with(&block, keys, &mut OsRng, verify_proofs)
                .map_err(|e| corrupt(format!("table blocks, height {h}: {e}")))?;
            let d = &plan.delta;
            check_info(
                h,
                BlockInfo {
                    height: h,
                    hash: plan.hash,
                    leaf_start: d.leaf_start,
                    leaf_count: d.scalars.leaf_count,
                    tree_root: plan.tree_root,
                    tx_count: d.included.len() as u32,
                },
            )?;
            for (at, cm) in (d.leaf_start..).zip(&d.leaves) {
                if leaves.get(at)?.map(|v| v.value()) != Some(to_bytes(cm)) {
                    return Err(corrupt(format!(
                        "table leaves, leaf {at} (block {h}): missing or differs"
                    )));
                }
            }
            super::index::check_block(&shards, &plan)?;
            for (index, c) in d.included.iter().enumerate() {
                let at = txs.get(c.id().0)?.map(|v| v.value());
                if at != Some(location(h, index as u32)) {
                    return Err(corrupt(format!(
                        "table txs, transaction {} (block {h}, index {index}): missing or \
                         pointing elsewhere",
                        c.id()
                    )));
                }
                tx_order.push(c.id().0);
            }
            for (nf, index) in &d.nullifiers {
                let mut v = [0u8; 44];
                v[..12].copy_from_slice(&location(h, *index));
                v[12..].copy_from_slice(&d.included[*index as usize].id().0);
                if nfs.get(nf.to_bytes())?.map(|x| x.value()) != Some(v) {
                    return Err(corrupt(format!(
                        "table nullifiers, nullifier {nf} (block {h}, index {index}): missing \
                         or differs"
                    )));
                }
                nf_order.push(nf.to_bytes());
            }
            for ((context, tag), index) in &d.attestations {
                let key = attestation_key(context, tag);
                let mut w = Writer::new();
                w.u64(h)
                    .u32(*index)
                    .raw(&d.included[*index as usize].tx().encode());
                let stored = atts.get(key)?;
                if stored.as_ref().map(|x| x.value()) != Some(w.as_bytes()) {
                    return Err(corrupt(format!(
                        "table attestations, tag {tag} in context {context} (block {h}, \
                         index {index}): missing or differs"
                    )));
                }
                att_order.push(key);
            }
            state
                .commit(&plan)
                .map_err(|e| corrupt(format!("table blocks, height {h}: {e}")))?;
        }
        for (name, stored, given) in [
            ("leaves", leaves.len()?, state.scalars().leaf_count as usize),
            ("txs", txs.len()?, tx_order.len()),
            ("nullifiers", nfs.len()?, nf_order.len()),
            ("attestations", atts.len()?, att_order.len()),
        ] {
            if stored != given as u64 {
                return Err(corrupt(format!(
                    "table {name} holds {stored} entries, the blocks give {given}"
                )));
            }
        }
        same_sequence(&open_table(&rtx, TX_SEQ)?, "tx_seq", &tx_order)?;
        same_sequence(
            &open_table(&rtx, NULLIFIER_SEQ)?,
            "nullifier_seq",
            &nf_order,
        )?;
        same_sequence(
            &open_table(&rtx, ATTESTATION_SEQ)?,
            "attestation_seq",
            &att_order,
        )?;
        super::index::check_tip(&rtx, &state)?;
        if let Some(stored) = scalars {
            if &stored != state.scalars() {
                return Err(corrupt(format!(
                    "table meta, key scalars: differs from the state blocks {} to {tip} give",
                    from + 1
                )));
            }
        }
        for item in open_table(&rtx, REJECTED)?.iter()? {
            let (k, v) = item?;
            if serde_json::from_slice::<Reason>(v.value()).is_err() {
                return Err(corrupt(format!(
                    "table rejected, transaction 0x{}: not a rejection reason",
                    hex::encode(k.value())
                )));
            }
        }
        for item in open_table(&rtx, PENDING)?.iter()? {
            let (k, v) = item?;
            if let Err(e) = Transaction::decode(v.value()) {
                return Err(corrupt(format!(
                    "table pending, arrival {}: {e}",
                    k.value()
                )));
            }
        }
        Ok(state)
    }
}

/// Checks that a table numbered from 0 holds exactly `expected`, in order.
fn same_sequence<const N: usize>(
    table: &ReadOnlyTable<u64, [u8; N]>,
    name: &str,
    expected: &[[u8; N]],
) -> Result<(), StoreError> {
    let stored = table.len()?;
    if stored != expected.len() as u64 {
        return Err(corrupt(format!(
            "table {name} holds {stored} entries, the blocks give {}",
            expected.len()
        )));
    }
    for (i, item) in table.iter()?.enumerate() {
        let (k, v) = item?;
        if k.value() != i as u64 || expected.get(i) != Some(&v.value()) {
            return Err(corrupt(format!(
                "table {name}, entry {}: differs from what the blocks give",
                k.value()
            )));
        }
    }
    Ok(())
}
