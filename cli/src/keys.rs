//! `zkpension keys fetch`: the chain's keys from a node; `zkpension keys
//! tables`: the prover tables for a key directory.

use crate::args::KeysArg;
use crate::member::NodeArg;
use crate::output::Output;
use serde_json::json;
use zkpension_circuits::Statement;
use zkpension_prover::keys::{tables_file_name, TablesOrigin};
use zkpension_prover::member::chain_keys::{fetch_keys, Fetched};

/// The chain's proving and verifying keys.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Fetch(FetchArgs),
    Tables(TablesArgs),
}

/// Write the prover tables for a key directory (for machines that prove a lot).
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Write each statement's prover tables (STATEMENT.tables, about 80 MB each, 2 to
4 s each) into the key directory. They are precomputed multiples of the
proving key's points, bound to the key by its id: proofs become about 1.3x as
fast, and a proof's peak memory rises from about 40 MB to about 130 MB. Every
command that proves uses them when they are there (and --low-memory ignores
them); delete the files to go back. Nobody else needs them: the node and the
verifier never read them.

Example:
  zkpension keys tables
  zkpension keys tables --keys ./chain-keys")]
pub struct TablesArgs {
    #[command(flatten)]
    keys: KeysArg,
}

/// Download the chain's keys from a node and check them.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Download the chain's keys from a node into the key directory, and check them:
the verifying-key ids must be the ones the chain's genesis pins, every file
must have the size and SHA-256 id of the node's manifest, and the constraint
digests must be this build's circuits. The directory is replaced only when the
download is complete; a directory with other keys is kept unless --force
(then it is moved aside, never deleted).

Every command that proves compares the key directory with the chain before
it proves, and says so when they differ.

Example:
  zkpension keys fetch --node http://node:8080
  zkpension keys fetch --node http://node:8080 --keys ./chain-keys")]
pub struct FetchArgs {
    #[command(flatten)]
    node: NodeArg,
    #[command(flatten)]
    keys: KeysArg,
    /// Replace a key directory that holds other keys (kept as DIR.replaced-TIME)
    #[arg(long)]
    force: bool,
}

pub fn run(cmd: Command, out: &Output) -> anyhow::Result<()> {
    let a = match cmd {
        Command::Fetch(a) => a,
        Command::Tables(a) => return tables(a, out),
    };
    let client = a.node.client()?;
    let dir = a.keys.path();
    let start = std::time::Instant::now();
    let fetched = fetch_keys(&client, &dir, a.force, &mut |p| {
        out.note(&format!(
            "downloading {} ({:.1} MiB)...",
            p.file,
            p.size as f64 / f64::from(1 << 20)
        ))
    })?;
    let seconds = start.elapsed().as_secs_f64();
    if out.json {
        let bytes = match fetched {
            Fetched::Downloaded { bytes } => bytes,
            Fetched::AlreadyPresent => 0,
        };
        return out.print_json(&json!({
            "keys": dir, "node": client.url(),
            "downloaded": fetched != Fetched::AlreadyPresent,
            "bytes": bytes, "seconds": seconds,
        }));
    }
    match fetched {
        Fetched::AlreadyPresent => crate::outln!(
            "{} already holds the chain's keys of {}",
            dir.display(),
            client.url()
        ),
        Fetched::Downloaded { bytes } => crate::outln!(
            "fetched the chain's keys of {} into {} ({:.1} MiB in {seconds:.1} s); checked against genesis",
            client.url(),
            dir.display(),
            bytes as f64 / f64::from(1 << 20)
        ),
    }
    Ok(())
}

fn tables(a: TablesArgs, out: &Output) -> anyhow::Result<()> {
    let dir = a.keys.path();
    let mut keys = zkpension_prover::ProvingKeys::load(&dir)?;
    keys.set_use_tables(true);
    let mut rows = Vec::new();
    for statement in Statement::ALL {
        let Some(k) = keys.get(statement) else {
            continue;
        };
        let start = std::time::Instant::now();
        k.tables();
        let (state, error) = match k.tables_origin() {
            Some(TablesOrigin::Loaded) => ("present", None),
            Some(TablesOrigin::Built { saved: Ok(()), .. }) => ("written", None),
            Some(TablesOrigin::Built { saved: Err(e), .. }) => ("not saved", Some(e.to_string())),
            None => unreachable!("tables() sets the origin"),
        };
        let file = dir.join(tables_file_name(statement));
        if let Some(e) = error {
            anyhow::bail!("could not write {}: {e}", file.display());
        }
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        out.note(&format!(
            "{statement}: {state} {} ({:.0} MiB, {:.1} s)",
            file.display(),
            size as f64 / f64::from(1 << 20),
            start.elapsed().as_secs_f64()
        ));
        rows.push(json!({"statement": statement, "file": file, "bytes": size, "state": state}));
    }
    if out.json {
        return out.print_json(&json!({ "keys": dir, "tables": rows }));
    }
    crate::outln!(
        "{} has prover tables for every statement; proofs use them unless --low-memory",
        dir.display()
    );
    Ok(())
}
