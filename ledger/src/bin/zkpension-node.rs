//! `zkpension-node`: the zkpension ledger node.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use ed25519_dalek::SigningKey;
use rand_core::OsRng;
use serde::{Deserialize, Serialize};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zkpension_circuits::binding::ChainId;
use zkpension_core::genesis::{GenesisParams, DEFAULT_ANCHOR_WINDOW};
use zkpension_core::hexbytes::FixedBytes;
use zkpension_ledger::node::{load_keys, Node, NodeConfig, DB_FILE};
use zkpension_core::tx::{AdvanceEpoch, Enroll, SetParams, Transaction};
use zkpension_core::{Genesis, Params};
use zkpension_verifier::{vk_file_name, KeyManifest, VerifierKeys, MANIFEST_FILE};

const GENESIS_FILE: &str = "genesis.json";
const KEYS_DIR: &str = "keys";

#[derive(Parser)]
#[command(
    name = "zkpension-node",
    version,
    about = "The zkpension ledger node: an anonymous pension fund on a public ledger",
    long_about = "The zkpension ledger node: keeps note commitments, nullifiers and public \
totals, checks a Groth16 proof for every change, and serves an HTTP/JSON API.

Typical use:

  zkpension-node keygen --out registrar.json
  zkpension-node keygen --out authority.json
  zkpension-node init --data node --keys keys --chain demo \\
      --registrar 0x<registrar public key> --authority 0x<authority public key> \\
      --cap 100000 --min-periods 2 --divisor 240
  zkpension-node run --data node --listen 127.0.0.1:8080

The authority moves the ledger to the next epoch with
  zkpension-node sign advance-epoch --key authority.json --chain demo --epoch 2 --nonce 0 \\
    | curl -d @- -H 'content-type: application/json' http://127.0.0.1:8080/v1/tx"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a data directory: genesis.json and a copy of the verifying keys.
    Init(InitArgs),
    /// Run the node on a data directory made by `init`.
    Run(RunArgs),
    /// Generate an Ed25519 key for the registrar or the authority.
    Keygen(KeygenArgs),
    /// Sign an enrollment (registrar) or an authority transaction and print its JSON.
    #[command(subcommand)]
    Sign(SignCommand),
}

#[derive(Args)]
struct InitArgs {
    /// Data directory to create.
    #[arg(long)]
    data: PathBuf,
    /// Key directory (manifest.json and the .vk files, as `zkpension setup` writes).
    #[arg(long)]
    keys: PathBuf,
    #[command(flatten)]
    chain: ChainArgs,
    /// Registrar's Ed25519 public key (0x + 64 hex digits); it signs enrollments.
    #[arg(long)]
    registrar: FixedBytes<32>,
    /// Authority's Ed25519 public key (0x + 64 hex digits); it advances epochs and sets parameters.
    #[arg(long)]
    authority: FixedBytes<32>,
    /// Largest sum one account may contribute in one epoch (atomic units).
    #[arg(long)]
    cap: u64,
    /// Epochs with a contribution needed before the first payout.
    #[arg(long)]
    min_periods: u64,
    /// The first pension is ceil(balance / divisor) per epoch.
    #[arg(long)]
    divisor: u64,
    /// Number of recent tree roots accepted as anchors.
    #[arg(long, default_value_t = DEFAULT_ANCHOR_WINDOW)]
    anchor_window: u64,
    /// The ledger's first epoch.
    #[arg(long, default_value_t = 1)]
    initial_epoch: u64,
    /// Print the genesis as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args, Clone)]
struct ChainArgs {
    /// Chain name; the chain id is SHA-256("zkpension/v1/chain" || name).
    #[arg(
        long,
        conflicts_with = "chain_id",
        required_unless_present = "chain_id"
    )]
    chain: Option<String>,
    /// Chain id (0x + 64 hex digits), instead of --chain.
    #[arg(long)]
    chain_id: Option<FixedBytes<32>>,
}

