//! Every gadget against its native counterpart, on the same inputs.

use crate::common;

use ark_r1cs_std::alloc::AllocVar;
use ark_r1cs_std::fields::fp::FpVar;
use ark_r1cs_std::GR1CSVar;
use ark_relations::gr1cs::{ConstraintSystem, ConstraintSystemRef};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha20Rng;
use zkpension_circuits::note::{AttestTag, NoteCommitment, Nullifier, NOTE_FIELDS};
use zkpension_circuits::r1cs::{
    keys as keys_var, range, AttestTagVar, MerklePathVar, NoteCommitmentVar, NullifierVar,
    PoseidonVar,
};
use zkpension_circuits::tree::{self, MerklePath, MerkleTree};
use zkpension_circuits::values::ContextId;
use zkpension_circuits::{field, keys, poseidon, Fr};

fn rng() -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(7)
}

fn witness(cs: &ConstraintSystemRef<Fr>, x: Fr) -> FpVar<Fr> {
    FpVar::new_witness(cs.clone(), || Ok(x)).unwrap()
}

fn random_fr(rng: &mut ChaCha20Rng) -> Fr {
    let bytes: [u8; 32] = rng.gen();
    let mut b = bytes;
    b[0] &= 0x1f;
    field::from_bytes(&b).unwrap()
}

#[test]
fn poseidon_gadget_matches_native_and_vectors() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/poseidon.json")).unwrap();
    for case in v["poseidon"].as_array().unwrap() {
        let inputs: Vec<Fr> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| field::from_hex(x.as_str().unwrap()).unwrap())
            .collect();
        let expected = field::from_hex(case["output"].as_str().unwrap()).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<_> = inputs.iter().map(|x| witness(&cs, *x)).collect();
        let out = PoseidonVar::hash(&vars).unwrap();
        assert_eq!(out.value().unwrap(), expected, "{} inputs", inputs.len());
        assert_eq!(poseidon::hash(&inputs), expected);
        assert!(cs.is_satisfied().unwrap());
        // A wrong output is not accepted.
        let bad = witness(&cs, expected + Fr::from(1u64));
        use ark_r1cs_std::eq::EqGadget;
        out.enforce_equal(&bad).unwrap();
        assert!(!cs.is_satisfied().unwrap());
    }
}

#[test]
fn poseidon_gadget_costs() {
    // 3 constraints per S-box; the constant state[0] S-box of round one is free.
    for (n, expected) in [(2usize, 240usize), (11, 465)] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let vars: Vec<_> = (0..n).map(|i| witness(&cs, Fr::from(i as u64))).collect();
        let _ = PoseidonVar::hash(&vars).unwrap();
        assert_eq!(cs.num_constraints(), expected, "{n} inputs");
    }
    let cs = ConstraintSystem::<Fr>::new_ref();
    assert!(PoseidonVar::hash(&[]).is_err());
    let vars: Vec<_> = (0..13).map(|i| witness(&cs, Fr::from(i as u64))).collect();
    assert!(PoseidonVar::hash(&vars).is_err());
}

#[test]
fn key_note_nullifier_tag_gadgets_match_native() {
    let mut rng = rng();
    for _ in 0..4 {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let sk = random_fr(&mut rng);
        let sk_var = witness(&cs, sk);
        assert_eq!(
            keys_var::owner(&sk_var).unwrap().value().unwrap(),
            keys::owner(&sk)
        );
        let nk = keys::nullifier_key(&sk);
        let nk_var = keys_var::nullifier_key(&sk_var).unwrap();
        assert_eq!(nk_var.value().unwrap(), nk);

        let opening: [Fr; NOTE_FIELDS] = std::array::from_fn(|_| random_fr(&mut rng));
        let vars: [FpVar<Fr>; NOTE_FIELDS] = std::array::from_fn(|i| witness(&cs, opening[i]));
        assert_eq!(
            NoteCommitmentVar::derive(&vars).unwrap().value().unwrap(),
            (NoteCommitment::derive(&opening)).to_field()
        );
        let rho = random_fr(&mut rng);
        assert_eq!(
            NullifierVar::derive(&nk_var, &witness(&cs, rho))
                .unwrap()
                .value()
                .unwrap(),
            (Nullifier::derive(&nk, &rho)).to_field()
        );
        let context = random_fr(&mut rng);
        assert_eq!(
            AttestTagVar::derive(&nk_var, &witness(&cs, context))
                .unwrap()
                .value()
                .unwrap(),
            AttestTag::derive(&nk, &ContextId::from_field(context)).to_field()
        );
        assert!(cs.is_satisfied().unwrap());
    }
}

