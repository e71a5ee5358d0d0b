//! Threshold keys for the authority and the registrar: `zkpension authority
//! dkg ...` / `sign ...` (the same under `registrar`), by passing files
//! between the trustees (`zkpension_threshold`: FROST over Ed25519).
//!
//! The key's label is the role (`authority`, `registrar`), so a registrar's
//! file can never be used for the authority's key. What the trustees sign is
//! an [`UnsignedTx`] written by the role's own command with
//! `--unsigned-out`; every signer sees its summary and checks that the
//! signing package's message is that transaction's, for that chain.

use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use serde::{Deserialize, Serialize};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use zkpension_circuits::binding::ChainId;
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::keyfile::Role;
use zkpension_core::Transaction;
use zkpension_threshold as th;

/// The `format` of an unsigned transaction file.
pub const UNSIGNED_FORMAT: &str = "zkpension-unsigned-tx/v1";

/// A transaction waiting for a threshold group's signature.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnsignedTx {
    pub format: String,
    /// `authority` or `registrar`: whose group signs it.
    pub role: String,
    #[serde(with = "chain_hex")]
    pub chain_id: ChainId,
    /// What the transaction does, in words, for the trustees.
    pub summary: String,
    /// The transaction, with an all-zero signature.
    pub tx: Transaction,
}

mod chain_hex {
    use super::ChainId;
    use serde::{Deserialize, Deserializer, Serializer};
    use zkpension_core::hexbytes::FixedBytes;

