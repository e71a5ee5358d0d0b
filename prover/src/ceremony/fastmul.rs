//! Scalar multiplications of many points at once, faster than `p * s` one
//! point at a time: each scalar is split by the GLV endomorphism into two
//! halves of about 128 bits (arkworks does that for G1 only; for G2 its
//! `p * s` is a plain double-and-add over 254 bits), each half is written in
//! signed windows (wNAF, width [`WINDOW`]), and the tables of odd multiples
//! of a chunk of points are converted to affine coordinates with one shared
//! inversion, so that the loop's additions are mixed ones.
//!
//! The results are the same group elements as `p * s` (only the order of the
//! group operations differs), so every file the ceremony writes is unchanged.
//! Also here: the inverse FFT of group elements built on them (the Lagrange
//! basis), and the G2 subgroup check of points read from files.

use ark_bn254::{Fr, G2Affine};
use ark_ec::scalar_mul::glv::GLVConfig;
use ark_ec::short_weierstrass::{Affine, Projective};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup};
use ark_ff::{BigInteger, Field, PrimeField, Zero};
use ark_poly::{EvaluationDomain, GeneralEvaluationDomain};
use rayon::prelude::*;
use zeroize::Zeroize;

/// The wNAF window width: digits are odd and below `2^(WINDOW-1)` in
/// absolute value, so a point's table holds `2^(WINDOW-2)` odd multiples.
const WINDOW: usize = 5;
const TABLE: usize = 1 << (WINDOW - 2);
/// Points whose tables share one batch inversion (and one rayon task).
const CHUNK: usize = 256;

/// A scalar recoded for [`mul_each`] and [`mul_all`]: `k = k1 + lambda*k2`
/// (mod r) with the signed wNAF digits of `k1` and `k2`, least significant
/// first. Wiped when dropped (a contribution's scalars are secrets).
#[derive(Clone, Debug, Default)]
pub struct Recoded {
    k1: Vec<i8>,
    k2: Vec<i8>,
}

impl Drop for Recoded {
    fn drop(&mut self) {
        self.k1.zeroize();
        self.k2.zeroize();
    }
}

/// The wNAF digits of `k`, negated if `!positive`.
fn digits<B: BigInteger>(k: B, positive: bool) -> Vec<i8> {
    let sign = |d: i8| if positive { d } else { -d };
    let limbs = k.as_ref();
    if limbs[2..].iter().any(|&l| l != 0) {
        // Not a GLV half nor a small scalar: arkworks' recoding.
        let mut w = k.find_wnaf(WINDOW).expect("a window between 2 and 63");
        let out = w.iter().map(|&d| sign(d as i8)).collect();
        w.zeroize();
        return out;
    }
    // The same digits with u128 arithmetic; `carry` is bit 128 (adding a
    // negative digit's magnitude may overflow 128 bits).
    let mut e = u128::from(limbs[0]) | (u128::from(limbs[1]) << 64);
    let mut carry = false;
    let mut out = Vec::with_capacity(130);
    while e != 0 || carry {
        let mut d = 0i8;
        if e & 1 == 1 {
            let m = (e & ((1 << WINDOW) - 1)) as i8;
            d = if m >= 1 << (WINDOW - 1) {
                m - (1 << WINDOW)
            } else {
                m
            };
            if d >= 0 {
                e -= d as u128;
            } else {
                let (v, c) = e.overflowing_add(d.unsigned_abs() as u128);
                e = v;
                carry = c;
            }
        }
        out.push(sign(d));
        e = (e >> 1) | (u128::from(carry) << 127);
        carry = false;
    }
    e.zeroize();
    out
}

