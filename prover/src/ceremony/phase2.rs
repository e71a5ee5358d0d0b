//! Phase 2: a contribution to a circuit's keys ([`apply_delta`]) and the
//! check of a circuit's keys against the powers of tau they were derived
//! from ([`check_keys`]), by random linear combinations.

use ark_bn254::{
    g1::Config as G1Config, Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective,
};
use ark_ec::{AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand, Zero};
use ark_groth16::ProvingKey;
use ark_poly::EvaluationDomain;
use rand_chacha::ChaCha20Rng;

use super::derive::domain;
use super::fastmul::{mul_all, Recoded};
use super::pok::same_ratio;
use super::powers::Powers;
use super::Target;

/// Multiplies delta by `d`: `delta_g1` and `delta_g2` by `d`, the H and L
/// queries by `1/d`. Nothing else changes.
pub fn apply_delta(pk: &mut ProvingKey<Bn254>, d: &Fr) {
    let inv = d.inverse().expect("a contribution's secret is nonzero");
    pk.delta_g1 = (pk.delta_g1.into_group() * d).into_affine();
    pk.vk.delta_g2 = (pk.vk.delta_g2.into_group() * d).into_affine();
    let inv = Recoded::new::<G1Config>(&inv);
    let scale = |points: &mut Vec<G1Affine>| {
        *points = G1Projective::normalize_batch(&mul_all(points, &inv));
    };
    scale(&mut pk.h_query);
    scale(&mut pk.l_query);
}

/// `sum_j s_j L_j(tau) * P` for the powers `bases = tau^k * P` of a domain:
/// the MSM of the first `n` powers with the inverse FFT of `s`.
fn lagrange_msm<G: VariableBaseMSM<ScalarField = Fr>>(
    n: usize,
    bases: &[G::MulBase],
    s: &[Fr],
) -> G {
    let dom = ark_poly::GeneralEvaluationDomain::<Fr>::new(n).expect("a power-of-two domain");
    let coeffs = dom.ifft(s);
    G::msm_unchecked(&bases[..n], &coeffs)
}

/// The scalars `s_j = sum_i rho_i M[j][i]` over the domain's points
/// (with the libsnark reduction's extra rows for A).
fn row_sums(target: &Target, k: usize, rho: &[Fr], n: usize, extra_rows: bool) -> Vec<Fr> {
    let info = &target.info;
    let mut s = vec![Fr::zero(); n];
    for (j, terms) in target.matrices[k].iter().enumerate() {
        s[j] = terms.iter().map(|(c, i)| *c * rho[*i]).sum();
    }
    if extra_rows {
        for i in 0..info.instance_variables {
            s[info.constraints + i] += rho[i];
        }
    }
    s
}

