//! Proves one Contribute statement (an example member's first payment) and
//! prints the time it took: a small program for measuring one proof's peak
//! memory and time from outside, e.g.
//!
//! ```text
//! cargo build --release -p zkpension-prover --example prove_contribute
//! /usr/bin/time -v target/release/examples/prove_contribute KEYS_DIR [--threads N] [--proofs N] [--load-only] [--low-memory | --tables]
//! ```
//!
//! `--load-only` stops after loading the contribute keys and their prover
//! tables, to separate their share of the memory from the proof's;
//! `--proofs N` proves the same statement N times (fresh blinding each);
//! `--low-memory` proves without the tables, `--tables` with them (built and
//! saved if the key directory has none); by default the tables are used when
//! the key directory has them, as in the CLI.

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
    let mut low_memory = false;
    let mut tables = false;
    let mut proofs = 1;
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--threads" => threads = Some(args.next().unwrap_or_default().parse::<usize>()?),
            "--load-only" => load_only = true,
            "--low-memory" => low_memory = true,
            "--tables" => tables = true,
            "--proofs" => proofs = args.next().unwrap_or_default().parse::<usize>()?,
            _ => dir = Some(PathBuf::from(arg)),
        }
    }
    let dir = dir.ok_or_else(|| {
        anyhow::anyhow!("usage: prove_contribute KEYS_DIR [--threads N] [--proofs N] [--load-only] [--low-memory | --tables]")
    })?;
    if let Some(n) = threads {
        rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build_global()?;
    }
    let started = Instant::now();
    let mut keys = ProvingKeys::load_statements(&dir, &[Statement::Contribute])?;
    eprintln!("loaded contribute keys in {:?}", started.elapsed());
    if low_memory || tables {
        keys.set_use_tables(tables);
    }
    let contribute = keys
        .get(Statement::Contribute)
        .expect("the contribute keys were loaded");
    if contribute.uses_tables() {
        let started = Instant::now();
        contribute.tables();
        eprintln!(
            "prover tables ({:?}) in {:?}",
            contribute.tables_origin().expect("tables are ready"),
            started.elapsed()
        );
    }
    if load_only {
        return Ok(());
    }
    let witness = example::contribute_witness(&mut OsRng);
    let mut proof = None;
    for _ in 0..proofs {
        let started = Instant::now();
        proof = Some(prove(&keys, &witness, &mut OsRng)?);
        eprintln!(
            "proved contribute in {:?} on {} threads",
            started.elapsed(),
            rayon::current_num_threads()
        );
    }
    let proof = proof.ok_or_else(|| anyhow::anyhow!("--proofs must be at least 1"))?;
    println!("{}", serde_json::to_string(&witness.proof_file(&proof))?);
    Ok(())
}
