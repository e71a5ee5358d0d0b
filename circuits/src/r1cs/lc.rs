//! Low-level helpers shared by the gadgets: linear combinations of `FpVar`s and
//! single R1CS constraints over them.
//!
//! The arkworks operators allocate a symbolic linear combination per `+` or
//! `*constant`; Poseidon's MDS layer builds each output as one combination
//! instead. `enforce_mul` states `a * b = c` as exactly one constraint, also when
//! some of the operands are constants (it never silently drops a constraint).

use crate::field::Fr;
use ark_ff::Zero;
use ark_r1cs_std::{fields::fp::AllocatedFp, fields::fp::FpVar, GR1CSVar};
use ark_relations::gr1cs::{ConstraintSystemRef, LinearCombination, SynthesisError, Variable};

/// The linear combination a variable stands for (`c * 1` for a constant).
pub(crate) fn lc_of(x: &FpVar<Fr>) -> LinearCombination<Fr> {
    match x {
        FpVar::Constant(c) if c.is_zero() => LinearCombination::zero(),
        FpVar::Constant(c) => LinearCombination::from((*c, Variable::One)),
        FpVar::Var(v) => LinearCombination::from(v.variable),
    }
}

/// The constraint system of the first non-constant variable, if any.
pub(crate) fn cs_of(xs: &[&FpVar<Fr>]) -> ConstraintSystemRef<Fr> {
    xs.iter()
        .fold(ConstraintSystemRef::None, |cs, x| cs.or(x.cs()))
}

/// `constant + sum coeff_i * x_i` as one variable (no constraint).
pub(crate) fn linear<'a>(
    terms: impl IntoIterator<Item = (Fr, &'a FpVar<Fr>)>,
    constant: Fr,
) -> Result<FpVar<Fr>, SynthesisError> {
    let mut cs = ConstraintSystemRef::None;
    let mut value = Some(constant);
    let mut lc = LinearCombination::zero();
    if !constant.is_zero() {
        lc += (constant, Variable::One);
    }
    for (coeff, x) in terms {
        match x {
            FpVar::Constant(c) => {
                value = value.map(|v| v + coeff * c);
                if !(coeff * c).is_zero() {
                    lc += (coeff * c, Variable::One);
                }
            }
            FpVar::Var(var) => {
                cs = cs.or(var.cs.clone());
                value = match (value, var.value()) {
                    (Some(v), Ok(x)) => Some(v + coeff * x),
                    _ => None,
                };
                lc += (coeff, var.variable);
            }
        }
    }
    if cs.is_none() {
        // Every term is a constant.
        return Ok(FpVar::Constant(value.unwrap_or_default()));
    }
    lc.compactify();
    let variable = cs.new_lc(|| lc)?;
    Ok(FpVar::Var(AllocatedFp::new(value, variable, cs)))
}

/// Enforces `a * b = c` as one R1CS constraint.
///
/// If all three are constants there is no constraint system to write to; the
/// relation is then checked directly and an unsatisfied one is an error.
pub(crate) fn enforce_mul(
    a: &FpVar<Fr>,
    b: &FpVar<Fr>,
    c: &FpVar<Fr>,
) -> Result<(), SynthesisError> {
    let cs = cs_of(&[a, b, c]);
    if cs.is_none() {
        return match (a, b, c) {
            (FpVar::Constant(a), FpVar::Constant(b), FpVar::Constant(c)) if *a * b == *c => Ok(()),
            _ => Err(SynthesisError::Unsatisfiable),
        };
    }
    cs.enforce_r1cs_constraint(|| lc_of(a), || lc_of(b), || lc_of(c))
}

/// Enforces `a = b` as one R1CS constraint, `(a - b) * 1 = 0`.
pub(crate) fn enforce_equal(a: &FpVar<Fr>, b: &FpVar<Fr>) -> Result<(), SynthesisError> {
    let diff = linear([(Fr::from(1u64), a), (-Fr::from(1u64), b)], Fr::zero())?;
    enforce_mul(
        &diff,
        &FpVar::Constant(Fr::from(1u64)),
        &FpVar::Constant(Fr::zero()),
    )
}

/// A new witness variable whose value is `f()` (computed only when proving).
pub(crate) fn witness(
    cs: &ConstraintSystemRef<Fr>,
    f: impl FnOnce() -> Result<Fr, SynthesisError>,
) -> Result<FpVar<Fr>, SynthesisError> {
    use ark_r1cs_std::alloc::AllocVar;
    FpVar::new_witness(cs.clone(), f)
}
