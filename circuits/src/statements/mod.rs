//! The four statements of SPEC §4, natively: public inputs (one encoder each),
//! private witnesses, and `check_relation`, which restates every clause in plain
//! Rust. The R1CS circuits (feature `r1cs`) enforce the same clauses.
//!
//! Witnesses hold note openings as raw field elements ([`Opening`]), exactly what
//! the circuit sees, so a test can hand the relation and the circuit the same
//! malicious witness (for example a balance of 2^64) and see both reject it.

pub mod attest;
pub mod claim;
pub mod contribute;
pub mod inherit;

pub use attest::{AttestPrivate, AttestPublic};
pub use claim::{ClaimPrivate, ClaimPublic};
pub use contribute::{ContributePrivate, ContributePublic};
pub use inherit::{InheritPrivate, InheritPublic};

use crate::field::{self, EncodingError, Fr};
use crate::keys;
use crate::note::{Note, NoteCommitment, Nullifier, NOTE_FIELDS};
use crate::tree::MerklePath;
use ark_ff::Zero;
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Version of the statements; part of every key's manifest. Version 2 is
/// protocol version 2 (SPEC §6), landing in parts: the quaternary tree is
/// in force. Keys are tied to the circuits by their matrix digests
/// ([`crate::r1cs::pinned_info`]), so keys of an earlier part are refused.
pub const STATEMENT_VERSION: u32 = 2;

/// A note opening in commitment order, as field elements.
pub type Opening = [Fr; NOTE_FIELDS];

pub use crate::note::idx;

/// The statements.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Statement {
    Contribute,
    Claim,
    Attest,
    Inherit,
}

impl Statement {
    pub const ALL: [Statement; 4] = [
        Statement::Contribute,
        Statement::Claim,
        Statement::Attest,
        Statement::Inherit,
    ];

    /// The position in [`Statement::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    pub fn name(self) -> &'static str {
        match self {
            Statement::Contribute => "contribute",
            Statement::Claim => "claim",
            Statement::Attest => "attest",
            Statement::Inherit => "inherit",
        }
    }

    /// Public-input names in SPEC order.
    pub fn public_input_names(self) -> &'static [&'static str] {
        match self {
            Statement::Contribute => &ContributePublic::NAMES,
            Statement::Claim => &ClaimPublic::NAMES,
            Statement::Attest => &AttestPublic::NAMES,
            Statement::Inherit => &InheritPublic::NAMES,
        }
    }

    pub fn num_public_inputs(self) -> usize {
        self.public_input_names().len()
    }

    /// The statement with this name.
    pub fn from_name(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|s| s.name() == name)
    }
}