impl Recoded {
    /// Recodes `k` for points of the curve `P`. A scalar of at most 128
    /// bits (or whose negation is) is used as it is, without the
    /// endomorphism: R1CS coefficients are often small.
    pub fn new<P: GLVConfig<ScalarField = Fr>>(k: &Fr) -> Recoded {
        let big = k.into_bigint();
        if big.num_bits() <= 128 {
            return Recoded {
                k1: digits(big, true),
                k2: Vec::new(),
            };
        }
        let neg = (-*k).into_bigint();
        if neg.num_bits() <= 128 {
            return Recoded {
                k1: digits(neg, false),
                k2: Vec::new(),
            };
        }
        let ((s1, k1), (s2, k2)) = P::scalar_decomposition(*k);
        Recoded {
            k1: digits(k1.into_bigint(), s1),
            k2: digits(k2.into_bigint(), s2),
        }
    }
}

/// Recodes every scalar (in parallel).
pub fn recode_all<P: GLVConfig<ScalarField = Fr>>(scalars: &[Fr]) -> Vec<Recoded> {
    scalars.par_iter().map(Recoded::new::<P>).collect()
}

/// The odd multiples `P, 3P, ..., (2*TABLE-1)P` of each point, in affine
/// coordinates (one batch inversion for the whole chunk).
fn tables<P: GLVConfig>(points: &[Affine<P>]) -> Vec<Affine<P>> {
    let mut t = Vec::with_capacity(points.len() * TABLE);
    for p in points {
        let mut acc = p.into_group();
        let twice = acc.double();
        t.push(acc);
        for _ in 1..TABLE {
            acc += &twice;
            t.push(acc);
        }
    }
    Projective::normalize_batch(&t)
}

#[inline(always)]
fn add_digit<P: GLVConfig>(acc: &mut Projective<P>, table: &[Affine<P>], d: Option<&i8>) {
    match d {
        Some(&d) if d > 0 => *acc += &table[(d as usize - 1) / 2],
        Some(&d) if d < 0 => *acc -= &table[((-d) as usize - 1) / 2],
        _ => {}
    }
}

/// `k * P` from the table of `P` (see [`tables`]).
fn mul_table<P: GLVConfig>(t1: &[Affine<P>], k: &Recoded) -> Projective<P> {
    let mut t2 = [Affine::<P>::identity(); TABLE];
    if !k.k2.is_empty() {
        for (e, p) in t2.iter_mut().zip(t1) {
            *e = P::endomorphism_affine(p);
        }
    }
    let mut acc = Projective::<P>::zero();
    for i in (0..k.k1.len().max(k.k2.len())).rev() {
        acc.double_in_place();
        add_digit(&mut acc, t1, k.k1.get(i));
        add_digit(&mut acc, &t2, k.k2.get(i));
    }
    acc
}

/// `points[i] * scalar(i)` for every `i`.
fn mul_by<'a, P: GLVConfig>(
    points: &[Affine<P>],
    scalar: impl Fn(usize) -> &'a Recoded + Sync,
) -> Vec<Projective<P>> {
    let mut out = vec![Projective::<P>::zero(); points.len()];
    out.par_chunks_mut(CHUNK)
        .zip(points.par_chunks(CHUNK))
        .enumerate()
        .for_each(|(c, (out, points))| {
            let t = tables(points);
            for (i, o) in out.iter_mut().enumerate() {
                *o = mul_table(&t[i * TABLE..(i + 1) * TABLE], scalar(c * CHUNK + i));
            }
        });
    out
}

/// `points[i] * scalars[i]` for every `i`.
pub fn mul_each<P: GLVConfig>(points: &[Affine<P>], scalars: &[Recoded]) -> Vec<Projective<P>> {
    assert_eq!(points.len(), scalars.len());
    mul_by(points, |i| &scalars[i])
}

/// `points[i] * scalar` for every `i`.
pub fn mul_all<P: GLVConfig>(points: &[Affine<P>], scalar: &Recoded) -> Vec<Projective<P>> {
    mul_by(points, |_| scalar)
}

