//! Single verification: valid proofs pass, any change to a public input
//! fails, and the number of inputs is checked.

use ark_bn254::Bn254;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use zkpension_verifier::{Statement, VerifyError};

use crate::common::{fixture, Fr};

#[test]
fn valid_proofs_verify() {
    let f = fixture();
    for s in &f.samples {
        f.keys
            .get(s.statement)
            .verify(&s.proof, &s.inputs)
            .expect("valid");
    }
}

#[test]
fn every_changed_public_input_fails() {
    let f = fixture();
    for s in &f.samples {
        let key = f.keys.get(s.statement);
        for i in 0..s.inputs.len() {
            for delta in [Fr::from(1u64), -Fr::from(1u64)] {
                let mut inputs = s.inputs.clone();
                inputs[i] += delta;
                assert_eq!(
                    key.verify(&s.proof, &inputs),
                    Err(VerifyError::InvalidProof),
                    "{} input {i} changed",
                    s.statement
                );
            }
        }
        // Two inputs swapped.
        let mut inputs = s.inputs.clone();
        inputs.swap(0, 1);
        assert_eq!(
            key.verify(&s.proof, &inputs),
            Err(VerifyError::InvalidProof)
        );
    }
}

#[test]
fn changed_proof_fails() {
    let f = fixture();
    for s in &f.samples {
        let key = f.keys.get(s.statement);
        let mut swapped = s.proof.clone();
        std::mem::swap(&mut swapped.0.a, &mut swapped.0.c);
        assert_eq!(
            key.verify(&swapped, &s.inputs),
            Err(VerifyError::InvalidProof)
        );
        let mut negated = s.proof.clone();
        negated.0.a = -negated.0.a;
        assert_eq!(
            key.verify(&negated, &s.inputs),
            Err(VerifyError::InvalidProof)
        );
    }
    // A proof of one statement under another's key and inputs.
    let contribute = f.sample(Statement::Contribute);
    let claim = f.sample(Statement::Claim);
    assert_eq!(
        f.keys
            .get(Statement::Claim)
            .verify(&contribute.proof, &claim.inputs),
        Err(VerifyError::InvalidProof)
    );
}

#[test]
fn input_count_checked() {
    let f = fixture();
    for s in &f.samples {
        let key = f.keys.get(s.statement);
        let n = s.inputs.len();
        assert_eq!(
            key.verify(&s.proof, &s.inputs[..n - 1]),
            Err(VerifyError::InputCount {
                expected: n,
                got: n - 1
            })
        );
        assert_eq!(
            key.verify(&s.proof, &[]),
            Err(VerifyError::InputCount {
                expected: n,
                got: 0
            })
        );
        let mut more = s.inputs.clone();
        more.push(Fr::from(0u64));
        assert_eq!(
            key.verify(&s.proof, &more),
            Err(VerifyError::InputCount {
                expected: n,
                got: n + 1
            })
        );
        // Why the count is checked: arkworks ignores an extra input.
        more[n] = Fr::from(12345u64);
        assert_eq!(
            Groth16::<Bn254>::verify(key.ark(), &more, &s.proof.0),
            Ok(true)
        );
        assert!(key.verify(&s.proof, &more).is_err());
    }
    // A proof of one statement with the right number of inputs for it, under
    // the key of another: the count is that key's.
    let c = f.sample(Statement::Contribute);
    assert_eq!(
        f.keys.get(Statement::Attest).verify(&c.proof, &c.inputs),
        Err(VerifyError::InputCount {
            expected: 10,
            got: 7
        })
    );
}
