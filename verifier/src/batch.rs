//! Batch verification of Groth16 proofs of any mix of statements, with
//! identification of the bad proofs.
//!
//! A proof `(A, B, C)` of statement `S` for inputs `x` is valid when
//! `e(A, B) = e(alpha_S, beta_S) * e(IC_S(x), gamma_S) * e(C, delta_S)`, where
//! `IC_S(x) = gamma_abc_S[0] + sum_j x_j * gamma_abc_S[j + 1]`. Write `E_i` for
//! the quotient of the two sides for item `i` (1 exactly when it is valid). For
//! random 128-bit `r_i` the batch check is `prod_i E_i^(r_i) == 1`, computed as
//!
//! ```text
//! prod_i e(r_i A_i, B_i)
//!   * prod_S e(sum_{i in S} r_i * alpha_S, -beta_S)
//!            * e(sum_j (sum_{i in S} r_i x_ij) * gamma_abc_S[j], -gamma_S)
//!            * e(sum_{i in S} r_i C_i, -delta_S)  == 1
//! ```
//!
//! that is one Miller loop per proof plus three per statement present, spread
//! over the caller's rayon pool and multiplied together, and one final
//! exponentiation.
//!
//! **Scalars.** The `r_i` are drawn once per batch from a merlin transcript
//! that absorbs every item (statement, key id, proof bytes, public inputs) and
//! is then keyed with 32 bytes from the caller's RNG, so no prover can predict
//! them. Each `r_i` is in `[1, 2^128)`, below the group order, so
//! `E_i^(r_i) = 1` exactly when `E_i = 1`.
//!
//! **Soundness.** Every point is in its prime-order subgroup (checked when
//! decoded). For any set of items containing a bad one, `j`, and any values of
//! the other scalars, at most one value of `r_j` makes the set's product 1, so
//! a check of that set passes with probability at most `2^-128`. The bisection
//! below checks at most `2n` fixed sets (nodes of one binary tree over the
//! batch), so the verdict is wrong with probability at most `2n * 2^-128`.
//!
//! **Finding the bad proofs.** The Miller loops of the proofs are computed in
//! blocks of `BLOCK` (8) consecutive items, and each block's product is kept.
//! When the whole batch fails, the set is halved: the left half's value (its
//! blocks' products, its own per-statement terms, one final exponentiation)
//! is computed, and the right half's is the whole's divided by the left's, as
//! the final exponentiation is a homomorphism. Failing halves are halved again,
//! in parallel with `rayon::join`; a failing block is split into its items,
//! whose Miller loops are then computed one by one, and the halving goes on
//! down to single items, where the check is exact. With `k` bad proofs among
//! `n` this costs about `k * log2(n)` checks of shrinking sets plus the Miller
//! loops of `k` blocks, a small fraction of the batch itself.

use std::ops::Range;

use ark_bn254::{Bn254, Fq12, G1Affine, G1Projective};
use ark_ec::pairing::{MillerLoopOutput, Pairing, PairingOutput};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::Zero;
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::Statement;

use crate::error::BatchError;
use crate::key::VerifyingKey;
use crate::keys::VerifierKeys;
use crate::pairing::{multi_miller_loop, G2Lines};
use crate::proof::{Proof, ProofFile};

/// Domain separator of the transcript that absorbs the batch.
pub const BATCH_TRANSCRIPT_LABEL: &[u8] = b"zkpension/v1/batch";

/// Proofs whose Miller loops share one accumulator, and the finest grain of
/// the bisection before it splits a block into single proofs.
const BLOCK: usize = 8;

/// One proof to verify in a batch.
#[derive(Clone, Copy, Debug)]
pub struct BatchItem<'a> {
    pub statement: Statement,
    pub proof: &'a Proof,
    pub public_inputs: &'a [Fr],
}

impl<'a> From<&'a ProofFile> for BatchItem<'a> {
    fn from(file: &'a ProofFile) -> BatchItem<'a> {
        BatchItem {
            statement: file.statement,
            proof: &file.proof,
            public_inputs: &file.public_inputs,
        }
    }
}

