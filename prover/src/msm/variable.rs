//! The MSM over a proving key's own bases, with no precomputed table: the
//! default prover's engine, for a process that proves once and exits.
//!
//! Pippenger's method with the same parts as the table MSM: each scalar is
//! cut into `W` signed `c`-bit digits, base `Pᵢ` (negated for a negative
//! digit) goes into bucket `|dᵢⱼ|` of window `j`, and **all windows' buckets
//! are summed together** by pairwise affine additions sharing one inversion
//! per batch (`buckets::sum_buckets`). Each window's buckets are
//! then weighed, `Sⱼ = Σ_b b·B_(j,b)`, by running sums over segments of
//! every window at once, again in affine coordinates with shared inversions
//! (`buckets::running_sums`): with one projective running sum per
//! window they took a third of the MSM's time. The windows are joined by
//! Horner's rule with `c` doublings each, `Σⱼ 2^(c·j)·Sⱼ`: the doublings the
//! table saves, `c·W` per MSM, a small cost at this size.
//!
//! The window width follows the number of bucket entries, not of bases
//! ([`window_for_rows`]): most of a key's B bases are at infinity, and a
//! bit-valued witness fills one window, not all of them.
//!
//! Zero digits cost nothing, so a boolean witness value costs one bucket
//! entry, and bases at infinity are left out. Memory: one copy of a base per
//! non-zero digit, taken in passes over the windows of at most
//! [`MAX_POINTS`] points, so the prover stays small.

use std::ops::Range;

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, BigInteger, PrimeField, Zero};
use zeroize::Zeroize;

use super::buckets::{running_sums, signed_digits, sum_buckets};
use super::windows_for;

/// The most bucket entries of one pass: 2^15 affine points are 2.3 MiB in
/// G1 and 4.3 MiB in G2. A Contribute proof's peak memory as a process is
/// 30.6 MB with it against 37.6 MB with 2^16, at the same speed (2^13 and
/// 2^14 were no faster either: the passes do not gain from fitting a core's
/// cache).
pub const MAX_POINTS: usize = 1 << 15;

/// The window width for `n` bucket entries a window, close to arkworks'
/// `ln n + 2`: at 4,995 bases with random scalars (half a Contribute key's A
/// query, what one of two threads takes) width 10 is the fastest, 11 is 7%,
/// 9 12% and 12 19% slower (`cargo bench --bench prove -- msm_window`, see
/// `benches/README.md`); in whole proofs, widths one narrower than these
/// were slower and one wider no faster.
pub fn window_for(n: usize) -> u32 {
    match n {
        0..=63 => 4,
        64..=511 => 6,
        512..=2047 => 8,
        2048..=8191 => 10,
        8192..=32767 => 11,
        _ => 12,
    }
}

/// The window width for `Σ scalars[i]·bases[i]` over `rows`: [`window_for`]
/// of the bucket entries a window gets on average. A scalar of `b` bits has
/// about `b / c` non-zero digits, so it is counted as `b / 254` of an entry a
/// window (a bit-valued witness fills one window, a hash output all of them),
/// and a base at infinity not at all.
pub fn window_for_rows<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[<P::ScalarField as PrimeField>::BigInt],
    rows: Range<usize>,
) -> u32 {
    let bits: usize = rows
        .filter(|&i| !bases[i].is_zero())
        .map(|i| scalars[i].num_bits() as usize)
        .sum();
    window_for(bits / P::ScalarField::MODULUS_BIT_SIZE as usize)
}

