//! The Claim circuit (SPEC §4), clause for clause the native
//! [`crate::statements::claim::check_relation`].
//!
//! Public inputs `[anchor, nf, cm_new, amount, epoch, min_periods, divisor, binding]`.

use crate::field::Fr;
use crate::statements::{idx, ClaimPublic};
use ark_ff::{PrimeField, Zero};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystemRef, SynthesisError};

use super::lc::{enforce_equal, enforce_mul, witness};
use super::range::{enforce_leq, enforce_nonzero, enforce_u64, is_zero};
use super::spend::{alloc_public, enforce_binding, SpendVar};

super::circuit_struct!(
    /// Claim: draw this epoch's pension.
    ClaimCircuit,
    ClaimPublic,
    8
);

impl ConstraintSynthesizer<Fr> for ClaimCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let [anchor, nf, cm_new, amount, epoch, min_periods, divisor, binding] =
            alloc_public(&cs, &self.public)?;
        let spend = SpendVar::enforce(&cs, &anchor, &nf, &cm_new, &epoch, &self.private)?;
        let (old, new) = (&spend.old, &spend.new);
        let one = FpVar::Constant(Fr::from(1u64));

        // Claim: eligibility, epoch >= eligible_epoch
        enforce_u64(&epoch)?;
        enforce_leq(old.eligible_epoch(), &epoch)?;

        // Claim: vesting, periods_old >= min_periods
        enforce_u64(&min_periods)?;
        enforce_leq(&min_periods, old.periods())?;

        // Claim: one claim per epoch, epoch > last_claim_old
        enforce_leq(&(old.last_claim() + Fr::from(1u64)), &epoch)?;

        // Claim: divisor >= 1
        enforce_u64(&divisor)?;
        enforce_nonzero(&divisor)?;

        // Claim: pension_new = pension_old if it is not 0, else ceil(balance_old / divisor).
        // ceil(b / d) is the q with 0 <= d*q - b < d; with b, d, q < 2^64,
        // d*q < 2^128 < p, so nothing wraps.
        enforce_u64(new.pension())?;
        // The prover's q: at the first claim it is the claimed pension itself
        // (so a wrong pension meets the ceil constraints, not a silent fix-up);
        // otherwise the honest ceil, which the constraints below accept.
        let q = witness(&cs, || {
            if old.pension().value()?.is_zero() {
                new.pension().value()
            } else {
                ceil_div(old.balance().value()?, divisor.value()?)
            }
        })?;
        enforce_u64(&q)?;
        let excess = &divisor * &q - old.balance();
        enforce_u64(&excess)?;
        enforce_leq(&excess, &(&divisor - &one))?;
        let first = FpVar::from(is_zero(old.pension())?);
        enforce_mul(
            &first,
            &(&q - old.pension()),
            &(new.pension() - old.pension()),
        )?;

        // Claim: payout, amount = min(pension_new, balance_old).
        // s = (pension_new <= balance_old); amount = balance_old - s * (balance_old - pension_new);
        // and (2s - 1) * (balance_old - pension_new) >= 0 makes s the right choice.
        enforce_u64(&amount)?;
        // The prover's s follows the claimed amount: 1 unless the whole
        // balance is paid out (for an honest amount this is the right choice).
        let s = Boolean::new_witness(cs.clone(), || Ok(amount.value()? != old.balance().value()?))?;
        let gap = old.balance() - new.pension();
        let taken = FpVar::from(s) * &gap;
        enforce_u64(&(taken.double()? - &gap))?;
        enforce_equal(&amount, &(old.balance() - &taken))?;

        // Claim: payout, amount >= 1
        enforce_nonzero(&amount)?;

        // Claim: balance_new = balance_old - amount
        enforce_u64(new.balance())?;
        enforce_equal(&(new.balance() + &amount), old.balance())?;

        // Claim: last_claim_new = epoch
        enforce_equal(new.last_claim(), &epoch)?;

        // Claim: periods, last_epoch and epoch_total unchanged
        spend.enforce_unchanged(&[idx::PERIODS, idx::LAST_EPOCH, idx::EPOCH_TOTAL])?;

        // Claim: binding
        enforce_binding(&binding)
    }
}

/// The prover's `q = ceil(b / d)`, for values below 2^128 (an honest witness
/// has both below 2^64). Any other input gets 0; the constraints then reject.
fn ceil_div(b: Fr, d: Fr) -> Result<Fr, SynthesisError> {
    let small = |x: Fr| {
        let l = x.into_bigint().0;
        (l[2] == 0 && l[3] == 0).then(|| u128::from(l[0]) | (u128::from(l[1]) << 64))
    };
    Ok(match (small(b), small(d)) {
        (Some(b), Some(d)) if d != 0 => {
            let q = b.div_ceil(d);
            Fr::from(q)
        }
        _ => Fr::from(0u64),
    })
}
