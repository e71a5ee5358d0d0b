//! Multi-scalar multiplication over fixed bases with precomputed tables: the
//! engine behind zkpension's Groth16 prover ([`crate::groth16`]).
//!
//! A proving key's bases never change, so each base `P` is stored once with
//! its shifted copies `2^(c·j)·P` for every window `j` ([`FixedBaseTable`]).
//! An MSM `Σ kᵢ·Pᵢ` then needs no doublings and one bucket reduction in total,
//! instead of one per window:
//!
//! 1. each scalar is cut into `W` signed digits `dⱼ ∈ [-2^(c-1), 2^(c-1)]`, so
//!    `kᵢ·Pᵢ = Σⱼ dⱼ·(2^(c·j)·Pᵢ)`; zero digits (every digit of a zero
//!    scalar) cost nothing, a negative digit adds the negated point;
//! 2. the points are sorted by `|dⱼ|` into `2^(c-1)` buckets (a counting
//!    sort), and every bucket is summed in **affine** coordinates by pairwise
//!    rounds: each round adds neighbouring points of every bucket at once and
//!    shares one field inversion among all its additions (Montgomery's
//!    trick), so an addition costs about six multiplications instead of the
//!    eleven of a mixed projective addition;
//! 3. `Σ_b b·B_b` is formed with the usual running sum.
//!
//! The affine additions are complete: equal points are doubled, opposite
//! points cancel, and the point at infinity (`(0, 0)` for BN254) passes
//! through, so repeated or negated bases in a key give the right sum. Bases at
//! infinity are left out of the table.
//!
//! An MSM runs on the calling thread, on purpose: the prover runs its five
//! MSMs, cut into row ranges ([`FixedBaseTable::msm_rows`]), as separate tasks
//! on the caller's rayon pool, which balances better on few cores than
//! splitting each MSM internally. Only building a table is parallel.

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, Field, PrimeField, Zero};
use rayon::prelude::*;
use zeroize::Zeroize;

/// Bases and their precomputed window shifts for one fixed MSM.
#[derive(Clone)]
pub struct FixedBaseTable<P: SWCurveConfig> {
    /// Window width `c` in bits.
    window: u32,
    /// Windows per scalar `W`.
    windows: usize,
    /// Number of scalars the table expects (bases given, including any at
    /// infinity).
    len: usize,
    /// `rows[r]`: the scalar index of table row `r` (a base not at infinity).
    rows: Vec<u32>,
    /// `points[r·W + j] = 2^(c·j) · base[rows[r]]`, affine.
    points: Vec<Affine<P>>,
}

impl<P: SWCurveConfig> std::fmt::Debug for FixedBaseTable<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FixedBaseTable")
            .field("bases", &self.len)
            .field("rows", &self.rows.len())
            .field("window", &self.window)
            .field("windows", &self.windows)
            .finish()
    }
}

impl<P: SWCurveConfig> FixedBaseTable<P> {
    /// Builds the table of `bases` with windows of `window` bits (2 to 20),
    /// in parallel on the current rayon pool.
    pub fn new(bases: &[Affine<P>], window: u32) -> Self {
        assert!(
            (2..=20).contains(&window),
            "window width {window} outside 2..=20"
        );
        assert!(bases.len() <= u32::MAX as usize, "too many bases");
        let windows = windows_for::<P::ScalarField>(window);
        let rows: Vec<u32> = bases
            .iter()
            .enumerate()
            .filter(|(_, b)| !b.is_zero())
            .map(|(i, _)| i as u32)
            .collect();
        // Row chunks, each doubled in projective form and normalized with one
        // shared inversion straight into its place in the table, so neither
        // the projective copies nor a second copy of the table ever exist.
        const ROWS_PER_TASK: usize = 256;
        let mut points = vec![Affine::<P>::identity(); rows.len() * windows];
        points
            .par_chunks_mut(ROWS_PER_TASK * windows)
            .zip(rows.par_chunks(ROWS_PER_TASK))
            .for_each(|(out, chunk)| {
                let mut projective = Vec::with_capacity(chunk.len() * windows);
                for &i in chunk {
                    let mut p: Projective<P> = bases[i as usize].into();
                    for j in 0..windows {
                        if j > 0 {
                            for _ in 0..window {
                                p.double_in_place();
                            }
                        }
                        projective.push(p);
                    }
                }
                out.copy_from_slice(&Projective::normalize_batch(&projective));
            });
        FixedBaseTable {
            window,
            windows,
            len: bases.len(),
            rows,
            points,
        }
    }

