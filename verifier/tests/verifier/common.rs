//! Throwaway Groth16 keys and real proofs of the four statements, made with
//! a fixed seed once per circuit version and cached in the target directory
//! (nextest runs every test in its own process: making them costs about 10 s
//! a process, loading them a few milliseconds).

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::OnceLock;

use ark_bn254::Bn254;
use ark_ff::UniformRand;
use ark_groth16::Groth16;
use ark_snark::SNARK;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use zkpension_circuits::binding::{binding, ChainId, ProofKind};
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit, InheritCircuit};
use zkpension_circuits::statements::{attest, claim, contribute, inherit};
use zkpension_circuits::tree::{MerklePath, MerkleTree};
use zkpension_circuits::values::ContextId;
use zkpension_verifier::{
    KeyEntry, KeyManifest, Proof, ProofFile, Statement, VerifierKeys, VerifyingKey,
};

pub use zkpension_verifier::Fr;

/// A valid proof with its statement and public inputs.
#[derive(Clone, Debug)]
pub struct Sample {
    pub statement: Statement,
    pub proof: Proof,
    pub inputs: Vec<Fr>,
}

impl Sample {
    pub fn file(&self) -> ProofFile {
        ProofFile {
            statement: self.statement,
            proof: self.proof.clone(),
            public_inputs: self.inputs.clone(),
        }
    }
}

pub struct Fixture {
    pub keys: VerifierKeys,
    /// One valid sample per statement, in `Statement::ALL` order.
    pub samples: Vec<Sample>,
}

impl Fixture {
    pub fn sample(&self, statement: Statement) -> &Sample {
        self.samples
            .iter()
            .find(|s| s.statement == statement)
            .expect("one sample per statement")
    }

    /// A fresh proof of the same statement and inputs as `sample`
    /// (re-randomized: different bytes, equally valid).
    pub fn rerandomize(&self, sample: &Sample, rng: &mut ChaCha20Rng) -> Sample {
        let vk = self.keys.get(sample.statement).ark();
        let proof = Groth16::<Bn254>::rerandomize_proof(vk, &sample.proof.0, rng);
        Sample {
            proof: Proof(proof),
            ..sample.clone()
        }
    }
}

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn fixture() -> &'static Fixture {
    static FIXTURE: OnceLock<Fixture> = OnceLock::new();
    FIXTURE.get_or_init(cached_fixture)
}

/// The fixture from `CARGO_TARGET_TMPDIR`, named by the circuits' constraint
/// digests (a changed circuit gets new keys), made and stored if absent.
fn cached_fixture() -> Fixture {
    let digest: String = Statement::ALL
        .iter()
        .map(|&s| {
            let info = zkpension_circuits::r1cs::constraint_info(s).expect("constraint system");
            hex::encode(&info.digest[..4])
        })
        .collect();
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let dir = tmp.join(format!("zkpension-verifier-fixture-{digest}"));
    if let Some(f) = load_fixture(&dir) {
        return f;
    }
    let f = make_fixture();
    let partial = tmp.join(format!(
        "zkpension-verifier-fixture-{digest}.tmp{}",
        std::process::id()
    ));
    std::fs::create_dir_all(&partial).expect("target tmp dir");
    for sample in &f.samples {
        let name = sample.statement.to_string();
        let vk = f.keys.get(sample.statement).to_bytes();
        std::fs::write(partial.join(format!("{name}.vk")), vk).expect("write vk");
        let proof = serde_json::to_vec(&sample.file()).expect("proof json");
        std::fs::write(partial.join(format!("{name}.proof.json")), proof).expect("write proof");
    }
    // Another test process may have stored it first; either copy will do.
    if std::fs::rename(&partial, &dir).is_err() {
        let _ = std::fs::remove_dir_all(&partial);
    }
    f
}

/// Reads a stored fixture; the keys and proofs go through the verifier's own
/// checked decoding, and each proof must still verify.
fn load_fixture(dir: &Path) -> Option<Fixture> {
    let mut vks = Vec::new();
    let mut samples = Vec::new();
    for s in Statement::ALL {
        let vk = std::fs::read(dir.join(format!("{s}.vk"))).ok()?;
        vks.push(VerifyingKey::from_bytes(s, &vk).ok()?);
        let file: ProofFile =
            serde_json::from_slice(&std::fs::read(dir.join(format!("{s}.proof.json"))).ok()?)
                .ok()?;
        samples.push(Sample {
            statement: s,
            proof: file.proof,
            inputs: file.public_inputs,
        });
    }
    let keys = VerifierKeys::new(vks.try_into().ok()?).ok()?;
    samples
        .iter()
        .all(|x| keys.get(x.statement).verify(&x.proof, &x.inputs).is_ok())
        .then_some(Fixture { keys, samples })
}

fn one_leaf_path(note: &Note) -> MerklePath {
    let tree = MerkleTree::from_leaves(&[note.commit().to_field()]).expect("one leaf fits");
    tree.path(0).expect("leaf 0 exists")
}

fn chain() -> ChainId {
    ChainId::from_name("zkpension-verifier-tests")
}

fn retired_member(rng: &mut ChaCha20Rng) -> (SpendingKey, Note) {
    let sk = SpendingKey::random(rng);
    let note = Note {
        balance: 12_000,
        periods: 40,
        last_epoch: 4,
        epoch_total: 300,
        ..Note::enrollment(sk.owner(), 5, Fr::rand(rng), Fr::rand(rng))
    };
    (sk, note)
}

