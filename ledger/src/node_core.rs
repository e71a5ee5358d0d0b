//! The node without its network: admission of transactions, the queue, block
//! production and every answer the API gives, testable without HTTP.
//!
//! [`NodeCore::submit`] is the one door into the mempool (grin's
//! `add_to_pool`): stateless checks, the state's checks, the policy for copies
//! of a queued transaction, and durability before acknowledgement. The HTTP
//! layer (`api.rs`) only decodes requests and maps [`CoreError`] to status
//! codes; the node (`node.rs`) only runs this on threads and a runtime.

use crate::mempool::{Mempool, MempoolError, RecentRejections};
use crate::rules::{check_stateful, check_stateless, CheckedTx};
use crate::state::{BlockPlan, State};
use crate::store::{Store, StoreError, StoredStatus};
use rand_core::OsRng;
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use thiserror::Error;
use tokio::sync::Notify;
use zkpension_circuits::tree::SHARD_HEIGHT;
use zkpension_circuits::values::{AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_core::views::*;
use zkpension_core::{Reason, Rejection, Transaction, TxId};
use zkpension_verifier::VerifierKeys;

/// Submit-time rejections remembered for `GET /v1/tx/{id}`.
pub const RECENT_REJECTIONS: usize = 10_000;

/// Which check refused a transaction at submission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    /// Encodings, lengths, proof decoding: wrong whatever the state.
    Stateless,
    /// A rule against the current state (epoch, anchor, nullifier, signature, proof).
    Stateful,
}

/// Why the node cannot answer as asked.
#[derive(Debug, Error)]
pub enum CoreError {
    #[error("{reason}")]
    Rejected {
        stage: Stage,
        id: TxId,
        reason: Rejection,
    },
    /// A request outside what the node serves (a range too large, `to < from`).
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    NotFound(String),
    #[error(transparent)]
    Full(#[from] MempoolError),
    #[error("storage: {0}")]
    Store(#[from] StoreError),
}

/// What a submission did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Submitted {
    pub view: TxStatusView,
    /// Newly queued (`202`), rather than already known (`200`).
    pub queued: bool,
}

/// The node's state, queue and storage, shared by its threads.
pub struct NodeCore {
    pub(crate) keys: VerifierKeys,
    pub(crate) store: Store,
    pub(crate) state: RwLock<State>,
    pub(crate) mempool: Mutex<Mempool>,
    pub(crate) recent: Mutex<RecentRejections<Reason>>,
    pub(crate) max_block_txs: usize,
    pub(crate) pool: Option<rayon::ThreadPool>,
    /// Woken when a full block's worth is queued.
    pub(crate) wake: Notify,
    pub(crate) last_error: Mutex<Option<String>>,
}

/// Locks that are never poisoned in practice: a panic while holding one
/// would be a bug; the data behind them is still consistent (every write is
/// one assignment), so the guard is taken anyway.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn read<T>(m: &RwLock<T>) -> RwLockReadGuard<'_, T> {
    m.read().unwrap_or_else(|e| e.into_inner())
}

pub(crate) fn write<T>(m: &RwLock<T>) -> RwLockWriteGuard<'_, T> {
    m.write().unwrap_or_else(|e| e.into_inner())
}

impl NodeCore {
    /// A node over `store` and `state` (as [`Store::open`] returns them),
    /// with the queued transactions restored from storage.
    pub fn new(
        keys: VerifierKeys,
        store: Store,
        state: State,
        mempool_capacity: usize,
        max_block_txs: usize,
        pool: Option<rayon::ThreadPool>,
    ) -> Result<NodeCore, StoreError> {
        let queued = store.pending()?;
        let next_seq = queued.last().map_or(0, |(s, _)| s + 1);
        let mut mempool = Mempool::new(mempool_capacity.max(queued.len()), next_seq);
        for (seq, tx) in queued {
            let id = tx.id();
            match check_stateless(tx) {
                Ok(checked) => {
                    mempool.insert(seq, checked);
                }
                // Queued by an older build with other rules.
                Err(reason) => store.drop_pending(seq, &id, &reason)?,
            }
        }
        Ok(NodeCore {
            keys,
            store,
            state: RwLock::new(state),
            mempool: Mutex::new(mempool),
            recent: Mutex::new(RecentRejections::new(RECENT_REJECTIONS)),
            max_block_txs,
            pool,
            wake: Notify::new(),
            last_error: Mutex::new(None),
        })
    }

    /// Where a transaction stands, if the node knows it.
    pub fn tx_status(&self, id: &TxId) -> Result<Option<TxState>, StoreError> {
        if lock(&self.mempool).contains(id) {
            return Ok(Some(TxState::Pending));
        }
        match self.store.tx_status(id)? {
            Some(StoredStatus::Included { height, index }) => {
                return Ok(Some(TxState::Included { height, index }))
            }
            Some(StoredStatus::Rejected(reason)) => {
                // A transaction left out of a block may be submitted again
                // (say, once its epoch has come); the queue wins.
                return Ok(Some(TxState::Rejected { reason }));
            }
            None => {}
        }
        Ok(lock(&self.recent).get(id).map(|reason| TxState::Rejected {
            reason: reason.clone(),
        }))
    }

