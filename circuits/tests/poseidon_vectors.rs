//! Native Poseidon and the empty subtree roots against the circomlibjs vectors
//! in `test-vectors/poseidon.json` (made by an independent implementation).

use ark_bn254::Fr;
use zkpension_circuits::{field, poseidon, tree};

fn vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("../../test-vectors/poseidon.json")).unwrap()
}

fn parse(s: &str) -> Fr {
    field::from_hex(s).expect("vector is a canonical field element")
}

#[test]
fn circomlib_vectors() {
    let v = vectors();
    let cases = v["poseidon"].as_array().unwrap();
    let mut arities = std::collections::BTreeSet::new();
    for case in cases {
        let inputs: Vec<Fr> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| parse(x.as_str().unwrap()))
            .collect();
        arities.insert(inputs.len());
        assert_eq!(
            poseidon::hash(&inputs),
            parse(case["output"].as_str().unwrap()),
            "{} inputs",
            inputs.len()
        );
    }
    assert_eq!(
        arities,
        (1..=12).collect(),
        "vectors cover every arity 1..=12"
    );
}

#[test]
fn empty_subtree_roots() {
    let v = vectors();
    let roots: Vec<Fr> = v["empty_subtree_roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| parse(x.as_str().unwrap()))
        .collect();
    assert_eq!(roots.len(), tree::DEPTH + 1);
    assert_eq!(&roots[..], &tree::empty_roots()[..]);
    assert_eq!(tree::MerkleTree::new().root(), roots[tree::DEPTH]);
}
