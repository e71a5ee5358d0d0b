//! Attest (SPEC §4): prove facts about one's account to a third party under a
//! per-context pseudonym, leaving the account unchanged.
//!
//! Public inputs `[anchor, nf, cm_new, epoch, context, tag, min_balance,
//! min_periods, require_eligible, binding]`.

use super::{
    check_spend, check_unchanged, ensure, idx, u64_of, PublicInputError, PublicReader,
    RelationError, SpendWitness, Statement,
};
use crate::field::{serde_hex, Fr};
use crate::keys::SpendingKey;
use crate::note::Note;
use crate::tree::MerklePath;
use crate::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use ark_ff::{One, Zero};
use serde::{Deserialize, Serialize};

/// Public inputs of Attest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestPublic {
    pub anchor: Anchor,
    pub nf: Nullifier,
    pub cm_new: NoteCommitment,
    pub epoch: u64,
    pub context: ContextId,
    pub tag: AttestTag,
    pub min_balance: u64,
    pub min_periods: u64,
    pub require_eligible: bool,
    #[serde(with = "serde_hex")]
    pub binding: Fr,
}

/// Private witness of Attest.
pub type AttestPrivate = SpendWitness;

impl AttestPublic {
    /// Public-input names in SPEC order.
    pub const NAMES: [&'static str; 10] = [
        "anchor",
        "nf",
        "cm_new",
        "epoch",
        "context",
        "tag",
        "min_balance",
        "min_periods",
        "require_eligible",
        "binding",
    ];

    /// The one encoder of the public inputs, in SPEC order.
    pub fn to_field_elements(&self) -> Vec<Fr> {
        vec![
            self.anchor.to_field(),
            self.nf.to_field(),
            self.cm_new.to_field(),
            Fr::from(self.epoch),
            self.context.to_field(),
            self.tag.to_field(),
            Fr::from(self.min_balance),
            Fr::from(self.min_periods),
            Fr::from(u64::from(self.require_eligible)),
            self.binding,
        ]
    }

    /// Decodes public inputs, refusing a wrong count, a u64 input >= 2^64 or a
    /// `require_eligible` other than 0 or 1.
    pub fn from_field_elements(inputs: &[Fr]) -> Result<Self, PublicInputError> {
        let mut r = PublicReader::new(Statement::Attest, inputs)?;
        Ok(AttestPublic {
            anchor: Anchor::from_field(r.field()),
            nf: Nullifier::from_field(r.field()),
            cm_new: NoteCommitment::from_field(r.field()),
            epoch: r.u64()?,
            context: ContextId::from_field(r.field()),
            tag: AttestTag::from_field(r.field()),
            min_balance: r.u64()?,
            min_periods: r.u64()?,
            require_eligible: r.boolean()?,
            binding: r.field(),
        })
    }
}

/// Checks every clause of Attest on raw public inputs (SPEC order).
pub fn check_relation_raw(public: &[Fr; 10], w: &AttestPrivate) -> Result<(), RelationError> {
    let [anchor, nf, cm_new, epoch, context, tag, min_balance, min_periods, require_eligible, _binding] =
        public;
    relation(
        anchor,
        nf,
        cm_new,
        epoch,
        context,
        tag,
        min_balance,
        min_periods,
        require_eligible,
        w,
    )
    .map_err(|clause| RelationError {
        statement: Statement::Attest,
        clause,
    })
}

/// Checks every clause of Attest.
pub fn check_relation(public: &AttestPublic, w: &AttestPrivate) -> Result<(), RelationError> {
    let raw: [Fr; 10] = public.to_field_elements().try_into().expect("10 inputs");
    check_relation_raw(&raw, w)
}

#[allow(clippy::too_many_arguments)]
fn relation(
    anchor: &Fr,
    nf: &Fr,
    cm_new: &Fr,
    epoch: &Fr,
    context: &Fr,
    tag: &Fr,
    min_balance: &Fr,
    min_periods: &Fr,
    require_eligible: &Fr,
    w: &SpendWitness,
) -> super::Check {
    use super::Clause::*;
    check_spend(anchor, nf, cm_new, epoch, w)?;
    // Attest: unchanged
    check_unchanged(
        w,
        &[
            idx::BALANCE,
            idx::PERIODS,
            idx::LAST_EPOCH,
            idx::EPOCH_TOTAL,
            idx::LAST_CLAIM,
            idx::PENSION,
        ],
    )?;
    // Attest: tag
    ensure(
        AttestTag::derive(&w.nk(), &ContextId::from_field(*context)).to_field() == *tag,
        Tag,
    )?;
    // Attest: thresholds
    let balance_old = u64_of(&w.old[idx::BALANCE], "balance_old")?;
    let periods_old = u64_of(&w.old[idx::PERIODS], "periods_old")?;
    let min_balance = u64_of(min_balance, "min_balance")?;
    let min_periods = u64_of(min_periods, "min_periods")?;
    ensure(balance_old >= min_balance, MinBalance)?;
    ensure(periods_old >= min_periods, Vesting)?;
    // Attest: eligibility
    ensure(
        require_eligible.is_zero() || require_eligible.is_one(),
        RequireEligibleBoolean,
    )?;
    let epoch = u64_of(epoch, "epoch")?;
    let eligible_epoch = u64_of(&w.old[idx::ELIGIBLE_EPOCH], "eligible_epoch")?;
    ensure(
        require_eligible.is_zero() || epoch >= eligible_epoch,
        AttestEligibility,
    )
}

/// Builds the public inputs and witness of an honest Attest whose new note
/// names `heir` (the member may name anyone, or 0 for none).
#[allow(clippy::too_many_arguments)]
pub fn prepare(
    sk: &SpendingKey,
    old: &Note,
    path: MerklePath,
    epoch: u64,
    context: ContextId,
    min_balance: u64,
    min_periods: u64,
    require_eligible: bool,
    binding: Fr,
    r_new: Fr,
    heir: Fr,
) -> Result<(AttestPublic, AttestPrivate, Note), RelationError> {
    let nk = sk.nullifier_key();
    let nf = old.nullifier(&nk);
    let new = Note {
        nk,
        heir,
        last_active: epoch,
        rho: nf.to_field(),
        r: r_new,
        ..old.clone()
    };
    let public = AttestPublic {
        anchor: Anchor::from_field(path.root(old.commit().to_field())),
        nf,
        cm_new: new.commit(),
        epoch,
        context,
        tag: AttestTag::derive(&nk, &context),
        min_balance,
        min_periods,
        require_eligible,
        binding,
    };
    let private = SpendWitness::new(sk, old, path, &new);
    check_relation(&public, &private)?;
    Ok((public, private, new))
}
