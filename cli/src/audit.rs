//! `zkpension audit`: re-checks a chain from its public data alone.

use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use serde_json::json;
use std::collections::BTreeMap;
use std::time::Instant;
use zkpension_circuits::Statement;
use zkpension_core::{Block, Hash32};
use zkpension_ledger::audit::{Auditor, Checkpoint};
use zkpension_prover::member::NodeClient;
use zkpension_verifier::{vk_file_name, VerifierKeys, VerifyingKey};

/// Re-check a chain from a node's public data: every proof, signature,
/// rule, tree and state root, from genesis.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Re-check a chain from the public data a node serves, trusting nothing it says:
download the genesis and the verifying keys (their ids must be the ones the
genesis pins), then every block from genesis. Each block is re-applied with the
ledger's own rules to a state rebuilt here: every Groth16 proof is verified (in
batches), every registrar and authority signature, every nullifier, anchor,
cap, eligibility and pension rule, the commitment tree, the totals and the
state root, which must equal the header's; every header must link to the one
before. At the end the node's status must name the same tip and state root.

With --checkpoint FILE an audit continues where the last one stopped: the
state it saved is rebuilt and checked (every count, accumulator and the state
root against the saved header), the node's block at that height must be the
one audited then, and only the newer blocks are fetched and checked. The file
is written (atomically) only when everything agrees.

With several --node URLs the first is audited and the others must serve the
same block hashes up to their common height (a fork shows as the first height
whose hashes differ).

Exit codes: 0 everything agrees, 1 a disagreement (the first height and the
reason are printed), 3 a node could not be read.

Examples:
  zkpension audit --node http://node:8080
  zkpension audit --node http://node:8080 --checkpoint fund.audit   # daily: only new blocks
  zkpension audit --node http://a:8080 --node http://b:8080 --json")]
pub struct Args {
    /// Node URL (`http://host:port` or `host:port`); repeat to compare nodes
    #[arg(
        long = "node",
        value_name = "URL",
        env = "ZKPENSION_NODE",
        default_value = "http://127.0.0.1:8080",
        num_args = 1
    )]
    nodes: Vec<String>,
    /// Continue from the state an earlier audit saved in FILE (if it exists)
    /// and save the audited state there at the end
    #[arg(long, value_name = "FILE")]
    checkpoint: Option<std::path::PathBuf>,
}

/// What the audit found.
#[derive(Default, serde::Serialize)]
struct Summary {
    /// The first height checked by this run (1, or the checkpoint's + 1);
    /// the counts below are this run's.
    from: u64,
    height: u64,
    epoch: u64,
    tip_hash: String,
    state_root: String,
    money_in: u64,
    money_out: u64,
    pool: u64,
    members_enrolled: u64,
    transactions: u64,
    proofs_checked: u64,
    signatures_checked: u64,
    seconds: f64,
}

