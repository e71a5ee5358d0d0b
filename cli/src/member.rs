//! Member commands: `enroll`, `sync`, `contribute`, `claim`, `attest`,
//! `balance`. Each that makes a transaction submits it to `--node`, or writes
//! it to `--out FILE` (canonical encoding, hex) for submission elsewhere.

use crate::args::{KeysArg, ProverArg, WalletArg};
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use rand_core::OsRng;
use serde_json::json;
use std::path::PathBuf;
use zkpension_circuits::binding::ChainId;
use zkpension_prover::member::flow::{AttestRequest, FlowError, Prepared};
use zkpension_prover::member::{Action, MemberSession, NodeClient, Recorded};
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
    pub fn client(&self) -> NodeClient {
        NodeClient::new(&self.url)
    }
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
    let mut session = a.wallet.open(out, a.node.client())?;
    let chain = match &a.chain {
        Some(name) => ChainId::from_name(name),
        None => session.client().status()?.chain_id,
    };
    let req = session
        .enroll_request(chain, a.eligible_epoch, &mut OsRng)
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

Example:
  zkpension sync --node http://node:8080")]
pub struct SyncArgs {
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    node: NodeArg,
}

pub fn sync(a: SyncArgs, out: &Output) -> anyhow::Result<()> {
    let mut session = a.wallet.open(out, a.node.client())?;
    let start = std::time::Instant::now();
    // The session saves whatever was learnt, even when the sync stopped halfway.
    let report = session.sync()?;
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

/// Options of every command that makes a transaction.
#[derive(clap::Args, Debug)]
pub struct TxArgs {
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    keys: KeysArg,
    #[command(flatten)]
    node: NodeArg,
    #[command(flatten)]
    prover: ProverArg,
    /// Write the transaction (hex of its canonical encoding) to FILE instead of submitting it
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Return once submitted instead of waiting for the block
    #[arg(long)]
    no_wait: bool,
}

/// Pay into your pension account in the current epoch.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  zkpension contribute --amount 25000 --payer-ref 'salary 2026-11'"
)]
pub struct ContributeArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// Amount in atomic units (cents)
    #[arg(long)]
    amount: u64,
    /// Public payment reference bound into the proof
    #[arg(long, default_value = "")]
    payer_ref: String,
}

/// Draw this epoch's pension.
#[derive(clap::Args, Debug)]
#[command(
    after_help = "Example:\n  zkpension claim --recipient 'IBAN DE89 3704 0044 0532 0130 00'"
)]
pub struct ClaimArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// Where the payout goes (public, bound into the proof)
    #[arg(long)]
    recipient: String,
}

/// Prove facts about your account to a third party under a per-context pseudonym.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
The relying party looks the attestation up by context:
  GET /v1/attestations/{context}

Example:
  zkpension attest --context 'landlord:flat-12' --min-balance 100000 --message 'challenge 7f3a'")]
pub struct AttestArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The relying party's context (one pseudonym per member per context)
    #[arg(long)]
    context: String,
    #[arg(long, default_value_t = 0)]
    min_balance: u64,
    #[arg(long, default_value_t = 0)]
    min_periods: u64,
    /// Also prove the member has reached their eligible epoch
    #[arg(long)]
    require_eligible: bool,
    /// Message bound into the proof (e.g. the relying party's challenge)
    #[arg(long, default_value = "")]
    message: String,
}

/// Turns a flow error into the right exit code: a rule the statement forbids
/// is a rejection (1), the rest failures (3).
fn flow_err(e: FlowError) -> anyhow::Error {
    match e {
        FlowError::Relation(r) => Rejected(format!("the ledger's rules forbid this: {r}")).into(),
        FlowError::Client(zkpension_prover::member::ClientError::Rejected { id, reason }) => {
            Rejected(format!(
                "the node rejected transaction {id}: {}",
                reason.message
            ))
            .into()
        }
        other => other.into(),
    }
}

