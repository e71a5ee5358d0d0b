//! The registrar's and the authority's commands, signed with Ed25519 keys
//! kept in key files (`zkpension_core::keyfile`: JSON with the role, the
//! public key and the secret key, mode 0600).

use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use crate::threshold::{confirm, submit};
use anyhow::Context;
use ed25519_dalek::SigningKey;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zkpension_circuits::binding::ChainId;
use zkpension_core::format_amount as money;
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::keyfile::{KeyFileError, Role, RoleKey};
use zkpension_core::tx::{
    AdvanceEpoch, AdvanceEpochBody, CancelParams, CancelParamsBody, SetParams, SetParamsBody,
};
use zkpension_core::{Params, Transaction};
use zkpension_prover::member::flow::EnrollRequest;
use zkpension_prover::member::NodeClient;
use zkpension_prover::roles;

/// How a threshold key signs, for the `after_help` of each signed command.
macro_rules! threshold_help {
    () => {
        "\
With a threshold key (t-of-n trustees, `zkpension authority dkg`), give
--unsigned-out FILE instead of --key: the command writes the unsigned
transaction, the trustees sign it (`zkpension authority sign commit`,
`package`, `share`, `aggregate --submit`), and the node receives a plain
Ed25519 signature of the group key."
    };
}

/// Writes a new key file of `role` (mode 0600, never overwrites) and returns
/// its public key.
pub fn keygen(path: &Path, role: Role) -> anyhow::Result<String> {
    let key = RoleKey::generate(role);
    zkpension_prover::fsutil::create_new_atomic(path, key.to_json().as_bytes(), 0o600)
        .with_context(|| {
            format!(
                "creating {} (an existing key is never overwritten)",
                path.display()
            )
        })?;
    Ok(key.public_key().to_hex())
}

/// Reads a key file of `role`; a file of another role or format is a usage
/// error (exit code 2).
pub fn load_key(path: &Path, role: Role) -> anyhow::Result<SigningKey> {
    match RoleKey::load(path, role) {
        Ok(k) => Ok(k.key),
        Err(e @ KeyFileError::Read { .. }) => Err(e.into()),
        Err(e) => Err(Usage(e.to_string()).into()),
    }
}

