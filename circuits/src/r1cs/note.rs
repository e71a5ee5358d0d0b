//! Note gadgets (SPEC §2, §4): note openings, note commitments, nullifiers and
//! attest tags, counterparts of [`crate::note`].

use crate::field::Fr;
use crate::keys::domain;
use crate::note::{NOTE_FIELDS, PACKING};
use crate::statements::{idx, Opening};
use ark_ff::Field;
use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};
use std::borrow::Borrow;

use super::poseidon::PoseidonVar;

/// A note opening in commitment order (see [`crate::statements::idx`]).
#[derive(Clone, Debug)]
pub struct NoteVar {
    fields: [FpVar<Fr>; NOTE_FIELDS],
}

impl NoteVar {
    /// A note from its field variables in opening order.
    pub fn from_fields(fields: [FpVar<Fr>; NOTE_FIELDS]) -> Self {
        NoteVar { fields }
    }

    /// Field `i` of the opening (an index from [`crate::statements::idx`]).
    pub fn field(&self, i: usize) -> &FpVar<Fr> {
        &self.fields[i]
    }

    /// The opening in commitment order.
    pub fn fields(&self) -> &[FpVar<Fr>; NOTE_FIELDS] {
        &self.fields
    }

    pub fn owner(&self) -> &FpVar<Fr> {
        &self.fields[idx::OWNER]
    }
    pub fn nk(&self) -> &FpVar<Fr> {
        &self.fields[idx::NK]
    }
    pub fn heir(&self) -> &FpVar<Fr> {
        &self.fields[idx::HEIR]
    }
    pub fn last_active(&self) -> &FpVar<Fr> {
        &self.fields[idx::LAST_ACTIVE]
    }
    pub fn eligible_epoch(&self) -> &FpVar<Fr> {
        &self.fields[idx::ELIGIBLE_EPOCH]
    }
    pub fn balance(&self) -> &FpVar<Fr> {
        &self.fields[idx::BALANCE]
    }
    pub fn periods(&self) -> &FpVar<Fr> {
        &self.fields[idx::PERIODS]
    }
    pub fn last_epoch(&self) -> &FpVar<Fr> {
        &self.fields[idx::LAST_EPOCH]
    }
    pub fn epoch_total(&self) -> &FpVar<Fr> {
        &self.fields[idx::EPOCH_TOTAL]
    }
    pub fn last_claim(&self) -> &FpVar<Fr> {
        &self.fields[idx::LAST_CLAIM]
    }
    pub fn pension(&self) -> &FpVar<Fr> {
        &self.fields[idx::PENSION]
    }
    pub fn rho(&self) -> &FpVar<Fr> {
        &self.fields[idx::RHO]
    }
    pub fn r(&self) -> &FpVar<Fr> {
        &self.fields[idx::R]
    }

    /// `cm = H(NOTE, owner, nk, heir, packA, packB, packC, rho, r)`.
    pub fn commit(&self) -> Result<FpVar<Fr>, SynthesisError> {
        NoteCommitmentVar::derive(&self.fields)
    }
}

impl AllocVar<Opening, Fr> for NoteVar {
    fn new_variable<T: Borrow<Opening>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        // In setup mode `f` is never called and the values stay unknown.
        let opening: Option<Opening> = if cs.is_in_setup_mode() && mode != AllocationMode::Constant
        {
            None
        } else {
            Some(*f()?.borrow())
        };
        let mut fields = Vec::with_capacity(NOTE_FIELDS);
        for i in 0..NOTE_FIELDS {
            let value = opening.map(|o| o[i]);
            fields.push(FpVar::new_variable(
                cs.clone(),
                || value.ok_or(SynthesisError::AssignmentMissing),
                mode,
            )?);
        }
        let fields = fields
            .try_into()
            .map_err(|_| SynthesisError::ArityMismatch)?;
        Ok(NoteVar { fields })
    }
}

/// Note commitments over a raw opening (counterpart of
/// [`crate::note::NoteCommitment`]).
pub struct NoteCommitmentVar;

impl NoteCommitmentVar {
    /// The packed words are linear combinations of the opening: no
    /// constraint. They are injective only for fields below 2^64, which the
    /// statements enforce ([`super::spend::SpendVar::enforce`]).
    pub fn derive(opening: &[FpVar<Fr>; NOTE_FIELDS]) -> Result<FpVar<Fr>, SynthesisError> {
        let shift = Fr::from(2u64).pow([64u64]);
        let packed = PACKING.map(|fields| {
            fields
                .iter()
                .rev()
                .fold(FpVar::Constant(Fr::from(0u64)), |acc, &i| {
                    acc * shift + &opening[i]
                })
        });
        let [a, b, c] = packed;
        PoseidonVar::hash(&[
            FpVar::Constant(Fr::from(domain::NOTE)),
            opening[idx::OWNER].clone(),
            opening[idx::NK].clone(),
            opening[idx::HEIR].clone(),
            a,
            b,
            c,
            opening[idx::RHO].clone(),
            opening[idx::R].clone(),
        ])
    }
}

/// Nullifiers: `nf = H(NF, nk, rho)` (counterpart of [`crate::note::Nullifier`]).
pub struct NullifierVar;

impl NullifierVar {
    pub fn derive(nk: &FpVar<Fr>, rho: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        PoseidonVar::hash(&[
            FpVar::Constant(Fr::from(domain::NF)),
            nk.clone(),
            rho.clone(),
        ])
    }
}

/// Attest pseudonyms: `tag = H(ATTEST, nk, context)` (counterpart of
/// [`crate::note::AttestTag`]).
pub struct AttestTagVar;

impl AttestTagVar {
    pub fn derive(nk: &FpVar<Fr>, context: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        PoseidonVar::hash(&[
            FpVar::Constant(Fr::from(domain::ATTEST)),
            nk.clone(),
            context.clone(),
        ])
    }
}