    /// The number of scalars [`Self::msm`] takes.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the table was built from no bases.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Bytes held by the table's points.
    pub fn size_in_bytes(&self) -> usize {
        self.points.len() * std::mem::size_of::<Affine<P>>() + self.rows.len() * 4
    }

    /// The number of table rows: the bases not at infinity.
    pub fn rows(&self) -> usize {
        self.rows.len()
    }

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

        // Sum every bucket in place: bucket b occupies pts[offsets[b]..][..len[b]].
        let mut lens: Vec<usize> = counts.iter().map(|&n| n as usize).collect();
        lens[0] = 0;
        let mut batch = PairBatch::default();
        loop {
            let mut any = false;
            for b in 1..=buckets {
                let n = lens[b];
                if n < 2 {
                    continue;
                }
                any = true;
                let base = offsets[b];
                for k in 0..n / 2 {
                    batch.push(base + 2 * k, base + k);
                    if batch.is_full() {
                        batch.flush(&mut pts);
                    }
                }
            }
            if !any {
                break;
            }
            batch.flush(&mut pts);
            for b in 1..=buckets {
                let n = lens[b];
                if n < 2 {
                    continue;
                }
                if n % 2 == 1 {
                    let base = offsets[b];
                    pts[base + n / 2] = pts[base + n - 1];
                }
                lens[b] = n.div_ceil(2);
            }
        }

        // Σ b · B_b by a running sum from the top bucket down.
        let mut running = Projective::<P>::zero();
        let mut sum = Projective::<P>::zero();
        for b in (1..=buckets).rev() {
            if lens[b] == 1 {
                running += pts[offsets[b]];
            }
            sum += running;
        }
        sum
    }
}

/// A point as a tables file stores it: each base-field coordinate as its
/// Montgomery-form limbs (`R = 2^256`), little-endian, and no flags (a table
/// holds no point at infinity). Reading it back is a copy and a range check,
/// where arkworks' canonical encoding would convert every coordinate out of
/// and back into Montgomery form.
pub trait RawPoint: Sized {
    /// Bytes per point.
    const BYTES: usize;
    /// Appends the point's bytes to `out`.
    fn put_raw(&self, out: &mut Vec<u8>);
    /// The point of `bytes` (exactly [`Self::BYTES`] long), or `None` if a
    /// coordinate is not below the field modulus. The curve equation is not
    /// checked: callers authenticate the bytes first.
    fn get_raw(bytes: &[u8]) -> Option<Self>;
}

fn put_fq(x: &ark_bn254::Fq, out: &mut Vec<u8>) {
    for limb in x.0 .0 {
        out.extend_from_slice(&limb.to_le_bytes());
    }
}

fn get_fq(bytes: &[u8]) -> Option<ark_bn254::Fq> {
    let mut limbs = [0u64; 4];
    for (limb, b) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        *limb = u64::from_le_bytes(b.try_into().expect("8 bytes"));
    }
    let mont = ark_ff::BigInt(limbs);
    (mont < ark_bn254::Fq::MODULUS).then(|| ark_bn254::Fq::new_unchecked(mont))
}

impl RawPoint for Affine<ark_bn254::g1::Config> {
    const BYTES: usize = 64;

    fn put_raw(&self, out: &mut Vec<u8>) {
        put_fq(&self.x, out);
        put_fq(&self.y, out);
    }

