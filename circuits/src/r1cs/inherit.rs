//! The Inherit circuit (SPEC §4), clause for clause the native
//! [`crate::statements::inherit::check_relation`].
//!
//! Public inputs `[anchor, nf, amount, epoch, dormancy, binding]`.

use crate::field::Fr;
use crate::note::NOTE_FIELDS;
use crate::statements::{idx, InheritPrivate, InheritPublic};
use crate::tree::MerklePath;
use ark_r1cs_std::alloc::AllocVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::lc::{enforce_equal, witness};
use super::note::{NoteVar, NullifierVar};
use super::range::{enforce_leq, enforce_nonzero, enforce_u64};
use super::spend::{alloc_public, enforce_binding};
use super::tree::MerklePathVar;

super::circuit_struct!(
    /// Inherit: the designated heir of a dormant account draws its whole balance.
    InheritCircuit,
    InheritPublic,
    InheritPrivate,
    InheritPrivate {
        sk: Fr::from(0u64),
        old: [Fr::from(0u64); NOTE_FIELDS],
        path: MerklePath::blank(0),
    },
    6
);

impl ConstraintSynthesizer<Fr> for InheritCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let [anchor, nf, amount, epoch, dormancy, binding] = alloc_public(&cs, &self.public)?;
        let w = &self.private;
        let sk = witness(&cs, || Ok(w.sk))?;
        let old = NoteVar::new_witness(cs.clone(), || Ok(w.old))?;
        let path = MerklePathVar::new_witness(cs.clone(), || Ok(&w.path))?;

        // Inherit: the note names an heir, heir != 0
        enforce_nonzero(old.heir())?;
        // Inherit: heir = H(OWNER, sk_heir)
        enforce_equal(&super::keys::owner(&sk)?, old.heir())?;
        // Inherit: membership, cm(old) lies in the tree under anchor
        enforce_equal(&path.root(&old.commit()?)?, &anchor)?;
        // Inherit: the note binds its nullifier key, nk_old != 0
        enforce_nonzero(old.nk())?;
        // Inherit: nf = H(NF, nk_old, rho_old)
        enforce_equal(&NullifierVar::derive(old.nk(), old.rho())?, &nf)?;
        // Inherit: every packed field of the old note < 2^64
        for (i, _) in idx::PACKED_OLD {
            enforce_u64(old.field(i))?;
        }
        // Inherit: dormancy, epoch >= last_active_old + dormancy. Each term is
        // below 2^64, so the sum is below 2^65 and nothing wraps.
        enforce_u64(&epoch)?;
        enforce_u64(&dormancy)?;
        enforce_leq(&(old.last_active() + &dormancy), &epoch)?;
        // Inherit: payout, amount = balance_old
        enforce_equal(&amount, old.balance())?;
        // Inherit: amount >= 1
        enforce_nonzero(&amount)?;
        // Inherit: binding
        enforce_binding(&binding)
    }
}
