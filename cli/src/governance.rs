//! `zkpension governance`: who can change the fund's rules, within which
//! bounds, what is scheduled, and every change since genesis.

use crate::member::NodeArg;
use crate::output::Output;
use serde_json::json;
use zkpension_core::format_amount as money;
use zkpension_core::governance::{Bound, GovernanceAction};
use zkpension_core::views::{GovernanceView, KeyGroupView};
use zkpension_core::Params;

/// Show the governance of the fund: keys, signer groups, bounds, pending change, history.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Show who governs the fund and under which fixed rules (from the node's
GET /v1/governance, all of it public and fixed in the genesis):

  - the authority's and the registrar's Ed25519 keys, and how many trustees
    hold a share of each (t-of-n: any t of them must sign together);
  - for each parameter (cap, vesting periods, divisor) the bounds it can
    never leave and the largest change per step;
  - the delay: a change takes effect at least min_delay epochs after it is on
    the ledger, so every parameter that can hold until then is shown here
    already;
  - the change now pending, and every change since genesis (scheduled,
    cancelled, took effect), with its block;
  - the subsidy pool: its match rate, its funders and their deposits.

A member reads this before paying in: the rules in force and the pending
change are all that can hold through epoch `params_known_until`.

Examples:
  zkpension governance
  zkpension governance --json")]
pub struct Args {
    #[command(flatten)]
    node: NodeArg,
}

fn params_text(p: &Params) -> String {
    format!(
        "cap {}, vesting {} epochs, divisor {}",
        money(p.cap),
        p.min_periods,
        p.divisor
    )
}

fn group_text(g: &KeyGroupView) -> String {
    if g.signers == 1 {
        format!("{} (a single key)", g.key)
    } else {
        format!(
            "{} (any {} of {} trustees must sign)",
            g.key, g.threshold, g.signers
        )
    }
}

fn bound_text(name: &str, b: &Bound, money_units: bool) -> String {
    let show = |v: u64| {
        if v == u64::MAX {
            "unbounded".to_string()
        } else if money_units {
            money(v)
        } else {
            v.to_string()
        }
    };
    let step = if b.max_step_percent == u64::MAX {
        "any step".to_string()
    } else {
        format!("at most {}% per change", b.max_step_percent)
    };
    format!(
        "{name:<12} within [{}, {}], {step}",
        show(b.min),
        show(b.max)
    )
}

pub fn run(a: Args, out: &Output) -> anyhow::Result<()> {
    let client = a.node.client()?;
    let g = client.governance()?;
    if out.json {
        return out.print_json(&json!({ "node": client.url(), "governance": g }));
    }
    print(&g);
    Ok(())
}

fn print(g: &GovernanceView) {
    crate::outln!("authority  {}", group_text(&g.authority));
    crate::outln!("registrar  {}", group_text(&g.registrar));
    crate::outln!(
        "delay      a change takes effect at least {} epoch{} after it is on the ledger",
        g.min_delay,
        if g.min_delay == 1 { "" } else { "s" }
    );
    crate::outln!("bounds     {}", bound_text("cap", &g.bounds.cap, true));
    crate::outln!(
        "           {}",
        bound_text("min_periods", &g.bounds.min_periods, false)
    );
    crate::outln!(
        "           {}",
        bound_text("divisor", &g.bounds.divisor, false)
    );
    crate::outln!("epoch {}: {}", g.epoch, params_text(&g.params));
    match &g.pending_params {
        Some(p) => crate::outln!(
            "pending    from epoch {}: {}",
            p.effective_epoch,
            params_text(&p.params)
        ),
        None => crate::outln!("pending    nothing"),
    }
    crate::outln!(
        "known      nothing else can hold through epoch {}",
        g.params_known_until
    );
    match &g.subsidy {
        Some(s) => {
            crate::outln!(
                "subsidy    {} (fixed by the genesis); funded {}, matched {}, left {}",
                s.rate_text(),
                money(s.funded),
                money(s.matched),
                money(s.available)
            );
            for f in &g.funders {
                crate::outln!(
                    "funder     {} {} ({} deposit{})",
                    f.name,
                    f.key,
                    f.deposits,
                    if f.deposits == 1 { "" } else { "s" }
                );
            }
        }
        None => crate::outln!("subsidy    none (the genesis names no funder)"),
    }
    if g.history.is_empty() {
        crate::outln!("history    no change since genesis");
    }
    for e in &g.history {
        let what = match &e.action {
            GovernanceAction::Scheduled { change, replaced } => format!(
                "scheduled {} from epoch {}{}",
                params_text(&change.params),
                change.effective_epoch,
                if replaced.is_some() {
                    " (replacing the pending change)"
                } else {
                    ""
                }
            ),
            GovernanceAction::Cancelled { withdrawn } => format!(
                "cancelled the change due at epoch {}",
                withdrawn.effective_epoch
            ),
            GovernanceAction::TookEffect { params, .. } => {
                format!("in force: {}", params_text(params))
            }
            GovernanceAction::Deposited { funder, amount } => {
                format!(
                    "{funder} deposited {} into the subsidy pool",
                    money(*amount)
                )
            }
        };
        crate::outln!(
            "history    height {:>6}, epoch {:>4}: {what} (tx {})",
            e.height,
            e.epoch,
            e.tx
        );
    }
}
