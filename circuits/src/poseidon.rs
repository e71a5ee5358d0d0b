//! Poseidon over the BN254 scalar field with circomlib's parameters (SPEC §1).
//!
//! `hash(&[x1, .., xn])` equals circomlibjs `poseidon([x1, .., xn])` for 1 to 12
//! inputs: width `t = n + 1`, S-box `x^5`, 8 full rounds and circomlib's number of
//! partial rounds. The state starts as `[0, x1, .., xn]` and the output is
//! `state[0]` after the last round. (The arkworks sponge squeezes a different
//! element; that is why this is a permutation of our own and not the sponge.)
//!
//! The round constants and MDS matrices are not copied in: they are derived
//! the way the Poseidon authors' reference script `generate_parameters_grain.sage`
//! derives them (`field = 1, sbox = 0, n = 254, t, R_F = 8, R_P`), from the Grain
//! LFSR, on first use. The known-answer vectors in `test-vectors/poseidon.json`
//! (made by circomlibjs) pin the result.

use ark_bn254::Fr;
use ark_ff::{BigInteger, BigInteger256, Field, PrimeField, Zero};
use std::sync::OnceLock;

/// Number of full rounds (4 at the start, 4 at the end).
pub const FULL_ROUNDS: usize = 8;
/// Largest number of inputs supported (circomlib supports widths 2..=17; the
/// protocol needs at most 11).
pub const MAX_INPUTS: usize = 12;
/// circomlib's partial-round counts for widths t = 2..=17.
const PARTIAL_ROUNDS: [usize; 16] = [
    56, 57, 56, 60, 60, 63, 64, 63, 60, 66, 60, 65, 70, 60, 64, 68,
];

/// The parameters of one width: round constants and MDS matrix.
#[derive(Debug)]
pub struct PoseidonParams {
    /// State width, `inputs + 1`.
    pub width: usize,
    /// Number of partial rounds.
    pub partial_rounds: usize,
    /// Round constants, `width` per round, rounds in order.
    pub round_constants: Vec<Fr>,
    /// MDS matrix: `new_state[i] = sum_j mds[i][j] * state[j]`.
    pub mds: Vec<Vec<Fr>>,
}

impl PoseidonParams {
    /// Total number of rounds.
    pub fn rounds(&self) -> usize {
        FULL_ROUNDS + self.partial_rounds
    }

    /// Whether round `r` is a full round (all S-boxes) or a partial one (S-box on
    /// `state[0]` only).
    pub fn is_full_round(&self, r: usize) -> bool {
        r < FULL_ROUNDS / 2 || r >= FULL_ROUNDS / 2 + self.partial_rounds
    }

    fn generate(width: usize) -> Self {
        assert!(
            (2..=MAX_INPUTS + 1).contains(&width),
            "unsupported Poseidon width {width}"
        );
        let partial_rounds = PARTIAL_ROUNDS[width - 2];
        let mut grain = Grain::new(width, partial_rounds);
        let round_constants = (0..(FULL_ROUNDS + partial_rounds) * width)
            .map(|_| loop {
                if let Some(x) = Fr::from_bigint(grain.next_bigint()) {
                    break x;
                }
            })
            .collect();
        // Cauchy matrix 1 / (x_i + y_j), x and y drawn from the same stream
        // (reduced, not rejected, exactly as the reference script does).
        let mds = loop {
            let draws: Vec<Fr> = (0..2 * width)
                .map(|_| Fr::from_le_bytes_mod_order(&grain.next_bigint().to_bytes_le()))
                .collect();
            let distinct =
                (0..draws.len()).all(|i| (i + 1..draws.len()).all(|j| draws[i] != draws[j]));
            if !distinct {
                continue;
            }
            let (xs, ys) = draws.split_at(width);
            let m: Option<Vec<Vec<Fr>>> = xs
                .iter()
                .map(|x| ys.iter().map(|y| (*x + y).inverse()).collect())
                .collect();
            if let Some(m) = m {
                break m;
            }
        };
        PoseidonParams {
            width,
            partial_rounds,
            round_constants,
            mds,
        }
    }
}