pub fn run(args: Args, out: &Output) -> anyhow::Result<()> {
    let clients: Vec<NodeClient> = args
        .nodes
        .iter()
        .map(|url| {
            NodeArg {
                url: url.to_string(),
            }
            .client()
        })
        .collect::<anyhow::Result<_>>()?;
    let Some(client) = clients.first() else {
        return Err(Usage("give at least one --node".into()).into());
    };
    let started = Instant::now();
    let view = client.genesis()?;
    let genesis = view.genesis;
    if genesis.hash() != view.hash {
        return Err(Rejected(format!(
            "the node's genesis hashes to {}, not the {} it names",
            genesis.hash(),
            view.hash
        ))
        .into());
    }
    let keys = verifying_keys(client, &genesis.verifying_keys)?;
    let resumed = match &args.checkpoint {
        Some(path) if path.exists() => {
            let bytes =
                std::fs::read(path).with_context(|| format!("reading {}", path.display()))?;
            let cp: Checkpoint = serde_json::from_slice(&bytes)
                .with_context(|| format!("{} is not an audit checkpoint", path.display()))?;
            let base = (cp.height(), cp.scalars.tip_hash);
            let a = Auditor::resume(&genesis, keys.clone(), cp)
                .with_context(|| format!("resuming from {}", path.display()))?;
            Some((a, base))
        }
        _ => None,
    };
    let (mut auditor, (base, base_hash)) = match resumed {
        Some(r) => r,
        None => (
            Auditor::new(&genesis, keys).context("the node's genesis is invalid")?,
            (0, view.hash),
        ),
    };
    let tip = client.status()?.height;
    if base > tip {
        return Err(Rejected(format!(
            "the node is at height {tip}, below the checkpoint's {base}: it lost blocks or \
             serves another history"
        ))
        .into());
    }
    if base > 0 {
        let at = client.block(base)?.hash;
        if at != base_hash {
            return Err(Rejected(format!(
                "the node's block {base} is {at}, the checkpoint audited {base_hash}: the node \
                 rewrote history"
            ))
            .into());
        }
    }
    // hashes[i]: the block hash at height base + i.
    let mut hashes = vec![base_hash];
    let bar = crate::progress::bar(out, tip, "audit", "blocks");
    // Blocks are fetched on another thread while this one checks them.
    let (tx, rx) = std::sync::mpsc::sync_channel(64);
    let fetcher = client.clone();
    std::thread::spawn(move || {
        for height in base + 1..=tip {
            let b = fetcher.block(height);
            let stop = b.is_err();
            if tx.send((height, b)).is_err() || stop {
                break;
            }
        }
    });
    for (height, b) in rx {
        let b = b?;
        let block = Block {
            header: b.header,
            transactions: b.transactions.into_iter().map(|t| t.tx).collect(),
        };
        if block.header.hash() != b.hash {
            return Err(Rejected(format!(
                "block {height} disagrees: its header hashes to {}, the node names it {}",
                block.header.hash(),
                b.hash
            ))
            .into());
        }
        auditor.push(&block).map_err(|e| Rejected(e.to_string()))?;
        hashes.push(b.hash);
        bar.set_position(height);
    }
    if base + (hashes.len() as u64) <= tip {
        return Err(anyhow::anyhow!(
            "the node served {} of its {tip} blocks",
            hashes.len() - 1
        ));
    }
    let checkpoint = match &args.checkpoint {
        Some(_) => Some(auditor.checkpoint().map_err(|e| Rejected(e.to_string()))?),
        None => None,
    };
    let (state, counts) = auditor.finish().map_err(|e| Rejected(e.to_string()))?;
    bar.finish_and_clear();
    let status = client.status()?;
    if status.height >= tip {
        // The node may have grown meanwhile: its block at `tip` must be ours.
        let at_tip = if status.height == tip {
            status.tip_hash
        } else {
            client.block(tip)?.hash
        };
        if at_tip != state.tip_hash() {
            return Err(Rejected(format!(
                "the node's block {tip} is now {at_tip}, the audited one {}",
                state.tip_hash()
            ))
            .into());
        }
        if status.height == tip && status.state_root != state.state_root() {
            return Err(Rejected(format!(
                "the node's status names state root {}, the blocks give {}",
                status.state_root,
                state.state_root()
            ))
            .into());
        }
    }
    let others = compare(&clients[1..], view.hash, base, &hashes)?;
    if let (Some(path), Some(cp)) = (&args.checkpoint, &checkpoint) {
        let tmp = path.with_extension("partial");
        std::fs::write(&tmp, serde_json::to_vec(cp)?)
            .and_then(|()| std::fs::rename(&tmp, path))
            .with_context(|| format!("writing the checkpoint {}", path.display()))?;
    }
    let s = state.scalars();
    let mut summary = Summary {
        members_enrolled: counts.members_enrolled,
        transactions: counts.transactions,
        proofs_checked: counts.proofs_checked,
        signatures_checked: counts.signatures_checked,
        from: base + 1,
        ..Summary::default()
    };
    summary.height = s.height;
    summary.epoch = s.epoch;
    summary.tip_hash = state.tip_hash().to_string();
    summary.state_root = state.state_root().to_string();
    summary.money_in = s.total_contributed;
    summary.money_out = s.total_paid_out;
    summary.pool = s.pool();
    summary.seconds = started.elapsed().as_secs_f64();
    if out.json {
        return out.print_json(&json!({"agrees": true, "summary": summary, "nodes": others}));
    }
    let money = zkpension_core::format_amount;
    if summary.from > summary.height {
        crate::outln!(
            "{}: no block since height {}; everything agrees",
            client.url(),
            summary.height
        );
    } else {
        crate::outln!(
            "audited blocks {} to {} ({} transactions) of {} in {:.1} s: everything agrees",
            summary.from,
            summary.height,
            summary.transactions,
            client.url(),
            summary.seconds
        );
    }
    crate::outln!(
        "  proofs verified {}, signatures {}, members enrolled {}",
        summary.proofs_checked,
        summary.signatures_checked,
        summary.members_enrolled
    );
    crate::outln!(
        "  money in {}, money out {}, pool {} (= in - out)",
        money(summary.money_in),
        money(summary.money_out),
        money(summary.pool)
    );
    crate::outln!(
        "  epoch {}, tip {}, state root {}",
        summary.epoch,
        summary.tip_hash,
        summary.state_root
    );
    for o in &others {
        crate::outln!("  {} agrees up to height {}", o["node"], o["height"]);
    }
    Ok(())
}