    fn get_raw(bytes: &[u8]) -> Option<Self> {
        Some(Self::new_unchecked(
            get_fq(&bytes[..32])?,
            get_fq(&bytes[32..64])?,
        ))
    }
}

impl RawPoint for Affine<ark_bn254::g2::Config> {
    const BYTES: usize = 128;

    fn put_raw(&self, out: &mut Vec<u8>) {
        for c in [&self.x.c0, &self.x.c1, &self.y.c0, &self.y.c1] {
            put_fq(c, out);
        }
    }

    fn get_raw(bytes: &[u8]) -> Option<Self> {
        let fq2 = |b: &[u8]| Some(ark_bn254::Fq2::new(get_fq(&b[..32])?, get_fq(&b[32..64])?));
        Some(Self::new_unchecked(
            fq2(&bytes[..64])?,
            fq2(&bytes[64..128])?,
        ))
    }
}

/// Points per read or write when a table streams through a buffer.
const STREAM_POINTS: usize = 4096;

impl<P: SWCurveConfig> FixedBaseTable<P>
where
    Affine<P>: RawPoint,
{
    /// Writes the table, all integers little-endian: window `u32`, base count
    /// `u64`, row count `u64`, the rows (`u32` each), then `rows × W` points
    /// ([`RawPoint`]), row by row.
    pub fn write<W: std::io::Write>(&self, mut w: W) -> std::io::Result<()> {
        w.write_all(&self.window.to_le_bytes())?;
        w.write_all(&(self.len as u64).to_le_bytes())?;
        w.write_all(&(self.rows.len() as u64).to_le_bytes())?;
        let rows: Vec<u8> = self.rows.iter().flat_map(|r| r.to_le_bytes()).collect();
        w.write_all(&rows)?;
        let mut buf = Vec::with_capacity(STREAM_POINTS * <Affine<P>>::BYTES);
        for chunk in self.points.chunks(STREAM_POINTS) {
            buf.clear();
            for p in chunk {
                p.put_raw(&mut buf);
            }
            w.write_all(&buf)?;
        }
        Ok(())
    }

    /// Reads a table written by [`Self::write`] for `len` bases. Nothing is
    /// allocated beyond what `len` allows, and coordinates not below the
    /// modulus are refused, but the points are **not** checked to be on the
    /// curve (a table is as large as 20 proving keys): the caller must
    /// authenticate the bytes, as [`crate::groth16::ProverTables::read`] does
    /// with their SHA-256.
    pub fn read<R: std::io::Read>(mut r: R, len: usize) -> Result<Self, TableFormatError> {
        let mut word = [0u8; 8];
        r.read_exact(&mut word[..4])?;
        let window = u32::from_le_bytes(word[..4].try_into().expect("4 bytes"));
        if !(2..=20).contains(&window) {
            return Err(TableFormatError::Shape(format!("window width {window}")));
        }
        let windows = windows_for::<P::ScalarField>(window);
        r.read_exact(&mut word)?;
        let bases = u64::from_le_bytes(word);
        if bases != len as u64 {
            return Err(TableFormatError::Shape(format!(
                "{bases} bases, the key has {len}"
            )));
        }
        r.read_exact(&mut word)?;
        let count = u64::from_le_bytes(word);
        if count > len as u64 {
            return Err(TableFormatError::Shape(format!(
                "{count} rows for {len} bases"
            )));
        }
        let mut raw = vec![0u8; count as usize * 4];
        r.read_exact(&mut raw)?;
        let rows: Vec<u32> = raw
            .chunks_exact(4)
            .map(|b| u32::from_le_bytes(b.try_into().expect("4 bytes")))
            .collect();
        if rows.windows(2).any(|p| p[0] >= p[1]) || rows.last().is_some_and(|&i| i as usize >= len)
        {
            return Err(TableFormatError::Shape(
                "rows not increasing base indices".into(),
            ));
        }
        let total = rows.len() * windows;
        let mut points = Vec::with_capacity(total);
        let mut buf = vec![0u8; STREAM_POINTS * <Affine<P>>::BYTES];
        while points.len() < total {
            let n = (total - points.len()).min(STREAM_POINTS);
            let bytes = &mut buf[..n * <Affine<P>>::BYTES];
            r.read_exact(bytes)?;
            for b in bytes.chunks_exact(<Affine<P>>::BYTES) {
                points.push(<Affine<P>>::get_raw(b).ok_or(TableFormatError::NotReduced)?);
            }
        }
        Ok(FixedBaseTable {
            window,
            windows,
            len,
            rows,
            points,
        })
    }
}