/// The self-shrinking Grain LFSR of the Poseidon reference parameter script.
/// Bit `i` of `state` is the script's `state[i]`: `state[0]` is shifted out
/// at each step and the new bit enters at `state[79]`.
struct Grain {
    state: u128,
}

impl Grain {
    fn new(width: usize, partial_rounds: usize) -> Self {
        let mut state = 0u128;
        let mut at = 0;
        let mut push = |value: u64, len: usize| {
            for i in (0..len).rev() {
                state |= u128::from((value >> i) & 1) << at;
                at += 1;
            }
        };
        push(1, 2); // field: prime field
        push(0, 4); // S-box: x^alpha
        push(254, 12); // field size in bits
        push(width as u64, 12);
        push(FULL_ROUNDS as u64, 10);
        push(partial_rounds as u64, 10);
        push((1 << 30) - 1, 30);
        let mut g = Grain { state };
        for _ in 0..160 {
            g.step();
        }
        g
    }

    fn step(&mut self) -> bool {
        let s = self.state;
        let bit = ((s >> 62) ^ (s >> 51) ^ (s >> 38) ^ (s >> 23) ^ (s >> 13) ^ s) & 1;
        self.state = (s >> 1) | (bit << 79);
        bit == 1
    }

    fn next_bit(&mut self) -> bool {
        loop {
            let keep = self.step();
            let bit = self.step();
            if keep {
                return bit;
            }
        }
    }

    /// 254 bits, most significant first.
    fn next_bigint(&mut self) -> BigInteger256 {
        let mut limbs = [0u64; 4];
        for i in (0..254).rev() {
            limbs[i / 64] |= u64::from(self.next_bit()) << (i % 64);
        }
        BigInteger256::new(limbs)
    }
}

/// The parameters for `inputs` inputs (width `inputs + 1`), derived once.
pub fn params(inputs: usize) -> &'static PoseidonParams {
    static PARAMS: [OnceLock<PoseidonParams>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    assert!(
        (1..=MAX_INPUTS).contains(&inputs),
        "Poseidon takes 1 to {MAX_INPUTS} inputs, got {inputs}"
    );
    PARAMS[inputs - 1].get_or_init(|| PoseidonParams::generate(inputs + 1))
}

#[inline]
fn pow5(x: Fr) -> Fr {
    let x2 = x.square();
    x2.square() * x
}

/// `H(x1..xn)` of SPEC §1: circomlib's Poseidon of 1 to 12 inputs.
///
/// Computed with the partial rounds rewritten ([`FastParams`]); the same
/// function as the textbook permutation the R1CS gadget follows.
///
/// # Panics
/// If `inputs` is empty or longer than [`MAX_INPUTS`]; every call site in the
/// protocol hashes a fixed number of inputs.
pub fn hash(inputs: &[Fr]) -> Fr {
    fast_params(inputs.len()).hash(inputs)
}

/// The textbook permutation, round by round with the dense MDS matrix
/// (as the gadget computes it); [`hash`] must equal it.
pub fn hash_reference(inputs: &[Fr]) -> Fr {
    let p = params(inputs.len());
    let t = p.width;
    let mut state = Vec::with_capacity(t);
    state.push(Fr::zero());
    state.extend_from_slice(inputs);
    let mut next = vec![Fr::zero(); t];
    for r in 0..p.rounds() {
        for (s, c) in state.iter_mut().zip(&p.round_constants[r * t..(r + 1) * t]) {
            *s += c;
        }
        if p.is_full_round(r) {
            state.iter_mut().for_each(|s| *s = pow5(*s));
        } else {
            state[0] = pow5(state[0]);
        }
        for (row, out) in p.mds.iter().zip(next.iter_mut()) {
            *out = row.iter().zip(&state).map(|(m, s)| *m * s).sum();
        }
        std::mem::swap(&mut state, &mut next);
    }
    state[0]
}

const MAX_WIDTH: usize = MAX_INPUTS + 1;
type Matrix = Vec<Vec<Fr>>;

