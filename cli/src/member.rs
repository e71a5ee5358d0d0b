//! Member commands that make no proof: `enroll`, `sync`, `balance`, and the
//! node's address (`--node`) every command that talks to a node shares. The
//! commands that prove are in [`crate::transact`].

use crate::args::WalletArg;
use crate::output::{Output, Usage};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use zkpension_circuits::binding::ChainId;
use zkpension_core::format_amount as money;
use zkpension_prover::member::flow::FlowError;
use zkpension_prover::member::NodeClient;
use zkpension_prover::wallet::NoteStatus;

/// Where a node is.
#[derive(clap::Args, Debug, Clone)]
pub struct NodeArg {
    /// Node URL (`http://host:port`, or just `host:port`)
    #[arg(
        long = "node",
        value_name = "URL",
        env = "ZKPENSION_NODE",
        default_value = "http://127.0.0.1:8080"
    )]
    pub url: String,
}

impl NodeArg {
    /// A client of the node; a URL that cannot name a node is a usage error.
    pub fn client(&self) -> anyhow::Result<NodeClient> {
        check_node_url(&self.url).map_err(Usage)?;
        Ok(NodeClient::new(&self.url))
    }
}

/// `http://host[:port]`, `https://host[:port]` or `host:port`.
fn check_node_url(url: &str) -> Result<(), String> {
    let bad = |why: &str| {
        Err(format!(
            "--node {url:?} is not a node address ({why}): give http://host:port, https://host or host:port"
        ))
    };
    let rest = match url.trim().split_once("://") {
        Some(("http" | "https", rest)) => rest,
        Some((scheme, _)) => return bad(&format!("scheme {scheme:?}")),
        None => url.trim(),
    };
    let host_port = rest.split('/').next().unwrap_or_default();
    let (host, port) = match host_port.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (h, Some(p)),
        _ => (host_port, None),
    };
    if host.is_empty() || host.chars().any(|c| c.is_whitespace() || c == '@') {
        return bad("no host");
    }
    if let Some(p) = port {
        if p.parse::<u16>().map_or(true, |p| p == 0) {
            return bad(&format!("port {p:?}"));
        }
    }
    Ok(())
}

/// Ask the registrar to enroll this wallet: writes an enrollment request.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The request holds your first note's opening (owner, eligible epoch and its
randomness) so the registrar can check it before signing its commitment. Give
it to the registrar (`zkpension registrar approve`), then run `zkpension sync`.

Example:
  zkpension enroll --eligible-epoch 40 --out alice.enroll.json --node http://node:8080")]
pub struct EnrollArgs {
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    node: NodeArg,
    /// First epoch in which payouts may start (from your birth date and the statutory age)
    #[arg(long, value_name = "EPOCH")]
    eligible_epoch: u64,
    /// Chain name, when no node is reachable (otherwise the node's chain)
    #[arg(long, value_name = "NAME")]
    chain: Option<String>,
    /// Request file to write
    #[arg(long, value_name = "FILE")]
    out: PathBuf,
}

pub fn enroll(a: EnrollArgs, out: &Output) -> anyhow::Result<()> {
    let mut session = a.wallet.open(out, a.node.client()?)?;
    let chain = match &a.chain {
        Some(name) => ChainId::from_name(name),
        None => session.client().status()?.chain_id,
    };
    let req = session
        .enroll_request(chain, a.eligible_epoch)
        .map_err(|e| match e {
            FlowError::Wallet(w) => anyhow::Error::from(w),
            other => Usage(other.to_string()).into(),
        })?;
    std::fs::write(&a.out, serde_json::to_vec_pretty(&req)?)
        .with_context(|| format!("writing {}", a.out.display()))?;
    if out.json {
        out.print_json(
            &json!({"request": a.out, "cm": req.cm.to_hex(), "eligible_epoch": a.eligible_epoch}),
        )
    } else {
        crate::outln!(
            "wrote enrollment request {} (commitment {}); give it to the registrar",
            a.out.display(),
            req.cm.to_hex()
        );
        Ok(())
    }
}

/// Download new blocks, find this wallet's notes, settle pending transactions.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The wallet computes its own Merkle path from the commitments it downloads; the
node is never asked for the path of a note.

--light catches up without the blocks in between: the tip's header, the
leaves of two shards, the roots of the shards completed since (32 bytes per
4,096 commitments), and one bucket of spent nullifiers, sized to hold about
2,048 of the new ones. The node learns the first bits of the nullifier the
account will reveal when it next spends (docs/SPEC.md §2, Light sync);
it does not check the header links in between. With a pending
transaction, or when a copy of the wallet spent the note, it runs the
ordinary sync instead and says why.

Examples:
  zkpension sync --node http://node:8080
  zkpension sync --light --json")]
pub struct SyncArgs {
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    node: NodeArg,
    /// Catch up without reading every block (see below).
    #[arg(long)]
    light: bool,
    /// With --light: the nullifier bucket's width in bits (1 to 32; more
    /// bits download less and tell the node more). Default: sized to the
    /// number of new commitments.
    #[arg(long, requires = "light", value_parser = clap::value_parser!(u8).range(1..=32))]
    bucket_bits: Option<u8>,
}

