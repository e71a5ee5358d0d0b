//! The ledger rules of SPEC §5, in three phases, and block application.
//!
//! 1. [`check_stateless`]: what a transaction's bytes alone decide — amounts,
//!    parameters, and the decoding of its proof
//!    (canonical, on the curve, in the subgroup). Canonical field elements and
//!    exact sizes (byte strings of at most `MAX_CONTEXT_BYTES`) are already
//!    enforced when a transaction is decoded ([`Transaction::decode`], or its
//!    JSON form).
//! 2. [`check_stateful`]: the rules against the ledger as it stood before the
//!    block and the authority transactions earlier in the block — replay,
//!    signatures (keys from genesis), authority nonce, epoch, parameter
//!    bounds, steps and delay (genesis governance), anchor window,
//!    spent nullifiers and attestation tags — giving each proof its public
//!    inputs under the parameters in force at its position. Then the proofs
//!    of the block are verified together ([`zkpension_verifier::batch_verify`]); then
//!    [`check_in_block`] checks what depends on the block's other accepted
//!    transactions: duplicates, nullifiers and tags spent earlier in the
//!    block, the pool, overflow, tree capacity.
//! 3. [`execute`]: the writes, into a [`BlockDelta`]; [`State::commit`]
//!    applies a whole block's delta at once.
//!
//! How a block runs these phases is `state/apply.rs` ([`State::propose`],
//! [`State::check_block`]).
//!
//! Proofs are verified before in-block conflicts are resolved, so a
//! transaction with an invalid proof never takes a nullifier away from a valid
//! one later in the same block. Authority transactions do not depend on proof
//! transactions, so the parameters a proof is checked under cannot change
//! when other proofs fail.

use crate::state::{Scalars, State};
use ed25519_dalek::{Signature, VerifyingKey as Ed25519Key};
use rayon::prelude::*;
use std::collections::HashSet;
use std::sync::Arc;
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::CAPACITY;
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::governance::{GovernanceAction, GovernanceEvent};
use zkpension_core::subsidy::{self, SubsidyRules};
use zkpension_core::tx::{authority_message, enroll_message, funder_message};
use zkpension_core::{PendingParams, Rejection};
use zkpension_core::{Transaction, TxId};
use zkpension_verifier::Proof;

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

/// Whether a rejection is about the proof bytes alone. A transaction's id
/// does not cover its proof, so another copy of the same body may carry a
/// valid one: such a rejection is answered but never recorded as the id's
/// status.
pub fn about_proof(reason: &Rejection) -> bool {
    matches!(
        reason,
        Rejection::InvalidProof | Rejection::MalformedProof(_)
    )
}

