//! `zkpension funder`: the subsidy pool's funders (the state, an employer)
//! make a key for the genesis and deposit public amounts into the pool,
//! from which every member's contribution is matched (`docs/SPEC.md` §5,
//! "Subsidy pool").

use crate::authority::{keygen, load_key, positive_amount, print_key, print_pubkey};
use crate::member::NodeArg;
use crate::output::{Output, Rejected};
use crate::threshold::submit;
use serde_json::json;
use std::path::PathBuf;
use zkpension_core::format_amount as money;
use zkpension_core::keyfile::Role;
use zkpension_core::tx::Deposit;
use zkpension_core::FixedBytes;

/// A funder of the subsidy pool (the state, an employer): key, deposits.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create a funder key file; prints the public key for the genesis
    /// (`zkpension-node init --funder NAME=KEY`).
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of a funder key file.
    Pubkey {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Put money into the subsidy pool.
    #[command(after_help = "\
The deposit is public: its amount, the funder's name and key are on the
ledger for everyone (`zkpension governance` lists every deposit). From then
on each contribution is matched from the pool at the genesis's rate (e.g. 50
cents per unit paid) into the member's hidden balance, until the pool runs
dry; nothing ever leaves the pool any other way. The node refuses a key that
is not one of the genesis's funders (unknown_funder).

Example:
  zkpension funder deposit --key state.key --amount 5000.00")]
    Deposit {
        /// Funder key file (`zkpension funder keygen`)
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Amount in currency units (e.g. 5000.00)
        #[arg(long, value_parser = positive_amount)]
        amount: u64,
        #[command(flatten)]
        node: NodeArg,
    },
}

pub fn run(cmd: Command, out: &Output) -> anyhow::Result<()> {
    match cmd {
        Command::Keygen { out: file } => print_key(out, &keygen(&file, Role::Funder)?, &file),
        Command::Pubkey { key } => print_pubkey(out, &key, Role::Funder),
        Command::Deposit { key, amount, node } => {
            let key = load_key(&key, Role::Funder)?;
            let client = node.client()?;
            let s = client.status()?;
            let g = client.governance()?;
            let public = FixedBytes(key.verifying_key().to_bytes());
            let Some(funder) = g.funders.iter().find(|f| f.key == public) else {
                return Err(Rejected(format!(
                    "this key ({public}) is not one of the chain's funders ({}); the genesis names them (`zkpension governance`)",
                    if g.funders.is_empty() {
                        "it has none: the chain has no subsidy pool".to_string()
                    } else {
                        g.funders
                            .iter()
                            .map(|f| f.name.as_str())
                            .collect::<Vec<_>>()
                            .join(", ")
                    }
                ))
                .into());
            };
            out.note(&format!(
                "deposit {} into the subsidy pool as {}",
                money(amount),
                funder.name
            ));
            let tx = Deposit::sign(&s.chain_id, amount, funder.deposits, &key);
            let height = submit(&client, &tx.into(), "the deposit")?;
            let after = client.status()?;
            let pool = after
                .totals
                .subsidy
                .expect("a chain with funders has a subsidy");
            if out.json {
                return out.print_json(&json!({
                    "kind": "deposit", "funder": funder.name, "amount": amount,
                    "included_at": height, "subsidy": pool,
                }));
            }
            crate::outln!(
                "{} deposited {} (included at height {height}); the subsidy pool holds {} (funded {}, matched {})",
                funder.name,
                money(amount),
                money(pool.available),
                money(pool.funded),
                money(pool.matched)
            );
            Ok(())
        }
    }
}
