//! `zkpension status`: the node, the chain and the member's account on one
//! screen.

use crate::args::WalletArg;
use crate::member::NodeArg;
use crate::output::Output;
use serde_json::json;
use zkpension_core::format_amount as money;
use zkpension_core::Params;
use zkpension_prover::wallet::Wallet;

/// Show the node, the chain, the parameters and this wallet's account.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Show on one screen: the node (address, height, mempool, last error), the chain
(id, genesis hash, epoch, state root, totals, verifying-key ids), the
parameters in force and the change pending (with its epoch), and this wallet's
account as of its last sync (balance, contributing epochs, eligible epoch,
pension, transactions still pending). Reads only; `zkpension sync` brings the
account up to date. Without a wallet file the account part is left out.

Examples:
  zkpension status
  zkpension status --json")]
pub struct Args {
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    node: NodeArg,
}

fn params_text(p: &Params) -> String {
    format!(
        "cap {} per epoch, {} contributing epochs before the first claim, pension = balance / {}",
        money(p.cap),
        p.min_periods,
        p.divisor
    )
}

pub fn run(a: Args, out: &Output) -> anyhow::Result<()> {
    let client = a.node.client()?;
    let s = client.status()?;
    let path = a.wallet.path();
    let wallet = if path.exists() {
        Some(a.wallet.load(out)?)
    } else {
        None
    };
    let account = wallet.as_ref().map(account_json);
    if out.json {
        return out.print_json(&json!({ "node": client.url(), "status": s, "account": account }));
    }
    crate::outln!(
        "node     {}: height {}, mempool {} of {}",
        client.url(),
        s.height,
        s.mempool,
        s.mempool_capacity
    );
    if let Some(e) = &s.last_error {
        crate::outln!("         last block-production error: {e}");
    }
    crate::outln!(
        "chain    0x{} (genesis {})",
        hex::encode(s.chain_id.0),
        s.genesis_hash
    );
    crate::outln!(
        "         epoch {}, tip {}, state root {}",
        s.epoch,
        s.tip_hash,
        s.state_root
    );
    crate::outln!(
        "books    money in {}, money out {}, pool {}",
        money(s.totals.contributed),
        money(s.totals.paid_out),
        money(s.totals.pool)
    );
    if let Some(sub) = &s.totals.subsidy {
        crate::outln!(
            "subsidy  funded {}, matched {}, left {}; {}",
            money(sub.funded),
            money(sub.matched),
            money(sub.available),
            sub.rate_text()
        );
    }
    crate::outln!("rules    {}", params_text(&s.params));
    match &s.pending_params {
        Some(p) => crate::outln!(
            "         from epoch {}: {}",
            p.effective_epoch,
            params_text(&p.params)
        ),
        None => crate::outln!("         no change pending"),
    }
    match s.dormancy {
        Some(d) => crate::outln!(
            "heirs    an heir may inherit an account {d} epochs after the member's last action"
        ),
        None => {
            crate::outln!("heirs    no inheritance on this chain (the genesis sets no dormancy)")
        }
    }
    crate::outln!(
        "         a change made now takes effect after epoch {} (`zkpension governance`)",
        s.params_known_until
    );
    for (statement, id) in &s.verifying_keys {
        crate::outln!("keys     {statement:<10} {id}");
    }
    match &wallet {
        None => crate::outln!(
            "account  no wallet at {} (`zkpension wallet new`)",
            path.display()
        ),
        Some(w) => match w.current_note() {
            Some(n) => crate::outln!(
                "account  balance {} over {} contributing epochs; eligible from epoch {}; pension {}; synced to height {}{}",
                money(n.note.balance),
                n.note.periods,
                n.note.eligible_epoch,
                money(n.note.pension),
                w.sync.height,
                if w.sync.height < s.height { " (run `zkpension sync`)" } else { "" }
            ),
            None if w.spent_elsewhere => crate::outln!(
                "account  no spendable account: its note was spent elsewhere"
            ),
            None => crate::outln!(
                "account  not enrolled yet (synced to height {})",
                w.sync.height
            ),
        },
    }
    if let Some(w) = &wallet {
        for p in &w.pending {
            crate::outln!("         pending {} {}", p.kind, p.tx_id);
        }
    }
    Ok(())
}

fn account_json(w: &Wallet) -> serde_json::Value {
    let n = w.current_note().map(|n| &n.note);
    json!({
        "synced_height": w.sync.height,
        "enrolled": n.is_some(),
        "balance": n.map(|n| n.balance),
        "periods": n.map(|n| n.periods),
        "eligible_epoch": n.map(|n| n.eligible_epoch),
        "pension": n.map(|n| n.pension),
        "pending": w.pending.iter().map(|p| &p.tx_id).collect::<Vec<_>>(),
        "spent_elsewhere": w.spent_elsewhere,
    })
}
