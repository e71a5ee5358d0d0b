//! `zkpension history`: the account's transactions, from the wallet file.

use crate::args::WalletArg;
use crate::output::Output;
use zkpension_prover::wallet::NoteStatus;

/// List the account's transactions: kind, epoch, amount, block, status.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
From the wallet file (offline; `zkpension sync` first for news). After
`zkpension wallet recover` the history is the one replayed from the chain.

Examples:
  zkpension history
  zkpension history --wallet alice.json --json")]
pub struct HistoryArgs {
    #[command(flatten)]
    wallet: WalletArg,
}

/// One line of `zkpension history`.
#[derive(serde::Serialize)]
struct HistoryEntry {
    kind: &'static str,
    epoch: Option<u64>,
    amount: Option<u64>,
    /// The block that included it, once seen.
    height: Option<u64>,
    /// `included`, `pending` (the wallet made it, the chain has not shown it
    /// yet).
    status: &'static str,
    balance_after: u64,
    commitment: String,
}

pub fn history(a: HistoryArgs, out: &Output) -> anyhow::Result<()> {
    let w = a.wallet.load(out)?;
    let mut entries: Vec<HistoryEntry> = w
        .notes
        .iter()
        .map(|n| {
            let (kind, epoch, amount) = match &n.change {
                None => ("enroll", None, None),
                Some(c) => (c.kind(), Some(c.epoch()), c.amount()),
            };
            HistoryEntry {
                kind,
                epoch,
                amount,
                height: n.height,
                status: match n.status {
                    NoteStatus::Pending => "pending",
                    _ => "included",
                },
                balance_after: n.note.balance,
                commitment: n.cm.to_hex(),
            }
        })
        .collect();
    if let Some(i) = w.inherited {
        // The heir's payout closed the account: no note follows it.
        entries.push(HistoryEntry {
            kind: "inherit",
            epoch: Some(i.epoch),
            amount: Some(i.amount),
            height: None,
            status: "included",
            balance_after: 0,
            commitment: String::new(),
        });
    }
    if out.json {
        return out.print_json(&serde_json::json!({ "history": entries }));
    }
    crate::outln!(
        "{:<11} {:>6} {:>12} {:>8} {:>9} {:>14}",
        "kind",
        "epoch",
        "amount",
        "block",
        "status",
        "balance after"
    );
    let dash = |v: Option<u64>| v.map_or("-".to_string(), |v| v.to_string());
    for e in &entries {
        crate::outln!(
            "{:<11} {:>6} {:>12} {:>8} {:>9} {:>14}",
            e.kind,
            dash(e.epoch),
            dash(e.amount),
            dash(e.height),
            e.status,
            e.balance_after
        );
    }
    if entries.is_empty() {
        crate::outln!("(no transactions: not enrolled, or not synced)");
    }
    Ok(())
}