fn transact(a: TxArgs, action: Action, out: &Output) -> anyhow::Result<()> {
    let mut session = a.wallet.open(out, a.node.client())?;
    session.sync().map_err(flow_err)?;
    let keys = a.prover.load(&a.keys.resolve(out)?)?;
    let start = std::time::Instant::now();
    let prepared = session
        .prepare(&keys, &action, &mut OsRng)
        .map_err(flow_err)?;
    let prove_s = start.elapsed().as_secs_f64();
    crate::args::tables_note(out, &keys);
    // Recorded (and the wallet saved) before it leaves this process: a crash
    // from here on loses nothing.
    let recorded = session.record(prepared)?;
    submit_recorded(&mut session, &recorded, a.out, a.no_wait, prove_s, out)
}

fn submit_recorded(
    session: &mut MemberSession,
    recorded: &Recorded,
    file: Option<PathBuf>,
    no_wait: bool,
    prove_s: f64,
    out: &Output,
) -> anyhow::Result<()> {
    let p = recorded.prepared();
    let id = p.id_hex();
    if let Some(file) = file {
        std::fs::write(&file, hex::encode(recorded.encode()))
            .with_context(|| format!("writing {}", file.display()))?;
        return report(out, p, &id, None, prove_s, Some(&file));
    }
    session.submit(recorded).map_err(flow_err)?;
    let height = if no_wait {
        None
    } else {
        Some(
            session
                .wait(recorded, std::time::Duration::from_secs(120))
                .map_err(flow_err)?,
        )
    };
    report(out, p, &id, height, prove_s, None)
}

fn report(
    out: &Output,
    p: &Prepared,
    id: &str,
    height: Option<u64>,
    prove_s: f64,
    file: Option<&PathBuf>,
) -> anyhow::Result<()> {
    if out.json {
        return out.print_json(&json!({
            "kind": p.kind, "tx_id": id, "included_at": height, "file": file,
            "prove_seconds": prove_s, "balance": p.new_note.balance, "pension": p.new_note.pension,
        }));
    }
    match (file, height) {
        (Some(f), _) => crate::outln!("{} transaction {id} written to {}", p.kind, f.display()),
        (None, Some(h)) => crate::outln!(
            "{} {id} included at height {h} (proved in {prove_s:.2} s)",
            p.kind
        ),
        (None, None) => crate::outln!("{} {id} submitted (proved in {prove_s:.2} s)", p.kind),
    }
    crate::outln!(
        "balance now {} (pension {})",
        p.new_note.balance,
        p.new_note.pension
    );
    Ok(())
}

pub fn contribute(a: ContributeArgs, out: &Output) -> anyhow::Result<()> {
    let action = Action::Contribute {
        amount: a.amount,
        payer_ref: a.payer_ref.into_bytes(),
    };
    transact(a.tx, action, out)
}

pub fn claim(a: ClaimArgs, out: &Output) -> anyhow::Result<()> {
    let action = Action::Claim {
        recipient: a.recipient.into_bytes(),
    };
    transact(a.tx, action, out)
}

pub fn attest(a: AttestArgs, out: &Output) -> anyhow::Result<()> {
    let req = AttestRequest {
        context: a.context,
        min_balance: a.min_balance,
        min_periods: a.min_periods,
        require_eligible: a.require_eligible,
        message: a.message.into_bytes(),
    };
    transact(a.tx, Action::Attest(req), out)
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
        .map(|p| json!({"kind": p.kind, "tx_id": p.tx_id}))
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
            "balance {} over {} periods; eligible from epoch {}; pension {} (last claim epoch {}); synced to height {}",
            n.note.balance, n.note.periods, n.note.eligible_epoch, n.note.pension, n.note.last_claim, w.sync.height
        ),
        None => crate::outln!("no confirmed account yet (synced to height {})", w.sync.height),
    }
    for p in &w.pending {
        crate::outln!("pending {} {}", p.kind, p.tx_id);
    }
    if w.spent_elsewhere {
        crate::outln!(
            "WARNING: the account's note was spent by a transaction this wallet did not make"
        );
    }
    Ok(())
}