/// `sum_i scalars[i] * points[i]` over each segment of consecutive terms
/// (segment `s` ends at `ends[s]`, the first starts at 0), the doublings of
/// a segment shared by its terms (Straus' method).
pub fn segment_sums<P: GLVConfig>(
    points: &[Affine<P>],
    scalars: &[Recoded],
    ends: &[usize],
) -> Vec<Projective<P>> {
    assert_eq!(points.len(), scalars.len());
    assert!(
        ends.windows(2).all(|w| w[0] <= w[1]) && ends.last().is_none_or(|&e| e == points.len())
    );
    let t1: Vec<Affine<P>> = points.par_chunks(CHUNK).flat_map_iter(tables).collect();
    (0..ends.len())
        .into_par_iter()
        .map(|s| {
            let (a, b) = (if s == 0 { 0 } else { ends[s - 1] }, ends[s]);
            straus(&t1[a * TABLE..b * TABLE], &scalars[a..b])
        })
        .collect()
}

/// `sum_i k[i] * P_i` from the tables of the `P_i` (see [`tables`]).
fn straus<P: GLVConfig>(t1: &[Affine<P>], k: &[Recoded]) -> Projective<P> {
    let t2: Vec<Affine<P>> = if k.iter().any(|k| !k.k2.is_empty()) {
        t1.iter().map(P::endomorphism_affine).collect()
    } else {
        Vec::new()
    };
    let len = k
        .iter()
        .map(|k| k.k1.len().max(k.k2.len()))
        .max()
        .unwrap_or(0);
    let mut acc = Projective::<P>::zero();
    for i in (0..len).rev() {
        acc.double_in_place();
        for (j, k) in k.iter().enumerate() {
            let at = j * TABLE..(j + 1) * TABLE;
            add_digit(&mut acc, &t1[at.clone()], k.k1.get(i));
            if !k.k2.is_empty() {
                add_digit(&mut acc, &t2[at], k.k2.get(i));
            }
        }
    }
    acc
}

/// The inverse FFT over the domain of size `points.len()` (a power of two)
/// of group elements: `out[j] = (1/n) sum_k omega^(-jk) points[k]`, as
/// ark-poly's `ifft` computes it, with the twiddle multiplications of each
/// round done together by [`mul_by`].
pub fn ifft<P: GLVConfig<ScalarField = Fr>>(points: &[Affine<P>]) -> Vec<Affine<P>> {
    let n = points.len();
    let domain = GeneralEvaluationDomain::<Fr>::new(n).expect("a power-of-two domain");
    assert_eq!(domain.size(), n, "the size must be a power of two");
    if n == 1 {
        return points.to_vec();
    }
    // roots[k] = omega^(-k) for k < n/2.
    let inv = domain.group_gen_inv();
    let mut roots = Vec::with_capacity(n / 2);
    let mut r = Fr::ONE;
    for _ in 0..n / 2 {
        roots.push(r);
        r *= inv;
    }
    let roots = recode_all::<P>(&roots);
    let mut x: Vec<Projective<P>> = points.par_iter().map(|p| p.into_group()).collect();
    // Decimation in frequency: natural order in, bit-reversed order out.
    let mut gap = n / 2;
    while gap >= 1 {
        let stride = n / (2 * gap);
        x.par_chunks_mut(2 * gap).for_each(|c| {
            let (lo, hi) = c.split_at_mut(gap);
            for (a, b) in lo.iter_mut().zip(hi.iter_mut()) {
                let d = *a - *b;
                *a += *b;
                *b = d;
            }
        });
        if gap > 1 {
            // hi[k] *= omega^(-k*stride) for k >= 1 of every block.
            let at: Vec<(usize, usize)> = (0..n)
                .step_by(2 * gap)
                .flat_map(|s| (1..gap).map(move |k| (s + gap + k, k * stride)))
                .collect();
            let pts: Vec<Projective<P>> = at.iter().map(|&(i, _)| x[i]).collect();
            let pts = Projective::normalize_batch(&pts);
            let done = mul_by(&pts, |j| &roots[at[j].1]);
            for (&(i, _), p) in at.iter().zip(done) {
                x[i] = p;
            }
        }
        gap /= 2;
    }
    let bits = n.trailing_zeros();
    let mut y = Projective::normalize_batch(&x);
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            y.swap(i, j);
        }
    }
    let size_inv = Recoded::new::<P>(&domain.size_inv());
    Projective::normalize_batch(&mul_all(&y, &size_inv))
}

