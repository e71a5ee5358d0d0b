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
//! 3. `Σ_b b·B_b` is formed by running sums over segments of the buckets,
//!    all segments in lockstep so that their affine additions share
//!    inversions too (`buckets::running_sums`).
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
//!
//! This module builds the tables; `buckets` computes the MSM over them
//! (signed digits, bucket sort, batched affine additions); `format` is a
//! table's byte encoding in a prover-tables file.

mod buckets;
mod format;
mod variable;

pub use format::{RawPoint, TableFormatError};
pub use variable::{msm_rows as variable_msm_rows, window_for, window_for_rows, MAX_POINTS};

use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
use ark_ec::{AffineRepr, CurveGroup};
use ark_ff::{AdditiveGroup, BigInteger, PrimeField};
use rayon::prelude::*;

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

/// Reference sums shared by the tests of the submodules.
#[cfg(test)]
mod test_util {
    use ark_bn254::Fr;
    use ark_ec::short_weierstrass::{Affine, Projective, SWCurveConfig};
    use ark_ec::AffineRepr;
    use ark_ff::PrimeField;

    /// `Σ scalars[i]·bases[i]` with no precomputation, one scalar multiplication
    /// at a time: the slowest and simplest reference.
    pub(super) fn naive_msm<P: SWCurveConfig>(
        bases: &[Affine<P>],
        scalars: &[<P::ScalarField as PrimeField>::BigInt],
    ) -> Projective<P> {
        bases
            .iter()
            .zip(scalars)
            .map(|(b, k)| b.mul_bigint(k))
            .sum()
    }

    pub(super) fn big(x: Fr) -> <Fr as PrimeField>::BigInt {
        x.into_bigint()
    }

    /// Bases and scalar sets that reach the affine additions' special cases:
    /// repeated bases (doublings), negated bases (cancellations), a base at
    /// infinity, and scalars 0, 1, -1, small and equal values.
    pub(super) fn special_cases(
        rng: &mut rand_chacha::ChaCha20Rng,
    ) -> (Vec<ark_bn254::G1Affine>, Vec<Vec<Fr>>) {
        use ark_bn254::{G1Affine, G1Projective};
        use ark_ec::CurveGroup;
        use ark_ff::{UniformRand, Zero};
        let p = G1Affine::rand(rng);
        let q = G1Affine::rand(rng);
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
        let small = |xs: [i64; 9]| {
            xs.iter()
                .map(|&x| {
                    let v = Fr::from(x.unsigned_abs());
                    if x < 0 {
                        -v
                    } else {
                        v
                    }
                })
                .collect()
        };
        let sets = vec![
            small([1; 9]),
            small([-1; 9]),
            small([5; 9]),
            small([0, 1, 2, 3, 4, 5, 6, 7, 8]),
            (0..9).map(|_| Fr::rand(rng)).collect(),
            vec![Fr::zero(); 9],
            small([7, 7, 7, 3, 9, 3, -14, 6, 7]),
        ];
        (bases, sets)
    }
}
