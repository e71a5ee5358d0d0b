//! An embeddable ledger node: storage, mempool, block producer and HTTP API.
//!
//! ```no_run
//! use zkpension_ledger::node::{Node, NodeConfig};
//! use zkpension_ledger::Genesis;
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let genesis = Genesis::from_json(&std::fs::read_to_string("genesis.json")?)?;
//! let config = NodeConfig::new("data".into(), genesis, "keys".into());
//! let node = Node::start(config)?; // listens on 127.0.0.1:<free port>
//! println!("API at {}", node.url());
//! node.shutdown()?;
//! # Ok(())
//! # }
//! ```
//!
//! The node runs on its own thread with its own tokio runtime, so a
//! synchronous program (the CLI's `zkpension demo`, a test) can embed it.
//! Blocks are produced every `block_interval` when transactions are queued
//! (no empty blocks), with at most `max_block_txs` each. Every proof is
//! verified before its submission is answered (in micro-batches of concurrent
//! submissions, [`crate::admission`]) and again, in one batch per block, when
//! the block is made.
//!
//! The HTTP server ([`crate::serve`]) limits concurrent connections and
//! times out slow or idle clients; refused submissions are limited per client
//! address ([`crate::limiter`]). Logs go through `tracing`: a start line, one
//! line per block, one per refused submission, warnings on storage errors.

use crate::cluster::ClusterConfig;
use crate::limiter::RefusalLimits;
use crate::node_core::{NodeCore, Produced, DEFAULT_ADMISSION_WINDOW};
use crate::serve::HttpLimits;
use crate::store::{OpenOptions, Store, StoreError};
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::watch;
use zkpension_core::block::MAX_BLOCK_TXS;
use zkpension_core::{Genesis, GenesisError};
use zkpension_verifier::{KeyError, VerifierKeys};

/// Name of the database file inside the data directory.
pub const DB_FILE: &str = "ledger.redb";

/// How to run a node.
#[derive(Clone, Debug)]
pub struct NodeConfig {
    /// Holds the database, [`DB_FILE`].
    pub data_dir: PathBuf,
    pub genesis: Genesis,
    /// A key directory (manifest and `.vk` files) whose verifying-key ids are
    /// the genesis's.
    pub keys_dir: PathBuf,
    /// Address to listen on; port 0 picks a free port ([`Node::addr`]).
    pub listen: SocketAddr,
    /// Time between blocks while transactions are queued.
    pub block_interval: Duration,
    /// Most transactions per block.
    pub max_block_txs: usize,
    /// Most queued transactions; more are refused with 503.
    pub mempool_capacity: usize,
    /// Threads verifying proofs; `None` uses rayon's global pool.
    pub verify_threads: Option<usize>,
    /// How long a submission waits for others to verify its proof with.
    pub admission_window: Duration,
    /// Per-client limits on refused submissions.
    pub refusal_limits: RefusalLimits,
    /// Connection limit and timeouts of the HTTP server.
    pub http: HttpLimits,
    /// Create the database if it is missing. A data directory that was
    /// initialised (the binary's `init` creates the database) sets this to
    /// false, so a lost database is refused rather than silently replaced by
    /// an empty ledger.
    pub create_db: bool,
    /// At start, re-apply every stored block and compare every table with
    /// them, instead of starting from the last commit ([`OpenOptions`]).
    pub check_store_at_start: bool,
    /// With the check at start, verify the proofs of every stored block
    /// as well (implies `check_store_at_start`).
    pub verify_proofs_at_start: bool,
    /// Join a cluster ordered by etcd ([`crate::cluster`]) instead of
    /// producing blocks alone.
    pub cluster: Option<ClusterConfig>,
}

impl NodeConfig {
    /// Defaults: 127.0.0.1:0, a block every 500 ms of at most 1024
    /// transactions, 65536 queued transactions, rayon's global pool.
    pub fn new(data_dir: PathBuf, genesis: Genesis, keys_dir: PathBuf) -> Self {
        NodeConfig {
            data_dir,
            genesis,
            keys_dir,
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            block_interval: Duration::from_millis(500),
            max_block_txs: 1024,
            mempool_capacity: 1 << 16,
            verify_threads: None,
            admission_window: DEFAULT_ADMISSION_WINDOW,
            refusal_limits: RefusalLimits::default(),
            http: HttpLimits::default(),
            create_db: true,
            check_store_at_start: false,
            verify_proofs_at_start: false,
            cluster: None,
        }
    }
}