/// Whether each point of the G2 curve is in the prime-order subgroup (the
/// points must be on the curve, which the caller checks). Arkworks'
/// `Validate::Yes` tests `[6x^2]P = psi(P)` (eprint 2022/352, section 4.3)
/// with a double-and-add over 127 bits; this is the equivalent test of
/// eprint 2022/348 (sections 3 and 5.1, as gnark-crypto does it for BN254),
/// `[x+1]P + psi([x]P) + psi^2([x]P) = psi^3([2x]P)`, which needs only
/// `[x]P` (64 bits), computed for all the points at once by [`mul_all`].
pub fn g2_in_subgroup(points: &[G2Affine]) -> Vec<bool> {
    // BN254's curve parameter x.
    const X: u64 = 4965661367192848881;
    let x = Recoded {
        k1: digits(ark_ff::BigInt::<4>::from(X), true),
        k2: Vec::new(),
    };
    let xp = Projective::normalize_batch(&mul_all(points, &x));
    points
        .par_iter()
        .zip(xp)
        .map(|(p, xp)| {
            let psi_xp = psi(&xp);
            let psi2_xp = psi(&psi_xp);
            let lhs = xp.into_group() + p + psi_xp + psi2_xp;
            lhs == psi(&psi2_xp).into_group().double()
        })
        .collect()
}

