//! Poseidon gadget: `H(x1..xn)` of SPEC §1 in R1CS, with the native constants
//! of [`crate::poseidon::params`] (so native and gadget cannot drift apart).
//!
//! Each S-box `x^5` costs three constraints (`x2 = x*x`, `x4 = x2*x2`,
//! `x5 = x4*x`); adding round constants and the MDS layer are linear and free.
//! An S-box whose input is a constant (the first round's `state[0]`, a domain
//! tag) is folded and costs nothing. With `n` variable inputs the cost is
//! `3 * (8 * (n + 1) - 1 + R_P)`: 240 constraints for 2 inputs, 465 for 11.

use crate::field::Fr;
use crate::poseidon::{params, MAX_INPUTS};
use ark_r1cs_std::fields::{fp::FpVar, FieldVar};
use ark_relations::gr1cs::SynthesisError;

use super::lc::linear;

/// The Poseidon gadget (counterpart of [`crate::poseidon::hash`]).
pub struct PoseidonVar;

impl PoseidonVar {
    /// `H(inputs)`: circomlib's Poseidon of 1 to 12 inputs.
    ///
    /// Returns [`SynthesisError::ArityMismatch`] for 0 or more than 12 inputs.
    pub fn hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
        if inputs.is_empty() || inputs.len() > MAX_INPUTS {
            return Err(SynthesisError::ArityMismatch);
        }
        let p = params(inputs.len());
        let t = p.width;
        let mut state: Vec<FpVar<Fr>> = Vec::with_capacity(t);
        state.push(FpVar::zero());
        state.extend_from_slice(inputs);
        for r in 0..p.rounds() {
            let constants = &p.round_constants[r * t..(r + 1) * t];
            for (s, c) in state.iter_mut().zip(constants) {
                *s = linear([(Fr::from(1u64), &*s)], *c)?;
            }
            if p.is_full_round(r) {
                for s in state.iter_mut() {
                    *s = sbox(s)?;
                }
            } else {
                state[0] = sbox(&state[0])?;
            }
            state = p
                .mds
                .iter()
                .map(|row| linear(row.iter().copied().zip(state.iter()), Fr::from(0u64)))
                .collect::<Result<_, _>>()?;
        }
        Ok(state.swap_remove(0))
    }
}

/// `H(inputs)`; the same as [`PoseidonVar::hash`].
pub fn poseidon_hash(inputs: &[FpVar<Fr>]) -> Result<FpVar<Fr>, SynthesisError> {
    PoseidonVar::hash(inputs)
}

/// `x^5` as `x2 = x*x`, `x4 = x2*x2`, `x5 = x4*x`: three constraints.
fn sbox(x: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    let x2 = x.square()?;
    let x4 = x2.square()?;
    Ok(x4 * x)
}
