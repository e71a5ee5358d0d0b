//! `zkpension circuits`: what each statement's circuit looks like.

use crate::output::Output;
use anyhow::Context;
use std::path::PathBuf;
use zkpension_circuits::Statement;
use zkpension_prover::keys::{circuit_info, hex_digest, read_manifest};

const ABOUT: &str = "\
For each statement: its constraint count, variable counts, the digest of its
constraint matrices, and its public inputs in SPEC order. With --keys, also the
ids of that directory's keys and whether they were made for these circuits.

With --json, an object keyed by statement (contribute, claim, attest), each with
constraints, instance_variables, witness_variables, constraint_digest,
public_inputs (names), and with --keys a keys object (pk_id, vk_id,
constraint_digest, matches_circuit).

Examples:
  zkpension circuits
  zkpension circuits --keys keys --json";

/// Show the circuits (constraints, public inputs, key ids).
#[derive(clap::Args, Debug)]
#[command(long_about = ABOUT)]
pub struct Args {
    /// Key directory whose manifest to compare with the circuits.
    #[arg(long, value_name = "DIR", env = "ZKPENSION_KEYS")]
    keys: Option<PathBuf>,
}

pub fn run(args: Args, out: &Output) -> anyhow::Result<()> {
    let manifest = match &args.keys {
        Some(dir) => Some(
            read_manifest(dir).with_context(|| format!("reading the keys in {}", dir.display()))?,
        ),
        None => None,
    };
    let mut all = serde_json::Map::new();
    for statement in Statement::ALL {
        let info = circuit_info(statement)?;
        let digest = hex_digest(&info.digest);
        let mut v = serde_json::json!({
            "constraints": info.constraints,
            "instance_variables": info.instance_variables,
            "witness_variables": info.witness_variables,
            "constraint_digest": digest,
            "public_inputs": statement.public_input_names(),
        });
        if let Some(m) = &manifest {
            let e = m.entry(statement)?;
            v["keys"] = serde_json::json!({
                "pk_id": e.pk_id,
                "vk_id": e.vk_id,
                "constraint_digest": e.constraint_digest,
                "matches_circuit": e.constraint_digest.eq_ignore_ascii_case(&digest)
                    && e.constraints == info.constraints as u64,
            });
        }
        if !out.json {
            crate::outln!("{statement}:");
            crate::outln!("  constraints    {}", info.constraints);
            crate::outln!(
                "  variables      {} public (with the constant 1), {} private",
                info.instance_variables,
                info.witness_variables
            );
            crate::outln!("  digest         {digest}");
            crate::outln!(
                "  public inputs  [{}]",
                statement.public_input_names().join(", ")
            );
            if let Some(k) = v.get("keys") {
                crate::outln!("  pk id          {}", k["pk_id"].as_str().unwrap_or("?"));
                crate::outln!("  vk id          {}", k["vk_id"].as_str().unwrap_or("?"));
                if k["matches_circuit"] != serde_json::Value::Bool(true) {
                    crate::outln!("  WARNING        these keys were made for another circuit");
                }
            }
        }
        all.insert(statement.name().to_string(), v);
    }
    if out.json {
        out.print_json(&all)?;
    }
    Ok(())
}