    fn refuse(&self, stage: Stage, id: TxId, reason: Rejection) -> CoreError {
        lock(&self.recent).insert(id, reason.reason());
        CoreError::Rejected { stage, id, reason }
    }

    /// Admits a transaction to the queue: stateless checks, the rules
    /// against the current state (only transactions valid now are queued; one
    /// for a later epoch or nonce is submitted once that has come), the policy
    /// for another copy of a queued transaction, and a durable write before
    /// the answer.
    pub fn submit(&self, tx: Transaction) -> Result<Submitted, CoreError> {
        let id = tx.id();
        let checked = check_stateless(tx).map_err(|r| self.refuse(Stage::Stateless, id, r))?;
        let public;
        {
            let state = read(&self.state);
            if state.is_included(&id) {
                drop(state);
                let status = self.tx_status(&id)?.unwrap_or(TxState::Pending);
                return Ok(Submitted {
                    view: TxStatusView { id, state: status },
                    queued: false,
                });
            }
            public = check_stateful(&state, state.scalars(), &checked)
                .map_err(|r| self.refuse(Stage::Stateful, id, r))?;
        }
        let pending = TxStatusView {
            id,
            state: TxState::Pending,
        };
        let mut mempool = lock(&self.mempool);
        let mut replaces = None;
        if let Some((queued_seq, queued)) = mempool.get(&id) {
            if queued.tx() == checked.tx() {
                return Ok(Submitted {
                    view: pending,
                    queued: false,
                });
            }
            // The same transaction with other proof bytes (ids leave proofs
            // out). Keep the copy whose proof verifies, so a copy with a
            // mangled proof queued first cannot shadow the real one.
            let verifies = |c: &CheckedTx| match (&public, c.proof()) {
                (Some((statement, inputs)), Some(proof)) => {
                    self.keys.get(*statement).verify(proof, inputs).is_ok()
                }
                _ => false,
            };
            if !verifies(&checked) {
                return Err(CoreError::Rejected {
                    stage: Stage::Stateful,
                    id,
                    reason: Rejection::InvalidProof,
                });
            }
            if verifies(queued) {
                return Ok(Submitted {
                    view: pending,
                    queued: false,
                });
            }
            replaces = Some(queued_seq);
        }
        let seq = mempool.reserve()?;
        // Durable before it is acknowledged: a queued transaction survives a
        // crash.
        self.store.add_pending(seq, checked.tx(), replaces)?;
        if let Some(old) = replaces {
            mempool.remove(&[old]);
        }
        mempool.insert(seq, checked);
        if mempool.len() >= self.max_block_txs {
            self.wake.notify_one();
        }
        Ok(Submitted {
            view: pending,
            queued: true,
        })
    }

    /// Produces one block from the queue if it holds anything. Returns
    /// whether a full block's worth is still queued.
    pub fn produce_block(&self) -> Result<bool, StoreError> {
        let batch = lock(&self.mempool).batch(self.max_block_txs);
        if batch.is_empty() {
            return Ok(false);
        }
        let (seqs, txs): (Vec<u64>, Vec<_>) = batch.into_iter().unzip();
        let plan: BlockPlan = {
            let state = read(&self.state);
            let propose = || state.propose_checked(txs, &self.keys, &mut OsRng);
            match &self.pool {
                Some(pool) => pool.install(propose),
                None => propose(),
            }
        };
        // Storage first: if the write fails nothing changed and the queued
        // transactions are tried again.
        self.store.write_block(&plan, &seqs)?;
        write(&self.state)
            .commit(&plan)
            .map_err(|e| StoreError::Corrupt(format!("committing a stored block: {e}")))?;
        let mut mempool = lock(&self.mempool);
        mempool.remove(&seqs);
        Ok(mempool.len() >= self.max_block_txs)
    }

