//! `zkpension inherit`: the heir's payout of a dormant account.

use crate::args::{KeysArg, ProverArg, WalletArg};
use crate::member::NodeArg;
use crate::output::{Output, Rejected};
use crate::transact::{flow_err, submit_and_wait};
use rand_core::OsRng;
use serde_json::json;
use std::path::PathBuf;
use zkpension_core::format_amount as money;
use zkpension_core::hexbytes::encode_hex;
use zkpension_prover::member::chain_keys::check_chain_keys;
use zkpension_prover::member::inherit::InheritError;
use zkpension_prover::member::{FlowError, MemberSession};

/// Inherit the account of a member who named you as heir, once it is dormant.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The member names you with `--heir ADDRESS` on a contribution, claim or
attestation (ADDRESS: the `owner` that `zkpension wallet show` prints in your
wallet) and gives you the account's viewing key. Follow the account with a
watch-only wallet; once the member has not acted for the genesis's dormancy
(`zkpension status` prints it under `heirs`), prove that you are the heir named in the
account's note: its whole balance is paid to --recipient and the account
closes. Your own wallet (--wallet) gives the spending key; nothing in it
changes.

Refused before any proving, with the numbers: an account that names no heir
or another heir (also when it named you before), one that is not dormant yet
(the first epoch you may inherit in), one already inherited, an empty one.

Example:
  zkpension wallet watch --viewing-key mother.vk --wallet mother.json
  zkpension inherit --watch mother.json --recipient 'IBAN DE44 5001 0517 5407 3249 31'")]
pub struct InheritArgs {
    /// Your own wallet: its spending key proves you are the heir
    #[command(flatten)]
    wallet: WalletArg,
    /// The member's account as a watch-only wallet (`zkpension wallet watch
    /// --viewing-key FILE --wallet FILE`); synced and saved first
    #[arg(long, value_name = "FILE")]
    watch: PathBuf,
    /// Where the payout goes (at most 1024 bytes, bound into the proof;
    /// sealed to the paying agent when the chain names one)
    #[arg(long, value_parser = crate::transact::bound_text)]
    recipient: String,
    #[command(flatten)]
    keys: KeysArg,
    #[command(flatten)]
    node: NodeArg,
    #[command(flatten)]
    prover: ProverArg,
    /// Return once submitted instead of waiting for the block
    #[arg(long)]
    no_wait: bool,
}

/// A refusal the rules make (exit code 1); the rest fail as the member's
/// commands do.
fn inherit_err(e: InheritError) -> anyhow::Error {
    match e {
        InheritError::Flow(f) => flow_err(f),
        refusal => Rejected(refusal.to_string()).into(),
    }
}

pub fn run(a: InheritArgs, out: &Output) -> anyhow::Result<()> {
    let own = a.wallet.load(out)?;
    let heir = own.spending_key("inherit").map_err(FlowError::from)?;
    let client = a.node.client()?;
    let mut watch = MemberSession::open(&a.watch, client)?;
    let status = watch.client().status().map_err(FlowError::from)?;
    let dir = a.keys.path();
    check_chain_keys(&dir, &status, watch.client().url(), a.keys.given())?;
    let keys = a.prover.load(&dir)?;
    out.note("following the account and checking the heir and the dormancy; proving...");
    let start = std::time::Instant::now();
    let inheritance = watch
        .prepare_inheritance(&keys, heir, a.recipient.as_bytes(), &mut OsRng)
        .map_err(inherit_err)?;
    let prove_s = start.elapsed().as_secs_f64();
    let id = inheritance.tx.id();
    let height = submit_and_wait(watch.client(), &inheritance.tx, a.no_wait)?;
    if height.is_some() {
        // The watching wallet learns that the account is closed.
        watch.sync().map_err(flow_err)?;
    }
    let id_hex = encode_hex(&id.0);
    if out.json {
        return out.print_json(&json!({
            "kind": "inherit", "tx_id": id_hex, "included_at": height,
            "amount": inheritance.amount, "epoch": inheritance.epoch,
            "member_last_active": inheritance.last_active, "prove_seconds": prove_s,
        }));
    }
    match height {
        Some(h) => {
            crate::outln!("inherit {id_hex} included at height {h} (proved in {prove_s:.2} s)")
        }
        None => crate::outln!("inherit {id_hex} submitted (proved in {prove_s:.2} s)"),
    }
    crate::outln!(
        "inherited {} in epoch {} (the member last acted in epoch {}); the account is closed",
        money(inheritance.amount),
        inheritance.epoch,
        inheritance.last_active
    );
    Ok(())
}