/// Phase 1: the checks that need nothing but the transaction.
pub fn check_stateless(tx: Transaction) -> Result<CheckedTx, Rejection> {
    // Context lengths are bounded by the `Context` type itself.
    match &tx {
        Transaction::Contribute(t) if t.body.amount == 0 => return Err(Rejection::ZeroAmount),
        Transaction::Contribute(t) if t.body.credited().is_none() => {
            return Err(Rejection::TotalOverflow)
        }
        Transaction::Deposit(t) if t.body.amount == 0 => return Err(Rejection::ZeroAmount),
        tx if tx.payout().is_some_and(|p| p.amount == 0) => return Err(Rejection::ZeroAmount),
        Transaction::SetParams(t) => t.body.params.validate()?,
        _ => {}
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
    if state.is_included(&c.id) {
        return Err(Rejection::Replayed);
    }
    let chain_id = &state.ctx.chain_id;
    match &c.tx {
        Transaction::Enroll(t) => {
            verify_signature(
                &state.ctx.registrar,
                &enroll_message(chain_id, &t.body.cm),
                &t.signature.0,
                Rejection::BadRegistrarSignature,
            )?;
            Ok(None)
        }
        Transaction::AdvanceEpoch(t) => {
            check_authority(state, scalars, &c.tx, t.body.nonce, &t.signature.0)?;
            if t.body.epoch <= scalars.epoch {
                return Err(Rejection::EpochNotIncreasing {
                    current: scalars.epoch,
                    got: t.body.epoch,
                });
            }
            Ok(None)
        }
        Transaction::SetParams(t) => {
            check_authority(state, scalars, &c.tx, t.body.nonce, &t.signature.0)?;
            state.ctx.governance.check_change(
                scalars.epoch,
                &scalars.params,
                &t.body.params,
                t.body.effective_epoch,
            )?;
            Ok(None)
        }
        Transaction::CancelParams(t) => {
            check_authority(state, scalars, &c.tx, t.body.nonce, &t.signature.0)?;
            if scalars.pending_params.is_none() {
                return Err(Rejection::NothingPending);
            }
            Ok(None)
        }
        Transaction::Deposit(t) => {
            let (Some(rules), Some(totals)) = (&state.ctx.subsidy, &scalars.subsidy) else {
                return Err(Rejection::UnknownFunder);
            };
            let i = rules
                .funder_index(&t.body.funder)
                .ok_or(Rejection::UnknownFunder)?;
            verify_signature(
                &rules.funders[i].1,
                &funder_message(chain_id, &c.tx.encode_body()),
                &t.signature.0,
                Rejection::BadFunderSignature,
            )?;
            if t.body.nonce != totals.deposit_nonces[i] {
                return Err(Rejection::WrongNonce {
                    expected: totals.deposit_nonces[i],
                    got: t.body.nonce,
                });
            }
            // `scalars` holds the block's earlier deposits: this is the
            // only check a deposit needs against its block.
            if totals.funded.checked_add(t.body.amount).is_none() {
                return Err(Rejection::TotalOverflow);
            }
            Ok(None)
        }
        Transaction::Contribute(_)
        | Transaction::Claim(_)
        | Transaction::Attest(_)
        | Transaction::Inherit(_) => {
            let (Some(anchor), Some(nf), Some(epoch)) =
                (c.tx.anchor(), c.tx.nullifier(), c.tx.spend_epoch())
            else {
                unreachable!("every proof kind has an anchor, a nullifier and an epoch");
            };
            let dormancy = match (&c.tx, state.ctx.dormancy) {
                (Transaction::Inherit(_), None) => return Err(Rejection::NoInheritance),
                (_, dormancy) => dormancy.unwrap_or(0),
            };
            if state.ctx.paying_agent.is_some() {
                check_sealed(&c.tx)?;
            }
            if epoch != scalars.epoch {
                return Err(Rejection::WrongEpoch {
                    current: scalars.epoch,
                    got: epoch,
                });
            }
            if !state.anchors.contains(&anchor.to_field()) {
                return Err(Rejection::UnknownAnchor {
                    window: state.anchor_window(),
                });
            }
            if state.is_spent(&nf) {
                return Err(Rejection::NullifierSpent);
            }
            match &c.tx {
                Transaction::Attest(t) if state.has_attestation(&t.body.context, &t.body.tag) => {
                    return Err(Rejection::DuplicateAttestation);
                }
                Transaction::Contribute(t) if t.body.matched > 0 && scalars.subsidy.is_none() => {
                    return Err(Rejection::NoSubsidyPool {
                        got: t.body.matched,
                    });
                }
                _ => {}
            }
            Ok(c.tx.public_inputs(chain_id, &scalars.params, dormancy))
        }
    }
}

/// On a chain with a paying agent, a claim's or an inheritance's recipient
/// and a non-empty payment reference must be framed as sealed texts
/// (`zkpension_core::sealed`): the ledger never stores them in clear.
fn check_sealed(tx: &Transaction) -> Result<(), Rejection> {
    let (field, text) = match (tx, tx.payout()) {
        (_, Some(p)) => ("recipient", p.recipient.as_slice()),
        (Transaction::Contribute(t), _) if !t.body.payer_ref.is_empty() => {
            ("payment reference", t.body.payer_ref.as_slice())
        }
        _ => return Ok(()),
    };
    zkpension_core::sealed::check_framing(text)
        .map_err(|why| Rejection::ClearPayoutDetail { field, why })
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
    pub nullifiers: Vec<(Nullifier, u32)>,
    /// `(context, tag)` pairs recorded, with their transaction's index.
    pub attestations: Vec<((ContextId, AttestTag), u32)>,
    /// Included transactions, in order.
    pub included: Vec<CheckedTx>,
    /// The parameter changes the block's authority transactions made, and
    /// its deposits.
    pub governance: Vec<GovernanceEvent>,
    /// The chain's subsidy rules (match rate, funders).
    subsidy: Option<Arc<SubsidyRules>>,
    height: u64,
    nullifier_set: HashSet<Nullifier>,
    attestation_set: HashSet<(ContextId, AttestTag)>,
    id_set: HashSet<TxId>,
}

impl BlockDelta {
    pub(crate) fn new(state: &State) -> Self {
        BlockDelta {
            scalars: state.scalars.clone(),
            leaves: Vec::new(),
            leaf_start: state.tree.len(),
            nullifiers: Vec::new(),
            attestations: Vec::new(),
            included: Vec::new(),
            governance: Vec::new(),
            subsidy: state.ctx.subsidy.clone(),
            height: state.scalars.height + 1,
            nullifier_set: HashSet::new(),
            attestation_set: HashSet::new(),
            id_set: HashSet::new(),
        }
    }
}

impl BlockDelta {
    fn log(&mut self, tx: TxId, action: GovernanceAction) {
        self.governance.push(GovernanceEvent {
            height: self.height,
            epoch: self.scalars.epoch,
            tx,
            action,
        });
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
    if let Some(p) = c.tx.payout().filter(|p| p.amount > delta.scalars.pool()) {
        return Err(Rejection::InsufficientPool {
            pool: delta.scalars.pool(),
            amount: p.amount,
        });
    }
    match &c.tx {
        Transaction::Attest(t)
            if delta
                .attestation_set
                .contains(&(t.body.context, t.body.tag)) =>
        {
            return Err(Rejection::DuplicateAttestationInBlock);
        }
        Transaction::Contribute(t) => {
            let s = &delta.scalars;
            // The members' money held after it, `total_contributed +
            // matched`, bounds `total_contributed`: one check covers both.
            let held = u128::from(s.total_contributed) + u128::from(s.matched());
            if held + u128::from(t.body.amount) + u128::from(t.body.matched) > u128::from(u64::MAX)
            {
                return Err(Rejection::TotalOverflow);
            }
            if let (Some(rules), Some(totals)) = (&delta.subsidy, &s.subsidy) {
                check_match(t.body.amount, t.body.matched, rules.match_rate, totals)?;
            }
        }
        _ => {}
    }
    if c.tx.new_commitment().is_some() && delta.scalars.leaf_count >= CAPACITY {
        return Err(Rejection::TreeFull);
    }
    Ok(())
}

/// A contribution's match must be exactly what the rule and the pool give
/// ([`subsidy::match_for`]), each way of missing it with its own code.
fn check_match(
    paid: u64,
    matched: u64,
    match_rate: u64,
    totals: &subsidy::SubsidyTotals,
) -> Result<(), Rejection> {
    let allowed = subsidy::rule(paid, match_rate);
    let available = totals.available();
    if matched > allowed {
        return Err(Rejection::MatchTooLarge {
            allowed,
            got: matched,
        });
    }
    if matched > available {
        return Err(if available == 0 {
            Rejection::SubsidyPoolEmpty { got: matched }
        } else {
            Rejection::MatchExceedsPool {
                available,
                got: matched,
            }
        });
    }
    let expected = allowed.min(available);
    if matched < expected {
        return Err(Rejection::MatchBelowRule {
            expected,
            got: matched,
        });
    }
    Ok(())
}

/// Phase 3: the transaction's writes. Only for a transaction that passed
/// every check against the state and `delta`.
pub fn execute(delta: &mut BlockDelta, c: CheckedTx) {
    let index = delta.included.len() as u32;
    let mut event = None;
    let s = &mut delta.scalars;
    match &c.tx {
        Transaction::Enroll(_) => {}
        Transaction::Contribute(t) => {
            s.total_contributed += t.body.amount;
            if let Some(totals) = s.subsidy.as_mut() {
                totals.matched += t.body.matched;
            }
        }
        Transaction::Deposit(t) => {
            let rules = delta.subsidy.as_ref().expect("checked: a subsidy chain");
            let i = rules
                .funder_index(&t.body.funder)
                .expect("checked: a funder of the genesis");
            let totals = s.subsidy.as_mut().expect("checked: a subsidy chain");
            totals.funded += t.body.amount;
            totals.deposit_nonces[i] += 1;
            event = Some(GovernanceAction::Deposited {
                funder: rules.funders[i].0.clone(),
                amount: t.body.amount,
            });
        }
        // A pension or an heir's lump sum: money out (below).
        Transaction::Claim(_) | Transaction::Inherit(_) => {}
        Transaction::Attest(t) => {
            let key = (t.body.context, t.body.tag);
            s.add_attestation(&key.0, &key.1);
            delta.attestation_set.insert(key);
            delta.attestations.push((key, index));
        }
        Transaction::AdvanceEpoch(t) => {
            s.epoch = t.body.epoch;
            s.authority_nonce += 1;
            if let Some(p) = s.pending_params.filter(|p| p.effective_epoch <= s.epoch) {
                let previous = std::mem::replace(&mut s.params, p.params);
                s.pending_params = None;
                let action = GovernanceAction::TookEffect {
                    params: p.params,
                    previous,
                };
                event = Some(action);
            }
        }
        Transaction::SetParams(t) => {
            let change = PendingParams {
                params: t.body.params,
                effective_epoch: t.body.effective_epoch,
            };
            let replaced = s.pending_params.replace(change);
            s.authority_nonce += 1;
            event = Some(GovernanceAction::Scheduled { change, replaced });
        }
        Transaction::CancelParams(_) => {
            let withdrawn = s
                .pending_params
                .take()
                .expect("checked: a change is pending");
            s.authority_nonce += 1;
            event = Some(GovernanceAction::Cancelled { withdrawn });
        }
    }
    if let Some(p) = c.tx.payout() {
        s.total_paid_out += p.amount;
    }
    if let Some(nf) = c.tx.nullifier() {
        s.add_nullifier(&nf);
        delta.nullifier_set.insert(nf);
        delta.nullifiers.push((nf, index));
    }
    if let Some(cm) = c.tx.new_commitment() {
        s.leaf_count += 1;
        delta.leaves.push(cm.to_field());
    }
    s.add_tx(&c.id);
    if let Some(action) = event {
        delta.log(c.id, action);
    }
    delta.id_set.insert(c.id);
    delta.included.push(c);
}

/// Phase 1 for many transactions, in parallel (decoding a proof checks its
/// points, which dominates).
pub fn stateless_all(txs: Vec<Transaction>) -> Vec<(TxId, Result<CheckedTx, Rejection>)> {
    txs.into_par_iter()
        .map(|tx| (tx.id(), check_stateless(tx)))
        .collect()
}
