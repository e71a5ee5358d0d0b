//! Small-integer gadgets: the 64-bit range check (SPEC §1: "every circuit
//! proves the 64-bit range of each `u64` it does arithmetic or comparisons on"),
//! comparisons built on it, and zero tests.
//!
//! `enforce_u64(x)` allocates 64 boolean bits (64 constraints) and checks
//! `sum b_i 2^i = x` (one constraint): 65 constraints, where the generic
//! `to_bits_le` of a field element costs more than 254 (and `x < p` checks).
//! For `a, b < 2^64`, `a <= b` holds exactly when `b - a` (computed mod p) is
//! below 2^64: otherwise `b - a = p - (a - b) > p - 2^64 > 2^64`.

use crate::field::Fr;
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::eq::EqGadget;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{LinearCombination, SynthesisError, Variable};

use super::lc::{enforce_mul, lc_of, witness};

/// Bits in a `u64`.
pub const U64_BITS: usize = 64;

/// Enforces `0 <= x < 2^64` (65 constraints).
///
/// The prover's bits are the low 64 bits of `x`; for `x >= 2^64` no choice of
/// bits satisfies the final equality.
pub fn enforce_u64(x: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let cs = x.cs();
    if cs.is_none() {
        // A constant: nothing for a prover to choose.
        let big = x.value()?.into_bigint();
        return if big.0[1..].iter().all(|l| *l == 0) {
            Ok(())
        } else {
            Err(SynthesisError::Unsatisfiable)
        };
    }
    let mut sum = LinearCombination::zero();
    let mut power = Fr::from(1u64);
    for i in 0..U64_BITS {
        let bit = Boolean::new_witness(cs.clone(), || {
            let big = x.value()?.into_bigint();
            Ok(big.get_bit(i))
        })?;
        sum += (power, bit.variable());
        power.double_in_place();
    }
    cs.enforce_r1cs_constraint(
        || sum - &lc_of(x),
        || Variable::One.into(),
        LinearCombination::zero,
    )
}

/// Enforces `a <= b` for `a` and `b` already known to be below 2^64
/// (65 constraints: the range of `b - a`).
pub fn enforce_leq(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<(), SynthesisError> {
    enforce_u64(&(b - a))
}

/// Enforces `x != 0` (one constraint: `x * x^-1 = 1`). For `x < 2^64` this is
/// `x >= 1`.
pub fn enforce_nonzero(x: &FpVar<Fr>) -> Result<(), SynthesisError> {
    if let FpVar::Constant(c) = x {
        return if c.is_zero() {
            Err(SynthesisError::Unsatisfiable)
        } else {
            Ok(())
        };
    }
    let inv = witness(&x.cs(), || Ok(x.value()?.inverse().unwrap_or(Fr::zero())))?;
    enforce_mul(x, &inv, &FpVar::Constant(Fr::from(1u64)))
}

/// The bit `x == 0` (two constraints).
pub fn is_zero(x: &FpVar<Fr>) -> Result<Boolean<Fr>, SynthesisError> {
    x.is_eq(&FpVar::Constant(Fr::zero()))
}
