//! The ledger rules of SPEC §5, in three phases, and block application.
//!
//! 1. [`check_stateless`]: what a transaction's bytes alone decide — the size
//!    of its byte strings, amounts, parameters, and the decoding of its proof
//!    (canonical, on the curve, in the subgroup). Canonical field elements and
//!    exact sizes are already enforced when a transaction is decoded
//!    ([`Transaction::decode`], or its JSON form).
//! 2. [`check_stateful`]: the rules against the ledger as it stood before the
//!    block and the authority transactions earlier in the block — replay,
//!    signatures (keys from genesis), authority nonce, epoch, anchor window,
//!    spent nullifiers and attestation tags — giving each proof its public
//!    inputs under the parameters in force at its position. Then the proofs
//!    of the block are verified together ([`batch_verify`]); then
//!    [`check_in_block`] checks what depends on the block's other accepted
//!    transactions: duplicates, nullifiers and tags spent earlier in the
//!    block, the pool, overflow, tree capacity.
//! 3. [`execute`]: the writes, into a [`BlockDelta`]; [`State::commit`]
//!    applies a whole block's delta at once.
//!
//! Proofs are verified before in-block conflicts are resolved, so a
//! transaction with an invalid proof never takes a nullifier away from a valid
//! one later in the same block. Authority transactions do not depend on proof
//! transactions, so the parameters a proof is checked under cannot change
//! when other proofs fail.

use crate::block::{tx_root, Block, BlockHeader, MAX_BLOCK_TXS};
use crate::error::{BlockError, Rejection};
use crate::state::{anchors_digest, root_after_append, state_root, Scalars, State};
use crate::tx::{authority_message, enroll_message, Transaction, TxId, MAX_CONTEXT_BYTES};
use ed25519_dalek::{Signature, VerifyingKey as Ed25519Key};
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use std::collections::HashSet;
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::CAPACITY;
use zkpension_circuits::Statement;
use zkpension_verifier::{batch_verify, BatchError, BatchItem, Proof, VerifierKeys};

/// A transaction that passed [`check_stateless`], with its id and decoded
/// proof. Only [`check_stateless`] makes one, so the proof is always the
/// decoding of the transaction's proof bytes.
#[derive(Clone, Debug)]
pub struct CheckedTx {
    pub(crate) id: TxId,
    pub(crate) tx: Transaction,
    pub(crate) proof: Option<Proof>,
}

impl CheckedTx {
    pub fn id(&self) -> TxId {
        self.id
    }

    pub fn tx(&self) -> &Transaction {
        &self.tx
    }

    /// The decoded proof, for proof transactions.
    pub fn proof(&self) -> Option<&Proof> {
        self.proof.as_ref()
    }

    pub fn into_tx(self) -> Transaction {
        self.tx
    }
}

/// Phase 1: the checks that need nothing but the transaction.
pub fn check_stateless(tx: Transaction) -> Result<CheckedTx, Rejection> {
    let context_len = |what: &'static str, bytes: &[u8]| {
        if bytes.len() > MAX_CONTEXT_BYTES {
            Err(Rejection::ContextTooLong {
                what,
                len: bytes.len(),
                max: MAX_CONTEXT_BYTES,
            })
        } else {
            Ok(())
        }
    };
    match &tx {
        Transaction::Contribute(t) => {
            context_len("payer_ref", t.payer_ref.as_slice())?;
            if t.amount == 0 {
                return Err(Rejection::ZeroAmount);
            }
        }
        Transaction::Claim(t) => {
            context_len("recipient", t.recipient.as_slice())?;
            if t.amount == 0 {
                return Err(Rejection::ZeroAmount);
            }
        }
        Transaction::Attest(t) => context_len("message", t.message.as_slice())?,
        Transaction::SetParams(t) => t.params().validate()?,
        Transaction::Enroll(_) | Transaction::AdvanceEpoch(_) => {}
    }
    let proof = match tx.proof() {
        Some(bytes) => Some(Proof::from_bytes(&bytes.0)?),
        None => None,
    };
    Ok(CheckedTx {
        id: tx.id(),
        tx,
        proof,
    })
}

fn verify_signature(
    key: &Ed25519Key,
    message: &[u8],
    signature: &[u8; 64],
    bad: Rejection,
) -> Result<(), Rejection> {
    key.verify_strict(message, &Signature::from_bytes(signature))
        .map_err(|_| bad)
}

