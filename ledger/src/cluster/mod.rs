//! Several nodes on one ledger: blocks ordered by etcd, executed by every
//! node (`docs/CLUSTER.md`).
//!
//! etcd (Raft, strictly serializable) only orders and stores block bytes;
//! every node keeps its own redb state and re-executes every block with full
//! checks (every proof, the transaction and state roots, the link to the
//! previous block). Keys, under a prefix derived from the genesis hash
//! ([`default_prefix`]):
//!
//! - `<prefix>/leader`: the producer's election key, attached to its lease;
//! - `<prefix>/block/<height, 20 digits>`: the canonical encoding of a block;
//! - `<prefix>/mempool/<txid hex>`: a submitted transaction, attached to the
//!   lease of the node that received it.
//!
//! The producer appends block `h` with one etcd transaction
//! ([`append_block`]) whose guards are: its election key still exists with
//! the create-revision it got when it won, and the block key does not exist.
//! Only then does it commit the block to its own database; a refused append
//! discards the block, and the node steps down and follows. This fences a
//! paused or partitioned ex-producer: once its lease expired its key is gone
//! (or belongs to a successor, with another create-revision), so its append
//! fails however late it comes.
//!
//! Followers watch `<prefix>/block/` from the revision after their last
//! applied block (persisted with the block in one redb transaction) and
//! apply each block with [`crate::State::check_block`]. A block that does not
//! apply (a bad proof, link or state root), a gap, or a block that differs
//! from one the node already has stops the node with an error naming the
//! height: it never serves a fork.

mod etcd;
mod forward;
mod join;
mod produce;
mod replica;

pub use etcd::{
    append_block, block_key, campaign, connect, connect_with, default_prefix, leader_key,
    mempool_key, parse_block_key, Election, EtcdAccess, DEFAULT_LEASE_TTL, DEFAULT_MEMPOOL_TTL,
    MAX_CLUSTER_BLOCK_BYTES, MAX_TXN_OPS,
};

pub use join::{join, JoinError, Joined};

use crate::node_core::NodeCore;
use etcd::{block_prefix, Lease};
use etcd_client::{Client, EventType, GetOptions, WatchOptions};
use forward::{forward_loop, queued, stopped, wait};
use std::sync::Arc;
use std::time::Duration;
use thiserror::Error;
use tokio::sync::{mpsc, watch};
use zkpension_core::{Block, Genesis, Transaction};

/// Fault injection for the tests: `after-append` makes a producer abort
/// right after etcd accepted its block, before its own database has it.
pub const FAILPOINT_ENV: &str = "ZKPENSION_CLUSTER_FAILPOINT";

/// How a node joins a cluster.
#[derive(Clone, Debug)]
pub struct ClusterConfig {
    /// etcd client URLs, e.g. `http://127.0.0.1:2379`.
    pub endpoints: Vec<String>,
    /// Key prefix of this chain in etcd ([`default_prefix`]).
    pub prefix: String,
    /// The producer's lease; a crashed or paused producer is replaced after
    /// about this long. etcd counts whole seconds (rounded up here) and
    /// grants at least about 1.5 election timeouts (2 s with its defaults).
    pub lease_ttl: Duration,
    /// The lease of this node's forwarded transactions.
    pub mempool_ttl: Duration,
    /// This node's name in the election key (logs, `docs/CLUSTER.md`).
    pub name: String,
    /// While producing, keep only this many of the latest blocks in etcd:
    /// appending block `h` deletes block `h - keep_blocks` in the same etcd
    /// transaction. Every node keeps every block in its own database; a
    /// node that falls further behind joins again from a peer's snapshot
    /// (`zkpension-node join`). `None`: etcd keeps every block.
    pub keep_blocks: Option<u64>,
    /// TLS and authentication towards etcd.
    pub access: EtcdAccess,
}

impl ClusterConfig {
    /// A configuration with [`default_prefix`] and the default leases.
    pub fn new(endpoints: Vec<String>, genesis: &Genesis, name: String) -> Self {
        ClusterConfig {
            endpoints,
            prefix: default_prefix(genesis),
            lease_ttl: DEFAULT_LEASE_TTL,
            mempool_ttl: DEFAULT_MEMPOOL_TTL,
            name,
            keep_blocks: None,
            access: EtcdAccess::default(),
        }
    }
}

