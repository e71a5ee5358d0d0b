//! The Attest circuit (SPEC §4), clause for clause the native
//! [`crate::statements::attest::check_relation`].
//!
//! Public inputs `[anchor, nf, cm_new, epoch, context, tag, min_balance,
//! min_periods, require_eligible, binding]`.

use crate::field::Fr;
use crate::statements::{idx, AttestPublic};
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::lc::{enforce_equal, enforce_mul};
use super::note::AttestTagVar;
use super::range::{enforce_leq, enforce_u64};
use super::spend::{alloc_public, enforce_binding, SpendVar};

super::circuit_struct!(
    /// Attest: prove facts about one's account under a per-context pseudonym.
    AttestCircuit,
    AttestPublic,
    10
);

impl ConstraintSynthesizer<Fr> for AttestCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let [anchor, nf, cm_new, epoch, context, tag, min_balance, min_periods, require_eligible, binding] =
            alloc_public(&cs, &self.public)?;
        let spend = SpendVar::enforce(&cs, &anchor, &nf, &cm_new, &epoch, &self.private)?;
        let old = &spend.old;

        // Attest: the new note equals the old one but for rho and r
        spend.enforce_unchanged(&[
            idx::BALANCE,
            idx::PERIODS,
            idx::LAST_EPOCH,
            idx::EPOCH_TOTAL,
            idx::LAST_CLAIM,
            idx::PENSION,
        ])?;

        // Attest: tag = H(ATTEST, nk, context)
        enforce_equal(&AttestTagVar::derive(&spend.nk, &context)?, &tag)?;

        // Attest: balance_old >= min_balance
        enforce_u64(&min_balance)?;
        enforce_leq(&min_balance, old.balance())?;

        // Attest: periods_old >= min_periods
        enforce_u64(&min_periods)?;
        enforce_leq(&min_periods, old.periods())?;

        // Attest: require_eligible is 0 or 1
        let not_eligible = &require_eligible - Fr::from(1u64);
        enforce_mul(
            &require_eligible,
            &not_eligible,
            &FpVar::Constant(Fr::from(0u64)),
        )?;

        // Attest: if require_eligible then epoch >= eligible_epoch,
        // as the range of require_eligible * (epoch - eligible_epoch)
        enforce_u64(&epoch)?;
        let gap = &require_eligible * &(&epoch - old.eligible_epoch());
        enforce_u64(&gap)?;

        // Attest: binding
        enforce_binding(&binding)
    }
}
