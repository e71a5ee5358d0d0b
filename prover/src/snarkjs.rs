//! Export of verifying keys, proofs and public inputs in snarkjs 0.7's Groth16
//! JSON format, so anyone can check a zkpension proof with an independent
//! verifier (`snarkjs groth16 verify verification_key.json public.json proof.json`).
//!
//! The format is the one `snarkjs zkey export verificationkey` and
//! `snarkjs groth16 prove` write (`src/zkey_export_verificationkey.js`,
//! `ffjavascript`'s `toObject`): every base-field or scalar value is a decimal
//! string; a G1 point is projective `[x, y, z]` with `z = "1"` for an affine
//! point and `["0", "1", "0"]` for the point at infinity; a G2 point is
//! `[[x.c0, x.c1], [y.c0, y.c1], ["1", "0"]]`; an element of the target group
//! (`vk_alphabeta_12 = e(alpha, beta)`) is `[c0, c1]` with `c_i = [c_i0, c_i1,
//! c_i2]` over Fq2, the same tower as arkworks (`Fq2 = Fq[u]/(u^2+1)`,
//! `Fq6 = Fq2[v]/(v^3 - (9+u))`, `Fq12 = Fq6[w]/(w^2 - v)`).
//! snarkjs's verifier uses `IC`, `vk_alpha_1`, `vk_beta_2`, `vk_gamma_2` and
//! `vk_delta_2`; arkworks' `gamma_abc_g1` is snarkjs's `IC`.

use crate::fsutil;
use crate::keys::KeyError;
use ark_bn254::{Bn254, Fq, Fq12, Fq2, Fr, G1Affine, G2Affine};
use ark_ec::pairing::Pairing;
use ark_ec::AffineRepr;
use ark_ff::PrimeField;
use serde::Serialize;
use std::path::{Path, PathBuf};
use thiserror::Error;
use zkpension_verifier::{ProofFile, VerifierKeys};

/// A G1 point: `[x, y, z]`.
pub type G1Json = [String; 3];
/// A G2 point: `[[x.c0, x.c1], [y.c0, y.c1], [z.c0, z.c1]]`.
pub type G2Json = [[String; 2]; 3];
/// An element of Fq12: `[c0, c1]`, each `[Fq2; 3]`.
pub type GtJson = [[[String; 2]; 3]; 2];

/// `verification_key.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnarkjsVerifyingKey {
    pub protocol: &'static str,
    pub curve: &'static str,
    #[serde(rename = "nPublic")]
    pub n_public: usize,
    pub vk_alpha_1: G1Json,
    pub vk_beta_2: G2Json,
    pub vk_gamma_2: G2Json,
    pub vk_delta_2: G2Json,
    pub vk_alphabeta_12: GtJson,
    #[serde(rename = "IC")]
    pub ic: Vec<G1Json>,
}

/// `proof.json`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SnarkjsProof {
    pub pi_a: G1Json,
    pub pi_b: G2Json,
    pub pi_c: G1Json,
    pub protocol: &'static str,
    pub curve: &'static str,
}

