//! The verifying key of one statement, and single-proof verification.

use ark_bn254::{Bn254, G1Affine, G1Projective, G2Affine};
use ark_ec::pairing::{MillerLoopOutput, Pairing};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::One;
use ark_groth16::PreparedVerifyingKey;
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize, Valid};
use zkpension_circuits::field::Fr;
use zkpension_circuits::Statement;

use crate::error::{KeyError, VerifyError};
use crate::ids::sha256_id;
use crate::pairing::{multi_miller_loop, G2Lines};
use crate::proof::Proof;

/// Bytes of a compressed G1 / G2 point, and of the length prefix of `gamma_abc_g1`.
const G1: usize = 32;
const G2: usize = 64;
const LEN_PREFIX: usize = 8;
/// Offset of the `gamma_abc_g1` length prefix: after alpha, beta, gamma, delta.
const PREFIX_AT: usize = G1 + 3 * G2;

/// The Groth16 verifying key of one statement, prepared once.
///
/// Every point is on its curve and in the prime-order subgroup, `alpha`,
/// `beta`, `gamma` and `delta` are not the identity, and the key has exactly one
/// `gamma_abc_g1` point per public input of its statement plus one.
#[derive(Clone, Debug)]
pub struct VerifyingKey {
    statement: Statement,
    vk: ark_groth16::VerifyingKey<Bn254>,
    pvk: PreparedVerifyingKey<Bn254>,
    /// `-beta`, prepared: the batch check pairs `sum(r_i) * alpha` with it.
    neg_beta: G2Lines,
    id: [u8; 32],
}

impl VerifyingKey {
    /// Checks `vk` against `statement` and prepares it.
    pub fn new(
        statement: Statement,
        vk: ark_groth16::VerifyingKey<Bn254>,
    ) -> Result<VerifyingKey, KeyError> {
        let expected = statement.num_public_inputs();
        if vk.gamma_abc_g1.len() != expected + 1 {
            return Err(KeyError::InputCount {
                statement,
                expected,
                got: vk.gamma_abc_g1.len().saturating_sub(1),
            });
        }
        let g2s: [(&'static str, &G2Affine); 3] = [
            ("beta", &vk.beta_g2),
            ("gamma", &vk.gamma_g2),
            ("delta", &vk.delta_g2),
        ];
        let g1s = std::iter::once(("alpha", &vk.alpha_g1))
            .chain(vk.gamma_abc_g1.iter().map(|p| ("gamma_abc", p)));
        for (name, point) in g1s {
            check_point(statement, name, point)?;
        }
        for (name, point) in g2s {
            check_point(statement, name, point)?;
        }
        for (element, zero) in [
            ("alpha", vk.alpha_g1.is_zero()),
            ("beta", vk.beta_g2.is_zero()),
            ("gamma", vk.gamma_g2.is_zero()),
            ("delta", vk.delta_g2.is_zero()),
        ] {
            if zero {
                return Err(KeyError::Degenerate { statement, element });
            }
        }
        let mut bytes = Vec::with_capacity(vk.compressed_size());
        vk.serialize_compressed(&mut bytes)
            .map_err(|e| KeyError::Encoding {
                statement,
                reason: e.to_string(),
            })?;
        let pvk = ark_groth16::prepare_verifying_key(&vk);
        let neg_beta = G2Lines::from(-vk.beta_g2);
        Ok(VerifyingKey {
            statement,
            id: sha256_id(&bytes),
            vk,
            pvk,
            neg_beta,
        })
    }

    /// Decodes a key from its compressed canonical encoding (as written by
    /// [`VerifyingKey::to_bytes`]), with every check of [`VerifyingKey::new`].
    pub fn from_bytes(statement: Statement, bytes: &[u8]) -> Result<VerifyingKey, KeyError> {
        let expected = statement.num_public_inputs();
        let encoding = |reason: String| KeyError::Encoding { statement, reason };
        let size = encoded_size(expected);
        let prefix = bytes
            .get(PREFIX_AT..PREFIX_AT + LEN_PREFIX)
            .ok_or_else(|| {
                encoding(format!("truncated: {} bytes, expected {size}", bytes.len()))
            })?;
        let mut word = [0u8; LEN_PREFIX];
        word.copy_from_slice(prefix);
        let points = u64::from_le_bytes(word);
        if points != expected as u64 + 1 {
            return Err(KeyError::InputCount {
                statement,
                expected,
                got: usize::try_from(points.saturating_sub(1)).unwrap_or(usize::MAX),
            });
        }
        if bytes.len() != size {
            return Err(encoding(format!("{} bytes, expected {size}", bytes.len())));
        }
        let vk = ark_groth16::VerifyingKey::<Bn254>::deserialize_compressed(bytes)
            .map_err(|e| encoding(e.to_string()))?;
        let key = VerifyingKey::new(statement, vk)?;
        if key.to_bytes() != bytes {
            return Err(encoding(
                "bytes differ from the canonical encoding of the key they decode to".into(),
            ));
        }
        Ok(key)
    }

    /// The compressed canonical encoding (the `.vk` file's content).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut bytes = Vec::with_capacity(self.vk.compressed_size());
        // Writing into a Vec cannot fail.
        let _ = self.vk.serialize_compressed(&mut bytes);
        bytes
    }

