//! `zkpension forecast`: the pension a plan of contributions leads to.

use crate::args::WalletArg;
use crate::member::NodeArg;
use crate::output::{Output, Usage};
use serde_json::json;
use zkpension_circuits::field::Fr;
use zkpension_circuits::note::Note;
use zkpension_core::format_amount as money;
use zkpension_prover::member::forecast::{forecast, Forecast};

/// Forecast the pension for a planned contribution per epoch.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Forecast the pension: the account's balance carried forward with a planned
contribution in every epoch until the first claim (cut to what each epoch's
cap leaves), under the parameters in force and the ones pending for the next
epoch, by the same rules the proofs enforce. Prints the epochs, the balance
at the first claim, the pension it fixes and how many epochs it lasts, with a
small chart of the balance. Reads the wallet (sync first for an up-to-date
account) and the node's parameters; changes nothing.

Before enrollment, give the eligible epoch the registrar will sign with
--eligible-epoch (the forecast then starts from an empty account).

Examples:
  zkpension forecast --per-epoch 250.00
  zkpension forecast --per-epoch 100 --eligible-epoch 40 --json")]
pub struct Args {
    /// Planned contribution per epoch, in currency units (e.g. 250.00)
    #[arg(long, value_parser = zkpension_core::parse_amount)]
    per_epoch: u64,
    /// Eligible epoch of an account not enrolled yet (an empty account)
    #[arg(long)]
    eligible_epoch: Option<u64>,
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    node: NodeArg,
}

pub fn run(a: Args, out: &Output) -> anyhow::Result<()> {
    let client = a.node.client()?;
    let status = client.status()?;
    let note = match a.eligible_epoch {
        Some(e) => Note::enrollment(Fr::from(0u64), e, Fr::from(0u64), Fr::from(0u64)),
        None => {
            let w = a.wallet.load(out)?;
            match w.current_note() {
                Some(n) => n.note.clone(),
                None => {
                    return Err(Usage(
                        "this wallet has no enrolled account yet: run `zkpension sync` after \
                         enrollment, or give --eligible-epoch to forecast an empty account"
                            .into(),
                    )
                    .into())
                }
            }
        }
    };
    let f = forecast(
        &note,
        status.epoch,
        status.params,
        status.pending_params,
        a.per_epoch,
    )
    .map_err(|e| Usage(e.to_string()))?;
    if out.json {
        return out.print_json(&json!({
            "epoch": status.epoch,
            "params": status.params,
            "pending_params": status.pending_params,
            "per_epoch": a.per_epoch,
            "forecast": f,
        }));
    }
    print_table(&f, status.epoch, a.per_epoch);
    Ok(())
}

fn print_table(f: &Forecast, now: u64, per_epoch: u64) {
    crate::outln!("paying {} per epoch from epoch {now}:", money(per_epoch));
    crate::outln!("  epoch      paid        balance  periods");
    let n = f.rows.len();
    for (i, r) in f.rows.iter().enumerate() {
        if n > 12 && (5..n - 5).contains(&i) {
            if i == 5 {
                crate::outln!("  ... {} epochs ...", n - 10);
            }
            continue;
        }
        crate::outln!(
            "  {:>5}  {:>10}  {:>13}  {:>7}",
            r.epoch,
            money(r.paid),
            money(r.balance),
            r.periods
        );
    }
    if !f.rows.is_empty() {
        crate::outln!("  balance {}", sparkline(f));
    }
    crate::outln!(
        "first claim in epoch {}: balance {}, pension {} per epoch for {} epochs",
        f.first_claim,
        money(f.balance),
        money(f.pension),
        f.payout_epochs
    );
}

/// The balance over the epochs in at most 60 block characters.
fn sparkline(f: &Forecast) -> String {
    const BARS: [char; 8] = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
    let max = f.rows.iter().map(|r| r.balance).max().unwrap_or(0).max(1);
    let step = f.rows.len().div_ceil(60).max(1);
    f.rows
        .iter()
        .step_by(step)
        .map(|r| BARS[((r.balance as u128 * 7) / max as u128) as usize])
        .collect()
}
