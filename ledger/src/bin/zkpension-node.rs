//! `zkpension-node`: the zkpension ledger node.

use anyhow::{bail, Context, Result};
use clap::{Args, Parser, Subcommand};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zkpension_circuits::binding::ChainId;
use zkpension_core::genesis::{GenesisParams, DEFAULT_ANCHOR_WINDOW};
use zkpension_core::governance::SignerGroup;
use zkpension_core::hexbytes::{FixedBytes, PublicKeyBytes};
use zkpension_core::keyfile::{parse_public_key, Role};
use zkpension_core::subsidy::{Funder, Subsidy};
use zkpension_core::{Genesis, Governance};
use zkpension_ledger::node::{load_keys, Node, NodeConfig, DB_FILE};
use zkpension_ledger::serve::HttpLimits;
use zkpension_ledger::store::{OpenOptions, Store};
use zkpension_verifier::{KeyManifest, VerifierKeys, MANIFEST_FILE};

#[path = "zkpension-node/cluster_cli.rs"]
mod cluster_cli;

const GENESIS_FILE: &str = "genesis.json";
const KEYS_DIR: &str = "keys";

#[derive(Parser)]
#[command(
    name = "zkpension-node",
    version,
    about = "The zkpension ledger node: an anonymous pension fund on a public ledger",
    long_about = "The zkpension ledger node: keeps note commitments, nullifiers and public \
totals, checks a Groth16 proof for every change, and serves an HTTP/JSON API.

Typical use (the registrar's and the authority's keys are made with the
`zkpension` tool, which also signs their transactions):

  zkpension registrar keygen --out registrar.key
  zkpension authority keygen --out authority.key
  zkpension agent keygen --out agent.key
  zkpension-node init --data node --keys keys --chain demo \\
      --registrar registrar.key --authority authority.key \\
      --paying-agent agent.key --cap 1000.00 --min-periods 2 --divisor 240
  zkpension-node run --data node --listen 127.0.0.1:8080

