//! Public inputs: each one is bound by the circuit (used in a constraint, and a
//! real Groth16 proof stops verifying when it changes), the encoders refuse
//! values that do not fit their type, and the constraint systems are pinned.

use crate::common;

use ark_bn254::Bn254;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::Groth16;
use ark_snark::SNARK;
use common::{attest_case, claim_case, contribute_case, two_64, Case};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkpension_circuits::field::{self, EncodingError};
use zkpension_circuits::r1cs::{
    blank_constraint_system, constraint_info, r1cs_matrices, AttestCircuit, ClaimCircuit,
    ContributeCircuit,
};
use zkpension_circuits::statements::{
    AttestPublic, ClaimPublic, ContributePublic, PublicInputError, Statement,
};
use zkpension_circuits::Fr;

#[test]
fn every_public_input_appears_in_a_constraint() {
    for statement in Statement::ALL {
        let cs = blank_constraint_system(statement).unwrap();
        let n = statement.num_public_inputs();
        assert_eq!(cs.num_instance_variables(), n + 1, "{statement}");
        let matrices = r1cs_matrices(&cs).unwrap();
        for column in 1..=n {
            let uses = matrices
                .iter()
                .flat_map(|m| m.iter())
                .filter(|row| row.iter().any(|(c, col)| *col == column && !c.is_zero()))
                .count();
            assert!(
                uses > 0,
                "{statement}: public input `{}` is in no constraint",
                statement.public_input_names()[column - 1]
            );
        }
    }
}

use ark_ff::Zero;

fn prove_and_check_binding(case: Case) {
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let public: Vec<Fr> = case.public.clone();
    macro_rules! run {
        ($circuit:ident) => {{
            let (pk, vk) =
                Groth16::<Bn254>::circuit_specific_setup($circuit::blank(), &mut rng).unwrap();
            let circuit = $circuit::from_raw(public.clone().try_into().unwrap(), case.w.clone());
            let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng).unwrap();
            (vk, proof)
        }};
    }
    let (vk, proof) = match case.statement {
        Statement::Contribute => run!(ContributeCircuit),
        Statement::Claim => run!(ClaimCircuit),
        Statement::Attest => run!(AttestCircuit),
    };
    let pvk = Groth16::<Bn254>::process_vk(&vk).unwrap();
    assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());
    for i in 0..public.len() {
        let mut changed = public.clone();
        changed[i] += Fr::from(1u64);
        assert!(
            !Groth16::<Bn254>::verify_with_processed_vk(&pvk, &changed, &proof).unwrap(),
            "{}: proof still verifies with `{}` changed",
            case.statement,
            case.statement.public_input_names()[i]
        );
    }
}

#[test]
fn groth16_proof_binds_every_contribute_input() {
    prove_and_check_binding(contribute_case(50, 6));
}

#[test]
fn groth16_proof_binds_every_claim_input() {
    prove_and_check_binding(claim_case());
}

#[test]
fn groth16_proof_binds_every_attest_input() {
    prove_and_check_binding(attest_case(true, 20));
}

#[test]
fn encoders_refuse_values_outside_their_type() {
    let check = |statement: Statement, inputs: Vec<Fr>| match statement {
        Statement::Contribute => ContributePublic::from_field_elements(&inputs).map(|_| ()),
        Statement::Claim => ClaimPublic::from_field_elements(&inputs).map(|_| ()),
        Statement::Attest => AttestPublic::from_field_elements(&inputs).map(|_| ()),
    };
    for case in [contribute_case(50, 6), claim_case(), attest_case(true, 20)] {
        let statement = case.statement;
        assert_eq!(check(statement, case.public.clone()), Ok(()));
        // Wrong counts.
        let mut short = case.public.clone();
        short.pop();
        assert!(matches!(
            check(statement, short),
            Err(PublicInputError::Count { .. })
        ));
        let mut long = case.public.clone();
        long.push(Fr::from(0u64));
        assert!(matches!(
            check(statement, long),
            Err(PublicInputError::Count { .. })
        ));
        // Every u64 input given 2^64.
        let u64_inputs: &[&str] = match statement {
            Statement::Contribute => &["amount", "epoch", "cap"],
            Statement::Claim => &["amount", "epoch", "min_periods", "divisor"],
            Statement::Attest => &["epoch", "min_balance", "min_periods"],
        };
        for name in u64_inputs {
            let pos = statement
                .public_input_names()
                .iter()
                .position(|n| n == name)
                .unwrap();
            let mut bad = case.public.clone();
            bad[pos] = two_64();
            match check(statement, bad) {
                Err(PublicInputError::Encoding { name: got, .. }) => assert_eq!(got, *name),
                other => panic!("{statement} {name}: {other:?}"),
            }
        }
    }
    let mut bad = attest_case(false, 3).public;
    bad[8] = Fr::from(2u64);
    assert_eq!(
        AttestPublic::from_field_elements(&bad).map(|_| ()),
        Err(PublicInputError::NotBoolean)
    );
}

#[test]
fn field_bytes_at_or_above_p_are_refused() {
    let p = Fr::MODULUS.to_bytes_be();
    assert!(matches!(
        field::from_bytes(&p),
        Err(EncodingError::NotCanonical)
    ));
    let mut p_plus_1 = p.clone();
    p_plus_1[31] += 1;
    assert!(field::from_bytes(&p_plus_1).is_err());
    assert!(field::from_bytes(&[0xff; 32]).is_err());
    let mut p_minus_1 = p.clone();
    p_minus_1[31] -= 1;
    assert_eq!(field::from_bytes(&p_minus_1).unwrap(), -Fr::from(1u64));
    assert!(field::from_bytes(&[0u8; 31]).is_err());
    assert!(field::from_bytes(&[0u8; 33]).is_err());
    let hex_p = format!("0x{}", hex::encode(&p));
    assert!(field::from_hex(&hex_p).is_err());
}

#[test]
fn constraint_systems_are_pinned() {
    // The pins live in `r1cs::pinned_info`, where key loading reads them;
    // synthesis must give exactly them.
    // Every statement's figures are printed before any is compared, so one
    // run shows all the new pins after a deliberate change.
    let infos: Vec<_> = Statement::ALL
        .iter()
        .map(|s| (*s, constraint_info(*s).unwrap()))
        .collect();
    for (statement, info) in &infos {
        println!(
            "{statement}: {} constraints, {} instance, {} witness, digest {}",
            info.constraints,
            info.instance_variables,
            info.witness_variables,
            hex::encode(info.digest)
        );
    }
    for (statement, info) in infos {
        assert_eq!(info.instance_variables, statement.num_public_inputs() + 1);
        assert_eq!(
            info,
            zkpension_circuits::r1cs::pinned_info(statement),
            "{statement}: the circuit changed; if deliberate, update the pins in \
             circuits/src/r1cs/mod.rs (pinned_info), the README table and STATEMENT_VERSION"
        );
    }
    // Today's figures, as the README and SPEC quote them.
    let counts: Vec<usize> = Statement::ALL
        .iter()
        .map(|s| zkpension_circuits::r1cs::pinned_info(*s).constraints)
        .collect();
    assert_eq!(counts, [9916, 10246, 10044]);
}
