//! Test support: throwaway Groth16 keys (seeded, made once and cached under
//! the target directory), a chain with seeded registrar and authority keys,
//! and members that prove real transactions.
#![allow(dead_code)]

use ark_bn254::Bn254;
use ark_groth16::{Groth16, ProvingKey};
use ark_serialize::{CanonicalDeserialize, CanonicalSerialize};
use ark_snark::SNARK;
use ed25519_dalek::SigningKey;
use rand_chacha::rand_core::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use zkpension_circuits::binding::{ChainId, ProofKind};
use zkpension_circuits::field::Fr;
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::r1cs::{
    self, AttestCircuit, ClaimCircuit, ContributeCircuit, InheritCircuit,
};
use zkpension_circuits::statements::{attest, claim, contribute, inherit};
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::ContextId;
use zkpension_circuits::Statement;
use zkpension_core::genesis::GenesisParams;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{
    contribute_binding, inherit_binding, spend_binding, AdvanceEpoch, Attest, CancelParams, Claim,
    Contribute, Enroll, Inherit, SetParams,
};
use zkpension_core::{Genesis, Params, Transaction};
use zkpension_verifier::{KeyEntry, KeyManifest, Proof, VerifierKeys, VerifyingKey};

/// Seed of the throwaway keys: insecure, for tests only.
const KEY_SEED: [u8; 32] = *b"zkpension ledger test keys v1...";

pub struct Fixture {
    /// A key directory: manifest, `.vk` files and (uncompressed) `.pk` files.
    pub keys_dir: PathBuf,
    pub keys: VerifierKeys,
    pks: BTreeMap<Statement, ProvingKey<Bn254>>,
}

impl Fixture {
    pub fn pk(&self, s: Statement) -> &ProvingKey<Bn254> {
        &self.pks[&s]
    }

    pub fn vk_ids(&self) -> BTreeMap<Statement, FixedBytes<32>> {
        self.keys
            .ids()
            .into_iter()
            .map(|(s, id)| (s, FixedBytes(id)))
            .collect()
    }
}

fn target_tmp() -> PathBuf {
    PathBuf::from(option_env!("CARGO_TARGET_TMPDIR").unwrap_or("target/tmp"))
}

/// The keys of every test binary: generated once per circuit version and
/// cached in the target directory.
pub fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let infos: BTreeMap<Statement, r1cs::ConstraintInfo> = Statement::ALL
            .into_iter()
            .map(|s| (s, r1cs::constraint_info(s).expect("constraint system")))
            .collect();
        let digest: String = infos
            .values()
            .map(|i| hex::encode(&i.digest[..4]))
            .collect();
        let dir = target_tmp().join(format!("zkpension-ledger-keys-{digest}"));
        if let Some(f) = load_cached(&dir) {
            return f;
        }
        let tmp = target_tmp().join(format!(
            "zkpension-ledger-keys-{digest}.tmp{}",
            std::process::id()
        ));
        std::fs::create_dir_all(&tmp).unwrap();
        let mut entries = BTreeMap::new();
        for (stream, s) in Statement::ALL.into_iter().enumerate() {
            let mut rng = ChaCha20Rng::from_seed(KEY_SEED);
            rng.set_stream(stream as u64 + 1);
            let (pk, vk) = match s {
                Statement::Contribute => {
                    Groth16::<Bn254>::circuit_specific_setup(ContributeCircuit::blank(), &mut rng)
                }
                Statement::Claim => {
                    Groth16::<Bn254>::circuit_specific_setup(ClaimCircuit::blank(), &mut rng)
                }
                Statement::Attest => {
                    Groth16::<Bn254>::circuit_specific_setup(AttestCircuit::blank(), &mut rng)
                }
                Statement::Inherit => {
                    Groth16::<Bn254>::circuit_specific_setup(InheritCircuit::blank(), &mut rng)
                }
            }
            .unwrap();
            let vk_bytes = VerifyingKey::new(s, vk).unwrap().to_bytes();
            let mut pk_bytes = Vec::new();
            pk.serialize_uncompressed(&mut pk_bytes).unwrap();
            std::fs::write(tmp.join(zkpension_verifier::vk_file_name(s)), &vk_bytes).unwrap();
            std::fs::write(tmp.join(zkpension_verifier::pk_file_name(s)), &pk_bytes).unwrap();
            let info = &infos[&s];
            entries.insert(
                s,
                KeyEntry::new(
                    s,
                    info.constraints as u64,
                    format!("0x{}", hex::encode(info.digest)),
                    &pk_bytes,
                    &vk_bytes,
                ),
            );
        }
        KeyManifest::new("seeded test keys (insecure)", entries)
            .write(&tmp)
            .unwrap();
        // Another test binary may have raced us here; either copy will do.
        if std::fs::rename(&tmp, &dir).is_err() {
            let _ = std::fs::remove_dir_all(&tmp);
        }
        load_cached(&dir).expect("keys just written")
    })
}