--registrar, --authority and --paying-agent take a key file (only its public
key is read) or a public key in hex. --cap is in currency units with at most
two decimals (1000.00); genesis.json records it in cents (100000)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Write a data directory: genesis.json, a copy of the key files (the
    /// manifest, the verifying keys and, unless --no-proving-keys, the proving
    /// keys, which the node serves to members at GET /v1/keys/{file}) and an
    /// empty ledger database.
    Init(InitArgs),
    /// Run the node on a data directory made by `init`.
    Run(RunArgs),
    /// Start a cluster node from a peer's state snapshot instead of
    /// replaying every block: for a new node (or one far behind) when etcd
    /// no longer holds the early blocks (`run --etcd-keep-blocks`). The
    /// snapshot is checked against its block's state root, and that block
    /// against the chain in etcd, before anything is written. The data
    /// directory needs genesis.json and keys/ of the chain (copy them from
    /// any node, or `init` with the same arguments) and no blocks yet.
    Join(cluster_cli::JoinArgs),
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
    /// Registrar's Ed25519 public key (64 hex digits, with or without 0x), its
    /// key file (only the public key is read), or the group file of a
    /// threshold registrar (`zkpension registrar dkg finish`); it signs
    /// enrollments.
    #[arg(long, value_name = "KEY")]
    registrar: String,
    /// Authority's Ed25519 public key (64 hex digits, with or without 0x), its
    /// key file, or the group file of a threshold authority (`zkpension
    /// authority dkg finish`: genesis then records t-of-n); it advances
    /// epochs and schedules parameter changes.
    #[arg(long, value_name = "KEY")]
    authority: String,
    /// The paying agent's X25519 public key (64 hex digits) or its key file
    /// (`zkpension agent keygen`). Members then seal every claim's recipient
    /// and every payment reference to this key, and the node refuses them in
    /// clear text. Without it the chain's payout details are public.
    #[arg(long, value_name = "KEY")]
    paying_agent: Option<String>,
    /// A funder of the subsidy pool, as NAME=KEY: its Ed25519 public key or
    /// key file (`zkpension funder keygen`). Repeat for several funders (at
    /// most 16); with at least one, the chain has a subsidy pool and
    /// --match-rate is required.
    #[arg(long, value_name = "NAME=KEY", requires = "match_rate")]
    funder: Vec<String>,
    /// Units matched from the subsidy pool per 1000 units a member pays in
    /// (500: 50 cents per unit, like KiwiSaver's government contribution),
    /// 1 to 10000. Fixed by the genesis.
    #[arg(long, value_name = "PER_THOUSAND", requires = "funder")]
    match_rate: Option<u64>,
    /// Epochs without an action by a member (a contribution, a claim or an
    /// attestation) after which the heir the member named may inherit the
    /// account's whole balance (1 to 1000000). Fixed by the genesis. 0 turns
    /// inheritance off on this chain.
    #[arg(long, default_value_t = 60, value_name = "EPOCHS")]
    dormancy: u64,
    /// Largest sum one account may contribute in one epoch, in currency units (e.g. 1000.00)
    #[arg(long, value_parser = zkpension_core::parse_amount)]
    cap: u64,
    /// Epochs with a contribution needed before the first payout.
    #[arg(long)]
    min_periods: u64,
    /// The first pension is ceil(balance / divisor) per epoch.
    #[arg(long)]
    divisor: u64,
    /// Epochs between a parameter change on the ledger and its effect (at
    /// least 1). The genesis also bounds each parameter: the cap within a
    /// tenth and ten times its initial value and at most 10% per change, the
    /// divisor within [120, 480] (or half and twice its initial value) and
    /// at most 10% per change, the vesting period within [1, 480], at most
    /// doubling or halving per change. Edit genesis.json's "governance"
    /// before the first `run` for other bounds.
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=zkpension_core::governance::MAX_MIN_DELAY))]
    min_delay: u64,
    /// Number of recent tree roots accepted as anchors.
    #[arg(long, default_value_t = DEFAULT_ANCHOR_WINDOW)]
    anchor_window: u64,
    /// The ledger's first epoch.
    #[arg(long, default_value_t = 1)]
    initial_epoch: u64,
    /// Do not copy the proving keys (*.pk): the node then serves only the
    /// manifest and the verifying keys.
    #[arg(long)]
    no_proving_keys: bool,
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
    /// At start, re-apply every stored block and compare every table with
    /// what the blocks give (hash links, transaction roots, state roots,
    /// every rule), instead of starting from the last commit. Its time and
    /// memory grow with the history: for an operator who suspects the disk.
    #[arg(long)]
    check_store: bool,
    /// With --check-store, verify the proofs of every stored block too
    /// (implies --check-store).
    #[arg(long)]
    verify_proofs: bool,
    /// Most HTTP connections served at once; more are answered 503.
    #[arg(long, default_value_t = HttpLimits::default().max_connections)]
    max_connections: usize,
    /// Seconds a client has to send a request's head, and its body.
    #[arg(long, default_value_t = HttpLimits::default().header_timeout.as_secs())]
    request_timeout_secs: u64,
    /// Seconds after which a connection without traffic is closed.
    #[arg(long, default_value_t = HttpLimits::default().idle_timeout.as_secs())]
    idle_timeout_secs: u64,
    /// Print the start-up line as JSON.
    #[arg(long)]
    json: bool,
    #[command(flatten)]
    cluster: cluster_cli::ClusterArgs,
}

