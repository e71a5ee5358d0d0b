//! Shared by the benches: Groth16 verifying keys with a known trapdoor, so
//! valid proofs of any public inputs are cheap to make (the Groth16
//! simulator: `C = (ab - alpha beta - gamma IC(x)) / delta`). To a verifier
//! they are ordinary valid proofs and cost exactly as much to check.

use ark_bn254::{Bn254, G1Projective, G2Projective};
use ark_ec::{CurveGroup, PrimeGroup, VariableBaseMSM};
use ark_ff::{Field, UniformRand};
use rand_chacha::ChaCha20Rng;
use zkpension_verifier::{Fr, Proof, Statement};

/// Whether this is a measuring run (`cargo bench`, which passes `--bench`)
/// rather than the test suite's smoke run of every bench, which should use
/// small inputs.
#[allow(dead_code)] // used by some of the benches only
pub fn measuring() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// A verifying key with its trapdoor.
pub struct Trapdoor {
    alpha: Fr,
    beta: Fr,
    gamma: Fr,
    delta: Fr,
    pub vk: ark_groth16::VerifyingKey<Bn254>,
}

impl Trapdoor {
    pub fn new(statement: Statement, rng: &mut ChaCha20Rng) -> Self {
        let [alpha, beta, gamma, delta] = [(); 4].map(|_| Fr::rand(rng));
        let (g, h) = (G1Projective::generator(), G2Projective::generator());
        let vk = ark_groth16::VerifyingKey::<Bn254> {
            alpha_g1: (g * alpha).into_affine(),
            beta_g2: (h * beta).into_affine(),
            gamma_g2: (h * gamma).into_affine(),
            delta_g2: (h * delta).into_affine(),
            gamma_abc_g1: (0..=statement.num_public_inputs())
                .map(|_| (g * Fr::rand(rng)).into_affine())
                .collect(),
        };
        Trapdoor {
            alpha,
            beta,
            gamma,
            delta,
            vk,
        }
    }

    pub fn prove(&self, inputs: &[Fr], rng: &mut ChaCha20Rng) -> [u8; 128] {
        let (a, b) = (Fr::rand(rng), Fr::rand(rng));
        let mut scalars = vec![Fr::from(1u64)];
        scalars.extend_from_slice(inputs);
        let ic = G1Projective::msm(&self.vk.gamma_abc_g1, &scalars).expect("input count");
        let (g, h) = (G1Projective::generator(), G2Projective::generator());
        let d = self.delta.inverse().expect("delta is not zero");
        let c = g * ((a * b - self.alpha * self.beta) * d) - ic * (self.gamma * d);
        Proof(ark_groth16::Proof {
            a: (g * a).into_affine(),
            b: (h * b).into_affine(),
            c: c.into_affine(),
        })
        .to_bytes()
    }
}

/// A bench chain: a trapdoor per statement, the verifying keys and a genesis
/// (chain "bench", registrar and authority from fixed seeds).
pub struct BenchChain {
    pub trapdoors: std::collections::BTreeMap<Statement, Trapdoor>,
    pub keys: zkpension_verifier::VerifierKeys,
    pub genesis: zkpension_core::Genesis,
}

impl BenchChain {
    pub fn new(rng: &mut ChaCha20Rng, params: zkpension_core::Params, anchor_window: u64) -> Self {
        use zkpension_core::hexbytes::FixedBytes;
        let trapdoors: std::collections::BTreeMap<Statement, Trapdoor> = Statement::ALL
            .into_iter()
            .map(|s| (s, Trapdoor::new(s, rng)))
            .collect();
        let key = |s| {
            zkpension_verifier::VerifyingKey::new(s, trapdoors[&s].vk.clone()).expect("valid key")
        };
        let keys = zkpension_verifier::VerifierKeys::new(Statement::ALL.map(key)).expect("keys");
        let signer = |b: u8| {
            FixedBytes(
                ed25519_dalek::SigningKey::from_bytes(&[b; 32])
                    .verifying_key()
                    .to_bytes(),
            )
        };
        let genesis = zkpension_core::Genesis {
            chain_id: zkpension_circuits::binding::ChainId::from_name("bench"),
            registrar: signer(1),
            authority: signer(2),
            params: zkpension_core::GenesisParams {
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
            dormancy: None,
            verifying_keys: keys
                .ids()
                .into_iter()
                .map(|(s, id)| (s, FixedBytes(id)))
                .collect(),
        };
        BenchChain {
            trapdoors,
            keys,
            genesis,
        }
    }

    /// Writes the verifying keys and their manifest into `dir`, as a node's
    /// key directory (no proving keys: nobody proves with these).
    #[allow(dead_code)] // used by some of the benches only
    pub fn write_keys(&self, dir: &std::path::Path) {
        use zkpension_verifier::{vk_file_name, KeyEntry, KeyManifest};
        std::fs::create_dir_all(dir).expect("keys dir");
        let mut entries = std::collections::BTreeMap::new();
        for s in Statement::ALL {
            let vk = self.keys.get(s).to_bytes();
            std::fs::write(dir.join(vk_file_name(s)), &vk).expect("write a key");
            entries.insert(
                s,
                KeyEntry::new(s, 0, format!("0x{}", "00".repeat(32)), &[], &vk),
            );
        }
        KeyManifest::new("trapdoor bench keys (anyone can forge proofs)", entries)
            .write(dir)
            .expect("manifest");
    }

    /// `n` Contribute transactions of epoch 1 under `params` (the
    /// genesis's), all anchored at the empty tree's root (valid while the
    /// anchor window holds it), with distinct nullifiers and valid trapdoor
    /// proofs.
    #[allow(dead_code)] // used by some of the benches only
    pub fn contributions(
        &self,
        n: usize,
        params: &zkpension_core::Params,
        rng: &mut ChaCha20Rng,
    ) -> Vec<zkpension_core::Transaction> {
        let empty = zkpension_circuits::tree::MerkleTree::new().root();
        self.contributions_at(n, empty, 0, params, rng)
    }

    /// [`BenchChain::contributions`] anchored at `anchor`, the `i`-th with
    /// nullifier `1_000_000 + first + i`.
    #[allow(dead_code)] // used by some of the benches only
    pub fn contributions_at(
        &self,
        n: usize,
        anchor: Fr,
        first: u64,
        params: &zkpension_core::Params,
        rng: &mut ChaCha20Rng,
    ) -> Vec<zkpension_core::Transaction> {
        use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
        use zkpension_core::hexbytes::FixedBytes;
        use zkpension_core::tx::{Context, Contribute, ContributeBody, SpendHeader};
        (first..first + n as u64)
            .map(|i| {
                let mut c = Contribute {
                    body: ContributeBody {
                        spend: SpendHeader {
                            anchor: Anchor::from(anchor),
                            nf: Nullifier::from(Fr::from(1_000_000 + i)),
                            cm_new: NoteCommitment::from(Fr::from(2_000_000 + i)),
                            heir_ct: Default::default(),
                        },
                        amount: 1000 + i,
                        matched: 0,
                        epoch: 1,
                        payer_ref: Context::new("payer_ref", format!("employer {i}").into_bytes())
                            .expect("a short reference"),
                    },
                    proof: FixedBytes([0; 128]),
                };
                let inputs = c.public(&self.genesis.chain_id, params).to_field_elements();
                c.proof = FixedBytes(self.trapdoors[&Statement::Contribute].prove(&inputs, rng));
                c.into()
            })
            .collect()
    }
}
