//! Claim (SPEC §4): draw this epoch's pension.
//!
//! Public inputs `[anchor, nf, cm_new, amount, epoch, min_periods, divisor, binding]`.

use super::{
    check_spend, check_unchanged, ensure, idx, u64_of, PublicInputError, PublicReader,
    RelationError, SpendWitness, Statement,
};
use crate::field::{serde_hex, Fr};
use crate::keys::SpendingKey;
use crate::note::Note;
use crate::tree::MerklePath;
use crate::values::{Anchor, NoteCommitment, Nullifier};
use serde::{Deserialize, Serialize};

/// Public inputs of Claim.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimPublic {
    pub anchor: Anchor,
    pub nf: Nullifier,
    pub cm_new: NoteCommitment,
    pub amount: u64,
    pub epoch: u64,
    pub min_periods: u64,
    pub divisor: u64,
    #[serde(with = "serde_hex")]
    pub binding: Fr,
}

/// Private witness of Claim.
pub type ClaimPrivate = SpendWitness;

impl ClaimPublic {
    /// Public-input names in SPEC order.
    pub const NAMES: [&'static str; 8] = [
        "anchor",
        "nf",
        "cm_new",
        "amount",
        "epoch",
        "min_periods",
        "divisor",
        "binding",
    ];

    /// The one encoder of the public inputs, in SPEC order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        vec![
            self.anchor.to_field(),
            self.nf.to_field(),
            self.cm_new.to_field(),
            Fr::from(self.amount),
            Fr::from(self.epoch),
            Fr::from(self.min_periods),
            Fr::from(self.divisor),
            self.binding,
        ]
    }

    /// Decodes public inputs, refusing a wrong count or a u64 input >= 2^64.
    pub fn from_field_elements(inputs: &[Fr]) -> Result<Self, PublicInputError> {
        let mut r = PublicReader::new(Statement::Claim, inputs)?;
        Ok(ClaimPublic {
            anchor: Anchor::from_field(r.field()),
            nf: Nullifier::from_field(r.field()),
            cm_new: NoteCommitment::from_field(r.field()),
            amount: r.u64()?,
            epoch: r.u64()?,
            min_periods: r.u64()?,
            divisor: r.u64()?,
            binding: r.field(),
        })
    }
}

/// `ceil(balance / divisor)`, for `divisor >= 1`.
pub fn first_pension(balance: u64, divisor: u64) -> u64 {
    balance.div_ceil(divisor)
}

/// Checks every clause of Claim on raw public inputs (SPEC order).
pub fn check_relation_raw(public: &[Fr; 8], w: &ClaimPrivate) -> Result<(), RelationError> {
    let [anchor, nf, cm_new, amount, epoch, min_periods, divisor, _binding] = public;
    relation(anchor, nf, cm_new, amount, epoch, min_periods, divisor, w).map_err(|clause| {
        RelationError {
            statement: Statement::Claim,
            clause,
        }
    })
}

/// Checks every clause of Claim.
pub fn check_relation(public: &ClaimPublic, w: &ClaimPrivate) -> Result<(), RelationError> {
    let raw: [Fr; 8] = public.to_field_elements().try_into().expect("8 inputs");
    check_relation_raw(&raw, w)
}

