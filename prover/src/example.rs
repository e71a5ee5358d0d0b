//! Honest example witnesses: a member whose note is the only leaf of the
//! commitment tree. Tests, benchmarks and the snarkjs export check use them to
//! get real proofs without a ledger.

use crate::keys::ProvingKeys;
use crate::prove::{prove, ProveError, Witness};
use ark_ff::UniformRand;
use rand_core::{CryptoRng, RngCore};
use zkpension_circuits::binding::{binding, context_from_text, ChainId, ProofKind};
use zkpension_circuits::field::Fr;
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::statements::{attest, claim, contribute, inherit};
use zkpension_circuits::tree::{MerklePath, MerkleTree};
use zkpension_circuits::Statement;
use zkpension_verifier::ProofFile;

/// The chain name the examples bind their proofs to.
pub const EXAMPLE_CHAIN: &str = "zkpension-example";

/// The path of `note` as the only leaf of a fresh tree.
pub fn one_leaf_path(note: &Note) -> MerklePath {
    let tree =
        MerkleTree::from_leaves(&[note.commit().to_field()]).expect("one leaf fits in the tree");
    tree.path(0).expect("leaf 0 exists")
}

fn chain() -> ChainId {
    ChainId::from_name(EXAMPLE_CHAIN)
}

/// A fresh member (empty account, eligible from epoch 60) contributing 100.00
/// in epoch 1 under a cap of 1000.00.
pub fn contribute_witness<R: RngCore + CryptoRng>(rng: &mut R) -> Witness {
    let sk = SpendingKey::random(rng);
    let note = Note::enrollment(sk.owner(), 60, Fr::rand(rng), Fr::rand(rng));
    let (public, private, _new) = contribute::prepare(
        &sk,
        &note,
        one_leaf_path(&note),
        10_000,
        1,
        100_000,
        binding(&chain(), ProofKind::Contribute, b"example payer reference"),
        Fr::rand(rng),
        note.heir,
    )
    .expect("an enrollment note can contribute below the cap");
    Witness::Contribute(public, private)
}

/// A member with 120.00 paid in over 40 epochs making a first claim in epoch
/// 10 (eligible from epoch 5, divisor 120: a pension of 1.00 per epoch).
pub fn claim_witness<R: RngCore + CryptoRng>(rng: &mut R) -> Witness {
    let sk = SpendingKey::random(rng);
    let note = Note {
        balance: 12_000,
        periods: 40,
        last_epoch: 4,
        epoch_total: 300,
        ..Note::enrollment(sk.owner(), 5, Fr::rand(rng), Fr::rand(rng))
    };
    let (public, private, _new) = claim::prepare(
        &sk,
        &note,
        one_leaf_path(&note),
        10,
        40,
        120,
        binding(&chain(), ProofKind::Claim, b"example recipient"),
        Fr::rand(rng),
        note.heir,
    )
    .expect("the example member is eligible");
    Witness::Claim(public, private)
}

/// The same kind of member attesting a balance of at least 50.00, 10 periods
/// and eligibility in epoch 10, in the context "example".
pub fn attest_witness<R: RngCore + CryptoRng>(rng: &mut R) -> Witness {
    let sk = SpendingKey::random(rng);
    let note = Note {
        balance: 12_000,
        periods: 40,
        last_epoch: 4,
        epoch_total: 300,
        ..Note::enrollment(sk.owner(), 5, Fr::rand(rng), Fr::rand(rng))
    };
    let (public, private, _new) = attest::prepare(
        &sk,
        &note,
        one_leaf_path(&note),
        10,
        context_from_text("example"),
        5_000,
        10,
        true,
        binding(&chain(), ProofKind::Attest, b"example message"),
        Fr::rand(rng),
        note.heir,
    )
    .expect("the example member meets the thresholds");
    Witness::Attest(public, private)
}

/// The heir of such a member, dormant since epoch 4, inheriting in epoch 30
/// under a dormancy of 24 epochs.
pub fn inherit_witness<R: RngCore + CryptoRng>(rng: &mut R) -> Witness {
    let sk = SpendingKey::random(rng);
    let heir = SpendingKey::random(rng);
    let note = Note {
        nk: sk.nullifier_key(),
        heir: heir.owner(),
        balance: 12_000,
        periods: 40,
        last_epoch: 4,
        epoch_total: 300,
        last_active: 4,
        ..Note::enrollment(sk.owner(), 5, Fr::rand(rng), Fr::rand(rng))
    };
    let (public, private) = inherit::prepare(
        &heir,
        &note,
        one_leaf_path(&note),
        30,
        24,
        binding(&chain(), ProofKind::Inherit, b"example heir's account"),
    )
    .expect("the example account is dormant");
    Witness::Inherit(public, private)
}

/// An example witness of `statement`.
pub fn witness<R: RngCore + CryptoRng>(statement: Statement, rng: &mut R) -> Witness {
    match statement {
        Statement::Contribute => contribute_witness(rng),
        Statement::Claim => claim_witness(rng),
        Statement::Attest => attest_witness(rng),
        Statement::Inherit => inherit_witness(rng),
    }
}

/// A valid proof file: a fresh member's first contribution, proved with `keys`.
pub fn fresh_member_proof_file<R: RngCore + CryptoRng>(
    keys: &ProvingKeys,
    rng: &mut R,
) -> Result<ProofFile, ProveError> {
    let w = contribute_witness(rng);
    let proof = prove(keys, &w, rng)?;
    Ok(w.proof_file(&proof))
}