/// `Σ scalars[i]·bases[i]` over `i ∈ rows`, on the calling thread, with
/// windows of `c` bits (2 to 20): summing the parts of a partition of
/// `0..bases.len()` gives the whole MSM, so parts can run as separate tasks.
///
/// # Panics
/// If `scalars` and `bases` differ in length, `rows` is out of range, or `c`
/// is outside 2..=20.
pub fn msm_rows<P: SWCurveConfig>(
    bases: &[Affine<P>],
    scalars: &[<P::ScalarField as PrimeField>::BigInt],
    rows: Range<usize>,
    c: u32,
) -> Projective<P> {
    assert_eq!(
        scalars.len(),
        bases.len(),
        "{} scalars for {} bases",
        scalars.len(),
        bases.len()
    );
    assert!((2..=20).contains(&c), "window width {c} outside 2..=20");
    let n = rows.len();
    let bases = &bases[rows.clone()];
    let scalars = &scalars[rows];
    let w = windows_for::<P::ScalarField>(c);
    // Slot 0 of every window is the zero digit's and stays empty.
    let slots = (1usize << (c - 1)) + 1;

    let mut digits = vec![0i32; n * w];
    for (i, row) in digits.chunks_exact_mut(w).enumerate() {
        if !bases[i].is_zero() {
            signed_digits(&scalars[i], c, row);
        }
    }

    let per_pass = (MAX_POINTS / n.max(1)).clamp(1, w);
    let mut window_sums = vec![Projective::<P>::zero(); w];
    let mut pts = Vec::new();
    for first in (0..w).step_by(per_pass) {
        let last = (first + per_pass).min(w);
        let mut lens = vec![0usize; (last - first) * slots];
        for row in digits.chunks_exact(w) {
            for (j, d) in row[first..last].iter().enumerate() {
                if *d != 0 {
                    lens[j * slots + d.unsigned_abs() as usize] += 1;
                }
            }
        }
        let mut offsets = Vec::with_capacity(lens.len());
        let mut total = 0;
        for &len in &lens {
            offsets.push(total);
            total += len;
        }
        // Counting sort of the (possibly negated) bases into the slots.
        let mut next = offsets.clone();
        pts.clear();
        pts.resize(total, Affine::<P>::identity());
        for (row, base) in digits.chunks_exact(w).zip(bases) {
            for (j, &d) in row[first..last].iter().enumerate() {
                if d == 0 {
                    continue;
                }
                let slot = j * slots + d.unsigned_abs() as usize;
                pts[next[slot]] = if d < 0 { -*base } else { *base };
                next[slot] += 1;
            }
        }
        sum_buckets(&mut pts, &offsets, &mut lens);
        let windows: Vec<_> = (0..last - first)
            .map(|j| j * slots + 1..(j + 1) * slots)
            .collect();
        window_sums[first..last].copy_from_slice(&running_sums(&pts, &offsets, &lens, &windows));
    }
    // The digits are the witness in another form.
    digits.zeroize();

    let mut acc = Projective::<P>::zero();
    for sum in window_sums.iter().rev() {
        for _ in 0..c {
            acc.double_in_place();
        }
        acc += sum;
    }
    acc
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{big, naive_msm, special_cases};
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine};
    use ark_ec::VariableBaseMSM;
    use ark_ff::UniformRand;
    use ark_std::rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    #[test]
    fn matches_arkworks_on_random_g1_and_g2_and_any_partition() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        for n in [0usize, 1, 2, 3, 17, 300] {
            let g1: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            let g2: Vec<G2Affine> = (0..n).map(|_| G2Affine::rand(&mut rng)).collect();
            let k: Vec<_> = (0..n).map(|_| big(Fr::rand(&mut rng))).collect();
            let (r1, r2) = (
                G1Projective::msm_bigint(&g1, &k),
                ark_bn254::G2Projective::msm_bigint(&g2, &k),
            );
            for c in [2, 3, 8, 13] {
                assert_eq!(msm_rows(&g1, &k, 0..n, c), r1, "G1 n={n} c={c}");
                assert_eq!(msm_rows(&g2, &k, 0..n, c), r2, "G2 n={n} c={c}");
                let cut = n / 3;
                let parts = msm_rows(&g1, &k, 0..cut, c) + msm_rows(&g1, &k, cut..n, c);
                assert_eq!(parts, r1, "G1 n={n} c={c}, in two parts");
            }
        }
    }

    /// More entries than one pass holds: the windows go in several passes.
    #[test]
    fn several_passes_give_the_same_sum() {
        let mut rng = ChaCha20Rng::seed_from_u64(6);
        let n = MAX_POINTS / 8 + 5;
        let g: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
        let k: Vec<_> = (0..n).map(|_| big(Fr::rand(&mut rng))).collect();
        assert_eq!(msm_rows(&g, &k, 0..n, 16), G1Projective::msm_bigint(&g, &k));
    }

    /// The affine additions' special cases ([`special_cases`]).
    #[test]
    fn special_cases_match_the_naive_sum() {
        let mut rng = ChaCha20Rng::seed_from_u64(7);
        let (bases, sets) = special_cases(&mut rng);
        for scalars in sets {
            let k: Vec<_> = scalars.iter().copied().map(big).collect();
            for c in [2, 4, 9] {
                assert_eq!(
                    msm_rows(&bases, &k, 0..bases.len(), c),
                    naive_msm(&bases, &k),
                    "c={c} {scalars:?}"
                );
            }
        }
    }

    #[test]
    #[should_panic(expected = "1 scalars for 2 bases")]
    fn wrong_scalar_count_panics() {
        let mut rng = ChaCha20Rng::seed_from_u64(8);
        let bases = vec![G1Affine::rand(&mut rng), G1Affine::rand(&mut rng)];
        let _ = msm_rows(&bases, &[big(Fr::from(1u64))], 0..2, 4);
    }
}
