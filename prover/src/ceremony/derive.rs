//! The start of phase 2: each circuit's Groth16 keys computed from the
//! powers of tau, exactly as ark-groth16's `generate_parameters_with_qap`
//! (libsnark reduction) would compute them for that tau, alpha and beta with
//! gamma = delta = 1 and the standard generators.
//!
//! The Lagrange basis `L_j(tau)` over a circuit's evaluation domain is the
//! inverse FFT of `tau^k` carried out on group elements, once per domain
//! size; every query point is then a sparse sum over a column of the R1CS
//! matrices, computed once per distinct column ([`SumCache`]).

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{One, Zero};
use ark_groth16::{ProvingKey, VerifyingKey};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use ark_relations::gr1cs::Matrix;
use rayon::prelude::*;
use std::collections::HashMap;

use super::fastmul::{ifft, recode_all, segment_sums};
use super::powers::Powers;
use super::Target;

/// `L_j(tau)` for each point `j` of a domain, in G1, times alpha and beta in
/// G1, and in G2.
pub struct Lagrange {
    pub g1: Vec<G1Affine>,
    pub alpha_g1: Vec<G1Affine>,
    pub beta_g1: Vec<G1Affine>,
    pub g2: Vec<G2Affine>,
}

/// The evaluation domain Groth16 uses for a circuit with these counts.
pub fn domain(
    constraints: usize,
    instance_variables: usize,
) -> Option<GeneralEvaluationDomain<Fr>> {
    GeneralEvaluationDomain::<Fr>::new(constraints + instance_variables)
}

/// The Lagrange basis of a domain of size `n <= 2^power` at the powers'
/// tau: `L_j(tau) = (1/n) sum_k omega^(-jk) tau^k`, the inverse FFT of the
/// first `n` powers.
pub fn lagrange(powers: &Powers, n: usize) -> Lagrange {
    let domain = GeneralEvaluationDomain::<Fr>::new(n).expect("a power-of-two domain");
    assert_eq!(domain.size(), n, "domain size must be a power of two");
    let ((g1, alpha_g1), (beta_g1, g2)) = rayon::join(
        || {
            rayon::join(
                || ifft(&powers.tau_g1[..n]),
                || ifft(&powers.alpha_tau_g1[..n]),
            )
        },
        || {
            rayon::join(
                || ifft(&powers.beta_tau_g1[..n]),
                || ifft(&powers.tau_g2[..n]),
            )
        },
    );
    Lagrange {
        g1,
        alpha_g1,
        beta_g1,
        g2,
    }
}

/// A matrix by columns: for each variable, its `(row, coefficient)` terms,
/// sorted by coefficient so that equal coefficients are adjacent.
fn columns(matrix: &Matrix<Fr>, variables: usize) -> Vec<Vec<(usize, Fr)>> {
    let mut cols = vec![Vec::new(); variables];
    for (row, terms) in matrix.iter().enumerate() {
        for &(coeff, var) in terms {
            cols[var].push((row, coeff));
        }
    }
    cols.par_iter_mut().for_each(|c| c.sort_by_key(|a| a.1));
    cols
}

/// `sum c * bases[row]` over each column (sorted by coefficient): the bases
/// of equal coefficients are added first and multiplied once (R1CS columns
/// repeat coefficients), 1 and -1 need no multiplication, and the other
/// multiplications of all the columns are done together by
/// [`segment_sums`] (one segment per column, sharing its doublings).
fn column_sums<P: GLVConfig<ScalarField = Fr>>(
    bases: &[Affine<P>],
    cols: &[&Vec<(usize, Fr)>],
) -> Vec<Projective<P>> {
    let minus_one = -Fr::one();
    // Each column's sum of its +-1 groups, and its other groups' sums.
    type Parts<P> = (Projective<P>, Vec<(Projective<P>, Fr)>);
    let parts: Vec<Parts<P>> = cols
        .par_iter()
        .map(|terms| {
            let mut acc = Projective::<P>::zero();
            let mut rest = Vec::new();
            for group in terms.chunk_by(|a, b| a.1 == b.1) {
                let c = group[0].1;
                let mut s = Projective::<P>::zero();
                for (row, _) in group {
                    s += bases[*row];
                }
                if c.is_one() {
                    acc += s;
                } else if c == minus_one {
                    acc -= s;
                } else {
                    rest.push((s, c));
                }
            }
            (acc, rest)
        })
        .collect();
    let sums: Vec<Projective<P>> = parts
        .iter()
        .flat_map(|(_, rest)| rest.iter().map(|r| r.0))
        .collect();
    let coeffs: Vec<Fr> = parts
        .iter()
        .flat_map(|(_, rest)| rest.iter().map(|r| r.1))
        .collect();
    let ends: Vec<usize> = parts
        .iter()
        .scan(0, |end, (_, rest)| {
            *end += rest.len();
            Some(*end)
        })
        .collect();
    let products = segment_sums(
        &Projective::normalize_batch(&sums),
        &recode_all::<P>(&coeffs),
        &ends,
    );
    parts
        .into_par_iter()
        .zip(products)
        .map(|((acc, _), p)| acc + p)
        .collect()
}

