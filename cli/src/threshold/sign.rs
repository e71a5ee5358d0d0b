//! `zkpension ROLE sign commit | package | share | aggregate`.

use super::{or_default, read_all, th, th_err, UnsignedTx};
use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use serde_json::json;
use std::io::IsTerminal;
use std::path::PathBuf;
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::keyfile::Role;

/// `sign`: t trustees sign a transaction together.
#[derive(clap::Subcommand, Debug)]
pub enum SignCommand {
    /// Round 1, by each signing trustee: fresh nonces (secret, single use) and a commitment.
    #[command(after_help = "\
Send the commitment file to the coordinator (any trustee, or anyone);
keep the nonces file: `sign share` uses it once and deletes it.

Example:
  zkpension authority sign commit --share authority-1.share.json")]
    Commit {
        /// This trustee's key share
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
        /// Commitment for the coordinator [default: ROLE-commit-INDEX.json]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Nonces to keep (secret, single use) [default: ROLE-INDEX.nonces.json]
        #[arg(long, value_name = "FILE")]
        nonces_out: Option<PathBuf>,
    },
    /// The coordinator: one signing package from t commitments and the unsigned transaction.
    #[command(after_help = "\
Example:
  zkpension authority sign package --group authority.group.json \\
      --tx change.unsigned.json --commitments authority-commit-1.json authority-commit-3.json")]
    Package {
        /// The group's public key file
        #[arg(long, value_name = "FILE")]
        group: PathBuf,
        /// The unsigned transaction (from a command's --unsigned-out)
        #[arg(long, value_name = "FILE")]
        tx: PathBuf,
        /// At least t commitment files, from distinct trustees
        #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
        commitments: Vec<PathBuf>,
        /// The package for the signers [default: ROLE-package.json]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Round 2, by each signing trustee: check what is signed, then a signature share.
    #[command(after_help = "\
Shows the transaction's summary and checks that the package signs exactly
that transaction on that chain; asks on a terminal (--yes skips the
question). The nonces file is deleted before the share is written, so it
can never sign twice.

Example:
  zkpension authority sign share --share authority-1.share.json \\
      --nonces authority-1.nonces.json --package authority-package.json --tx change.unsigned.json")]
    Share {
        /// This trustee's key share
        #[arg(long, value_name = "FILE")]
        share: PathBuf,
        /// This trustee's nonces from `sign commit`
        #[arg(long, value_name = "FILE")]
        nonces: PathBuf,
        /// The coordinator's signing package
        #[arg(long, value_name = "FILE")]
        package: PathBuf,
        /// The unsigned transaction the package is said to sign
        #[arg(long, value_name = "FILE")]
        tx: PathBuf,
        /// Signature share for the coordinator [default: ROLE-sigshare-INDEX.json]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Sign without asking
        #[arg(long)]
        yes: bool,
    },
    /// The coordinator: add the shares up, check the signature, submit (or write) the transaction.
    #[command(after_help = "\
Checks each share (a bad one is named), the Ed25519 signature against the
group key, and that the node's genesis names this group's key; then submits
the signed transaction and waits for its block (or writes it, hex, with --out).

Example:
  zkpension authority sign aggregate --group authority.group.json --package authority-package.json \\
      --tx change.unsigned.json --shares authority-sigshare-1.json authority-sigshare-3.json")]
    Aggregate {
        /// The group's public key file
        #[arg(long, value_name = "FILE")]
        group: PathBuf,
        /// The signing package
        #[arg(long, value_name = "FILE")]
        package: PathBuf,
        /// The unsigned transaction
        #[arg(long, value_name = "FILE")]
        tx: PathBuf,
        /// One share from every signer of the package
        #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
        shares: Vec<PathBuf>,
        /// Write the signed transaction (hex) here instead of submitting it
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        #[command(flatten)]
        node: NodeArg,
    },
}

pub fn sign(cmd: SignCommand, role: Role, out: &Output) -> anyhow::Result<()> {
    let label = role.to_string();
    match cmd {
        SignCommand::Commit {
            share,
            out: file,
            nonces_out,
        } => {
            let share: th::KeyShare = th::read_for(&share, &label).map_err(th_err)?;
            let index = share.index();
            let (nonces, commitment) = th::commit(&share, &mut rand_core::OsRng);
            let file = or_default(file, format!("{label}-commit-{index}.json"));
            let nonces_file = or_default(nonces_out, format!("{label}-{index}.nonces.json"));
            th::write_secret(&nonces_file, &nonces).map_err(th_err)?;
            th::write_public(&file, &commitment, false).map_err(th_err)?;
            if out.json {
                return out.print_json(&json!({"step": "commit", "label": label, "index": index, "commitment": file, "nonces": nonces_file}));
            }
            crate::outln!(
                "trustee {index}: send {} to the coordinator; keep {} (used once by `sign share`)",
                file.display(),
                nonces_file.display()
            );
            Ok(())
        }
        SignCommand::Package {
            group,
            tx,
            commitments,
            out: file,
        } => {
            let group: th::GroupKey = th::read_for(&group, &label).map_err(th_err)?;
            let unsigned = UnsignedTx::read(&tx, role)?;
            let commitments: Vec<th::SigningCommitment> = read_all(&commitments, &label)?;
            let package =
                th::signing_package(&group, &unsigned.message()?, &commitments).map_err(th_err)?;
            let file = or_default(file, format!("{label}-package.json"));
            th::write_public(&file, &package, false).map_err(th_err)?;
            if out.json {
                return out.print_json(&json!({"step": "package", "label": label, "signers": package.signers(), "package": file, "summary": unsigned.summary}));
            }
            crate::outln!(
                "signing package {} for trustees {:?}: {}",
                file.display(),
                package.signers(),
                unsigned.summary
            );
            Ok(())
        }
        SignCommand::Share {
            share,
            nonces,
            package,
            tx,
            out: file,
            yes,
        } => {
            let share_doc: th::KeyShare = th::read_for(&share, &label).map_err(th_err)?;
            let nonces_doc: th::SigningNonces = th::read_for(&nonces, &label).map_err(th_err)?;
            let package: th::SigningPackage = th::read_for(&package, &label).map_err(th_err)?;
            let unsigned = UnsignedTx::read(&tx, role)?;
            if package.message() != unsigned.message()?.as_slice() {
                return Err(Rejected(format!(
                    "the signing package does not sign {} (\"{}\"): its message has SHA-256 {}; \
                     ask the coordinator which transaction it is",
                    tx.display(),
                    unsigned.summary,
                    hex::encode(package.message_sha256())
                ))
                .into());
            }
            out.note(&format!(
                "signing as {label} trustee {} on chain {}: {}",
                share_doc.index(),
                encode_hex(&unsigned.chain_id.0),
                unsigned.summary
            ));
            if !yes {
                if !std::io::stdin().is_terminal() {
                    return Err(Usage(
                        "not on a terminal, so nobody can confirm what is signed: read the summary above and give --yes".into(),
                    )
                    .into());
                }
                if !super::confirm("sign?")? {
                    return Err(Rejected("not signed".into()).into());
                }
            }
            let index = share_doc.index();
            let sig = th::sign_share(&share_doc, nonces_doc, &package).map_err(th_err)?;
            // The nonces are used: gone before the share exists, so they can
            // never sign a second package.
            std::fs::remove_file(&nonces)
                .with_context(|| format!("deleting the used nonces {}", nonces.display()))?;
            let file = or_default(file, format!("{label}-sigshare-{index}.json"));
            th::write_public(&file, &sig, false).map_err(th_err)?;
            if out.json {
                return out.print_json(
                    &json!({"step": "share", "label": label, "index": index, "share": file}),
                );
            }
            crate::outln!(
                "signature share {} for the coordinator (nonces {} deleted)",
                file.display(),
                nonces.display()
            );
            Ok(())
        }
        SignCommand::Aggregate {
            group,
            package,
            tx,
            shares,
            out: file,
            node,
        } => {
            let group: th::GroupKey = th::read_for(&group, &label).map_err(th_err)?;
            let package: th::SigningPackage = th::read_for(&package, &label).map_err(th_err)?;
            let unsigned = UnsignedTx::read(&tx, role)?;
            if package.message() != unsigned.message()?.as_slice() {
                return Err(Rejected(format!(
                    "the signing package does not sign {}",
                    tx.display()
                ))
                .into());
            }
            let shares: Vec<th::SignatureShare> = read_all(&shares, &label)?;
            let signature = th::aggregate(&group, &package, &shares).map_err(th_err)?;
            let signed = unsigned
                .tx
                .clone()
                .with_signature(signature)
                .expect("checked: a signed kind");
            let id = encode_hex(&signed.id().0);
            if let Some(file) = file {
                std::fs::write(&file, hex::encode(signed.encode()))
                    .with_context(|| format!("writing {}", file.display()))?;
                if out.json {
                    return out
                        .print_json(&json!({"step": "aggregate", "tx_id": id, "file": file}));
                }
                crate::outln!("signed transaction {id} written to {}", file.display());
                return Ok(());
            }
            let client = node.client()?;
            let genesis = client.genesis()?.genesis;
            let chain_key = match role {
                Role::Registrar => genesis.registrar,
                _ => genesis.authority,
            };
            if chain_key.0 != group.ed25519_public_key() {
                return Err(Rejected(format!(
                    "this group's key {} is not the chain's {label} key {chain_key}: a group from another DKG or chain",
                    encode_hex(&group.ed25519_public_key())
                ))
                .into());
            }
            if genesis.chain_id != unsigned.chain_id {
                return Err(Rejected(
                    "the transaction is for another chain than the node's".into(),
                )
                .into());
            }
            let what = signed.kind().name().replace('_', "-");
            let height = super::submit(&client, &signed, &what)?;
            if out.json {
                return out.print_json(&json!({"step": "aggregate", "tx_id": id, "included_at": height, "signers": package.signers()}));
            }
            crate::outln!(
                "{what} {id} signed by trustees {:?}, included at height {height}: {}",
                package.signers(),
                unsigned.summary
            );
            Ok(())
        }
    }
}