    pub fn serialize<S: Serializer>(c: &ChainId, s: S) -> Result<S::Ok, S::Error> {
        serde::Serialize::serialize(&FixedBytes(c.0), s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<ChainId, D::Error> {
        let b: FixedBytes<32> = FixedBytes::deserialize(d)?;
        Ok(ChainId(b.0))
    }
}

impl UnsignedTx {
    pub fn new(role: Role, chain_id: &ChainId, tx: Transaction, summary: &str) -> Self {
        UnsignedTx {
            format: UNSIGNED_FORMAT.into(),
            role: role.to_string(),
            chain_id: *chain_id,
            summary: summary.into(),
            tx,
        }
    }

    /// Writes the file (never over an existing one).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)? + "\n";
        zkpension_prover::fsutil::create_new_atomic(path, text.as_bytes(), 0o644).with_context(
            || {
                format!(
                    "writing {} (an existing file is never overwritten)",
                    path.display()
                )
            },
        )
    }

    /// Reads an unsigned transaction of `role`'s group.
    pub fn read(path: &Path, role: Role) -> anyhow::Result<Self> {
        let text =
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
        let doc: UnsignedTx = serde_json::from_str(&text).map_err(|e| {
            Usage(format!(
                "{} is not an unsigned transaction ({e}); make one with --unsigned-out",
                path.display()
            ))
        })?;
        if doc.format != UNSIGNED_FORMAT {
            return Err(Usage(format!(
                "{}: format {:?}, expected {UNSIGNED_FORMAT:?}",
                path.display(),
                doc.format
            ))
            .into());
        }
        if doc.role != role.to_string() {
            return Err(Usage(format!(
                "{} is for the {}'s group, not the {role}'s",
                path.display(),
                doc.role
            ))
            .into());
        }
        Ok(doc)
    }

    /// The bytes the group signs.
    pub fn message(&self) -> anyhow::Result<Vec<u8>> {
        self.tx.signed_message(&self.chain_id).ok_or_else(|| {
            Usage(format!(
                "a {} transaction is proved, not signed",
                self.tx.kind()
            ))
            .into()
        })
    }
}

/// `dkg`: make a t-of-n key without a dealer.
#[derive(clap::Subcommand, Debug)]
pub enum DkgCommand {
    /// Step 1 of 3, by every trustee: a secret file to keep and a round-1 file for the others.
    #[command(after_help = "\
Trustees are numbered 1..=n before they start; each runs the three steps
with its own number. Publish the round-1 file to every other trustee (email or
a shared folder is fine); keep the secret file.

Example (trustee 1 of a 2-of-3 key):
  zkpension authority dkg round1 --index 1 --threshold 2 --signers 3")]
    Round1 {
        /// This trustee's number, 1..=signers
        #[arg(long)]
        index: u16,
        /// Trustees needed to sign (t, at least 2)
        #[arg(long)]
        threshold: u16,
        /// Trustees holding a share (n, at most 255)
        #[arg(long)]
        signers: u16,
        /// Round-1 file to publish [default: ROLE-round1-INDEX.json]
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
        /// Secret file to keep (mode 600) [default: ROLE-INDEX.dkg1.secret.json]
        #[arg(long, value_name = "FILE")]
        secret_out: Option<PathBuf>,
    },
    /// Step 2 of 3: a sealed share for each other trustee, from everyone's round-1 files.
    #[command(after_help = "\
Each round-2 file is sealed (HPKE) to its recipient's round-1 key: it may
travel over any channel, and only its recipient can open it.

Example:
  zkpension authority dkg round2 --secret authority-1.dkg1.secret.json \\
      --round1 authority-round1-*.json --out-dir outbox/")]
    Round2 {
        /// This trustee's round-1 secret file
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Every trustee's round-1 file (this trustee's own may be among them)
        #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
        round1: Vec<PathBuf>,
        /// Where the round-2 files go, ROLE-round2-FROM-to-TO.json
        #[arg(long, value_name = "DIR", default_value = ".")]
        out_dir: PathBuf,
        /// Secret file to keep (mode 600) [default: ROLE-INDEX.dkg2.secret.json]
        #[arg(long, value_name = "FILE")]
        secret_out: Option<PathBuf>,
    },
    /// Step 3 of 3: this trustee's key share and the group's public key.
    #[command(after_help = "\
Every trustee gets the same group file; compare its fingerprint (printed)
by a channel you trust before using the key. The group file goes to
`zkpension-node init --authority` (or --registrar): the genesis records the
key and t-of-n. The dkg1/dkg2 secret files can be deleted afterwards.

Example:
  zkpension authority dkg finish --secret authority-1.dkg2.secret.json \\
      --round1 authority-round1-*.json --round2 inbox/authority-round2-*-to-1.json")]
    Finish {
        /// This trustee's round-2 secret file
        #[arg(long, value_name = "FILE")]
        secret: PathBuf,
        /// Every trustee's round-1 file
        #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
        round1: Vec<PathBuf>,
        /// The round-2 files addressed to this trustee
        #[arg(long, value_name = "FILE", num_args = 1.., required = true)]
        round2: Vec<PathBuf>,
        /// This trustee's key share (secret, mode 600) [default: ROLE-INDEX.share.json]
        #[arg(long, value_name = "FILE")]
        share_out: Option<PathBuf>,
        /// The group's public key file [default: ROLE.group.json]
        #[arg(long, value_name = "FILE")]
        group_out: Option<PathBuf>,
    },
}

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

/// A threshold-library error: a bad file is the input's fault (exit 1),
/// unless it is about reading or writing.
fn th_err(e: th::Error) -> anyhow::Error {
    Rejected(e.to_string()).into()
}

fn read_all<T: th::Document>(paths: &[PathBuf], label: &str) -> anyhow::Result<Vec<T>> {
    paths
        .iter()
        .map(|p| th::read_for::<T>(p, label).map_err(th_err))
        .collect()
}

fn or_default(path: Option<PathBuf>, default: String) -> PathBuf {
    path.unwrap_or_else(|| PathBuf::from(default))
}