/// Downloads the verifying keys and checks each id against genesis.
fn verifying_keys(
    client: &NodeClient,
    pinned: &BTreeMap<Statement, Hash32>,
) -> anyhow::Result<VerifierKeys> {
    let manifest = client.keys_manifest()?;
    let mut keys = BTreeMap::new();
    for statement in Statement::ALL {
        let entry = manifest
            .entry(statement)
            .context("the node's key manifest")?;
        let bytes = client.key_file(&vk_file_name(statement), entry.vk_size)?;
        let key = VerifyingKey::from_bytes(statement, &bytes)
            .with_context(|| format!("the node's {statement} verifying key"))?;
        match pinned.get(&statement) {
            Some(id) if id.0 == key.id() => {}
            _ => {
                return Err(Rejected(format!(
                    "the node's {statement} verifying key {} is not the one its genesis pins",
                    hex::encode(key.id())
                ))
                .into())
            }
        }
        keys.insert(statement, key);
    }
    Ok(VerifierKeys::new(Statement::ALL.map(|s| {
        keys.remove(&s).expect("every statement was read")
    }))?)
}

/// Each other node must serve the audited block hash at the common height;
/// headers are hash-linked, so that one hash covers every block before it.
/// Where it differs, a binary search finds the first height that forks.
/// `hashes[i]` is the audited hash at height `base + i`; a node behind
/// `base` is not compared.
fn compare(
    others: &[NodeClient],
    genesis: Hash32,
    base: u64,
    hashes: &[Hash32],
) -> anyhow::Result<Vec<serde_json::Value>> {
    let mut rows = Vec::new();
    for c in others {
        let status = c.status()?;
        if status.genesis_hash != genesis {
            return Err(Rejected(format!(
                "{} serves another chain (genesis {})",
                c.url(),
                status.genesis_hash
            ))
            .into());
        }
        let common = status.height.min(base + hashes.len() as u64 - 1);
        if common < base {
            rows.push(json!({"node": c.url(), "height": status.height, "compared": false}));
            continue;
        }
        let same = |h: u64| -> anyhow::Result<bool> {
            Ok(h == 0 || c.block(h)?.hash == hashes[(h - base) as usize])
        };
        if !same(common)? {
            // same(lo) holds, same(hi) does not.
            let (mut lo, mut hi) = (base, common);
            while hi - lo > 1 {
                let mid = lo + (hi - lo) / 2;
                if same(mid)? {
                    lo = mid;
                } else {
                    hi = mid;
                }
            }
            return Err(Rejected(format!(
                "{} forks at height {hi}: its block {} differs from the audited {}",
                c.url(),
                c.block(hi)?.hash,
                hashes[(hi - base) as usize]
            ))
            .into());
        }
        rows.push(json!({"node": c.url(), "height": common}));
    }
    Ok(rows)
}