/// Phase 2, against the ledger before the block: `scalars` are the state's
/// scalars after the authority transactions accepted earlier in the block.
///
/// Returns the statement and public inputs (SPEC order) the transaction's
/// proof must verify against, for proof transactions.
pub fn check_stateful(
    state: &State,
    scalars: &Scalars,
    c: &CheckedTx,
) -> Result<Option<(Statement, Vec<Fr>)>, Rejection> {
    if state.tx_ids.contains(&c.id) {
        return Err(Rejection::Replayed);
    }
    let chain_id = &state.ctx.chain_id;
    match &c.tx {
        Transaction::Enroll(t) => {
            verify_signature(
                &state.ctx.registrar,
                &enroll_message(chain_id, &t.cm),
                &t.signature.0,
                Rejection::BadRegistrarSignature,
            )?;
            Ok(None)
        }
        Transaction::AdvanceEpoch(t) => {
            check_authority(state, scalars, &c.tx, t.nonce, &t.signature.0)?;
            if t.epoch <= scalars.epoch {
                return Err(Rejection::EpochNotIncreasing {
                    current: scalars.epoch,
                    got: t.epoch,
                });
            }
            Ok(None)
        }
        Transaction::SetParams(t) => {
            check_authority(state, scalars, &c.tx, t.nonce, &t.signature.0)?;
            Ok(None)
        }
        Transaction::Contribute(_) | Transaction::Claim(_) | Transaction::Attest(_) => {
            let (anchor, epoch) = c.tx.anchor_and_epoch().expect("proof transaction");
            if epoch != scalars.epoch {
                return Err(Rejection::WrongEpoch {
                    current: scalars.epoch,
                    got: epoch,
                });
            }
            if !state.anchors.contains(&anchor) {
                return Err(Rejection::UnknownAnchor {
                    window: state.anchor_window(),
                });
            }
            let nf = c.tx.nullifier().expect("proof transaction");
            if state.nullifiers.contains(&nf) {
                return Err(Rejection::NullifierSpent);
            }
            if let Transaction::Attest(t) = &c.tx {
                if state.attestations.contains(&(t.context, t.tag)) {
                    return Err(Rejection::DuplicateAttestation);
                }
            }
            Ok(c.tx.public_inputs(chain_id, &scalars.params))
        }
    }
}

fn check_authority(
    state: &State,
    scalars: &Scalars,
    tx: &Transaction,
    nonce: u64,
    signature: &[u8; 64],
) -> Result<(), Rejection> {
    verify_signature(
        &state.ctx.authority,
        &authority_message(&state.ctx.chain_id, &tx.encode_body()),
        signature,
        Rejection::BadAuthoritySignature,
    )?;
    if nonce != scalars.authority_nonce {
        return Err(Rejection::WrongNonce {
            expected: scalars.authority_nonce,
            got: nonce,
        });
    }
    Ok(())
}

/// The writes of a block, accumulated transaction by transaction.
#[derive(Clone, Debug)]
pub struct BlockDelta {
    /// The scalars after the transactions executed so far.
    pub scalars: Scalars,
    /// Commitments appended, in order; the first gets leaf index
    /// `leaf_start`.
    pub leaves: Vec<Fr>,
    pub leaf_start: u64,
    /// Nullifiers inserted, with the index of their transaction in the block.
    pub nullifiers: Vec<(Fr, u32)>,
    /// `(context, tag)` pairs recorded, with their transaction's index.
    pub attestations: Vec<((Fr, Fr), u32)>,
    /// Included transactions, in order.
    pub included: Vec<CheckedTx>,
    nullifier_set: HashSet<Fr>,
    attestation_set: HashSet<(Fr, Fr)>,
    id_set: HashSet<TxId>,
}

impl BlockDelta {
    fn new(state: &State) -> Self {
        BlockDelta {
            scalars: state.scalars.clone(),
            leaves: Vec::new(),
            leaf_start: state.tree.len(),
            nullifiers: Vec::new(),
            attestations: Vec::new(),
            included: Vec::new(),
            nullifier_set: HashSet::new(),
            attestation_set: HashSet::new(),
            id_set: HashSet::new(),
        }
    }
}