/// Why [`FixedBaseTable::read`] refused its input.
#[derive(Debug, thiserror::Error)]
pub enum TableFormatError {
    #[error("{0}")]
    Io(#[from] std::io::Error),
    #[error("table shape does not fit the key: {0}")]
    Shape(String),
    #[error("a coordinate is not below the field modulus")]
    NotReduced,
}

/// The number of `c`-bit signed windows that hold any scalar below the field's
/// modulus, carries included.
fn windows_for<F: PrimeField>(c: u32) -> usize {
    let max = F::MODULUS_BIT_SIZE as usize;
    let mut w = max.div_ceil(c as usize);
    // The top window holds the bits above c·(w-1) plus a carry; it must stay
    // below 2^(c-1) so that it emits no carry of its own.
    loop {
        let shift = c as usize * (w - 1);
        let mut top = F::MODULUS;
        top >>= shift as u32;
        let fits = top.num_bits() < c || {
            let v = top.as_ref()[0] + 1;
            top.num_bits() <= 63 && v < (1u64 << (c - 1))
        };
        if fits {
            return w;
        }
        w += 1;
    }
}

/// Writes the signed `c`-bit digits of `k` into `out` (least significant
/// first): `k = Σ out[j]·2^(c·j)` with every digit in `[-2^(c-1), 2^(c-1))`.
fn signed_digits<B: BigInteger>(k: &B, c: u32, out: &mut [i32]) {
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

/// Pending affine additions `pts[o] = pts[i] + pts[i + 1]`, done together
/// with one field inversion when the batch is full or flushed. A batch is
/// small enough for its points and denominators to stay in cache.
///
/// In-place safety: within a round the pairs of a bucket are pushed in order,
/// each writes `o ≤ i`, and `o` is below the inputs of every later pair, so no
/// addition reads a point another one already overwrote.
struct PairBatch<F> {
    pairs: Vec<(u32, u32)>,
    kinds: Vec<Kind>,
    scratch: Vec<F>,
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
        }
    }
}