/// Logs to stderr, filtered by ZKPENSION_LOG or RUST_LOG (default info).
fn init_logging() {
    use tracing_subscriber::EnvFilter;
    let filter = EnvFilter::try_from_env("ZKPENSION_LOG")
        .or_else(|_| EnvFilter::try_from_default_env())
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

fn main() {
    let cli = Cli::parse();
    init_logging();
    let result = match cli.command {
        Command::Init(a) => init(a),
        Command::Run(a) => run(a),
        Command::Join(a) => cluster_cli::join(a),
    };
    if let Err(e) = result {
        eprintln!("zkpension-node: {e:#}");
        std::process::exit(1);
    }
}

/// The files of `dir` that may be key files (`*.key`, `*.json`).
fn key_files_in(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return Vec::new();
    };
    entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.is_file() && p.extension().is_some_and(|x| x == "key" || x == "json"))
        .collect()
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

/// A public key as `parse_public_key` reads it, or a threshold group file
/// (`zkpension ROLE dkg finish`): its key and t-of-n.
fn parse_key_or_group(
    what: &str,
    arg: &str,
    role: Role,
    known: &[&Path],
) -> Result<(PublicKeyBytes, SignerGroup)> {
    let path = Path::new(arg);
    if path.is_file() {
        let text = std::fs::read_to_string(path).with_context(|| format!("reading {arg}"))?;
        if text.contains(zkpension_threshold::FORMAT) {
            let group: zkpension_threshold::GroupKey =
                zkpension_threshold::parse_for(&text, &role.to_string())
                    .with_context(|| format!("{what} {arg}"))?;
            let signers = SignerGroup {
                threshold: group.min_signers(),
                signers: group.max_signers(),
            };
            return Ok((FixedBytes(group.ed25519_public_key()), signers));
        }
    }
    Ok((
        parse_public_key(what, arg, role, known)?,
        SignerGroup::SINGLE,
    ))
}

