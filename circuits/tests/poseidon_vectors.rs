//! Native Poseidon and the commitment tree against the circomlibjs vectors in
//! `test-vectors/poseidon.json` and `test-vectors/tree.json` (made by an
//! independent implementation).

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

/// `poseidon.json` (shared with independent implementations) also lists the
/// empty subtree roots of protocol version 1's binary tree: a chain of
/// 2-input hashes, still a Poseidon vector.
#[test]
fn binary_empty_roots_chain() {
    let v = vectors();
    let roots: Vec<Fr> = v["empty_subtree_roots"]
        .as_array()
        .unwrap()
        .iter()
        .map(|x| parse(x.as_str().unwrap()))
        .collect();
    assert_eq!(roots.len(), 33);
    for pair in roots.windows(2) {
        assert_eq!(poseidon::hash2(pair[0], pair[0]), pair[1]);
    }
}

fn tree_vectors() -> serde_json::Value {
    serde_json::from_str(include_str!("../../test-vectors/tree.json")).unwrap()
}

fn parse_all(v: &serde_json::Value) -> Vec<Fr> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|x| parse(x.as_str().unwrap()))
        .collect()
}

/// The quaternary tree against `test-vectors/tree.json` (circomlibjs, naive
/// level-by-level hashing): empty roots, roots of small trees, and paths.
#[test]
fn tree_vectors_from_circomlibjs() {
    let v = tree_vectors();
    let roots = parse_all(&v["empty_subtree_roots"]);
    assert_eq!(roots.len(), tree::DEPTH + 1);
    assert_eq!(&roots[..], &tree::empty_roots()[..]);
    assert_eq!(tree::MerkleTree::new().root(), roots[tree::DEPTH]);

    let leaves: Vec<Fr> = (0..70u64)
        .map(|i| poseidon::hash(&[Fr::from(i + 1)]))
        .collect();
    let cases = v["roots"].as_array().unwrap();
    assert!(cases.len() >= 5);
    for case in cases {
        let n = case["leaves"].as_u64().unwrap() as usize;
        let tree = tree::MerkleTree::from_leaves(&leaves[..n]).unwrap();
        assert_eq!(
            tree.root(),
            parse(case["root"].as_str().unwrap()),
            "{n} leaves"
        );
    }
    let tree = tree::MerkleTree::from_leaves(&leaves).unwrap();
    let paths = v["paths"].as_array().unwrap();
    assert!(paths.len() >= 5);
    for case in paths {
        let index = case["index"].as_u64().unwrap();
        let path: tree::MerklePath = serde_json::from_value(serde_json::json!({
            "index": index,
            "siblings": case["siblings"],
        }))
        .unwrap();
        assert_eq!(path, tree.path(index).unwrap(), "path of leaf {index}");
        assert_eq!(
            path.root(parse(case["leaf"].as_str().unwrap())),
            tree.root()
        );
    }
}
