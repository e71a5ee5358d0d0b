//! The registrar's and the authority's commands, signed with Ed25519 keys
//! kept in key files (`zkpension_core::keyfile`: JSON with the role, the
//! public key and the secret key, mode 0600).

use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use ed25519_dalek::SigningKey;
use serde_json::json;
use std::path::{Path, PathBuf};
use zkpension_circuits::binding::ChainId;
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
note given, and that the note is a fresh account; then submits the signed
Enroll transaction (or writes it with --out).

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
    SetParams {
        #[arg(long, value_name = "FILE")]
        key: PathBuf,
        #[arg(long)]
        cap: u64,
        #[arg(long)]
        min_periods: u64,
        #[arg(long)]
        divisor: u64,
        #[command(flatten)]
        node: NodeArg,
    },
}

fn submit(
    client: &NodeClient,
    tx: &zkpension_core::Transaction,
    out: &Output,
    what: &str,
) -> anyhow::Result<()> {
    let id = tx.id();
    let refused = |e: zkpension_prover::member::ClientError| match e {
        zkpension_prover::member::ClientError::Rejected { id, reason } => anyhow::Error::from(
            Rejected(format!("the node rejected {what} {id}: {}", reason.message)),
        ),
        e => e.into(),
    };
    client.submit(tx).map_err(refused)?;
    let height = client
        .wait_included(&id, std::time::Duration::from_secs(60))
        .map_err(refused)?;
    if out.json {
        out.print_json(&json!({"kind": what, "tx_id": encode_hex(&id.0), "included_at": height}))
    } else {
        crate::outln!("{what} {} included at height {height}", encode_hex(&id.0));
        Ok(())
    }
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
            let client = node.client();
            let chain_id = match &chain {
                Some(name) => ChainId::from_name(name),
                None => client.status()?.chain_id,
            };
            let tx = roles::approve(&req, &chain_id, &key, expect_eligible_epoch)
                .map_err(|e| Rejected(e.to_string()))?;
            let tx: zkpension_core::Transaction = tx.into();
            if let Some(file) = file {
                std::fs::write(&file, hex::encode(tx.encode()))?;
                crate::outln!("enroll transaction written to {}", file.display());
                return Ok(());
            }
            submit(&client, &tx, out, "enroll")
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
            let client = node.client();
            let s = client.status()?;
            let epoch = to.unwrap_or(s.epoch + 1);
            let tx = roles::advance_epoch(&s.chain_id, epoch, s.authority_nonce, &key);
            submit(&client, &tx, out, "advance-epoch")
        }
        AuthorityCommand::SetParams {
            key,
            cap,
            min_periods,
            divisor,
            node,
        } => {
            let key = load_key(&key, Role::Authority)?;
            let client = node.client();
            let s = client.status()?;
            let params = Params {
                cap,
                min_periods,
                divisor,
            };
            let tx = roles::set_params(&s.chain_id, params, s.authority_nonce, &key);
            submit(&client, &tx, out, "set-params")
        }
    }
}
