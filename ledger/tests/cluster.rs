//! The cluster's fault matrix (`docs/CLUSTER.md`): real etcd processes
//! (Debian's `etcd-server`) and real `zkpension-node` processes, all on
//! 127.0.0.1 with free ports, in temporary directories, killed on drop.
//! Transactions carry valid Groth16 proofs made with trapdoor keys
//! (`common::sim`), verified like any other by every node.

use crate::cluster_support;
use crate::common;

use cluster_support::*;
use common::*;
use rand_chacha::rand_core::RngCore;
use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use zkpension_core::block::tx_root;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::tx::TxId;
use zkpension_core::{Block, BlockHeader, Transaction};
use zkpension_ledger::cluster;

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
        let elected = killed_at.elapsed();
        client.join().unwrap();
        // The new producer includes new work, on every live node, within
        // 10 s of the kill.
        let alive: Vec<&NodeProc> = nodes.iter().filter(|n| n.child.is_some()).collect();
        let probe = chain.contribution(900_000 + round as u64, 0, &mut r);
        assert!(alive[0].submit(&probe));
        acked.lock().unwrap().push(probe.id());
        wait_logged(
            "new work from the new producer",
            Duration::from_secs(10).saturating_sub(killed_at.elapsed()),
            &alive,
            || {
                alive
                    .iter()
                    .all(|n| n.height() > h0 && included(n, &probe.id()))
            },
        );
        failovers.push((elected, killed_at.elapsed()));
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
        "{ROUNDS} kills: (new producer elected, new work included everywhere) after {:?}; {} transactions acknowledged and included, {height} blocks",
        failovers,
        acked.len()
    );
}

/// Fault matrix 1, at the worst moment: every producer dies (abort, a
/// failpoint) right after etcd accepted its block and before its own
/// database has it. Each time another node takes over; restarted, the dead
/// ones catch their own last block up from etcd; nothing acknowledged is
/// lost and every node has the same blocks.
#[test]
fn cluster_producer_dies_between_the_append_and_its_commit() {
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let e = urls(&etcd);
    let mut nodes: Vec<NodeProc> = (0..3)
        .map(|i| {
            let mut n = NodeProc::new(chain.data_dir(&format!("n{i}")), &e, &format!("n{i}"), 64);
            n.failpoint = Some("after-append".into());
            n.start();
            n
        })
        .collect();
    let mut r = rng(81);
    let mut acked = Vec::new();
    // (node, the block it appended and died before storing)
    let mut lost = Vec::new();
    // Three producers in turn append one block each and die.
    for round in 0..3u64 {
        let alive: Vec<usize> = (0..3).filter(|i| nodes[*i].child.is_some()).collect();
        let tx = chain.contribution(round, 0, &mut r);
        assert!(nodes[alive[0]].submit(&tx));
        acked.push(tx.id());
        let mut dead = None;
        wait_until(
            "a producer to die after its append",
            Duration::from_secs(15),
            || {
                dead = alive.iter().copied().find(|i| nodes[*i].exited().is_some());
                dead.is_some()
            },
        );
        let d = dead.unwrap();
        let log = nodes[d].log();
        let h: u64 = log
            .split("failpoint after-append: aborting after appending block ")
            .nth(1)
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|h| h.parse().ok())
            .unwrap_or_else(|| panic!("{} died without the failpoint: {log}", nodes[d].name));
        lost.push((d, h));
        nodes[d].child = None;
    }
    // Restarted without the failpoint, they resume from etcd.
    for n in &mut nodes {
        n.failpoint = None;
        if n.child.is_none() {
            n.start();
        }
    }
    let more = chain.stream(100, 9, &mut r);
    for (i, tx) in more.iter().enumerate() {
        assert!(nodes[i % 3].submit(tx));
        acked.push(tx.id());
    }
    wait_logged(
        "every acknowledged transaction included everywhere",
        Duration::from_secs(30),
        &nodes.iter().collect::<Vec<_>>(),
        || nodes.iter().all(|n| acked.iter().all(|id| included(n, id))),
    );
    let height = assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(10));
    assert!(height >= 4, "height {height}");
    for (d, h) in lost {
        let log = nodes[d].log();
        assert!(
            log.contains(&format!("block {h}: applied from etcd")),
            "{} did not take its own block {h} from etcd: {log}",
            nodes[d].name
        );
    }
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
/// when it returns; a fresh node joining at height N replays from etcd
/// (by snapshot: the next test).
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

/// `zkpension-node join` with `args`; its output.
fn join_command(data: &std::path::Path, from: &str, etcd: &str) -> std::process::Output {
    std::process::Command::new(node_binary())
        .args([
            "join",
            "--data",
            data.to_str().unwrap(),
            "--from",
            from,
            "--etcd",
            etcd,
            "--json",
        ])
        .output()
        .unwrap()
}

