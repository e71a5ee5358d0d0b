//! `zkpension wallet`: create and inspect the wallet file.

use crate::args::WalletArg;
use crate::output::{Output, Usage};
use anyhow::Context;
use rand_core::OsRng;
use std::io::BufRead;
use zeroize::Zeroizing;
use zkpension_circuits::field;
use zkpension_prover::wallet::{NoteStatus, Wallet, WALLET_MODE};

/// Create or inspect the wallet file.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Create a wallet with a new secret key (file mode 0600; never overwrites).
    #[command(after_help = "\
The wallet file holds your secret key: anyone who reads it can spend your
pension account. It is created readable by you only (mode 0600) and is never
overwritten: if FILE exists, nothing is written and the exit code is 3.

Examples:
  zkpension wallet new
  zkpension wallet new --wallet alice.json --json
  echo 'correct horse battery staple ...' | zkpension wallet new --seed-phrase-stdin")]
    New {
        #[command(flatten)]
        wallet: WalletArg,
        /// Derive the key from a seed phrase read from the first line of stdin
        /// instead of OS randomness (words are whitespace-normalized; the same
        /// phrase always gives the same key).
        #[arg(long)]
        seed_phrase_stdin: bool,
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
            seed_phrase_stdin,
        } => new(&wallet, seed_phrase_stdin, out),
        Command::Show {
            wallet,
            show_secret,
        } => show(&wallet, show_secret, out),
    }
}

fn new(arg: &WalletArg, seed_phrase_stdin: bool, out: &Output) -> anyhow::Result<()> {
    let path = arg.path();
    let wallet = if seed_phrase_stdin {
        let mut line = Zeroizing::new(String::new());
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .context("reading the seed phrase from stdin")?;
        Wallet::from_seed_phrase(&line).map_err(|e| Usage(e.to_string()))?
    } else {
        Wallet::random(&mut OsRng)
    };
    wallet.create(&path)?;
    out.note(&format!(
        "created wallet {} (mode {WALLET_MODE:o}); it holds your secret key: back it up privately",
        path.display()
    ));
    if out.json {
        return out.print_json(&serde_json::json!({
            "wallet": path,
            "owner": field::to_hex(&wallet.owner),
        }));
    }
    crate::outln!("owner {}", field::to_hex(&wallet.owner));
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
    if out.json {
        let mut v = serde_json::json!({
            "wallet": path,
            "version": w.version,
            "owner": field::to_hex(&w.owner),
            "chain_id": w.chain_id,
            "current_note": w.current_note(),
            "notes": w.notes,
            "pending": w.pending,
            "sync": {
                "height": w.sync.height,
                "leaves": w.sync.tree.len,
                "root": field::to_hex(&w.sync.tree_root),
            },
        });
        if show_secret {
            v["sk"] = field::to_hex(&w.spending_key().expose()).into();
            v["nk"] = field::to_hex(&w.nk).into();
        }
        return out.print_json(&v);
    }
    crate::outln!("wallet   {}", path.display());
    crate::outln!("owner    {}", field::to_hex(&w.owner));
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
        crate::outln!("sk       {}", field::to_hex(&w.spending_key().expose()));
        crate::outln!("nk       {}", field::to_hex(&w.nk));
    } else {
        crate::outln!("(secret key hidden; --show-secret prints it)");
    }
    Ok(())
}