/// One width's constants for the faster evaluation of the same permutation
/// (the Poseidon paper's appendix B; circomlib's `poseidon_opt` does the
/// same). Two rewrites, each an identity of linear algebra:
///
/// - **Constants.** A partial round's S-box touches `state[0]` only, so the
///   other components of its round constant pass through it unchanged and
///   can be added after the linear layer instead, that is, pushed forward
///   into the next round's constant (multiplied by the MDS matrix). Pushed
///   through every partial round, each keeps a single constant (for
///   `state[0]`) and the remainder lands in the first full round after them.
/// - **Matrices.** Write a partial round's matrix `L = [[l00, w], [v, L^]]`
///   as `S M'` with `M' = diag(1, L^)` and the sparse
///   `S = [[l00, w L^^-1], [v, I]]`. `M'` leaves `state[0]` alone, so it
///   commutes with the partial round's S-box and constant and moves to the
///   round before, whose matrix becomes `M' A`. Done from the last partial
///   round back, every partial round applies a sparse matrix (`2t - 1`
///   multiplications instead of `t^2`) and the last full round before them
///   applies `pre = M'_0 A`.
#[derive(Debug)]
pub struct FastParams {
    width: usize,
    /// Constants of the 8 full rounds, in order.
    full: Matrix,
    /// The constant of each partial round, added to `state[0]`.
    partial: Vec<Fr>,
    /// The linear layer of the last full round before the partial rounds.
    pre: Matrix,
    /// Each partial round's sparse matrix: `l00`, the rest of its first row
    /// (`w L^^-1`) and the rest of its first column (`v`).
    sparse: Vec<(Fr, Vec<Fr>, Vec<Fr>)>,
    mds: &'static Matrix,
}

fn mat_vec(m: &Matrix, v: &[Fr]) -> Vec<Fr> {
    m.iter()
        .map(|row| row.iter().zip(v).map(|(a, b)| *a * b).sum())
        .collect()
}

fn mat_mul(a: &Matrix, b: &Matrix) -> Matrix {
    let n = b[0].len();
    a.iter()
        .map(|row| {
            (0..n)
                .map(|j| row.iter().zip(b).map(|(x, brow)| *x * brow[j]).sum())
                .collect()
        })
        .collect()
}

/// The inverse by Gauss-Jordan elimination, if `m` is invertible.
fn invert(m: &Matrix) -> Option<Matrix> {
    let n = m.len();
    let mut a: Matrix = m
        .iter()
        .enumerate()
        .map(|(i, row)| {
            let mut r = row.clone();
            r.extend((0..n).map(|j| if i == j { Fr::from(1u64) } else { Fr::zero() }));
            r
        })
        .collect();
    for col in 0..n {
        let pivot = (col..n).find(|&r| !a[r][col].is_zero())?;
        a.swap(col, pivot);
        let inv = a[col][col].inverse()?;
        a[col].iter_mut().for_each(|x| *x *= inv);
        for r in 0..n {
            if r != col && !a[r][col].is_zero() {
                let f = a[r][col];
                let pivot_row = a[col].clone();
                for (x, p) in a[r].iter_mut().zip(&pivot_row) {
                    *x -= f * p;
                }
            }
        }
    }
    Some(a.into_iter().map(|r| r[n..].to_vec()).collect())
}

