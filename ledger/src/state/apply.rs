//! Block application: how a block runs the phases of [`crate::rules`].
//!
//! [`State::propose`] (block production) and [`State::check_block`] (a block
//! made elsewhere) share one pipeline, a list of named steps as in grin's
//! `process_block`:
//!
//! 1. [`Pipeline::check_against_state`]: phase 2 against the ledger before the
//!    block; authority transactions change the epoch, parameters and nonce
//!    seen by the transactions after them.
//! 2. [`Pipeline::verify_proofs`]: every proof of the block in one batch.
//! 3. [`Pipeline::check_against_block`]: phase 2 against the transactions
//!    accepted earlier in the block, and phase 3 (execution).
//! 4. [`Pipeline::seal`]: the tree root, anchors, header and block.
//!
//! The state is changed only by [`State::commit`].

use super::{anchors_digest, append_nodes, state_root, EpochRow, State};
use crate::error::BlockError;
use crate::rules::{check_in_block, check_stateful, execute, stateless_all, BlockDelta, CheckedTx};
use rand_core::{CryptoRng, RngCore};
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::Frontier;
use zkpension_circuits::Statement;
use zkpension_core::block::{tx_root, MAX_BLOCK_TXS};
use zkpension_core::{Block, BlockHeader, Hash32, Rejection, Transaction, TxId};
use zkpension_verifier::{batch_verify, BatchError, BatchItem, Proof, VerifierKeys};

/// A block ready to be committed: the block, what it writes, and the
/// candidates left out with their reasons.
#[derive(Clone, Debug)]
pub struct BlockPlan {
    pub block: Block,
    pub hash: Hash32,
    pub delta: BlockDelta,
    /// The tree root after the block.
    pub tree_root: Fr,
    /// Candidates refused, by their index among the candidates.
    pub rejected: Vec<(usize, TxId, Rejection)>,
    /// The tree's new inner nodes, hashed once for the root (the store
    /// keeps the roots of the shards they complete).
    pub(crate) tree_nodes: Vec<Vec<Fr>>,
    /// The tree's right edge after the block.
    pub(crate) frontier: Frontier,
    /// The totals of the block's epoch after it.
    pub(crate) epoch_row: EpochRow,
}

/// A proof whose check [`State::check_block_deferred`] left to the caller.
#[derive(Clone, Debug)]
pub struct DeferredProof {
    /// The transaction's position in its block, and its id.
    pub index: usize,
    pub id: TxId,
    pub statement: Statement,
    pub public_inputs: Vec<Fr>,
    pub proof: Proof,
}

impl BlockPlan {
    pub fn height(&self) -> u64 {
        self.block.header.height
    }
}

/// Whether a refused transaction refuses the block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Block production: leave refused candidates out.
    Filter,
    /// Block application: every transaction must be valid.
    Strict,
}

/// One block's way through the steps.
struct Pipeline<'s> {
    state: &'s State,
    mode: Mode,
    /// Candidates refused so far (only in [`Mode::Filter`]).
    rejected: Vec<(usize, TxId, Rejection)>,
}

/// A candidate that passed the checks against the state, with its position
/// among the candidates and the public inputs of its proof.
struct Survivor {
    index: usize,
    tx: CheckedTx,
    public: Option<(Statement, Vec<Fr>)>,
}

impl<'s> Pipeline<'s> {
    fn new(state: &'s State, mode: Mode) -> Self {
        Pipeline {
            state,
            mode,
            rejected: Vec::new(),
        }
    }

    fn reject(&mut self, index: usize, id: TxId, reason: Rejection) -> Result<(), BlockError> {
        if self.mode == Mode::Strict {
            return Err(BlockError::InvalidTransaction { index, id, reason });
        }
        self.rejected.push((index, id, reason));
        Ok(())
    }

    /// Step 1: phase 1's results and phase 2 against the state, in order.
    fn check_against_state(
        &mut self,
        stateless: Vec<(TxId, Result<CheckedTx, Rejection>)>,
    ) -> Result<Vec<Survivor>, BlockError> {
        let mut scratch = BlockDelta::new(self.state);
        let mut survivors = Vec::with_capacity(stateless.len());
        for (index, (id, checked)) in stateless.into_iter().enumerate() {
            let c = match checked {
                Ok(c) => c,
                Err(reason) => {
                    self.reject(index, id, reason)?;
                    continue;
                }
            };
            match check_stateful(self.state, &scratch.scalars, &c) {
                Err(reason) => self.reject(index, id, reason)?,
                Ok(public) => {
                    if public.is_none()
                        && matches!(
                            c.tx,
                            Transaction::AdvanceEpoch(_)
                                | Transaction::SetParams(_)
                                | Transaction::CancelParams(_)
                                | Transaction::Deposit(_)
                        )
                    {
                        execute(&mut scratch, c.clone());
                    }
                    survivors.push(Survivor {
                        index,
                        tx: c,
                        public,
                    });
                }
            }
        }
        Ok(survivors)
    }

