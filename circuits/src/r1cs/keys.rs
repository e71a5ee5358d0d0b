//! Key gadgets (SPEC §2): `nk = H(NK, sk)` and `owner = H(OWNER, sk)`,
//! counterparts of [`crate::keys::nullifier_key`] and [`crate::keys::owner`].

use crate::field::Fr;
use crate::keys::domain;
use ark_r1cs_std::fields::fp::FpVar;
use ark_relations::gr1cs::SynthesisError;

use super::poseidon::PoseidonVar;

/// `nk = H(NK, sk)`.
pub fn nullifier_key(sk: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    PoseidonVar::hash(&[FpVar::Constant(Fr::from(domain::NK)), sk.clone()])
}

/// `owner = H(OWNER, sk)`.
pub fn owner(sk: &FpVar<Fr>) -> Result<FpVar<Fr>, SynthesisError> {
    PoseidonVar::hash(&[FpVar::Constant(Fr::from(domain::OWNER)), sk.clone()])
}
