//! The node without its network: admission of transactions, the queue, block
//! production and every answer the API gives, testable without HTTP.
//!
//! [`NodeCore::submit`] is the one door into the mempool (grin's
//! `add_to_pool`): stateless checks, the state's checks, the policy for copies
//! of a queued transaction, and durability before acknowledgement. The HTTP
//! layer (`api.rs`) only decodes requests and maps [`CoreError`] to status
//! codes; the node (`node.rs`) only runs this on threads and a runtime.

mod queries;

use crate::admission::ProofBatcher;
use crate::limiter::{RefusalLimiter, RefusalLimits};
use crate::mempool::{Mempool, MempoolError, RecentRejections};
use crate::rules::{about_proof, check_stateful, check_stateless};
use crate::state::{BlockPlan, State};
use crate::store::{Store, StoreError, StoredStatus};
use rand_core::OsRng;
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};
use thiserror::Error;
use tokio::sync::Notify;
use zkpension_core::views::*;
use zkpension_core::{Hash32, Reason, Rejection, Transaction, TxId};
use zkpension_verifier::VerifierKeys;

/// Submit-time rejections remembered for `GET /v1/tx/{id}`.
pub const RECENT_REJECTIONS: usize = 10_000;

/// How long a submission waits for others to share its proof check with
/// ([`crate::admission`]): none. Batches still form from the submissions that
/// arrive while a check runs, and a 2 ms wait measured no faster for 64
/// concurrent submissions, honest or forged (`benches/README.md`), while it
/// delays every lone one.
pub const DEFAULT_ADMISSION_WINDOW: Duration = Duration::ZERO;

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
    /// The client had too many submissions refused lately.
    #[error("too many refused submissions from {peer}; try again in {} s", retry_after.as_secs_f64().ceil())]
    Limited { peer: IpAddr, retry_after: Duration },
    #[error("storage: {0}")]
    Store(#[from] StoreError),
    /// The node's own failure (a file it serves cannot be read).
    #[error("{0}")]
    Internal(String),
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
    /// Verifies submitted proofs in micro-batches.
    pub(crate) batcher: ProofBatcher,
    pub(crate) refusals: Mutex<RefusalLimiter>,
    /// The key directory served by `GET /v1/keys`.
    pub(crate) keys_dir: Option<PathBuf>,
    /// In a cluster, newly queued transactions go here, to the shared
    /// mempool in etcd ([`crate::cluster`]).
    pub(crate) forward: Option<tokio::sync::mpsc::UnboundedSender<Transaction>>,
    /// The height of the snapshot this node's database started from (0:
    /// it holds every block from genesis).
    pub(crate) snapshot_base: u64,
}

/// A block [`NodeCore::produce_block`] wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProducedBlock {
    pub height: u64,
    pub txs: usize,
    pub state_root: Hash32,
    pub elapsed: Duration,
}

