//! Reading the chain as a third party: `zkpension tx export` (a proof file of
//! an included transaction, for `verify` and `export-snarkjs`) and
//! `zkpension check-attestation` (what a relying party runs).

use crate::args::KeysArg;
use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use zkpension_circuits::binding::context_from_text;
use zkpension_circuits::values::{AttestTag, ContextId};
use zkpension_core::views::{AttestationRecord, TxState};
use zkpension_core::{format_amount as money, parse_amount, Params, Transaction, TxId};
use zkpension_prover::member::NodeClient;
use zkpension_verifier::{Proof, ProofFile, VerifierKeys};

/// Transactions on the chain.
#[derive(clap::Subcommand, Debug)]
pub enum TxCommand {
    Export(ExportArgs),
}

/// Write the proof file of an included transaction.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Write the proof file (statement, proof, public inputs) of a transaction the
chain included, for `zkpension verify` and `zkpension export-snarkjs`. The
public inputs are rebuilt from the transaction's public fields and the
parameters in force; the file is written only if the proof verifies against
the local verifying keys.

Example:
  zkpension tx export 0x3f... --node http://node:8080 --out proof.json
  zkpension verify proof.json")]
pub struct ExportArgs {
    /// The transaction id (0x + 64 hex digits)
    id: String,
    #[command(flatten)]
    node: NodeArg,
    #[command(flatten)]
    keys: KeysArg,
    /// Output file [default: stdout]
    #[arg(long, value_name = "FILE")]
    out: Option<PathBuf>,
}

/// The transaction at `height`, `index`, checked to have id `id`.
fn included_tx(
    client: &NodeClient,
    id: &TxId,
    height: u64,
    index: u32,
) -> anyhow::Result<Transaction> {
    let block = client.block(height)?;
    let view = block
        .transactions
        .into_iter()
        .nth(index as usize)
        .filter(|t| t.id == *id && t.tx.id() == *id)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "block {height} of {} has no transaction {} at position {index}",
                client.url(),
                zkpension_core::hexbytes::encode_hex(&id.0)
            )
        })?;
    Ok(view.tx)
}

/// The proof file of `tx`: its public inputs under the first of the
/// parameter sets that makes its proof verify (the node checked it under
/// the parameters in force at its epoch).
fn proof_file(
    tx: &Transaction,
    chain: &zkpension_circuits::binding::ChainId,
    candidates: &[Params],
    dormancy: u64,
    keys: &VerifierKeys,
) -> anyhow::Result<ProofFile> {
    let proof_bytes = tx.proof().ok_or_else(|| {
        Rejected(format!(
            "a {} transaction is signed, it has no proof",
            tx.kind()
        ))
    })?;
    let proof = Proof::from_bytes(&proof_bytes.0)
        .map_err(|e| Rejected(format!("the transaction's proof does not decode: {e}")))?;
    for params in candidates {
        if let Some((statement, public_inputs)) = tx.public_inputs(chain, params, dormancy) {
            if keys.get(statement).verify(&proof, &public_inputs).is_ok() {
                return Ok(ProofFile {
                    statement,
                    proof,
                    public_inputs,
                });
            }
        }
    }
    Err(Rejected(
        "the proof verifies under none of the genesis, current or pending parameters with the \
         local verifying keys: are these the chain's keys (`zkpension keys fetch`)?"
            .into(),
    )
    .into())
}

pub fn tx(cmd: TxCommand, out: &Output) -> anyhow::Result<()> {
    let TxCommand::Export(a) = cmd;
    let id: TxId = a.id.trim().parse().map_err(|e| {
        Usage(format!(
            "{:?} is not a transaction id (0x + 64 hex digits): {e}",
            a.id
        ))
    })?;
    let client = a.node.client()?;
    let keys = VerifierKeys::load_dir(&a.keys.resolve()?).context("loading the verifying keys")?;
    let (height, index) = match client.tx(&id)?.state {
        TxState::Included { height, index } => (height, index),
        TxState::Pending => {
            return Err(Rejected(format!(
                "{} is still pending: export it once it is included",
                a.id
            ))
            .into())
        }
        TxState::Rejected { reason } => {
            return Err(Rejected(format!("{} was rejected: {}", a.id, reason.message)).into())
        }
    };
    let tx = included_tx(&client, &id, height, index)?;
    let status = client.status()?;
    let genesis = client.genesis()?.genesis;
    let mut candidates = vec![status.params];
    candidates.extend(status.pending_params.map(|p| p.params));
    candidates.push(genesis.params.params());
    let dormancy = genesis.dormancy.unwrap_or(0);
    let file = proof_file(&tx, &status.chain_id, &candidates, dormancy, &keys)?;
    let text = serde_json::to_string_pretty(&file)? + "\n";
    match &a.out {
        Some(path) => {
            std::fs::write(path, &text).with_context(|| format!("writing {}", path.display()))?;
            if out.json {
                return out.print_json(
                    &json!({"file": path, "statement": file.statement, "height": height}),
                );
            }
            crate::outln!(
                "{} proof of {} (height {height}) written to {}",
                file.statement,
                a.id,
                path.display()
            );
        }
        None => crate::outln!("{}", text.trim_end()),
    }
    Ok(())
}

