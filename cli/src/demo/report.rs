//! The demo's closing report: what the public ledger shows, what each
//! member alone knows, what only the paying agent reads, and the checks
//! that the books add up.

use super::{Demo, Member};
use crate::output::Output;
use anyhow::Context;
use serde_json::{json, Value};
use std::time::Instant;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field;
use zkpension_core::format_amount as money;
use zkpension_core::sealed::{AgentKey, SealedField};

/// Prints the report (one JSON document with the events under `--json`);
/// whether the pool equals money in plus matched minus money out, and the
/// sum of the members' private balances.
pub(super) fn report(
    d: &Demo,
    members: &[Member],
    agent: &AgentKey,
    chain: &ChainId,
    total: Instant,
    out: &Output,
) -> anyhow::Result<bool> {
    // The public ledger beside each member's private view.
    let s = d.client.status()?;
    // What only the paying agent reads: the claims' recipients.
    let mut payouts = Vec::new();
    for height in 1..=s.height {
        for t in d.client.block(height)?.transactions {
            let Some(zkpension_core::tx::Payout {
                amount,
                recipient: sealed,
                ..
            }) = t.tx.payout()
            else {
                continue;
            };
            let to = agent.open(chain, SealedField::Recipient, sealed.as_slice())?;
            payouts.push(
                json!({"height": height, "amount": amount, "kind": t.tx.kind().name(),
                "recipient": String::from_utf8_lossy(&to), "on_ledger_bytes": sealed.len()}),
            );
        }
    }
    let private: Vec<Value> = members
        .iter()
        .map(|m| match (m.wallet().current_note(), m.wallet().inherited) {
            (Some(n), _) => {
                let n = &n.note;
                json!({"member": m.name, "balance": n.balance, "periods": n.periods, "eligible_epoch": n.eligible_epoch,
                       "pension": n.pension, "last_claim": n.last_claim})
            }
            (None, inherited) => json!({"member": m.name, "balance": 0, "closed": true, "inherited": inherited}),
        })
        .collect();
    let balances: u64 = members
        .iter()
        .map(|m| m.wallet().current_note().map_or(0, |n| n.note.balance))
        .sum();
    let sub = s
        .totals
        .subsidy
        .clone()
        .context("the demo chain has a subsidy pool")?;
    let pool_ok = s.totals.pool == s.totals.contributed + sub.matched - s.totals.paid_out
        && sub.available == sub.funded - sub.matched;
    let solvent = s.totals.pool == balances;
    let avg = |v: &[f64]| {
        if v.is_empty() {
            0.0
        } else {
            v.iter().sum::<f64>() / v.len() as f64
        }
    };
    let summary = json!({
        "public_ledger": {
            "height": s.height, "epoch": s.epoch, "commitments": s.leaf_count, "nullifiers": s.nullifier_count,
            "attestations": s.attestation_count, "contributed": s.totals.contributed, "paid_out": s.totals.paid_out,
            "pool": s.totals.pool, "subsidy": sub, "tree_root": field::to_hex(&s.tree_root), "state_root": zkpension_core::hexbytes::encode_hex(&s.state_root.0),
        },
        "members_private_view": private,
        "paying_agent_view": payouts,
        "checks": {"pool_equals_in_plus_matched_minus_out": pool_ok, "pool_equals_sum_of_private_balances": solvent},
        "timings": {"proofs": d.prove_ms.len(), "avg_prove_ms": avg(&d.prove_ms), "avg_submit_to_inclusion_ms": avg(&d.include_ms),
                    "total_s": total.elapsed().as_secs_f64()},
    });
    if out.json {
        out.print_json(&json!({"events": d.log, "summary": summary}))?;
    } else {
        crate::outln!("\n== what the public ledger shows");
        crate::outln!(
            "height {}, epoch {}, {} commitments, {} nullifiers, {} attestation(s)",
            s.height,
            s.epoch,
            s.leaf_count,
            s.nullifier_count,
            s.attestation_count
        );
        crate::outln!(
            "money in {}, matched {}, money out {}, pool {}  (which account paid or drew what: not shown, not knowable)",
            money(s.totals.contributed), money(sub.matched), money(s.totals.paid_out), money(s.totals.pool)
        );
        crate::outln!(
            "subsidy pool: funded {}, matched {}, left {}",
            money(sub.funded),
            money(sub.matched),
            money(sub.available)
        );
        crate::outln!("\n== what each member alone knows");
        for v in &private {
            if v["closed"] == true {
                crate::outln!(
                    "{:>6}: account closed, inherited by the heir ({} in epoch {})",
                    v["member"].as_str().unwrap_or(""),
                    money(v["inherited"]["amount"].as_u64().unwrap_or(0)),
                    v["inherited"]["epoch"]
                );
                continue;
            }
            crate::outln!(
                "{:>6}: balance {:>8}, {} periods, eligible from epoch {}, pension {}, last claim epoch {}",
                v["member"].as_str().unwrap_or(""), money(v["balance"].as_u64().unwrap_or(0)), v["periods"], v["eligible_epoch"],
                money(v["pension"].as_u64().unwrap_or(0)), v["last_claim"]
            );
        }
        crate::outln!("\n== what only the paying agent reads (sealed on the ledger)");
        for p in &payouts {
            crate::outln!(
                "block {:>3}: pay {:>8} to {} ({}, {} bytes of ciphertext on the ledger)",
                p["height"],
                money(p["amount"].as_u64().unwrap_or(0)),
                p["recipient"].as_str().unwrap_or(""),
                p["kind"].as_str().unwrap_or(""),
                p["on_ledger_bytes"]
            );
        }
        crate::outln!(
            "\ncheck: pool = in + matched - out: {}; pool = sum of the members' private balances: {}",
            if pool_ok { "yes" } else { "NO" },
            if solvent { "yes" } else { "NO" }
        );
        crate::outln!(
            "timings: {} proofs, {:.0} ms each on average; submit to inclusion {:.0} ms on average; {:.1} s in all",
            d.prove_ms.len(), avg(&d.prove_ms), avg(&d.include_ms), total.elapsed().as_secs_f64()
        );
    }
    Ok(pool_ok && solvent)
}