impl<F: Field> PairBatch<F> {
    fn push(&mut self, i: usize, o: usize) {
        self.pairs.push((i as u32, o as u32));
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
        // Prefix products of the denominators.
        let mut acc = one;
        for &(i, _) in &self.pairs {
            let (a, b) = (&pts[i as usize], &pts[i as usize + 1]);
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
            acc *= den;
        }
        let mut inv = acc.inverse().expect("denominators are non-zero");
        // Walk back: scratch[k] becomes 1/den_k.
        for (k, &(i, _)) in self.pairs.iter().enumerate().rev() {
            let (a, b) = (&pts[i as usize], &pts[i as usize + 1]);
            let den = match self.kinds[k] {
                Kind::Add => b.x - a.x,
                Kind::Double => a.y.double(),
                _ => continue,
            };
            let inv_k = inv * self.scratch[k];
            inv *= den;
            self.scratch[k] = inv_k;
        }
        for (k, &(i, o)) in self.pairs.iter().enumerate() {
            let (a, b) = (pts[i as usize], pts[i as usize + 1]);
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
    use super::*;
    use ark_bn254::{Fr, G1Affine, G1Projective, G2Affine, G2Projective};
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

    /// `Σ scalars[i]·bases[i]` with no precomputation, one scalar multiplication
    /// at a time: the slowest and simplest reference.
    fn naive_msm<P: SWCurveConfig>(
        bases: &[Affine<P>],
        scalars: &[<P::ScalarField as PrimeField>::BigInt],
    ) -> Projective<P> {
        bases
            .iter()
            .zip(scalars)
            .map(|(b, k)| b.mul_bigint(k))
            .sum()
    }

    fn big(x: Fr) -> <Fr as PrimeField>::BigInt {
        x.into_bigint()
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

    /// Repeated bases (doublings), negated bases (cancellations), bases at
    /// infinity, and scalars 0, 1, -1 and small values: the affine additions'
    /// special cases.
    #[test]
    fn special_cases_match_the_naive_sum() {
        let mut rng = ChaCha20Rng::seed_from_u64(3);
        let p = G1Affine::rand(&mut rng);
        let q = G1Affine::rand(&mut rng);
        let bases = vec![
            p,
            p,
            -p,
            q,
            G1Affine::identity(),
            q,
            p,
            -q,
            (G1Projective::from(p) * Fr::from(2u64)).into_affine(),
        ];
        let scalar_sets: Vec<Vec<Fr>> = vec![
            vec![Fr::from(1u64); 9],
            vec![-Fr::from(1u64); 9],
            vec![Fr::from(5u64); 9],
            (0..9u64).map(Fr::from).collect(),
            (0..9).map(|_| Fr::rand(&mut rng)).collect(),
            vec![Fr::zero(); 9],
            vec![
                Fr::from(7u64),
                Fr::from(7u64),
                Fr::from(7u64),
                Fr::from(3u64),
                Fr::from(9u64),
                Fr::from(3u64),
                -Fr::from(14u64),
                Fr::from(6u64),
                Fr::from(7u64),
            ],
        ];
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

    /// A table written and read back gives the same MSM; a table for another
    /// base count, a truncated one and one with a coordinate not below the
    /// modulus are refused.
    #[test]
    fn table_bytes_round_trip_and_bad_bytes_are_refused() {
        let mut rng = ChaCha20Rng::seed_from_u64(5);
        let mut g1: Vec<G1Affine> = (0..40).map(|_| G1Affine::rand(&mut rng)).collect();
        g1[7] = G1Affine::identity();
        let g2: Vec<G2Affine> = (0..40).map(|_| G2Affine::rand(&mut rng)).collect();
        let k: Vec<_> = (0..40).map(|_| big(Fr::rand(&mut rng))).collect();

        let t1 = FixedBaseTable::new(&g1, 6);
        let mut bytes = Vec::new();
        t1.write(&mut bytes).unwrap();
        let back = FixedBaseTable::<ark_bn254::g1::Config>::read(&bytes[..], 40).unwrap();
        assert_eq!((back.rows.len(), back.window), (39, 6));
        assert_eq!(back.msm(&k), naive_msm(&g1, &k));

        let t2 = FixedBaseTable::new(&g2, 5);
        let mut bytes2 = Vec::new();
        t2.write(&mut bytes2).unwrap();
        let back = FixedBaseTable::<ark_bn254::g2::Config>::read(&bytes2[..], 40).unwrap();
        assert_eq!(back.msm(&k), naive_msm(&g2, &k));

        let read = |b: &[u8], len| FixedBaseTable::<ark_bn254::g1::Config>::read(b, len);
        assert!(matches!(read(&bytes, 41), Err(TableFormatError::Shape(_))));
        assert!(matches!(
            read(&bytes[..bytes.len() - 1], 40),
            Err(TableFormatError::Io(e)) if e.kind() == std::io::ErrorKind::UnexpectedEof
        ));
        // The first point's x set to all ones: above the modulus.
        let first_point = 4 + 8 + 8 + 39 * 4;
        let mut bad = bytes.clone();
        bad[first_point..first_point + 32].fill(0xff);
        assert!(matches!(read(&bad, 40), Err(TableFormatError::NotReduced)));
        // Rows out of order.
        let mut bad = bytes.clone();
        bad[20..24].copy_from_slice(&5u32.to_le_bytes());
        assert!(matches!(read(&bad, 40), Err(TableFormatError::Shape(_))));
    }
}
