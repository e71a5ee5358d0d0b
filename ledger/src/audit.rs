//! Re-applying a chain from genesis, as an independent auditor does.
//!
//! [`Auditor::push`] checks a block against every rule (hash link, height,
//! transaction root, the stateful rules, the state root) with
//! [`State::check_block_deferred`], and keeps its proofs; they are verified
//! in batches of up to [`Auditor::batch_size`] proofs across blocks
//! ([`zkpension_verifier::batch_verify`]), so a chain of small blocks costs
//! about what one large block does. Errors always name the first height
//! that disagrees: before a block's other error is reported, the proofs of
//! the blocks before it are verified.

use crate::state::{DeferredProof, State};
use rand_core::OsRng;
use thiserror::Error;
use zkpension_core::{Block, Genesis, GenesisError, Transaction};
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

/// A chain re-applied block by block from genesis.
pub struct Auditor {
    state: State,
    keys: VerifierKeys,
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
            pending: Vec::new(),
            batch: DEFAULT_BATCH,
            counts: AuditCounts::default(),
        })
    }

    /// Proofs per batch (at least 1).
    pub fn with_batch_size(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    pub fn batch_size(&self) -> usize {
        self.batch
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
        for tx in &block.transactions {
            let c = &mut self.counts;
            c.transactions += 1;
            match tx {
                Transaction::Enroll(_) => {
                    c.members_enrolled += 1;
                    c.signatures_checked += 1;
                }
                Transaction::Contribute(_) | Transaction::Claim(_) | Transaction::Attest(_) => {}
                Transaction::AdvanceEpoch(_) | Transaction::SetParams(_) => {
                    c.signatures_checked += 1
                }
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
