//! Proving: every statement proves and verifies, batches prove in parallel,
//! and a witness that breaks a clause gets an error naming it, never a proof.

use crate::common;

use ark_ff::UniformRand;
use common::{keys_dir, proving_keys, rng};
use zkpension_circuits::field::Fr;
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::statements::{
    contribute, Clause, ContributePublic, RelationError, SpendWitness,
};
use zkpension_circuits::Statement;
use zkpension_prover::example::{self, one_leaf_path};
use zkpension_prover::{prove, prove_batch, ProveError, ProvingKeys, Witness};
use zkpension_verifier::{ProofFile, VerifierKeys, VerifyError};

fn verifier() -> VerifierKeys {
    VerifierKeys::load_dir(keys_dir()).unwrap()
}

#[test]
fn every_statement_proves_and_verifies() {
    let keys = proving_keys();
    let verifier = verifier();
    let mut rng = rng(1);
    for statement in Statement::ALL {
        let w = example::witness(statement, &mut rng);
        let proof = prove(keys, &w, &mut rng).unwrap();
        let inputs = w.public_inputs();
        verifier.get(statement).verify(&proof, &inputs).unwrap();

        // The proof file round-trips through JSON and still verifies.
        let file = w.proof_file(&proof);
        let back: ProofFile = serde_json::from_str(&serde_json::to_string(&file).unwrap()).unwrap();
        back.verify(&verifier).unwrap();

        // The proof is bound to its inputs.
        let mut other = inputs.clone();
        other[3] += Fr::from(1u64);
        assert_eq!(
            verifier.get(statement).verify(&proof, &other),
            Err(VerifyError::InvalidProof),
            "{statement}"
        );
    }
}

#[test]
fn batch_proves_in_parallel_and_reports_each_failure_in_place() {
    let keys = proving_keys();
    let verifier = verifier();
    let mut rng = rng(2);
    let mut witnesses: Vec<Witness> = Statement::ALL
        .iter()
        .map(|s| example::witness(*s, &mut rng))
        .collect();
    witnesses.push(example::contribute_witness(&mut rng));
    // Index 2: an attest witness whose public threshold the member misses.
    if let Witness::Attest(public, _) = &mut witnesses[2] {
        public.min_balance = u64::MAX;
    }

    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let results = pool.install(|| prove_batch(keys, &witnesses, &mut rng));
    assert_eq!(results.len(), witnesses.len());
    for (i, (w, r)) in witnesses.iter().zip(&results).enumerate() {
        if i == 2 {
            match r {
                Err(ProveError::Unsatisfied(RelationError { statement, clause })) => {
                    assert_eq!(*statement, Statement::Attest);
                    assert_eq!(*clause, Clause::MinBalance);
                }
                other => panic!("expected the min_balance clause, got {other:?}"),
            }
        } else {
            let proof = r.as_ref().unwrap();
            verifier
                .get(w.statement())
                .verify(proof, &w.public_inputs())
                .unwrap();
        }
    }
    // Distinct blinding: the two contribute proofs differ even in A.
    let a0 = &results[0].as_ref().unwrap().0.a;
    let a3 = &results[3].as_ref().unwrap().0.a;
    assert_ne!(a0, a3);
}

/// An enrolled member with `balance` paid in, on a one-leaf tree.
fn member(rng: &mut rand_chacha::ChaCha20Rng) -> (SpendingKey, Note) {
    let sk = SpendingKey::random(rng);
    let note = Note::enrollment(sk.owner(), 60, Fr::rand(rng), Fr::rand(rng));
    (sk, note)
}

fn honest_contribution(rng: &mut rand_chacha::ChaCha20Rng) -> (ContributePublic, SpendWitness) {
    let (sk, note) = member(rng);
    let (public, private, _) = contribute::prepare(
        &sk,
        &note,
        one_leaf_path(&note),
        500,
        3,
        1_000,
        Fr::from(9u64),
        Fr::rand(rng),
        note.heir,
    )
    .unwrap();
    (public, private)
}

/// Breaks one clause of an honest Contribute.
type BreakIt = dyn Fn(&mut ContributePublic, &mut SpendWitness);