/// Why an export failed.
#[derive(Debug, Error)]
pub enum ExportError {
    #[error("cannot read proof file {path}: {source}")]
    ReadProof {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("proof file {path} is malformed: {source}")]
    ParseProof {
        path: PathBuf,
        #[source]
        source: serde_json::Error,
    },
    #[error(transparent)]
    Keys(#[from] KeyError),
    #[error("the proof in {path} does not verify, refusing to export it: {source}")]
    InvalidProof {
        path: PathBuf,
        #[source]
        source: zkpension_verifier::VerifyError,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

fn dec<F: PrimeField>(x: &F) -> String {
    x.into_bigint().to_string()
}

fn fq2(x: &Fq2) -> [String; 2] {
    [dec(&x.c0), dec(&x.c1)]
}

/// A G1 point in snarkjs's projective form.
pub fn g1(p: &G1Affine) -> G1Json {
    match p.xy() {
        Some((x, y)) => [dec(&x), dec(&y), "1".into()],
        None => ["0".into(), "1".into(), "0".into()],
    }
}

/// A G2 point in snarkjs's projective form.
pub fn g2(p: &G2Affine) -> G2Json {
    match p.xy() {
        Some((x, y)) => [fq2(&x), fq2(&y), ["1".into(), "0".into()]],
        None => [
            ["0".into(), "0".into()],
            ["1".into(), "0".into()],
            ["0".into(), "0".into()],
        ],
    }
}

/// An element of the target group's field.
pub fn gt(x: &Fq12) -> GtJson {
    let c = |f: &ark_bn254::Fq6| [fq2(&f.c0), fq2(&f.c1), fq2(&f.c2)];
    [c(&x.c0), c(&x.c1)]
}

/// The snarkjs form of a verifying key.
pub fn verifying_key(vk: &ark_groth16::VerifyingKey<Bn254>) -> SnarkjsVerifyingKey {
    let alphabeta = Bn254::pairing(vk.alpha_g1, vk.beta_g2).0;
    SnarkjsVerifyingKey {
        protocol: "groth16",
        curve: "bn128",
        n_public: vk.gamma_abc_g1.len().saturating_sub(1),
        vk_alpha_1: g1(&vk.alpha_g1),
        vk_beta_2: g2(&vk.beta_g2),
        vk_gamma_2: g2(&vk.gamma_g2),
        vk_delta_2: g2(&vk.delta_g2),
        vk_alphabeta_12: gt(&alphabeta),
        ic: vk.gamma_abc_g1.iter().map(g1).collect(),
    }
}

/// The snarkjs form of a proof.
pub fn proof(p: &ark_groth16::Proof<Bn254>) -> SnarkjsProof {
    SnarkjsProof {
        pi_a: g1(&p.a),
        pi_b: g2(&p.b),
        pi_c: g1(&p.c),
        protocol: "groth16",
        curve: "bn128",
    }
}

/// The snarkjs form of public inputs: decimal strings.
pub fn public_inputs(inputs: &[Fr]) -> Vec<String> {
    inputs.iter().map(dec).collect()
}

/// Base-field element as decimal (exposed for tests of the format).
pub fn fq_decimal(x: &Fq) -> String {
    dec(x)
}

/// The three files an export writes.
#[derive(Clone, Debug)]
pub struct ExportedFiles {
    pub verification_key: PathBuf,
    pub proof: PathBuf,
    pub public: PathBuf,
}

/// Reads a zkpension proof file, checks it against the keys in `keys_dir`, and
/// writes `verification_key.json`, `proof.json` and `public.json` into
/// `out_dir` (created if missing; existing files of those names are replaced).
///
/// The proof is verified first: an export is meant to let a third party confirm
/// a valid proof, so an invalid one is refused rather than exported.
pub fn export_snarkjs(
    keys_dir: &Path,
    proof_file: &Path,
    out_dir: &Path,
) -> Result<ExportedFiles, ExportError> {
    let bytes = std::fs::read(proof_file).map_err(|source| ExportError::ReadProof {
        path: proof_file.to_path_buf(),
        source,
    })?;
    let file: ProofFile =
        serde_json::from_slice(&bytes).map_err(|source| ExportError::ParseProof {
            path: proof_file.to_path_buf(),
            source,
        })?;
    let verifier_keys = VerifierKeys::load_dir(keys_dir).map_err(KeyError::from)?;
    file.verify(&verifier_keys)
        .map_err(|source| ExportError::InvalidProof {
            path: proof_file.to_path_buf(),
            source,
        })?;
    let vk = verifier_keys.get(file.statement).ark();
    write_export(vk, &file.proof.0, &file.public_inputs, out_dir)
}

/// Writes the three snarkjs files for one proof.
pub fn write_export(
    vk: &ark_groth16::VerifyingKey<Bn254>,
    p: &ark_groth16::Proof<Bn254>,
    inputs: &[Fr],
    out_dir: &Path,
) -> Result<ExportedFiles, ExportError> {
    std::fs::create_dir_all(out_dir).map_err(|source| ExportError::Write {
        path: out_dir.to_path_buf(),
        source,
    })?;
    let files = ExportedFiles {
        verification_key: out_dir.join("verification_key.json"),
        proof: out_dir.join("proof.json"),
        public: out_dir.join("public.json"),
    };
    write_json(&files.verification_key, &verifying_key(vk))?;
    write_json(&files.proof, &proof(p))?;
    write_json(&files.public, &public_inputs(inputs))?;
    Ok(files)
}

fn write_json<T: Serialize>(path: &Path, value: &T) -> Result<(), ExportError> {
    let err = |source| ExportError::Write {
        path: path.to_path_buf(),
        source,
    };
    let mut text =
        serde_json::to_string_pretty(value).map_err(|e| err(std::io::Error::other(e)))?;
    text.push('\n');
    fsutil::write_atomic(path, text.as_bytes(), 0o644).map_err(err)
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ec::AffineRepr;

    #[test]
    fn generators_match_the_published_bn254_constants() {
        // G1 generator (1, 2); G2 generator as in EIP-197.
        assert_eq!(g1(&G1Affine::generator()), ["1", "2", "1"]);
        let g = g2(&G2Affine::generator());
        assert_eq!(
            g[0],
            [
                "10857046999023057135944570762232829481370756359578518086990519993285655852781",
                "11559732032986387107991004021392285783925812861821192530917403151452391805634"
            ]
        );
        assert_eq!(
            g[1],
            [
                "8495653923123431417604973247489272438418190587263600148770280649306958101930",
                "4082367875863433681332203403145435568316851327593401208105741076214120093531"
            ]
        );
        assert_eq!(g[2], ["1", "0"]);
        assert_eq!(g1(&G1Affine::zero()), ["0", "1", "0"]);
        assert_eq!(
            public_inputs(&[Fr::from(7u64), -Fr::from(1u64)]),
            vec![
                "7".to_string(),
                "21888242871839275222246405745257275088548364400416034343698204186575808495616"
                    .to_string()
            ]
        );
    }
}
