//! Contribute (SPEC §4): pay `amount` into one's own account in `epoch`.
//!
//! Public inputs `[anchor, nf, cm_new, amount, epoch, cap, binding]`.

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

/// Public inputs of Contribute.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContributePublic {
    pub anchor: Anchor,
    pub nf: Nullifier,
    pub cm_new: NoteCommitment,
    pub amount: u64,
    pub epoch: u64,
    pub cap: u64,
    #[serde(with = "serde_hex")]
    pub binding: Fr,
}

/// Private witness of Contribute.
pub type ContributePrivate = SpendWitness;

impl ContributePublic {
    /// Public-input names in SPEC order.
    pub const NAMES: [&'static str; 7] = [
        "anchor", "nf", "cm_new", "amount", "epoch", "cap", "binding",
    ];

    /// The one encoder of the public inputs, in SPEC order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        vec![
            self.anchor.to_field(),
            self.nf.to_field(),
            self.cm_new.to_field(),
            Fr::from(self.amount),
            Fr::from(self.epoch),
            Fr::from(self.cap),
            self.binding,
        ]
    }

    /// Decodes public inputs, refusing a wrong count or a u64 input >= 2^64.
    pub fn from_field_elements(inputs: &[Fr]) -> Result<Self, PublicInputError> {
        let mut r = PublicReader::new(Statement::Contribute, inputs)?;
        Ok(ContributePublic {
            anchor: Anchor::from_field(r.field()),
            nf: Nullifier::from_field(r.field()),
            cm_new: NoteCommitment::from_field(r.field()),
            amount: r.u64()?,
            epoch: r.u64()?,
            cap: r.u64()?,
            binding: r.field(),
        })
    }
}

/// Checks every clause of Contribute on raw public inputs (SPEC order).
pub fn check_relation_raw(public: &[Fr; 7], w: &ContributePrivate) -> Result<(), RelationError> {
    let [anchor, nf, cm_new, amount, epoch, cap, _binding] = public;
    relation(anchor, nf, cm_new, amount, epoch, cap, w).map_err(|clause| RelationError {
        statement: Statement::Contribute,
        clause,
    })
}

/// Checks every clause of Contribute.
pub fn check_relation(
    public: &ContributePublic,
    w: &ContributePrivate,
) -> Result<(), RelationError> {
    let raw: [Fr; 7] = public.to_field_elements().try_into().expect("7 inputs");
    check_relation_raw(&raw, w)
}

fn relation(
    anchor: &Fr,
    nf: &Fr,
    cm_new: &Fr,
    amount: &Fr,
    epoch: &Fr,
    cap: &Fr,
    w: &SpendWitness,
) -> super::Check {
    use super::Clause::*;
    check_spend(anchor, nf, cm_new, epoch, w)?;
    let amount = u64_of(amount, "amount")?;
    let epoch = u64_of(epoch, "epoch")?;
    let cap = u64_of(cap, "cap")?;
    let last_epoch_old = u64_of(&w.old[idx::LAST_EPOCH], "last_epoch_old")?;
    let epoch_total_old = u64_of(&w.old[idx::EPOCH_TOTAL], "epoch_total_old")?;
    let balance_old = u64_of(&w.old[idx::BALANCE], "balance_old")?;
    let periods_old = u64_of(&w.old[idx::PERIODS], "periods_old")?;
    // Contribute: amount
    ensure(amount >= 1, AmountPositive)?;
    // Contribute: epoch order
    ensure(last_epoch_old <= epoch, EpochOrder)?;
    let same = epoch == last_epoch_old;
    // Contribute: cap
    let epoch_total_new = u64_of(&w.new[idx::EPOCH_TOTAL], "epoch_total_new")?;
    let expected_total = u128::from(if same { epoch_total_old } else { 0 }) + u128::from(amount);
    ensure(u128::from(epoch_total_new) == expected_total, EpochTotal)?;
    ensure(epoch_total_new <= cap, Cap)?;
    // Contribute: periods
    let periods_new = u64_of(&w.new[idx::PERIODS], "periods_new")?;
    ensure(
        u128::from(periods_new) == u128::from(periods_old) + u128::from(!same),
        Periods,
    )?;
    ensure(w.new[idx::LAST_EPOCH] == Fr::from(epoch), LastEpoch)?;
    // Contribute: balance
    let balance_new = u64_of(&w.new[idx::BALANCE], "balance_new")?;
    ensure(
        u128::from(balance_new) == u128::from(balance_old) + u128::from(amount),
        Balance,
    )?;
    check_unchanged(w, &[idx::LAST_CLAIM, idx::PENSION])
}

/// The new note an honest Contribute produces (spent under the nullifier
/// key `nk`, with nullifier `nf`), or the clause that forbids it.
#[allow(clippy::too_many_arguments)]
pub fn next_note(
    old: &Note,
    amount: u64,
    epoch: u64,
    cap: u64,
    nk: Fr,
    nf: Fr,
    r_new: Fr,
) -> Result<Note, RelationError> {
    use super::Clause::*;
    let fail = |clause| RelationError {
        statement: Statement::Contribute,
        clause,
    };
    if amount == 0 {
        return Err(fail(AmountPositive));
    }
    if epoch < old.last_epoch {
        return Err(fail(EpochOrder));
    }
    let same = epoch == old.last_epoch;
    let epoch_total = if same { old.epoch_total } else { 0 }
        .checked_add(amount)
        .ok_or(fail(Range("epoch_total_new")))?;
    if epoch_total > cap {
        return Err(fail(Cap));
    }
    let periods = old
        .periods
        .checked_add(u64::from(!same))
        .ok_or(fail(Range("periods_new")))?;
    let balance = old
        .balance
        .checked_add(amount)
        .ok_or(fail(Range("balance_new")))?;
    Ok(Note {
        balance,
        periods,
        last_epoch: epoch,
        epoch_total,
        nk,
        last_active: epoch,
        rho: nf,
        r: r_new,
        ..old.clone()
    })
}

/// Builds the public inputs and witness of an honest Contribute whose new
/// note names `heir` (the member may name anyone, or 0 for none).
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    sk: &SpendingKey,
    old: &Note,
    path: MerklePath,
    amount: u64,
    epoch: u64,
    cap: u64,
    binding: Fr,
    r_new: Fr,
    heir: Fr,
) -> Result<(ContributePublic, ContributePrivate, Note), RelationError> {
    let nk = sk.nullifier_key();
    let nf = old.nullifier(&nk);
    let new = Note {
        heir,
        ..next_note(old, amount, epoch, cap, nk, nf.to_field(), r_new)?
    };
    let public = ContributePublic {
        anchor: Anchor::from_field(path.root(old.commit().to_field())),
        nf,
        cm_new: new.commit(),
        amount,
        epoch,
        cap,
        binding,
    };
    let private = SpendWitness::new(sk, old, path, &new);
    check_relation(&public, &private)?;
    Ok((public, private, new))
}