/// Checks a circuit's phase-2 keys against the powers of tau: alpha, beta,
/// gamma (= the generator of G2) copied from phase 1; the A, B (G1 and G2)
/// queries and gamma_abc equal to their derivation (see [`super::start_keys`]); the
/// H and L queries equal to their derivation divided by the delta of
/// `delta_g1` (which must be `expected_delta_g1`, non-identity, and match
/// `delta_g2`). Each vector is compared by one random linear combination
/// with fresh full-size scalars; names the first part that differs.
pub fn check_keys(
    powers: &Powers,
    target: &Target,
    pk: &ProvingKey<Bn254>,
    expected_delta_g1: G1Affine,
    rng: &mut ChaCha20Rng,
) -> Result<(), String> {
    let info = &target.info;
    let (l, w) = (info.instance_variables, info.witness_variables);
    let variables = l + w;
    let n = domain(info.constraints, l)
        .ok_or("the circuit is too large for any evaluation domain")?
        .size();
    if n > powers.size() {
        return Err(format!(
            "the circuit needs 2^{} powers, phase 1 has 2^{}",
            n.trailing_zeros(),
            powers.power
        ));
    }
    for (name, got, expected) in [
        ("a_query", pk.a_query.len(), variables),
        ("b_g1_query", pk.b_g1_query.len(), variables),
        ("b_g2_query", pk.b_g2_query.len(), variables),
        ("l_query", pk.l_query.len(), w),
        ("h_query", pk.h_query.len(), n - 1),
        ("gamma_abc_g1", pk.vk.gamma_abc_g1.len(), l),
    ] {
        if got != expected {
            return Err(format!(
                "{name} has {got} points, the circuit needs {expected}"
            ));
        }
    }
    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    if pk.vk.alpha_g1 != powers.alpha_tau_g1[0] {
        return Err("alpha_g1 is not phase 1's alpha".into());
    }
    if pk.beta_g1 != powers.beta_tau_g1[0] {
        return Err("beta_g1 is not phase 1's beta".into());
    }
    if pk.vk.beta_g2 != powers.beta_g2 {
        return Err("beta_g2 is not phase 1's beta".into());
    }
    if pk.vk.gamma_g2 != g2 {
        return Err("gamma_g2 is not the generator of G2".into());
    }
    if pk.delta_g1 != expected_delta_g1 {
        return Err("delta_g1 is not the last contribution's delta".into());
    }
    if pk.delta_g1.is_zero() || pk.vk.delta_g2.is_zero() {
        return Err("delta is the identity".into());
    }
    if !same_ratio(g1, pk.delta_g1, g2, pk.vk.delta_g2) {
        return Err("delta_g1 and delta_g2 hold different deltas".into());
    }
    let rho: Vec<Fr> = (0..variables).map(|_| Fr::rand(rng)).collect();
    let (mut inst, mut wit) = (rho.clone(), rho.clone());
    inst[l..].iter_mut().for_each(|x| *x = Fr::zero());
    wit[..l].iter_mut().for_each(|x| *x = Fr::zero());
    let sums = |r: &[Fr]| {
        [
            row_sums(target, 0, r, n, true),
            row_sums(target, 1, r, n, false),
            row_sums(target, 2, r, n, false),
        ]
    };
    let [sa, sb, _] = sums(&rho);
    let tau1 = &powers.tau_g1;
    let msm1 = |bases: &[G1Affine], s: &[Fr]| lagrange_msm::<G1Projective>(n, bases, s);

    if G1Projective::msm_unchecked(&pk.a_query, &rho) != msm1(tau1, &sa) {
        return Err("a_query is not A(tau) of the circuit's columns".into());
    }
    if G1Projective::msm_unchecked(&pk.b_g1_query, &rho) != msm1(tau1, &sb) {
        return Err("b_g1_query is not B(tau) of the circuit's columns".into());
    }
    if G2Projective::msm_unchecked(&pk.b_g2_query, &rho)
        != lagrange_msm::<G2Projective>(n, &powers.tau_g2, &sb)
    {
        return Err("b_g2_query is not B(tau) of the circuit's columns".into());
    }
    // (beta*A + alpha*B + C)(tau) for a combination of the variables.
    let abc = |r: &[Fr]| {
        let [sa, sb, sc] = sums(r);
        msm1(&powers.beta_tau_g1, &sa) + msm1(&powers.alpha_tau_g1, &sb) + msm1(tau1, &sc)
    };
    if G1Projective::msm_unchecked(&pk.vk.gamma_abc_g1, &inst[..l]) != abc(&inst) {
        return Err("gamma_abc_g1 is not (beta*A + alpha*B + C)(tau) of the public inputs".into());
    }
    let l_sum = G1Projective::msm_unchecked(&pk.l_query, &wit[l..]).into_affine();
    if !same_ratio(abc(&wit).into_affine(), l_sum, pk.vk.delta_g2, g2) {
        return Err("l_query is not (beta*A + alpha*B + C)(tau)/delta of the witness".into());
    }
    let rh: Vec<Fr> = (0..n - 1).map(|_| Fr::rand(rng)).collect();
    let h_sum = G1Projective::msm_unchecked(&pk.h_query, &rh).into_affine();
    let z = G1Projective::msm_unchecked(&tau1[n..2 * n - 1], &rh)
        - G1Projective::msm_unchecked(&tau1[..n - 1], &rh);
    if !same_ratio(z.into_affine(), h_sum, pk.vk.delta_g2, g2) {
        return Err("h_query is not tau^i*Z(tau)/delta".into());
    }
    Ok(())
}
