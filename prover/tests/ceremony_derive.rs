//! The ceremony's phase-2 keys are exactly ark-groth16's: for the same tau,
//! alpha, beta, gamma = 1 and delta, the keys derived from the powers of tau
//! (group FFT, sparse column sums, delta contributions) serialize to the same
//! bytes as `Groth16::generate_parameters_with_qap`; and the consistency
//! check accepts them and refuses every tampered part.

use ark_bn254::{Bn254, Fr, G1Affine, G1Projective, G2Affine, G2Projective};
use ark_ec::{AffineRepr, CurveGroup, PrimeGroup};
use ark_ff::{UniformRand, Zero};
use ark_groth16::{Groth16, ProvingKey};
use ark_poly::EvaluationDomain;
use ark_relations::gr1cs::{
    ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef, LinearCombination, Matrix,
    OptimizationGoal, SynthesisError, SynthesisMode, Variable, R1CS_PREDICATE_LABEL,
};
use ark_serialize::CanonicalSerialize;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zkpension_circuits::r1cs::ConstraintInfo;
use zkpension_circuits::Statement;
use zkpension_prover::ceremony::{
    apply_delta, check_keys, domain, from_secrets, lagrange, start_keys, Powers, Target,
};

/// A random R1CS: products and linear relations of random coefficients over
/// `inputs` public inputs and `witnesses` witness variables.
#[derive(Clone)]
struct RandomCircuit {
    seed: u64,
    inputs: usize,
    witnesses: usize,
    constraints: usize,
}

impl ConstraintSynthesizer<Fr> for RandomCircuit {
    fn generate_constraints(self, cs: ConstraintSystemRef<Fr>) -> Result<(), SynthesisError> {
        let mut rng = ChaCha20Rng::seed_from_u64(self.seed);
        let mut vars = vec![Variable::One];
        for _ in 0..self.inputs {
            vars.push(cs.new_input_variable(|| Ok(Fr::from(3u64)))?);
        }
        for _ in 0..self.witnesses {
            vars.push(cs.new_witness_variable(|| Ok(Fr::from(5u64)))?);
        }
        for _ in 0..self.constraints {
            let mut lc = |rng: &mut ChaCha20Rng| {
                let mut lc = LinearCombination::zero();
                for _ in 0..rng.gen_range(0..4) {
                    let coeff = match rng.gen_range(0..3) {
                        0 => Fr::from(1u64),
                        1 => -Fr::from(1u64),
                        _ => Fr::rand(rng),
                    };
                    lc += (coeff, vars[rng.gen_range(0..vars.len())]);
                }
                lc
            };
            let (a, b, c) = (lc(&mut rng), lc(&mut rng), lc(&mut rng));
            cs.enforce_r1cs_constraint(|| a, || b, || c)?;
        }
        Ok(())
    }
}

fn matrices_of(circuit: RandomCircuit) -> (ConstraintInfo, Vec<Matrix<Fr>>) {
    let cs = ConstraintSystem::new_ref();
    cs.set_optimization_goal(OptimizationGoal::Constraints);
    cs.set_mode(SynthesisMode::Setup);
    circuit.generate_constraints(cs.clone()).unwrap();
    cs.finalize();
    let matrices = cs.to_matrices().unwrap().remove(R1CS_PREDICATE_LABEL).unwrap();
    let info = ConstraintInfo {
        constraints: cs.num_constraints(),
        instance_variables: cs.num_instance_variables(),
        witness_variables: cs.num_witness_variables(),
        digest: [0; 32],
    };
    (info, matrices)
}

fn bytes(pk: &ProvingKey<Bn254>) -> Vec<u8> {
    let mut out = Vec::new();
    pk.serialize_uncompressed(&mut out).unwrap();
    out
}

/// ark-groth16's keys for this circuit with these secrets: its first use of
/// the rng is the evaluation point, so a clone of the rng tells us tau.
fn reference<C: ConstraintSynthesizer<Fr>>(
    circuit: C,
    rng_seed: u64,
    alpha: Fr,
    beta: Fr,
    delta: Fr,
) -> (Fr, ProvingKey<Bn254>) {
    let rng = ChaCha20Rng::seed_from_u64(rng_seed);
    let tau = Fr::rand(&mut rng.clone());
    let pk = Groth16::<Bn254>::generate_parameters_with_qap(
        circuit,
        alpha,
        beta,
        Fr::from(1u64),
        delta,
        G1Projective::generator(),
        G2Projective::generator(),
        &mut rng.clone(),
    )
    .unwrap();
    (tau, pk)
}

