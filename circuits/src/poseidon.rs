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
/// # Panics
/// If `inputs` is empty or longer than [`MAX_INPUTS`]; every call site in the
/// protocol hashes a fixed number of inputs.
pub fn hash(inputs: &[Fr]) -> Fr {
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

/// `H(left, right)`: two inputs (protocol version 1's tree node).
#[inline]
pub fn hash2(left: Fr, right: Fr) -> Fr {
    hash(&[left, right])
}
