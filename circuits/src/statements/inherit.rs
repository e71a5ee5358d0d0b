//! Inherit (SPEC §4): the designated heir of a dormant account draws its whole
//! balance as one payout.
//!
//! Public inputs `[anchor, nf, amount, epoch, dormancy, binding]`.
//!
//! The heir proves knowledge of their own key `sk_heir` with
//! `H(OWNER, sk_heir) = heir` of the note, and spends the note under the
//! nullifier key the note binds (`nk`), so the nullifier is the one the
//! owner's own spend would reveal: a note is spent once, by whichever path
//! comes first. An enrollment note (`nk = 0`) cannot be inherited: its
//! owner's nullifier key is not in it. No new note is made: the account is
//! closed, and its whole balance leaves the fund as public money out, like a
//! claim.

use super::{ensure, u64_of, PublicInputError, PublicReader, RelationError, Statement};
use crate::field::{serde_hex, Fr};
use crate::keys::{self, SpendingKey};
use crate::note::{idx, Note, NoteCommitment as Cm};
use crate::tree::MerklePath;
use crate::values::{Anchor, Nullifier as Nf};
use ark_ff::Zero;
use serde::{Deserialize, Serialize};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Public inputs of Inherit.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct InheritPublic {
    pub anchor: Anchor,
    pub nf: Nf,
    /// The payout: the account's whole balance.
    pub amount: u64,
    pub epoch: u64,
    /// Epochs without an action by the member after which the heir may
    /// inherit (a genesis parameter).
    pub dormancy: u64,
    #[serde(with = "serde_hex")]
    pub binding: Fr,
}

/// Private witness of Inherit: the heir's key, and the dormant note's
/// opening and path.
#[derive(Clone, Debug, Zeroize, ZeroizeOnDrop)]
pub struct InheritPrivate {
    /// The heir's own spending key.
    pub sk: Fr,
    pub old: super::Opening,
    #[zeroize(skip)]
    pub path: MerklePath,
}

impl InheritPrivate {
    pub fn new(heir: &SpendingKey, old: &Note, path: MerklePath) -> Self {
        InheritPrivate {
            sk: heir.expose(),
            old: old.to_field_elements(),
            path,
        }
    }
}

impl InheritPublic {
    /// Public-input names in SPEC order.
    pub const NAMES: [&'static str; 6] = ["anchor", "nf", "amount", "epoch", "dormancy", "binding"];

    /// The one encoder of the public inputs, in SPEC order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        vec![
            self.anchor.to_field(),
            self.nf.to_field(),
            Fr::from(self.amount),
            Fr::from(self.epoch),
            Fr::from(self.dormancy),
            self.binding,
        ]
    }

    /// Decodes public inputs, refusing a wrong count or a u64 input >= 2^64.
    pub fn from_field_elements(inputs: &[Fr]) -> Result<Self, PublicInputError> {
        let mut r = PublicReader::new(Statement::Inherit, inputs)?;
        Ok(InheritPublic {
            anchor: Anchor::from_field(r.field()),
            nf: Nf::from_field(r.field()),
            amount: r.u64()?,
            epoch: r.u64()?,
            dormancy: r.u64()?,
            binding: r.field(),
        })
    }
}

/// Checks every clause of Inherit on raw public inputs (SPEC order).
pub fn check_relation_raw(public: &[Fr; 6], w: &InheritPrivate) -> Result<(), RelationError> {
    let [anchor, nf, amount, epoch, dormancy, _binding] = public;
    relation(anchor, nf, amount, epoch, dormancy, w).map_err(|clause| RelationError {
        statement: Statement::Inherit,
        clause,
    })
}

/// Checks every clause of Inherit.
pub fn check_relation(public: &InheritPublic, w: &InheritPrivate) -> Result<(), RelationError> {
    let raw: [Fr; 6] = public.to_field_elements().try_into().expect("6 inputs");
    check_relation_raw(&raw, w)
}

fn relation(
    anchor: &Fr,
    nf: &Fr,
    amount: &Fr,
    epoch: &Fr,
    dormancy: &Fr,
    w: &InheritPrivate,
) -> super::Check {
    use super::Clause::*;
    let heir = w.old[idx::HEIR];
    let nk = w.old[idx::NK];
    // Inherit: the note names an heir, and it is the prover
    ensure(!heir.is_zero(), HeirNamed)?;
    ensure(keys::owner(&w.sk) == heir, Heir)?;
    // Inherit: membership
    ensure(
        w.path.root(Cm::derive(&w.old).to_field()) == *anchor,
        Membership,
    )?;
    // Inherit: the note binds its nullifier key, and nf is the owner's nullifier
    ensure(!nk.is_zero(), BoundNoteKey)?;
    ensure(
        Nf::derive(&nk, &w.old[idx::RHO]).to_field() == *nf,
        Nullifier,
    )?;
    for (i, name) in idx::PACKED_OLD {
        u64_of(&w.old[i], name)?;
    }
    // Inherit: dormancy, epoch >= last_active_old + dormancy
    let epoch = u64_of(epoch, "epoch")?;
    let dormancy = u64_of(dormancy, "dormancy")?;
    let last_active = u64_of(&w.old[idx::LAST_ACTIVE], "last_active_old")?;
    ensure(
        u128::from(epoch) >= u128::from(last_active) + u128::from(dormancy),
        Dormancy,
    )?;
    // Inherit: payout, amount = balance_old >= 1
    let amount = u64_of(amount, "amount")?;
    let balance = u64_of(&w.old[idx::BALANCE], "balance_old")?;
    ensure(amount == balance, WholeBalance)?;
    ensure(amount >= 1, PayoutPositive)
}

/// Builds the public inputs and witness of an honest Inherit of `old` by
/// the holder of `heir`, or names the clause that forbids it.
pub fn prepare(
    heir: &SpendingKey,
    old: &Note,
    path: MerklePath,
    epoch: u64,
    dormancy: u64,
    binding: Fr,
) -> Result<(InheritPublic, InheritPrivate), RelationError> {
    let public = InheritPublic {
        anchor: Anchor::from_field(path.root(old.commit().to_field())),
        nf: old.nullifier(&old.nk),
        amount: old.balance,
        epoch,
        dormancy,
        binding,
    };
    let private = InheritPrivate::new(heir, old, path);
    check_relation(&public, &private)?;
    Ok((public, private))
}