    /// SHA-256 of [`VerifyingKey::to_bytes`].
    pub fn id(&self) -> [u8; 32] {
        self.id
    }

    /// The statement this key verifies.
    pub fn statement(&self) -> Statement {
        self.statement
    }

    /// The arkworks verifying key.
    pub fn ark(&self) -> &ark_groth16::VerifyingKey<Bn254> {
        &self.vk
    }

    /// The arkworks prepared verifying key.
    pub fn prepared(&self) -> &PreparedVerifyingKey<Bn254> {
        &self.pvk
    }

    pub(crate) fn neg_beta(&self) -> &G2Lines {
        &self.neg_beta
    }

    /// Verifies `proof` for `public_inputs` (in SPEC order).
    ///
    /// The number of inputs must be the statement's: arkworks' own verifier
    /// would treat a missing input as 0 and ignore extra ones.
    pub fn verify(&self, proof: &Proof, public_inputs: &[Fr]) -> Result<(), VerifyError> {
        self.check_count(public_inputs.len())?;
        self.verify_prepared(
            &proof.0.a,
            &G2Lines::from(proof.0.b),
            &proof.0.c,
            public_inputs,
        )
    }

    /// The pairing check `e(A, B) = e(alpha, beta) * e(IC(x), gamma) * e(C, delta)`
    /// with `B` already prepared. The caller has checked the input count.
    pub(crate) fn verify_prepared(
        &self,
        a: &G1Affine,
        b: &G2Lines,
        c: &G1Affine,
        public_inputs: &[Fr],
    ) -> Result<(), VerifyError> {
        let ic = self.input_commitment(public_inputs).into_affine();
        let f = multi_miller_loop(&[
            (*a, b),
            (ic, &self.pvk.gamma_g2_neg_pc),
            (*c, &self.pvk.delta_g2_neg_pc),
        ]);
        match Bn254::final_exponentiation(MillerLoopOutput(f)) {
            Some(out) if out.0 == self.pvk.alpha_g1_beta_g2 => Ok(()),
            _ => Err(VerifyError::InvalidProof),
        }
    }

    pub(crate) fn check_count(&self, got: usize) -> Result<(), VerifyError> {
        let expected = self.statement.num_public_inputs();
        if got == expected {
            Ok(())
        } else {
            Err(VerifyError::InputCount { expected, got })
        }
    }

    /// `IC(x) = gamma_abc[0] + sum_j x_j * gamma_abc[j + 1]`.
    fn input_commitment(&self, inputs: &[Fr]) -> G1Projective {
        let mut scalars = Vec::with_capacity(inputs.len() + 1);
        scalars.push(Fr::one());
        scalars.extend_from_slice(inputs);
        self.msm_gamma_abc(&scalars)
    }

    /// `sum_j s_j * gamma_abc[j]` over all `n + 1` points.
    pub(crate) fn msm_gamma_abc(&self, scalars: &[Fr]) -> G1Projective {
        G1Projective::msm_unchecked(&self.vk.gamma_abc_g1, scalars)
    }

    pub(crate) fn alpha(&self) -> G1Affine {
        self.vk.alpha_g1
    }
}

/// The size of the compressed key of a statement with `inputs` public inputs.
pub fn encoded_size(inputs: usize) -> usize {
    PREFIX_AT + LEN_PREFIX + G1 * (inputs + 1)
}

fn check_point<P: Valid>(
    statement: Statement,
    name: &'static str,
    point: &P,
) -> Result<(), KeyError> {
    point.check().map_err(|_| KeyError::Encoding {
        statement,
        reason: format!("`{name}` is not a point of the prime-order subgroup"),
    })
}