#[allow(clippy::too_many_arguments)]
fn relation(
    anchor: &Fr,
    nf: &Fr,
    cm_new: &Fr,
    amount: &Fr,
    epoch: &Fr,
    min_periods: &Fr,
    divisor: &Fr,
    w: &SpendWitness,
) -> super::Check {
    use super::Clause::*;
    check_spend(anchor, nf, cm_new, epoch, w)?;
    let amount = u64_of(amount, "amount")?;
    let epoch = u64_of(epoch, "epoch")?;
    let min_periods = u64_of(min_periods, "min_periods")?;
    let divisor = u64_of(divisor, "divisor")?;
    let eligible_epoch = u64_of(&w.old[idx::ELIGIBLE_EPOCH], "eligible_epoch")?;
    let balance_old = u64_of(&w.old[idx::BALANCE], "balance_old")?;
    let periods_old = u64_of(&w.old[idx::PERIODS], "periods_old")?;
    let last_claim_old = u64_of(&w.old[idx::LAST_CLAIM], "last_claim_old")?;
    let pension_old = u64_of(&w.old[idx::PENSION], "pension_old")?;
    // Claim: eligibility
    ensure(epoch >= eligible_epoch, Eligibility)?;
    ensure(periods_old >= min_periods, Vesting)?;
    ensure(epoch > last_claim_old, OneClaimPerEpoch)?;
    // Claim: pension
    ensure(divisor >= 1, Divisor)?;
    let pension_new = u64_of(&w.new[idx::PENSION], "pension_new")?;
    let expected = if pension_old != 0 {
        pension_old
    } else {
        first_pension(balance_old, divisor)
    };
    ensure(pension_new == expected, Pension)?;
    // Claim: payout
    ensure(amount == pension_new.min(balance_old), PayoutMin)?;
    ensure(amount >= 1, PayoutPositive)?;
    let balance_new = u64_of(&w.new[idx::BALANCE], "balance_new")?;
    ensure(
        u128::from(balance_new) + u128::from(amount) == u128::from(balance_old),
        Balance,
    )?;
    ensure(w.new[idx::LAST_CLAIM] == Fr::from(epoch), LastClaim)?;
    check_unchanged(w, &[idx::PERIODS, idx::LAST_EPOCH, idx::EPOCH_TOTAL])
}

/// The new note and payout of an honest Claim, or the clause that forbids it.
pub fn next_note(
    old: &Note,
    epoch: u64,
    min_periods: u64,
    divisor: u64,
    nk: Fr,
    nf: Fr,
    r_new: Fr,
) -> Result<(Note, u64), RelationError> {
    use super::Clause::*;
    let fail = |clause| RelationError {
        statement: Statement::Claim,
        clause,
    };
    if epoch < old.eligible_epoch {
        return Err(fail(Eligibility));
    }
    if old.periods < min_periods {
        return Err(fail(Vesting));
    }
    if epoch <= old.last_claim {
        return Err(fail(OneClaimPerEpoch));
    }
    if divisor == 0 {
        return Err(fail(Divisor));
    }
    let pension = if old.pension != 0 {
        old.pension
    } else {
        first_pension(old.balance, divisor)
    };
    let amount = pension.min(old.balance);
    if amount == 0 {
        return Err(fail(PayoutPositive));
    }
    let new = Note {
        balance: old.balance - amount,
        last_claim: epoch,
        pension,
        nk,
        last_active: epoch,
        rho: nf,
        r: r_new,
        ..old.clone()
    };
    Ok((new, amount))
}

/// Builds the public inputs and witness of an honest Claim whose new note
/// names `heir` (the member may name anyone, or 0 for none).
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    sk: &SpendingKey,
    old: &Note,
    path: MerklePath,
    epoch: u64,
    min_periods: u64,
    divisor: u64,
    binding: Fr,
    r_new: Fr,
    heir: Fr,
) -> Result<(ClaimPublic, ClaimPrivate, Note), RelationError> {
    let nk = sk.nullifier_key();
    let nf = old.nullifier(&nk);
    let (new, amount) = next_note(old, epoch, min_periods, divisor, nk, nf.to_field(), r_new)?;
    let new = Note { heir, ..new };
    let public = ClaimPublic {
        anchor: Anchor::from_field(path.root(old.commit().to_field())),
        nf,
        cm_new: new.commit(),
        amount,
        epoch,
        min_periods,
        divisor,
        binding,
    };
    let private = SpendWitness::new(sk, old, path, &new);
    check_relation(&public, &private)?;
    Ok((public, private, new))
}