/// Column sums already computed, keyed by the column's terms: the three
/// statements share most of their gadgets at the same rows (the Merkle path,
/// the note commitments), so over one domain most columns of one statement
/// are columns of another, and their sums are computed once.
#[derive(Default)]
pub struct SumCache {
    g1: [HashMap<Vec<(usize, Fr)>, G1Projective>; 5],
    g2: HashMap<Vec<(usize, Fr)>, G2Projective>,
}

/// The sums of `cols` over `bases`, each computed once per distinct column.
fn cached_sums<P: GLVConfig<ScalarField = Fr>>(
    cache: &mut HashMap<Vec<(usize, Fr)>, Projective<P>>,
    bases: &[Affine<P>],
    cols: &[Vec<(usize, Fr)>],
) -> Vec<Projective<P>> {
    let mut missing: Vec<&Vec<(usize, Fr)>> =
        cols.iter().filter(|c| !cache.contains_key(*c)).collect();
    missing.sort();
    missing.dedup();
    let computed = column_sums(bases, &missing);
    for (c, v) in missing.into_iter().zip(computed) {
        cache.insert(c.clone(), v);
    }
    cols.iter().map(|c| cache[c]).collect()
}

/// The phase-2 starting keys of `target` from `powers`, given the Lagrange
/// basis of its domain (see [`lagrange`]).
pub fn start_keys(powers: &Powers, lag: &Lagrange, target: &Target) -> ProvingKey<Bn254> {
    start_keys_cached(powers, lag, target, &mut SumCache::default())
}

/// [`start_keys`] with a cache of column sums shared by the targets of one
/// domain (and so one Lagrange basis).
pub fn start_keys_cached(
    powers: &Powers,
    lag: &Lagrange,
    target: &Target,
    cache: &mut SumCache,
) -> ProvingKey<Bn254> {
    let info = &target.info;
    let (m, l) = (info.constraints, info.instance_variables);
    let variables = l + info.witness_variables;
    let n = lag.g1.len();
    let [a, b, c] = [0, 1, 2].map(|k| columns(&target.matrices[k], variables));
    let [ca, cb, cba, cab, cc] = &mut cache.g1;
    let mut a_query = cached_sums(ca, &lag.g1, &a);
    let b_g1_query = cached_sums(cb, &lag.g1, &b);
    let b_g2_query = cached_sums(&mut cache.g2, &lag.g2, &b);
    let beta_a = cached_sums(cba, &lag.beta_g1, &a);
    let alpha_b = cached_sums(cab, &lag.alpha_g1, &b);
    let c_sums = cached_sums(cc, &lag.g1, &c);
    // A_i(tau) of an instance variable has the extra row m + i of the
    // libsnark reduction; (beta*A_i + alpha*B_i + C_i)(tau) is gamma_abc
    // for instance variables (gamma = 1), l for witness variables (delta = 1).
    let mut abc: Vec<G1Projective> = (0..variables)
        .into_par_iter()
        .map(|i| beta_a[i] + alpha_b[i] + c_sums[i])
        .collect();
    for i in 0..l {
        a_query[i] += lag.g1[m + i];
        abc[i] += lag.beta_g1[m + i];
    }
    // h_i = tau^i * Z(tau) = tau^(i+n) - tau^i, for i < n - 1.
    let h_query: Vec<G1Projective> = (0..n - 1)
        .into_par_iter()
        .map(|i| powers.tau_g1[i + n].into_group() - powers.tau_g1[i])
        .collect();

    let g1 = G1Affine::generator();
    let g2 = G2Affine::generator();
    let abc = G1Projective::normalize_batch(&abc);
    let vk = VerifyingKey::<Bn254> {
        alpha_g1: powers.alpha_tau_g1[0],
        beta_g2: powers.beta_g2,
        gamma_g2: g2,
        delta_g2: g2,
        gamma_abc_g1: abc[..l].to_vec(),
    };
    ProvingKey {
        vk,
        beta_g1: powers.beta_tau_g1[0],
        delta_g1: g1,
        a_query: G1Projective::normalize_batch(&a_query),
        b_g1_query: G1Projective::normalize_batch(&b_g1_query),
        b_g2_query: G2Projective::normalize_batch(&b_g2_query),
        h_query: G1Projective::normalize_batch(&h_query),
        l_query: abc[l..].to_vec(),
    }
}
