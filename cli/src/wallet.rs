//! `zkpension wallet`: create, recover, watch and inspect the wallet file, and
//! `zkpension history`.

use crate::args::{BirthdayArg, WalletArg};
use crate::member::NodeArg;
use crate::output::{Output, Rejected, Usage};
use anyhow::Context;
use rand_core::{OsRng, RngCore};
use std::io::{BufRead, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use zeroize::Zeroizing;
use zkpension_circuits::field;
use zkpension_core::hexbytes::encode_hex;
use zkpension_prover::member::{sync, NodeClient};
use zkpension_prover::wallet::{
    parse_phrase, NoteStatus, ViewingKeyFile, Wallet, PHRASE_WORDS, WALLET_MODE,
};

/// Create, recover, watch or inspect the wallet file.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create a wallet with a new 24-word recovery phrase (file mode 0600;
    /// never overwrites).
    #[command(after_help = "\
The recovery phrase is shown once. Write it down and keep it offline: with it
`zkpension wallet recover` rebuilds the whole account (current note, balance,
history) from the public chain, even if every copy of the wallet file is lost.
Anyone who has it can spend the account.

On a terminal the command asks for two of the words back before it writes the
wallet. With --phrase-out the phrase goes to a new file instead (mode 0600; to
print it on paper, then delete the file); with --json it is in the JSON
document (field \"phrase\"); without a terminal it is printed on stdout. The
wallet file is created readable by you only (mode 0600) and never overwritten:
if FILE exists, nothing is written and the exit code is 3.

Examples:
  zkpension wallet new
  zkpension wallet new --phrase-out phrase.txt
  zkpension wallet new --wallet alice.json --json")]
    New {
        #[command(flatten)]
        wallet: WalletArg,
        /// Write the phrase to FILE (mode 0600, never overwritten) instead of
        /// showing it.
        #[arg(long, value_name = "FILE")]
        phrase_out: Option<PathBuf>,
        /// Do not ask for words of the phrase back on a terminal.
        #[arg(long)]
        no_confirm: bool,
    },
    /// Rebuild a wallet from its 24-word recovery phrase and the public chain.
    #[command(after_help = "\
The phrase is read from FILE (--phrase-file), or from stdin (typed at a prompt
on a terminal, or piped); never from the command line, which would leave it in
the shell's history. Words are separated by spaces or line breaks, in any case.

The wallet finds its enrollment among the chain's commitments (it tries every
eligible epoch from 1 to 2,400 for the phrase's key) and then follows every
spend of its notes: each transaction's public amount and epoch determine the
next note, whose commitment must be the one on the chain. The node is asked
nothing about this account: the wallet reads the same compact blocks as every
other wallet. Nothing is written unless the account is found.

Examples:
  zkpension wallet recover --node 127.0.0.1:8545 --wallet alice.json
  zkpension wallet recover --phrase-file phrase.txt --json")]
    Recover {
        #[command(flatten)]
        wallet: WalletArg,
        #[command(flatten)]
        node: NodeArg,
        /// Read the phrase from this file instead of stdin.
        #[arg(long, value_name = "FILE")]
        phrase_file: Option<PathBuf>,
        #[command(flatten)]
        birthday: BirthdayArg,
    },
    /// Write the account's viewing key: it shows balance, history and pension,
    /// and cannot spend, contribute, claim or attest.
    #[command(after_help = "\
A viewing key is (owner, nk, ns): the address, the nullifier key and the note
secret. Whoever holds it can find the account on the chain and read every note
of it: balance, vesting periods, eligible epoch, pension, and the amount and
epoch of every contribution, claim and attestation. It cannot make a proof,
which needs the secret key, and it does not reveal the recovery phrase.
Give it to an auditor, a family member or an heir; it cannot be revoked.

Examples:
  zkpension wallet export-viewing-key --out alice.view.json
  zkpension wallet watch --viewing-key alice.view.json --wallet alice-watch.json")]
    ExportViewingKey {
        #[command(flatten)]
        wallet: WalletArg,
        /// Write it to FILE (mode 0600, never overwritten) instead of stdout.
        #[arg(long, value_name = "FILE")]
        out: Option<PathBuf>,
    },
    /// Create a watch-only wallet from a viewing key and sync it.
    #[command(after_help = "\
The watch-only wallet follows the account like the member's own (`zkpension
sync`, `balance`, `history`, `forecast`); commands that prove refuse it.

Example:
  zkpension wallet watch --viewing-key alice.view.json --wallet alice-watch.json --node 127.0.0.1:8545")]
    Watch {
        #[command(flatten)]
        wallet: WalletArg,
        #[command(flatten)]
        node: NodeArg,
        /// The viewing key file (`zkpension wallet export-viewing-key`).
        #[arg(long, value_name = "FILE")]
        viewing_key: PathBuf,
        #[command(flatten)]
        birthday: BirthdayArg,
    },
    /// Show the address, the account and pending transactions (no secrets unless
    /// --show-secret).
    #[command(after_help = "\
Examples:
  zkpension wallet show
  zkpension wallet show --wallet alice.json --json
  zkpension wallet show --show-secret   # also prints sk and nk: keep them private")]
    Show {
        #[command(flatten)]
        wallet: WalletArg,
        /// Also print the secret key sk and the nullifier key nk.
        #[arg(long)]
        show_secret: bool,
    },
}

pub fn run(cmd: Command, out: &Output) -> anyhow::Result<()> {
    match cmd {
        Command::New {
            wallet,
            phrase_out,
            no_confirm,
        } => new(&wallet, phrase_out.as_deref(), no_confirm, out),
        Command::Recover {
            wallet,
            node,
            phrase_file,
            birthday,
        } => recover(
            &wallet,
            &node,
            phrase_file.as_deref(),
            birthday.birthday,
            out,
        ),
        Command::ExportViewingKey { wallet, out: file } => {
            export_viewing_key(&wallet, file.as_deref(), out)
        }
        Command::Watch {
            wallet,
            node,
            viewing_key,
            birthday,
        } => watch(&wallet, &node, &viewing_key, birthday.birthday, out),
        Command::Show {
            wallet,
            show_secret,
        } => show(&wallet, show_secret, out),
    }
}

fn interactive() -> bool {
    std::io::stdin().is_terminal() && std::io::stderr().is_terminal()
}

/// Asks for two words of the phrase back; `Ok(false)` if one is wrong.
fn confirm_phrase(words: &[&str]) -> anyhow::Result<bool> {
    let a = (OsRng.next_u32() as usize) % words.len();
    let b = (a + 1 + (OsRng.next_u32() as usize) % (words.len() - 1)) % words.len();
    let (a, b) = (a.min(b), a.max(b));
    for i in [a, b] {
        eprint!("word {} of your phrase: ", i + 1);
        std::io::stderr().flush()?;
        let mut line = Zeroizing::new(String::new());
        std::io::stdin().lock().read_line(&mut line)?;
        if line.trim().to_lowercase() != words[i] {
            return Ok(false);
        }
    }
    Ok(true)
}

/// Writes a new private file, refusing to overwrite one.
fn write_private(file: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    zkpension_prover::fsutil::create_new_atomic(file, bytes, WALLET_MODE).map_err(|e| {
        match e.kind() {
            std::io::ErrorKind::AlreadyExists => {
                anyhow::anyhow!(
                    "{} already exists; refusing to overwrite it",
                    file.display()
                )
            }
            _ => anyhow::Error::from(e).context(format!("writing {}", file.display())),
        }
    })
}

fn new(
    arg: &WalletArg,
    phrase_out: Option<&Path>,
    no_confirm: bool,
    out: &Output,
) -> anyhow::Result<()> {
    let path = arg.path();
    if path.exists() {
        return Err(zkpension_prover::wallet::WalletError::Exists(path).into());
    }
    let (wallet, mnemonic) = Wallet::generate(&mut OsRng);
    let phrase = Zeroizing::new(mnemonic.to_string());
    let words: Vec<&str> = phrase.split(' ').collect();
    if let Some(f) = phrase_out {
        write_private(f, format!("{}\n", phrase.as_str()).as_bytes())?;
    }
    let ask = phrase_out.is_none() && interactive() && !out.json && !no_confirm;
    if ask {
        eprintln!("Your recovery phrase ({PHRASE_WORDS} words). Write it down on paper, in order, and keep it offline:\n");
        for row in words.chunks(6).enumerate() {
            let line: Vec<String> = row
                .1
                .iter()
                .enumerate()
                .map(|(i, w)| format!("{:>2}. {w:<9}", row.0 * 6 + i + 1))
                .collect();
            eprintln!("  {}", line.join(" "));
        }
        eprintln!("\nIt is shown only now. To check you have it:");
        if !confirm_phrase(&words)? {
            return Err(Rejected(
                "that word is not the one in your phrase; no wallet was written. Run `zkpension wallet new` again"
                    .into(),
            )
            .into());
        }
    }
    wallet.create(&path)?;
    out.note(&format!(
        "created wallet {} (mode {WALLET_MODE:o}); the recovery phrase restores it: `zkpension wallet recover`",
        path.display()
    ));
    if let Some(f) = phrase_out {
        out.note(&format!(
            "wrote the recovery phrase to {} (mode {WALLET_MODE:o}): write it on paper, then delete the file",
            f.display()
        ));
    }
    if out.json {
        let mut v = serde_json::json!({
            "wallet": path,
            "owner": field::to_hex(&wallet.owner),
        });
        match phrase_out {
            Some(f) => v["phrase_file"] = serde_json::json!(f),
            None => v["phrase"] = phrase.as_str().into(),
        }
        return out.print_json(&v);
    }
    crate::outln!("owner {}", field::to_hex(&wallet.owner));
    if !ask && phrase_out.is_none() {
        crate::outln!("phrase {}", phrase.as_str());
    }
    Ok(())
}

/// Reads the recovery phrase from `file` or stdin (a prompt on a terminal).
fn read_phrase(file: Option<&Path>) -> anyhow::Result<Zeroizing<String>> {
    let mut text = Zeroizing::new(String::new());
    match file {
        Some(f) => {
            let bytes = Zeroizing::new(
                std::fs::read(f)
                    .with_context(|| format!("reading the phrase from {}", f.display()))?,
            );
            text.push_str(
                std::str::from_utf8(&bytes)
                    .map_err(|_| Usage(format!("{} is not UTF-8 text", f.display())))?,
            );
        }
        None if interactive() => {
            eprint!("recovery phrase ({PHRASE_WORDS} words): ");
            std::io::stderr().flush()?;
            std::io::stdin().lock().read_line(&mut text)?;
        }
        None => {
            std::io::stdin()
                .lock()
                .take(4096)
                .read_to_string(&mut text)
                .context("reading the phrase from stdin")?;
        }
    }
    Ok(text)
}

/// Syncs a wallet made from a key (phrase or viewing key) in memory and
/// writes it only if its account was found on the chain.
fn sync_new(
    mut wallet: Wallet,
    arg: &WalletArg,
    node: &NodeArg,
    what: &str,
    birthday: Option<u64>,
    out: &Output,
) -> anyhow::Result<()> {
    let path = arg.path();
    if path.exists() {
        return Err(zkpension_prover::wallet::WalletError::Exists(path).into());
    }
    let client: NodeClient = node.client()?;
    let start = std::time::Instant::now();
    let spinner =
        crate::progress::spinner(out, format!("looking for the account on {}", client.url()));
    let report = match birthday {
        Some(h) => zkpension_prover::member::birthday::start_at(&mut wallet, &client, h)
            .and_then(|()| sync::sync(&mut wallet, &client)),
        None => sync::sync(&mut wallet, &client),
    };
    spinner.finish_and_clear();
    let report = report?;
    let chain = wallet
        .chain_id
        .map(|c| encode_hex(&c.0))
        .unwrap_or_default();
    let Some(current) = wallet.notes.last() else {
        return Err(Rejected(format!(
            "no account of this {what} on chain {chain} ({} blocks{}, {} commitments read, eligible epochs 1 to {} tried): \
             check the words, and that {} is a node of the fund you enrolled in{}. No wallet was written",
            report.blocks,
            birthday.map_or(String::new(), |h| format!(" after the birthday {h}")),
            report.commitments,
            sync::ENROLLMENT_SEARCH_EPOCHS,
            client.url(),
            if birthday.is_some() {
                "; an account enrolled at or before the birthday is not found: try an earlier one, or none"
            } else {
                ""
            }
        ))
        .into());
    };
    let current = current.clone();
    wallet.create(&path)?;
    let seconds = start.elapsed().as_secs_f64();
    out.note(&format!("wrote {} (mode {WALLET_MODE:o})", path.display()));
    if out.json {
        return out.print_json(&serde_json::json!({
            "wallet": path,
            "watch_only": wallet.is_watch_only(),
            "owner": field::to_hex(&wallet.owner),
            "chain_id": chain,
            "height": wallet.sync.height,
            "enrolled_at": report.enrollment_found,
            "transactions_replayed": report.followed,
            "current_note": current,
            "spent_elsewhere": wallet.spent_elsewhere,
            "seconds": seconds,
        }));
    }
    crate::outln!(
        "found the account: enrolled at height {}, {} transactions replayed, synced to height {} in {seconds:.2} s",
        report
            .enrollment_found
            .map_or("?".to_string(), |h| h.to_string()),
        report.followed,
        wallet.sync.height
    );
    crate::outln!(
        "account  balance {} in {} periods, eligible from epoch {}, pension {} ({})",
        current.note.balance,
        current.note.periods,
        current.note.eligible_epoch,
        current.note.pension,
        match current.status {
            NoteStatus::Unspent => "current",
            NoteStatus::Spent => "closed",
            NoteStatus::Pending => "pending",
        }
    );
    Ok(())
}

fn recover(
    arg: &WalletArg,
    node: &NodeArg,
    phrase_file: Option<&Path>,
    birthday: Option<u64>,
    out: &Output,
) -> anyhow::Result<()> {
    if arg.path().exists() {
        return Err(zkpension_prover::wallet::WalletError::Exists(arg.path()).into());
    }
    let text = read_phrase(phrase_file)?;
    let mnemonic = parse_phrase(&text).map_err(|e| Rejected(e.to_string()))?;
    sync_new(
        Wallet::from_mnemonic(&mnemonic),
        arg,
        node,
        "recovery phrase",
        birthday,
        out,
    )
}

fn watch(
    arg: &WalletArg,
    node: &NodeArg,
    file: &Path,
    birthday: Option<u64>,
    out: &Output,
) -> anyhow::Result<()> {
    let bytes = Zeroizing::new(
        std::fs::read(file)
            .with_context(|| format!("reading the viewing key {}", file.display()))?,
    );
    let (vk, chain) =
        ViewingKeyFile::parse(&bytes).map_err(|e| Rejected(format!("{}: {e}", file.display())))?;
    let mut wallet = Wallet::watch_only(vk);
    wallet.chain_id = chain;
    sync_new(wallet, arg, node, "viewing key", birthday, out)
}

fn export_viewing_key(arg: &WalletArg, file: Option<&Path>, out: &Output) -> anyhow::Result<()> {
    let w = arg.load(out)?;
    let text = Zeroizing::new(serde_json::to_string_pretty(&ViewingKeyFile::of(&w))? + "\n");
    match file {
        Some(f) => {
            write_private(f, text.as_bytes())?;
            out.note(&format!(
                "wrote the viewing key to {} (mode {WALLET_MODE:o}): it reveals the whole account, keep it private",
                f.display()
            ));
            if out.json {
                out.print_json(&serde_json::json!({ "viewing_key": f }))?;
            }
        }
        None => crate::outln!("{}", text.trim_end()),
    }
    Ok(())
}

fn show(arg: &WalletArg, show_secret: bool, out: &Output) -> anyhow::Result<()> {
    let path = arg.path();
    let w = arg.load(out)?;
    let unspent = w
        .notes
        .iter()
        .filter(|n| n.status == NoteStatus::Unspent)
        .count();
    let secret = |w: &Wallet| {
        w.spending_key("show the secret key")
            .map(|sk| field::to_hex(&sk.expose()))
    };
    if out.json {
        let mut v = serde_json::json!({
            "wallet": path,
            "version": w.version,
            "watch_only": w.is_watch_only(),
            "owner": field::to_hex(&w.owner),
            "chain_id": w.chain_id,
            "current_note": w.current_note(),
            "heir": w.current_note().map(|n| field::to_hex(&n.note.heir)),
            "inherited": w.inherited,
            "notes": w.notes,
            "pending": w.pending,
            "sync": {
                "height": w.sync.height,
                "leaves": w.sync.tree.len,
                "root": field::to_hex(&w.sync.tree_root),
            },
        });
        if show_secret {
            v["sk"] = secret(&w)?.into();
            v["nk"] = field::to_hex(&w.nk).into();
        }
        return out.print_json(&v);
    }
    crate::outln!("wallet   {}", path.display());
    crate::outln!(
        "owner    {}{}",
        field::to_hex(&w.owner),
        if w.is_watch_only() {
            " (watch-only)"
        } else {
            ""
        }
    );
    match w.current_note() {
        Some(n) => crate::outln!(
            "account  balance {} in {} periods, eligible from epoch {}, pension {}, leaf {}",
            n.note.balance,
            n.note.periods,
            n.note.eligible_epoch,
            n.note.pension,
            n.leaf_index.map_or("?".to_string(), |i| i.to_string())
        ),
        None => crate::outln!("account  none yet (not enrolled, or not synced)"),
    }
    if let Some(n) = w.current_note() {
        match n.note.heir {
            h if h == field::Fr::from(0u64) => {
                crate::outln!("heir     none named (name one with --heir ADDRESS on a transaction)")
            }
            h => crate::outln!("heir     {}", field::to_hex(&h)),
        }
    }
    if let Some(i) = w.inherited {
        crate::outln!(
            "closed   the heir inherited {} in epoch {}",
            zkpension_core::format_amount(i.amount),
            i.epoch
        );
    }
    crate::outln!(
        "notes    {} ({unspent} unspent), pending transactions {}",
        w.notes.len(),
        w.pending.len()
    );
    crate::outln!(
        "synced   height {}, {} commitments",
        w.sync.height,
        w.sync.tree.len
    );
    if show_secret {
        crate::outln!("sk       {}", secret(&w)?);
        crate::outln!("nk       {}", field::to_hex(&w.nk));
    } else {
        crate::outln!("(secret key hidden; --show-secret prints it)");
    }
    Ok(())
}