    /// Step 2: the block's proofs, in one batch. Returns which survivors'
    /// proofs fail.
    fn verify_proofs<R: RngCore + CryptoRng>(
        survivors: &[Survivor],
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> Vec<bool> {
        let mut bad_proof = vec![false; survivors.len()];
        let mut pending: Vec<(usize, &Statement, &Vec<Fr>)> = survivors
            .iter()
            .enumerate()
            .filter_map(|(at, s)| s.public.as_ref().map(|(st, x)| (at, st, x)))
            .collect();
        while !pending.is_empty() {
            let items: Vec<BatchItem<'_>> = pending
                .iter()
                .map(|(at, statement, x)| BatchItem {
                    statement: **statement,
                    proof: survivors[*at]
                        .tx
                        .proof
                        .as_ref()
                        .expect("check_stateless decodes the proof of every proof kind"),
                    public_inputs: x,
                })
                .collect();
            match batch_verify(keys, &items, rng) {
                Ok(()) => break,
                Err(BatchError::Invalid { failed }) => {
                    for i in failed {
                        bad_proof[pending[i].0] = true;
                    }
                    break;
                }
                Err(BatchError::InputCount { index, .. }) => {
                    // The inputs come from the statement's own encoder and
                    // loading refuses a key of another statement, so this
                    // does not happen; if it did, that item is invalid and
                    // the rest still has to be verified.
                    bad_proof[pending[index].0] = true;
                    pending.remove(index);
                }
            }
        }
        bad_proof
    }

    /// Step 3: phase 2 against the block, and phase 3.
    fn check_against_block(
        &mut self,
        survivors: Vec<Survivor>,
        bad_proof: Vec<bool>,
    ) -> Result<BlockDelta, BlockError> {
        let mut delta = BlockDelta::new(self.state);
        for (s, bad) in survivors.into_iter().zip(bad_proof) {
            if bad {
                self.reject(s.index, s.tx.id, Rejection::InvalidProof)?;
                continue;
            }
            match check_in_block(&delta, &s.tx) {
                Ok(()) => execute(&mut delta, s.tx),
                Err(reason) => self.reject(s.index, s.tx.id, reason)?,
            }
        }
        Ok(delta)
    }

    /// Step 4: the tree root and anchors after the block, the header, the block.
    fn seal(self, mut delta: BlockDelta) -> BlockPlan {
        let state = self.state;
        // check_in_block counted the leaves against the tree's capacity.
        let (tree_root, tree_nodes) =
            append_nodes(&state.tree, &delta.leaves).expect("the block's leaves fit the tree");
        let mut frontier = state.tree.clone();
        frontier
            .extend_computed(&delta.leaves, &tree_nodes)
            .expect("the block's leaves fit the tree");
        let anchors = {
            // The window holds the last distinct roots: a block that appends
            // nothing leaves it as it is.
            let mut roots: Vec<&Fr> = state.anchors.iter().collect();
            if roots.last() != Some(&&tree_root) {
                roots.push(&tree_root);
            }
            let window = state.anchor_window() as usize;
            let skip = roots.len().saturating_sub(window);
            anchors_digest(roots.into_iter().skip(skip))
        };
        delta.scalars.height = state.scalars.height + 1;
        let ids: Vec<TxId> = delta.included.iter().map(|c| c.id).collect();
        let header = BlockHeader {
            height: delta.scalars.height,
            prev_hash: state.scalars.tip_hash,
            epoch: delta.scalars.epoch,
            tx_root: tx_root(&ids),
            state_root: state_root(&tree_root, &anchors, &delta.scalars),
        };
        let hash = header.hash();
        delta.scalars.tip_hash = hash;
        let epoch_row = state
            .history
            .next(header.height, delta.included.len(), &delta.scalars);
        let block = Block {
            header,
            transactions: delta.included.iter().map(|c| c.tx.clone()).collect(),
        };
        BlockPlan {
            block,
            hash,
            delta,
            tree_root,
            rejected: self.rejected,
            tree_nodes,
            frontier,
            epoch_row,
        }
    }
}

impl State {
    /// Builds the next block from `candidates` in order, leaving out (with
    /// their reasons) those that break a rule. At most [`MAX_BLOCK_TXS`]
    /// candidates are considered; the rest are neither included nor refused.
    /// Verifies every proof in one batch on the current rayon pool. The state
    /// is not changed; pass the plan to [`State::commit`].
    pub fn propose<R: RngCore + CryptoRng>(
        &self,
        candidates: Vec<Transaction>,
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> BlockPlan {
        let mut candidates = candidates;
        candidates.truncate(MAX_BLOCK_TXS);
        self.propose_stateless(stateless_all(candidates), keys, rng)
    }

    /// [`State::propose`] for candidates that already passed
    /// [`crate::rules::check_stateless`] (a node checks each transaction when
    /// it is submitted, so block production does not decode proofs again).
    pub fn propose_checked<R: RngCore + CryptoRng>(
        &self,
        candidates: Vec<CheckedTx>,
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> BlockPlan {
        let mut candidates = candidates;
        candidates.truncate(MAX_BLOCK_TXS);
        let checked = candidates.into_iter().map(|c| (c.id, Ok(c))).collect();
        self.propose_stateless(checked, keys, rng)
    }

    /// [`State::propose_checked`] with the proofs left to the caller, as
    /// [`State::check_block_deferred`] does for a block: every other rule is
    /// checked, the proof of each candidate that passed the checks against
    /// the state is appended to `proofs`, and the plan is valid only if
    /// those of the included transactions verify. (Tools
    /// that synthesize history with placeholder proofs use it; a node
    /// proposes with [`State::propose_checked`].)
    pub fn propose_deferred<R: RngCore + CryptoRng>(
        &self,
        candidates: Vec<CheckedTx>,
        keys: &VerifierKeys,
        rng: &mut R,
        proofs: &mut Vec<DeferredProof>,
    ) -> BlockPlan {
        let mut candidates = candidates;
        candidates.truncate(MAX_BLOCK_TXS);
        let checked = candidates.into_iter().map(|c| (c.id, Ok(c))).collect();
        let mut plan = self
            .plan(checked, keys, rng, Mode::Filter, false, Some(proofs))
            .expect("filter mode refuses transactions, never the block");
        plan.rejected.sort_by_key(|(i, ..)| *i);
        plan
    }

    fn propose_stateless<R: RngCore + CryptoRng>(
        &self,
        checked: Vec<(TxId, Result<CheckedTx, Rejection>)>,
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> BlockPlan {
        let mut plan = self
            .plan(checked, keys, rng, Mode::Filter, true, None)
            .expect("filter mode refuses transactions, never the block");
        plan.rejected.sort_by_key(|(i, ..)| *i);
        plan
    }

    /// Checks a block made elsewhere against this state: every transaction
    /// valid, the header what the transactions give. The state is not
    /// changed.
    pub fn check_block<R: RngCore + CryptoRng>(
        &self,
        block: &Block,
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> Result<BlockPlan, BlockError> {
        self.check_block_with(block, keys, rng, true)
    }

    /// [`State::check_block`], with the proofs verified only if
    /// `verify_proofs` (a node re-checking its own stored blocks at start may
    /// trust the proofs it verified when it made them).
    pub fn check_block_with<R: RngCore + CryptoRng>(
        &self,
        block: &Block,
        keys: &VerifierKeys,
        rng: &mut R,
        verify_proofs: bool,
    ) -> Result<BlockPlan, BlockError> {
        self.check_block_inner(block, keys, rng, verify_proofs, None)
    }

    /// [`State::check_block`] with the proofs left to the caller: every
    /// other rule is checked, and each proof the block carries is appended
    /// to `proofs` with the statement and public inputs it must verify
    /// against. The plan is valid only if all of them verify. An auditor
    /// re-checking a chain verifies the proofs of many small blocks in one
    /// batch this way ([`crate::audit`]).
    pub fn check_block_deferred<R: RngCore + CryptoRng>(
        &self,
        block: &Block,
        keys: &VerifierKeys,
        rng: &mut R,
        proofs: &mut Vec<DeferredProof>,
    ) -> Result<BlockPlan, BlockError> {
        self.check_block_inner(block, keys, rng, false, Some(proofs))
    }

    fn check_block_inner<R: RngCore + CryptoRng>(
        &self,
        block: &Block,
        keys: &VerifierKeys,
        rng: &mut R,
        verify_proofs: bool,
        deferred: Option<&mut Vec<DeferredProof>>,
    ) -> Result<BlockPlan, BlockError> {
        let expected = self.scalars.height + 1;
        if block.header.height != expected {
            return Err(BlockError::Height {
                expected,
                got: block.header.height,
            });
        }
        if block.header.prev_hash != self.scalars.tip_hash {
            return Err(BlockError::PrevHash {
                expected: self.scalars.tip_hash.to_string(),
                got: block.header.prev_hash.to_string(),
            });
        }
        if block.transactions.len() > MAX_BLOCK_TXS {
            return Err(BlockError::TooManyTransactions {
                got: block.transactions.len(),
                max: MAX_BLOCK_TXS,
            });
        }
        let checked = stateless_all(block.transactions.clone());
        let plan = self.plan(checked, keys, rng, Mode::Strict, verify_proofs, deferred)?;
        let h = &plan.block.header;
        for (field, ok) in [
            ("epoch", h.epoch == block.header.epoch),
            ("tx_root", h.tx_root == block.header.tx_root),
            ("state_root", h.state_root == block.header.state_root),
        ] {
            if !ok {
                return Err(BlockError::HeaderMismatch { field });
            }
        }
        Ok(plan)
    }

    /// Applies a block: [`State::check_block`], then [`State::commit`]. On
    /// error the state is unchanged.
    pub fn apply_block<R: RngCore + CryptoRng>(
        &mut self,
        block: &Block,
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> Result<BlockPlan, BlockError> {
        let plan = self.check_block(block, keys, rng)?;
        self.commit(&plan)?;
        Ok(plan)
    }

    /// Applies a plan made from this state by [`State::propose`] or
    /// [`State::check_block`].
    pub fn commit(&mut self, plan: &BlockPlan) -> Result<(), BlockError> {
        let h = &plan.block.header;
        if h.height != self.scalars.height + 1 {
            return Err(BlockError::Height {
                expected: self.scalars.height + 1,
                got: h.height,
            });
        }
        if h.prev_hash != self.scalars.tip_hash {
            return Err(BlockError::PrevHash {
                expected: self.scalars.tip_hash.to_string(),
                got: h.prev_hash.to_string(),
            });
        }
        let d = &plan.delta;
        // Made from this state's edge (the height and hash link say so).
        self.tree = plan.frontier.clone();
        if self.anchors.latest() != Some(plan.tree_root) {
            self.anchors.push(plan.tree_root);
        }
        self.sets.add(
            d.nullifiers.iter().map(|(nf, _)| *nf),
            d.attestations.iter().map(|(ct, _)| *ct),
            d.included.iter().map(|c| c.id),
        );
        self.scalars = d.scalars.clone();
        self.history.put(plan.epoch_row);
        self.governance_log.extend(d.governance.iter().cloned());
        debug_assert_eq!(self.state_root(), h.state_root);
        Ok(())
    }

    /// The pipeline: the four steps of the module documentation.
    fn plan<R: RngCore + CryptoRng>(
        &self,
        stateless: Vec<(TxId, Result<CheckedTx, Rejection>)>,
        keys: &VerifierKeys,
        rng: &mut R,
        mode: Mode,
        verify_proofs: bool,
        deferred: Option<&mut Vec<DeferredProof>>,
    ) -> Result<BlockPlan, BlockError> {
        let mut pipeline = Pipeline::new(self, mode);
        let survivors = pipeline.check_against_state(stateless)?;
        if let Some(out) = deferred {
            out.extend(survivors.iter().filter_map(|s| {
                let (statement, inputs) = s.public.clone()?;
                Some(DeferredProof {
                    index: s.index,
                    id: s.tx.id,
                    statement,
                    public_inputs: inputs,
                    proof: s.tx.proof.clone()?,
                })
            }));
        }
        let bad_proof = if verify_proofs {
            Pipeline::verify_proofs(&survivors, keys, rng)
        } else {
            vec![false; survivors.len()]
        };
        let delta = pipeline.check_against_block(survivors, bad_proof)?;
        Ok(pipeline.seal(delta))
    }
}