impl FastParams {
    fn derive(p: &'static PoseidonParams) -> Self {
        let (t, rp, half) = (p.width, p.partial_rounds, FULL_ROUNDS / 2);
        let constants = |r: usize| &p.round_constants[r * t..(r + 1) * t];
        // Constants: push the partial rounds' constants forward.
        let mut full: Matrix = (0..half).map(|r| constants(r).to_vec()).collect();
        let mut partial = Vec::with_capacity(rp);
        let mut carry = vec![Fr::zero(); t];
        for r in half..half + rp {
            let mut c: Vec<Fr> = constants(r)
                .iter()
                .zip(&carry)
                .map(|(a, b)| *a + b)
                .collect();
            partial.push(c[0]);
            c[0] = Fr::zero();
            carry = mat_vec(&p.mds, &c);
        }
        for r in half + rp..FULL_ROUNDS + rp {
            let mut c = constants(r).to_vec();
            if r == half + rp {
                c.iter_mut().zip(&carry).for_each(|(c, k)| *c += k);
            }
            full.push(c);
        }
        // Matrices: factor each partial round's matrix, last round first.
        let mut sparse = vec![(Fr::zero(), Vec::new(), Vec::new()); rp];
        let mut l = p.mds.clone();
        for round in sparse.iter_mut().rev() {
            let lower: Matrix = l[1..].iter().map(|row| row[1..].to_vec()).collect();
            let inv = invert(&lower).expect("the MDS matrix's submatrices are invertible");
            let w = &l[0][1..];
            let w_hat = (0..t - 1)
                .map(|j| (0..t - 1).map(|i| w[i] * inv[i][j]).sum())
                .collect();
            let v = l[1..].iter().map(|row| row[0]).collect();
            *round = (l[0][0], w_hat, v);
            let mut m_prime = vec![vec![Fr::zero(); t]; t];
            m_prime[0][0] = Fr::from(1u64);
            for (i, row) in lower.iter().enumerate() {
                m_prime[i + 1][1..].copy_from_slice(row);
            }
            l = mat_mul(&m_prime, &p.mds);
        }
        FastParams {
            width: t,
            full,
            partial,
            pre: l,
            sparse,
            mds: &p.mds,
        }
    }

    fn hash(&self, inputs: &[Fr]) -> Fr {
        let t = self.width;
        let mut buf = [Fr::zero(); MAX_WIDTH];
        let mut tmp = [Fr::zero(); MAX_WIDTH];
        buf[1..t].copy_from_slice(inputs);
        let half = FULL_ROUNDS / 2;
        let full_round = |state: &mut [Fr], tmp: &mut [Fr], c: &[Fr], m: &Matrix| {
            for (s, c) in state.iter_mut().zip(c) {
                *s = pow5(*s + c);
            }
            for (row, out) in m.iter().zip(tmp.iter_mut()) {
                *out = row.iter().zip(state.iter()).map(|(a, b)| *a * b).sum();
            }
            state.copy_from_slice(tmp);
        };
        let (state, tmp) = (&mut buf[..t], &mut tmp[..t]);
        for r in 0..half {
            let m = if r == half - 1 { &self.pre } else { self.mds };
            full_round(state, tmp, &self.full[r], m);
        }
        for (k, (l00, row, col)) in self.partial.iter().zip(&self.sparse) {
            let x0 = pow5(state[0] + k);
            let rest: Fr = row.iter().zip(&state[1..]).map(|(a, b)| *a * b).sum();
            for (s, v) in state[1..].iter_mut().zip(col) {
                *s += *v * x0;
            }
            state[0] = *l00 * x0 + rest;
        }
        for r in half..FULL_ROUNDS {
            full_round(state, tmp, &self.full[r], self.mds);
        }
        state[0]
    }
}

/// The faster constants for `inputs` inputs, derived once.
pub fn fast_params(inputs: usize) -> &'static FastParams {
    static FAST: [OnceLock<FastParams>; MAX_INPUTS] = [const { OnceLock::new() }; MAX_INPUTS];
    let p = params(inputs);
    FAST[inputs - 1].get_or_init(|| FastParams::derive(p))
}

/// `H(left, right)`: two inputs (protocol version 1's tree node).
#[inline]
pub fn hash2(left: Fr, right: Fr) -> Fr {
    hash(&[left, right])
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::UniformRand;

    #[test]
    fn the_fast_evaluation_is_the_textbook_permutation() {
        let mut rng = ark_std::test_rng();
        for n in 1..=MAX_INPUTS {
            for _ in 0..5 {
                let inputs: Vec<Fr> = (0..n).map(|_| Fr::rand(&mut rng)).collect();
                assert_eq!(hash(&inputs), hash_reference(&inputs), "{n} inputs");
            }
            let zeros = vec![Fr::zero(); n];
            assert_eq!(hash(&zeros), hash_reference(&zeros), "{n} zeros");
        }
    }
}
