//! The registrar's and the authority's commands, signed with Ed25519 keys
//! kept in key files (`zkpension_core::keyfile`: JSON with the role, the
//! public key and the secret key, mode 0600).

use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use ed25519_dalek::SigningKey;
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zkpension_circuits::binding::ChainId;
use zkpension_core::format_amount as money;
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::keyfile::{KeyFileError, Role, RoleKey};
use zkpension_core::Params;
use zkpension_prover::member::flow::EnrollRequest;
use zkpension_prover::member::NodeClient;
use zkpension_prover::roles;

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
        /// Registrar key file
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
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
    AdvanceEpoch {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long, value_name = "EPOCH")]
        to: Option<u64>,
        #[command(flatten)]
        node: NodeArg,
    },
    /// Change cap, min_periods and divisor (effective from the next epoch).
    #[command(
        after_help = "Example:\n  zkpension authority set-params --key authority.key --cap 1500.00 --min-periods 4 --divisor 240"
    )]
    SetParams {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        /// Largest contribution per account per epoch, in currency units (e.g. 1000.00)
        #[arg(long, value_parser = positive_amount)]
        cap: u64,
        /// Contributing epochs needed before the first claim
        #[arg(long)]
        min_periods: u64,
        /// The first pension is the balance divided by this, per epoch (at least 1)
        #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
        divisor: u64,
        #[command(flatten)]
        node: NodeArg,
    },
}

/// An amount of at least 0.01, in currency units.
fn positive_amount(s: &str) -> Result<u64, String> {
    match zkpension_core::parse_amount(s) {
        Ok(0) => Err("must be at least 0.01".into()),
        Ok(v) => Ok(v),
        Err(e) => Err(e.to_string()),
    }
}

/// Asks `question` on the terminal; `false` unless the answer is yes.
fn confirm(question: &str) -> anyhow::Result<bool> {
    use std::io::Write;
    eprint!("{question} [y/N] ");
    std::io::stderr().flush()?;
    let mut line = String::new();
    std::io::stdin().read_line(&mut line)?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes" | "YES" | "Yes"))
}

/// Submits `tx`, waits for its block and returns the height.
fn submit(
    client: &NodeClient,
    tx: &zkpension_core::Transaction,
    what: &str,
) -> anyhow::Result<u64> {
    let id = tx.id();
    let refused = |e: zkpension_prover::member::ClientError| match e {
        zkpension_prover::member::ClientError::Rejected { id, reason } => anyhow::Error::from(
            Rejected(format!("the node rejected {what} {id}: {}", reason.message)),
        ),
        e => e.into(),
    };
    client.submit(tx).map_err(refused)?;
    client
        .wait_included(&id, std::time::Duration::from_secs(60))
        .map_err(refused)
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
        RegistrarCommand::Approve {
            request,
            key,
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
            let key = load_key(&key, Role::Registrar)?;
            let client = node.client()?;
            let chain_id = match &chain {
                Some(name) => ChainId::from_name(name),
                None => client.status()?.chain_id,
            };
            let tx = roles::approve(&req, &chain_id, &key, expect_eligible_epoch)
                .map_err(|e| Rejected(e.to_string()))?;
            out.note(&format!(
                "approving an account with eligible epoch {} (payouts may start then), \
                 commitment {}, chain {}",
                req.note.eligible_epoch,
                req.cm.to_hex(),
                encode_hex(&chain_id.0)
            ));
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
            let tx: zkpension_core::Transaction = tx.into();
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

fn print_key(out: &Output, public: &str, file: &Path) -> anyhow::Result<()> {
    if out.json {
        out.print_json(&json!({"public_key": public, "key_file": file}))
    } else {
        crate::outln!("wrote {} (mode 600); public key {public}", file.display());
        Ok(())
    }
}

fn print_pubkey(out: &Output, file: &Path, role: Role) -> anyhow::Result<()> {
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
        AuthorityCommand::AdvanceEpoch { key, to, node } => {
            let key = load_key(&key, Role::Authority)?;
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
            out.note(&format!(
                "now epoch {}; advancing to epoch {epoch}",
                s.epoch
            ));
            let tx = roles::advance_epoch(&s.chain_id, epoch, s.authority_nonce, &key);
            let height = submit(&client, &tx, "advance-epoch")?;
            let after = client.status()?;
            if out.json {
                return out.print_json(&json!({
                    "kind": "advance-epoch", "tx_id": encode_hex(&tx.id().0), "included_at": height,
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
            key,
            cap,
            min_periods,
            divisor,
            node,
        } => {
            let key = load_key(&key, Role::Authority)?;
            let client = node.client()?;
            let s = client.status()?;
            let params = Params {
                cap,
                min_periods,
                divisor,
            };
            params.validate().map_err(|e| Usage(e.to_string()))?;
            out.note(&format!(
                "epoch {}: in force {}; setting {} from epoch {}",
                s.epoch,
                params_text(&s.params),
                params_text(&params),
                s.epoch + 1
            ));
            let tx = roles::set_params(&s.chain_id, params, s.authority_nonce, &key);
            let height = submit(&client, &tx, "set-params")?;
            let after = client.status()?;
            if out.json {
                return out.print_json(&json!({
                    "kind": "set-params", "tx_id": encode_hex(&tx.id().0), "included_at": height,
                    "before": s.params, "pending": after.pending_params, "in_force": after.params,
                    "epoch": after.epoch,
                }));
            }
            crate::outln!(
                "set-params included at height {height}: {} in force now (epoch {}), {} from epoch {}",
                params_text(&after.params),
                after.epoch,
                after
                    .pending_params
                    .as_ref()
                    .map_or_else(|| params_text(&after.params), params_text),
                after.epoch + 1
            );
            Ok(())
        }
    }
}