/// Verifies every item of `items`, whatever their statements.
///
/// - `Ok(())`: every proof is valid (except with probability about
///   `2n * 2^-128`).
/// - [`BatchError::Invalid`]: exactly the items, by index in increasing
///   order, that fail [`VerifyingKey::verify`] on their own.
/// - [`BatchError::InputCount`]: an item has the wrong number of public
///   inputs; nothing was verified.
///
/// Runs on the current rayon pool (the caller's, inside `pool.install`, or the
/// global one) and creates no threads of its own. Proofs must have valid
/// points, as every [`Proof`] decoded by this crate has (see [`Proof::check`]).
/// `rng` supplies the 32 bytes that key the choice of the random scalars.
pub fn batch_verify<R: RngCore + CryptoRng>(
    keys: &VerifierKeys,
    items: &[BatchItem<'_>],
    rng: &mut R,
) -> Result<(), BatchError> {
    for (index, item) in items.iter().enumerate() {
        let expected = item.statement.num_public_inputs();
        if item.public_inputs.len() != expected {
            return Err(BatchError::InputCount {
                index,
                statement: item.statement,
                expected,
                got: item.public_inputs.len(),
            });
        }
    }
    match items {
        [] => return Ok(()),
        // One proof: the plain check is cheaper than a combination of one.
        [item] => {
            return keys
                .get(item.statement)
                .verify(item.proof, item.public_inputs)
                .map_err(|_| BatchError::Invalid { failed: vec![0] })
        }
        _ => {}
    }

    let rs = scalars(keys, items, rng);
    // Per block: r_i * A_i for each item, and the product of the items'
    // Miller loops e(r_i A_i, B_i).
    let blocks: Vec<(Vec<G1Affine>, Fq12)> = items
        .par_chunks(BLOCK)
        .zip(rs.par_chunks(BLOCK))
        .map(|(items, rs)| {
            let scaled: Vec<G1Projective> = items
                .iter()
                .zip(rs)
                .map(|(item, &r)| item.proof.0.a.mul_bigint(limbs(r)))
                .collect();
            let scaled = G1Projective::normalize_batch(&scaled);
            let lines: Vec<G2Lines> = items.iter().map(|i| G2Lines::from(i.proof.0.b)).collect();
            let pairs: Vec<(G1Affine, &G2Lines)> = scaled.iter().copied().zip(&lines).collect();
            let f = multi_miller_loop(&pairs);
            (scaled, f)
        })
        .collect();

    let mut scaled_a = Vec::with_capacity(items.len());
    let mut units = Vec::with_capacity(blocks.len());
    for (scaled, f) in blocks {
        let start = scaled_a.len();
        scaled_a.extend(scaled);
        units.push(Unit {
            range: start..scaled_a.len(),
            f,
        });
    }
    let batch = Batch {
        keys,
        items,
        rs: &rs,
        scaled_a: &scaled_a,
    };

    let mut failed = match batch.value(&units) {
        Some(v) if v.is_zero() => return Ok(()),
        whole => batch.find_bad(&units, whole),
    };
    failed.sort_unstable();
    Err(BatchError::Invalid { failed })
}

/// A run of consecutive items and the product of their Miller loops.
struct Unit {
    range: Range<usize>,
    f: Fq12,
}

/// A batch being verified, with its scalars and scaled `A`s.
struct Batch<'k, 'i, 'a> {
    keys: &'k VerifierKeys,
    items: &'i [BatchItem<'a>],
    rs: &'i [u128],
    scaled_a: &'i [G1Affine],
}