impl std::fmt::Display for Statement {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// A clause of SPEC §4, named as the circuits label them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Clause {
    /// `owner = H(OWNER, sk)`.
    Owner,
    /// `cm(old)` lies in the tree under `anchor`.
    Membership,
    /// `nf = H(NF, H(NK, sk), rho_old)`; Inherit: `nf = H(NF, nk_old, rho_old)`.
    Nullifier,
    /// The old note's `nk` is 0 (an enrollment note) or `H(NK, sk)`.
    NoteKey,
    /// The new note's `nk` is `H(NK, sk)`.
    NewNoteKey,
    /// The new note's `last_active` is the statement's `epoch`.
    LastActive,
    /// The new note keeps `owner`.
    KeepOwner,
    /// The new note keeps `eligible_epoch`.
    KeepEligibleEpoch,
    /// The new note has `rho = nf`.
    RhoChain,
    /// `cm_new = cm(new)`.
    NewCommitment,
    /// A value the statement does arithmetic or comparisons on is below 2^64.
    Range(&'static str),
    /// Contribute: `amount >= 1`.
    AmountPositive,
    /// Contribute: `last_epoch_old <= epoch`.
    EpochOrder,
    /// Contribute: `epoch_total_new = (same ? epoch_total_old : 0) + amount`.
    EpochTotal,
    /// Contribute: `epoch_total_new <= cap`.
    Cap,
    /// Contribute: `periods_new = periods_old + (1 - same)`.
    Periods,
    /// Contribute: `last_epoch_new = epoch`.
    LastEpoch,
    /// Contribute: `balance_new = balance_old + amount`; Claim: `balance_new = balance_old - amount`.
    Balance,
    /// A field the statement must leave unchanged changed.
    Unchanged(&'static str),
    /// Claim: `epoch >= eligible_epoch`.
    Eligibility,
    /// Claim and Attest: `periods_old >= min_periods`.
    Vesting,
    /// Claim: `epoch > last_claim_old`.
    OneClaimPerEpoch,
    /// Claim: `divisor >= 1` (needed for the first-claim division).
    Divisor,
    /// Claim: `pension_new = pension_old` if it is not 0, else `ceil(balance_old / divisor)`.
    Pension,
    /// Claim: `amount = min(pension_new, balance_old)`.
    PayoutMin,
    /// Claim and Inherit: `amount >= 1`.
    PayoutPositive,
    /// Claim: `last_claim_new = epoch`.
    LastClaim,
    /// Attest: `tag = H(ATTEST, nk, context)`.
    Tag,
    /// Attest: `balance_old >= min_balance`.
    MinBalance,
    /// Attest: `require_eligible` is 0 or 1.
    RequireEligibleBoolean,
    /// Attest: if `require_eligible` then `epoch >= eligible_epoch`.
    AttestEligibility,
    /// Inherit: the note's `heir` is not 0.
    HeirNamed,
    /// Inherit: `heir = H(OWNER, sk_heir)`.
    Heir,
    /// Inherit: the note's `nk` is not 0 (not an enrollment note).
    BoundNoteKey,
    /// Inherit: `epoch >= last_active_old + dormancy`.
    Dormancy,
    /// Inherit: `amount = balance_old`.
    WholeBalance,
}

impl std::fmt::Display for Clause {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Clause::Owner => f.write_str("owner = H(OWNER, sk)"),
            Clause::Membership => f.write_str("cm(old) is in the tree under anchor"),
            Clause::Nullifier => f.write_str("nf = H(NF, nk, rho_old)"),
            Clause::NoteKey => f.write_str("nk_old is 0 or H(NK, sk)"),
            Clause::NewNoteKey => f.write_str("nk_new = H(NK, sk)"),
            Clause::LastActive => f.write_str("last_active_new = epoch"),
            Clause::KeepOwner => f.write_str("the new note keeps owner"),
            Clause::KeepEligibleEpoch => f.write_str("the new note keeps eligible_epoch"),
            Clause::RhoChain => f.write_str("rho_new = nf"),
            Clause::NewCommitment => f.write_str("cm_new = cm(new note)"),
            Clause::Range(what) => write!(f, "{what} < 2^64"),
            Clause::AmountPositive => f.write_str("amount >= 1"),
            Clause::EpochOrder => f.write_str("last_epoch_old <= epoch"),
            Clause::EpochTotal => {
                f.write_str("epoch_total_new = (same epoch ? epoch_total_old : 0) + amount")
            }
            Clause::Cap => f.write_str("epoch_total_new <= cap"),
            Clause::Periods => f.write_str("periods_new = periods_old + (1 - same epoch)"),
            Clause::LastEpoch => f.write_str("last_epoch_new = epoch"),
            Clause::Balance => f.write_str("balance_new = balance_old +/- amount"),
            Clause::Unchanged(what) => write!(f, "{what} is unchanged"),
            Clause::Eligibility => f.write_str("epoch >= eligible_epoch"),
            Clause::Vesting => f.write_str("periods_old >= min_periods"),
            Clause::OneClaimPerEpoch => f.write_str("epoch > last_claim_old"),
            Clause::Divisor => f.write_str("divisor >= 1"),
            Clause::Pension => f.write_str(
                "pension_new = pension_old, or ceil(balance_old / divisor) at the first claim",
            ),
            Clause::PayoutMin => f.write_str("amount = min(pension_new, balance_old)"),
            Clause::PayoutPositive => f.write_str("amount >= 1"),
            Clause::LastClaim => f.write_str("last_claim_new = epoch"),
            Clause::Tag => f.write_str("tag = H(ATTEST, nk, context)"),
            Clause::MinBalance => f.write_str("balance_old >= min_balance"),
            Clause::RequireEligibleBoolean => f.write_str("require_eligible is 0 or 1"),
            Clause::AttestEligibility => {
                f.write_str("require_eligible = 1 implies epoch >= eligible_epoch")
            }
            Clause::HeirNamed => f.write_str("the note names an heir (heir != 0)"),
            Clause::Heir => f.write_str("heir = H(OWNER, sk_heir)"),
            Clause::BoundNoteKey => f.write_str("the note binds its nullifier key (nk != 0)"),
            Clause::Dormancy => f.write_str("epoch >= last_active_old + dormancy"),
            Clause::WholeBalance => f.write_str("amount = balance_old"),
        }
    }
}

/// A witness that does not satisfy its statement: the first clause it breaks.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
#[error("{statement} statement not satisfied: {clause}")]
pub struct RelationError {
    pub statement: Statement,
    pub clause: Clause,
}

/// Public inputs that do not decode to a statement's typed public inputs.
#[derive(Clone, Debug, PartialEq, Eq, Error)]
pub enum PublicInputError {
    #[error("{statement} takes {expected} public inputs, got {got}")]
    Count {
        statement: Statement,
        expected: usize,
        got: usize,
    },
    #[error("public input `{name}` of {statement}: {source}")]
    Encoding {
        statement: Statement,
        name: &'static str,
        #[source]
        source: EncodingError,
    },
    #[error("public input `require_eligible` of attest must be 0 or 1")]
    NotBoolean,
}

