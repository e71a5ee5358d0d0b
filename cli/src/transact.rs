//! Commands that make a member's transaction (`contribute`, `claim`,
//! `attest`) and `submit`, which sends a transaction file. Each checks the
//! rules and the chain's keys before proving, records the transaction in the
//! wallet before it leaves the process, then submits it to `--node` or
//! writes it to `--out FILE` and holds it until `zkpension submit FILE`.

use crate::args::{KeysArg, ProverArg, WalletArg};
use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use rand_core::OsRng;
use serde_json::json;
use std::path::PathBuf;
use std::time::Duration;
use zkpension_circuits::field::{self, Fr};
use zkpension_core::tx::body::MAX_CONTEXT_BYTES;
use zkpension_core::{format_amount as money, parse_amount, Transaction};
use zkpension_prover::member::chain_keys::check_chain_keys;
use zkpension_prover::member::flow::{AttestRequest, FlowError, Prepared};
use zkpension_prover::member::{Action, ClientError, MemberSession, Naming, NodeClient, Recorded};

/// How long a command waits for its transaction's block.
const WAIT: Duration = Duration::from_secs(120);

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
    /// Write the transaction (hex of its canonical encoding) to FILE and hold
    /// it: nothing is submitted until `zkpension submit FILE`
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
    /// Return once submitted instead of waiting for the block
    #[arg(long)]
    no_wait: bool,
    /// Name the account's heir in this transaction's new note: the heir's
    /// address (the `owner` that `zkpension wallet show` prints in the
    /// heir's wallet), or `none` to name nobody. Without it the heir the
    /// account names now is kept. Hidden like everything else in the note;
    /// the heir may inherit once the account has been dormant for the
    /// genesis's `dormancy` epochs (`zkpension inherit`)
    #[arg(long, value_name = "ADDRESS", value_parser = parse_heir)]
    heir: Option<Fr>,
}

/// An heir's address (`0x` and 64 hex digits, below p) or `none` (0).
pub fn parse_heir(s: &str) -> Result<Fr, String> {
    if s == "none" {
        return Ok(Fr::from(0u64));
    }
    let heir = field::from_hex(s).map_err(|e| {
        format!("{e}: an heir is an address (0x and 64 hex digits, as `zkpension wallet show` prints `owner`) or `none`")
    })?;
    if heir == Fr::from(0u64) {
        return Err("the zero address names nobody: write `none`".into());
    }
    Ok(heir)
}

/// A text bound into a proof (a payment reference, a recipient, a message):
/// at most [`MAX_CONTEXT_BYTES`] bytes, checked before anything is proved.
pub fn bound_text(s: &str) -> Result<String, String> {
    if s.len() > MAX_CONTEXT_BYTES {
        return Err(format!(
            "{} bytes, the ledger takes at most {MAX_CONTEXT_BYTES}",
            s.len()
        ));
    }
    Ok(s.to_string())
}

/// Pay into your pension account in the current epoch.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Amounts are in the fund's currency units with at most two decimals
(--amount 250.00); --cents gives atomic units instead (--cents 25000).

Example:
  zkpension contribute --amount 250.00 --payer-ref 'salary 2026-11'")]
pub struct ContributeArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// Amount in currency units, e.g. 250.00
    #[arg(long, value_parser = parse_amount, required_unless_present = "cents", conflicts_with = "cents")]
    amount: Option<u64>,
    /// Amount in cents (atomic units), instead of --amount
    #[arg(long, value_name = "CENTS")]
    cents: Option<u64>,
    /// Payment reference bound into the proof (at most 1024 bytes; public)
    #[arg(long, default_value = "", value_parser = bound_text)]
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
    /// Where the payout goes (at most 1024 bytes; public, bound into the proof)
    #[arg(long, value_parser = bound_text)]
    recipient: String,
}

/// Prove facts about your account to a third party under a per-context pseudonym.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
Prints the context id, the tag (your pseudonym for this context) and the URL
under which the relying party finds the attestation; they check it with
`zkpension check-attestation --context TEXT --tag TAG ...`.

Example:
  zkpension attest --context 'landlord:flat-12' --min-balance 1000.00 --message 'challenge 7f3a'")]
pub struct AttestArgs {
    #[command(flatten)]
    tx: TxArgs,
    /// The relying party's context (one pseudonym per member per context)
    #[arg(long, value_parser = bound_text)]
    context: String,
    /// Prove a balance of at least this much (currency units, e.g. 1000.00)
    #[arg(long, value_parser = parse_amount, default_value = "0")]
    min_balance: u64,
    /// Prove at least this many contributing epochs
    #[arg(long, default_value_t = 0)]
    min_periods: u64,
    /// Also prove the member has reached their eligible epoch
    #[arg(long)]
    require_eligible: bool,
    /// Message bound into the proof (e.g. the relying party's challenge)
    #[arg(long, default_value = "", value_parser = bound_text)]
    message: String,
}

