//! A multi-Miller loop over BN254 pairs whose G2 side is prepared once and
//! borrowed, so the batch verifier can re-use a proof's prepared `B` in every
//! check of the bisection without copying its line coefficients.
//!
//! It computes exactly the value of arkworks' `Bn254::multi_miller_loop` (the
//! same loop over `ATE_LOOP_COUNT` and the same line functions, from
//! `ark_ec::models::bn`), with one accumulator for all the pairs it is given
//! instead of one per four pairs. The unit test below compares the two.

use ark_bn254::{Fq12, G1Affine};
use ark_ec::bn::{BnConfig, G2Prepared, TwistType};
use ark_ec::AffineRepr;
use ark_ff::{CyclotomicMultSubgroup, Field, One};

type Config = ark_bn254::Config;

/// A G2 point with its line coefficients.
pub(crate) type G2Lines = G2Prepared<Config>;

/// `prod_i f_{Q_i}(P_i)`: the Miller loop of every pair, multiplied together
/// (before the final exponentiation). Pairs with the identity on either side
/// contribute 1, as in arkworks.
pub(crate) fn multi_miller_loop(pairs: &[(G1Affine, &G2Lines)]) -> Fq12 {
    let pairs: Vec<(&G1Affine, &[_])> = pairs
        .iter()
        .filter(|(p, q)| !p.is_zero() && !q.infinity)
        .map(|(p, q)| (p, q.ell_coeffs.as_slice()))
        .collect();
    let mut f = Fq12::one();
    let mut step = 0;
    let lines = |f: &mut Fq12, step: &mut usize| {
        for (p, coeffs) in &pairs {
            ell(f, &coeffs[*step], p);
        }
        *step += 1;
    };
    let bits = Config::ATE_LOOP_COUNT;
    for i in (1..bits.len()).rev() {
        if i != bits.len() - 1 {
            f.square_in_place();
        }
        lines(&mut f, &mut step);
        if bits[i - 1] == 1 || bits[i - 1] == -1 {
            lines(&mut f, &mut step);
        }
    }
    if Config::X_IS_NEGATIVE {
        f.cyclotomic_inverse_in_place();
    }
    lines(&mut f, &mut step);
    lines(&mut f, &mut step);
    f
}

/// Multiplies `f` by the line with coefficients `coeffs` evaluated at `p`.
fn ell(f: &mut Fq12, coeffs: &ark_ec::bn::g2::EllCoeff<Config>, p: &G1Affine) {
    let (mut c0, mut c1, mut c2) = *coeffs;
    match Config::TWIST_TYPE {
        TwistType::M => {
            c2.mul_assign_by_fp(&p.y);
            c1.mul_assign_by_fp(&p.x);
            f.mul_by_014(&c0, &c1, &c2);
        }
        TwistType::D => {
            c0.mul_assign_by_fp(&p.y);
            c1.mul_assign_by_fp(&p.x);
            f.mul_by_034(&c0, &c1, &c2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{Bn254, G1Projective, G2Affine, G2Projective};
    use ark_ec::pairing::Pairing;
    use ark_ec::CurveGroup;
    use ark_std::UniformRand;
    use rand::SeedableRng;

    #[test]
    fn same_value_as_arkworks() {
        let mut rng = rand_chacha::ChaCha20Rng::seed_from_u64(5);
        for n in [0usize, 1, 2, 3, 7, 12] {
            let mut g1: Vec<G1Affine> = (0..n)
                .map(|_| G1Projective::rand(&mut rng).into_affine())
                .collect();
            let mut g2: Vec<G2Affine> = (0..n)
                .map(|_| G2Projective::rand(&mut rng).into_affine())
                .collect();
            if n > 2 {
                g1[1] = G1Affine::zero();
                g2[2] = G2Affine::zero();
            }
            let prepared: Vec<G2Lines> = g2.iter().map(|q| G2Lines::from(*q)).collect();
            let pairs: Vec<(G1Affine, &G2Lines)> = g1.iter().copied().zip(&prepared).collect();
            let ours = multi_miller_loop(&pairs);
            let theirs = Bn254::multi_miller_loop(g1.clone(), g2.clone()).0;
            assert_eq!(ours, theirs, "{n} pairs");
        }
    }
}
