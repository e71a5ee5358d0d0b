//! The MSM over a [`FixedBaseTable`]: signed digits of the scalars, a
//! counting sort of the shifted bases into buckets, the buckets summed by
//! pairwise affine additions sharing one inversion per batch ([`PairBatch`]),
//! and the running sum over the buckets (see the [`crate::msm`] docs).

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::AffineRepr;
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use zeroize::Zeroize;

use super::FixedBaseTable;

impl<P: SWCurveConfig> FixedBaseTable<P> {
    /// `Σ scalars[i] · bases[i]`, on the calling thread.
    ///
    /// # Panics
    /// If `scalars.len()` is not [`Self::len`].
    pub fn msm(&self, scalars: &[<P::ScalarField as PrimeField>::BigInt]) -> Projective<P> {
        self.msm_rows(scalars, 0..self.rows.len())
    }

    /// The part of [`Self::msm`] over table rows `rows` (see [`Self::rows`]):
    /// summing the parts of a partition of `0..self.rows()` gives the whole
    /// MSM, so parts can run as separate tasks.
    ///
    /// # Panics
    /// If `scalars.len()` is not [`Self::len`] or `rows` is out of range.
    pub fn msm_rows(
        &self,
        scalars: &[<P::ScalarField as PrimeField>::BigInt],
        rows: std::ops::Range<usize>,
    ) -> Projective<P> {
        assert_eq!(
            scalars.len(),
            self.len,
            "the table was built for {} bases",
            self.len
        );
        let w = self.windows;
        let c = self.window;
        let buckets = 1usize << (c - 1);

        let first = rows.start;
        let table_rows = &self.rows[rows];
        let points = &self.points[first * w..(first + table_rows.len()) * w];

        // Signed digits of every (row, window), and how many land in each
        // bucket.
        let mut digits = vec![0i32; table_rows.len() * w];
        let mut counts = vec![0u32; buckets + 1];
        for (r, &i) in table_rows.iter().enumerate() {
            let row = &mut digits[r * w..(r + 1) * w];
            signed_digits(&scalars[i as usize], c, row);
            for d in row.iter() {
                counts[d.unsigned_abs() as usize] += 1;
            }
        }
        // counts[0] holds the zero digits, which are skipped.
        let mut offsets = vec![0usize; buckets + 1];
        let mut total = 0usize;
        for b in 1..=buckets {
            offsets[b] = total;
            total += counts[b] as usize;
        }
        let mut start = offsets.clone();

        // Counting sort of the (possibly negated) shifted bases by bucket.
        let mut pts = vec![Affine::<P>::identity(); total];
        for (k, &d) in digits.iter().enumerate() {
            if d == 0 {
                continue;
            }
            let b = d.unsigned_abs() as usize;
            let p = points[k];
            pts[start[b]] = if d < 0 { -p } else { p };
            start[b] += 1;
        }
        // The digits are the witness in another form.
        digits.zeroize();
        drop(digits);

        let mut lens: Vec<usize> = counts.iter().map(|&n| n as usize).collect();
        lens[0] = 0;
        sum_buckets(&mut pts, &offsets, &mut lens);
        let window = 1..buckets + 1;
        running_sums(&pts, &offsets, &lens, std::slice::from_ref(&window))
            .pop()
            .expect("one window")
    }
}

/// Sums every bucket in place: bucket `b` holds `pts[offsets[b]..][..lens[b]]`
/// on entry; on return `lens[b]` is 0 (an empty bucket) or 1, with the sum at
/// `pts[offsets[b]]`. The buckets are summed together, round by round, so
/// every round's additions of all buckets share their inversions.
pub(super) fn sum_buckets<P: SWCurveConfig>(
    pts: &mut [Affine<P>],
    offsets: &[usize],
    lens: &mut [usize],
) {
    let mut batch = PairBatch::default();
    loop {
        let mut any = false;
        for (&base, &n) in offsets.iter().zip(lens.iter()) {
            if n < 2 {
                continue;
            }
            any = true;
            for k in 0..n / 2 {
                let i = base + 2 * k;
                batch.push(i, i + 1, base + k);
                if batch.is_full() {
                    batch.flush(pts);
                }
            }
        }
        if !any {
            break;
        }
        batch.flush(pts);
        for (&base, n) in offsets.iter().zip(lens.iter_mut()) {
            if *n < 2 {
                continue;
            }
            if *n % 2 == 1 {
                pts[base + *n / 2] = pts[base + *n - 1];
            }
            *n = n.div_ceil(2);
        }
    }
}

