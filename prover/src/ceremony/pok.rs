//! Proofs of knowledge of a contribution's secrets, the hash to G2 they use,
//! the secrets themselves (from OS randomness or a beacon) and pairing
//! helpers.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::pairing::Pairing;
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{UniformRand, Zero};
use ark_serialize::CanonicalSerialize;
use rand_chacha::ChaCha20Rng;
use rand_core::{OsRng, RngCore, SeedableRng};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// Domain separator of the proof-of-knowledge challenge.
const POK_DOMAIN: &[u8] = b"zkpension/ceremony/v1/pok";
/// Domain separator of the mixing of OS randomness with user entropy.
const ENTROPY_DOMAIN: &[u8] = b"zkpension/ceremony/v1/entropy";

/// Compressed canonical bytes of a point (or any arkworks value).
pub fn compressed<T: CanonicalSerialize>(value: &T) -> Vec<u8> {
    let mut out = Vec::with_capacity(value.compressed_size());
    value
        .serialize_compressed(&mut out)
        .expect("serializing into a Vec cannot fail");
    out
}

/// A point of G2 whose discrete logarithm nobody knows: ChaCha20 seeded with
/// `digest` picks a random x coordinate (and sign) until it is on the curve,
/// and the point is multiplied by the cofactor into the prime-order group.
pub fn hash_to_g2(digest: &[u8; 32]) -> G2Affine {
    let mut rng = ChaCha20Rng::from_seed(*digest);
    G2Projective::rand(&mut rng).into_affine()
}

/// `e(a1, b2) == e(b1, a2)`: the pairs `(a1, b1)` in G1 and `(a2, b2)` in G2
/// have the same ratio.
pub fn same_ratio(a1: G1Affine, b1: G1Affine, a2: G2Affine, b2: G2Affine) -> bool {
    let lhs = Bn254::multi_pairing([a1, (-b1.into_group()).into_affine()], [b2, a2]);
    lhs.is_zero()
}

/// Proof of knowledge of `x` with `new = x * old` (Zcash powers-of-tau
/// style): `g1_s = s*G1` for a random `s`, `g1_sx = x*g1_s`, and
/// `g2_spx = x*r` for `r` = [`hash_to_g2`] of the transcript position and
/// `(g1_s, g1_sx)`. Checked by `e(g1_s, g2_spx) = e(g1_sx, r)` (whoever made
/// it knew `x`, since nobody knows the logarithm of `r`) and
/// `e(old, g2_spx) = e(new, r)` (the update used that same `x`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Pok {
    pub g1_s: G1Affine,
    pub g1_sx: G1Affine,
    pub g2_spx: G2Affine,
}

/// The challenge point `r` of a proof of knowledge: bound to the parent
/// hash, the contribution's index and the label of the secret.
pub fn challenge(
    parent: &[u8; 32],
    index: u32,
    label: &str,
    g1_s: &G1Affine,
    g1_sx: &G1Affine,
) -> G2Affine {
    let mut h = Sha256::new();
    h.update(POK_DOMAIN);
    h.update(parent);
    h.update(index.to_le_bytes());
    h.update((label.len() as u64).to_le_bytes());
    h.update(label.as_bytes());
    h.update(compressed(g1_s));
    h.update(compressed(g1_sx));
    hash_to_g2(&h.finalize().into())
}

impl Pok {
    /// Proves knowledge of `x` at this position of the transcript.
    pub fn prove(x: &Fr, parent: &[u8; 32], index: u32, label: &str, rng: &mut ChaCha20Rng) -> Pok {
        let mut s = nonzero(rng);
        let g1_s = (G1Projective::generator() * s).into_affine();
        s.zeroize();
        let g1_sx = (g1_s.into_group() * x).into_affine();
        let r = challenge(parent, index, label, &g1_s, &g1_sx);
        let g2_spx = (r.into_group() * x).into_affine();
        Pok {
            g1_s,
            g1_sx,
            g2_spx,
        }
    }

    /// Checks the proof and that `new = x * old` for its `x`.
    pub fn verify(
        &self,
        parent: &[u8; 32],
        index: u32,
        label: &str,
        old: G1Affine,
        new: G1Affine,
    ) -> Result<(), String> {
        for (name, zero) in [
            ("g1_s", self.g1_s.is_zero()),
            ("g1_sx", self.g1_sx.is_zero()),
            ("g2_spx", self.g2_spx.is_zero()),
            ("the new point", new.is_zero()),
        ] {
            if zero {
                return Err(format!("{label}: {name} is the identity"));
            }
        }
        let r = challenge(parent, index, label, &self.g1_s, &self.g1_sx);
        if !same_ratio(self.g1_s, self.g1_sx, r, self.g2_spx) {
            return Err(format!(
                "{label}: the proof of knowledge does not verify (e(g1_s, g2_spx) != e(g1_sx, r))"
            ));
        }
        if !same_ratio(old, new, r, self.g2_spx) {
            return Err(format!(
                "{label}: the new point is not the previous one times the proven secret"
            ));
        }
        Ok(())
    }
}

/// A uniformly random nonzero scalar.
pub fn nonzero(rng: &mut ChaCha20Rng) -> Fr {
    loop {
        let x = Fr::rand(rng);
        if !x.is_zero() {
            return x;
        }
    }
}

/// The random stream of a contribution: 32 bytes of OS randomness mixed
/// with the participant's optional entropy by SHA-256. The seed is wiped.
pub fn contribution_rng(entropy: Option<&[u8]>) -> ChaCha20Rng {
    let mut os = [0u8; 32];
    OsRng.fill_bytes(&mut os);
    let mut h = Sha256::new();
    h.update(ENTROPY_DOMAIN);
    h.update(os);
    if let Some(e) = entropy {
        h.update((e.len() as u64).to_le_bytes());
        h.update(e);
    }
    os.zeroize();
    let mut seed: [u8; 32] = h.finalize().into();
    let rng = ChaCha20Rng::from_seed(seed);
    seed.zeroize();
    rng
}

/// The seed of a beacon contribution: SHA-256 iterated `2^iterations_exp`
/// times over the beacon's bytes, as snarkjs' `beacon` does.
pub fn beacon_seed(beacon: &[u8], iterations_exp: u32) -> [u8; 32] {
    let mut hash: [u8; 32] = Sha256::digest(beacon).into();
    for _ in 1..(1u64 << iterations_exp) {
        hash = Sha256::digest(hash).into();
    }
    hash
}

/// The random stream of a beacon contribution (public and deterministic).
pub fn beacon_rng(beacon: &[u8], iterations_exp: u32) -> ChaCha20Rng {
    ChaCha20Rng::from_seed(beacon_seed(beacon, iterations_exp))
}
