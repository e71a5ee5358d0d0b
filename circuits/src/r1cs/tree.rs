//! Merkle path gadget for the depth-32 commitment tree (SPEC §3), counterpart
//! of [`crate::tree::MerklePath`].
//!
//! Per level: the path bit is a boolean witness (1 constraint), the pair
//! `(left, right)` is a conditional swap in one constraint
//! (`t = bit * (sibling - node)`, `left = node + t`, `right = sibling - t`), and
//! the parent is `H(left, right)`. Bits are the leaf index, least significant
//! bit at the leaf.

use crate::field::Fr;
use crate::tree::{MerklePath, DEPTH};
use ark_r1cs_std::alloc::{AllocVar, AllocationMode};
use ark_r1cs_std::boolean::Boolean;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::{Namespace, SynthesisError};
use std::borrow::Borrow;

use super::poseidon::PoseidonVar;

/// An authentication path: `DEPTH` path bits and siblings, leaf level first.
#[derive(Clone, Debug)]
pub struct MerklePathVar {
    /// Bit `i` is true when the node at level `i` is a right child.
    pub bits: Vec<Boolean<Fr>>,
    /// Siblings from the leaf level up.
    pub siblings: Vec<FpVar<Fr>>,
}

impl MerklePathVar {
    /// The root this path gives for `leaf`.
    pub fn root(&self, leaf: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
        let mut node = leaf.clone();
        for (bit, sibling) in self.bits.iter().zip(&self.siblings) {
            // t = bit * (sibling - node): one constraint.
            let t = FpVar::from(bit.clone()) * (sibling - &node);
            let left = &node + &t;
            let right = sibling - &t;
            node = PoseidonVar::hash2(&left, &right)?;
        }
        Ok(node)
    }
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
        let bits_value = path.as_ref().map(MerklePath::bits);
        let mut bits = Vec::with_capacity(DEPTH);
        let mut siblings = Vec::with_capacity(DEPTH);
        for i in 0..DEPTH {
            bits.push(Boolean::new_variable(
                cs.clone(),
                || {
                    bits_value
                        .map(|b| b[i])
                        .ok_or(SynthesisError::AssignmentMissing)
                },
                mode,
            )?);
            siblings.push(FpVar::new_variable(
                cs.clone(),
                || {
                    path.as_ref()
                        .map(|p| p.siblings[i])
                        .ok_or(SynthesisError::AssignmentMissing)
                },
                mode,
            )?);
        }
        Ok(MerklePathVar { bits, siblings })
    }
}
