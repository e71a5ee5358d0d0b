//! Re-applying a chain from genesis, as an independent auditor does.
//!
//! [`Auditor::push`] checks a block against every rule (hash link, height,
//! transaction root, the stateful rules, the state root) with
//! [`State::check_block_deferred`], and keeps its proofs; they are verified
//! in batches of [`DEFAULT_BATCH`] proofs (or [`Auditor::with_batch_size`]) across blocks
//! ([`zkpension_verifier::batch_verify`]), so a chain of small blocks costs
//! about what one large block does. Errors always name the first height
//! that disagrees: before a block's other error is reported, the proofs of
//! the blocks before it are verified.
//!
//! An audit can continue later from where it stopped: [`Auditor::checkpoint`]
//! gives the audited state (the tree's leaves, the anchor window, the
//! nullifiers, attestation tags and transaction ids in the order they were
//! added, the scalars and the tip's header) and [`Auditor::resume`] rebuilds
//! it, checking every count, accumulator and the state root against the
//! header, so a damaged or edited checkpoint is refused.

use crate::state::{DeferredProof, RestoreError, Scalars, State};
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_core::{Block, BlockHeader, Genesis, GenesisError, Hash32, Transaction, TxId};
use zkpension_verifier::{batch_verify, BatchError, BatchItem, VerifierKeys};

/// Proofs per batch by default: the batch verifier's cost per proof is flat
/// from about 256 on (`benches/README.md`).
pub const DEFAULT_BATCH: usize = 512;

/// The first block that disagrees, and why.
#[derive(Debug, Error)]
#[error("block {height} disagrees: {reason}")]
pub struct Disagreement {
    pub height: u64,
    pub reason: String,
}

/// What the audit counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct AuditCounts {
    pub blocks: u64,
    pub transactions: u64,
    pub members_enrolled: u64,
    pub proofs_checked: u64,
    pub signatures_checked: u64,
}

/// The format name of a [`Checkpoint`].
pub const CHECKPOINT_FORMAT: &str = "zkpension-audit-checkpoint/1";

/// An audited state, to continue an audit from (JSON).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Checkpoint {
    /// [`CHECKPOINT_FORMAT`].
    pub format: String,
    pub genesis_hash: Hash32,
    /// The header of the last audited block (none at height 0).
    pub tip: Option<BlockHeader>,
    pub scalars: Scalars,
    pub leaves: Vec<NoteCommitment>,
    /// The anchor window, oldest first.
    pub anchors: Vec<Anchor>,
    pub nullifiers: Vec<Nullifier>,
    pub attestations: Vec<(ContextId, AttestTag)>,
    pub tx_ids: Vec<TxId>,
}

impl Checkpoint {
    pub fn height(&self) -> u64 {
        self.scalars.height
    }
}

/// Why a checkpoint cannot be resumed from.
#[derive(Debug, Error)]
pub enum ResumeError {
    #[error("the checkpoint's format is {0:?}, this build reads {CHECKPOINT_FORMAT:?}")]
    Format(String),
    #[error("the checkpoint is of another chain (genesis {checkpoint}, this chain's is {chain})")]
    OtherChain { checkpoint: Hash32, chain: Hash32 },
    #[error("the checkpoint's tip header hashes to {header}, its state names {state}")]
    TipHash { header: Hash32, state: Hash32 },
    #[error("the checkpoint's state does not check: {0}")]
    State(#[from] RestoreError),
}

/// A chain re-applied block by block from genesis.
pub struct Auditor {
    state: State,
    keys: VerifierKeys,
    /// What a checkpoint needs and the state does not keep in order.
    tip: Option<BlockHeader>,
    leaves: Vec<NoteCommitment>,
    nullifiers: Vec<Nullifier>,
    attestations: Vec<(ContextId, AttestTag)>,
    tx_ids: Vec<TxId>,
    /// Proofs not yet verified, with the height of their block.
    pending: Vec<(u64, DeferredProof)>,
    batch: usize,
    counts: AuditCounts,
}

impl Auditor {
    /// An auditor at height 0 of `genesis`, with the verifying keys the
    /// genesis names (the caller checks their ids).
    pub fn new(genesis: &Genesis, keys: VerifierKeys) -> Result<Auditor, GenesisError> {
        Ok(Auditor {
            state: State::genesis(genesis)?,
            keys,
            tip: None,
            leaves: Vec::new(),
            nullifiers: Vec::new(),
            attestations: Vec::new(),
            tx_ids: Vec::new(),
            pending: Vec::new(),
            batch: DEFAULT_BATCH,
            counts: AuditCounts::default(),
        })
    }