#[test]
fn an_unsatisfied_witness_names_the_clause_and_gets_no_proof() {
    let keys = proving_keys();
    let mut rng = rng(3);

    let cases: Vec<(&str, Clause, Box<BreakIt>)> = vec![
        ("cap", Clause::Cap, Box::new(|p, _| p.cap = 499)),
        (
            "anchor",
            Clause::Membership,
            Box::new(|p, _| p.anchor = (p.anchor.to_field() + Fr::from(1u64)).into()),
        ),
        (
            "nullifier",
            Clause::Nullifier,
            Box::new(|p, _| p.nf = (p.nf.to_field() + Fr::from(1u64)).into()),
        ),
        (
            "owner",
            Clause::Owner,
            Box::new(|_, w| w.sk += Fr::from(1u64)),
        ),
        (
            "amount",
            Clause::AmountPositive,
            Box::new(|p, _| p.amount = 0),
        ),
    ];
    for (name, clause, break_it) in cases {
        let (mut public, mut private) = honest_contribution(&mut rng);
        break_it(&mut public, &mut private);
        let err = prove(keys, &Witness::Contribute(public, private), &mut rng).unwrap_err();
        match &err {
            ProveError::Unsatisfied(e) => {
                assert_eq!(e.statement, Statement::Contribute, "{name}");
                assert_eq!(e.clause, clause, "{name}: {err}");
            }
            other => panic!("{name}: expected an unsatisfied clause, got {other}"),
        }
        assert!(
            err.to_string().contains(&clause.to_string()),
            "{name}: the message must name the clause: {err}"
        );
    }
}

#[test]
fn a_statement_whose_keys_were_not_loaded_is_an_error() {
    let keys = ProvingKeys::load_statements(keys_dir(), &[Statement::Attest]).unwrap();
    let mut rng = rng(4);
    let w = example::contribute_witness(&mut rng);
    assert!(matches!(
        prove(&keys, &w, &mut rng),
        Err(ProveError::MissingKey(Statement::Contribute))
    ));
}

#[test]
fn debug_output_does_not_show_the_witness() {
    let mut rng = rng(5);
    let w = example::contribute_witness(&mut rng);
    let Witness::Contribute(_, private) = &w else {
        unreachable!()
    };
    let hex = zkpension_circuits::field::to_hex(&private.sk);
    let decimal = private.sk.to_string();
    let text = format!("{w:?}");
    assert!(
        !text.contains(&hex[2..]) && !text.contains(&decimal),
        "{text}"
    );
    assert!(text.contains("<secret>"));
}

/// zkpension's proof computation is arkworks' to the bit: for the same witness,
/// keys and blinding (r, s), both give the same proof, for every statement.
#[test]
fn same_proof_as_stock_arkworks_for_every_statement() {
    use ark_bn254::Bn254;
    use ark_groth16::Groth16;
    let keys = proving_keys();
    let mut rng = rng(11);
    for statement in Statement::ALL {
        let w = example::witness(statement, &mut rng);
        let k = keys.get(statement).unwrap();
        let z = zkpension_prover::prove::assignment(&w).unwrap();
        let c = k.circuit();
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let stock = Groth16::<Bn254>::create_proof_with_reduction_and_matrices(
            k.proving_key(),
            r,
            s,
            c.ark_matrices(),
            c.info.instance_variables,
            c.info.constraints,
            &z,
        )
        .unwrap();
        let ours = zkpension_prover::groth16::create_proof(
            k.proving_key(),
            k.tables(),
            r,
            s,
            &c.matrices,
            c.info.instance_variables,
            c.info.constraints,
            &z,
        )
        .unwrap();
        assert_eq!(ours, stock, "{statement}");
    }
}

/// Keys without prover tables (what `setup` writes by default) prove without
/// them (low-memory mode): the proofs are the same as with them, for the same
/// randomness, and no tables file is written.
#[test]
fn low_memory_mode_gives_the_same_proofs_without_tables() {
    let dir = tempfile::tempdir().unwrap();
    let copy = common::copy_of_keys(dir.path());
    for statement in Statement::ALL {
        std::fs::remove_file(copy.join(zkpension_prover::keys::tables_file_name(statement)))
            .unwrap();
    }
    let low = ProvingKeys::load(&copy).unwrap();
    let keys = proving_keys();
    let mut witnesses = rng(7);
    for statement in Statement::ALL {
        let w = example::witness(statement, &mut witnesses);
        let with_tables = prove(keys, &w, &mut rng(8)).unwrap();
        let without = prove(&low, &w, &mut rng(8)).unwrap();
        assert_eq!(with_tables, without, "{statement}");
        let k = low.get(statement).unwrap();
        assert!(!k.uses_tables() && k.tables_origin().is_none());
    }
    let left: Vec<_> = std::fs::read_dir(&copy)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n.ends_with(".tables"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
}