/// Registrar commands.
#[derive(clap::Subcommand, Debug)]
pub enum RegistrarCommand {
    /// Create a registrar key file; prints the public key for the genesis.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of a registrar key file (for `zkpension-node init --registrar`).
    Pubkey {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// A threshold (t-of-n) registrar key: create it without a dealer.
    #[command(subcommand)]
    Dkg(crate::threshold::DkgCommand),
    /// A threshold (t-of-n) registrar key: sign an enrollment together.
    #[command(subcommand)]
    Sign(crate::threshold::SignCommand),
    /// Check a member's enrollment request and sign its commitment.
    #[command(after_help = "\
Checks that the request is for this chain, that its commitment opens to the
note given, and that the note is a fresh account; shows what it signs (the
eligible epoch above all: the member picks it, the registrar vouches for it)
and asks on a terminal; then submits the signed Enroll transaction (or
writes it with --out). Without a terminal, --expect-eligible-epoch (the
epoch the registrar computed from the member's documents) or --yes is
required.

Example:
  zkpension registrar approve --request alice.enroll.json --key registrar.key --expect-eligible-epoch 40")]
    Approve {
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
        /// Registrar key file (a single-key registrar)
        #[arg(long, value_name = "FILE", required_unless_present = "unsigned_out")]
        key: Option<PathBuf>,
        /// A threshold registrar: write the checked, unsigned enrollment here
        /// for the trustees (`zkpension registrar sign ...`)
        #[arg(long, value_name = "FILE", conflicts_with_all = ["key", "out"])]
        unsigned_out: Option<PathBuf>,
        /// The eligible epoch the registrar computed from the member's documents
        #[arg(long, value_name = "EPOCH")]
        expect_eligible_epoch: Option<u64>,
        #[command(flatten)]
        node: NodeArg,
        /// Write the transaction (hex) to FILE instead of submitting it
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Chain name, when writing to a file without a node
        #[arg(long, value_name = "NAME")]
        chain: Option<String>,
        /// Sign without asking
        #[arg(long)]
        yes: bool,
    },
}

/// Authority commands.
#[derive(clap::Subcommand, Debug)]
pub enum AuthorityCommand {
    /// Create an authority key file; prints the public key for the genesis.
    Keygen {
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
    },
    /// Print the public key of an authority key file (for `zkpension-node init --authority`).
    Pubkey {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
    },
    /// Move the ledger to the next epoch (or to --to EPOCH).
    #[command(after_help = threshold_help!())]
    AdvanceEpoch {
        #[command(flatten)]
        sign: SignWith,
        #[arg(long, value_name = "EPOCH")]
        to: Option<u64>,
        #[command(flatten)]
        node: NodeArg,
    },
    /// Schedule a change of cap, min_periods and divisor (after the genesis's delay).
    #[command(after_help = concat!("\
The genesis fixes bounds for each parameter, the largest change per step
and a delay (`zkpension governance` shows them); the node refuses a change
outside them (param_out_of_bounds, param_step_too_large, delay_too_short).
The change takes effect at --effective-epoch, by default the earliest the
delay allows; until then it is pending, visible to every member, and the
authority can withdraw it (`zkpension authority cancel-params`). A later
set-params replaces a pending change.

Example:
  zkpension authority set-params --key authority.key --cap 1100.00 --min-periods 4 --divisor 240
", threshold_help!()))]
    SetParams {
        #[command(flatten)]
        sign: SignWith,
        /// Largest contribution per account per epoch, in currency units (e.g. 1000.00)
        #[arg(long, value_parser = positive_amount)]
        cap: u64,
        /// Contributing epochs needed before the first claim
        #[arg(long)]
        min_periods: u64,
        /// The first pension is the balance divided by this, per epoch (at least 1)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        divisor: u64,
        /// First epoch the parameters hold [default: the current epoch + the genesis's min_delay]
        #[arg(long, value_name = "EPOCH")]
        effective_epoch: Option<u64>,
        #[command(flatten)]
        node: NodeArg,
    },
    /// Withdraw the pending parameter change before it takes effect.
    #[command(after_help = concat!("\
Example:
  zkpension authority cancel-params --key authority.key
", threshold_help!()))]
    CancelParams {
        #[command(flatten)]
        sign: SignWith,
        #[command(flatten)]
        node: NodeArg,
    },
    /// A threshold (t-of-n) authority key: create it without a dealer.
    #[command(subcommand)]
    Dkg(crate::threshold::DkgCommand),
    /// A threshold (t-of-n) authority key: sign a transaction together.
    #[command(subcommand)]
    Sign(crate::threshold::SignCommand),
}

/// Who signs: a single key file here, or a threshold group later.
#[derive(clap::Args, Debug)]
#[group(required = true, multiple = false)]
pub struct SignWith {
    /// Key file of a single-key (1-of-1) authority
    #[arg(long, value_name = "FILE")]
    key: Option<PathBuf>,
    /// Write the unsigned transaction here for a threshold group to sign
    #[arg(long, value_name = "FILE")]
    unsigned_out: Option<PathBuf>,
}

impl SignWith {
    /// Signs `tx` with the key file and submits it (returning its height),
    /// or writes it unsigned for the trustees (returning `None`).
    fn finish(
        self,
        tx: Transaction,
        chain_id: &ChainId,
        summary: &str,
        client: &NodeClient,
        out: &Output,
    ) -> anyhow::Result<Option<u64>> {
        let what = tx.kind().name().replace('_', "-");
        if let Some(file) = self.unsigned_out {
            let doc = crate::threshold::UnsignedTx::new(Role::Authority, chain_id, tx, summary);
            doc.write(&file)?;
            if out.json {
                out.print_json(&json!({"kind": what, "unsigned": file, "tx_id": doc.tx.id(), "summary": summary}))?;
            } else {
                crate::outln!(
                    "unsigned {what} written to {}: the trustees sign it with `zkpension authority sign commit`",
                    file.display()
                );
            }
            return Ok(None);
        }
        let key = load_key(
            &self.key.expect("clap requires --key or --unsigned-out"),
            Role::Authority,
        )?;
        let message = tx
            .signed_message(chain_id)
            .expect("an authority transaction is signed");
        let signature = ed25519_dalek::Signer::sign(&key, &message).to_bytes();
        let tx = tx
            .with_signature(signature)
            .expect("an authority transaction is signed");
        Ok(Some(submit(client, &tx, &what)?))
    }
}

/// An amount of at least 0.01, in currency units.
pub(crate) fn positive_amount(s: &str) -> Result<u64, String> {
    match zkpension_core::parse_amount(s) {
        Ok(0) => Err("must be at least 0.01".into()),
        Ok(v) => Ok(v),
        Err(e) => Err(e.to_string()),
    }
}

/// Parameters in the fund's terms.
fn params_text(p: &Params) -> String {
    format!(
        "cap {} per epoch, vesting {} contributing epochs, divisor {}",
        money(p.cap),
        p.min_periods,
        p.divisor
    )
}

pub fn registrar(cmd: RegistrarCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        RegistrarCommand::Keygen { out: file } => {
            print_key(out, &keygen(&file, Role::Registrar)?, &file)
        }
        RegistrarCommand::Pubkey { key } => print_pubkey(out, &key, Role::Registrar),
        RegistrarCommand::Dkg(cmd) => crate::threshold::dkg(cmd, Role::Registrar, out),
        RegistrarCommand::Sign(cmd) => crate::threshold::sign(cmd, Role::Registrar, out),
        RegistrarCommand::Approve {
            request,
            key,
            unsigned_out,
            expect_eligible_epoch,
            node,
            out: file,
            chain,
            yes,
        } => {
            let req: EnrollRequest = serde_json::from_slice(
                &std::fs::read(&request)
                    .with_context(|| format!("reading {}", request.display()))?,
            )
            .map_err(|e| {
                Rejected(format!(
                    "{} is not an enrollment request: {e}",
                    request.display()
                ))
            })?;
            let key = key.map(|k| load_key(&k, Role::Registrar)).transpose()?;
            let client = node.client()?;
            let chain_id = match &chain {
                Some(name) => ChainId::from_name(name),
                None => client.status()?.chain_id,
            };
            roles::check_request(&req, &chain_id, expect_eligible_epoch)
                .map_err(|e| Rejected(e.to_string()))?;
            let summary = format!(
                "approving an account with eligible epoch {} (payouts may start then), \
                 commitment {}, chain {}",
                req.note.eligible_epoch,
                req.cm.to_hex(),
                encode_hex(&chain_id.0)
            );
            out.note(&summary);
            if !yes && expect_eligible_epoch.is_none() {
                if !std::io::stdin().is_terminal() {
                    return Err(Usage(format!(
                        "not on a terminal, so nobody can confirm eligible epoch {}: give \
                         --expect-eligible-epoch EPOCH (from the member's documents) or --yes",
                        req.note.eligible_epoch
                    ))
                    .into());
                }
                if !confirm("sign this enrollment?")? {
                    return Err(Rejected("not signed".into()).into());
                }
            }
            let Some(key) = key else {
                let file = unsigned_out.expect("clap requires --key or --unsigned-out");
                let tx = zkpension_core::tx::Enroll::unsigned(zkpension_core::tx::EnrollBody {
                    cm: req.cm,
                });
                let doc = crate::threshold::UnsignedTx::new(
                    Role::Registrar,
                    &chain_id,
                    tx.into(),
                    &summary,
                );
                doc.write(&file)?;
                if out.json {
                    return out.print_json(&json!({"kind": "enroll", "unsigned": file, "tx_id": doc.tx.id(), "eligible_epoch": req.note.eligible_epoch}));
                }
                crate::outln!(
                    "unsigned enrollment written to {}: the trustees sign it with `zkpension registrar sign commit`",
                    file.display()
                );
                return Ok(());
            };
            let tx: zkpension_core::Transaction =
                zkpension_core::tx::Enroll::sign(&chain_id, req.cm, &key).into();
            let id = encode_hex(&tx.id().0);
            if let Some(file) = file {
                std::fs::write(&file, hex::encode(tx.encode()))
                    .with_context(|| format!("writing {}", file.display()))?;
                if out.json {
                    return out.print_json(&json!({"kind": "enroll", "tx_id": id, "file": file, "eligible_epoch": req.note.eligible_epoch}));
                }
                crate::outln!("enroll transaction {id} written to {}", file.display());
                return Ok(());
            }
            let height = submit(&client, &tx, "enroll")?;
            if out.json {
                return out.print_json(&json!({"kind": "enroll", "tx_id": id, "included_at": height, "eligible_epoch": req.note.eligible_epoch}));
            }
            crate::outln!(
                "enroll {id} included at height {height}: account with eligible epoch {}",
                req.note.eligible_epoch
            );
            Ok(())
        }
    }
}

pub(crate) fn print_key(out: &Output, public: &str, file: &Path) -> anyhow::Result<()> {
    if out.json {
        out.print_json(&json!({"public_key": public, "key_file": file}))
    } else {
        crate::outln!("wrote {} (mode 600); public key {public}", file.display());
        Ok(())
    }
}

pub(crate) fn print_pubkey(out: &Output, file: &Path, role: Role) -> anyhow::Result<()> {
    let public = encode_hex(load_key(file, role)?.verifying_key().as_bytes());
    if out.json {
        out.print_json(&json!({"public_key": public, "kind": role.to_string(), "key_file": file}))
    } else {
        crate::outln!("{public}");
        Ok(())
    }
}

pub fn authority(cmd: AuthorityCommand, out: &Output) -> anyhow::Result<()> {
    match cmd {
        AuthorityCommand::Keygen { out: file } => {
            print_key(out, &keygen(&file, Role::Authority)?, &file)
        }
        AuthorityCommand::Pubkey { key } => print_pubkey(out, &key, Role::Authority),
        AuthorityCommand::AdvanceEpoch { sign, to, node } => {
            let client = node.client()?;
            let s = client.status()?;
            let epoch = to.unwrap_or(s.epoch + 1);
            if epoch <= s.epoch {
                return Err(Usage(format!(
                    "the ledger is at epoch {} already: --to must be later",
                    s.epoch
                ))
                .into());
            }
            let summary = format!("advance the epoch from {} to {epoch}", s.epoch);
            out.note(&summary);
            let tx = AdvanceEpoch::unsigned(AdvanceEpochBody {
                epoch,
                nonce: s.authority_nonce,
            });
            let Some(height) = sign.finish(tx.into(), &s.chain_id, &summary, &client, out)? else {
                return Ok(());
            };
            let after = client.status()?;
            if out.json {
                return out.print_json(&json!({
                    "kind": "advance-epoch", "included_at": height,
                    "epoch_before": s.epoch, "epoch_after": after.epoch, "params": after.params,
                }));
            }
            crate::outln!(
                "epoch {} -> {} (included at height {height}); in force: {}",
                s.epoch,
                after.epoch,
                params_text(&after.params)
            );
            Ok(())
        }
        AuthorityCommand::SetParams {
            sign,
            cap,
            min_periods,
            divisor,
            effective_epoch,
            node,
        } => {
            let client = node.client()?;
            let s = client.status()?;
            let g = client.governance()?;
            let params = Params {
                cap,
                min_periods,
                divisor,
            };
            params.validate().map_err(|e| Usage(e.to_string()))?;
            let earliest = s.epoch + g.min_delay;
            let effective_epoch = effective_epoch.unwrap_or(earliest);
            // The node's own check, first here, with the same words.
            let rules = zkpension_core::Governance {
                min_delay: g.min_delay,
                bounds: g.bounds,
                authority_group: zkpension_core::governance::SignerGroup::SINGLE,
                registrar_group: zkpension_core::governance::SignerGroup::SINGLE,
            };
            rules
                .check_change(s.epoch, &s.params, &params, effective_epoch)
                .map_err(|e| {
                    Rejected(format!(
                        "the node would refuse this change ({}): {e}; `zkpension governance` shows the bounds",
                        e.code()
                    ))
                })?;
            let summary = format!(
                "schedule {} from epoch {effective_epoch} (now epoch {}: {}){}",
                params_text(&params),
                s.epoch,
                params_text(&s.params),
                match &s.pending_params {
                    Some(p) => format!(
                        "; replaces the change pending for epoch {}",
                        p.effective_epoch
                    ),
                    None => String::new(),
                }
            );
            out.note(&summary);
            let tx = SetParams::unsigned(SetParamsBody {
                params,
                effective_epoch,
                nonce: s.authority_nonce,
            });
            let Some(height) = sign.finish(tx.into(), &s.chain_id, &summary, &client, out)? else {
                return Ok(());
            };
            let after = client.status()?;
            if out.json {
                return out.print_json(&json!({
                    "kind": "set-params", "included_at": height,
                    "before": s.params, "pending": after.pending_params, "in_force": after.params,
                    "epoch": after.epoch,
                }));
            }
            crate::outln!(
                "set-params included at height {height}: {} in force now (epoch {}); {} from epoch {effective_epoch}",
                params_text(&after.params),
                after.epoch,
                params_text(&params),
            );
            Ok(())
        }
        AuthorityCommand::CancelParams { sign, node } => {
            let client = node.client()?;
            let s = client.status()?;
            let Some(pending) = s.pending_params else {
                return Err(Rejected(
                    "no parameter change is pending: there is nothing to cancel".into(),
                )
                .into());
            };
            let summary = format!(
                "withdraw the change pending for epoch {}: {}",
                pending.effective_epoch,
                params_text(&pending.params)
            );
            out.note(&summary);
            let tx = CancelParams::unsigned(CancelParamsBody {
                nonce: s.authority_nonce,
            });
            let Some(height) = sign.finish(tx.into(), &s.chain_id, &summary, &client, out)? else {
                return Ok(());
            };
            if out.json {
                return out.print_json(&json!({
                    "kind": "cancel-params", "included_at": height, "withdrawn": pending,
                }));
            }
            crate::outln!(
                "cancel-params included at height {height}: the change due at epoch {} is withdrawn",
                pending.effective_epoch
            );
            Ok(())
        }
        AuthorityCommand::Dkg(cmd) => crate::threshold::dkg(cmd, Role::Authority, out),
        AuthorityCommand::Sign(cmd) => crate::threshold::sign(cmd, Role::Authority, out),
    }
}
