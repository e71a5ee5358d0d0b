//! Phase 1: the powers of tau ([`Powers`]), a contribution to them, their
//! consistency check, and their file format.

use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, UniformRand};
use ark_serialize::{
    CanonicalDeserialize, CanonicalSerialize, Compress, SerializationError, Validate,
};
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;

use super::fastmul::{self, mul_each, recode_all};
use super::pok::same_ratio;

/// First bytes of a powers file.
pub const POWERS_MAGIC: &[u8; 16] = b"zkpension-ptau1\0";
/// The largest power a powers file may claim (2^28 is BN254's two-adicity).
pub const MAX_POWER: u32 = 28;

const G1_BYTES: usize = 64;
const G2_BYTES: usize = 128;

/// Powers of tau for `2^power`: `tau^i*G1` for `i < 2^(power+1) - 1`,
/// `tau^i*G2`, `alpha*tau^i*G1` and `beta*tau^i*G1` for `i < 2^power`, and
/// `beta*G2` (the layout of snarkjs' `.ptau` files).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Powers {
    pub power: u32,
    pub tau_g1: Vec<G1Affine>,
    pub tau_g2: Vec<G2Affine>,
    pub alpha_tau_g1: Vec<G1Affine>,
    pub beta_tau_g1: Vec<G1Affine>,
    pub beta_g2: G2Affine,
}

/// The points of a phase-1 state that each contribution's proofs of
/// knowledge link: `tau*G1`, `alpha*G1`, `beta*G1`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Phase1Key {
    pub tau_g1: G1Affine,
    pub alpha_g1: G1Affine,
    pub beta_g1: G1Affine,
}

impl Phase1Key {
    /// The labelled points in transcript order.
    pub fn labelled(&self) -> [(&'static str, G1Affine); 3] {
        [
            ("tau", self.tau_g1),
            ("alpha", self.alpha_g1),
            ("beta", self.beta_g1),
        ]
    }
}

/// `(len tau_g1, len of the other vectors)` for `power`.
pub fn lengths(power: u32) -> (usize, usize) {
    let n = 1usize << power;
    (2 * n - 1, n)
}

/// `[1, x, x^2, ...]`, `len` of them, times `c`.
fn powers_of(x: Fr, c: Fr, len: usize) -> Vec<Fr> {
    let mut out = Vec::with_capacity(len);
    let mut acc = c;
    for _ in 0..len {
        out.push(acc);
        acc *= x;
    }
    out
}

/// Multiplies each point by its scalar (see [`fastmul`]).
fn scale<P: GLVConfig<ScalarField = Fr>>(points: &mut [Affine<P>], scalars: &[Fr]) {
    let recoded = recode_all::<P>(scalars);
    let scaled = mul_each(points, &recoded);
    points.copy_from_slice(&Projective::normalize_batch(&scaled));
}

impl Powers {
    /// The start of a fresh ceremony: every point the generator
    /// (tau = alpha = beta = 1).
    pub fn fresh(power: u32) -> Powers {
        let (long, short) = lengths(power);
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        Powers {
            power,
            tau_g1: vec![g1; long],
            tau_g2: vec![g2; short],
            alpha_tau_g1: vec![g1; short],
            beta_tau_g1: vec![g1; short],
            beta_g2: g2,
        }
    }

    /// `2^power`.
    pub fn size(&self) -> usize {
        1 << self.power
    }

    /// The points the proofs of knowledge link.
    pub fn key(&self) -> Phase1Key {
        Phase1Key {
            tau_g1: self.tau_g1[1],
            alpha_g1: self.alpha_tau_g1[0],
            beta_g1: self.beta_tau_g1[0],
        }
    }

    /// Multiplies the state by fresh `tau`, `alpha`, `beta`: every point by
    /// its power of `tau`, and the alpha/beta ones by `alpha`/`beta`.
    pub fn apply(&mut self, tau: &Fr, alpha: &Fr, beta: &Fr) {
        let (long, short) = lengths(self.power);
        let mut pow = powers_of(*tau, Fr::one(), long);
        scale(&mut self.tau_g1, &pow);
        scale(&mut self.tau_g2, &pow[..short]);
        let mut scaled: Vec<Fr> = pow[..short].par_iter().map(|p| *p * alpha).collect();
        scale(&mut self.alpha_tau_g1, &scaled);
        scaled
            .par_iter_mut()
            .zip(&pow[..short])
            .for_each(|(s, p)| *s = *p * beta);
        scale(&mut self.beta_tau_g1, &scaled);
        self.beta_g2 = (self.beta_g2.into_group() * beta).into_affine();
        use zeroize::Zeroize;
        pow.zeroize();
        scaled.zeroize();
    }