/// Why a node could not start or stopped.
#[derive(Debug, Error)]
pub enum NodeError {
    // The causes are shown in the message, not chained as sources, so a
    // report of the whole chain does not say them twice.
    #[error("genesis: {0}")]
    Genesis(GenesisError),
    #[error("verifying keys: {0}")]
    Keys(KeyError),
    #[error("storage: {0}")]
    Store(StoreError),
    #[error("{what}: {source}")]
    Io {
        what: String,
        #[source]
        source: std::io::Error,
    },
    #[error("invalid configuration: {0}")]
    Config(String),
    #[error("the node's thread panicked")]
    Panicked,
    /// A cluster node stopped (fail-stop, see [`crate::cluster`]).
    #[error("cluster: {0}")]
    Cluster(#[from] crate::cluster::ClusterError),
}

macro_rules! node_errors {
    ($($variant:ident($t:ty)),*) => {$(
        impl From<$t> for NodeError {
            fn from(e: $t) -> Self {
                NodeError::$variant(e)
            }
        }
    )*};
}
node_errors!(Genesis(GenesisError), Keys(KeyError), Store(StoreError));

/// A running node.
pub struct Node {
    addr: SocketAddr,
    shutdown: Option<watch::Sender<bool>>,
    /// True once the node's thread has finished (a cluster node halts).
    done: watch::Receiver<bool>,
    thread: Option<std::thread::JoinHandle<Result<(), NodeError>>>,
    handle: tokio::runtime::Handle,
}

impl std::fmt::Debug for Node {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Node").field("addr", &self.addr).finish()
    }
}

fn io(what: impl Into<String>) -> impl FnOnce(std::io::Error) -> NodeError {
    let what = what.into();
    move |source| NodeError::Io { what, source }
}

/// The verifying keys of `keys_dir`, pinned to the genesis's ids.
pub fn load_keys(keys_dir: &Path, genesis: &Genesis) -> Result<VerifierKeys, NodeError> {
    let ids: BTreeMap<_, [u8; 32]> = genesis
        .verifying_keys
        .iter()
        .map(|(s, id)| (*s, id.0))
        .collect();
    Ok(VerifierKeys::load_dir_expecting(keys_dir, &ids)?)
}

impl Node {
    /// Opens the data directory (creating it), loads the state from the last
    /// commit (or re-applies every stored block and checks every table
    /// against them, if the configuration asks: see [`Store::open_checked`]),
    /// loads the queued transactions, binds the listener and starts serving.
    /// Returns once the API accepts connections.
    pub fn start(config: NodeConfig) -> Result<Node, NodeError> {
        if config.max_block_txs == 0 || config.max_block_txs > MAX_BLOCK_TXS {
            return Err(NodeError::Config(format!(
                "max_block_txs must be between 1 and {}",
                MAX_BLOCK_TXS
            )));
        }
        if config.mempool_capacity == 0 {
            return Err(NodeError::Config(
                "mempool_capacity must be at least 1".into(),
            ));
        }
        config.genesis.validate()?;
        let keys = load_keys(&config.keys_dir, &config.genesis)?;
        std::fs::create_dir_all(&config.data_dir)
            .map_err(io(format!("creating {}", config.data_dir.display())))?;
        let (store, state) = Store::open_checked(
            &config.data_dir.join(DB_FILE),
            &config.genesis,
            &keys,
            OpenOptions {
                create: config.create_db,
                replay: config.check_store_at_start,
                verify_proofs: config.verify_proofs_at_start,
            },
        )?;
        let pool = match config.verify_threads {
            Some(n) => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("zkpension-verify-{i}"))
                    .build()
                    .map_err(|e| NodeError::Config(format!("verifier threads: {e}")))?,
            ),
            None => None,
        };
        let mut core = NodeCore::new(
            keys,
            store,
            state,
            config.mempool_capacity,
            config.max_block_txs,
            pool,
        )?
        .with_admission_window(config.admission_window)
        .with_refusal_limits(config.refusal_limits)
        .with_keys_dir(&config.keys_dir);
        let cluster = match config.cluster.clone() {
            Some(c) => {
                let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
                core.forward = Some(tx);
                Some((c, rx))
            }
            None => None,
        };
        let core = Arc::new(core);

        let listener = std::net::TcpListener::bind(config.listen)
            .map_err(io(format!("binding {}", config.listen)))?;
        listener
            .set_nonblocking(true)
            .map_err(io("configuring the listener"))?;
        let addr = listener
            .local_addr()
            .map_err(io("reading the bound address"))?;
        {
            let status = core.status();
            let vks: Vec<String> = status
                .verifying_keys
                .iter()
                .map(|(s, id)| format!("{}={}", s.name(), &id.to_string()[..18]))
                .collect();
            tracing::info!(
                "zkpension-node: chain 0x{}, genesis {}, height {}, verifying keys {}, listening on http://{addr}",
                hex::encode(status.chain_id.0),
                status.genesis_hash,
                status.height,
                vks.join(" "),
            );
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("zkpension-node")
            .enable_all()
            .build()
            .map_err(io("starting the runtime"))?;
        let handle = runtime.handle().clone();
        let (shutdown_tx, shutdown_rx) = watch::channel(false);
        let interval = config.block_interval;
        let http = config.http;
        let listener = {
            let _guard = runtime.enter();
            tokio::net::TcpListener::from_std(listener).map_err(io("registering the listener"))?
        };
        let (done_tx, done) = watch::channel(false);
        let url = format!("http://{addr}");
        let thread = std::thread::Builder::new()
            .name("zkpension-node".into())
            .spawn(move || {
                let r = runtime.block_on(run(
                    core,
                    listener,
                    interval,
                    http,
                    shutdown_rx,
                    cluster,
                    url,
                ));
                let _ = done_tx.send(true);
                r
            })
            .map_err(io("spawning the node thread"))?;
        Ok(Node {
            addr,
            shutdown: Some(shutdown_tx),
            done,
            thread: Some(thread),
            handle,
        })
    }

    /// The address the API listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://<addr>`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Blocks until SIGINT (Ctrl-C) or SIGTERM, or until a cluster node
    /// halts, then shuts down.
    pub fn run_until_signal(self) -> Result<(), NodeError> {
        let mut done = self.done.clone();
        self.handle.block_on(async {
            #[cfg(unix)]
            {
                let mut term =
                    tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
                        .map_err(io("installing the SIGTERM handler"))?;
                tokio::select! {
                    r = tokio::signal::ctrl_c() => r.map_err(io("waiting for Ctrl-C"))?,
                    _ = term.recv() => {}
                    _ = done.wait_for(|d| *d) => {}
                }
            }
            #[cfg(not(unix))]
            tokio::signal::ctrl_c()
                .await
                .map_err(io("waiting for Ctrl-C"))?;
            Ok::<(), NodeError>(())
        })?;
        self.shutdown()
    }

    /// Whether the node stopped by itself (a cluster node that halted);
    /// [`Node::shutdown`] then returns why.
    pub fn stopped(&self) -> bool {
        *self.done.borrow()
    }

    /// Stops accepting requests, lets the block being produced finish, and
    /// waits for the node's thread.
    pub fn shutdown(mut self) -> Result<(), NodeError> {
        self.stop()
    }

    fn stop(&mut self) -> Result<(), NodeError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(true);
        }
        match self.thread.take() {
            Some(t) => t.join().map_err(|_| NodeError::Panicked)?,
            None => Ok(()),
        }
    }
}