pub fn dkg(cmd: DkgCommand, role: Role, out: &Output) -> anyhow::Result<()> {
    let label = role.to_string();
    let mut rng = rand_core::OsRng;
    match cmd {
        DkgCommand::Round1 {
            index,
            threshold,
            signers,
            out: file,
            secret_out,
        } => {
            let (secret, public) = th::dkg_round1(&label, index, threshold, signers, &mut rng)
                .map_err(|e| Usage(e.to_string()))?;
            let file = or_default(file, format!("{label}-round1-{index}.json"));
            let secret_file = or_default(secret_out, format!("{label}-{index}.dkg1.secret.json"));
            th::write_secret(&secret_file, &secret).map_err(th_err)?;
            th::write_public(&file, &public, false).map_err(th_err)?;
            if out.json {
                return out.print_json(&json!({"step": "round1", "label": label, "index": index, "threshold": threshold, "signers": signers, "public": file, "secret": secret_file}));
            }
            crate::outln!(
                "trustee {index} of {signers} ({threshold} needed): publish {} to the other trustees; keep {} secret",
                file.display(),
                secret_file.display()
            );
            Ok(())
        }
        DkgCommand::Round2 {
            secret,
            round1,
            out_dir,
            secret_out,
        } => {
            let secret: th::Round1Secret = th::read_for(&secret, &label).map_err(th_err)?;
            let publics: Vec<th::Round1Public> = read_all(&round1, &label)?;
            let (secret2, sealed) = th::dkg_round2(&secret, &publics, &mut rng).map_err(th_err)?;
            let index = secret.index();
            let secret_file = or_default(secret_out, format!("{label}-{index}.dkg2.secret.json"));
            std::fs::create_dir_all(&out_dir)
                .with_context(|| format!("creating {}", out_dir.display()))?;
            th::write_secret(&secret_file, &secret2).map_err(th_err)?;
            let mut files = Vec::new();
            for s in &sealed {
                let f = out_dir.join(format!("{label}-round2-{}-to-{}.json", s.from(), s.to()));
                th::write_public(&f, s, false).map_err(th_err)?;
                files.push(f);
            }
            if out.json {
                return out.print_json(&json!({"step": "round2", "label": label, "index": index, "sealed": files, "secret": secret_file}));
            }
            for f in &files {
                crate::outln!("wrote {} (sealed to its recipient)", f.display());
            }
            crate::outln!(
                "send each file to the trustee it names; keep {} secret",
                secret_file.display()
            );
            Ok(())
        }
        DkgCommand::Finish {
            secret,
            round1,
            round2,
            share_out,
            group_out,
        } => {
            let secret: th::Round2Secret = th::read_for(&secret, &label).map_err(th_err)?;
            let publics: Vec<th::Round1Public> = read_all(&round1, &label)?;
            let sealed: Vec<th::Round2Sealed> = read_all(&round2, &label)?;
            let (share, group) = th::dkg_finish(&secret, &publics, &sealed).map_err(th_err)?;
            let index = share.index();
            let share_file = or_default(share_out, format!("{label}-{index}.share.json"));
            let group_file = or_default(group_out, format!("{label}.group.json"));
            // Trustees sharing a folder each finish into the same group
            // file: an identical one is the check that they agree.
            let text = th::to_json(&group).map_err(th_err)?;
            let agrees = match std::fs::read_to_string(&group_file) {
                Ok(existing) if existing == text => true,
                Ok(_) => {
                    return Err(Rejected(format!(
                    "{} holds another group key: the trustees' DKG results differ, so do not use \
                         either; run the DKG again (or give --group-out another file)",
                    group_file.display()
                ))
                    .into())
                }
                Err(_) => false,
            };
            th::write_secret(&share_file, &share).map_err(th_err)?;
            if agrees {
                out.note(&format!(
                    "{} is already there and identical: this trustee agrees on the group key",
                    group_file.display()
                ));
            } else {
                th::write_public(&group_file, &group, false).map_err(th_err)?;
            }
            let key = encode_hex(&group.ed25519_public_key());
            let fingerprint = group.fingerprint().map_err(th_err)?;
            if out.json {
                return out.print_json(&json!({
                    "step": "finish", "label": label, "index": index,
                    "threshold": group.min_signers(), "signers": group.max_signers(),
                    "public_key": key, "fingerprint": fingerprint,
                    "share": share_file, "group": group_file,
                }));
            }
            crate::outln!(
                "{label} key {key}: any {} of {} trustees sign",
                group.min_signers(),
                group.max_signers()
            );
            crate::outln!(
                "fingerprint {fingerprint}: compare it with every other trustee before use"
            );
            crate::outln!(
                "keep {} secret; {} is public (for `zkpension-node init --{label}`)",
                share_file.display(),
                group_file.display()
            );
            Ok(())
        }
    }
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
                if !crate::authority::confirm("sign?")? {
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
            let height = crate::authority::submit(&client, &signed, &what)?;
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
