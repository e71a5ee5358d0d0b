//! The harness of the cluster tests and the cluster benchmark: etcd
//! members and `zkpension-node --etcd` processes on 127.0.0.1 with free
//! ports, in temporary directories, killed on drop; a chain with trapdoor
//! keys and transactions proven with them.
#![allow(dead_code)]

use crate::common::sim::SimKeys;
use crate::common::*;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, Enroll, SpendHeader, TxId};
use zkpension_core::views::{BlockView, StatusView, TxState, TxStatusView};
use zkpension_core::{Genesis, Params, Transaction};
use zkpension_ledger::cluster;

pub const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};
/// The producer's lease in the tests (etcd's minimum with its defaults).
pub const LEASE_MS: u64 = 2000;
/// The `zkpension-node` binary: Cargo's for tests, else the one next to
/// the running program's directory (`target/<profile>/examples/..`).
pub fn node_binary() -> PathBuf {
    match option_env!("CARGO_BIN_EXE_zkpension-node") {
        Some(p) => PathBuf::from(p),
        None => {
            let exe = std::env::current_exe().unwrap();
            let dir = exe.parent().unwrap();
            let dir = if dir.ends_with("examples") || dir.ends_with("deps") {
                dir.parent().unwrap()
            } else {
                dir
            };
            dir.join("zkpension-node")
        }
    }
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The last `n` lines of each node's log, for a failure's message.
pub fn tails(nodes: &[&NodeProc], n: usize) -> String {
    nodes
        .iter()
        .map(|node| {
            let log = node.log();
            let lines: Vec<&str> = log.lines().collect();
            format!(
                "--- {} ---\n{}",
                node.name,
                lines[lines.len().saturating_sub(n)..].join("\n")
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// [`wait_until`], with the nodes' logs in the failure's message.
pub fn wait_logged(
    what: &str,
    timeout: Duration,
    nodes: &[&NodeProc],
    mut f: impl FnMut() -> bool,
) -> Duration {
    let start = Instant::now();
    loop {
        if f() {
            return start.elapsed();
        }
        if start.elapsed() >= timeout {
            panic!(
                "timed out after {timeout:?} waiting for {what}\n{}",
                tails(nodes, 25)
            );
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

pub fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Duration {
    let start = Instant::now();
    loop {
        if f() {
            return start.elapsed();
        }
        assert!(
            start.elapsed() < timeout,
            "timed out after {timeout:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

// ---------------------------------------------------------------- etcd

/// One etcd member.
pub struct Etcd {
    pub child: Option<Child>,
    pub args: Vec<String>,
    pub url: String,
}

impl Etcd {
    /// A cluster of `n` members, started and healthy.
    pub fn cluster(dir: &Path, n: usize) -> Vec<Etcd> {
        let ports: Vec<(u16, u16)> = (0..n).map(|_| (free_port(), free_port())).collect();
        let initial: Vec<String> = ports
            .iter()
            .enumerate()
            .map(|(i, (_, p))| format!("e{i}=http://127.0.0.1:{p}"))
            .collect();
        let mut members: Vec<Etcd> = ports
            .iter()
            .enumerate()
            .map(|(i, (c, p))| {
                let url = format!("http://127.0.0.1:{c}");
                let peer = format!("http://127.0.0.1:{p}");
                let data = dir.join(format!("etcd{i}"));
                let args = [
                    "--name",
                    &format!("e{i}"),
                    "--data-dir",
                    data.to_str().unwrap(),
                    "--listen-client-urls",
                    &url,
                    "--advertise-client-urls",
                    &url,
                    "--listen-peer-urls",
                    &peer,
                    "--initial-advertise-peer-urls",
                    &peer,
                    "--initial-cluster",
                    &initial.join(","),
                    "--initial-cluster-state",
                    "new",
                    "--initial-cluster-token",
                    "zkpension-test",
                    "--logger",
                    "zap",
                    "--log-level",
                    "error",
                ]
                .map(String::from)
                .to_vec();
                Etcd {
                    child: None,
                    args,
                    url,
                }
            })
            .collect();
        for m in &mut members {
            m.start();
        }
        for m in &members {
            m.wait_healthy(Duration::from_secs(20));
        }
        members
    }

    pub fn start(&mut self) {
        assert!(self.child.is_none());
        self.child = Some(
            Command::new("etcd")
                .args(&self.args)
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("etcd (Debian package etcd-server) must be installed"),
        );
    }

    pub fn wait_healthy(&self, timeout: Duration) {
        let url = format!("{}/health", self.url);
        wait_until(&format!("etcd at {}", self.url), timeout, || {
            ureq::get(&url)
                .timeout(Duration::from_secs(1))
                .call()
                .ok()
                .and_then(|r| r.into_string().ok())
                .is_some_and(|s| s.contains("true"))
        });
    }

    pub fn kill(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for Etcd {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn urls(members: &[Etcd]) -> String {
    members
        .iter()
        .map(|m| m.url.clone())
        .collect::<Vec<_>>()
        .join(",")
}

/// A direct etcd client, for what the tests read and write behind the nodes.
pub struct Direct {
    pub rt: tokio::runtime::Runtime,
    pub client: etcd_client::Client,
    pub prefix: String,
}

impl Direct {
    pub fn new(urls: &str, genesis: &Genesis) -> Direct {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let endpoints: Vec<String> = urls.split(',').map(String::from).collect();
        let client = rt.block_on(cluster::connect(&endpoints)).unwrap();
        Direct {
            rt,
            client,
            prefix: cluster::default_prefix(genesis),
        }
    }

    /// The API URL of the producer, from its election key.
    pub fn leader(&mut self) -> Option<String> {
        let key = cluster::leader_key(&self.prefix);
        let resp = self.rt.block_on(self.client.get(key, None)).ok()?;
        let kv = resp.kvs().first()?;
        let v: Value = serde_json::from_slice(kv.value()).ok()?;
        v["url"].as_str().map(String::from)
    }

    /// Whether etcd holds `key`.
    pub fn has(&mut self, key: String) -> bool {
        let resp = self.rt.block_on(self.client.get(key, None)).unwrap();
        !resp.kvs().is_empty()
    }

    pub fn put(&mut self, key: String, value: Vec<u8>) {
        self.rt.block_on(self.client.put(key, value, None)).unwrap();
    }
}

// ---------------------------------------------------------------- chain and nodes

/// A chain: trapdoor keys, an initialised data directory to copy for each
/// node, and its genesis.
pub struct Chain {
    pub dir: tempfile::TempDir,
    pub sim: SimKeys,
    pub template: PathBuf,
    pub genesis: Genesis,
}

impl Chain {
    pub fn new() -> Chain {
        let sim = SimKeys::new(31);
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let template = dir.path().join("template");
        let genesis = crate::common::sim::init_node(&node_binary(), &sim, &keys, &template, PARAMS);
        Chain {
            dir,
            sim,
            template,
            genesis,
        }
    }

    /// A fresh data directory (a copy of the initialised one).
    pub fn data_dir(&self, name: &str) -> PathBuf {
        let to = self.dir.path().join(name);
        copy_dir(&self.template, &to);
        to
    }

    /// A contribution spending nullifier `nf`, anchored at the empty tree
    /// (an anchor for the whole test), proven with the trapdoor keys.
    pub fn contribution(&self, nf: u64, salt: u64, r: &mut ChaCha20Rng) -> Transaction {
        let mut c = Contribute {
            body: ContributeBody {
                spend: SpendHeader {
                    anchor: Anchor::from(MerkleTree::new().root()),
                    nf: Nullifier::from(Fr::from(1_000_000 + nf)),
                    cm_new: NoteCommitment::from(Fr::from(2_000_000 + nf * 1000 + salt)),
                    heir_ct: Default::default(),
                },
                amount: 1 + salt % 100,
                matched: 0,
                epoch: 1,
                payer_ref: Context::new("payer_ref", salt.to_be_bytes().to_vec()).unwrap(),
            },
            proof: FixedBytes([0; 128]),
        };
        let inputs = c.public(&chain_id(), &PARAMS).to_field_elements();
        c.proof = FixedBytes(self.sim.prove(Statement::Contribute, &inputs, r));
        c.into()
    }

    /// `n` independent transactions from `start`: contributions and
    /// enrollments.
    pub fn stream(&self, start: u64, n: u64, r: &mut ChaCha20Rng) -> Vec<Transaction> {
        (start..start + n)
            .map(|i| {
                if i % 2 == 0 {
                    self.contribution(i, 0, r)
                } else {
                    Enroll::sign(
                        &chain_id(),
                        NoteCommitment::from(Fr::from(3_000_000 + i)),
                        &registrar(),
                    )
                    .into()
                }
            })
            .collect()
    }
}

pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for e in std::fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let dest = to.join(e.file_name());
        if e.file_type().unwrap().is_dir() {
            copy_dir(&e.path(), &dest);
        } else {
            std::fs::copy(e.path(), dest).unwrap();
        }
    }
}

/// A `zkpension-node run --etcd` process.
pub struct NodeProc {
    pub child: Option<Child>,
    pub url: String,
    pub data: PathBuf,
    pub etcd: String,
    pub name: String,
    pub max_block_txs: usize,
    pub block_interval_ms: u64,
    pub lease_ms: u64,
    /// `ZKPENSION_CLUSTER_FAILPOINT` for the next start.
    pub failpoint: Option<String>,
    /// More arguments for `run`.
    pub extra: Vec<String>,
}

impl NodeProc {
    pub fn spawn(data: PathBuf, etcd: &str, name: &str) -> NodeProc {
        Self::spawn_with(data, etcd, name, 64)
    }

    pub fn spawn_with(data: PathBuf, etcd: &str, name: &str, max_block_txs: usize) -> NodeProc {
        let mut n = NodeProc::new(data, etcd, name, max_block_txs);
        n.start();
        n
    }

    /// A node not started yet: 50 ms between blocks, the tests' lease.
    pub fn new(data: PathBuf, etcd: &str, name: &str, max_block_txs: usize) -> NodeProc {
        NodeProc {
            child: None,
            url: String::new(),
            data,
            etcd: etcd.to_string(),
            name: name.to_string(),
            max_block_txs,
            block_interval_ms: 50,
            lease_ms: LEASE_MS,
            failpoint: None,
            extra: Vec::new(),
        }
    }

    pub fn log_path(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    pub fn start(&mut self) {
        assert!(self.child.is_none());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut command = Command::new(node_binary());
        match &self.failpoint {
            Some(f) => command.env(cluster::FAILPOINT_ENV, f),
            None => command.env_remove(cluster::FAILPOINT_ENV),
        };
        let mut child = command
            .args([
                "run",
                "--data",
                self.data.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--block-interval-ms",
                &self.block_interval_ms.to_string(),
                "--max-block-txs",
                &self.max_block_txs.to_string(),
                "--threads",
                "1",
                "--json",
                "--etcd",
                &self.etcd,
                "--lease-ttl-ms",
                &self.lease_ms.to_string(),
                "--node-name",
                &self.name,
            ])
            .args(&self.extra)
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let line = crate::common::first_stdout_line(&mut child);
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{e}: {line:?}; log: {}", self.log()));
        self.url = v["url"].as_str().unwrap().to_string();
        self.child = Some(child);
    }

    pub fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    pub fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// The exit status if the process has exited.
    pub fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().unwrap().try_wait().unwrap()
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    pub fn status(&self) -> Option<StatusView> {
        get(&format!("{}/v1/status", self.url))
    }

    pub fn height(&self) -> u64 {
        self.status().map_or(0, |s| s.height)
    }

    pub fn block(&self, h: u64) -> Option<BlockView> {
        get(&format!("{}/v1/blocks/{h}", self.url))
    }

    pub fn tx_state(&self, id: &TxId) -> Option<TxState> {
        get::<TxStatusView>(&format!("{}/v1/tx/{id}", self.url)).map(|v| v.state)
    }

    /// Submits; true if acknowledged (queued or already known).
    pub fn submit(&self, tx: &Transaction) -> bool {
        self.submit_answer(tx).is_ok()
    }

    /// Submits; the status code and body of a refusal.
    pub fn submit_answer(&self, tx: &Transaction) -> Result<(), (u16, String)> {
        match ureq::post(&format!("{}/v1/tx", self.url))
            .timeout(Duration::from_secs(5))
            .send_json(tx)
        {
            Ok(_) => Ok(()),
            Err(ureq::Error::Status(code, r)) => Err((code, r.into_string().unwrap_or_default())),
            Err(e) => Err((0, e.to_string())),
        }
    }
}

impl Drop for NodeProc {
    fn drop(&mut self) {
        if let Some(c) = &self.child {
            // A paused node would not die of SIGTERM; SIGKILL it.
            let _ = Command::new("kill")
                .args(["-CONT", &c.id().to_string()])
                .status();
        }
        self.kill9();
    }
}

pub fn get<T: serde::de::DeserializeOwned>(url: &str) -> Option<T> {
    ureq::get(url)
        .timeout(Duration::from_secs(5))
        .call()
        .ok()?
        .into_json()
        .ok()
}

/// Every node at the same height, with the same block hash and state root at
/// every height (from the latest snapshot base among them, for nodes that
/// joined from a snapshot). Returns the height.
pub fn assert_same_chain(nodes: &[&NodeProc], timeout: Duration) -> u64 {
    let mut heights = Vec::new();
    wait_until("the nodes to reach the same height", timeout, || {
        heights = nodes.iter().map(|n| n.height()).collect();
        heights.iter().all(|h| *h == heights[0])
    });
    let height = heights[0];
    let from = nodes
        .iter()
        .filter_map(|n| n.status().and_then(|s| s.snapshot_base))
        .max()
        .unwrap_or(1);
    for h in from..=height {
        let blocks: Vec<BlockView> = nodes
            .iter()
            .map(|n| {
                n.block(h)
                    .unwrap_or_else(|| panic!("{}: no block {h}", n.name))
            })
            .collect();
        for (n, b) in nodes.iter().zip(&blocks) {
            assert_eq!(
                (&b.hash, &b.header.state_root),
                (&blocks[0].hash, &blocks[0].header.state_root),
                "block {h} differs on {}",
                n.name
            );
        }
    }
    height
}

/// Every node has included every one of `txs`.
pub fn all_included<'a>(
    nodes: impl IntoIterator<Item = &'a NodeProc>,
    txs: &[Transaction],
) -> bool {
    nodes
        .into_iter()
        .all(|n| txs.iter().all(|tx| included(n, &tx.id())))
}

pub fn included(n: &NodeProc, id: &TxId) -> bool {
    matches!(n.tx_state(id), Some(TxState::Included { .. }))
}

/// A cluster of `nodes` nodes on one etcd.
pub fn three_nodes(chain: &Chain, etcd: &str) -> Vec<NodeProc> {
    (0..3)
        .map(|i| NodeProc::spawn(chain.data_dir(&format!("n{i}")), etcd, &format!("n{i}")))
        .collect()
}

pub fn producer_index(direct: &mut Direct, nodes: &[NodeProc], timeout: Duration) -> usize {
    let mut idx = None;
    wait_until("a producer", timeout, || {
        idx = direct
            .leader()
            .and_then(|url| nodes.iter().position(|n| n.child.is_some() && n.url == url));
        idx.is_some()
    });
    idx.unwrap()
}
