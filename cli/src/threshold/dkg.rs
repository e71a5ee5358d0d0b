//! `zkpension ROLE dkg round1 | round2 | finish`.

use super::{or_default, read_all, th, th_err};
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use serde_json::json;
use std::path::PathBuf;
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::keyfile::Role;

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