/// `Σ_k k · B(w.start + k - 1)` for each window `w` of `windows`, over
/// summed buckets (`lens[b]` is 0 or 1, the sum at `pts[offsets[b]]`): the
/// lowest slot of a window weighs 1. Every window must have the same number
/// of slots, a power of two.
///
/// The usual running sum from the top bucket down costs two projective
/// additions a bucket. Here every window is cut into segments of `L` slots,
/// and the running sums of all segments of all windows advance in
/// lockstep, so each step's additions (one per segment) share one
/// inversion in affine coordinates, like the bucket sums. A segment `s`
/// gives its total `T_s` and its sum weighted from 1 at its own lowest slot,
/// `S_s`; the window's sum is then `Σ_s S_s + L·Σ_s s·T_s`.
pub(super) fn running_sums<P: SWCurveConfig>(
    pts: &[Affine<P>],
    offsets: &[usize],
    lens: &[usize],
    windows: &[std::ops::Range<usize>],
) -> Vec<Projective<P>> {
    let Some(first) = windows.first() else {
        return Vec::new();
    };
    let slots = first.len();
    assert!(
        slots.is_power_of_two() && windows.iter().all(|w| w.len() == slots),
        "windows of {slots} slots"
    );
    let segments = segments_for(windows.len(), slots);
    let seg_len = slots / segments;
    let chains = windows.len() * segments;
    // work[k]: the running sum of chain k (the bucket total so far);
    // work[chains + k]: its weighted sum; work[2·chains + k]: this step's
    // bucket.
    let mut work = vec![Affine::<P>::identity(); 3 * chains];
    let mut batch = PairBatch::default();
    for step in (0..seg_len).rev() {
        for (w, window) in windows.iter().enumerate() {
            for s in 0..segments {
                let k = w * segments + s;
                let b = window.start + s * seg_len + step;
                if lens[b] == 1 {
                    work[2 * chains + k] = pts[offsets[b]];
                    batch.push(k, 2 * chains + k, k);
                    if batch.is_full() {
                        batch.flush(&mut work);
                    }
                }
            }
        }
        batch.flush(&mut work);
        for k in 0..chains {
            batch.push(chains + k, k, chains + k);
            if batch.is_full() {
                batch.flush(&mut work);
            }
        }
        batch.flush(&mut work);
    }
    (0..windows.len())
        .map(|w| {
            let chain = |s: usize| w * segments + s;
            // Σ_s S_s, and Σ_s s·T_s by a running sum over the segments.
            let mut sum = Projective::<P>::zero();
            let mut running = Projective::<P>::zero();
            let mut weighted = Projective::<P>::zero();
            for s in (0..segments).rev() {
                sum += work[chains + chain(s)];
                if s > 0 {
                    running += work[chain(s)];
                    weighted += running;
                }
            }
            for _ in 0..seg_len.trailing_zeros() {
                weighted.double_in_place();
            }
            sum + weighted
        })
        .collect()
}

/// How many segments each of `windows` windows of `slots` slots is cut into
/// for [`running_sums`]: enough running sums in lockstep (about 256) that an
/// inversion shared among them costs little per addition, while each
/// segment's own finish (three projective additions) stays small against its
/// slots' affine additions. A power of two, at most `slots / 2`.
fn segments_for(windows: usize, slots: usize) -> usize {
    let target = 256usize.div_ceil(windows.max(1)).next_power_of_two();
    target.min(slots / 2).max(1)
}

/// Writes the signed `c`-bit digits of `k` into `out` (least significant
/// first): `k = Σ out[j]·2^(c·j)` with every digit in `[-2^(c-1), 2^(c-1))`.
pub(super) fn signed_digits<B: BigInteger>(k: &B, c: u32, out: &mut [i32]) {
    let limbs = k.as_ref();
    let mask = (1u64 << c) - 1;
    let half = 1i64 << (c - 1);
    let mut carry = 0i64;
    for (j, d) in out.iter_mut().enumerate() {
        let bit = j * c as usize;
        let limb = bit / 64;
        let shift = bit % 64;
        let mut v = if limb < limbs.len() {
            limbs[limb] >> shift
        } else {
            0
        };
        if shift + c as usize > 64 && limb + 1 < limbs.len() {
            v |= limbs[limb + 1] << (64 - shift);
        }
        let mut v = (v & mask) as i64 + carry;
        if v >= half {
            v -= 1i64 << c;
            carry = 1;
        } else {
            carry = 0;
        }
        *d = v as i32;
    }
    debug_assert_eq!(carry, 0, "scalar wider than its windows");
}

/// Pending affine additions `pts[o] = pts[i] + pts[j]`, done together
/// with one field inversion when the batch is full or flushed. A batch is
/// small enough for its points and denominators to stay in cache.
///
/// In-place safety: no addition of a batch may read a point another addition
/// of the same batch writes, except its own output. The bucket sums push the
/// pairs `(i, i + 1)` of a bucket in order, each writing `o ≤ i`, below the
/// inputs of every later pair; the running sums write each chain's own slot.
struct PairBatch<F> {
    pairs: Vec<(u32, u32, u32)>,
    kinds: Vec<Kind>,
    /// The prefix products of the denominators, then their inverses.
    scratch: Vec<F>,
    /// The denominators.
    dens: Vec<F>,
}

