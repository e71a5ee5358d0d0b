//! What every statement shares (SPEC §4): the public inputs as instance
//! variables, the spend of the old note and the carried fields of the new one,
//! and the `binding` input.

use crate::field::Fr;
use crate::statements::{idx, SpendWitness};
use crate::tree::MerklePath;
use ark_ff::Field;
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystemRef, SynthesisError};

use super::lc::{enforce_equal, enforce_mul, witness};
use super::note::{NoteVar, NullifierVar};
use super::range::enforce_u64;
use super::tree::MerklePathVar;

/// Allocates the public inputs as instance variables, in the order given (the
/// statement's `to_field_elements()` order, SPEC order).
pub(crate) fn alloc_public<const N: usize>(
    cs: &ConstraintSystemRef<Fr>,
    public: &[Fr; N],
) -> Result<[FpVar<Fr>; N], SynthesisError> {
    let vars = public
        .iter()
        .map(|x| FpVar::new_input(cs.clone(), || Ok(*x)))
        .collect::<Result<Vec<_>, _>>()?;
    vars.try_into().map_err(|_| SynthesisError::ArityMismatch)
}

/// A shape-only witness (all zeros) for key generation.
pub(crate) fn blank_witness() -> SpendWitness {
    SpendWitness {
        sk: Fr::from(0u64),
        old: [Fr::from(0u64); crate::note::NOTE_FIELDS],
        path: MerklePath::blank(0),
        new: [Fr::from(0u64); crate::note::NOTE_FIELDS],
    }
}

/// The witnessed spend: the nullifier key and both note openings.
pub struct SpendVar {
    pub nk: FpVar<Fr>,
    pub old: NoteVar,
    pub new: NoteVar,
}

impl SpendVar {
    /// Allocates the witness and enforces the clauses every statement opens
    /// with (SPEC §4), in order.
    ///
    /// Every packed field of the old note is range-checked here (65
    /// constraints each), so the statements do not check them again; the
    /// new note's fields are each either checked by the statement or equal to
    /// a checked value.
    pub fn enforce(
        cs: &ConstraintSystemRef<Fr>,
        anchor: &FpVar<Fr>,
        nf: &FpVar<Fr>,
        cm_new: &FpVar<Fr>,
        epoch: &FpVar<Fr>,
        w: &SpendWitness,
    ) -> Result<Self, SynthesisError> {
        let sk = witness(cs, || Ok(w.sk))?;
        let old = NoteVar::new_witness(cs.clone(), || Ok(w.old))?;
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(&w.path))?;
        let new = NoteVar::new_witness(cs.clone(), || Ok(w.new))?;

        // Spend: owner = H(OWNER, sk)
        enforce_equal(&super::keys::owner(&sk)?, old.owner())?;
        // Spend: membership, cm(old) lies in the tree under anchor
        enforce_equal(&path.root(&old.commit()?)?, anchor)?;
        // Spend: nullifier, nf = H(NF, H(NK, sk), rho_old)
        let nk = super::keys::nullifier_key(&sk)?;
        enforce_equal(&NullifierVar::derive(&nk, old.rho())?, nf)?;
        // Spend: note key, nk_old * (nk_old - nk) = 0 (0 in an enrollment note)
        enforce_mul(
            old.nk(),
            &(old.nk() - &nk),
            &FpVar::Constant(Fr::from(0u64)),
        )?;
        // Spend: the new note keeps owner
        enforce_equal(new.owner(), old.owner())?;
        // Spend: the new note keeps eligible_epoch
        enforce_equal(new.eligible_epoch(), old.eligible_epoch())?;
        // Spend: the new note's key, nk_new = nk
        enforce_equal(new.nk(), &nk)?;
        // Spend: last_active_new = epoch
        enforce_equal(new.last_active(), epoch)?;
        // Spend: rho chaining, rho_new = nf
        enforce_equal(new.rho(), nf)?;
        // Spend: cm_new = cm(new)
        enforce_equal(&new.commit()?, cm_new)?;
        // Spend: every packed field of the old note < 2^64
        for (i, _) in idx::PACKED_OLD {
            enforce_u64(old.field(i))?;
        }
        Ok(SpendVar { nk, old, new })
    }

    /// Enforces that the new note leaves `fields` (indices from
    /// [`crate::statements::idx`]) unchanged, one constraint each.
    pub fn enforce_unchanged(&self, fields: &[usize]) -> Result<(), SynthesisError> {
        for &i in fields {
            debug_assert!(i != idx::RHO && i != idx::R);
            enforce_equal(self.new.field(i), self.old.field(i))?;
        }
        Ok(())
    }
}

/// Binding: `binding * binding = s` for a witness `s`, so the proof depends on
/// `binding` (an input no constraint uses is not bound by a Groth16 proof).
pub(crate) fn enforce_binding(binding: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let square = witness(&binding.cs(), || Ok(binding.value()?.square()))?;
    enforce_mul(binding, binding, &square)
}