/// The private part shared by every statement: the spender's key, the old
/// note's opening and path, and the new note's opening.
#[derive(Clone, Debug, Zeroize, ZeroizeOnDrop)]
pub struct SpendWitness {
    pub sk: Fr,
    pub old: Opening,
    #[zeroize(skip)]
    pub path: MerklePath,
    pub new: Opening,
}

impl SpendWitness {
    /// From a wallet's note and key, with the new note's opening.
    pub fn new(sk: &keys::SpendingKey, old: &Note, path: MerklePath, new: &Note) -> Self {
        SpendWitness {
            sk: sk.expose(),
            old: old.to_field_elements(),
            path,
            new: new.to_field_elements(),
        }
    }

    /// `nk = H(NK, sk)`.
    pub fn nk(&self) -> Fr {
        keys::nullifier_key(&self.sk)
    }
}

pub(crate) type Check = Result<(), Clause>;

pub(crate) fn ensure(ok: bool, clause: Clause) -> Check {
    if ok {
        Ok(())
    } else {
        Err(clause)
    }
}

/// The value of `x` if it is below 2^64, else the range clause for `what`.
pub(crate) fn u64_of(x: &Fr, what: &'static str) -> Result<u64, Clause> {
    field::to_u64(x).map_err(|_| Clause::Range(what))
}

/// The clauses every statement opens with (SPEC §4): owner, membership,
/// nullifier and note key, the new note's carried fields, key, activity
/// epoch and commitment, and the range of every packed field of the old
/// note (which makes its packing injective).
pub(crate) fn check_spend(
    anchor: &Fr,
    nf: &Fr,
    cm_new: &Fr,
    epoch: &Fr,
    w: &SpendWitness,
) -> Check {
    let nk = w.nk();
    ensure(keys::owner(&w.sk) == w.old[idx::OWNER], Clause::Owner)?;
    ensure(
        w.path.root(NoteCommitment::derive(&w.old).to_field()) == *anchor,
        Clause::Membership,
    )?;
    ensure(
        Nullifier::derive(&nk, &w.old[idx::RHO]).to_field() == *nf,
        Clause::Nullifier,
    )?;
    ensure(
        w.old[idx::NK].is_zero() || w.old[idx::NK] == nk,
        Clause::NoteKey,
    )?;
    ensure(w.new[idx::OWNER] == w.old[idx::OWNER], Clause::KeepOwner)?;
    ensure(
        w.new[idx::ELIGIBLE_EPOCH] == w.old[idx::ELIGIBLE_EPOCH],
        Clause::KeepEligibleEpoch,
    )?;
    ensure(w.new[idx::NK] == nk, Clause::NewNoteKey)?;
    ensure(w.new[idx::LAST_ACTIVE] == *epoch, Clause::LastActive)?;
    ensure(w.new[idx::RHO] == *nf, Clause::RhoChain)?;
    ensure(
        NoteCommitment::derive(&w.new).to_field() == *cm_new,
        Clause::NewCommitment,
    )?;
    for (i, name) in idx::PACKED_OLD {
        u64_of(&w.old[i], name)?;
    }
    Ok(())
}

/// Checks the new note leaves `fields` unchanged.
pub(crate) fn check_unchanged(w: &SpendWitness, fields: &[usize]) -> Check {
    for &i in fields {
        ensure(w.new[i] == w.old[i], Clause::Unchanged(idx::NAMES[i]))?;
    }
    Ok(())
}

/// Decodes public inputs: count first, then each value into its type.
pub(crate) struct PublicReader<'a> {
    statement: Statement,
    inputs: &'a [Fr],
    at: usize,
}

impl<'a> PublicReader<'a> {
    pub(crate) fn new(statement: Statement, inputs: &'a [Fr]) -> Result<Self, PublicInputError> {
        let expected = statement.num_public_inputs();
        if inputs.len() != expected {
            return Err(PublicInputError::Count {
                statement,
                expected,
                got: inputs.len(),
            });
        }
        Ok(PublicReader {
            statement,
            inputs,
            at: 0,
        })
    }

    pub(crate) fn field(&mut self) -> Fr {
        self.at += 1;
        self.inputs[self.at - 1]
    }

    pub(crate) fn u64(&mut self) -> Result<u64, PublicInputError> {
        let name = self.statement.public_input_names()[self.at];
        let x = self.field();
        field::to_u64(&x).map_err(|source| PublicInputError::Encoding {
            statement: self.statement,
            name,
            source,
        })
    }

    pub(crate) fn boolean(&mut self) -> Result<bool, PublicInputError> {
        let x = self.field();
        if x.is_zero() {
            Ok(false)
        } else if x == Fr::from(1u64) {
            Ok(true)
        } else {
            Err(PublicInputError::NotBoolean)
        }
    }
}