fn load_cached(dir: &Path) -> Option<Fixture> {
    let keys = VerifierKeys::load_dir(dir).ok()?;
    let manifest = KeyManifest::read(dir).ok()?;
    let mut pks = BTreeMap::new();
    for s in Statement::ALL {
        // The manifest pins the file's size and hash, so the points were
        // checked when the file was made.
        let bytes = manifest.read_pk(dir, s).ok()?;
        let pk = ProvingKey::<Bn254>::deserialize_uncompressed_unchecked(bytes.as_slice()).ok()?;
        pks.insert(s, pk);
    }
    Some(Fixture {
        keys_dir: dir.to_path_buf(),
        keys,
        pks,
    })
}

pub fn registrar() -> SigningKey {
    SigningKey::from_bytes(&[7; 32])
}

pub fn authority() -> SigningKey {
    SigningKey::from_bytes(&[8; 32])
}

pub fn chain_id() -> ChainId {
    ChainId::from_name("zkpension-test")
}

/// A genesis with the test keys.
pub fn genesis(params: Params, anchor_window: u64) -> Genesis {
    genesis_with_keys(params, anchor_window, fixture().vk_ids())
}

/// A genesis with the test registrar and authority, `params` and the
/// verifying keys `vk_ids` (e.g. `SimKeys::vk_ids`).
pub fn genesis_with_keys(
    params: Params,
    anchor_window: u64,
    vk_ids: BTreeMap<Statement, FixedBytes<32>>,
) -> Genesis {
    Genesis {
        chain_id: chain_id(),
        registrar: FixedBytes(registrar().verifying_key().to_bytes()),
        authority: FixedBytes(authority().verifying_key().to_bytes()),
        params: GenesisParams {
            cap: params.cap,
            min_periods: params.min_periods,
            divisor: params.divisor,
            anchor_window,
        },
        initial_epoch: 1,
        paying_agent: None,
        ceremony: None,
        governance: None,
        subsidy: None,
        dormancy: Some(DORMANCY),
        verifying_keys: vk_ids,
    }
}

/// The test chains' dormancy: an heir may inherit after 3 epochs without
/// an action by the member.
pub const DORMANCY: u64 = 3;

pub fn rng(seed: u64) -> ChaCha20Rng {
    ChaCha20Rng::seed_from_u64(seed)
}

pub fn advance(epoch: u64, nonce: u64) -> Transaction {
    AdvanceEpoch::sign(&chain_id(), epoch, nonce, &authority()).into()
}

/// A parameter change in force from `effective_epoch`.
pub fn set_params(params: Params, effective_epoch: u64, nonce: u64) -> Transaction {
    SetParams::sign(&chain_id(), params, effective_epoch, nonce, &authority()).into()
}

pub fn cancel_params(nonce: u64) -> Transaction {
    CancelParams::sign(&chain_id(), nonce, &authority()).into()
}

/// A member: key, current note and its leaf index once enrolled, and the
/// heir its next spends name (0 for none).
#[derive(Clone, Debug)]
pub struct Member {
    pub sk: SpendingKey,
    pub note: Note,
    pub index: Option<u64>,
    pub heir: Fr,
}

