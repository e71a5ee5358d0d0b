//! What a cluster node does to its own state: plan a block from the shared
//! mempool, commit a block etcd accepted, apply a block from etcd with every
//! check. One task calls these in turn, so the state changes only here.

use crate::error::BlockError;
use crate::node_core::{lock, read, NodeCore};
use crate::rules::{check_stateful, check_stateless};
use crate::state::BlockPlan;
use crate::store::StoreError;
use rand_core::OsRng;
use thiserror::Error;
use zkpension_core::{Block, Transaction, TxId};

/// Why a block from etcd was not applied.
#[derive(Debug, Error)]
pub(crate) enum ApplyError {
    #[error("{0}")]
    Block(#[from] BlockError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

impl NodeCore {
    /// Plans the next block from shared-mempool entries (key, transaction
    /// bytes), oldest first. Returns the plan if any candidate is valid, and
    /// the keys to delete from the mempool: every candidate considered,
    /// included or left out.
    pub(crate) fn plan_cluster_block(
        &self,
        candidates: Vec<(String, Vec<u8>)>,
    ) -> (Option<BlockPlan>, Vec<String>) {
        let mut deletes = Vec::with_capacity(candidates.len());
        let mut checked = Vec::with_capacity(candidates.len());
        for (key, bytes) in candidates {
            if let Ok(tx) = Transaction::decode(&bytes) {
                if let Ok(c) = check_stateless(tx) {
                    checked.push(c);
                }
            }
            deletes.push(key);
        }
        if checked.is_empty() {
            return (None, deletes);
        }
        let plan = {
            let state = read(&self.state);
            let propose = || state.propose_checked(checked, &self.keys, &mut OsRng);
            match &self.pool {
                Some(pool) => pool.install(propose),
                None => propose(),
            }
        };
        if plan.block.transactions.is_empty() {
            return (None, deletes);
        }
        (Some(plan), deletes)
    }

    /// Commits a block etcd accepted at `revision` (this node's own, or one
    /// checked by [`NodeCore::apply_cluster_block`]): the block, its delta
    /// and the revision in one redb transaction, then the state; settles the
    /// transactions of this node's queue it includes and drops those it
    /// made invalid (a conflicting nullifier).
    pub(crate) fn commit_cluster_block(
        &self,
        plan: &BlockPlan,
        revision: i64,
    ) -> Result<(), StoreError> {
        let settled: Vec<u64> = {
            let mempool = lock(&self.mempool);
            plan.delta
                .included
                .iter()
                .filter_map(|c| mempool.get(&c.id).map(|(seq, _)| seq))
                .collect()
        };
        self.store.write_block_at(plan, &settled, Some(revision))?;
        self.commit_written(plan)?;
        lock(&self.mempool).remove(&settled);
        self.drop_invalid_queued()
    }

    /// Drops the queued transactions the state no longer admits.
    fn drop_invalid_queued(&self) -> Result<(), StoreError> {
        let queued = lock(&self.mempool).batch(usize::MAX);
        if queued.is_empty() {
            return Ok(());
        }
        let mut seqs = Vec::new();
        let mut rejected: Vec<(usize, TxId, zkpension_core::Rejection)> = Vec::new();
        {
            let state = read(&self.state);
            for (i, (seq, c)) in queued.iter().enumerate() {
                if let Err(reason) = check_stateful(&state, state.scalars(), c) {
                    seqs.push(*seq);
                    rejected.push((i, c.id(), reason));
                }
            }
        }
        if seqs.is_empty() {
            return Ok(());
        }
        self.store.drop_all_pending(&seqs, &rejected)?;
        lock(&self.mempool).remove(&seqs);
        Ok(())
    }

    /// Applies a block from etcd: every check of [`crate::State::check_block`]
    /// (every proof, the link, the transaction and state roots), then
    /// [`NodeCore::commit_cluster_block`]. Returns its number of
    /// transactions.
    pub(crate) fn apply_cluster_block(
        &self,
        block: &Block,
        revision: i64,
    ) -> Result<usize, ApplyError> {
        let plan = {
            let state = read(&self.state);
            let check = || state.check_block(block, &self.keys, &mut OsRng);
            match &self.pool {
                Some(pool) => pool.install(check),
                None => check(),
            }
        }?;
        self.commit_cluster_block(&plan, revision)?;
        Ok(block.transactions.len())
    }
}