/// Phase 2, against the transactions accepted earlier in the same block.
pub fn check_in_block(delta: &BlockDelta, c: &CheckedTx) -> Result<(), Rejection> {
    if delta.id_set.contains(&c.id) {
        return Err(Rejection::DuplicateInBlock);
    }
    if let Some(nf) = c.tx.nullifier() {
        if delta.nullifier_set.contains(&nf) {
            return Err(Rejection::NullifierSpentInBlock);
        }
    }
    match &c.tx {
        Transaction::Attest(t) if delta.attestation_set.contains(&(t.context, t.tag)) => {
            return Err(Rejection::DuplicateAttestationInBlock);
        }
        Transaction::Claim(t) if t.amount > delta.scalars.pool() => {
            return Err(Rejection::InsufficientPool {
                pool: delta.scalars.pool(),
                amount: t.amount,
            });
        }
        Transaction::Contribute(t)
            if delta
                .scalars
                .total_contributed
                .checked_add(t.amount)
                .is_none() =>
        {
            return Err(Rejection::TotalOverflow);
        }
        _ => {}
    }
    if c.tx.new_commitment().is_some() && delta.scalars.leaf_count >= CAPACITY {
        return Err(Rejection::TreeFull);
    }
    Ok(())
}

/// Phase 3: the transaction's writes. Only for a transaction that passed
/// every check against the state and `delta`.
pub fn execute(delta: &mut BlockDelta, c: CheckedTx) {
    let index = delta.included.len() as u32;
    let s = &mut delta.scalars;
    match &c.tx {
        Transaction::Enroll(_) => {}
        Transaction::Contribute(t) => s.total_contributed += t.amount,
        Transaction::Claim(t) => s.total_paid_out += t.amount,
        Transaction::Attest(t) => {
            s.add_attestation(&t.context, &t.tag);
            delta.attestation_set.insert((t.context, t.tag));
            delta.attestations.push(((t.context, t.tag), index));
        }
        Transaction::AdvanceEpoch(t) => {
            s.epoch = t.epoch;
            if let Some(p) = s.pending_params.take() {
                s.params = p;
            }
            s.authority_nonce += 1;
        }
        Transaction::SetParams(t) => {
            s.pending_params = Some(t.params());
            s.authority_nonce += 1;
        }
    }
    if let Some(nf) = c.tx.nullifier() {
        s.add_nullifier(&nf);
        delta.nullifier_set.insert(nf);
        delta.nullifiers.push((nf, index));
    }
    if let Some(cm) = c.tx.new_commitment() {
        s.leaf_count += 1;
        delta.leaves.push(cm);
    }
    s.add_tx(&c.id);
    delta.id_set.insert(c.id);
    delta.included.push(c);
}

/// A block ready to be committed: the block, what it writes, and the
/// candidates left out with their reasons.
#[derive(Clone, Debug)]
pub struct BlockPlan {
    pub block: Block,
    pub hash: crate::tx::Hash32,
    pub delta: BlockDelta,
    /// The tree root after the block.
    pub tree_root: Fr,
    /// Candidates refused, by their index among the candidates.
    pub rejected: Vec<(usize, TxId, Rejection)>,
}

impl BlockPlan {
    pub fn height(&self) -> u64 {
        self.block.header.height
    }
}

/// Phase 1 for many transactions, in parallel (decoding a proof checks its
/// points, which dominates).
pub fn stateless_all(txs: Vec<Transaction>) -> Vec<(TxId, Result<CheckedTx, Rejection>)> {
    txs.into_par_iter()
        .map(|tx| (tx.id(), check_stateless(tx)))
        .collect()
}

/// Whether a refused transaction refuses the block.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Mode {
    /// Block production: leave refused candidates out.
    Filter,
    /// Block application: every transaction must be valid.
    Strict,
}

impl State {
    /// Builds the next block from `candidates` in order, leaving out (with
    /// their reasons) those that break a rule. At most [`MAX_BLOCK_TXS`]
    /// candidates are considered; the rest are neither included nor refused. Verifies every proof in one
    /// batch on the current rayon pool. The state is not changed; pass the
    /// plan to [`State::commit`].
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
    /// [`check_stateless`] (a node checks each transaction when it is
    /// submitted, so block production does not decode proofs again).
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