pub fn sync(a: SyncArgs, out: &Output) -> anyhow::Result<()> {
    if a.light {
        return sync_light(a, out);
    }
    let mut session = a.wallet.open(out, a.node.client()?)?;
    let start = std::time::Instant::now();
    // The session saves whatever was learnt, even when the sync stopped halfway.
    let spinner = crate::progress::spinner(
        out,
        format!(
            "syncing from height {} with the node",
            session.wallet().sync.height
        ),
    );
    let report = session.sync();
    spinner.finish_and_clear();
    let report = report?;
    let w = session.wallet();
    if report.spent_elsewhere {
        out.note("warning: this wallet's note was spent by a transaction it did not make");
    }
    if out.json {
        out.print_json(&json!({"report": report, "height": w.sync.height, "seconds": start.elapsed().as_secs_f64()}))
    } else {
        crate::outln!(
            "synced to height {} ({} blocks, {} commitments) in {:.2} s; {} included, {} rejected",
            w.sync.height,
            report.blocks,
            report.commitments,
            start.elapsed().as_secs_f64(),
            report.included.len(),
            report.rejected.len()
        );
        for (id, why) in &report.rejected {
            crate::outln!("  rejected {id}: {why}");
        }
        Ok(())
    }
}

fn sync_light(a: SyncArgs, out: &Output) -> anyhow::Result<()> {
    let mut session = a.wallet.open(out, a.node.client()?)?;
    let start = std::time::Instant::now();
    let spinner = crate::progress::spinner(
        out,
        format!(
            "light sync from height {} with the node",
            session.wallet().sync.height
        ),
    );
    let report = session.sync_light(a.bucket_bits);
    spinner.finish_and_clear();
    let report = report?;
    let seconds = start.elapsed().as_secs_f64();
    if report.full.as_ref().is_some_and(|f| f.spent_elsewhere) {
        out.note("warning: this wallet's note was spent by a transaction it did not make");
    }
    let height = session.wallet().sync.height;
    if out.json {
        return out.print_json(&json!({"report": report, "height": height, "seconds": seconds}));
    }
    if let Some(reason) = &report.reason {
        out.note(&format!("ordinary sync instead of a light one: {reason}"));
    }
    crate::outln!(
        "synced to height {height} ({} new commitments, {} mode) in {seconds:.2} s, {} KiB downloaded",
        report.new_commitments,
        report.mode,
        report.bytes.div_ceil(1024)
    );
    if report.mode == "light" {
        crate::outln!(
            "  {} leaves, {} shard roots, nullifier bucket of {} bits with {} spent since",
            report.leaves,
            report.shard_roots,
            report.bucket_bits,
            report.bucket_nullifiers
        );
    }
    Ok(())
}

/// Show the account as this wallet knows it (offline; `sync` first for news).
#[derive(clap::Args, Debug)]
pub struct BalanceArgs {
    #[command(flatten)]
    wallet: WalletArg,
}

pub fn balance(a: BalanceArgs, out: &Output) -> anyhow::Result<()> {
    let w = a.wallet.load(out)?;
    let current = w.current_note();
    let pending: Vec<_> = w
        .pending
        .iter()
        .map(|p| json!({"kind": p.kind, "tx_id": p.tx_id, "held": p.held}))
        .collect();
    let v = json!({
        "synced_height": w.sync.height,
        "enrolled": current.is_some(),
        "balance": current.map(|n| n.note.balance),
        "periods": current.map(|n| n.note.periods),
        "eligible_epoch": current.map(|n| n.note.eligible_epoch),
        "pension": current.map(|n| n.note.pension),
        "last_claim": current.map(|n| n.note.last_claim),
        "pending": pending,
        "awaiting_enrollment": w.notes.iter().any(|n| n.status == NoteStatus::Pending) && current.is_none(),
        "spent_elsewhere": w.spent_elsewhere,
    });
    if out.json {
        return out.print_json(&v);
    }
    match current {
        Some(n) => crate::outln!(
            "balance {} over {} contributing epochs; eligible from epoch {}; pension {} (last claim epoch {}); synced to height {}",
            money(n.note.balance), n.note.periods, n.note.eligible_epoch, money(n.note.pension), n.note.last_claim, w.sync.height
        ),
        None if w.spent_elsewhere => crate::outln!(
            "no spendable account: its note was spent elsewhere (synced to height {})",
            w.sync.height
        ),
        None => crate::outln!("no confirmed account yet (synced to height {})", w.sync.height),
    }
    for p in &w.pending {
        if p.held {
            crate::outln!(
                "held {} {} (written with --out: submit it with `zkpension submit FILE`)",
                p.kind,
                p.tx_id
            );
        } else {
            crate::outln!("pending {} {}", p.kind, p.tx_id);
        }
    }
    if w.spent_elsewhere {
        crate::outln!(
            "WARNING: the account's note was spent by a transaction this wallet did not make"
        );
    }
    Ok(())
}
