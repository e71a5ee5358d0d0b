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

/// Protocol version 2's note commitment (packed `u64` fields) against
/// `test-vectors/derivations.json`'s `notes`, made with circomlibjs and
/// BigInt packing: natively and by the circuit's gadget.
#[test]
fn note_commitments_match_circomlibjs() {
    use ark_r1cs_std::alloc::AllocVar;
    use ark_r1cs_std::fields::fp::FpVar;
    use ark_r1cs_std::GR1CSVar;
    use ark_relations::gr1cs::ConstraintSystem;
    use zkpension_circuits::note::{Note, NOTE_FIELDS};
    use zkpension_circuits::r1cs::NoteCommitmentVar;

    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/derivations.json")).unwrap();
    let notes = v["notes"].as_array().unwrap();
    assert_eq!(notes.len(), 3);
    for n in notes {
        let hex = |k: &str| parse(n[k].as_str().unwrap());
        let int = |k: &str| n[k].as_str().unwrap().parse::<u64>().unwrap();
        let note = Note {
            owner: hex("owner"),
            nk: hex("nk"),
            heir: hex("heir"),
            eligible_epoch: int("eligible_epoch"),
            balance: int("balance"),
            periods: int("periods"),
            last_epoch: int("last_epoch"),
            epoch_total: int("epoch_total"),
            last_claim: int("last_claim"),
            pension: int("pension"),
            last_active: int("last_active"),
            rho: hex("rho"),
            r: hex("r"),
        };
        assert_eq!(note.commit().to_field(), hex("cm"));
        let cs = ConstraintSystem::<Fr>::new_ref();
        let opening = note.to_field_elements();
        let vars: [FpVar<Fr>; NOTE_FIELDS] =
            std::array::from_fn(|i| FpVar::new_witness(cs.clone(), || Ok(opening[i])).unwrap());
        let cm = NoteCommitmentVar::derive(&vars).unwrap();
        assert_eq!(cm.value().unwrap(), hex("cm"));
        assert!(cs.is_satisfied().unwrap());
    }
}