fn init(a: InitArgs) -> Result<()> {
    if a.data.join(GENESIS_FILE).exists() || a.data.join(DB_FILE).exists() {
        bail!("{} already holds a node", a.data.display());
    }
    let keys = VerifierKeys::load_dir(&a.keys)
        .with_context(|| format!("loading verifying keys from {}", a.keys.display()))?;
    // A secret key pasted where a public key belongs would be published in
    // genesis.json: compare with the key files in sight.
    let known = key_files_in(Path::new("."));
    let known: Vec<&Path> = known.iter().map(PathBuf::as_path).collect();
    let (registrar, registrar_group) =
        parse_key_or_group("--registrar", &a.registrar, Role::Registrar, &known)?;
    // The ceremony that made the keys, if any, is pinned in genesis.
    let manifest = KeyManifest::read(&a.keys)?;
    let ceremony = match &manifest.ceremony {
        Some(c) => Some(FixedBytes(
            zkpension_verifier::id_from_hex(&c.transcript_hash)
                .context("the key manifest's ceremony transcript hash")?,
        )),
        None => None,
    };
    let (authority, authority_group) =
        parse_key_or_group("--authority", &a.authority, Role::Authority, &known)?;
    let paying_agent = a
        .paying_agent
        .as_deref()
        .map(|k| parse_public_key("--paying-agent", k, Role::PayingAgent, &known))
        .transpose()?;
    let mut funders = Vec::with_capacity(a.funder.len());
    for f in &a.funder {
        let (name, key) = f
            .split_once('=')
            .with_context(|| format!("--funder {f}: expected NAME=KEY"))?;
        let key = parse_public_key(&format!("--funder {name}"), key, Role::Funder, &known)?;
        funders.push(Funder {
            name: name.to_string(),
            key,
        });
    }
    let subsidy = a.match_rate.map(|match_rate| Subsidy {
        match_rate,
        funders,
    });
    let initial = zkpension_core::Params {
        cap: a.cap,
        min_periods: a.min_periods,
        divisor: a.divisor,
    };
    let mut governance = Governance::defaults_for(&initial);
    governance.min_delay = a.min_delay;
    governance.authority_group = authority_group;
    governance.registrar_group = registrar_group;
    let genesis = Genesis {
        governance: Some(governance),
        chain_id: a.chain.id(),
        registrar,
        authority,
        params: GenesisParams {
            cap: a.cap,
            min_periods: a.min_periods,
            divisor: a.divisor,
            anchor_window: a.anchor_window,
        },
        initial_epoch: a.initial_epoch,
        paying_agent,
        ceremony,
        subsidy,
        dormancy: (a.dormancy != 0).then_some(a.dormancy),
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
    // The manifest, the verifying keys and (for members to download) the
    // proving keys, each checked against the manifest's size and hash.
    for s in zkpension_circuits::Statement::ALL {
        let entry = manifest.entry(s)?;
        let mut files = vec![(entry.vk_file.clone(), manifest.read_vk(&a.keys, s)?)];
        if !a.no_proving_keys {
            let pk = manifest.read_pk(&a.keys, s).with_context(|| {
                format!(
                    "copying the {s} proving key from {} (pass --no-proving-keys to set up a \
                     node that serves only the verifying keys)",
                    a.keys.display()
                )
            })?;
            files.push((entry.pk_file.clone(), pk));
        }
        for (name, bytes) in files {
            if name.contains(['/', '\\']) || name.starts_with('.') {
                bail!("the key manifest names {name:?}, not a plain file name");
            }
            std::fs::write(keys_out.join(&name), bytes)
                .with_context(|| format!("writing {}", keys_out.join(&name).display()))?;
        }
    }
    std::fs::copy(a.keys.join(MANIFEST_FILE), keys_out.join(MANIFEST_FILE))?;
    let keys = load_keys(&keys_out, &genesis).context("checking the copied keys")?;

    // The database, so that `run` can tell a lost database from a new one.
    Store::open_checked(
        &a.data.join(DB_FILE),
        &genesis,
        &keys,
        OpenOptions {
            create: true,
            ..OpenOptions::default()
        },
    )
    .context("creating the ledger database")?;

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
        // --cap took cents before it took currency units: say how it was read.
        println!(
            "cap {} per account and epoch (genesis.json records {} cents); first pension = ceil(balance / {}) after {} contributing epochs",
            zkpension_core::format_amount(genesis.params.cap),
            genesis.params.cap,
            genesis.params.divisor,
            genesis.params.min_periods,
        );
        match &genesis.paying_agent {
            Some(k) => println!("payout details are sealed to the paying agent {k}"),
            None => println!(
                "no paying agent: claims' recipients and payment references will be PUBLIC (see --paying-agent)"
            ),
        }
        let g = genesis.governance_rules();
        println!(
            "authority {} ({}), registrar {} ({}); parameter changes take effect {} epoch(s) after they are on the ledger, within the bounds in genesis.json",
            genesis.authority, g.authority_group, genesis.registrar, g.registrar_group, g.min_delay
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
    if genesis.ceremony.is_none() {
        eprintln!(
            "warning: this chain's genesis pins verifying keys from a single-party setup: \
             whoever made them could forge proofs (make production keys with `zkpension ceremony`)"
        );
    }
    let cluster = a.cluster.config(&genesis)?;
    let mut config = NodeConfig::new(a.data.clone(), genesis, a.data.join(KEYS_DIR));
    config.cluster = cluster;
    config.listen = a.listen;
    config.block_interval = Duration::from_millis(a.block_interval_ms);
    config.max_block_txs = a.max_block_txs;
    config.mempool_capacity = a.mempool;
    config.verify_threads = a.threads;
    config.create_db = false;
    config.verify_proofs_at_start = a.verify_proofs;
    config.check_store_at_start = a.check_store;
    config.http = HttpLimits {
        max_connections: a.max_connections,
        header_timeout: Duration::from_secs(a.request_timeout_secs),
        body_timeout: Duration::from_secs(a.request_timeout_secs),
        idle_timeout: Duration::from_secs(a.idle_timeout_secs),
    };
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
