//! `zkpension keys fetch`: the chain's keys from a node.

use crate::args::KeysArg;
use crate::member::NodeArg;
use crate::output::Output;
use serde_json::json;
use zkpension_prover::member::chain_keys::{fetch_keys, Fetched};

/// The chain's proving and verifying keys.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    Fetch(FetchArgs),
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
    let Command::Fetch(a) = cmd;
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
