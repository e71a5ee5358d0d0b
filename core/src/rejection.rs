//! Why a transaction is refused: the rejection codes (SPEC §5, `docs/PROTOCOL.md`).

use crate::params::ParamsError;
use serde::Serialize;
use thiserror::Error;
use zkpension_verifier::DecodeError as ProofDecodeError;

/// Why a transaction is not applied. Each variant is one rule of SPEC §5 (or
/// of `docs/PROTOCOL.md`, "Ledger"); [`Rejection::code`] names it in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum Rejection {
    // Stateless.
    #[error("amount must be at least 1")]
    ZeroAmount,
    #[error("invalid parameters: {0}")]
    Params(#[from] ParamsError),
    #[error("malformed proof: {0}")]
    MalformedProof(#[from] ProofDecodeError),

    // Stateful, against the ledger before the block.
    #[error("the transaction is already on the ledger (replay)")]
    Replayed,
    #[error("wrong epoch: the ledger is in epoch {current}, the transaction is for epoch {got}")]
    WrongEpoch { current: u64, got: u64 },
    #[error("the anchor is not one of the ledger's last {window} tree roots (stale or unknown)")]
    UnknownAnchor { window: u64 },
    #[error("the nullifier is already spent (double spend)")]
    NullifierSpent,
    #[error("this context already has an attestation with this tag")]
    DuplicateAttestation,
    #[error("the registrar's signature is invalid")]
    BadRegistrarSignature,
    #[error("the authority's signature is invalid")]
    BadAuthoritySignature,
    #[error("authority nonce {got}, the ledger expects {expected}")]
    WrongNonce { expected: u64, got: u64 },
    #[error("epochs only increase: the ledger is in epoch {current}, got {got}")]
    EpochNotIncreasing { current: u64, got: u64 },
    #[error("{param} {value} is outside the bounds the genesis fixes, [{min}, {max}]")]
    ParamOutOfBounds {
        param: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error("{param} may move at most {max_percent}% per change, and {from} to {to} is more")]
    ParamStepTooLarge {
        param: &'static str,
        from: u64,
        to: u64,
        max_percent: u64,
    },
    #[error("a parameter change takes effect at least {min_delay} epochs after it is on the ledger: epoch {earliest} at the earliest, got {got}")]
    DelayTooShort {
        earliest: u64,
        got: u64,
        min_delay: u64,
    },
    #[error("no parameter change is pending: there is nothing to cancel")]
    NothingPending,
    #[error("the deposit's key is not one of the genesis's funders")]
    UnknownFunder,
    #[error("the funder's signature is invalid")]
    BadFunderSignature,
    #[error("this chain has no subsidy pool: a contribution's match must be 0, got {got}")]
    NoSubsidyPool { got: u64 },
    #[error("this chain's genesis sets no dormancy: nobody can inherit an account on it")]
    NoInheritance,
    #[error("the proof does not verify for the transaction's public inputs under the ledger's parameters")]
    InvalidProof,
    #[error("the {field} is not sealed to the fund's paying agent ({why}): this chain carries payout details only encrypted")]
    ClearPayoutDetail {
        field: &'static str,
        why: crate::sealed::SealError,
    },

    // Stateful, against earlier transactions of the same block.
    #[error("the transaction appears twice in the block")]
    DuplicateInBlock,
    #[error("the nullifier is spent by an earlier transaction of the same block (double spend)")]
    NullifierSpentInBlock,
    #[error("an earlier transaction of the same block attests with this tag in this context")]
    DuplicateAttestationInBlock,
    #[error("the pool holds {pool}, the claim pays out {amount}")]
    InsufficientPool { pool: u64, amount: u64 },
    #[error("the total contributed would exceed 2^64 - 1")]
    TotalOverflow,
    #[error("the match rule gives at most {allowed} for this contribution, it asks {got}")]
    MatchTooLarge { allowed: u64, got: u64 },
    #[error("the subsidy pool is empty: this contribution's match must be 0, it asks {got}")]
    SubsidyPoolEmpty { got: u64 },
    #[error("the subsidy pool holds {available}, the contribution asks a match of {got}: prove again with what is left")]
    MatchExceedsPool { available: u64, got: u64 },
    #[error("the match rule and the pool give this contribution {expected}, it asks {got}: prove again with the match the node shows")]
    MatchBelowRule { expected: u64, got: u64 },
    #[error("the commitment tree is full")]
    TreeFull,
}

impl Rejection {
    /// A stable snake_case name for JSON and tests.
    pub fn code(&self) -> &'static str {
        match self {
            Rejection::ZeroAmount => "zero_amount",
            Rejection::Params(_) => "invalid_params",
            Rejection::MalformedProof(_) => "malformed_proof",
            Rejection::Replayed => "replayed",
            Rejection::WrongEpoch { .. } => "wrong_epoch",
            Rejection::UnknownAnchor { .. } => "unknown_anchor",
            Rejection::NullifierSpent => "nullifier_spent",
            Rejection::DuplicateAttestation => "duplicate_attestation",
            Rejection::BadRegistrarSignature => "bad_registrar_signature",
            Rejection::BadAuthoritySignature => "bad_authority_signature",
            Rejection::WrongNonce { .. } => "wrong_nonce",
            Rejection::EpochNotIncreasing { .. } => "epoch_not_increasing",
            Rejection::ParamOutOfBounds { .. } => "param_out_of_bounds",
            Rejection::ParamStepTooLarge { .. } => "param_step_too_large",
            Rejection::DelayTooShort { .. } => "delay_too_short",
            Rejection::NothingPending => "nothing_pending",
            Rejection::UnknownFunder => "unknown_funder",
            Rejection::BadFunderSignature => "bad_funder_signature",
            Rejection::NoSubsidyPool { .. } => "no_subsidy_pool",
            Rejection::NoInheritance => "no_inheritance",
            Rejection::InvalidProof => "invalid_proof",
            Rejection::ClearPayoutDetail { .. } => "clear_payout_detail",
            Rejection::DuplicateInBlock => "duplicate_in_block",
            Rejection::NullifierSpentInBlock => "nullifier_spent_in_block",
            Rejection::DuplicateAttestationInBlock => "duplicate_attestation_in_block",
            Rejection::InsufficientPool { .. } => "insufficient_pool",
            Rejection::TotalOverflow => "total_overflow",
            Rejection::MatchTooLarge { .. } => "match_too_large",
            Rejection::SubsidyPoolEmpty { .. } => "subsidy_pool_empty",
            Rejection::MatchExceedsPool { .. } => "match_exceeds_pool",
            Rejection::MatchBelowRule { .. } => "match_below_rule",
            Rejection::TreeFull => "tree_full",
        }
    }

    /// The JSON form `{"code": .., "message": ..}`.
    pub fn reason(&self) -> Reason {
        Reason {
            code: self.code().to_string(),
            message: self.to_string(),
        }
    }
}

/// A rejection as stored and shown in JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Reason {
    pub code: String,
    pub message: String,
}