impl Member {
    pub fn new(seed: u64, eligible_epoch: u64) -> Self {
        let mut r = rng(seed);
        let sk = SpendingKey::random(&mut r);
        let note = Note::enrollment(
            sk.owner(),
            eligible_epoch,
            Fr::from(seed + 1_000_000),
            Fr::from(seed + 2_000_000),
        );
        Member {
            sk,
            note,
            index: None,
            heir: Fr::from(0u64),
        }
    }

    /// The `heir_ct` of the member's next spend: the heir it names under
    /// the account's mask for the new note's `rho` (the old note's nullifier).
    pub fn heir_ct(&self) -> Fr {
        let vk = self.sk.viewing_key();
        self.heir + vk.heir_mask(&self.note.nullifier(&vk.nk).to_field())
    }

    /// An Inherit of the member's current note by `heir` in `epoch`, paid
    /// to `recipient`.
    pub fn inherit(
        &self,
        heir: &SpendingKey,
        tree: &MerkleTree,
        epoch: u64,
        recipient: &[u8],
    ) -> Transaction {
        let path = tree.path(self.index.expect("enrolled")).unwrap();
        let b = inherit_binding(&chain_id(), recipient);
        let (public, private) = inherit::prepare(heir, &self.note, path, epoch, DORMANCY, b)
            .expect("an honest inherit");
        let proof = prove(Statement::Inherit, InheritCircuit::new(&public, &private));
        Inherit::from_public(&chain_id(), &public, recipient.to_vec(), proof)
            .unwrap()
            .into()
    }

    pub fn enroll(&self) -> Transaction {
        Enroll::sign(&chain_id(), self.note.commit(), &registrar()).into()
    }

    /// Finds the member's note in `tree` (its leaf index), searching from
    /// `from`.
    pub fn locate(&mut self, tree: &MerkleTree) {
        let cm = self.note.commit();
        self.index = tree
            .leaves()
            .iter()
            .rposition(|l| *l == cm.to_field())
            .map(|i| i as u64);
        assert!(self.index.is_some(), "note not in the tree");
    }

    fn r_new(&self, salt: u64) -> Fr {
        Fr::from(salt) + self.note.rho
    }

    /// A Contribute proven under `cap`, and the note it creates.
    pub fn contribute(
        &self,
        tree: &MerkleTree,
        amount: u64,
        epoch: u64,
        cap: u64,
        payer_ref: &[u8],
    ) -> (Transaction, Note) {
        self.contribute_matched(tree, amount, 0, epoch, cap, payer_ref)
    }

    /// A Contribute of `amount` with `matched` from the subsidy pool (the
    /// proof adds both), and the note it creates.
    pub fn contribute_matched(
        &self,
        tree: &MerkleTree,
        amount: u64,
        matched: u64,
        epoch: u64,
        cap: u64,
        payer_ref: &[u8],
    ) -> (Transaction, Note) {
        let path = tree.path(self.index.expect("enrolled")).unwrap();
        let heir_ct = self.heir_ct();
        let b = contribute_binding(&chain_id(), matched, &heir_ct, payer_ref);
        let (public, private, new) = contribute::prepare(
            &self.sk,
            &self.note,
            path,
            amount + matched,
            epoch,
            cap,
            b,
            self.r_new(amount * 31 + epoch),
            self.heir,
        )
        .expect("an honest contribution");
        let proof = prove(
            Statement::Contribute,
            ContributeCircuit::new(&public, &private),
        );
        let tx = Contribute::from_public(
            &chain_id(),
            &public,
            matched,
            heir_ct,
            payer_ref.to_vec(),
            proof,
        )
        .unwrap();
        (tx.into(), new)
    }

