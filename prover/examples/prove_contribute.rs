//! Proves one Contribute statement (an example member's first payment) and
//! prints the time it took: a small program for measuring one proof's peak
//! memory and time from outside, e.g.
//!
//! ```text
//! cargo build --release -p zkpension-prover --example prove_contribute
//! /usr/bin/time -v target/release/examples/prove_contribute KEYS_DIR [--threads N] [--load-only]
//! ```
//!
//! `--load-only` stops after loading the contribute keys, to separate the
//! keys' share of the memory from the proof's.

use std::path::PathBuf;
use std::time::Instant;

use rand_core::OsRng;
use zkpension_circuits::Statement;
use zkpension_prover::{example, prove, ProvingKeys};

fn main() -> anyhow::Result<()> {
    let mut args = std::env::args().skip(1);
    let mut dir = None;
    let mut threads = None;
    let mut load_only = false;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = Some(args.next().unwrap_or_default().parse::<usize>()?),
            "--load-only" => load_only = true,
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.ok_or_else(|| {
        anyhow::anyhow!("usage: prove_contribute KEYS_DIR [--threads N] [--load-only]")
    })?;
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    let started = Instant::now();
    let keys = ProvingKeys::load_statements(&dir, &[Statement::Contribute])?;
    eprintln!("loaded contribute keys in {:?}", started.elapsed());
    if load_only {
        return Ok(());
    }
    let witness = example::contribute_witness(&mut OsRng);
    let started = Instant::now();
    let proof = prove(&keys, &witness, &mut OsRng)?;
    eprintln!(
        "proved contribute in {:?} on {} threads",
        started.elapsed(),
        rayon::current_num_threads()
    );
    println!("{}", serde_json::to_string(&witness.proof_file(&proof))?);
    Ok(())
}