    fn propose_stateless<R: RngCore + CryptoRng>(
        &self,
        checked: Vec<(TxId, Result<CheckedTx, Rejection>)>,
        keys: &VerifierKeys,
        rng: &mut R,
    ) -> BlockPlan {
        let mut plan = self
            .plan(checked, keys, rng, Mode::Filter)
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
        let plan = self.plan(checked, keys, rng, Mode::Strict)?;
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
        // Checked when the plan was made: the leaves fit.
        self.tree
            .extend(&d.leaves)
            .expect("the plan checked the tree's capacity");
        self.anchors.push(plan.tree_root);
        self.nullifiers
            .extend(d.nullifiers.iter().map(|(nf, _)| *nf));
        self.attestations
            .extend(d.attestations.iter().map(|(ct, _)| *ct));
        self.tx_ids.extend(d.included.iter().map(|c| c.id));
        self.scalars = d.scalars.clone();
        debug_assert_eq!(self.state_root(), h.state_root);
        Ok(())
    }

    fn plan<R: RngCore + CryptoRng>(
        &self,
        stateless: Vec<(TxId, Result<CheckedTx, Rejection>)>,
        keys: &VerifierKeys,
        rng: &mut R,
        mode: Mode,
    ) -> Result<BlockPlan, BlockError> {
        let mut rejected: Vec<(usize, TxId, Rejection)> = Vec::new();
        let mut reject = |index: usize, id: TxId, reason: Rejection| {
            if mode == Mode::Strict {
                return Err(BlockError::InvalidTransaction { index, id, reason });
            }
            rejected.push((index, id, reason));
            Ok(())
        };

        // Phase 2 against the state, in order; authority transactions change
        // the epoch, parameters and nonce seen by the ones after them.
        let mut scratch = BlockDelta::new(self);
        let mut survivors: Vec<(usize, CheckedTx)> = Vec::with_capacity(stateless.len());
        let mut inputs: Vec<(usize, Statement, Vec<Fr>)> = Vec::new();
        for (index, (id, checked)) in stateless.into_iter().enumerate() {
            let c = match checked {
                Ok(c) => c,
                Err(reason) => {
                    reject(index, id, reason)?;
                    continue;
                }
            };
            match check_stateful(self, &scratch.scalars, &c) {
                Err(reason) => reject(index, id, reason)?,
                Ok(public) => {
                    if let Some((statement, x)) = public {
                        inputs.push((survivors.len(), statement, x));
                    } else if matches!(
                        c.tx,
                        Transaction::AdvanceEpoch(_) | Transaction::SetParams(_)
                    ) {
                        execute(&mut scratch, c.clone());
                    }
                    survivors.push((index, c));
                }
            }
        }

        // The block's proofs, in one batch.
        let mut bad_proof = vec![false; survivors.len()];
        let mut pending: Vec<&(usize, Statement, Vec<Fr>)> = inputs.iter().collect();
        while !pending.is_empty() {
            let items: Vec<BatchItem<'_>> = pending
                .iter()
                .map(|(at, statement, x)| BatchItem {
                    statement: *statement,
                    proof: survivors[*at].1.proof.as_ref().expect("proof transaction"),
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

        // Phase 2 against the block, and phase 3.
        let mut delta = BlockDelta::new(self);
        for ((index, c), bad) in survivors.into_iter().zip(bad_proof) {
            if bad {
                reject(index, c.id, Rejection::InvalidProof)?;
                continue;
            }
            match check_in_block(&delta, &c) {
                Ok(()) => execute(&mut delta, c),
                Err(reason) => reject(index, c.id, reason)?,
            }
        }

        // check_in_block counted the leaves against the tree's capacity.
        let tree_root =
            root_after_append(&self.tree, &delta.leaves).expect("the block's leaves fit the tree");
        let anchors = {
            let mut roots: Vec<&Fr> = self.anchors.iter().collect();
            roots.push(&tree_root);
            let window = self.anchor_window() as usize;
            let skip = roots.len().saturating_sub(window);
            anchors_digest(roots.into_iter().skip(skip))
        };
        delta.scalars.height = self.scalars.height + 1;
        let ids: Vec<TxId> = delta.included.iter().map(|c| c.id).collect();
        let header = BlockHeader {
            height: delta.scalars.height,
            prev_hash: self.scalars.tip_hash,
            epoch: delta.scalars.epoch,
            tx_root: tx_root(&ids),
            state_root: state_root(&tree_root, &anchors, &delta.scalars),
        };
        let hash = header.hash();
        delta.scalars.tip_hash = hash;
        let block = Block {
            header,
            transactions: delta.included.iter().map(|c| c.tx.clone()).collect(),
        };
        Ok(BlockPlan {
            block,
            hash,
            delta,
            tree_root,
            rejected,
        })
    }
}
