//! Batch verification of Groth16 proofs of any mix of statements, with
//! identification of the bad proofs.
//!
//! A proof `(A, B, C)` of statement `S` for inputs `x` is valid when
//! `e(A, B) = e(alpha_S, beta_S) * e(IC_S(x), gamma_S) * e(C, delta_S)`, where
//! `IC_S(x) = gamma_abc_S[0] + sum_j x_j * gamma_abc_S[j + 1]`. For random
//! 128-bit `r_i` the batch check is
//!
//! ```text
//! prod_i e(r_i A_i, B_i)
//!   * prod_S e(sum_{i in S} r_i * alpha_S, -beta_S)
//!            * e(sum_j (sum_{i in S} r_i x_ij) * gamma_abc_S[j], -gamma_S)
//!            * e(sum_{i in S} r_i C_i, -delta_S)  == 1
//! ```
//!
//! one Miller loop per proof plus three per statement present, computed over
//! the caller's rayon pool and multiplied together, and one final
//! exponentiation. A valid proof satisfies its own equation, so a batch of
//! valid proofs always passes. Every point is in its prime-order subgroup
//! (checked when decoded), so if any proof is invalid the batch passes with
//! probability at most about 2^-128 over the choice of its `r_i`.
//!
//! The `r_i` are derived from a merlin transcript that absorbs every item
//! (statement, key id, proof bytes, public inputs) and is then keyed with 32
//! bytes from the caller's RNG, so no prover can predict them.
//!
//! When the batch fails, the bad proofs are found by bisection: the set is
//! halved and both halves are re-checked (with fresh scalars, in parallel with
//! `rayon::join`); a half that passes is clean, a half that fails is halved
//! again, and a single proof is settled by the ordinary deterministic
//! verification. With `k` bad proofs among `n` this costs about
//! `2k * log2(n / k)` batch checks, of shrinking size, instead of `n` single
//! verifications.

use ark_bn254::{Bn254, Fq12, G1Affine, G1Projective};
use ark_ec::bn::G2Prepared;
use ark_ec::pairing::{MillerLoopOutput, Pairing};
use ark_ec::{AdditiveGroup, AffineRepr, CurveGroup, VariableBaseMSM};
use ark_ff::{One, Zero};
use merlin::Transcript;
use rand_core::{CryptoRng, RngCore};
use rayon::prelude::*;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::Statement;

use crate::error::BatchError;
use crate::key::VerifyingKey;
use crate::keys::VerifierKeys;
use crate::proof::{Proof, ProofFile};

/// Domain separator of the transcript that absorbs the batch.
pub const BATCH_TRANSCRIPT_LABEL: &[u8] = b"zkpension/v1/batch";

/// Domain separator of the transcript each check draws its scalars from.
const CHECK_TRANSCRIPT_LABEL: &[u8] = b"zkpension/v1/batch-check";

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
/// - `Ok(())`: every proof is valid (except with probability about 2^-128).
/// - [`BatchError::Invalid`]: exactly the items, by index, that fail
///   [`VerifyingKey::verify`] on their own.
/// - [`BatchError::InputCount`]: an item has the wrong number of public
///   inputs; nothing was verified.
///
/// Runs on the current rayon pool (the caller's, inside `pool.install`, or the
/// global one) and creates no threads of its own. Proofs must have valid
/// points, as every [`Proof`] decoded by this crate has (see [`Proof::check`]).
/// `rng` supplies 32 bytes that key the choice of the random scalars.
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
    if items.is_empty() {
        return Ok(());
    }

    let checks = check_transcript(keys, items, rng);
    let prepared: Vec<Prepared<'_>> = items
        .par_iter()
        .map(|item| Prepared {
            key: keys.get(item.statement),
            a: item.proof.0.a,
            b: G2Prepared::from(item.proof.0.b),
            c: item.proof.0.c,
            inputs: item.public_inputs,
        })
        .collect();

    let mut failed = find_bad(&prepared, 0, &checks);
    if failed.is_empty() {
        Ok(())
    } else {
        failed.sort_unstable();
        Err(BatchError::Invalid { failed })
    }
}

/// A batch item with its key and with `B` prepared once for all checks.
struct Prepared<'a> {
    key: &'a VerifyingKey,
    a: G1Affine,
    b: G2Prepared<ark_bn254::Config>,
    c: G1Affine,
    inputs: &'a [Fr],
}

