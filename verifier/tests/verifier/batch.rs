//! Batch verification: the verdict is the single verifier's, for every item,
//! whatever the mix of statements and order.

use ark_bn254::G1Affine;
use ark_ec::{AffineRepr, CurveGroup};
use rand::seq::SliceRandom;
use zkpension_verifier::{batch_verify, BatchError, BatchItem, Statement};

use crate::common::{fixture, rng, Fr, Sample};

/// `n` fresh (re-randomized) valid proofs, cycling through `statements`.
fn valid_batch(n: usize, statements: &[Statement], seed: u64) -> Vec<Sample> {
    let f = fixture();
    let mut r = rng(seed);
    (0..n)
        .map(|i| f.rerandomize(f.sample(statements[i % statements.len()]), &mut r))
        .collect()
}

fn items(samples: &[Sample]) -> Vec<BatchItem<'_>> {
    samples
        .iter()
        .map(|s| BatchItem {
            statement: s.statement,
            proof: &s.proof,
            public_inputs: &s.inputs,
        })
        .collect()
}

fn verify(samples: &[Sample], seed: u64) -> Result<(), BatchError> {
    batch_verify(&fixture().keys, &items(samples), &mut rng(seed))
}

/// The indices the single verifier refuses.
fn singly_bad(samples: &[Sample]) -> Vec<usize> {
    let keys = &fixture().keys;
    samples
        .iter()
        .enumerate()
        .filter(|(_, s)| keys.get(s.statement).verify(&s.proof, &s.inputs).is_err())
        .map(|(i, _)| i)
        .collect()
}

fn break_input(s: &mut Sample, i: usize) {
    s.inputs[i] += Fr::from(1u64);
}

const ALL: [Statement; 4] = Statement::ALL;

#[test]
fn all_good_passes() {
    assert_eq!(verify(&[], 1), Ok(()));
    for statements in [&ALL[..1], &ALL[1..2], &ALL[2..3], &ALL[3..], &ALL[..]] {
        let batch = valid_batch(64, statements, 2);
        assert_eq!(verify(&batch, 3), Ok(()));
        assert_eq!(verify(&batch[..1], 4), Ok(()));
    }
}

#[test]
fn one_bad_in_64_found() {
    let mut batch = valid_batch(64, &[Statement::Contribute], 10);
    batch[37].inputs[2] += Fr::from(1u64);
    assert_eq!(
        verify(&batch, 11),
        Err(BatchError::Invalid { failed: vec![37] })
    );
    for k in [0, 63] {
        let mut batch = valid_batch(64, &ALL, 12 + k as u64);
        break_input(&mut batch[k], 0);
        assert_eq!(
            verify(&batch, 13),
            Err(BatchError::Invalid { failed: vec![k] })
        );
    }
}

#[test]
fn two_bad_found() {
    let mut batch = valid_batch(64, &ALL, 20);
    break_input(&mut batch[5], 1);
    let p = &mut batch[50].proof.0;
    std::mem::swap(&mut p.a, &mut p.c);
    assert_eq!(
        verify(&batch, 21),
        Err(BatchError::Invalid {
            failed: vec![5, 50]
        })
    );
    // Neighbours, in the same leaf pair of the bisection.
    let mut batch = valid_batch(64, &ALL, 22);
    break_input(&mut batch[30], 3);
    break_input(&mut batch[31], 3);
    assert_eq!(
        verify(&batch, 23),
        Err(BatchError::Invalid {
            failed: vec![30, 31]
        })
    );
}

#[test]
fn mixed_statements_match_single_verification() {
    let mut batch = valid_batch(48, &ALL, 30);
    // Bad items of every statement, each broken in another input.
    // Item k is of statement ALL[k % 4].
    for (k, i) in [(2, 0), (9, 6), (12, 5), (27, 4), (38, 9)] {
        break_input(&mut batch[k], i);
    }
    // A valid proof of one statement filed under another.
    batch[18].statement = Statement::Claim;
    batch[18].inputs = fixture().sample(Statement::Claim).inputs.clone();
    let expected = singly_bad(&batch);
    assert_eq!(expected, vec![2, 9, 12, 18, 27, 38]);
    assert_eq!(
        verify(&batch, 31),
        Err(BatchError::Invalid { failed: expected })
    );
}

