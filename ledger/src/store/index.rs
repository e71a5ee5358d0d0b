//! What lets a node start from its last commit without reading its
//! history, written with every block: the tree's right edge, the roots of
//! complete shards, the epoch rows and the governance log. And the view of
//! the stored sets the state asks instead of holding them in memory.

use super::{attestation_key, corrupt, fr, Store, StoreError};
use crate::state::{append_nodes, BlockPlan, EpochHistory, EpochRow, State, StoredSets};
use crate::tables::*;
use redb::{
    Database, ReadOnlyTable, ReadTransaction, ReadableTable, ReadableTableMetadata,
    TableDefinition, TableHandle, WriteTransaction,
};
use std::sync::{Arc, Weak};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::tree::{Frontier, SHARD_LEAVES, SHARD_LEVELS};
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::governance::GovernanceEvent;
use zkpension_core::{Genesis, TxId};

/// Exit status when the database fails a read the rules depend on
/// (`EX_IOERR`).
const EXIT_READ_FAILED: i32 = 74;

/// A read of the sets failed: no rule may be checked against part of the
/// ledger, and no answer is safe, so the process stops (as Bitcoin Core
/// does on a failed database read). Every block was committed durably, so a
/// restart opens the database at its last block.
fn stop(what: &str, e: impl std::fmt::Display) -> ! {
    eprintln!(
        "zkpension: the ledger database failed a read of table {what}: {e}. Stopping so that \
         no transaction is checked against part of the ledger; restart the node (the database \
         opens at its last committed block), and if this repeats, check the disk"
    );
    std::process::exit(EXIT_READ_FAILED)
}

/// The stored sets: each question is one read transaction, so it sees every
/// block the store has committed (the node writes a block before it commits
/// it to the state, so that is at least the state's blocks). It holds the
/// database weakly: the state does not keep a dropped store's file open.
struct SetsView {
    db: Weak<Database>,
}

impl SetsView {
    fn has<K: redb::Key + 'static, V: redb::Value + 'static>(
        &self,
        def: TableDefinition<K, V>,
        key: impl std::borrow::Borrow<K::SelfType<'static>>,
    ) -> bool {
        let Some(db) = self.db.upgrade() else {
            panic!(
                "the state asked table {} of a ledger database that was closed",
                def.name()
            );
        };
        let found = || -> Result<bool, StoreError> {
            let rtx = db.begin_read()?;
            let table = rtx.open_table(def)?;
            let found = table.get(key)?.is_some();
            Ok(found)
        };
        match found() {
            Ok(found) => found,
            Err(e) => stop(def.name(), e),
        }
    }
}

impl StoredSets for SetsView {
    fn has_nullifier(&self, nf: &Nullifier) -> bool {
        self.has(NULLIFIERS, nf.to_bytes())
    }

    fn has_attestation(&self, context: &ContextId, tag: &AttestTag) -> bool {
        self.has(ATTESTATIONS, attestation_key(context, tag))
    }

    fn has_tx(&self, id: &TxId) -> bool {
        self.has(TXS, id.0)
    }
}

/// The shard roots a block completes: `(shard number, root)`.
fn completed_shards(plan: &BlockPlan) -> impl Iterator<Item = (u64, Fr)> + '_ {
    let d = &plan.delta;
    let total = d.leaf_start + d.leaves.len() as u64;
    let first = d.leaf_start / SHARD_LEAVES;
    let nodes = plan
        .tree_nodes
        .get(SHARD_LEVELS - 1)
        .map_or(&[][..], Vec::as_slice);
    (first..total / SHARD_LEAVES).map(move |i| (i, nodes[(i - first) as usize]))
}

/// Writes a block's index entries (in the block's write transaction).
pub(super) fn write(tx: &WriteTransaction, plan: &BlockPlan) -> Result<(), StoreError> {
    let mut shards = tx.open_table(SHARD_ROOTS)?;
    for (i, root) in completed_shards(plan) {
        shards.insert(i, field::to_bytes(&root))?;
    }
    tx.open_table(META)?
        .insert(META_FRONTIER, plan.frontier.to_bytes().as_slice())?;
    let row = serde_json::to_vec(&plan.epoch_row).map_err(corrupt)?;
    tx.open_table(EPOCHS)?
        .insert(plan.epoch_row.epoch, row.as_slice())?;
    let mut log = tx.open_table(GOVERNANCE)?;
    let first = log.len()?;
    for (seq, event) in (first..).zip(&plan.delta.governance) {
        let json = serde_json::to_vec(event).map_err(corrupt)?;
        log.insert(seq, json.as_slice())?;
    }
    Ok(())
}

/// Writes the index of a state installed from a snapshot: its edge, and
/// the roots of the complete shards of its `leaves` (epoch rows and the
/// governance log start after the base).
pub(super) fn write_base(
    tx: &WriteTransaction,
    state: &State,
    leaves: &[Fr],
) -> Result<(), StoreError> {
    tx.open_table(META)?
        .insert(META_FRONTIER, state.frontier().to_bytes().as_slice())?;
    let complete = leaves.len() / SHARD_LEAVES as usize;
    if complete > 0 {
        let (_, nodes) = append_nodes(
            &Frontier::new(),
            &leaves[..complete * SHARD_LEAVES as usize],
        )
        .map_err(corrupt)?;
        let mut shards = tx.open_table(SHARD_ROOTS)?;
        for (i, root) in nodes[SHARD_LEVELS - 1].iter().enumerate() {
            shards.insert(i as u64, field::to_bytes(root))?;
        }
    }
    Ok(())
}