/// Check a member's attestation, as a relying party.
#[derive(clap::Args, Debug)]
#[command(long_about = "\
Look up attestations under a context on the chain and check one meets what
you ask: at least --min-balance and --min-periods, eligibility if
--require-eligible, and your --message (challenge). With --tag, only the
attestation under that pseudonym counts. The attestation's proof is checked
again here with the local verifying keys when there are any.

Exit codes: 0 an attestation meets every requirement; 1 none does (the
message says what is missing); 2 bad command line; 3 the node cannot be read.

Example:
  zkpension check-attestation --node http://node:8080 --context 'landlord:flat-12' \\
      --tag 0x1c2d... --min-balance 1000.00 --message 'challenge 7f3a'")]
pub struct CheckAttestationArgs {
    #[command(flatten)]
    node: NodeArg,
    #[command(flatten)]
    keys: KeysArg,
    /// The context as text (e.g. landlord:flat-12), or its id (0x + 64 hex digits)
    #[arg(long)]
    context: String,
    /// The member's tag (pseudonym) under this context, as `attest` printed it
    #[arg(long)]
    tag: Option<String>,
    /// Required balance at least (currency units)
    #[arg(long, value_parser = parse_amount, default_value = "0")]
    min_balance: u64,
    /// Required contributing epochs at least
    #[arg(long, default_value_t = 0)]
    min_periods: u64,
    /// Require that the member had reached their eligible epoch
    #[arg(long)]
    require_eligible: bool,
    /// The message (challenge) the attestation must carry
    #[arg(long)]
    message: Option<String>,
}

impl CheckAttestationArgs {
    /// Why `r` does not meet the requirements, if it does not.
    fn shortfall(&self, r: &AttestationRecord) -> Option<String> {
        if r.min_balance < self.min_balance {
            return Some(format!(
                "it proves a balance of at least {}, you ask for {}",
                money(r.min_balance),
                money(self.min_balance)
            ));
        }
        if r.min_periods < self.min_periods {
            return Some(format!(
                "it proves {} contributing epochs, you ask for {}",
                r.min_periods, self.min_periods
            ));
        }
        if self.require_eligible && !r.require_eligible {
            return Some("it does not prove eligibility".into());
        }
        match &self.message {
            Some(m) if r.message.as_slice() != m.as_bytes() => Some(format!(
                "it carries the message {:?}, not {m:?}",
                String::from_utf8_lossy(r.message.as_slice())
            )),
            _ => None,
        }
    }
}

pub fn check_attestation(a: CheckAttestationArgs, out: &Output) -> anyhow::Result<()> {
    let client = a.node.client()?;
    let context = match ContextId::from_hex(&a.context) {
        Ok(id) if a.context.starts_with("0x") => id,
        _ => context_from_text(&a.context),
    };
    let records: Vec<AttestationRecord> = match &a.tag {
        Some(t) => {
            let tag = AttestTag::from_hex(t).map_err(|e| {
                Usage(format!(
                    "--tag {t:?} is not a tag (0x + 64 hex digits): {e}"
                ))
            })?;
            match client.attestation(&context, &tag) {
                Ok(r) => vec![r],
                Err(zkpension_prover::member::ClientError::Refused { status: 404, .. }) => vec![],
                Err(e) => return Err(e.into()),
            }
        }
        None => client.attestations(&context)?.attestations,
    };
    if records.is_empty() {
        return Err(Rejected(format!(
            "no attestation under context {:?} ({context}){}",
            a.context,
            a.tag
                .as_ref()
                .map_or(String::new(), |t| format!(" with tag {t}"))
        ))
        .into());
    }
    let Some(record) = records.iter().find(|r| a.shortfall(r).is_none()) else {
        let why = a.shortfall(&records[0]).unwrap_or_default();
        return Err(Rejected(format!(
            "{} attestation(s) under {:?}, none meets what you ask: {why}",
            records.len(),
            a.context
        ))
        .into());
    };
    // The node checked the proof; check it again when there are keys here.
    let rechecked = match a.keys.resolve() {
        Ok(dir) => {
            let keys = VerifierKeys::load_dir(&dir).context("loading the verifying keys")?;
            let tx = included_tx(&client, &record.tx_id, record.height, record.index)?;
            let status = client.status()?;
            // An attestation's inputs need no dormancy.
            proof_file(&tx, &status.chain_id, &[status.params], 0, &keys)?;
            true
        }
        Err(_) => {
            out.note("note: no local keys, so the proof was not checked again here (`zkpension keys fetch`)");
            false
        }
    };
    if out.json {
        return out.print_json(
            &json!({"valid": true, "attestation": record, "proof_rechecked": rechecked}),
        );
    }
    crate::outln!(
        "valid attestation under {:?}: tag {}, epoch {}, balance at least {}, at least {} contributing epochs{}, message {:?}; included at height {}{}",
        a.context,
        record.tag,
        record.epoch,
        money(record.min_balance),
        record.min_periods,
        if record.require_eligible { ", eligible" } else { "" },
        String::from_utf8_lossy(record.message.as_slice()),
        record.height,
        if rechecked { "; proof checked again here" } else { "" }
    );
    Ok(())
}