/// Why a cluster node stopped.
#[derive(Debug, Error)]
pub enum ClusterError {
    /// etcd could not be reached at start.
    #[error("cannot reach etcd at {endpoints}: {detail}; start etcd there or pass the right --etcd URLs")]
    Connect { endpoints: String, detail: String },
    /// Fail-stop: the node will not serve a ledger that differs from the
    /// cluster's, nor one it cannot check.
    #[error("halted at block {height}: {detail}")]
    Halt { height: u64, detail: String },
}

/// A failure of one round: etcd unreachable for a moment (retried), or a halt.
#[derive(Debug)]
enum Fault {
    Etcd(String),
    Halt(ClusterError),
}

impl From<etcd_client::Error> for Fault {
    fn from(e: etcd_client::Error) -> Self {
        Fault::Etcd(e.to_string())
    }
}

fn halt(height: u64, detail: impl Into<String>) -> Fault {
    Fault::Halt(ClusterError::Halt {
        height,
        detail: detail.into(),
    })
}

/// Runs a node of a cluster until `shutdown`: follows the blocks in etcd,
/// campaigns to produce, produces while it holds the election, and forwards
/// the transactions submitted to this node (`forward`) to the shared
/// mempool. Returns an error only when the node must stop (fail-stop).
pub(crate) async fn run(
    core: Arc<NodeCore>,
    config: ClusterConfig,
    advertise: String,
    interval: Duration,
    forward: mpsc::UnboundedReceiver<Transaction>,
    shutdown: watch::Receiver<bool>,
) -> Result<(), ClusterError> {
    let client = connect_with(&config.endpoints, &config.access)
        .await
        .map_err(|e| ClusterError::Connect {
            endpoints: config.endpoints.join(","),
            detail: e.to_string(),
        })?;
    let mut replica = Replica::new(core.clone(), client.clone(), config.clone(), advertise);
    let result = replica.run(interval, forward, shutdown).await;
    replica.resign().await;
    if let Err(e) = &result {
        tracing::error!("{e}");
        core.set_last_error(Some(format!("cluster: {e}")));
    }
    result
}

/// One node's view of the cluster.
struct Replica {
    core: Arc<NodeCore>,
    client: Client,
    config: ClusterConfig,
    /// The election key's value: this node's name and API URL.
    advertise: String,
    /// The campaign lease (also the election key's, once won).
    lease: Option<Lease>,
    election: Option<Election>,
    /// The revision to watch from: after the last block applied or seen.
    watch_from: i64,
    /// [`FAILPOINT_ENV`] is `after-append`.
    crash_after_append: bool,
}

impl Replica {
    fn new(core: Arc<NodeCore>, client: Client, config: ClusterConfig, name: String) -> Self {
        let advertise = serde_json::json!({ "name": config.name, "url": name }).to_string();
        Replica {
            core,
            client,
            config,
            advertise,
            lease: None,
            election: None,
            watch_from: 0,
            crash_after_append: std::env::var(FAILPOINT_ENV).is_ok_and(|v| v == "after-append"),
        }
    }

    fn height(&self) -> u64 {
        crate::node_core::read(&self.core.state).height()
    }

    async fn run(
        &mut self,
        interval: Duration,
        forward: mpsc::UnboundedReceiver<Transaction>,
        mut shutdown: watch::Receiver<bool>,
    ) -> Result<(), ClusterError> {
        self.watch_from = self.core.store.etcd_revision().unwrap_or(None).unwrap_or(0) + 1;
        // Before anything: this node's blocks are the cluster's.
        loop {
            match self.check_start().await {
                Ok(()) => break,
                Err(Fault::Halt(e)) => return Err(e),
                Err(Fault::Etcd(e)) => {
                    tracing::warn!("cluster: etcd: {e}; retrying");
                    if wait(&mut shutdown, Duration::from_millis(500)).await {
                        return Ok(());
                    }
                }
            }
        }
        let mut forwarder = Some((forward, shutdown.clone()));
        loop {
            if *shutdown.borrow() {
                return Ok(());
            }
            match self.session(interval, &mut shutdown, &mut forwarder).await {
                Ok(()) => return Ok(()),
                Err(Fault::Halt(e)) => return Err(e),
                Err(Fault::Etcd(e)) => {
                    tracing::warn!("cluster: etcd: {e}; retrying");
                    if wait(&mut shutdown, Duration::from_millis(200)).await {
                        return Ok(());
                    }
                }
            }
        }
    }

