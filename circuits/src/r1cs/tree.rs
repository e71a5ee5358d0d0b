//! Merkle path gadget for the quaternary depth-24 commitment tree (SPEC §3),
//! counterpart of [`crate::tree::MerklePath`].
//!
//! Per level, 7 constraints besides the 4-input hash (297):
//! - the path digit as two boolean witnesses `b0`, `b1` (2 constraints; the
//!   digit is `b0 + 2 b1`) and their product `b01` (1), which make the digit's
//!   indicators linear: `e0 = 1 - b0 - b1 + b01`, `e1 = b0 - b01`, `e3 = b01`;
//! - the children in order, with the node at the digit's position and the
//!   three siblings around it:
//!   `c0 = s0 + e0 (n - s0)` (1), `c3 = s2 + e3 (n - s2)` (1),
//!   `c1 = s1 + (1 - b1)(s0 - s1) + e1 (n - s0)` (2), and `c2` linear, since
//!   the four children are the node and its siblings:
//!   `c2 = n + s0 + s1 + s2 - c0 - c1 - c3`;
//! - the parent `H(c0, c1, c2, c3)`.
//!
//! 304 constraints a level, 7,296 for the path (a binary tree of depth 32
//! costs 7,712 and holds 2^16 times fewer leaves).

use crate::field::Fr;
use crate::tree::{MerklePath, ARITY, DEPTH};
use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};
use std::borrow::Borrow;

use super::poseidon::PoseidonVar;

/// An authentication path: `DEPTH` digits and sibling triples, leaf level first.
#[derive(Clone, Debug)]
pub struct MerklePathVar {
    /// Digit `i` as its two bits `[low, high]`: the position of the level-`i`
    /// node among its parent's four children.
    pub digits: Vec<[Boolean<Fr>; 2]>,
    /// The three siblings of each level, in order of position.
    pub siblings: Vec<[FpVar<Fr>; ARITY - 1]>,
}

impl MerklePathVar {
    /// The root this path gives for `leaf`.
    pub fn root(&self, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut node = leaf.clone();
        for ([b0, b1], [s0, s1, s2]) in self.digits.iter().zip(&self.siblings) {
            let children = place(&node, [s0, s1, s2], b0, b1);
            node = PoseidonVar::hash(&children)?;
        }
        Ok(node)
    }
}

/// The four children `(c0, c1, c2, c3)` with `n` at position `b0 + 2 b1` and
/// the siblings `s` around it in order: 4 constraints (see the module docs).
fn place(n: &FpVar<Fr>, s: [&FpVar<Fr>; 3], b0: &Boolean<Fr>, b1: &Boolean<Fr>) -> [FpVar<Fr>; 4] {
    let one = FpVar::Constant(Fr::from(1u64));
    let (b0, b1) = (FpVar::from(b0.clone()), FpVar::from(b1.clone()));
    let b01 = &b0 * &b1;
    let e0 = &one - &b0 - &b1 + &b01;
    let e1 = &b0 - &b01;
    let c0 = s[0] + e0 * (n - s[0]);
    let c3 = s[2] + &b01 * (n - s[2]);
    let c1 = s[1] + (&one - &b1) * (s[0] - s[1]) + e1 * (n - s[0]);
    let c2 = n + s[0] + s[1] + s[2] - &c0 - &c1 - &c3;
    [c0, c1, c2, c3]
}

impl AllocVar<MerklePath, Fr> for MerklePathVar {
    fn new_variable<T: Borrow<MerklePath>>(
        cs: impl Into<Namespace<Fr>>,
        f: impl FnOnce() -> Result<T, SynthesisError>,
        mode: AllocationMode,
    ) -> Result<Self, SynthesisError> {
        let cs = cs.into().cs();
        let path: Option<MerklePath> = if cs.is_in_setup_mode() && mode != AllocationMode::Constant
        {
            None
        } else {
            Some(f()?.borrow().clone())
        };
        let bit = |i: usize| {
            path.as_ref()
                .map(|p| (p.index >> i) & 1 == 1)
                .ok_or(SynthesisError::AssignmentMissing)
        };
        let mut digits = Vec::with_capacity(DEPTH);
        let mut siblings = Vec::with_capacity(DEPTH);
        for level in 0..DEPTH {
            let low = Boolean::new_variable(cs.clone(), || bit(2 * level), mode)?;
            let high = Boolean::new_variable(cs.clone(), || bit(2 * level + 1), mode)?;
            digits.push([low, high]);
            let mut triple = Vec::with_capacity(ARITY - 1);
            for k in 0..ARITY - 1 {
                triple.push(FpVar::new_variable(
                    cs.clone(),
                    || {
                        path.as_ref()
                            .map(|p| p.siblings[level][k])
                            .ok_or(SynthesisError::AssignmentMissing)
                    },
                    mode,
                )?);
            }
            siblings.push(
                triple
                    .try_into()
                    .map_err(|_| SynthesisError::Unsatisfiable)?,
            );
        }
        Ok(MerklePathVar { digits, siblings })
    }
}
