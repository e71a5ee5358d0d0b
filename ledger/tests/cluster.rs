//! The cluster's fault matrix (`docs/CLUSTER.md`): real etcd processes
//! (Debian's `etcd-server`) and real `zkpension-node` processes, all on
//! 127.0.0.1 with free ports, in temporary directories, killed on drop.
//! Transactions carry valid Groth16 proofs made with trapdoor keys
//! (`common::sim`), verified like any other by every node.

mod common;

use common::sim::SimKeys;
use common::*;
use rand_chacha::rand_core::RngCore;
use rand_chacha::ChaCha20Rng;
use serde_json::Value;
use std::collections::HashSet;
use std::io::{BufRead, BufReader};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::block::tx_root;
use zkpension_core::genesis::MAX_ANCHOR_WINDOW;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::{Context, Contribute, ContributeBody, Enroll, SpendHeader, TxId};
use zkpension_core::views::{BlockView, StatusView, TxState, TxStatusView};
use zkpension_core::{Block, BlockHeader, Genesis, Params, Transaction};
use zkpension_ledger::cluster;

const PARAMS: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};
/// The producer's lease in the tests (etcd's minimum with its defaults).
const LEASE_MS: u64 = 2000;
const NODE: &str = env!("CARGO_BIN_EXE_zkpension-node");

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn wait_until(what: &str, timeout: Duration, mut f: impl FnMut() -> bool) -> Duration {
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
struct Etcd {
    child: Option<Child>,
    args: Vec<String>,
    url: String,
}

impl Etcd {
    /// A cluster of `n` members, started and healthy.
    fn cluster(dir: &Path, n: usize) -> Vec<Etcd> {
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

    fn start(&mut self) {
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

    fn wait_healthy(&self, timeout: Duration) {
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

    fn kill(&mut self) {
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

fn urls(members: &[Etcd]) -> String {
    members
        .iter()
        .map(|m| m.url.clone())
        .collect::<Vec<_>>()
        .join(",")
}

/// A direct etcd client, for what the tests read and write behind the nodes.
struct Direct {
    rt: tokio::runtime::Runtime,
    client: etcd_client::Client,
    prefix: String,
}

impl Direct {
    fn new(urls: &str, genesis: &Genesis) -> Direct {
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
    fn leader(&mut self) -> Option<String> {
        let key = cluster::leader_key(&self.prefix);
        let resp = self.rt.block_on(self.client.get(key, None)).ok()?;
        let kv = resp.kvs().first()?;
        let v: Value = serde_json::from_slice(kv.value()).ok()?;
        v["url"].as_str().map(String::from)
    }

    fn put(&mut self, key: String, value: Vec<u8>) {
        self.rt.block_on(self.client.put(key, value, None)).unwrap();
    }
}

// ---------------------------------------------------------------- chain and nodes

/// A chain: trapdoor keys, an initialised data directory to copy for each
/// node, and its genesis.
struct Chain {
    dir: tempfile::TempDir,
    sim: SimKeys,
    template: PathBuf,
    genesis: Genesis,
}

impl Chain {
    fn new() -> Chain {
        let sim = SimKeys::new(31);
        let dir = tempfile::tempdir().unwrap();
        let keys = dir.path().join("keys");
        let template = dir.path().join("template");
        sim.write_dir(&keys);
        let out = Command::new(NODE)
            .args([
                "init",
                "--no-proving-keys",
                "--data",
                template.to_str().unwrap(),
                "--keys",
                keys.to_str().unwrap(),
                "--chain",
                "zkpension-test",
                "--registrar",
                &FixedBytes(registrar().verifying_key().to_bytes()).to_string(),
                "--authority",
                &FixedBytes(authority().verifying_key().to_bytes()).to_string(),
                "--cap",
                &zkpension_core::format_amount(PARAMS.cap),
                "--min-periods",
                &PARAMS.min_periods.to_string(),
                "--divisor",
                &PARAMS.divisor.to_string(),
                "--anchor-window",
                &MAX_ANCHOR_WINDOW.to_string(),
            ])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let genesis =
            Genesis::from_json(&std::fs::read_to_string(template.join("genesis.json")).unwrap())
                .unwrap();
        Chain {
            dir,
            sim,
            template,
            genesis,
        }
    }

    /// A fresh data directory (a copy of the initialised one).
    fn data_dir(&self, name: &str) -> PathBuf {
        let to = self.dir.path().join(name);
        copy_dir(&self.template, &to);
        to
    }

    /// A contribution spending nullifier `nf`, anchored at the empty tree
    /// (an anchor for the whole test), proven with the trapdoor keys.
    fn contribution(&self, nf: u64, salt: u64, r: &mut ChaCha20Rng) -> Transaction {
        let mut c = Contribute {
            body: ContributeBody {
                spend: SpendHeader {
                    anchor: Anchor::from(MerkleTree::new().root()),
                    nf: Nullifier::from(Fr::from(1_000_000 + nf)),
                    cm_new: NoteCommitment::from(Fr::from(2_000_000 + nf * 1000 + salt)),
                },
                amount: 1 + salt % 100,
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
    fn stream(&self, start: u64, n: u64, r: &mut ChaCha20Rng) -> Vec<Transaction> {
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

fn copy_dir(from: &Path, to: &Path) {
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
struct NodeProc {
    child: Option<Child>,
    url: String,
    data: PathBuf,
    etcd: String,
    name: String,
    max_block_txs: usize,
}

impl NodeProc {
    fn spawn(data: PathBuf, etcd: &str, name: &str) -> NodeProc {
        Self::spawn_with(data, etcd, name, 64)
    }

    fn spawn_with(data: PathBuf, etcd: &str, name: &str, max_block_txs: usize) -> NodeProc {
        let mut n = NodeProc {
            child: None,
            url: String::new(),
            data,
            etcd: etcd.to_string(),
            name: name.to_string(),
            max_block_txs,
        };
        n.start();
        n
    }

    fn log_path(&self) -> PathBuf {
        self.data.with_extension("log")
    }

    fn start(&mut self) {
        assert!(self.child.is_none());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(self.log_path())
            .unwrap();
        let mut child = Command::new(NODE)
            .args([
                "run",
                "--data",
                self.data.to_str().unwrap(),
                "--listen",
                "127.0.0.1:0",
                "--block-interval-ms",
                "50",
                "--max-block-txs",
                &self.max_block_txs.to_string(),
                "--threads",
                "1",
                "--json",
                "--etcd",
                &self.etcd,
                "--lease-ttl-ms",
                &LEASE_MS.to_string(),
                "--node-name",
                &self.name,
            ])
            .stdout(Stdio::piped())
            .stderr(log)
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let v: Value = serde_json::from_str(&line)
            .unwrap_or_else(|e| panic!("{e}: {line:?}; log: {}", self.log()));
        self.url = v["url"].as_str().unwrap().to_string();
        self.child = Some(child);
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().unwrap().id()
    }

    fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    fn signal(&self, sig: &str) {
        let ok = Command::new("kill")
            .args([sig, &self.pid().to_string()])
            .status()
            .unwrap()
            .success();
        assert!(ok, "kill {sig}");
    }

    /// The exit status if the process has exited.
    fn exited(&mut self) -> Option<std::process::ExitStatus> {
        self.child.as_mut().unwrap().try_wait().unwrap()
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.log_path()).unwrap_or_default()
    }

    fn status(&self) -> Option<StatusView> {
        get(&format!("{}/v1/status", self.url))
    }

    fn height(&self) -> u64 {
        self.status().map_or(0, |s| s.height)
    }

    fn block(&self, h: u64) -> Option<BlockView> {
        get(&format!("{}/v1/blocks/{h}", self.url))
    }

    fn tx_state(&self, id: &TxId) -> Option<TxState> {
        get::<TxStatusView>(&format!("{}/v1/tx/{id}", self.url)).map(|v| v.state)
    }

    /// Submits; true if acknowledged (queued or already known).
    fn submit(&self, tx: &Transaction) -> bool {
        self.submit_answer(tx).is_ok()
    }

    /// Submits; the status code and body of a refusal.
    fn submit_answer(&self, tx: &Transaction) -> Result<(), (u16, String)> {
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

fn get<T: serde::de::DeserializeOwned>(url: &str) -> Option<T> {
    ureq::get(url)
        .timeout(Duration::from_secs(5))
        .call()
        .ok()?
        .into_json()
        .ok()
}

/// Every node at the same height, with the same block hash and state root at
/// every height. Returns the height.
fn assert_same_chain(nodes: &[&NodeProc], timeout: Duration) -> u64 {
    let mut heights = Vec::new();
    wait_until("the nodes to reach the same height", timeout, || {
        heights = nodes.iter().map(|n| n.height()).collect();
        heights.iter().all(|h| *h == heights[0])
    });
    let height = heights[0];
    for h in 1..=height {
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

fn included(n: &NodeProc, id: &TxId) -> bool {
    matches!(n.tx_state(id), Some(TxState::Included { .. }))
}

/// A cluster of `nodes` nodes on one etcd.
fn three_nodes(chain: &Chain, etcd: &str) -> Vec<NodeProc> {
    (0..3)
        .map(|i| NodeProc::spawn(chain.data_dir(&format!("n{i}")), etcd, &format!("n{i}")))
        .collect()
}

fn producer_index(direct: &mut Direct, nodes: &[NodeProc], timeout: Duration) -> usize {
    let mut idx = None;
    wait_until("a producer", timeout, || {
        idx = direct
            .leader()
            .and_then(|url| nodes.iter().position(|n| n.child.is_some() && n.url == url));
        idx.is_some()
    });
    idx.unwrap()
}

// ---------------------------------------------------------------- tests

/// The fence itself: an append under an election whose lease is gone fails,
/// whoever holds the election now, and a height is written once.
#[test]
fn cluster_append_is_fenced_by_the_election() {
    let dir = tempfile::tempdir().unwrap();
    let etcd = Etcd::cluster(dir.path(), 1);
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    rt.block_on(async {
        let mut c = cluster::connect(std::slice::from_ref(&etcd[0].url))
            .await
            .unwrap();
        let prefix = "/zkpension/fence-test";
        let l1 = c.lease_grant(5, None).await.unwrap().id();
        let e1 = cluster::campaign(&mut c, prefix, l1, "a")
            .await
            .unwrap()
            .expect("the first campaign wins");
        let l2 = c.lease_grant(5, None).await.unwrap().id();
        assert!(
            cluster::campaign(&mut c, prefix, l2, "b")
                .await
                .unwrap()
                .is_none(),
            "a second producer while the first holds the key"
        );
        let r1 = cluster::append_block(&mut c, prefix, &e1, 1, b"block 1".to_vec(), &[])
            .await
            .unwrap();
        assert!(r1.is_some());
        // The first producer's lease ends (as if it was paused past it).
        c.lease_revoke(l1).await.unwrap();
        let stale = cluster::append_block(&mut c, prefix, &e1, 2, b"stale".to_vec(), &[])
            .await
            .unwrap();
        assert_eq!(stale, None, "an append after the lease ended");
        let e2 = cluster::campaign(&mut c, prefix, l2, "b")
            .await
            .unwrap()
            .expect("the key is free");
        assert_ne!(e2.create_revision, e1.create_revision);
        let stale = cluster::append_block(&mut c, prefix, &e1, 2, b"stale".to_vec(), &[])
            .await
            .unwrap();
        assert_eq!(stale, None, "an append under the successor's key");
        let taken = cluster::append_block(&mut c, prefix, &e2, 1, b"again".to_vec(), &[])
            .await
            .unwrap();
        assert_eq!(taken, None, "height 1 written twice");
        let ok = cluster::append_block(&mut c, prefix, &e2, 2, b"block 2".to_vec(), &[])
            .await
            .unwrap();
        assert!(ok.is_some());
        let v = c.get(cluster::block_key(prefix, 2), None).await.unwrap();
        assert_eq!(v.kvs()[0].value(), b"block 2");
    });
}

/// Fault matrix 6: transactions submitted to all three nodes at once, with
/// pairs spending the same nullifier sent to different nodes: exactly one of
/// each pair is included, every other transaction is, and every node has the
/// same blocks.
#[test]
fn cluster_concurrent_submissions_with_conflicting_nullifiers() {
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let nodes = three_nodes(&chain, &urls(&etcd));
    let mut r = rng(61);
    let plain = chain.stream(0, 90, &mut r);
    // Ten pairs: the same nullifier, two different transactions.
    let pairs: Vec<(Transaction, Transaction)> = (0..10)
        .map(|i| {
            let nf = 10_000 + i;
            (
                chain.contribution(nf, 1, &mut r),
                chain.contribution(nf, 2, &mut r),
            )
        })
        .collect();
    // (transaction, one of a pair): a pair's second may be refused at
    // submission if the first is already in a block (its nullifier spent).
    let mut per_node: Vec<Vec<(Transaction, bool)>> = vec![Vec::new(); 3];
    for (i, tx) in plain.iter().enumerate() {
        per_node[i % 3].push((tx.clone(), false));
    }
    for (i, (a, b)) in pairs.iter().enumerate() {
        // Interleaved with the plain ones, so pairs arrive together.
        per_node[i % 3].insert(i * 3, (a.clone(), true));
        per_node[(i + 1) % 3].insert(i * 3, (b.clone(), true));
    }
    let started = Instant::now();
    let acked: Mutex<HashSet<TxId>> = Mutex::default();
    std::thread::scope(|s| {
        for (n, txs) in nodes.iter().zip(&per_node) {
            let acked = &acked;
            s.spawn(move || {
                for (tx, paired) in txs {
                    match n.submit_answer(tx) {
                        Ok(()) => {
                            acked.lock().unwrap().insert(tx.id());
                        }
                        Err((422, body)) if *paired && body.contains("nullifier_spent") => {}
                        Err((code, body)) => {
                            panic!("{} refused {}: {code} {body}", n.name, tx.id())
                        }
                    }
                }
            });
        }
    });
    wait_until(
        "every plain transaction included everywhere",
        Duration::from_secs(60),
        || {
            nodes
                .iter()
                .all(|n| plain.iter().all(|tx| included(n, &tx.id())))
        },
    );
    let height = assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(30));
    for (a, b) in &pairs {
        for n in &nodes {
            let (ia, ib) = (included(n, &a.id()), included(n, &b.id()));
            assert!(
                ia ^ ib,
                "{}: of {} and {} (same nullifier) {} included",
                n.name,
                a.id(),
                b.id(),
                if ia { "both are" } else { "neither is" }
            );
        }
    }
    // Pairs both acknowledged (queued on two nodes): the producer's block
    // rules, not admission, kept one.
    let acked = acked.into_inner().unwrap();
    let both = pairs
        .iter()
        .filter(|(a, b)| acked.contains(&a.id()) && acked.contains(&b.id()))
        .count();
    assert!(both > 0, "no pair reached the shared mempool twice");
    println!(
        "{} + {} transactions on 3 nodes: {height} blocks, all included in {:?}; {both} of {} conflicting pairs both acknowledged",
        plain.len(),
        pairs.len() * 2,
        started.elapsed(),
        pairs.len()
    );
}

/// Fault matrix 1: kill -9 the producer at random moments while
/// transactions stream in; another node takes over within 10 s, the killed
/// node restarts and catches up, every acknowledged transaction is
/// included, and all nodes have the same blocks.
#[test]
fn cluster_kill_nine_the_producer() {
    const ROUNDS: usize = 10;
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let mut nodes = three_nodes(&chain, &urls(&etcd));
    let mut direct = Direct::new(&urls(&etcd), &chain.genesis);
    let mut r = rng(11);
    let mut kill_rng = rng(12);
    let acked: Arc<Mutex<Vec<TxId>>> = Arc::default();
    let mut failovers = Vec::new();
    for round in 0..ROUNDS {
        let p = producer_index(&mut direct, &nodes, Duration::from_secs(15));
        let txs = chain.stream(round as u64 * 1000, 40, &mut r);
        let targets: Vec<String> = nodes.iter().map(|n| n.url.clone()).collect();
        let client = {
            let acked = acked.clone();
            std::thread::spawn(move || {
                for (i, tx) in txs.iter().enumerate() {
                    let url = &targets[i % targets.len()];
                    let ok = ureq::post(&format!("{url}/v1/tx"))
                        .timeout(Duration::from_secs(5))
                        .send_json(tx)
                        .is_ok();
                    if ok {
                        acked.lock().unwrap().push(tx.id());
                    }
                    std::thread::sleep(Duration::from_millis(5));
                }
            })
        };
        std::thread::sleep(Duration::from_millis(50 + kill_rng.next_u64() % 400));
        let before = nodes[p].url.clone();
        nodes[p].kill9();
        let killed_at = Instant::now();
        // Another node is elected and appends.
        let h0 = nodes
            .iter()
            .filter(|n| n.child.is_some())
            .map(|n| n.height())
            .max()
            .unwrap();
        let mut q = None;
        wait_until("a new producer", Duration::from_secs(10), || {
            q = direct.leader().filter(|u| *u != before);
            q.is_some()
        });
        let took = killed_at.elapsed();
        failovers.push(took);
        client.join().unwrap();
        // Work left after the kill is produced by the new producer.
        let alive: Vec<&NodeProc> = nodes.iter().filter(|n| n.child.is_some()).collect();
        wait_until(
            "a block from the new producer",
            Duration::from_secs(10),
            || alive.iter().all(|n| n.height() > h0),
        );
        nodes[p].start();
    }
    let acked = acked.lock().unwrap().clone();
    wait_until(
        "every acknowledged transaction included everywhere",
        Duration::from_secs(60),
        || nodes.iter().all(|n| acked.iter().all(|id| included(n, id))),
    );
    let height = assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(30));
    assert!(
        acked.len() > ROUNDS * 20,
        "only {} acknowledged",
        acked.len()
    );
    println!(
        "{ROUNDS} kills: new producer elected after {:?}; {} transactions acknowledged and included, {height} blocks",
        failovers,
        acked.len()
    );
}

/// Fault matrix 2: the producer is paused (SIGSTOP) past its lease; another
/// node takes over; resumed (SIGCONT), the old producer's append fails or
/// its lease is found gone, it steps down and follows.
#[test]
fn cluster_paused_producer_steps_down() {
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let nodes = three_nodes(&chain, &urls(&etcd));
    let mut direct = Direct::new(&urls(&etcd), &chain.genesis);
    let mut r = rng(21);
    let first = chain.stream(0, 30, &mut r);
    for (i, tx) in first.iter().enumerate() {
        assert!(nodes[i % 3].submit(tx));
    }
    let p = producer_index(&mut direct, &nodes, Duration::from_secs(15));
    let old = nodes[p].url.clone();
    // Pause it with work queued, so it is busy producing when it stops.
    let second = chain.stream(100, 30, &mut r);
    for tx in &second {
        assert!(nodes[p].submit(tx));
    }
    nodes[p].signal("-STOP");
    let paused = Instant::now();
    wait_until("a new producer", Duration::from_secs(10), || {
        direct.leader().is_some_and(|u| u != old)
    });
    let others: Vec<&NodeProc> = (0..3).filter(|i| *i != p).map(|i| &nodes[i]).collect();
    let third = chain.stream(200, 30, &mut r);
    for (i, tx) in third.iter().enumerate() {
        assert!(others[i % 2].submit(tx));
    }
    wait_until(
        "the paused node's successor to include new work",
        Duration::from_secs(20),
        || third.iter().all(|tx| included(others[0], &tx.id())),
    );
    std::thread::sleep(Duration::from_millis(LEASE_MS).saturating_sub(paused.elapsed()));
    nodes[p].signal("-CONT");
    // It follows: same blocks as the others, and more work gets in.
    let fourth = chain.stream(300, 12, &mut r);
    for tx in &fourth {
        assert!(nodes[p].submit(tx));
    }
    wait_until(
        "work submitted to the resumed node",
        Duration::from_secs(20),
        || {
            nodes.iter().all(|n| {
                fourth
                    .iter()
                    .chain(&first)
                    .chain(&second)
                    .all(|tx| included(n, &tx.id()))
            })
        },
    );
    assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(20));
    let log = nodes[p].log();
    assert!(
        log.contains("etcd refused the append") || log.contains("lost the producer's lease"),
        "the resumed producer did not step down: {log}"
    );
    assert!(nodes[p].status().is_some(), "the resumed node serves");
    for line in log.lines().filter(|l| l.contains("cluster:")) {
        println!("{}: {line}", nodes[p].name);
    }
}

/// What is wrong with a block written into etcd behind the producer's back.
#[derive(Clone, Copy, Debug)]
enum Forgery {
    /// Right link, epoch and transaction root; a wrong state root.
    StateRoot,
    /// A transaction whose proof is another transaction's.
    Proof,
    /// A previous-block hash that is not the tip's.
    Link,
}

/// Fault matrix 5: a block written into etcd behind the producer's back
/// makes every node halt (exit with an error) naming the height, and a
/// restarted node halts again rather than serve past it.
fn forged_block_halts_every_node(forgery: Forgery, expect: &str) {
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let mut nodes = three_nodes(&chain, &urls(&etcd));
    let mut direct = Direct::new(&urls(&etcd), &chain.genesis);
    let mut r = rng(51);
    let txs = chain.stream(0, 10, &mut r);
    for (i, tx) in txs.iter().enumerate() {
        assert!(nodes[i % 3].submit(tx));
    }
    wait_until("the transactions included", Duration::from_secs(30), || {
        nodes
            .iter()
            .all(|n| txs.iter().all(|tx| included(n, &tx.id())))
    });
    let tip = assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(10));
    let last = nodes[0].block(tip).unwrap();
    let mut forged = Block {
        header: BlockHeader {
            height: tip + 1,
            prev_hash: last.hash,
            epoch: last.header.epoch,
            tx_root: tx_root(&[]),
            state_root: last.header.state_root,
        },
        transactions: vec![],
    };
    match forgery {
        Forgery::StateRoot => forged.header.state_root = FixedBytes([0xAB; 32]),
        Forgery::Link => forged.header.prev_hash = FixedBytes([0xCD; 32]),
        Forgery::Proof => {
            let a = chain.contribution(50_000, 0, &mut r);
            let b = chain.contribution(50_001, 0, &mut r);
            let (Transaction::Contribute(mut a), Transaction::Contribute(b)) = (a, b) else {
                unreachable!()
            };
            a.proof = b.proof;
            let tx: Transaction = a.into();
            forged.header.tx_root = tx_root(&[tx.id()]);
            forged.transactions = vec![tx];
        }
    }
    direct.put(cluster::block_key(&direct.prefix, tip + 1), forged.encode());
    for n in &mut nodes {
        wait_until(
            &format!("{} to halt", n.name),
            Duration::from_secs(15),
            || n.exited().is_some(),
        );
        let status = n.exited().unwrap();
        assert!(!status.success(), "{} exited with success", n.name);
        let log = n.log();
        assert!(
            log.contains(&format!("halted at block {}", tip + 1)) && log.contains(expect),
            "{}: {log}",
            n.name
        );
        n.child = None;
    }
    // Restarted, a node halts again rather than serve past the bad block.
    nodes[0].start();
    wait_until(
        "the restarted node to halt",
        Duration::from_secs(15),
        || nodes[0].exited().is_some(),
    );
    nodes[0].child = None;
}

#[test]
fn cluster_forged_block_with_a_wrong_state_root_halts_every_node() {
    forged_block_halts_every_node(Forgery::StateRoot, "header's state_root differs");
}

#[test]
fn cluster_forged_block_with_an_invalid_proof_halts_every_node() {
    forged_block_halts_every_node(Forgery::Proof, "the proof does not verify");
}

#[test]
fn cluster_forged_block_with_a_bad_link_halts_every_node() {
    forged_block_halts_every_node(Forgery::Link, "prev_hash");
}

/// Fault matrix 4: a follower down while many blocks are made catches up
/// when it returns; a fresh node joining at height N replays from etcd.
/// (A snapshot fetched from a peer is not implemented.)
#[test]
fn cluster_follower_rejoins_and_fresh_node_joins() {
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let e = urls(&etcd);
    let mut nodes: Vec<NodeProc> = (0..2)
        .map(|i| NodeProc::spawn_with(chain.data_dir(&format!("n{i}")), &e, &format!("n{i}"), 4))
        .collect();
    let mut direct = Direct::new(&e, &chain.genesis);
    let p = producer_index(&mut direct, &nodes, Duration::from_secs(15));
    let f = 1 - p;
    let mut r = rng(41);
    let warm = chain.stream(0, 8, &mut r);
    for tx in &warm {
        assert!(nodes[p].submit(tx));
    }
    wait_until(
        "first blocks on the follower",
        Duration::from_secs(20),
        || warm.iter().all(|tx| included(&nodes[f], &tx.id())),
    );
    nodes[f].kill9();
    let many = chain.stream(100, 160, &mut r);
    for tx in &many {
        assert!(nodes[p].submit(tx));
    }
    wait_until(
        "the producer to include everything",
        Duration::from_secs(60),
        || many.iter().all(|tx| included(&nodes[p], &tx.id())),
    );
    let height = nodes[p].height();
    assert!(height >= 40, "only {height} blocks");
    let rejoin = Instant::now();
    nodes[f].start();
    let caught_up = wait_until("the follower to catch up", Duration::from_secs(60), || {
        nodes[f].height() == height
    });
    let _ = rejoin;
    let fresh = NodeProc::spawn(chain.data_dir("fresh"), &e, "fresh");
    let joined = wait_until("a fresh node to replay", Duration::from_secs(60), || {
        fresh.height() == height
    });
    assert_same_chain(&[&nodes[0], &nodes[1], &fresh], Duration::from_secs(10));
    println!("{height} blocks: a follower back after them caught up in {caught_up:?}, a fresh node in {joined:?}");
}

/// Fault matrix 3: three etcd members. With one killed the cluster keeps
/// producing; with two killed it stops producing and nobody forks; with
/// them back it resumes.
#[test]
fn cluster_survives_one_etcd_member_and_stops_without_two() {
    let chain = Chain::new();
    let mut etcd = Etcd::cluster(chain.dir.path(), 3);
    let e = urls(&etcd);
    let nodes = three_nodes(&chain, &e);
    let mut r = rng(71);
    let a = chain.stream(0, 12, &mut r);
    for (i, tx) in a.iter().enumerate() {
        assert!(nodes[i % 3].submit(tx));
    }
    let all_in = |txs: &[Transaction]| {
        nodes
            .iter()
            .all(|n| txs.iter().all(|tx| included(n, &tx.id())))
    };
    wait_until("a first batch", Duration::from_secs(30), || all_in(&a));
    etcd[0].kill();
    let b = chain.stream(100, 12, &mut r);
    for (i, tx) in b.iter().enumerate() {
        assert!(nodes[i % 3].submit(tx));
    }
    let t = wait_until(
        "a batch with one etcd member down",
        Duration::from_secs(30),
        || all_in(&b),
    );
    println!("one member down: batch included in {t:?}");
    let before = assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(10));
    etcd[1].kill();
    let c = chain.stream(200, 12, &mut r);
    for (i, tx) in c.iter().enumerate() {
        // Acknowledged locally; not forwarded while etcd has no quorum.
        assert!(nodes[i % 3].submit(tx));
    }
    std::thread::sleep(Duration::from_secs(5));
    for n in &nodes {
        assert_eq!(
            n.height(),
            before,
            "{} moved without an etcd quorum",
            n.name
        );
        assert!(n.status().is_some(), "{} stopped serving", n.name);
    }
    etcd[0].start();
    etcd[1].start();
    let t = wait_until("production to resume", Duration::from_secs(40), || {
        all_in(&c)
    });
    println!("quorum back: the queued batch included in {t:?}");
    assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(10));
}