/// psi: the untwist-Frobenius-twist endomorphism of the G2 curve, as
/// ark-bn254's `g2.rs` defines it (`p_power_endomorphism`, private there).
fn psi(p: &G2Affine) -> G2Affine {
    use ark_bn254::Fq2;
    use ark_ff::MontFp;
    // PSI_X = (u+9)^((p-1)/3), PSI_Y = (u+9)^((p-1)/2).
    const PSI_X: Fq2 = Fq2::new(
        MontFp!("21575463638280843010398324269430826099269044274347216827212613867836435027261"),
        MontFp!("10307601595873709700152284273816112264069230130616436755625194854815875713954"),
    );
    const PSI_Y: Fq2 = Fq2::new(
        MontFp!("2821565182194536844548159561693502659359617185244120367078079554186484126554"),
        MontFp!("3505843767911556378687030309984248845540243509899259641013678093033130930403"),
    );
    let mut res = *p;
    res.x.frobenius_map_in_place(1);
    res.y.frobenius_map_in_place(1);
    res.x *= PSI_X;
    res.y *= PSI_Y;
    res
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_bn254::{G1Affine, G1Projective, G2Projective};
    use ark_ec::PrimeGroup;
    use ark_ff::UniformRand;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha20Rng;

    /// Random scalars and the edge cases: 0, 1, -1, small, minus small,
    /// 128-bit, and the halves' boundaries.
    fn scalars(rng: &mut ChaCha20Rng, n: usize) -> Vec<Fr> {
        let mut s: Vec<Fr> = vec![
            Fr::zero(),
            Fr::ONE,
            -Fr::ONE,
            Fr::from(2u64),
            -Fr::from(12345u64),
            Fr::from(u64::MAX),
            -Fr::from(u128::MAX),
            Fr::from(u128::MAX),
            Fr::from(u128::MAX) + Fr::ONE,
            -(Fr::from(u128::MAX) + Fr::ONE),
        ];
        s.extend((s.len()..n).map(|_| Fr::rand(rng)));
        s
    }

    #[test]
    fn many_multiplications_equal_arkworks_one_at_a_time() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let n = 2 * CHUNK + 37;
        let s = scalars(&mut rng, n);
        let mut p1: Vec<G1Affine> = (0..n)
            .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        p1[3] = G1Affine::identity();
        let p2: Vec<G2Affine> = (0..n)
            .map(|_| (G2Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        let r1 = recode_all::<ark_bn254::g1::Config>(&s);
        let r2 = recode_all::<ark_bn254::g2::Config>(&s);
        let got1 = mul_each(&p1, &r1);
        let got2 = mul_each(&p2, &r2);
        for i in 0..n {
            assert_eq!(got1[i], p1[i] * s[i], "G1 {i}");
            assert_eq!(got2[i], p2[i] * s[i], "G2 {i}");
        }
        let all = mul_all(&p2, &r2[17]);
        for i in 0..n {
            assert_eq!(all[i], p2[i] * s[17]);
        }
    }

    #[test]
    fn the_recoding_equals_arkworks_wnaf() {
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let mut ks: Vec<u128> = vec![0, 1, 2, 15, 16, 17, 31, u128::MAX, u128::MAX - 15, 1 << 127];
        ks.extend((0..1000).map(|_| rng.gen::<u128>() >> rng.gen_range(0..128)));
        for k in ks {
            let big = ark_ff::BigInt::<4>([k as u64, (k >> 64) as u64, 0, 0]);
            let expected: Vec<i8> = big
                .find_wnaf(WINDOW)
                .unwrap()
                .iter()
                .map(|&d| d as i8)
                .collect();
            assert_eq!(digits(big, true), expected, "{k}");
            let negated: Vec<i8> = expected.iter().map(|d| -d).collect();
            assert_eq!(digits(big, false), negated, "{k}");
        }
    }

    #[test]
    fn segment_sums_equal_arkworks() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let n = CHUNK + 90;
        let s = scalars(&mut rng, n);
        let p: Vec<G2Affine> = (0..n)
            .map(|_| (G2Projective::generator() * Fr::rand(&mut rng)).into_affine())
            .collect();
        let ends = [0, 1, 1, 5, 12, 12, 40, n - 3, n];
        let got = segment_sums(&p, &recode_all::<ark_bn254::g2::Config>(&s), &ends);
        assert_eq!(got.len(), ends.len());
        let mut start = 0;
        for (g, &end) in got.iter().zip(&ends) {
            let expected: G2Projective = (start..end).map(|i| p[i] * s[i]).sum();
            assert_eq!(*g, expected, "segment ending at {end}");
            start = end;
        }
    }

    #[test]
    fn the_group_fft_equals_ark_poly() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        for n in [1usize, 2, 4, 8, 64, 512] {
            let p1: Vec<G1Affine> = (0..n)
                .map(|_| (G1Projective::generator() * Fr::rand(&mut rng)).into_affine())
                .collect();
            let p2: Vec<G2Affine> = (0..n)
                .map(|_| (G2Projective::generator() * Fr::rand(&mut rng)).into_affine())
                .collect();
            let d = GeneralEvaluationDomain::<Fr>::new(n).unwrap();
            let mut e1: Vec<G1Projective> = p1.iter().map(|p| p.into_group()).collect();
            d.ifft_in_place(&mut e1);
            let mut e2: Vec<G2Projective> = p2.iter().map(|p| p.into_group()).collect();
            d.ifft_in_place(&mut e2);
            assert!(ifft(&p1) == G1Projective::normalize_batch(&e1), "G1 {n}");
            assert!(ifft(&p2) == G2Projective::normalize_batch(&e2), "G2 {n}");
        }
    }

    #[test]
    fn the_batched_subgroup_check_equals_arkworks() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        // Points of the G2 curve, most of them outside the subgroup.
        let mut points = Vec::new();
        while points.len() < 300 {
            let x = ark_bn254::Fq2::rand(&mut rng);
            if let Some(p) = G2Affine::get_point_from_x_unchecked(x, rng.gen()) {
                points.push(p);
            }
            points.push((G2Projective::generator() * Fr::rand(&mut rng)).into_affine());
        }
        points.push(G2Affine::identity());
        let got = g2_in_subgroup(&points);
        let mut outside = 0;
        for (p, ok) in points.iter().zip(got) {
            assert!(p.is_on_curve());
            assert_eq!(ok, p.is_in_correct_subgroup_assuming_on_curve());
            outside += usize::from(!ok);
        }
        assert!(outside > 100);
    }
}
