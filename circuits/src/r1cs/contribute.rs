//! The Contribute circuit (SPEC §4), clause for clause the native
//! [`crate::statements::contribute::check_relation`].
//!
//! Public inputs `[anchor, nf, cm_new, amount, epoch, cap, binding]`.

use crate::field::Fr;
use crate::statements::{idx, ContributePublic};
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::lc::{enforce_equal, enforce_mul};
use super::range::{enforce_leq, enforce_nonzero, enforce_u64};
use super::spend::{alloc_public, enforce_binding, SpendVar};

super::circuit_struct!(
    /// Contribute: pay `amount` into one's own account in `epoch`.
    ContributeCircuit,
    ContributePublic,
    7
);

impl ConstraintSynthesizer<Fr> for ContributeCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let [anchor, nf, cm_new, amount, epoch, cap, binding] = alloc_public(&cs, &self.public)?;
        let spend = SpendVar::enforce(&cs, &anchor, &nf, &cm_new, &epoch, &self.private)?;
        let (old, new) = (&spend.old, &spend.new);

        // Contribute: 1 <= amount < 2^64
        enforce_u64(&amount)?;
        enforce_nonzero(&amount)?;

        // Contribute: last_epoch_old <= epoch
        enforce_u64(&epoch)?;
        enforce_leq(old.last_epoch(), &epoch)?;

        // Contribute: same = (epoch == last_epoch_old)
        let same = FpVar::from(epoch.is_eq(old.last_epoch())?);

        // Contribute: epoch_total_new = (same ? epoch_total_old : 0) + amount
        enforce_u64(new.epoch_total())?;
        enforce_mul(&same, old.epoch_total(), &(new.epoch_total() - &amount))?;

        // Contribute: cap, epoch_total_new <= cap
        enforce_u64(&cap)?;
        enforce_leq(new.epoch_total(), &cap)?;

        // Contribute: periods_new = periods_old + (1 - same)
        enforce_u64(new.periods())?;
        enforce_equal(new.periods(), &(old.periods() + Fr::from(1u64) - &same))?;

        // Contribute: last_epoch_new = epoch
        enforce_equal(new.last_epoch(), &epoch)?;

        // Contribute: balance_new = balance_old + amount < 2^64
        enforce_u64(new.balance())?;
        enforce_equal(new.balance(), &(old.balance() + &amount))?;

        // Contribute: last_claim and pension unchanged
        spend.enforce_unchanged(&[idx::LAST_CLAIM, idx::PENSION])?;

        // Contribute: binding
        enforce_binding(&binding)
    }
}
