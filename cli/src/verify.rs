//! `zkpension verify`: check a proof file.

use crate::args::KeysArg;
use crate::output::{Output, Rejected};
use anyhow::Context;
use std::path::PathBuf;
use zkpension_circuits::field;
use zkpension_verifier::{id_to_hex, ProofFile, VerifierKeys};

const ABOUT: &str = "\
Check a proof file against the verifying key of its statement. The file is
JSON: {\"statement\": \"contribute\"|\"claim\"|\"attest\", \"proof\": \"0x\" + 256 hex
digits (128-byte compressed Groth16 proof), \"public_inputs\": [\"0x\" + 64 hex
digits, ...] in SPEC order}.

Exit codes: 0 the proof is valid; 1 it is not, and the message says why (it does
not verify, a point is off the curve or outside the subgroup, a value is >= p, a
wrong number of inputs, not a proof file at all); 2 bad command line; 3 the file
or the keys could not be read.

With --json: {\"valid\": true, \"statement\", \"vk_id\", \"public_inputs\": {name:
value}} or {\"valid\": false, \"error\", \"exit_code\"}.

Example:
  zkpension verify proof.json --keys keys";

/// Check a proof file.
#[derive(clap::Args, Debug)]
#[command(long_about = ABOUT)]
pub struct Args {
    /// The proof file.
    file: PathBuf,
    #[command(flatten)]
    keys: KeysArg,
}

pub fn run(args: Args, out: &Output) -> anyhow::Result<()> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let file: ProofFile = serde_json::from_slice(&bytes).map_err(|e| {
        Rejected(format!(
            "{} is not a valid proof file: {e}",
            args.file.display()
        ))
    })?;
    let dir = args.keys.resolve()?;
    let keys = VerifierKeys::load_dir(&dir)
        .with_context(|| format!("cannot load verifying keys from {}", dir.display()))?;
    file.verify(&keys).map_err(|e| {
        Rejected(format!(
            "{}: {} proof rejected: {e}",
            args.file.display(),
            file.statement
        ))
    })?;
    let vk_id = id_to_hex(&keys.get(file.statement).id());
    if out.json {
        let inputs: serde_json::Map<String, serde_json::Value> = file
            .statement
            .public_input_names()
            .iter()
            .zip(&file.public_inputs)
            .map(|(name, x)| (name.to_string(), field::to_hex(x).into()))
            .collect();
        return out.print_json(&serde_json::json!({
            "valid": true,
            "statement": file.statement,
            "vk_id": vk_id,
            "public_inputs": inputs,
        }));
    }
    crate::outln!("valid {} proof (verifying key {vk_id})", file.statement);
    Ok(())
}
