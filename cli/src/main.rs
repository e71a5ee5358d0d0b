//! `zkpension`: the member's command-line tool.
//!
//! `main` parses the command line, sizes the thread pool and dispatches. Each
//! command group is one module with a clap `Args` (or `Subcommand`) type and
//! `run(args, &Output) -> anyhow::Result<()>`; shared arguments (key directory,
//! wallet file) are in [`args`], output and exit codes in [`output`]. To add a
//! command: write its module, add a variant to [`Command`] and a line to the
//! `match` in `main`. Errors decide the exit code through the marker types of
//! [`output`] (`Rejected` for 1, `Usage` for 2, anything else 3).

mod agent;
mod args;
mod audit;
mod authority;
mod ceremony;
mod circuits;
mod demo;
mod export;
mod forecast;
mod funder;
mod governance;
mod history;
mod inherit;
mod keys;
mod lookup;
mod member;
mod output;
mod progress;
mod setup;
mod status;
mod threshold;
mod transact;
mod verify;
mod wallet;

use clap::{CommandFactory, FromArgMatches, Parser, Subcommand};
use std::process::ExitCode;

const AFTER_HELP: &str = "\
Examples:
  zkpension demo                              # the whole story on an embedded node
  zkpension setup --out keys                  # Groth16 keys for all statements
  zkpension ceremony init --out ceremony      # start a multi-party setup ceremony
  zkpension circuits --keys keys --json       # constraint counts, inputs, key ids
  zkpension wallet new                        # new wallet (~/.zkpension/wallet.json)
  zkpension wallet show                       # address and account (no secrets)
  zkpension verify proof.json --keys keys     # check a proof file
  zkpension export-snarkjs --keys keys --proof proof.json --out snarkjs/

Without --keys, commands use $ZKPENSION_HOME/keys (default ~/.zkpension/keys).
A member gets the chain's keys with `zkpension keys fetch --node URL`; only
`setup` and `demo` make keys.

Environment: ZKPENSION_HOME, ZKPENSION_KEYS, ZKPENSION_WALLET, ZKPENSION_THREADS.
";

/// zkpension: an anonymous pension fund on a public ledger.
#[derive(Parser, Debug)]
#[command(name = "zkpension", version, after_help = format!("{AFTER_HELP}\n{}", output::EXIT_CODES))]
struct Cli {
    /// Worker threads for proving and key generation [default: all cores]
    #[arg(long, global = true, value_name = "N", env = "ZKPENSION_THREADS",
          value_parser = clap::value_parser!(u16).range(1..))]
    threads: Option<u16>,

    /// Print one JSON document on stdout (errors too: {"error", "exit_code"})
    #[arg(long, global = true)]
    json: bool,

    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand, Debug)]
enum Command {
    Setup(setup::Args),
    #[command(subcommand)]
    Ceremony(ceremony::Command),
    Circuits(circuits::Args),
    #[command(subcommand)]
    Wallet(wallet::Command),
    Verify(verify::Args),
    Audit(audit::Args),
    ExportSnarkjs(export::Args),
    Demo(demo::Args),
    #[command(subcommand)]
    Keys(keys::Command),
    Enroll(member::EnrollArgs),
    Sync(member::SyncArgs),
    Contribute(transact::ContributeArgs),
    Claim(transact::ClaimArgs),
    Attest(transact::AttestArgs),
    Inherit(inherit::InheritArgs),
    Submit(transact::SubmitArgs),
    Balance(member::BalanceArgs),
    History(history::HistoryArgs),
    Forecast(forecast::Args),
    Status(status::Args),
    Governance(governance::Args),
    #[command(subcommand)]
    Tx(lookup::TxCommand),
    CheckAttestation(lookup::CheckAttestationArgs),
    #[command(subcommand)]
    Registrar(authority::RegistrarCommand),
    #[command(subcommand, alias = "admin")]
    Authority(authority::AuthorityCommand),
    #[command(subcommand)]
    Agent(agent::Command),
    #[command(subcommand)]
    Funder(funder::Command),
    /// Print a shell completion script (bash, zsh, fish, elvish, powershell),
    /// e.g. `zkpension completions bash > ~/.local/share/bash-completion/completions/zkpension`
    Completions {
        #[arg(value_enum)]
        shell: clap_complete::Shell,
    },
}