impl ChainArgs {
    fn id(&self) -> ChainId {
        match (&self.chain, &self.chain_id) {
            (_, Some(id)) => ChainId(id.0),
            (Some(name), None) => ChainId::from_name(name),
            (None, None) => unreachable!("clap requires --chain or --chain-id"),
        }
    }
}

#[derive(Args)]
struct RunArgs {
    /// Data directory made by `init`.
    #[arg(long)]
    data: PathBuf,
    /// Address to listen on (port 0 picks a free port, printed at start).
    #[arg(long, default_value = "127.0.0.1:8080")]
    listen: SocketAddr,
    /// Time between blocks while transactions are queued.
    #[arg(long, default_value_t = 500)]
    block_interval_ms: u64,
    /// Most transactions per block.
    #[arg(long, default_value_t = 1024)]
    max_block_txs: usize,
    /// Most queued transactions.
    #[arg(long, default_value_t = 65536)]
    mempool: usize,
    /// Threads verifying proofs (default: one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// Print the start-up line as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct KeygenArgs {
    /// File to write the key to (JSON with the secret key; created with mode 0600).
    #[arg(long)]
    out: PathBuf,
    /// Print the public key as JSON.
    #[arg(long)]
    json: bool,
}

#[derive(Subcommand)]
enum SignCommand {
    /// Registrar: enroll a member's note commitment.
    Enroll {
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        chain: ChainArgs,
        /// The new member's note commitment (0x + 64 hex digits).
        #[arg(long)]
        cm: String,
    },
    /// Authority: move the ledger to a later epoch.
    AdvanceEpoch {
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        chain: ChainArgs,
        #[arg(long)]
        epoch: u64,
        /// The ledger's authority nonce (`authority_nonce` in GET /v1/status).
        #[arg(long)]
        nonce: u64,
    },
    /// Authority: parameters in force from the next epoch.
    SetParams {
        #[arg(long)]
        key: PathBuf,
        #[command(flatten)]
        chain: ChainArgs,
        #[arg(long)]
        cap: u64,
        #[arg(long)]
        min_periods: u64,
        #[arg(long)]
        divisor: u64,
        #[arg(long)]
        nonce: u64,
    },
}

/// A registrar or authority key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    public_key: FixedBytes<32>,
    secret_key: FixedBytes<32>,
}

fn main() {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Init(a) => init(a),
        Command::Run(a) => run(a),
        Command::Keygen(a) => keygen(a),
        Command::Sign(s) => sign(s),
    };
    if let Err(e) = result {
        eprintln!("zkpension-node: {e:#}");
        std::process::exit(1);
    }
}

fn read_genesis(data: &Path) -> Result<Genesis> {
    let path = data.join(GENESIS_FILE);
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "reading {} (run `zkpension-node init` first)",
            path.display()
        )
    })?;
    Genesis::from_json(&text).with_context(|| format!("parsing {}", path.display()))
}

fn init(a: InitArgs) -> Result<()> {
    if a.data.join(GENESIS_FILE).exists() || a.data.join(DB_FILE).exists() {
        bail!("{} already holds a node", a.data.display());
    }
    let keys = VerifierKeys::load_dir(&a.keys)
        .with_context(|| format!("loading verifying keys from {}", a.keys.display()))?;
    let genesis = Genesis {
        chain_id: a.chain.id(),
        registrar: a.registrar,
        authority: a.authority,
        params: GenesisParams {
            cap: a.cap,
            min_periods: a.min_periods,
            divisor: a.divisor,
            anchor_window: a.anchor_window,
        },
        initial_epoch: a.initial_epoch,
        verifying_keys: keys
            .ids()
            .into_iter()
            .map(|(s, id)| (s, FixedBytes(id)))
            .collect(),
    };
    genesis.validate().context("invalid genesis")?;

    let keys_out = a.data.join(KEYS_DIR);
    std::fs::create_dir_all(&keys_out)
        .with_context(|| format!("creating {}", keys_out.display()))?;
    // Only the manifest and the verifying keys: a node never needs the
    // proving keys.
    let manifest = KeyManifest::read(&a.keys)?;
    for s in zkpension_circuits::Statement::ALL {
        let bytes = manifest.read_vk(&a.keys, s)?;
        std::fs::write(keys_out.join(vk_file_name(s)), bytes)?;
    }
    std::fs::copy(a.keys.join(MANIFEST_FILE), keys_out.join(MANIFEST_FILE))?;
    load_keys(&keys_out, &genesis).context("checking the copied keys")?;

    let json = serde_json::to_string_pretty(&genesis)? + "\n";
    std::fs::write(a.data.join(GENESIS_FILE), &json)?;
    if a.json {
        print!("{json}");
    } else {
        println!(
            "initialized {} (genesis {})",
            a.data.display(),
            genesis.hash()
        );
        println!(
            "start it with: zkpension-node run --data {}",
            a.data.display()
        );
    }
    Ok(())
}

