//! `zkpension export-snarkjs`: a proof in snarkjs's Groth16 JSON format.

use crate::args::KeysArg;
use crate::output::{Output, Rejected};
use anyhow::Context;
use std::path::PathBuf;
use zkpension_prover::snarkjs::{export_snarkjs, ExportError};

const ABOUT: &str = "\
Write verification_key.json, proof.json and public.json (snarkjs 0.7 Groth16
format) for a proof file, so it can be checked with an independent verifier:

  zkpension export-snarkjs --keys keys --proof proof.json --out out/
  snarkjs groth16 verify out/verification_key.json out/public.json out/proof.json

The files are written as snarkjs writes them: decimal strings, projective
points with z = 1, G2 coordinates as [c0, c1] pairs, curve \"bn128\". The proof
is verified first; an invalid proof is not exported (exit code 1).";

/// Export a proof for snarkjs (`snarkjs groth16 verify`).
#[derive(clap::Args, Debug)]
#[command(long_about = ABOUT)]
pub struct Args {
    #[command(flatten)]
    keys: KeysArg,
    /// Proof file (JSON: statement, proof, public_inputs).
    #[arg(long, value_name = "FILE")]
    proof: PathBuf,
    /// Output directory (created if missing).
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
}

pub fn run(args: Args, out: &Output) -> anyhow::Result<()> {
    let keys = args.keys.resolve()?;
    let files = match export_snarkjs(&keys, &args.proof, &args.out) {
        Ok(files) => files,
        Err(e @ (ExportError::InvalidProof { .. } | ExportError::ParseProof { .. })) => {
            return Err(Rejected(e.to_string()).into())
        }
        Err(e) => return Err(e).context("export-snarkjs"),
    };
    if out.json {
        return out.print_json(&serde_json::json!({
            "verification_key": files.verification_key,
            "proof": files.proof,
            "public": files.public,
        }));
    }
    crate::outln!("{}", files.verification_key.display());
    crate::outln!("{}", files.proof.display());
    crate::outln!("{}", files.public.display());
    Ok(())
}