#[test]
fn merkle_path_gadget_matches_native() {
    let mut rng = rng();
    let leaves: Vec<Fr> = (0..70).map(|_| random_fr(&mut rng)).collect();
    let tree = MerkleTree::from_leaves(&leaves).unwrap();
    for index in [0u64, 1, 2, 3, 17, 36, 63, 64, 69] {
        let path = tree.path(index).unwrap();
        let cs = ConstraintSystem::<Fr>::new_ref();
        let path_var = MerklePathVar::new_witness(cs.clone(), || Ok(&path)).unwrap();
        let leaf = witness(&cs, leaves[index as usize]);
        let root = path_var.root(&leaf).unwrap();
        assert_eq!(root.value().unwrap(), tree.root());
        assert_eq!(path.root(leaves[index as usize]), tree.root());
        assert!(cs.is_satisfied().unwrap());
    }
    // Paths far beyond any tree built here: every digit 0..3 at every level
    // (indices up to 2^48 - 1), random siblings; gadget and native agree.
    for index in [
        tree::CAPACITY - 1,
        0x5555_5555_5555,
        0xaaaa_aaaa_aaaa,
        0x1b1b_1b1b_1b1b,
        0xe4e4_e4e4_e4e4,
    ] {
        let mut path = MerklePath::blank(index);
        for level in path.siblings.iter_mut() {
            *level = [(); 3].map(|_| random_fr(&mut rng));
        }
        let leaf = random_fr(&mut rng);
        let cs = ConstraintSystem::<Fr>::new_ref();
        let path_var = MerklePathVar::new_witness(cs.clone(), || Ok(&path)).unwrap();
        let root = path_var.root(&witness(&cs, leaf)).unwrap();
        assert_eq!(root.value().unwrap(), path.root(leaf), "index {index:#x}");
        assert!(cs.is_satisfied().unwrap());
    }
    // Digits are two Boolean witnesses each; per level the placement of the
    // node among its siblings costs 5 constraints and the 4-input hash 297.
    let cs = ConstraintSystem::<Fr>::new_ref();
    let path = tree.path(3).unwrap();
    let path_var = MerklePathVar::new_witness(cs.clone(), || Ok(&path)).unwrap();
    assert_eq!(cs.num_constraints(), 24 * 2, "two booleans a level");
    let _ = path_var.root(&witness(&cs, leaves[3])).unwrap();
    assert_eq!(
        cs.num_constraints(),
        24 * 304,
        "24 levels of two digit bits, a 5-constraint placement and a 4-input hash"
    );
}

#[test]
fn u64_range_gadget() {
    for (x, ok) in [
        (Fr::from(0u64), true),
        (Fr::from(u64::MAX), true),
        (common::two_64(), false),
        (common::two_64() + Fr::from(5u64), false),
        (common::neg(1), false),
    ] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        range::enforce_u64(&witness(&cs, x)).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), ok, "{x}");
        assert_eq!(field::to_u64(&x).is_ok(), ok, "native agrees on {x}");
    }
    for (a, b, ok) in [
        (3u64, 5u64, true),
        (5, 5, true),
        (6, 5, false),
        (u64::MAX, 0, false),
    ] {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let (a_var, b_var) = (witness(&cs, Fr::from(a)), witness(&cs, Fr::from(b)));
        range::enforce_u64(&a_var).unwrap();
        range::enforce_u64(&b_var).unwrap();
        range::enforce_leq(&a_var, &b_var).unwrap();
        assert_eq!(cs.is_satisfied().unwrap(), ok, "{a} <= {b}");
    }
}