/// What one call of [`NodeCore::produce_block`] did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Produced {
    /// The block written, if any candidate was valid.
    pub block: Option<ProducedBlock>,
    /// Candidates left out and dropped from the queue.
    pub dropped: usize,
    /// A full block's worth is still queued.
    pub more: bool,
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
        let snapshot_base = store.snapshot_base()?.map_or(0, |b| b.height());
        Ok(NodeCore {
            snapshot_base,
            keys,
            store,
            state: RwLock::new(state),
            mempool: Mutex::new(mempool),
            recent: Mutex::new(RecentRejections::new(RECENT_REJECTIONS)),
            max_block_txs,
            pool,
            wake: Notify::new(),
            last_error: Mutex::new(None),
            batcher: ProofBatcher::new(DEFAULT_ADMISSION_WINDOW),
            refusals: Mutex::new(RefusalLimiter::new(RefusalLimits::default())),
            keys_dir: None,
            forward: None,
        })
    }

    /// How long a submission waits for others to share its proof check with.
    pub fn with_admission_window(mut self, window: Duration) -> Self {
        self.batcher = ProofBatcher::new(window);
        self
    }

    /// The per-client limits on refused submissions.
    pub fn with_refusal_limits(mut self, limits: RefusalLimits) -> Self {
        self.refusals = Mutex::new(RefusalLimiter::new(limits));
        self
    }

    /// Serves the key files of `dir` (its `manifest.json` and the files it
    /// names that are present) at `GET /v1/keys`.
    pub fn with_keys_dir(mut self, dir: &Path) -> Self {
        self.keys_dir = Some(dir.to_path_buf());
        self
    }

    /// [`NodeCore::submit`] for a client at `peer`, under its limit on
    /// refused submissions ([`crate::limiter`]): refused with
    /// [`CoreError::Limited`] before any check while the limit is reached;
    /// a refusal takes from it.
    pub fn submit_from(&self, peer: IpAddr, tx: Transaction) -> Result<Submitted, CoreError> {
        self.admit_peer(peer)?;
        let r = self.submit(tx);
        if matches!(r, Err(CoreError::Rejected { .. })) {
            self.note_refused(peer);
        }
        r
    }

    /// `Err(CoreError::Limited)` while `peer` has used up its refusals.
    pub fn admit_peer(&self, peer: IpAddr) -> Result<(), CoreError> {
        lock(&self.refusals)
            .check(peer, Instant::now())
            .map_err(|retry_after| CoreError::Limited { peer, retry_after })
    }

    /// Counts a refused submission (one that did not even decode, say)
    /// against `peer`.
    pub fn note_refused(&self, peer: IpAddr) {
        lock(&self.refusals).refused(peer, Instant::now());
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

    /// A refusal, remembered for `GET /v1/tx/{id}` unless it is about the
    /// proof alone ([`about_proof`]): an id does not cover the proof, so
    /// another copy of the same body may still come with a valid one.
    fn refuse(&self, stage: Stage, id: TxId, reason: Rejection) -> CoreError {
        if !about_proof(&reason) {
            lock(&self.recent).insert(id, reason.reason());
        }
        CoreError::Rejected { stage, id, reason }
    }

    /// Admits a transaction to the queue: stateless checks, the rules
    /// against the current state (only transactions valid now are queued; one
    /// for a later epoch or nonce is submitted once that has come), the
    /// proof (verified in a micro-batch with concurrent submissions, see
    /// [`crate::admission`]), the policy for copies of a queued transaction,
    /// and a durable write before the answer. A transaction is queued only if
    /// everything the node can check now holds.
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
        let pending = Submitted {
            view: TxStatusView {
                id,
                state: TxState::Pending,
            },
            queued: false,
        };
        // The very same bytes queued already: nothing to verify.
        if lock(&self.mempool)
            .get(&id)
            .is_some_and(|(_, queued)| queued.tx() == checked.tx())
        {
            return Ok(pending);
        }
        // The proof, outside every lock.
        if let (Some((statement, inputs)), Some(proof)) = (&public, checked.proof()) {
            let ok = self.batcher.verify(
                &self.keys,
                self.pool.as_ref(),
                *statement,
                proof,
                inputs.clone(),
            );
            if !ok {
                return Err(self.refuse(Stage::Stateful, id, Rejection::InvalidProof));
            }
        }
        let mut mempool = lock(&self.mempool);
        let mut replaces = None;
        if let Some((queued_seq, queued)) = mempool.get(&id) {
            if queued.tx() == checked.tx() {
                return Ok(pending);
            }
            // The same body with other proof bytes (ids leave proofs out;
            // Groth16 proofs can be re-randomised). Both may verify: keep the
            // queued one. Only a copy queued before proofs were checked at
            // admission (restored from an older build) can fail; then the
            // new, verified copy replaces it.
            let queued_verifies = match (&public, queued.proof()) {
                (Some((statement, inputs)), Some(proof)) => {
                    self.keys.get(*statement).verify(proof, inputs).is_ok()
                }
                _ => true,
            };
            if queued_verifies {
                return Ok(pending);
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
        if let Some(forward) = &self.forward {
            // Durable locally first; a node that restarts forwards its queue again.
            let _ = forward.send(checked.tx().clone());
        }
        mempool.insert(seq, checked);
        if mempool.len() >= self.max_block_txs {
            self.wake.notify_one();
        }
        Ok(Submitted {
            queued: true,
            ..pending
        })
    }

    /// Produces one block from the queue if it holds anything valid. Returns
    /// what was done and whether a full block's worth is still queued.
    ///
    /// Candidates that became invalid since admission (an anchor that left
    /// the window, a nullifier spent meanwhile) are left out and dropped from
    /// the queue; if none is left, no block is written (there are no empty
    /// blocks) and only the queue changes.
    pub fn produce_block(&self) -> Result<Produced, StoreError> {
        let batch = lock(&self.mempool).batch(self.max_block_txs);
        if batch.is_empty() {
            return Ok(Produced::default());
        }
        let started = std::time::Instant::now();
        let (seqs, txs): (Vec<u64>, Vec<_>) = batch.into_iter().unzip();
        let plan: BlockPlan = {
            let state = read(&self.state);
            let propose = || state.propose_checked(txs, &self.keys, &mut OsRng);
            match &self.pool {
                Some(pool) => pool.install(propose),
                None => propose(),
            }
        };
        let dropped = plan.rejected.len();
        if plan.block.transactions.is_empty() {
            self.store.drop_all_pending(&seqs, &plan.rejected)?;
            let mut mempool = lock(&self.mempool);
            mempool.remove(&seqs);
            return Ok(Produced {
                block: None,
                dropped,
                more: mempool.len() >= self.max_block_txs,
            });
        }
        // Storage first: if the write fails nothing changed and the queued
        // transactions are tried again.
        self.store.write_block(&plan, &seqs)?;
        self.commit_written(&plan)?;
        let mut mempool = lock(&self.mempool);
        mempool.remove(&seqs);
        Ok(Produced {
            block: Some(ProducedBlock {
                height: plan.height(),
                txs: plan.block.transactions.len(),
                state_root: plan.block.header.state_root,
                elapsed: started.elapsed(),
            }),
            dropped,
            more: mempool.len() >= self.max_block_txs,
        })
    }

    /// Commits a plan the store has written to the state, and lets the
    /// store answer for the block's sets from now on (the state's memory
    /// holds no more than one block's nullifiers, tags and ids).
    pub(crate) fn commit_written(&self, plan: &BlockPlan) -> Result<(), StoreError> {
        let mut state = write(&self.state);
        state
            .commit(plan)
            .map_err(|e| StoreError::Corrupt(format!("committing a stored block: {e}")))?;
        state.forget_stored_items();
        Ok(())
    }

    /// Records the outcome of a block-production attempt for `/v1/status`.
    pub(crate) fn set_last_error(&self, error: Option<String>) {
        *lock(&self.last_error) = error;
    }
}