#[test]
fn reordered_gives_the_same_verdict() {
    let mut batch = valid_batch(64, &ALL, 40);
    for k in [3, 17, 60] {
        break_input(&mut batch[k], 2);
    }
    let mut tagged: Vec<(usize, Sample)> = batch.into_iter().enumerate().collect();
    let mut r = rng(41);
    for round in 0..3 {
        tagged.shuffle(&mut r);
        let samples: Vec<Sample> = tagged.iter().map(|(_, s)| s.clone()).collect();
        let Err(BatchError::Invalid { failed }) = verify(&samples, 42 + round) else {
            panic!("a batch with bad proofs passed");
        };
        let mut original: Vec<usize> = failed.iter().map(|&i| tagged[i].0).collect();
        original.sort_unstable();
        assert_eq!(original, vec![3, 17, 60]);
    }
}

#[test]
fn errors_that_cancel_in_a_plain_sum_are_caught() {
    // C_1 + D and C_2 - D: the plain sum of the two equations still holds, so
    // only random weights expose the two bad proofs.
    let mut batch = valid_batch(8, &[Statement::Attest], 50);
    let d = G1Affine::generator();
    batch[2].proof.0.c = (batch[2].proof.0.c + d).into_affine();
    batch[6].proof.0.c = (batch[6].proof.0.c.into_group() - d).into_affine();
    assert_eq!(
        verify(&batch, 51),
        Err(BatchError::Invalid { failed: vec![2, 6] })
    );
}

#[test]
fn all_bad_found() {
    let f = fixture();
    let mut batch = Vec::new();
    for s in &f.samples {
        for i in 0..s.inputs.len() {
            let mut bad = s.clone();
            break_input(&mut bad, i);
            batch.push(bad);
        }
    }
    let n = batch.len();
    assert_eq!(
        verify(&batch, 60),
        Err(BatchError::Invalid {
            failed: (0..n).collect()
        })
    );
}

#[test]
fn wrong_input_count_refused() {
    let mut batch = valid_batch(6, &ALL, 70);
    batch[4].inputs.pop();
    assert_eq!(
        verify(&batch, 71),
        Err(BatchError::InputCount {
            index: 4,
            statement: batch[4].statement,
            expected: batch[4].statement.num_public_inputs(),
            got: batch[4].statement.num_public_inputs() - 1
        })
    );
    let mut batch = valid_batch(6, &ALL, 72);
    batch[1].inputs.push(Fr::from(0u64));
    assert!(matches!(
        verify(&batch, 73),
        Err(BatchError::InputCount { index: 1, .. })
    ));
}

#[test]
fn verdict_does_not_depend_on_the_rng() {
    let mut batch = valid_batch(16, &ALL, 80);
    break_input(&mut batch[9], 0);
    for seed in 0..4 {
        assert_eq!(
            verify(&batch, 100 + seed),
            Err(BatchError::Invalid { failed: vec![9] })
        );
    }
}

#[test]
fn random_bad_patterns_match_single_verification() {
    use rand::Rng;
    let mut r = rng(90);
    // Sizes around the Miller-loop block of 8, including partial last blocks.
    for (round, n) in [1usize, 7, 8, 9, 17, 40, 61].into_iter().enumerate() {
        let mut batch = valid_batch(n, &ALL, 91 + round as u64);
        for (k, s) in batch.iter_mut().enumerate() {
            if r.gen_bool(0.2) {
                let i = k % s.inputs.len();
                break_input(s, i);
            }
        }
        let expected = singly_bad(&batch);
        let verdict = verify(&batch, 200 + round as u64);
        if expected.is_empty() {
            assert_eq!(verdict, Ok(()), "{n} items");
        } else {
            assert_eq!(
                verdict,
                Err(BatchError::Invalid { failed: expected }),
                "{n} items"
            );
        }
    }
    // A whole block bad, and the last item of a partial block.
    let mut batch = valid_batch(61, &ALL, 300);
    for k in (8..16).chain([60]) {
        break_input(&mut batch[k], 0);
    }
    assert_eq!(
        verify(&batch, 301),
        Err(BatchError::Invalid {
            failed: (8..16).chain([60]).collect()
        })
    );
}

#[test]
fn identity_points_are_bad_proofs() {
    let mut batch = valid_batch(12, &ALL, 400);
    batch[3].proof.0.a = G1Affine::zero();
    batch[10].proof.0.b = ark_bn254::G2Affine::zero();
    assert_eq!(singly_bad(&batch), vec![3, 10]);
    assert_eq!(
        verify(&batch, 401),
        Err(BatchError::Invalid {
            failed: vec![3, 10]
        })
    );
}