impl Batch<'_, '_, '_> {
    /// `prod_{i in units} E_i^(r_i)` in the target group (written additively:
    /// the identity is zero), or `None` if the final exponentiation failed
    /// (a zero Miller value, which valid points never give).
    fn value(&self, units: &[Unit]) -> Option<PairingOutput<Bn254>> {
        let range = match (units.first(), units.last()) {
            (Some(first), Some(last)) => first.range.start..last.range.end,
            _ => return Some(PairingOutput::zero()),
        };
        let terms: Vec<(&VerifyingKey, [G1Projective; 3])> = Statement::ALL
            .par_iter()
            .filter_map(|&s| self.statement_terms(range.clone(), s))
            .collect();
        let mut g1 = Vec::with_capacity(3 * terms.len());
        let mut g2 = Vec::with_capacity(3 * terms.len());
        for (key, [alpha, ic, c]) in &terms {
            let pvk = key.prepared();
            g1.extend([*alpha, *ic, *c]);
            g2.extend([key.neg_beta(), &pvk.gamma_g2_neg_pc, &pvk.delta_g2_neg_pc]);
        }
        let g1 = G1Projective::normalize_batch(&g1);
        let pairs: Vec<(G1Affine, &G2Lines)> = g1.into_iter().zip(g2).collect();
        let f = units
            .iter()
            .fold(multi_miller_loop(&pairs), |acc, unit| acc * unit.f);
        Bn254::final_exponentiation(MillerLoopOutput(f))
    }

    /// The three G1 terms of `statement` over the items of `range` (paired
    /// with `-beta`, `-gamma`, `-delta`), or `None` when none is of that
    /// statement.
    fn statement_terms(
        &self,
        range: Range<usize>,
        statement: Statement,
    ) -> Option<(&VerifyingKey, [G1Projective; 3])> {
        let members: Vec<usize> = range
            .filter(|&i| self.items[i].statement == statement)
            .collect();
        if members.is_empty() {
            return None;
        }
        let key = self.keys.get(statement);

        // sum_i r_i * (1, x_i): the scalars of gamma_abc.
        let mut ic_scalars = vec![Fr::zero(); statement.num_public_inputs() + 1];
        for &i in &members {
            let r = Fr::from(self.rs[i]);
            ic_scalars[0] += r;
            for (s, x) in ic_scalars[1..].iter_mut().zip(self.items[i].public_inputs) {
                *s += r * x;
            }
        }
        let alpha = key.alpha() * ic_scalars[0];
        let ic = key.msm_gamma_abc(&ic_scalars);

        // sum_i r_i * C_i as two 64-bit MSMs: sum lo_i C_i + 2^64 * sum hi_i C_i.
        let cs: Vec<G1Affine> = members.iter().map(|&i| self.items[i].proof.0.c).collect();
        let lo: Vec<u64> = members.iter().map(|&i| limbs(self.rs[i])[0]).collect();
        let hi: Vec<u64> = members.iter().map(|&i| limbs(self.rs[i])[1]).collect();
        let (c_lo, mut c_hi) = rayon::join(
            || G1Projective::msm_u64(&cs, &lo),
            || G1Projective::msm_u64(&cs, &hi),
        );
        for _ in 0..64 {
            c_hi.double_in_place();
        }
        Some((key, [alpha, ic, c_lo + c_hi]))
    }

    /// The index of every bad item of `units`, whose value is `value` (not
    /// the identity, or unknown).
    fn find_bad(&self, units: &[Unit], value: Option<PairingOutput<Bn254>>) -> Vec<usize> {
        if let Some(v) = value {
            if v.is_zero() {
                return Vec::new();
            }
        }
        match units {
            [] => Vec::new(),
            [one] if one.range.len() == 1 => {
                if value.is_some() {
                    // A single item's value is E_i^(r_i), not the identity.
                    vec![one.range.start]
                } else {
                    self.value(units)
                        .map_or(vec![one.range.start], |v| self.find_bad(units, Some(v)))
                }
            }
            [block] => {
                // Split a failing block into its items.
                let singles: Vec<Unit> = block
                    .range
                    .clone()
                    .into_par_iter()
                    .map(|i| {
                        let lines = G2Lines::from(self.items[i].proof.0.b);
                        Unit {
                            range: i..i + 1,
                            f: multi_miller_loop(&[(self.scaled_a[i], &lines)]),
                        }
                    })
                    .collect();
                self.find_bad(&singles, value)
            }
            _ => {
                let (left, right) = units.split_at(units.len() / 2);
                let left_value = self.value(left);
                // The final exponentiation is a homomorphism: the right half's
                // value is the whole's minus the left's.
                let right_value = match (value, left_value) {
                    (Some(v), Some(l)) => Some(v - l),
                    _ => self.value(right),
                };
                let (mut bad, right_bad) = rayon::join(
                    || self.find_bad(left, left_value),
                    || self.find_bad(right, right_value),
                );
                bad.extend(right_bad);
                bad
            }
        }
    }
}

/// The `r_i`: a transcript of the whole batch, keyed with 32 bytes of the
/// caller's randomness, gives 16 bytes per item.
fn scalars<R: RngCore + CryptoRng>(
    keys: &VerifierKeys,
    items: &[BatchItem<'_>],
    rng: &mut R,
) -> Vec<u128> {
    let encoded: Vec<[u8; 128]> = items.par_iter().map(|i| i.proof.to_bytes()).collect();
    let mut t = Transcript::new(BATCH_TRANSCRIPT_LABEL);
    t.append_u64(b"items", items.len() as u64);
    for (item, proof) in items.iter().zip(&encoded) {
        t.append_message(b"statement", item.statement.name().as_bytes());
        t.append_message(b"vk", &keys.get(item.statement).id());
        t.append_message(b"proof", proof);
        t.append_u64(b"inputs", item.public_inputs.len() as u64);
        for x in item.public_inputs {
            t.append_message(b"input", &field::to_bytes(x));
        }
    }
    let mut scalar_rng = t.build_rng().finalize(rng);
    (0..items.len())
        .map(|_| {
            let mut bytes = [0u8; 16];
            scalar_rng.fill_bytes(&mut bytes);
            // Zero would drop the item from every check.
            u128::from_le_bytes(bytes).max(1)
        })
        .collect()
}

/// A 128-bit scalar as little-endian 64-bit limbs.
fn limbs(r: u128) -> [u64; 2] {
    [r as u64, (r >> 64) as u64]
}