/// Turns a flow error into the right exit code: a rule the statement forbids
/// is a rejection (1), the rest failures (3).
pub fn flow_err(e: FlowError) -> anyhow::Error {
    match e {
        FlowError::Rule { explanation, .. } => Rejected(explanation).into(),
        e @ FlowError::Inherited { .. } => Rejected(e.to_string()).into(),
        FlowError::Seal(e) => Usage(e.to_string()).into(),
        FlowError::Client(ClientError::Rejected { id, reason }) => Rejected(format!(
            "the node rejected transaction {id}: {}",
            reason.message
        ))
        .into(),
        other => other.into(),
    }
}

fn transact(a: TxArgs, action: Action, out: &Output) -> anyhow::Result<()> {
    let mut session = a.wallet.open(out, a.node.client()?)?;
    session.sync().map_err(flow_err)?;
    let status = session.client().status().map_err(FlowError::from)?;
    // The chain's keys, or nothing is proved.
    let dir = a.keys.path();
    check_chain_keys(&dir, &status, session.client().url(), a.keys.given())?;
    out.note(&echo(&action, &status));
    let keys = a.prover.load(&dir)?;
    let start = std::time::Instant::now();
    let naming = Naming {
        action: &action,
        heir: a.heir,
    };
    let prepared = session
        .prepare_naming(&keys, naming, &mut OsRng)
        .map_err(flow_err)?;
    let prove_s = start.elapsed().as_secs_f64();
    crate::args::tables_note(out, &keys);
    // Recorded (and the wallet saved) before it leaves this process: a crash
    // from here on loses nothing.
    if let Some(file) = a.out {
        let recorded = session.record_held(prepared)?;
        std::fs::write(&file, hex::encode(recorded.transaction().encode()))
            .with_context(|| format!("writing {}", file.display()))?;
        return report(
            out,
            &recorded,
            None,
            prove_s,
            Some(&file),
            session.client().url(),
        );
    }
    let recorded = session.record(prepared)?;
    session.submit(&recorded).map_err(flow_err)?;
    let height = if a.no_wait {
        None
    } else {
        Some(session.wait(&recorded, WAIT).map_err(flow_err)?)
    };
    report(
        out,
        &recorded,
        height,
        prove_s,
        None,
        session.client().url(),
    )
}

/// What is about to be proved, in the member's terms.
fn echo(action: &Action, status: &zkpension_core::views::StatusView) -> String {
    let epoch = status.epoch;
    match action {
        Action::Contribute { amount, .. } => {
            let matched = status
                .totals
                .subsidy
                .as_ref()
                .map_or(0, |s| s.match_for(*amount));
            let subsidy = if matched > 0 {
                format!(" + {} matched from the subsidy pool", money(matched))
            } else {
                String::new()
            };
            let cap_note = if matched > 0 {
                ", the match included"
            } else {
                ""
            };
            format!(
                "paying {}{subsidy} into the pension account in epoch {epoch} (cap {} per epoch{cap_note}); proving...",
                money(*amount),
                money(status.params.cap),
            )
        }
        Action::Claim { .. } => format!(
            "claiming the pension of epoch {epoch} (vesting {} epochs, divisor {}); proving...",
            status.params.min_periods, status.params.divisor
        ),
        Action::Attest(r) => format!(
            "attesting for {:?} in epoch {epoch}: balance at least {}, at least {} contributing \
             epochs{}; proving...",
            r.context,
            money(r.min_balance),
            r.min_periods,
            if r.require_eligible { ", eligible" } else { "" }
        ),
    }
}