    /// Records the outcome of a block-production attempt for `/v1/status`.
    pub(crate) fn set_last_error(&self, error: Option<String>) {
        *lock(&self.last_error) = error;
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> StatusView {
        let (mempool, mempool_capacity) = {
            let m = lock(&self.mempool);
            (m.len(), m.capacity())
        };
        let last_error = lock(&self.last_error).clone();
        let state = read(&self.state);
        let s = state.scalars();
        let g = state.genesis_config();
        StatusView {
            chain_id: g.chain_id,
            genesis_hash: state.context().genesis_hash,
            height: s.height,
            tip_hash: s.tip_hash,
            epoch: s.epoch,
            tree_root: state.tree_root(),
            state_root: state.state_root(),
            leaf_count: s.leaf_count,
            nullifier_count: s.nullifier_count,
            attestation_count: s.attestation_count,
            tx_count: s.tx_count,
            totals: TotalsView {
                contributed: s.total_contributed,
                paid_out: s.total_paid_out,
                pool: s.pool(),
            },
            params: s.params,
            pending_params: s.pending_params,
            anchor_window: state.anchor_window(),
            authority_nonce: s.authority_nonce,
            verifying_keys: g.verifying_keys.clone(),
            mempool,
            mempool_capacity,
            last_error,
        }
    }

    /// `GET /v1/genesis`.
    pub fn genesis(&self) -> GenesisView {
        let state = read(&self.state);
        GenesisView {
            hash: state.context().genesis_hash,
            genesis: state.genesis_config().clone(),
        }
    }

    /// `GET /v1/blocks/{height}`.
    pub fn block(&self, height: u64) -> Result<BlockView, CoreError> {
        let Some(block) = self.store.block(height)? else {
            return Err(CoreError::NotFound(format!("no block at height {height}")));
        };
        let info = self
            .store
            .block_info(height)?
            .ok_or_else(|| StoreError::Corrupt(format!("block info {height} is missing")))?;
        Ok(BlockView {
            hash: info.hash,
            header: block.header,
            tree_root: info.tree_root,
            leaf_start: info.leaf_start,
            leaf_count: info.leaf_count,
            transactions: block
                .transactions
                .into_iter()
                .map(|tx| TxView { id: tx.id(), tx })
                .collect(),
        })
    }

    /// `GET /v1/compact?from=&to=`: blocks `from..=to`, by default up to
    /// [`MAX_COMPACT_BLOCKS`] from `from` (1) to the tip.
    pub fn compact(&self, from: Option<u64>, to: Option<u64>) -> Result<CompactView, CoreError> {
        let tip = read(&self.state).height();
        let from = from.unwrap_or(1).max(1);
        let explicit_to = to.is_some();
        let to = to.unwrap_or_else(|| tip.min(from.saturating_add(MAX_COMPACT_BLOCKS - 1)));
        if to < from && explicit_to {
            return Err(CoreError::BadRequest("`to` is below `from`".into()));
        }
        if to >= from && to - from >= MAX_COMPACT_BLOCKS {
            return Err(CoreError::BadRequest(format!(
                "at most {MAX_COMPACT_BLOCKS} blocks per request"
            )));
        }
        let blocks = if to >= from {
            self.store.compact_blocks(from, to)?
        } else {
            Vec::new()
        };
        Ok(CompactView {
            from,
            to,
            tip,
            blocks,
        })
    }

    /// `GET /v1/nullifiers/{nf}`.
    pub fn nullifier(&self, nf: Nullifier) -> Result<NullifierView, CoreError> {
        let record = self.store.nullifier(&nf)?;
        Ok(NullifierView {
            nullifier: nf,
            spent: record.is_some(),
            height: record.map(|r| r.height),
            tx_id: record.map(|r| r.tx_id),
        })
    }

    /// `GET /v1/attestations/{context}?after=&limit=`: ordered by tag, at most
    /// `limit` (clamped to 1..=[`MAX_ATTESTATIONS`]).
    pub fn attestations(
        &self,
        context: ContextId,
        after: Option<AttestTag>,
        limit: Option<usize>,
    ) -> Result<AttestationsView, CoreError> {
        let limit = limit.unwrap_or(MAX_ATTESTATIONS).clamp(1, MAX_ATTESTATIONS);
        let mut list = self
            .store
            .attestations(&context, after.as_ref(), limit + 1)?;
        let more = list.len() > limit;
        list.truncate(limit);
        Ok(AttestationsView {
            context,
            attestations: list,
            more,
        })
    }

    /// `GET /v1/attestations/{context}/{tag}`.
    pub fn attestation(
        &self,
        context: ContextId,
        tag: AttestTag,
    ) -> Result<AttestationRecord, CoreError> {
        self.store.attestation(&context, &tag)?.ok_or_else(|| {
            CoreError::NotFound("no attestation with this tag in this context".into())
        })
    }

    /// `GET /v1/tree/shards?from=`.
    pub fn shards(&self, from: u64) -> ShardsView {
        let state = read(&self.state);
        let all = state.tree().shard_roots(from);
        let roots = all[..all.len().min(MAX_SHARDS)].to_vec();
        ShardsView {
            height: state.height(),
            leaf_count: state.tree().len(),
            tree_root: state.tree_root(),
            shard_height: SHARD_HEIGHT,
            from,
            more: all.len() > roots.len(),
            roots,
        }
    }

    /// `GET /v1/tree/leaves?from=&to=`: at most [`MAX_LEAVES`].
    pub fn leaves(&self, from: Option<u64>, to: Option<u64>) -> Result<LeavesView, CoreError> {
        let from = from.unwrap_or(0);
        let to = to.unwrap_or(from.saturating_add(MAX_LEAVES));
        if to < from || to - from > MAX_LEAVES {
            return Err(CoreError::BadRequest(format!(
                "need from <= to <= from + {MAX_LEAVES}"
            )));
        }
        Ok(LeavesView {
            from,
            leaves: self
                .store
                .leaves(from, to)?
                .into_iter()
                .map(NoteCommitment::from_field)
                .collect(),
        })
    }
}