/// The stored index against what a replay gives: the block's shard roots
/// (`shards`, the table), as each block is replayed.
pub(super) fn check_block(
    shards: &ReadOnlyTable<u64, [u8; 32]>,
    plan: &BlockPlan,
) -> Result<(), StoreError> {
    for (i, root) in completed_shards(plan) {
        if shards.get(i)?.map(|v| v.value()) != Some(field::to_bytes(&root)) {
            return Err(corrupt(format!(
                "table shard_roots, shard {i} (block {}): missing or differs",
                plan.height()
            )));
        }
    }
    Ok(())
}

/// The stored index against the replayed `state` at the tip: the edge, the
/// number of shard roots, the epoch rows and the governance log.
pub(super) fn check_tip(rtx: &ReadTransaction, state: &State) -> Result<(), StoreError> {
    let stored = read(rtx)?;
    if stored.frontier.as_ref().map(Frontier::to_bytes) != Some(state.frontier().to_bytes())
        && state.height() > 0
    {
        return Err(corrupt(
            "table meta, key frontier: differs from the tree the blocks give",
        ));
    }
    let shards = rtx.open_table(SHARD_ROOTS)?.len()?;
    if shards != state.frontier().len() / SHARD_LEAVES {
        return Err(corrupt(format!(
            "table shard_roots holds {shards} roots, the tree has {} complete shards",
            state.frontier().len() / SHARD_LEAVES
        )));
    }
    if stored.history.rows() != state.history().rows() {
        return Err(corrupt(
            "table epochs: differs from the rows the blocks give",
        ));
    }
    if stored.governance.as_slice() != state.governance_log() {
        return Err(corrupt(
            "table governance: differs from the changes the blocks make",
        ));
    }
    Ok(())
}

/// The index as stored.
struct Index {
    frontier: Option<Frontier>,
    history: EpochHistory,
    governance: Vec<GovernanceEvent>,
}

fn read(rtx: &ReadTransaction) -> Result<Index, StoreError> {
    let frontier = match rtx.open_table(META)?.get(META_FRONTIER)? {
        Some(v) => Some(
            Frontier::from_bytes(v.value())
                .map_err(|e| corrupt(format!("table meta, key frontier: {e}")))?,
        ),
        None => None,
    };
    let mut rows = Vec::new();
    for item in rtx.open_table(EPOCHS)?.iter()? {
        let (k, v) = item?;
        let row: EpochRow = serde_json::from_slice(v.value())
            .map_err(|e| corrupt(format!("table epochs, epoch {}: {e}", k.value())))?;
        if row.epoch != k.value() {
            return Err(corrupt(format!(
                "table epochs, epoch {}: the row is epoch {}'s",
                k.value(),
                row.epoch
            )));
        }
        rows.push(row);
    }
    let history =
        EpochHistory::from_rows(rows).ok_or_else(|| corrupt("table epochs: rows out of order"))?;
    let mut governance = Vec::new();
    for (n, item) in rtx.open_table(GOVERNANCE)?.iter()?.enumerate() {
        let (k, v) = item?;
        if k.value() != n as u64 {
            return Err(corrupt(format!("table governance: entry {n} is missing")));
        }
        governance.push(
            serde_json::from_slice(v.value())
                .map_err(|e| corrupt(format!("table governance, entry {n}: {e}")))?,
        );
    }
    Ok(Index {
        frontier,
        history,
        governance,
    })
}

impl Store {
    /// The stored sets, for [`State::attach_stored_sets`].
    pub fn sets(&self) -> Result<Arc<dyn StoredSets>, StoreError> {
        Ok(Arc::new(SetsView {
            db: Arc::downgrade(&self.db),
        }))
    }

    /// The roots of shards `from..to`, as stored (those written so far).
    pub fn shard_roots(&self, from: u64, to: u64) -> Result<Vec<Fr>, StoreError> {
        let rtx = self.db.begin_read()?;
        let t = rtx.open_table(SHARD_ROOTS)?;
        let mut out = Vec::new();
        for item in t.range(from..to.max(from))? {
            out.push(fr(&item?.1.value())?);
        }
        Ok(out)
    }

    /// The state after the last block, from the last commit alone
    /// ([`State::resume`]): scalars, edge, anchor window, epoch rows,
    /// governance log; the sets stay in the database.
    pub(super) fn resume(
        &self,
        rtx: &ReadTransaction,
        genesis: &Genesis,
        scalars: crate::state::Scalars,
        anchors: &[Fr],
    ) -> Result<State, StoreError> {
        let index = read(rtx)?;
        let frontier = index
            .frontier
            .ok_or_else(|| corrupt("table meta: the tree's frontier is missing"))?;
        let tip = self
            .header(rtx, scalars.height)?
            .ok_or_else(|| corrupt(format!("block {} is missing", scalars.height)))?;
        Ok(State::resume(
            genesis,
            scalars,
            frontier,
            anchors,
            index.history,
            index.governance,
            self.sets()?,
            &tip,
        )?)
    }
}
