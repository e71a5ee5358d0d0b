//! The paying agent's commands: its key (X25519, for the genesis's
//! `paying_agent`) and the list of claims to pay with their recipients,
//! opened from the sealed texts on the chain.

use crate::member::NodeArg;
use crate::output::{Output, Usage};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use zkpension_core::keyfile::{agent_key_json, load_agent_key, KeyFileError};
use zkpension_core::sealed::{AgentKey, SealedField};
use zkpension_core::{format_amount as money, Transaction};

/// The paying agent: the only party that reads payout details.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create the paying agent's key file; prints the public key for the genesis
    /// (`zkpension-node init --paying-agent`).
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of a paying agent's key file.
    Pubkey {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// List the claims and inheritances to pay (and, with --contributions,
    /// the payments in), with the recipients and payment references opened.
    #[command(after_help = "\
On a chain whose genesis names a paying agent, a claim's or an heir's
recipient and a contribution's payment reference are on the ledger only as HPKE ciphertexts
to the agent's key; this command reads the blocks and opens them.

Example:
  zkpension agent payouts --key agent.key --node http://node:8080 --from 1")]
    Payouts {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[command(flatten)]
        node: NodeArg,
        /// First block to read
        #[arg(long, default_value_t = 1)]
        from: u64,
        /// Last block to read [default: the tip]
        #[arg(long)]
        to: Option<u64>,
        /// Also list contributions with their payment references
        #[arg(long)]
        contributions: bool,
    },
}

fn load(path: &std::path::Path) -> anyhow::Result<AgentKey> {
    match load_agent_key(path) {
        Ok(k) => Ok(k),
        Err(e @ KeyFileError::Read { .. }) => Err(e.into()),
        Err(e) => Err(Usage(e.to_string()).into()),
    }
}

pub fn run(cmd: Command, out: &Output) -> anyhow::Result<()> {
    match cmd {
        Command::Keygen { out: file } => {
            let key = AgentKey::generate(&mut rand_core::OsRng);
            zkpension_prover::fsutil::create_new_atomic(
                &file,
                agent_key_json(&key).as_bytes(),
                0o600,
            )
            .with_context(|| {
                format!(
                    "creating {} (an existing key is never overwritten)",
                    file.display()
                )
            })?;
            let public = zkpension_core::hexbytes::encode_hex(&key.public());
            if out.json {
                return out.print_json(&json!({"public_key": public, "key_file": file}));
            }
            crate::outln!("wrote {} (mode 600); public key {public}", file.display());
            Ok(())
        }
        Command::Pubkey { key } => {
            let public = zkpension_core::hexbytes::encode_hex(&load(&key)?.public());
            if out.json {
                return out.print_json(
                    &json!({"public_key": public, "kind": "paying_agent", "key_file": key}),
                );
            }
            crate::outln!("{public}");
            Ok(())
        }
        Command::Payouts {
            key,
            node,
            from,
            to,
            contributions,
        } => payouts(&load(&key)?, &node, from, to, contributions, out),
    }
}

fn payouts(
    key: &AgentKey,
    node: &NodeArg,
    from: u64,
    to: Option<u64>,
    contributions: bool,
    out: &Output,
) -> anyhow::Result<()> {
    let client = node.client()?;
    let genesis = client.genesis()?.genesis;
    match genesis.paying_agent {
        Some(k) if k.0 == key.public() => {}
        Some(_) => {
            return Err(
                Usage("this key is not the paying agent the chain's genesis names".into()).into(),
            )
        }
        None => {
            return Err(Usage(
                "this chain names no paying agent: its payout details are public".into(),
            )
            .into())
        }
    }
    let chain = genesis.chain_id;
    let tip = client.status()?.height;
    let to = to.unwrap_or(tip).min(tip);
    let mut rows = Vec::new();
    for height in from.max(1)..=to {
        let block = client.block(height)?;
        for t in &block.transactions {
            let (kind, amount, epoch, field, text) = match (&t.tx, t.tx.payout()) {
                // A pension, or an heir's lump sum paid like one.
                (_, Some(p)) => (
                    t.tx.kind().name(),
                    p.amount,
                    p.epoch,
                    SealedField::Recipient,
                    p.recipient.as_slice(),
                ),
                (Transaction::Contribute(c), _) if contributions => (
                    "contribute",
                    c.body.amount,
                    c.body.epoch,
                    SealedField::PayerRef,
                    c.body.payer_ref.as_slice(),
                ),
                _ => continue,
            };
            let opened = if text.is_empty() {
                Ok(String::new())
            } else {
                key.open(&chain, field, text)
                    .map(|b| String::from_utf8_lossy(&b).into_owned())
            };
            rows.push(json!({
                "height": height, "tx_id": t.id, "kind": kind, "epoch": epoch, "amount": amount,
                "detail": opened.as_ref().ok(), "error": opened.as_ref().err().map(|e| e.to_string()),
            }));
        }
    }
    if out.json {
        return out.print_json(&json!({"from": from, "to": to, "rows": rows}));
    }
    for r in &rows {
        crate::outln!(
            "block {:>6}  {:<10}  epoch {:>4}  {:>12}  {}",
            r["height"],
            r["kind"].as_str().unwrap_or(""),
            r["epoch"],
            money(r["amount"].as_u64().unwrap_or(0)),
            r["detail"]
                .as_str()
                .map(str::to_string)
                .unwrap_or_else(|| format!("UNREADABLE: {}", r["error"].as_str().unwrap_or(""))),
        );
    }
    crate::outln!("{} rows from blocks {from} to {to}", rows.len());
    Ok(())
}