    /// Checks that the state is powers of one tau with one alpha and one
    /// beta: first points the generators, no identity, and for each
    /// sequence `e(sum rho_i P_i, tau*G2) = e(sum rho_i P_(i+1), G2)` with
    /// fresh random full-size scalars `rho` (one pairing check per relation,
    /// the sums by multi-scalar multiplication). Names the failed relation.
    pub fn check(&self, rng: &mut ChaCha20Rng) -> Result<(), String> {
        let (long, short) = lengths(self.power);
        if self.tau_g1.len() != long
            || self.tau_g2.len() != short
            || self.alpha_tau_g1.len() != short
            || self.beta_tau_g1.len() != short
        {
            return Err(format!(
                "vectors of the wrong length for power {}",
                self.power
            ));
        }
        if self.tau_g1[0] != G1Affine::generator() {
            return Err("tauG1[0] is not the generator of G1".into());
        }
        if self.tau_g2[0] != G2Affine::generator() {
            return Err("tauG2[0] is not the generator of G2".into());
        }
        self.check_no_identity()?;
        let g1 = G1Affine::generator();
        let g2 = G2Affine::generator();
        let tau_g2 = self.tau_g2[1];
        let shifted_g1 = |name: &str, points: &[G1Affine], rng: &mut ChaCha20Rng| {
            let rho: Vec<Fr> = (0..points.len() - 1).map(|_| Fr::rand(rng)).collect();
            let lo = G1Projective::msm_unchecked(&points[..points.len() - 1], &rho);
            let hi = G1Projective::msm_unchecked(&points[1..], &rho);
            if same_ratio(lo.into_affine(), hi.into_affine(), g2, tau_g2) {
                Ok(())
            } else {
                Err(format!(
                    "{name} are not successive powers of the tau of tauG2[1] \
                     (e(sum rho_i P_i, tauG2) != e(sum rho_i P_(i+1), G2))"
                ))
            }
        };
        shifted_g1("tauG1", &self.tau_g1, rng)?;
        shifted_g1("alphaTauG1", &self.alpha_tau_g1, rng)?;
        shifted_g1("betaTauG1", &self.beta_tau_g1, rng)?;
        let rho: Vec<Fr> = (0..short - 1).map(|_| Fr::rand(rng)).collect();
        let lo = G2Projective::msm_unchecked(&self.tau_g2[..short - 1], &rho);
        let hi = G2Projective::msm_unchecked(&self.tau_g2[1..], &rho);
        if !same_ratio(g1, self.tau_g1[1], lo.into_affine(), hi.into_affine()) {
            return Err("tauG2 are not successive powers of the tau of tauG1[1]".into());
        }
        if !same_ratio(g1, self.beta_tau_g1[0], g2, self.beta_g2) {
            return Err("betaG2 and betaTauG1[0] hold different betas".into());
        }
        Ok(())
    }

    fn check_no_identity(&self) -> Result<(), String> {
        let first = |name: &str, found: Option<usize>| match found {
            Some(i) => Err(format!("{name}[{i}] is the identity")),
            None => Ok(()),
        };
        first(
            "tauG1",
            self.tau_g1.par_iter().position_any(|p| p.is_zero()),
        )?;
        first(
            "tauG2",
            self.tau_g2.par_iter().position_any(|p| p.is_zero()),
        )?;
        first(
            "alphaTauG1",
            self.alpha_tau_g1.par_iter().position_any(|p| p.is_zero()),
        )?;
        first(
            "betaTauG1",
            self.beta_tau_g1.par_iter().position_any(|p| p.is_zero()),
        )?;
        if self.beta_g2.is_zero() {
            return Err("betaG2 is the identity".into());
        }
        Ok(())
    }

    /// The file: [`POWERS_MAGIC`], the power (u32 little-endian), then every
    /// point in arkworks' uncompressed encoding: tauG1, tauG2, alphaTauG1,
    /// betaTauG1, betaG2.
    pub fn to_bytes(&self) -> Vec<u8> {
        let (long, short) = lengths(self.power);
        let mut out =
            Vec::with_capacity(20 + (long + 2 * short) * G1_BYTES + (short + 1) * G2_BYTES);
        out.extend_from_slice(POWERS_MAGIC);
        out.extend_from_slice(&self.power.to_le_bytes());
        put_all(&mut out, &self.tau_g1);
        put_all(&mut out, &self.tau_g2);
        put_all(&mut out, &self.alpha_tau_g1);
        put_all(&mut out, &self.beta_tau_g1);
        put_all(&mut out, &[self.beta_g2]);
        out
    }