    /// A Claim proven under `min_periods` and `divisor`, and the note it creates.
    pub fn claim(
        &self,
        tree: &MerkleTree,
        epoch: u64,
        min_periods: u64,
        divisor: u64,
        recipient: &[u8],
    ) -> (Transaction, Note) {
        let path = tree.path(self.index.expect("enrolled")).unwrap();
        let heir_ct = self.heir_ct();
        let b = spend_binding(&chain_id(), ProofKind::Claim, &heir_ct, recipient);
        let (public, private, new) = claim::prepare(
            &self.sk,
            &self.note,
            path,
            epoch,
            min_periods,
            divisor,
            b,
            self.r_new(epoch * 17 + 5),
            self.heir,
        )
        .expect("an honest claim");
        let proof = prove(Statement::Claim, ClaimCircuit::new(&public, &private));
        let tx =
            Claim::from_public(&chain_id(), &public, heir_ct, recipient.to_vec(), proof).unwrap();
        (tx.into(), new)
    }

    /// An Attest in `context`, and the note it creates.
    #[allow(clippy::too_many_arguments)]
    pub fn attest(
        &self,
        tree: &MerkleTree,
        epoch: u64,
        context: Fr,
        min_balance: u64,
        min_periods: u64,
        require_eligible: bool,
        message: &[u8],
    ) -> (Transaction, Note) {
        let path = tree.path(self.index.expect("enrolled")).unwrap();
        let heir_ct = self.heir_ct();
        let b = spend_binding(&chain_id(), ProofKind::Attest, &heir_ct, message);
        let (public, private, new) = attest::prepare(
            &self.sk,
            &self.note,
            path,
            epoch,
            ContextId::from(context),
            min_balance,
            min_periods,
            require_eligible,
            b,
            self.r_new(epoch * 13 + 3),
            self.heir,
        )
        .expect("an honest attestation");
        let proof = prove(Statement::Attest, AttestCircuit::new(&public, &private));
        let tx =
            Attest::from_public(&chain_id(), &public, heir_ct, message.to_vec(), proof).unwrap();
        (tx.into(), new)
    }
}

/// A Groth16 proof with the fixture's proving key, as 128 bytes.
pub fn prove<C: ark_relations::gr1cs::ConstraintSynthesizer<Fr>>(
    s: Statement,
    circuit: C,
) -> [u8; 128] {
    let mut r = rng(0xC0FFEE);
    let proof = Groth16::<Bn254>::prove(fixture().pk(s), circuit, &mut r).unwrap();
    Proof(proof).to_bytes()
}

/// Verifying keys made with a known trapdoor, for tests that need valid
/// proofs of arbitrary public inputs quickly (the model test, the crash
/// test, the bench). With the trapdoor anyone can make a proof of anything;
/// to the verifier such a proof is an ordinary valid Groth16 proof, and
/// verifying it costs the same.
/// The first line a spawned `zkpension-node` prints on stdout (its JSON
/// `listening` event, or whatever it says instead); stdout is taken from
/// the child.
#[allow(dead_code)]
pub fn first_stdout_line(child: &mut std::process::Child) -> String {
    use std::io::BufRead;
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("stdout is piped"))
        .read_line(&mut line)
        .expect("reading the node's stdout");
    line
}

pub mod sim {
    use super::*;
    use ark_ec::{AffineRepr, CurveGroup, PrimeGroup, VariableBaseMSM};
    use ark_ff::{Field, UniformRand};

    pub struct SimKey {
        alpha: Fr,
        beta: Fr,
        gamma: Fr,
        delta: Fr,
        pub vk: ark_groth16::VerifyingKey<Bn254>,
    }