/// Derives keys the ceremony's way and compares them with ark-groth16's.
fn derive_and_compare<C: ConstraintSynthesizer<Fr>>(circuit: C, target: &Target, power: u32) {
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let (alpha, beta) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let (d1, d2) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
    let (tau, expected) = reference(circuit, 11, alpha, beta, d1 * d2);
    let powers = from_secrets(power, &tau, &alpha, &beta);
    let n = domain(target.info.constraints, target.info.instance_variables)
        .unwrap()
        .size();
    let lag = lagrange(&powers, n);
    let mut pk = start_keys(&powers, &lag, target);
    check_keys(&powers, target, &pk, G1Affine::generator(), &mut rng).unwrap();
    apply_delta(&mut pk, &d1);
    apply_delta(&mut pk, &d2);
    assert!(bytes(&pk) == bytes(&expected), "derived keys differ from ark-groth16's");
    check_keys(&powers, target, &pk, pk.delta_g1, &mut rng).unwrap();
    tampering_is_refused(&powers, target, &pk);
}

/// One changed point anywhere in the keys is noticed and named.
fn tampering_is_refused(powers: &Powers, target: &Target, pk: &ProvingKey<Bn254>) {
    let mut rng = ChaCha20Rng::seed_from_u64(99);
    let bump1 = |p: &mut G1Affine| *p = (*p + G1Affine::generator()).into_affine();
    let bump2 = |p: &mut G2Affine| *p = (*p + G2Affine::generator()).into_affine();
    type Edit = Box<dyn Fn(&mut ProvingKey<Bn254>)>;
    let edits: Vec<(&str, Edit)> = vec![
        ("a_query", Box::new(move |k| bump1(k.a_query.last_mut().unwrap()))),
        ("b_g1_query", Box::new(move |k| bump1(&mut k.b_g1_query[1]))),
        ("b_g2_query", Box::new(move |k| bump2(&mut k.b_g2_query[2]))),
        ("gamma_abc_g1", Box::new(move |k| bump1(&mut k.vk.gamma_abc_g1[0]))),
        ("l_query", Box::new(move |k| bump1(&mut k.l_query[0]))),
        ("h_query", Box::new(move |k| bump1(&mut k.h_query[3]))),
        ("alpha_g1", Box::new(move |k| bump1(&mut k.vk.alpha_g1))),
        ("gamma_g2", Box::new(move |k| bump2(&mut k.vk.gamma_g2))),
        ("delta_g1 and delta_g2", Box::new(move |k| bump2(&mut k.vk.delta_g2))),
    ];
    for (name, edit) in edits {
        let mut bad = pk.clone();
        edit(&mut bad);
        let err = check_keys(powers, target, &bad, bad.delta_g1, &mut rng).unwrap_err();
        assert!(err.starts_with(name), "{name}: {err}");
    }
    let mut bad = pk.clone();
    bad.h_query.pop();
    let err = check_keys(powers, target, &bad, bad.delta_g1, &mut rng).unwrap_err();
    assert!(err.contains("h_query has"), "{err}");
    let mut bad = pk.clone();
    bad.l_query.iter_mut().for_each(|p| *p = G1Affine::zero());
    assert!(check_keys(powers, target, &bad, bad.delta_g1, &mut rng).is_err());
}

#[test]
fn derived_keys_equal_ark_groth16_on_random_circuits() {
    for (seed, inputs, witnesses, constraints, power) in
        [(1, 2, 9, 13, 5), (2, 0, 30, 40, 6), (3, 5, 3, 27, 6)]
    {
        let circuit = RandomCircuit {
            seed,
            inputs,
            witnesses,
            constraints,
        };
        let (info, matrices) = matrices_of(circuit.clone());
        let target = Target {
            name: "random",
            info,
            matrices: &matrices,
        };
        derive_and_compare(circuit, &target, power);
    }
}

#[test]
fn derived_keys_equal_ark_groth16_on_the_statements() {
    use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit};
    use zkpension_prover::keys::circuit;
    for statement in Statement::ALL {
        let c = circuit(statement).unwrap();
        let target = Target {
            name: statement.name(),
            info: c.info,
            matrices: &c.matrices,
        };
        match statement {
            Statement::Contribute => derive_and_compare(ContributeCircuit::blank(), &target, 14),
            Statement::Claim => derive_and_compare(ClaimCircuit::blank(), &target, 14),
            Statement::Attest => derive_and_compare(AttestCircuit::blank(), &target, 14),
        }
    }
}