    /// The node's tip must be in etcd, with the same hash.
    async fn check_start(&mut self) -> Result<(), Fault> {
        let height = self.height();
        if height == 0 {
            return Ok(());
        }
        let key = block_key(&self.config.prefix, height);
        let resp = self.client.get(key.clone(), None).await?;
        let Some(kv) = resp.kvs().first() else {
            // Pruned (`keep_blocks`) is fine if the next block is there:
            // applying it checks its link to this node's tip.
            if self.first_block_after(height).await? == Some(height + 1) {
                return Ok(());
            }
            return Err(halt(
                height,
                format!(
                    "this node has block {height} but etcd ({}) has neither key {key} nor the \
                     block after it: wrong --etcd or --cluster-prefix, or etcd lost its data; \
                     this node will not start a different ledger",
                    self.config.endpoints.join(",")
                ),
            ));
        };
        self.check_known(height, kv.value())?;
        Ok(())
    }

    /// The height of the first block key in etcd above `height`.
    async fn first_block_after(&mut self, height: u64) -> Result<Option<u64>, Fault> {
        let start = block_key(&self.config.prefix, height + 1);
        let end = block_key(&self.config.prefix, u64::MAX);
        let resp = self
            .client
            .get(
                start,
                Some(
                    GetOptions::new()
                        .with_range(end)
                        .with_limit(1)
                        .with_keys_only(),
                ),
            )
            .await?;
        Ok(resp
            .kvs()
            .first()
            .and_then(|kv| parse_block_key(&self.config.prefix, kv.key())))
    }