/// What an addition needs: an ordinary addition or a doubling (both with an
/// inverse), or no inversion at all (an operand at infinity, or the two
/// points cancel).
#[derive(Clone, Copy)]
enum Kind {
    Add,
    Double,
    Left,
    Right,
    Cancel,
}

/// Additions per shared inversion.
const BATCH: usize = 1024;

impl<F> Default for PairBatch<F> {
    fn default() -> Self {
        PairBatch {
            pairs: Vec::with_capacity(BATCH),
            kinds: Vec::with_capacity(BATCH),
            scratch: Vec::with_capacity(BATCH),
            dens: Vec::with_capacity(BATCH),
        }
    }
}

impl<F: Field> PairBatch<F> {
    fn push(&mut self, i: usize, j: usize, o: usize) {
        self.pairs.push((i as u32, j as u32, o as u32));
    }

    fn is_full(&self) -> bool {
        self.pairs.len() >= BATCH
    }

    fn flush<P: SWCurveConfig<BaseField = F>>(&mut self, pts: &mut [Affine<P>]) {
        if self.pairs.is_empty() {
            return;
        }
        let one = F::ONE;
        self.kinds.clear();
        self.scratch.clear();
        self.dens.clear();
        // Prefix products of the denominators.
        let mut acc = one;
        for &(i, j, _) in &self.pairs {
            let (a, b) = (&pts[i as usize], &pts[j as usize]);
            let (kind, den) = if a.is_zero() {
                (Kind::Right, one)
            } else if b.is_zero() {
                (Kind::Left, one)
            } else if a.x != b.x {
                (Kind::Add, b.x - a.x)
            } else if a.y == b.y && !a.y.is_zero() {
                (Kind::Double, a.y.double())
            } else {
                (Kind::Cancel, one)
            };
            self.kinds.push(kind);
            self.scratch.push(acc);
            self.dens.push(den);
            acc *= den;
        }
        let mut inv = acc.inverse().expect("denominators are non-zero");
        // Walk back: scratch[k] becomes 1/den_k (a denominator of 1, for the
        // kinds that need none, leaves `inv` as it is).
        for ((prefix, den), kind) in self
            .scratch
            .iter_mut()
            .zip(&self.dens)
            .zip(&self.kinds)
            .rev()
        {
            if matches!(kind, Kind::Add | Kind::Double) {
                let inv_k = inv * *prefix;
                inv *= den;
                *prefix = inv_k;
            }
        }
        for (k, &(i, j, o)) in self.pairs.iter().enumerate() {
            let (a, b) = (pts[i as usize], pts[j as usize]);
            let lambda = match self.kinds[k] {
                Kind::Left => {
                    pts[o as usize] = a;
                    continue;
                }
                Kind::Right => {
                    pts[o as usize] = b;
                    continue;
                }
                Kind::Cancel => {
                    pts[o as usize] = Affine::identity();
                    continue;
                }
                Kind::Add => (b.y - a.y) * self.scratch[k],
                Kind::Double => {
                    let xx = a.x.square();
                    (xx.double() + xx + P::COEFF_A) * self.scratch[k]
                }
            };
            let x = lambda.square() - a.x - b.x;
            let y = lambda * (a.x - x) - a.y;
            pts[o as usize] = Affine::new_unchecked(x, y);
        }
        self.pairs.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_util::{big, naive_msm, special_cases};
    use super::super::windows_for;
    use super::*;
    use ark_bn254::{Fr, G1Affine, G2Affine, G2Projective};
    use ark_ff::UniformRand;
    use ark_std::rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// The stock path: `Σ scalars[i]·bases[i]` by arkworks' variable-base MSM.
    fn reference_msm<P: SWCurveConfig>(
        bases: &[Affine<P>],
        scalars: &[<P::ScalarField as PrimeField>::BigInt],
    ) -> Projective<P> {
        use ark_ec::VariableBaseMSM;
        Projective::<P>::msm_bigint(bases, scalars)
    }

    #[test]
    fn digits_recompose_the_scalar() {
        let mut rng = ChaCha20Rng::seed_from_u64(1);
        for c in [2, 3, 5, 8, 11, 13, 14, 15, 16, 17, 20] {
            let w = windows_for::<Fr>(c);
            let mut samples = vec![Fr::zero(), Fr::from(1u64), -Fr::from(1u64)];
            samples.extend((0..50).map(|_| Fr::rand(&mut rng)));
            for k in samples {
                let mut d = vec![0i32; w];
                signed_digits(&big(k), c, &mut d);
                let half = 1i32 << (c - 1);
                assert!(d.iter().all(|&x| -half <= x && x < half), "c={c}");
                let mut acc = Fr::zero();
                let base = Fr::from(1u64 << c);
                for &x in d.iter().rev() {
                    acc = acc * base
                        + if x < 0 {
                            -Fr::from((-x) as u64)
                        } else {
                            Fr::from(x as u64)
                        };
                }
                assert_eq!(acc, k, "c={c}");
            }
        }
    }

    /// The lockstep running sums against `Σ_k k·B_k` one bucket at a time,
    /// with buckets drawn from a few points so that running sums meet their
    /// special cases: a bucket equal to the running sum (a doubling), its
    /// negation (a cancellation), empty buckets and the point at infinity.
    #[test]
    fn running_sums_match_the_weighted_sum() {
        use ark_bn254::{G1Affine, G1Projective};
        use ark_ec::CurveGroup;
        use rand::Rng;
        let mut rng = ChaCha20Rng::seed_from_u64(9);
        let p = G1Affine::rand(&mut rng);
        let q = G1Affine::rand(&mut rng);
        let two_p = (G1Projective::from(p) + p).into_affine();
        let choices = [p, -p, two_p, -two_p, q, G1Affine::identity()];
        for (windows, slots) in [
            (1, 2),
            (1, 4),
            (3, 8),
            (2, 64),
            (5, 256),
            (1, 2048),
            (26, 512),
        ] {
            let n = windows * slots + 1;
            let mut pts = vec![G1Affine::identity(); n];
            let mut lens = vec![0usize; n];
            for b in 1..n {
                if rng.gen_bool(0.8) {
                    pts[b] = choices[rng.gen_range(0..choices.len())];
                    lens[b] = 1;
                }
            }
            let offsets: Vec<usize> = (0..n).collect();
            let ranges: Vec<_> = (0..windows)
                .map(|w| 1 + w * slots..1 + (w + 1) * slots)
                .collect();
            let sums = running_sums(&pts, &offsets, &lens, &ranges);
            for (w, range) in ranges.iter().enumerate() {
                let expected: G1Projective = range
                    .clone()
                    .enumerate()
                    .filter(|&(_, b)| lens[b] == 1)
                    .map(|(k, b)| pts[b] * Fr::from(k as u64 + 1))
                    .sum();
                assert_eq!(
                    sums[w], expected,
                    "{windows} windows of {slots}, window {w}"
                );
            }
        }
    }

    #[test]
    fn matches_arkworks_on_random_g1_and_g2() {
        let mut rng = ChaCha20Rng::seed_from_u64(2);
        for n in [0usize, 1, 2, 3, 17, 300] {
            let g1: Vec<G1Affine> = (0..n).map(|_| G1Affine::rand(&mut rng)).collect();
            let g2: Vec<G2Affine> = (0..n).map(|_| G2Affine::rand(&mut rng)).collect();
            let k: Vec<_> = (0..n).map(|_| big(Fr::rand(&mut rng))).collect();
            for c in [3, 8, 13] {
                let t1 = FixedBaseTable::new(&g1, c);
                assert_eq!(t1.msm(&k), reference_msm(&g1, &k), "G1 n={n} c={c}");
                let t2 = FixedBaseTable::new(&g2, c);
                assert_eq!(t2.msm(&k), reference_msm(&g2, &k), "G2 n={n} c={c}");
            }
        }
    }

    /// The affine additions' special cases ([`special_cases`]).
    #[test]
    fn special_cases_match_the_naive_sum() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let (bases, scalar_sets) = special_cases(&mut rng);
        for scalars in scalar_sets {
            let k: Vec<_> = scalars.iter().copied().map(big).collect();
            for c in [2, 4, 9] {
                let t = FixedBaseTable::new(&bases, c);
                assert_eq!(t.msm(&k), naive_msm(&bases, &k), "c={c} {scalars:?}");
            }
        }
        let g2 = G2Affine::rand(&mut rng);
        let bases = vec![g2, g2, -g2, g2, G2Affine::identity()];
        let k: Vec<_> = [3u64, 3, 3, 1, 8]
            .into_iter()
            .map(|x| big(Fr::from(x)))
            .collect();
        let t = FixedBaseTable::new(&bases, 3);
        assert_eq!(t.msm(&k), G2Projective::from(g2) * Fr::from(4u64));
    }

    #[test]
    #[should_panic(expected = "built for 2 bases")]
    fn wrong_scalar_count_panics() {
        let mut rng = ChaCha20Rng::seed_from_u64(4);
        let bases = vec![G1Affine::rand(&mut rng), G1Affine::rand(&mut rng)];
        let _ = FixedBaseTable::new(&bases, 4).msm(&[big(Fr::from(1u64))]);
    }
}
