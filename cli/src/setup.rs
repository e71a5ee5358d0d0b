//! `zkpension setup`: Groth16 keys for every statement.

use crate::args::SetupProgress;
use crate::output::Output;
use anyhow::Context;
use std::path::PathBuf;
use zkpension_prover::keys::{self, default_keys_dir, SetupOptions};

const ABOUT: &str = "\
Generate Groth16 proving and verifying keys for contribute, claim and attest.

TRUST: this is a SINGLE-PARTY setup. Whoever runs it could keep the toxic waste
and forge proofs for every statement (claim pensions from empty accounts).
Keys are only as trustworthy as the person and machine that made them; a real
deployment needs a multi-party ceremony. Keys made with --seed are for
reproducible TESTS ONLY: anyone who knows the seed can forge proofs.

Writes <statement>.pk, <statement>.vk and manifest.json into DIR. The manifest
lists each file's size and id (SHA-256), the statement version and the digest
of the circuit's constraint matrices; every loader checks them before using a
key. With --tables it also writes <statement>.tables (about 80 MB each): the
prover's precomputed multiples of the proving-key points, which make proofs
about 1.3 times as fast at about 130 MB of memory instead of 40 MB. They are a
cache bound to their proving key, not part of the keys: the verifier and the
node never read them, provers use them when they are there, and a prover that
finds them damaged rebuilds them (2 to 4 s) and saves them again. Only the
.pk/.vk files and the manifest need to be distributed.

Refuses a DIR that already holds files unless --force. Progress goes to
stderr; with --json the manifest is printed on stdout.

Examples:
  zkpension setup --out keys
  zkpension setup --out keys --tables      # for a machine that proves a lot
  zkpension setup --out test-keys --seed 0101010101010101010101010101010101010101010101010101010101010101";

/// Generate Groth16 keys (single-party setup: see --help on trust).
#[derive(clap::Args, Debug)]
#[command(long_about = ABOUT)]
pub struct Args {
    /// Directory to write the keys into [default: $ZKPENSION_HOME/keys, else
    /// ~/.zkpension/keys]
    #[arg(long, value_name = "DIR")]
    out: Option<PathBuf>,
    /// 32-byte seed as 64 hex digits (optionally 0x-prefixed): deterministic
    /// TEST keys, insecure by construction.
    #[arg(long, value_name = "HEX", value_parser = parse_seed)]
    seed: Option<[u8; 32]>,
    /// Replace keys already in DIR.
    #[arg(long)]
    force: bool,
    /// Also write the prover tables (about 330 MB for the four statements):
    /// proofs about 1.3x as fast, for machines that prove a lot. Can be added
    /// later with `zkpension keys tables`.
    #[arg(long)]
    tables: bool,
}

fn parse_seed(s: &str) -> Result<[u8; 32], String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    if digits.len() != 64 {
        return Err(format!(
            "expected 64 hex digits (32 bytes), got {} characters",
            digits.len()
        ));
    }
    let mut seed = [0u8; 32];
    hex::decode_to_slice(digits, &mut seed).map_err(|e| format!("not hex: {e}"))?;
    Ok(seed)
}

pub fn run(args: Args, out: &Output) -> anyhow::Result<()> {
    let dir = args.out.unwrap_or_else(default_keys_dir);
    if args.seed.is_some() {
        out.note("warning: --seed makes deterministic TEST keys; anyone who knows the seed can forge proofs");
    } else {
        out.note("note: single-party setup; these keys are only as trustworthy as this machine and its operator");
    }
    let options = SetupOptions {
        seed: args.seed,
        force: args.force,
        tables: args.tables,
    };
    let started = std::time::Instant::now();
    let mut progress = SetupProgress::default();
    let manifest = keys::setup_with(&dir, options, &mut |event| progress.event(out, event))
        .with_context(|| format!("setup into {}", dir.display()))?;
    out.note(&format!(
        "wrote keys to {} in {:.1} s",
        dir.display(),
        started.elapsed().as_secs_f64()
    ));
    if out.json {
        return out.print_json(&serde_json::json!({
            "dir": dir,
            "manifest": manifest,
        }));
    }
    for (statement, e) in &manifest.statements {
        crate::outln!("{statement}:");
        crate::outln!("  constraints  {}", e.constraints);
        crate::outln!("  digest       {}", e.constraint_digest);
        crate::outln!(
            "  pk           {}  {} ({} bytes)",
            e.pk_file,
            e.pk_id,
            e.pk_size
        );
        crate::outln!(
            "  vk           {}  {} ({} bytes)",
            e.vk_file,
            e.vk_id,
            e.vk_size
        );
    }
    Ok(())
}