fn make_fixture() -> Fixture {
    let mut rng = rng(0x7e57_0001);
    let (vks, samples): (Vec<_>, Vec<_>) = Statement::ALL
        .iter()
        .map(|&statement| make_statement(statement, &mut rng))
        .unzip();
    let vk = |i: usize| {
        VerifyingKey::new(Statement::ALL[i], vks[i].clone()).expect("setup gives a valid key")
    };
    let keys = VerifierKeys::new(std::array::from_fn(vk)).expect("keys in statement order");
    Fixture { keys, samples }
}

fn make_statement(
    statement: Statement,
    rng: &mut ChaCha20Rng,
) -> (ark_groth16::VerifyingKey<Bn254>, Sample) {
    match statement {
        Statement::Contribute => {
            let sk = SpendingKey::random(rng);
            let note = Note::enrollment(sk.owner(), 60, Fr::rand(rng), Fr::rand(rng));
            let (public, private, _) = contribute::prepare(
                &sk,
                &note,
                one_leaf_path(&note),
                10_000,
                1,
                100_000,
                binding(&chain(), ProofKind::Contribute, b"payer"),
                Fr::rand(rng),
                note.heir,
            )
            .expect("honest contribute");
            let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(ContributeCircuit::blank(), rng)
                .expect("setup");
            let circuit = ContributeCircuit::new(&public, &private);
            let inputs = circuit.public_inputs().to_vec();
            let proof = Groth16::<Bn254>::prove(&pk, circuit, rng).expect("prove");
            (pk.vk, sample(statement, proof, inputs))
        }
        Statement::Claim => {
            let (sk, note) = retired_member(rng);
            let (public, private, _) = claim::prepare(
                &sk,
                &note,
                one_leaf_path(&note),
                10,
                40,
                120,
                binding(&chain(), ProofKind::Claim, b"recipient"),
                Fr::rand(rng),
                note.heir,
            )
            .expect("honest claim");
            let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(ClaimCircuit::blank(), rng)
                .expect("setup");
            let circuit = ClaimCircuit::new(&public, &private);
            let inputs = circuit.public_inputs().to_vec();
            let proof = Groth16::<Bn254>::prove(&pk, circuit, rng).expect("prove");
            (pk.vk, sample(statement, proof, inputs))
        }
        Statement::Attest => {
            let (sk, note) = retired_member(rng);
            let (public, private, _) = attest::prepare(
                &sk,
                &note,
                one_leaf_path(&note),
                10,
                ContextId::from(Fr::from(77u64)),
                5_000,
                10,
                true,
                binding(&chain(), ProofKind::Attest, b"message"),
                Fr::rand(rng),
                note.heir,
            )
            .expect("honest attest");
            let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(AttestCircuit::blank(), rng)
                .expect("setup");
            let circuit = AttestCircuit::new(&public, &private);
            let inputs = circuit.public_inputs().to_vec();
            let proof = Groth16::<Bn254>::prove(&pk, circuit, rng).expect("prove");
            (pk.vk, sample(statement, proof, inputs))
        }
        Statement::Inherit => {
            let (sk, note) = retired_member(rng);
            let heir = SpendingKey::random(rng);
            let note = Note {
                nk: sk.nullifier_key(),
                heir: heir.owner(),
                last_active: 4,
                ..note
            };
            let (public, private) = inherit::prepare(
                &heir,
                &note,
                one_leaf_path(&note),
                30,
                24,
                binding(&chain(), ProofKind::Inherit, b"recipient"),
            )
            .expect("honest inherit");
            let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(InheritCircuit::blank(), rng)
                .expect("setup");
            let circuit = InheritCircuit::new(&public, &private);
            let inputs = circuit.public_inputs().to_vec();
            let proof = Groth16::<Bn254>::prove(&pk, circuit, rng).expect("prove");
            (pk.vk, sample(statement, proof, inputs))
        }
    }
}

fn sample(statement: Statement, proof: ark_groth16::Proof<Bn254>, inputs: Vec<Fr>) -> Sample {
    Sample {
        statement,
        proof: Proof(proof),
        inputs,
    }
}

/// Writes the fixture's verifying keys and a manifest into `dir`. The proving
/// keys are not written (a verifier never reads them); the manifest lists a
/// stand-in `.pk` file, written too, so the entries are complete.
pub fn write_key_dir(dir: &Path, fixture: &Fixture) -> KeyManifest {
    let mut entries = BTreeMap::new();
    for statement in Statement::ALL {
        let vk = fixture.keys.get(statement).to_bytes();
        let pk = format!("stand-in proving key of {statement}").into_bytes();
        std::fs::write(dir.join(zkpension_verifier::vk_file_name(statement)), &vk)
            .expect("write vk");
        std::fs::write(dir.join(zkpension_verifier::pk_file_name(statement)), &pk)
            .expect("write pk");
        entries.insert(
            statement,
            KeyEntry::new(statement, 1000, format!("0x{}", "00".repeat(32)), &pk, &vk),
        );
    }
    let manifest = KeyManifest::new("seeded test keys (insecure)", entries);
    manifest.write(dir).expect("write manifest");
    manifest
}