    /// One connection's worth: catch up, then watch and tick until an etcd
    /// error or shutdown.
    async fn session(
        &mut self,
        interval: Duration,
        shutdown: &mut watch::Receiver<bool>,
        forwarder: &mut Option<(mpsc::UnboundedReceiver<Transaction>, watch::Receiver<bool>)>,
    ) -> Result<(), Fault> {
        self.catch_up().await?;
        if let Some((rx, stop)) = forwarder.take() {
            // Caught up: what this node still queues was not included.
            let pending = queued(&self.core);
            tokio::spawn(forward_loop(
                self.core.clone(),
                self.client.clone(),
                self.config.prefix.clone(),
                self.config.mempool_ttl,
                pending,
                rx,
                stop,
            ));
        }
        let mut stream = self
            .client
            .watch(
                block_prefix(&self.config.prefix),
                Some(
                    WatchOptions::new()
                        .with_prefix()
                        .with_start_revision(self.watch_from),
                ),
            )
            .await?;
        let mut tick = tokio::time::interval(interval);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = stopped(shutdown) => return Ok(()),
                m = stream.message() => {
                    let Some(resp) = m? else {
                        return Err(Fault::Etcd("the watch stream ended".into()));
                    };
                    if resp.canceled() {
                        return Err(Fault::Etcd(format!(
                            "the watch was cancelled (compacted at revision {})",
                            resp.compact_revision()
                        )));
                    }
                    for ev in resp.events() {
                        if ev.event_type() != EventType::Put {
                            continue;
                        }
                        if let Some(kv) = ev.kv() {
                            let (key, value, rev) = (kv.key().to_vec(), kv.value().to_vec(), kv.mod_revision());
                            if self.on_block(&key, value, rev).await?.is_some() {
                                // Missed some (a watch from a compacted revision).
                                self.catch_up().await?;
                            }
                        }
                    }
                }
                _ = tick.tick() => self.tick().await?,
            }
        }
    }

    /// Applies every block in etcd after this node's tip, in order.
    async fn catch_up(&mut self) -> Result<(), Fault> {
        loop {
            let next = self.height() + 1;
            let start = block_key(&self.config.prefix, next);
            let end = block_key(&self.config.prefix, u64::MAX);
            let resp = self
                .client
                .get(
                    start,
                    Some(GetOptions::new().with_range(end).with_limit(64)),
                )
                .await?;
            let revision = resp.header().map_or(0, |h| h.revision());
            let kvs: Vec<_> = resp
                .kvs()
                .iter()
                .map(|kv| (kv.key().to_vec(), kv.value().to_vec(), kv.mod_revision()))
                .collect();
            let more = resp.more();
            for (key, value, rev) in kvs {
                if let Some(h) = self.on_block(&key, value, rev).await? {
                    let next = self.height() + 1;
                    return Err(halt(
                        next,
                        format!(
                            "this node is at height {}, and etcd no longer holds blocks {next} \
                             to {} (the producer keeps the latest ones only, \
                             --etcd-keep-blocks); this node cannot replay them. Move its \
                             database away and start it from a peer's snapshot: \
                             zkpension-node join --data DIR --from <peer URL> --etcd URLS",
                            next - 1,
                            h - 1
                        ),
                    ));
                }
            }
            if !more {
                self.watch_from = self.watch_from.max(revision + 1);
                return Ok(());
            }
        }
    }

    /// A block key seen in etcd: applies it if it is the next block, checks
    /// it against the stored one if known. Returns its height if it is
    /// ahead of the next block (the caller reads the ones between).
    async fn on_block(
        &mut self,
        key: &[u8],
        value: Vec<u8>,
        revision: i64,
    ) -> Result<Option<u64>, Fault> {
        let Some(h) = parse_block_key(&self.config.prefix, key) else {
            return Ok(None);
        };
        let height = self.height();
        if h <= height {
            return self.check_known(h, &value).map(|()| None);
        }
        if h > height + 1 {
            return Ok(Some(h));
        }
        let block = Block::decode(&value).map_err(|e| {
            halt(
                h,
                format!("block {h} in etcd (revision {revision}) does not decode: {e}"),
            )
        })?;
        let core = self.core.clone();
        let applied =
            tokio::task::spawn_blocking(move || core.apply_cluster_block(&block, revision))
                .await
                .map_err(|e| halt(h, format!("applying block {h} panicked: {e}")))?;
        match applied {
            Ok(txs) => {
                self.watch_from = self.watch_from.max(revision + 1);
                tracing::info!(
                    "block {h}: applied from etcd (revision {revision}), {txs} transactions"
                );
                Ok(None)
            }
            Err(e) => Err(halt(
                h,
                format!(
                    "block {h} in etcd (revision {revision}) is invalid: {e}. Every node checks \
                     every block; this node stops rather than follow a different ledger. Find \
                     who wrote it (the producer at that time), remove it from etcd only if no \
                     node applied it, and restart"
                ),
            )),
        }
    }

    /// A block at a height this node has must be the very block it has.
    fn check_known(&self, h: u64, value: &[u8]) -> Result<(), Fault> {
        let ours = self
            .core
            .store
            .block_info(h)
            .map_err(|e| halt(h, format!("reading block {h}: {e}")))?
            .map(|i| i.hash);
        let theirs = Block::decode(value).map(|b| b.hash());
        match (ours, theirs) {
            (Some(a), Ok(b)) if a == b => Ok(()),
            (ours, theirs) => Err(halt(
                h,
                format!(
                    "etcd's block {h} ({}) differs from this node's ({}): a fork; this node \
                     stops",
                    theirs.map_or_else(|e| format!("undecodable: {e}"), |b| b.to_string()),
                    ours.map_or_else(|| "missing".into(), |b| b.to_string())
                ),
            )),
        }
    }

    /// Campaigns, or produces while it holds the election.
    async fn tick(&mut self) -> Result<(), Fault> {
        if self.lease.as_ref().is_some_and(Lease::lost) {
            let lease = self.lease.take().expect("checked");
            if self.election.take().is_some() {
                tracing::warn!(
                    "cluster: lost the producer's lease (etcd unreachable or this node was \
                     paused past it); following"
                );
            }
            lease.revoke(&mut self.client).await;
        }
        if self.election.is_none() {
            if self.lease.is_none() {
                self.lease = Some(Lease::grant(&mut self.client, self.config.lease_ttl).await?);
            }
            let lease = self.lease.as_ref().expect("granted").id;
            let won = match campaign(
                &mut self.client,
                &self.config.prefix,
                lease,
                &self.advertise,
            )
            .await
            {
                Ok(won) => won,
                Err(e) => {
                    // The lease may be gone ("requested lease not found"):
                    // the next round grants a new one.
                    self.lease = None;
                    return Err(e.into());
                }
            };
            let Some(election) = won else {
                return Ok(());
            };
            // Blocks appended by the previous producer come first.
            self.catch_up().await?;
            tracing::info!(
                "cluster: {} is the producer from height {} (election revision {})",
                self.config.name,
                self.height() + 1,
                election.create_revision
            );
            self.election = Some(election);
        }
        self.produce().await
    }

    /// Gives up the election at shutdown so another node takes over at once.
    async fn resign(&mut self) {
        self.election = None;
        if let Some(lease) = self.lease.take() {
            lease.revoke(&mut self.client).await;
        }
    }
}