impl Drop for Node {
    fn drop(&mut self) {
        let _ = self.stop();
    }
}

async fn run(
    core: Arc<NodeCore>,
    listener: tokio::net::TcpListener,
    interval: Duration,
    http: HttpLimits,
    shutdown: watch::Receiver<bool>,
    cluster: Option<(
        ClusterConfig,
        tokio::sync::mpsc::UnboundedReceiver<zkpension_core::Transaction>,
    )>,
    url: String,
) -> Result<(), NodeError> {
    let Some((config, forward)) = cluster else {
        let producer = tokio::spawn(produce(core.clone(), interval, shutdown.clone()));
        let app = crate::api::router(core, http.body_timeout, crate::explorer::router());
        crate::serve::serve(listener, app, http, shutdown).await;
        // The producer stops after the block it may be producing.
        let _ = producer.await;
        return Ok(());
    };
    // A cluster node: the API stops with the node, or when the node halts.
    let (stop_tx, stop) = watch::channel(false);
    let replica = {
        let core = core.clone();
        let stop = stop.clone();
        tokio::spawn(async move {
            crate::cluster::run(core, config, url, interval, forward, stop).await
        })
    };
    let app = crate::api::router(core, http.body_timeout, crate::explorer::router());
    let server = crate::serve::serve(listener, app, http, stop);
    let mut shutdown = shutdown;
    let mut replica = replica;
    let stopper = async move {
        tokio::select! {
            _ = shutdown.wait_for(|s| *s) => {
                let _ = stop_tx.send(true);
                (&mut replica).await
            }
            r = &mut replica => {
                let _ = stop_tx.send(true);
                r
            }
        }
    };
    let ((), result) = tokio::join!(server, stopper);
    match result {
        Ok(r) => Ok(r?),
        Err(_) => Err(NodeError::Panicked),
    }
}

async fn produce(core: Arc<NodeCore>, interval: Duration, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(interval) => {}
            _ = core.wake.notified() => {}
            _ = shutdown.wait_for(|stop| *stop) => return,
        }
        loop {
            let c = core.clone();
            let more = match tokio::task::spawn_blocking(move || c.produce_block()).await {
                Ok(Ok(produced)) => {
                    core.set_last_error(None);
                    log_block(&produced);
                    produced.more
                }
                Ok(Err(e)) => {
                    tracing::warn!("block production: {e}");
                    core.set_last_error(Some(format!("block production: {e}")));
                    false
                }
                Err(e) => {
                    tracing::warn!("block production panicked: {e}");
                    core.set_last_error(Some(format!("block production panicked: {e}")));
                    false
                }
            };
            if !more || *shutdown.borrow() {
                break;
            }
        }
    }
}

fn log_block(p: &Produced) {
    if let Some(b) = &p.block {
        tracing::info!(
            "block {}: {} transactions, state root {}, {} ms{}",
            b.height,
            b.txs,
            &b.state_root.to_string()[..18],
            b.elapsed.as_millis(),
            if p.dropped > 0 {
                format!(", {} left out", p.dropped)
            } else {
                String::new()
            }
        );
    } else if p.dropped > 0 {
        tracing::info!(
            "no block: the {} queued transactions are no longer valid and were dropped",
            p.dropped
        );
    }
}