fn main() -> ExitCode {
    let mut command = Cli::command();
    if std::env::args().any(|a| a == "--version") {
        command = command.long_version(long_version());
    }
    let cli = match command
        .try_get_matches()
        .and_then(|m| Cli::from_arg_matches(&m))
    {
        Ok(cli) => cli,
        Err(e) => return usage_error(e),
    };
    let out = output::Output { json: cli.json };
    if let Some(n) = cli.threads {
        if let Err(e) = rayon::ThreadPoolBuilder::new()
            .num_threads(usize::from(n))
            .build_global()
        {
            return out.fail(&anyhow::anyhow!("cannot start {n} threads: {e}"));
        }
    }
    let result = match cli.command {
        Command::Setup(args) => setup::run(args, &out),
        Command::Ceremony(cmd) => ceremony::run(cmd, &out),
        Command::Circuits(args) => circuits::run(args, &out),
        Command::Wallet(cmd) => wallet::run(cmd, &out),
        Command::Verify(args) => verify::run(args, &out),
        Command::Audit(args) => audit::run(args, &out),
        Command::ExportSnarkjs(args) => export::run(args, &out),
        Command::Demo(args) => demo::run(args, &out),
        Command::Keys(cmd) => keys::run(cmd, &out),
        Command::Enroll(args) => member::enroll(args, &out),
        Command::Sync(args) => member::sync(args, &out),
        Command::Contribute(args) => transact::contribute(args, &out),
        Command::Claim(args) => transact::claim(args, &out),
        Command::Attest(args) => transact::attest(args, &out),
        Command::Inherit(args) => inherit::run(args, &out),
        Command::Submit(args) => transact::submit(args, &out),
        Command::Balance(args) => member::balance(args, &out),
        Command::History(args) => history::history(args, &out),
        Command::Forecast(args) => forecast::run(args, &out),
        Command::Status(args) => status::run(args, &out),
        Command::Governance(args) => governance::run(args, &out),
        Command::Tx(cmd) => lookup::tx(cmd, &out),
        Command::CheckAttestation(args) => lookup::check_attestation(args, &out),
        Command::Registrar(cmd) => authority::registrar(cmd, &out),
        Command::Authority(cmd) => authority::authority(cmd, &out),
        Command::Agent(cmd) => agent::run(cmd, &out),
        Command::Funder(cmd) => funder::run(cmd, &out),
        Command::Completions { shell } => {
            clap_complete::generate(
                shell,
                &mut Cli::command(),
                "zkpension",
                &mut std::io::stdout(),
            );
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => out.fail(&e),
    }
}

/// `--version`: the build, the protocol and statement versions, and the
/// verifying-key ids of the key directory in use (if it holds keys).
fn long_version() -> String {
    let dir = std::env::var_os("ZKPENSION_KEYS")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(zkpension_prover::keys::default_keys_dir);
    let mut text = format!(
        "{}\nprotocol version 1 (docs/SPEC.md), statements version {}\n",
        env!("CARGO_PKG_VERSION"),
        zkpension_circuits::statements::STATEMENT_VERSION
    );
    match zkpension_verifier::KeyManifest::read(&dir) {
        Ok(m) => {
            text.push_str(&format!(
                "keys in {}\n  setup: {}\n",
                dir.display(),
                m.setup
            ));
            for (statement, e) in &m.statements {
                text.push_str(&format!("  {statement:<10} vk {}\n", e.vk_id));
            }
        }
        Err(_) => text.push_str(&format!("no keys in {}\n", dir.display())),
    }
    text
}

/// A command line clap refused. With `--json` anywhere on it, the error is
/// also one JSON document on stdout (`{"error", "exit_code": 2}`), like every
/// other error; `--help` and `--version` print as usual.
fn usage_error(e: clap::Error) -> ExitCode {
    use clap::error::ErrorKind;
    let informational = matches!(e.kind(), ErrorKind::DisplayHelp | ErrorKind::DisplayVersion);
    let json = std::env::args().any(|a| a == "--json");
    if informational || !json {
        let _ = e.print();
        return ExitCode::from(u8::try_from(e.exit_code()).unwrap_or(output::EXIT_USAGE));
    }
    let message = e.kind().to_string();
    let detail = e.render().to_string();
    eprint!("{detail}");
    crate::outln!(
        "{}",
        serde_json::json!({ "error": detail.trim(), "kind": message, "exit_code": output::EXIT_USAGE })
    );
    ExitCode::from(output::EXIT_USAGE)
}
