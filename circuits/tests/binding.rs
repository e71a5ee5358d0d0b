//! Public inputs: each one is bound by the circuit (used in a constraint, and a
//! real Groth16 proof stops verifying when it changes), the encoders refuse
//! values that do not fit their type, and the constraint systems are pinned.

use crate::common;

use ark_bn254::Bn254;
use ark_ff::{BigInteger, PrimeField};
use ark_groth16::Groth16;
use ark_snark::SNARK;
use common::{attest_case, claim_case, contribute_case, inherit_case, two_64, Case};
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkpension_circuits::field::{self, EncodingError};
use zkpension_circuits::r1cs::{
    blank_constraint_system, constraint_info, r1cs_matrices, AttestCircuit, ClaimCircuit,
    ContributeCircuit, InheritCircuit,
};
use zkpension_circuits::statements::{
    AttestPublic, ClaimPublic, ContributePublic, InheritPublic, PublicInputError, Statement,
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
    let w = case.w.clone();
    macro_rules! raw {
        () => {
            case.public.clone().try_into().unwrap()
        };
    }
    match case.statement {
        Statement::Contribute => check_binding(
            ContributeCircuit::blank(),
            ContributeCircuit::from_raw(raw!(), w),
            case.statement,
        ),
        Statement::Claim => check_binding(
            ClaimCircuit::blank(),
            ClaimCircuit::from_raw(raw!(), w),
            case.statement,
        ),
        Statement::Attest => check_binding(
            AttestCircuit::blank(),
            AttestCircuit::from_raw(raw!(), w),
            case.statement,
        ),
        Statement::Inherit => unreachable!("an Inherit instance is an InheritCase"),
    }
}

/// Proves `circuit` under keys made from `blank`, then checks the proof
/// verifies against its public inputs and against no input changed by one.
fn check_binding<C>(blank: C, circuit: C, statement: Statement)
where
    C: ark_relations::gr1cs::ConstraintSynthesizer<Fr> + PublicInputs,
{
    let mut rng = ChaCha20Rng::seed_from_u64(11);
    let public = circuit.inputs();
    let (pk, vk) = Groth16::<Bn254>::circuit_specific_setup(blank, &mut rng).unwrap();
    let proof = Groth16::<Bn254>::prove(&pk, circuit, &mut rng).unwrap();
    let pvk = Groth16::<Bn254>::process_vk(&vk).unwrap();
    assert!(Groth16::<Bn254>::verify_with_processed_vk(&pvk, &public, &proof).unwrap());
    for i in 0..public.len() {
        let mut changed = public.clone();
        changed[i] += Fr::from(1u64);
        assert!(
            !Groth16::<Bn254>::verify_with_processed_vk(&pvk, &changed, &proof).unwrap(),
            "{}: proof still verifies with `{}` changed",
            statement,
            statement.public_input_names()[i]
        );
    }
}

/// A circuit's public inputs, SPEC order.
trait PublicInputs {
    fn inputs(&self) -> Vec<Fr>;
}

macro_rules! public_inputs {
    ($($circuit:ident),*) => {$(
        impl PublicInputs for $circuit {
            fn inputs(&self) -> Vec<Fr> {
                self.public_inputs().to_vec()
            }
        }
    )*};
}
public_inputs!(
    ContributeCircuit,
    ClaimCircuit,
    AttestCircuit,
    InheritCircuit
);

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
fn groth16_proof_binds_every_inherit_input() {
    let case = inherit_case(15);
    check_binding(InheritCircuit::blank(), case.circuit(), Statement::Inherit);
}

#[test]
fn encoders_refuse_values_outside_their_type() {
    let check = |statement: Statement, inputs: Vec<Fr>| match statement {
        Statement::Contribute => ContributePublic::from_field_elements(&inputs).map(|_| ()),
        Statement::Claim => ClaimPublic::from_field_elements(&inputs).map(|_| ()),
        Statement::Attest => AttestPublic::from_field_elements(&inputs).map(|_| ()),
        Statement::Inherit => InheritPublic::from_field_elements(&inputs).map(|_| ()),
    };
    let cases = [contribute_case(50, 6), claim_case(), attest_case(true, 20)]
        .map(|c| (c.statement, c.public));
    let inherit = (Statement::Inherit, inherit_case(15).public.to_vec());
    for (statement, public) in cases.into_iter().chain([inherit]) {
        assert_eq!(check(statement, public.clone()), Ok(()));
        // Wrong counts.
        let mut short = public.clone();
        short.pop();
        assert!(matches!(
            check(statement, short),
            Err(PublicInputError::Count { .. })
        ));
        let mut long = public.clone();
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
            Statement::Inherit => &["amount", "epoch", "dormancy"],
        };
        for name in u64_inputs {
            let pos = statement
                .public_input_names()
                .iter()
                .position(|n| n == name)
                .unwrap();
            let mut bad = public.clone();
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
    assert_eq!(counts, [9916, 10246, 10044, 8928]);
}