    /// `zkpension-node init` (the binary at `node`) of a data directory
    /// `data` for `sim`'s keys, written into `keys`, with `params` and the
    /// largest anchor window; returns the genesis it wrote.
    #[allow(dead_code)] // not every test binary starts node processes
    pub fn init_node(
        node: &Path,
        sim: &SimKeys,
        keys: &Path,
        data: &Path,
        params: Params,
    ) -> Genesis {
        sim.write_dir(keys);
        let out = std::process::Command::new(node)
            .args([
                "init",
                "--no-proving-keys",
                "--data",
                data.to_str().unwrap(),
                "--keys",
                keys.to_str().unwrap(),
                "--chain",
                "zkpension-test",
                "--registrar",
                &FixedBytes(registrar().verifying_key().to_bytes()).to_string(),
                "--authority",
                &FixedBytes(authority().verifying_key().to_bytes()).to_string(),
                "--cap",
                &zkpension_core::format_amount(params.cap),
                "--min-periods",
                &params.min_periods.to_string(),
                "--divisor",
                &params.divisor.to_string(),
                "--anchor-window",
                &zkpension_core::genesis::MAX_ANCHOR_WINDOW.to_string(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        Genesis::from_json(&std::fs::read_to_string(data.join("genesis.json")).unwrap()).unwrap()
    }

    pub struct SimKeys {
        pub keys: VerifierKeys,
        sims: BTreeMap<Statement, SimKey>,
    }

    impl SimKeys {
        /// Trapdoor keys for every statement, from a seed.
        pub fn new(seed: u64) -> Self {
            let mut r = rng(seed);
            let mut sims = BTreeMap::new();
            for s in Statement::ALL {
                let [alpha, beta, gamma, delta] = [(); 4].map(|_| Fr::rand(&mut r));
                let g = ark_bn254::G1Projective::generator();
                let h = ark_bn254::G2Projective::generator();
                let vk = ark_groth16::VerifyingKey::<Bn254> {
                    alpha_g1: (g * alpha).into_affine(),
                    beta_g2: (h * beta).into_affine(),
                    gamma_g2: (h * gamma).into_affine(),
                    delta_g2: (h * delta).into_affine(),
                    gamma_abc_g1: (0..=s.num_public_inputs())
                        .map(|_| (g * Fr::rand(&mut r)).into_affine())
                        .collect(),
                };
                sims.insert(
                    s,
                    SimKey {
                        alpha,
                        beta,
                        gamma,
                        delta,
                        vk,
                    },
                );
            }
            let key = |s| VerifyingKey::new(s, sims[&s].vk.clone()).unwrap();
            let keys = VerifierKeys::new(Statement::ALL.map(key)).unwrap();
            SimKeys { keys, sims }
        }

        /// A valid proof of `statement` for `inputs` (SPEC order).
        pub fn prove(&self, s: Statement, inputs: &[Fr], r: &mut ChaCha20Rng) -> [u8; 128] {
            let k = &self.sims[&s];
            let a = Fr::rand(r);
            let b = Fr::rand(r);
            let mut scalars = vec![Fr::from(1u64)];
            scalars.extend_from_slice(inputs);
            let ic = ark_bn254::G1Projective::msm(&k.vk.gamma_abc_g1, &scalars).unwrap();
            let g = ark_bn254::G1Projective::generator();
            let h = ark_bn254::G2Projective::generator();
            let d = k.delta.inverse().unwrap();
            let c = (g * ((a * b - k.alpha * k.beta) * d)) - ic * (k.gamma * d);
            let proof = ark_groth16::Proof::<Bn254> {
                a: (g * a).into_affine(),
                b: (h * b).into_affine(),
                c: c.into_affine(),
            };
            debug_assert!(!proof.a.is_zero());
            Proof(proof).to_bytes()
        }

        /// The verifying-key ids, for a genesis.
        pub fn vk_ids(&self) -> BTreeMap<Statement, FixedBytes<32>> {
            self.keys
                .ids()
                .into_iter()
                .map(|(s, id)| (s, FixedBytes(id)))
                .collect()
        }

        /// Writes a key directory (manifest and `.vk` files) a node can load.
        pub fn write_dir(&self, dir: &Path) {
            std::fs::create_dir_all(dir).unwrap();
            let mut entries = BTreeMap::new();
            for s in Statement::ALL {
                let vk = self.keys.get(s).to_bytes();
                std::fs::write(dir.join(zkpension_verifier::vk_file_name(s)), &vk).unwrap();
                entries.insert(
                    s,
                    KeyEntry::new(s, 0, format!("0x{}", "00".repeat(32)), &[], &vk),
                );
            }
            KeyManifest::new("trapdoor test keys (anyone can forge proofs)", entries)
                .write(dir)
                .unwrap();
        }
    }
}