fn run(a: RunArgs) -> Result<()> {
    let genesis = read_genesis(&a.data)?;
    let mut config = NodeConfig::new(a.data.clone(), genesis, a.data.join(KEYS_DIR));
    config.listen = a.listen;
    config.block_interval = Duration::from_millis(a.block_interval_ms);
    config.max_block_txs = a.max_block_txs;
    config.mempool_capacity = a.mempool;
    config.verify_threads = a.threads;
    let node = Node::start(config)?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({ "event": "listening", "addr": node.addr(), "url": node.url() })
        );
    } else {
        println!("zkpension-node listening on {}", node.url());
    }
    use std::io::Write;
    std::io::stdout().flush()?;
    node.run_until_signal()?;
    Ok(())
}

fn keygen(a: KeygenArgs) -> Result<()> {
    if a.out.exists() {
        bail!("{} exists; refusing to overwrite a key", a.out.display());
    }
    let key = SigningKey::generate(&mut OsRng);
    let file = KeyFile {
        public_key: FixedBytes(key.verifying_key().to_bytes()),
        secret_key: FixedBytes(key.to_bytes()),
    };
    let json = serde_json::to_string_pretty(&file)? + "\n";
    write_private(&a.out, json.as_bytes())?;
    if a.json {
        println!("{}", serde_json::json!({ "public_key": file.public_key }));
    } else {
        println!(
            "public key {} (secret key in {})",
            file.public_key,
            a.out.display()
        );
    }
    Ok(())
}

#[cfg(unix)]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    use std::io::Write;
    use std::os::unix::fs::OpenOptionsExt;
    let mut f = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .with_context(|| format!("creating {}", path.display()))?;
    f.write_all(bytes)?;
    f.sync_all()?;
    Ok(())
}

#[cfg(not(unix))]
fn write_private(path: &Path, bytes: &[u8]) -> Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("writing {}", path.display()))
}

fn read_key(path: &Path) -> Result<SigningKey> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let file: KeyFile =
        serde_json::from_str(&text).with_context(|| format!("parsing {}", path.display()))?;
    let key = SigningKey::from_bytes(&file.secret_key.0);
    if key.verifying_key().to_bytes() != file.public_key.0 {
        bail!(
            "{}: the public key does not match the secret key",
            path.display()
        );
    }
    Ok(key)
}

fn sign(s: SignCommand) -> Result<()> {
    let tx: Transaction = match s {
        SignCommand::Enroll { key, chain, cm } => {
            let cm = zkpension_circuits::field::from_hex(&cm).context("--cm")?;
            Enroll::sign(&chain.id(), cm, &read_key(&key)?).into()
        }
        SignCommand::AdvanceEpoch {
            key,
            chain,
            epoch,
            nonce,
        } => AdvanceEpoch::sign(&chain.id(), epoch, nonce, &read_key(&key)?).into(),
        SignCommand::SetParams {
            key,
            chain,
            cap,
            min_periods,
            divisor,
            nonce,
        } => {
            let params = Params {
                cap,
                min_periods,
                divisor,
            };
            params.validate()?;
            SetParams::sign(&chain.id(), params, nonce, &read_key(&key)?).into()
        }
    };
    println!("{}", serde_json::to_string(&tx)?);
    Ok(())
}