fn report(
    out: &Output,
    recorded: &Recorded,
    height: Option<u64>,
    prove_s: f64,
    file: Option<&PathBuf>,
    node: &str,
) -> anyhow::Result<()> {
    let p: &Prepared = recorded.prepared();
    let id = p.id_hex();
    let attestation = match recorded.transaction() {
        Transaction::Attest(t) => Some(json!({
            "context": t.body.context.to_hex(),
            "tag": t.body.tag.to_hex(),
            "url": format!("{node}/v1/attestations/{}/{}", t.body.context, t.body.tag),
        })),
        _ => None,
    };
    let matched = p.matched();
    if out.json {
        return out.print_json(&json!({
            "kind": p.kind, "tx_id": id, "included_at": height, "file": file, "held": file.is_some(),
            "prove_seconds": prove_s, "balance": p.new_note.balance, "pension": p.new_note.pension,
            "heir": field::to_hex(&p.new_note.heir),
            "matched": matched, "attestation": attestation,
        }));
    }
    match (file, height) {
        (Some(f), _) => crate::outln!(
            "{} transaction {id} written to {} and held: submit it with `zkpension submit {}`",
            p.kind,
            f.display(),
            f.display()
        ),
        (None, Some(h)) => crate::outln!(
            "{} {id} included at height {h} (proved in {prove_s:.2} s)",
            p.kind
        ),
        (None, None) => crate::outln!("{} {id} submitted (proved in {prove_s:.2} s)", p.kind),
    }
    if matched > 0 {
        crate::outln!("matched {} from the subsidy pool", money(matched));
    }
    crate::outln!(
        "balance {} then (pension {})",
        money(p.new_note.balance),
        money(p.new_note.pension)
    );
    match p.new_note.heir {
        h if h == Fr::from(0u64) => crate::outln!("heir     none named"),
        h => crate::outln!("heir     {}", field::to_hex(&h)),
    }
    if let Some(a) = attestation {
        crate::outln!("context id {}", a["context"].as_str().unwrap_or_default());
        crate::outln!("tag        {}", a["tag"].as_str().unwrap_or_default());
        crate::outln!("look-up    {}", a["url"].as_str().unwrap_or_default());
    }
    Ok(())
}

pub fn contribute(a: ContributeArgs, out: &Output) -> anyhow::Result<()> {
    let amount = a.amount.or(a.cents).unwrap_or_default();
    if amount == 0 {
        return Err(Usage("the amount must be at least 0.01".into()).into());
    }
    let action = Action::Contribute {
        amount,
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

/// Submits `tx` and, unless `no_wait`, waits for its block (its height).
pub fn submit_and_wait(
    client: &NodeClient,
    tx: &Transaction,
    no_wait: bool,
) -> anyhow::Result<Option<u64>> {
    let err = |e| flow_err(FlowError::from(e));
    client.submit(tx).map_err(err)?;
    if no_wait {
        return Ok(None);
    }
    Ok(Some(client.wait_included(&tx.id(), WAIT).map_err(err)?))
}

/// Submit a transaction file (written with `--out`) to a node.
#[derive(clap::Args, Debug)]
#[command(after_help = "\
A transaction written with `--out FILE` is held by its wallet: no sync
submits it. This command releases it in the wallet (when the wallet made it)
and submits it.

Example:
  zkpension contribute --amount 250.00 --out tx.hex
  zkpension submit tx.hex --node http://node:8080")]
pub struct SubmitArgs {
    /// The transaction file (hex of the canonical encoding)
    file: PathBuf,
    #[command(flatten)]
    wallet: WalletArg,
    #[command(flatten)]
    node: NodeArg,
    /// Return once submitted instead of waiting for the block
    #[arg(long)]
    no_wait: bool,
}

pub fn submit(a: SubmitArgs, out: &Output) -> anyhow::Result<()> {
    let text = std::fs::read_to_string(&a.file)
        .with_context(|| format!("cannot read {}", a.file.display()))?;
    let bytes = hex::decode(text.trim().trim_start_matches("0x")).map_err(|e| {
        Rejected(format!(
            "{} is not a transaction file (hex of a transaction's encoding): {e}",
            a.file.display()
        ))
    })?;
    let tx = Transaction::decode(&bytes)
        .map_err(|e| Rejected(format!("{} is not a transaction: {e}", a.file.display())))?;
    let id = tx.id();
    let client = a.node.client()?;
    // The wallet that made it (if this is that wallet) stops holding it.
    let mut session: Option<MemberSession> = None;
    if a.wallet.path().exists() {
        let mut s = a.wallet.open(out, client.clone())?;
        s.release(&id).map_err(flow_err)?;
        session = Some(s);
    }
    let height = submit_and_wait(&client, &tx, a.no_wait)?;
    if let Some(s) = session.as_mut() {
        s.sync().map_err(flow_err)?;
    }
    let id_hex = zkpension_core::hexbytes::encode_hex(&id.0);
    if out.json {
        return out.print_json(
            &json!({"kind": tx.kind().to_string(), "tx_id": id_hex, "included_at": height}),
        );
    }
    match height {
        Some(h) => crate::outln!("{} {id_hex} included at height {h}", tx.kind()),
        None => crate::outln!("{} {id_hex} submitted", tx.kind()),
    }
    Ok(())
}