/// The transcript every check starts from: it holds a 32-byte seed drawn from
/// a transcript of the whole batch keyed with 32 bytes of the caller's
/// randomness.
fn check_transcript<R: RngCore + CryptoRng>(
    keys: &VerifierKeys,
    items: &[BatchItem<'_>],
    rng: &mut R,
) -> Transcript {
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
    let mut seed = [0u8; 32];
    t.build_rng().finalize(rng).fill_bytes(&mut seed);
    let mut checks = Transcript::new(CHECK_TRANSCRIPT_LABEL);
    checks.append_message(b"seed", &seed);
    checks
}

/// The scalars of the check of `len` items starting at batch index `start`.
/// Each set the bisection checks is a distinct range, so each check has its
/// own scalars.
fn scalars(checks: &Transcript, start: usize, len: usize) -> Vec<u128> {
    let mut t = checks.clone();
    t.append_u64(b"start", start as u64);
    t.append_u64(b"len", len as u64);
    let mut bytes = vec![0u8; 16 * len];
    t.challenge_bytes(b"scalars", &mut bytes);
    bytes
        .chunks_exact(16)
        .map(|chunk| {
            let mut word = [0u8; 16];
            word.copy_from_slice(chunk);
            // Zero would drop the proof from the check.
            u128::from_le_bytes(word).max(1)
        })
        .collect()
}

/// The batch index of every invalid proof in `set`, which starts at batch
/// index `start`.
fn find_bad(set: &[Prepared<'_>], start: usize, checks: &Transcript) -> Vec<usize> {
    match set {
        [] => Vec::new(),
        [one] => match one
            .key
            .verify_prepared(&one.a, one.b.clone(), &one.c, one.inputs)
        {
            Ok(()) => Vec::new(),
            Err(_) => vec![start],
        },
        _ => {
            if check(set, &scalars(checks, start, set.len())) {
                return Vec::new();
            }
            let mid = set.len() / 2;
            let (left, right) = set.split_at(mid);
            let (mut bad, right_bad) = rayon::join(
                || find_bad(left, start, checks),
                || find_bad(right, start + mid, checks),
            );
            bad.extend(right_bad);
            bad
        }
    }
}

/// One randomized check of `set` with scalars `rs`: true when it passes.
fn check(set: &[Prepared<'_>], rs: &[u128]) -> bool {
    // r_i * A_i, each paired with its own B_i.
    let mut g1_terms: Vec<G1Projective> = set
        .par_iter()
        .zip(rs.par_iter())
        .map(|(p, &r)| p.a.mul_bigint(split(r)))
        .collect();
    let mut g2_terms: Vec<&G2Prepared<ark_bn254::Config>> = set.iter().map(|p| &p.b).collect();

    // Per statement present: sum r_i * alpha, sum r_i * IC(x_i), sum r_i * C_i.
    let per_statement: Vec<_> = Statement::ALL
        .par_iter()
        .filter_map(|&statement| statement_terms(set, rs, statement))
        .collect();
    for (key, [alpha, ic, c]) in per_statement {
        let pvk = key.prepared();
        g1_terms.extend([alpha, ic, c]);
        g2_terms.extend([key.neg_beta(), &pvk.gamma_g2_neg_pc, &pvk.delta_g2_neg_pc]);
    }
    let g1_affine = G1Projective::normalize_batch(&g1_terms);

    let pairs: Vec<(G1Affine, &G2Prepared<ark_bn254::Config>)> =
        g1_affine.into_iter().zip(g2_terms).collect();
    let chunk = pairs
        .len()
        .div_ceil(rayon::current_num_threads().max(1))
        .max(1);
    let f = pairs
        .par_chunks(chunk)
        .map(|c| {
            Bn254::multi_miller_loop(
                c.iter().map(|(p, _)| *p),
                c.iter().map(|(_, q)| (*q).clone()),
            )
            .0
        })
        .reduce(Fq12::one, |x, y| x * y);
    matches!(Bn254::final_exponentiation(MillerLoopOutput(f)), Some(out) if out.0.is_one())
}

/// The three G1 terms of `statement` (paired with `-beta`, `-gamma`, `-delta`),
/// or `None` when no item of `set` is of that statement.
fn statement_terms<'a>(
    set: &[Prepared<'a>],
    rs: &[u128],
    statement: Statement,
) -> Option<(&'a VerifyingKey, [G1Projective; 3])> {
    let members: Vec<(&Prepared<'a>, u128)> = set
        .iter()
        .zip(rs)
        .filter(|(p, _)| p.key.statement() == statement)
        .map(|(p, &r)| (p, r))
        .collect();
    let key = members.first()?.0.key;

    // sum_i r_i * (1, x_i): the scalars of gamma_abc.
    let mut ic_scalars = vec![Fr::zero(); statement.num_public_inputs() + 1];
    for &(p, r) in &members {
        let r = Fr::from(r);
        ic_scalars[0] += r;
        for (s, x) in ic_scalars[1..].iter_mut().zip(p.inputs) {
            *s += r * x;
        }
    }
    let alpha = key.alpha() * ic_scalars[0];
    let ic = key.msm_gamma_abc(&ic_scalars);

    // sum_i r_i * C_i as two 64-bit MSMs: sum lo_i C_i + 2^64 * sum hi_i C_i.
    let cs: Vec<G1Affine> = members.iter().map(|(p, _)| p.c).collect();
    let lo: Vec<u64> = members.iter().map(|&(_, r)| r as u64).collect();
    let hi: Vec<u64> = members.iter().map(|&(_, r)| (r >> 64) as u64).collect();
    let (c_lo, mut c_hi) = rayon::join(
        || G1Projective::msm_u64(&cs, &lo),
        || G1Projective::msm_u64(&cs, &hi),
    );
    for _ in 0..64 {
        c_hi.double_in_place();
    }
    Some((key, [alpha, ic, c_lo + c_hi]))
}

/// A 128-bit scalar as little-endian limbs.
fn split(r: u128) -> [u64; 2] {
    [r as u64, (r >> 64) as u64]
}