    /// Reads a powers file: magic, power, exact length, then every point
    /// with arkworks' checks (on the curve, in the prime-order subgroup).
    /// Identity points are refused by [`Powers::check`].
    pub fn from_bytes(bytes: &[u8]) -> Result<Powers, String> {
        if bytes.len() < 20 || &bytes[..16] != POWERS_MAGIC {
            return Err("not a powers-of-tau file (bad magic)".into());
        }
        let power = u32::from_le_bytes(bytes[16..20].try_into().expect("4 bytes"));
        if !(1..=MAX_POWER).contains(&power) {
            return Err(format!("power {power} out of range 1..={MAX_POWER}"));
        }
        let (long, short) = lengths(power);
        let expected = 20 + (long + 2 * short) * G1_BYTES + (short + 1) * G2_BYTES;
        if bytes.len() != expected {
            return Err(format!(
                "{} bytes, a powers file of power {power} has {expected} (truncated or extended)",
                bytes.len()
            ));
        }
        let mut at = 20;
        let mut take = |count: usize, size: usize| {
            let s = &bytes[at..at + count * size];
            at += count * size;
            s
        };
        let tau_g1 = get_all::<G1Affine>(take(long, G1_BYTES), G1_BYTES, "tauG1")?;
        let tau_g2 = get_g2(take(short, G2_BYTES), "tauG2")?;
        let alpha_tau_g1 = get_all::<G1Affine>(take(short, G1_BYTES), G1_BYTES, "alphaTauG1")?;
        let beta_tau_g1 = get_all::<G1Affine>(take(short, G1_BYTES), G1_BYTES, "betaTauG1")?;
        let beta_g2 = get_g2(take(1, G2_BYTES), "betaG2")?[0];
        Ok(Powers {
            power,
            tau_g1,
            tau_g2,
            alpha_tau_g1,
            beta_tau_g1,
            beta_g2,
        })
    }

    /// The first `len` powers (`len <= 2^power`) as a smaller state, for a
    /// ceremony that needs fewer than a `.ptau` file holds.
    pub fn truncate(mut self, power: u32) -> Powers {
        if power < self.power {
            let (long, short) = lengths(power);
            self.tau_g1.truncate(long);
            self.tau_g2.truncate(short);
            self.alpha_tau_g1.truncate(short);
            self.beta_tau_g1.truncate(short);
            self.power = power;
        }
        self
    }
}

fn put_all<T: CanonicalSerialize>(out: &mut Vec<u8>, points: &[T]) {
    for p in points {
        p.serialize_uncompressed(&mut *out)
            .expect("serializing into a Vec cannot fail");
    }
}

fn get_all<T: CanonicalDeserialize + Send>(
    bytes: &[u8],
    size: usize,
    name: &str,
) -> Result<Vec<T>, String> {
    bytes
        .par_chunks(size)
        .enumerate()
        .map(|(i, chunk)| {
            T::deserialize_with_mode(chunk, Compress::No, Validate::Yes)
                .map_err(|e| format!("{name}[{i}] is not a valid point: {e}"))
        })
        .collect()
}

/// Reads uncompressed G2 points with the checks of arkworks' `Validate::Yes`
/// (on the curve, in the prime-order subgroup), the subgroup test computed
/// by [`fastmul::g2_in_subgroup`] for all of them at once.
fn get_g2(bytes: &[u8], name: &str) -> Result<Vec<G2Affine>, String> {
    let points = get_unchecked_g2(bytes, name)?;
    check_g2(&points).map_err(|i| {
        format!(
            "{name}[{i}] is not a valid point: {}",
            SerializationError::InvalidData
        )
    })?;
    Ok(points)
}

fn get_unchecked_g2(bytes: &[u8], name: &str) -> Result<Vec<G2Affine>, String> {
    bytes
        .par_chunks(G2_BYTES)
        .enumerate()
        .map(|(i, chunk)| {
            G2Affine::deserialize_with_mode(chunk, Compress::No, Validate::No)
                .map_err(|e| format!("{name}[{i}] is not a valid point: {e}"))
        })
        .collect()
}

/// Arkworks' validity check of each G2 point (on the curve, in the
/// prime-order subgroup), computed for all of them at once (see
/// [`fastmul::g2_in_subgroup`]): the index of the first bad point.
pub(super) fn check_g2(points: &[G2Affine]) -> Result<(), usize> {
    if let Some(i) = points.par_iter().position_first(|p| !p.is_on_curve()) {
        return Err(i);
    }
    match fastmul::g2_in_subgroup(points).iter().position(|ok| !ok) {
        Some(i) => Err(i),
        None => Ok(()),
    }
}

/// Used by tests: a state built from known secrets (`fresh` then `apply`).
pub fn from_secrets(power: u32, tau: &Fr, alpha: &Fr, beta: &Fr) -> Powers {
    let mut p = Powers::fresh(power);
    p.apply(tau, alpha, beta);
    p
}