/// Fault matrix 4, by snapshot: the producer keeps the latest 3 blocks in
/// etcd; a fresh node cannot replay from genesis and halts saying how to
/// join; `join` takes a follower's snapshot, checks it against its block's
/// state root and that block against etcd, and the node then follows like
/// the others, across a restart. A snapshot from a node that is not on the
/// cluster's chain is refused, and a database with blocks is not
/// overwritten.
#[test]
fn cluster_fresh_node_joins_from_a_snapshot_when_etcd_pruned() {
    let chain = Chain::new();
    let etcd = Etcd::cluster(chain.dir.path(), 1);
    let e = urls(&etcd);
    let keep = ["--etcd-keep-blocks".to_string(), "3".to_string()];
    let nodes: Vec<NodeProc> = (0..2)
        .map(|i| {
            let mut n = NodeProc::new(chain.data_dir(&format!("n{i}")), &e, &format!("n{i}"), 4);
            n.extra = keep.to_vec();
            n.start();
            n
        })
        .collect();
    let mut direct = Direct::new(&e, &chain.genesis);
    let p = producer_index(&mut direct, &nodes, Duration::from_secs(15));
    let f = 1 - p;
    let mut r = rng(43);
    let txs = chain.stream(0, 40, &mut r);
    for tx in &txs {
        assert!(nodes[p].submit(tx));
    }
    wait_until(
        "both nodes to include everything",
        Duration::from_secs(60),
        || all_included(&nodes, &txs),
    );
    let height = assert_same_chain(&[&nodes[0], &nodes[1]], Duration::from_secs(10));
    assert!(height >= 10, "only {height} blocks");
    let kept: Vec<u64> = (1..=height)
        .filter(|h| direct.has(cluster::block_key(&direct.prefix, *h)))
        .collect();
    assert_eq!(kept, (height - 2..=height).collect::<Vec<_>>());

    // Replaying from genesis is impossible now: a fresh node halts and says
    // how to join.
    let mut fresh = NodeProc::spawn(chain.data_dir("fresh"), &e, "fresh");
    wait_until("the fresh node to halt", Duration::from_secs(30), || {
        fresh.exited().is_some()
    });
    let log = fresh.log();
    assert!(
        log.contains("etcd no longer holds blocks 1 to") && log.contains("zkpension-node join"),
        "{log}"
    );
    fresh.child = None;

    // A node of the same genesis on another chain (its own prefix): its
    // snapshot is refused against the cluster's etcd.
    let mut loner = NodeProc::new(chain.data_dir("loner"), &e, "loner", 4);
    loner.extra = vec!["--cluster-prefix".into(), "/elsewhere".into()];
    loner.start();
    // One transaction per block, up to the cluster's height: etcd holds
    // the cluster's block at the loner's height, and it differs.
    for tx in chain.stream(5_000, height, &mut r) {
        assert!(loner.submit(&tx));
        wait_until("the loner's block", Duration::from_secs(10), || {
            included(&loner, &tx.id())
        });
    }
    assert_eq!(loner.height(), height);
    // As the README does it: genesis.json and keys/ of the chain, no
    // database.
    let data = chain.data_dir("joiner");
    std::fs::remove_file(data.join(zkpension_ledger::node::DB_FILE)).unwrap();
    let out = join_command(&data, &loner.url, &e);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success()
            && stderr.contains("is not the cluster's")
            && stderr.contains("the peer is on another chain"),
        "{stderr}"
    );

    // From the follower: checked, installed.
    let out = join_command(&data, &nodes[f].url, &e);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{stderr}");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let base = v["height"].as_u64().unwrap();
    assert!(base >= height, "{v}");
    assert!(
        v["confirmed_by"].as_str().unwrap().contains("etcd's block"),
        "{v}"
    );
    let again = join_command(&data, &nodes[f].url, &e);
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(
        !again.status.success() && stderr.contains("already holds"),
        "{stderr}"
    );

    let mut joiner = NodeProc::new(data, &e, "joiner", 4);
    joiner.extra = keep.to_vec();
    joiner.start();
    assert_eq!(joiner.status().unwrap().snapshot_base, Some(base));
    match ureq::get(&format!("{}/v1/blocks/1", joiner.url)).call() {
        Err(ureq::Error::Status(404, resp)) => {
            let body = resp.into_string().unwrap();
            assert!(body.contains("joined from a snapshot at height"), "{body}");
        }
        other => panic!("block 1 on the joined node: {other:?}"),
    }
    // It takes part: transactions submitted to it reach every node.
    let more = chain.stream(1_000, 12, &mut r);
    for tx in &more {
        assert!(joiner.submit(tx));
    }
    let all = [&nodes[0], &nodes[1], &joiner];
    wait_logged(
        "the joined node's transactions everywhere",
        Duration::from_secs(60),
        &all,
        || all_included(all, &more),
    );
    assert_same_chain(&all, Duration::from_secs(10));
    // Restarted, it opens from its base and follows on.
    joiner.kill9();
    joiner.start();
    let tip = nodes[p].height();
    wait_until("the joined node back", Duration::from_secs(30), || {
        joiner.height() >= tip
    });
    assert_same_chain(&[&nodes[0], &nodes[1], &joiner], Duration::from_secs(10));
    println!(
        "{height} blocks, etcd keeping 3: joined from a {} byte snapshot at height {base}",
        v["bytes"]
    );
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
    let t = wait_logged(
        "a batch with one etcd member down",
        Duration::from_secs(30),
        &nodes.iter().collect::<Vec<_>>(),
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
    let t = wait_logged(
        "production to resume",
        Duration::from_secs(40),
        &nodes.iter().collect::<Vec<_>>(),
        || all_in(&c),
    );
    println!("quorum back: the queued batch included in {t:?}");
    assert_same_chain(&nodes.iter().collect::<Vec<_>>(), Duration::from_secs(10));
}