    /// An auditor at the checkpoint's height, its state rebuilt and checked
    /// (counts, accumulators, the state root against the tip header).
    pub fn resume(
        genesis: &Genesis,
        keys: VerifierKeys,
        cp: Checkpoint,
    ) -> Result<Auditor, ResumeError> {
        if cp.format != CHECKPOINT_FORMAT {
            return Err(ResumeError::Format(cp.format));
        }
        if cp.genesis_hash != genesis.hash() {
            return Err(ResumeError::OtherChain {
                checkpoint: cp.genesis_hash,
                chain: genesis.hash(),
            });
        }
        if let Some(h) = &cp.tip {
            if h.hash() != cp.scalars.tip_hash {
                return Err(ResumeError::TipHash {
                    header: h.hash(),
                    state: cp.scalars.tip_hash,
                });
            }
        }
        let leaves: Vec<_> = cp.leaves.iter().map(|c| c.to_field()).collect();
        let anchors: Vec<_> = cp.anchors.iter().map(|a| a.to_field()).collect();
        let state = State::restore(
            genesis,
            cp.scalars,
            &leaves,
            &anchors,
            &cp.nullifiers,
            &cp.attestations,
            &cp.tx_ids,
            cp.tip.as_ref(),
        )?;
        Ok(Auditor {
            state,
            keys,
            tip: cp.tip,
            leaves: cp.leaves,
            nullifiers: cp.nullifiers,
            attestations: cp.attestations,
            tx_ids: cp.tx_ids,
            pending: Vec::new(),
            batch: DEFAULT_BATCH,
            counts: AuditCounts::default(),
        })
    }

    /// Verifies the pending proofs and returns the audited state as a
    /// checkpoint.
    pub fn checkpoint(&mut self) -> Result<Checkpoint, Disagreement> {
        self.flush()?;
        Ok(Checkpoint {
            format: CHECKPOINT_FORMAT.to_string(),
            genesis_hash: self.state.context().genesis_hash,
            tip: self.tip,
            scalars: self.state.scalars().clone(),
            leaves: self.leaves.clone(),
            anchors: self.state.anchors().map(|&a| Anchor::from(a)).collect(),
            nullifiers: self.nullifiers.clone(),
            attestations: self.attestations.clone(),
            tx_ids: self.tx_ids.clone(),
        })
    }

    /// Proofs per batch (at least 1).
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// The state after the last block pushed (its proofs may still be
    /// pending: call [`Auditor::finish`] before trusting it).
    pub fn state(&self) -> &State {
        &self.state
    }

    pub fn counts(&self) -> &AuditCounts {
        &self.counts
    }

    /// Checks and applies the next block; its proofs join the pending batch,
    /// verified when it is full.
    pub fn push(&mut self, block: &Block) -> Result<(), Disagreement> {
        let height = block.header.height;
        let mut proofs = Vec::new();
        let plan = match self
            .state
            .check_block_deferred(block, &self.keys, &mut OsRng, &mut proofs)
        {
            Ok(plan) => plan,
            Err(e) => {
                // An earlier block's bad proof is the first disagreement.
                self.flush()?;
                return Err(Disagreement {
                    height,
                    reason: e.to_string(),
                });
            }
        };
        self.state.commit(&plan).map_err(|e| Disagreement {
            height,
            reason: e.to_string(),
        })?;
        let d = &plan.delta;
        self.leaves
            .extend(d.leaves.iter().map(|&c| NoteCommitment::from(c)));
        self.nullifiers
            .extend(d.nullifiers.iter().map(|(nf, _)| *nf));
        self.attestations
            .extend(d.attestations.iter().map(|(a, _)| *a));
        self.tx_ids.extend(d.included.iter().map(|c| c.id()));
        self.tip = Some(block.header);
        for tx in &block.transactions {
            let c = &mut self.counts;
            c.transactions += 1;
            match tx {
                Transaction::Enroll(_) => {
                    c.members_enrolled += 1;
                    c.signatures_checked += 1;
                }
                Transaction::Contribute(_)
                | Transaction::Claim(_)
                | Transaction::Attest(_)
                | Transaction::Inherit(_) => {}
                Transaction::AdvanceEpoch(_)
                | Transaction::SetParams(_)
                | Transaction::CancelParams(_)
                | Transaction::Deposit(_) => c.signatures_checked += 1,
            }
        }
        self.counts.blocks += 1;
        self.pending.extend(proofs.into_iter().map(|p| (height, p)));
        if self.pending.len() >= self.batch {
            self.flush()?;
        }
        Ok(())
    }

    /// Verifies every pending proof.
    pub fn flush(&mut self) -> Result<(), Disagreement> {
        if self.pending.is_empty() {
            return Ok(());
        }
        let pending = std::mem::take(&mut self.pending);
        let items: Vec<BatchItem<'_>> = pending
            .iter()
            .map(|(_, p)| BatchItem {
                statement: p.statement,
                proof: &p.proof,
                public_inputs: &p.public_inputs,
            })
            .collect();
        let failed = match batch_verify(&self.keys, &items, &mut OsRng) {
            Ok(()) => {
                self.counts.proofs_checked += pending.len() as u64;
                return Ok(());
            }
            Err(BatchError::Invalid { failed }) => failed[0],
            Err(BatchError::InputCount { index, .. }) => index,
        };
        let (height, p) = &pending[failed];
        Err(Disagreement {
            height: *height,
            reason: format!(
                "transaction {} ({}) is invalid: its {} proof does not verify",
                p.index, p.id, p.statement
            ),
        })
    }

    /// Verifies the pending proofs and returns the final state.
    pub fn finish(mut self) -> Result<(State, AuditCounts), Disagreement> {
        self.flush()?;
        Ok((self.state, self.counts))
    }
}
