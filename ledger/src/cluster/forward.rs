//! Forwarding: the transactions a node admits go to the shared mempool in
//! etcd, each under the node's mempool lease.

use super::etcd::{mempool_key, Lease, MAX_TXN_OPS};
use crate::node_core::NodeCore;
use etcd_client::{Client, PutOptions, Txn, TxnOp};
use std::collections::{HashSet, VecDeque};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use zkpension_core::{Transaction, TxId};

/// Transactions waiting to be forwarded, each id once, oldest first.
#[derive(Default)]
struct Queue {
    txs: VecDeque<Transaction>,
    ids: HashSet<TxId>,
}

impl Queue {
    fn push(&mut self, tx: Transaction) {
        if self.ids.insert(tx.id()) {
            self.txs.push_back(tx);
        }
    }

    fn drain(&mut self, n: usize) {
        for tx in self.txs.drain(..n) {
            self.ids.remove(&tx.id());
        }
    }

    fn len(&self) -> usize {
        self.txs.len()
    }

    fn is_empty(&self) -> bool {
        self.txs.is_empty()
    }
}

/// The transactions this node queues.
pub(crate) fn queued(core: &NodeCore) -> Vec<Transaction> {
    crate::node_core::lock(&core.mempool)
        .batch(usize::MAX)
        .into_iter()
        .map(|(_, c)| c.into_tx())
        .collect()
}

/// Returns once `shutdown` is set (the guard `wait_for` returns is not
/// `Send`, so it is dropped here).
pub(crate) async fn stopped(shutdown: &mut watch::Receiver<bool>) {
    let _ = shutdown.wait_for(|s| *s).await;
}

/// Sleeps `d`; true if shutdown came first.
pub(crate) async fn wait(shutdown: &mut watch::Receiver<bool>, d: Duration) -> bool {
    tokio::select! {
        _ = stopped(shutdown) => true,
        _ = tokio::time::sleep(d) => false,
    }
}

/// Puts the transactions this node queues into the shared mempool, each
/// under this node's mempool lease; retries while etcd is unreachable.
pub(crate) async fn forward_loop(
    core: Arc<NodeCore>,
    mut client: Client,
    prefix: String,
    mempool_ttl: Duration,
    pending: Vec<Transaction>,
    mut rx: mpsc::UnboundedReceiver<Transaction>,
    mut shutdown: watch::Receiver<bool>,
) {
    // Each transaction once: the queue read at start and the channel may
    // both hold one, and etcd refuses a transaction that puts a key twice.
    let mut queue = Queue::default();
    for tx in pending {
        queue.push(tx);
    }
    let mut lease: Option<Lease> = None;
    let mut granted = false;
    loop {
        if queue.is_empty() {
            tokio::select! {
                _ = stopped(&mut shutdown) => return,
                tx = rx.recv() => match tx {
                    Some(tx) => queue.push(tx),
                    None => return,
                },
            }
        }
        while let Ok(tx) = rx.try_recv() {
            queue.push(tx);
        }
        if lease.as_ref().is_some_and(Lease::lost) {
            lease = None;
        }
        if lease.is_none() {
            match Lease::grant(&mut client, mempool_ttl).await {
                Ok(l) => {
                    if granted {
                        // The keys under the old lease are gone, or will be
                        // when it expires: put this node's queue again.
                        for tx in queued(&core) {
                            queue.push(tx);
                        }
                    }
                    granted = true;
                    lease = Some(l);
                }
                Err(e) => {
                    tracing::warn!("cluster: mempool lease: {e}; retrying");
                    if wait(&mut shutdown, Duration::from_millis(200)).await {
                        return;
                    }
                    continue;
                }
            }
        }
        let id = lease.as_ref().expect("granted").id;
        let n = queue.len().min(MAX_TXN_OPS);
        let ops: Vec<TxnOp> = queue
            .txs
            .iter()
            .take(n)
            .map(|tx| {
                TxnOp::put(
                    mempool_key(&prefix, tx),
                    tx.encode(),
                    Some(PutOptions::new().with_lease(id)),
                )
            })
            .collect();
        match client.txn(Txn::new().and_then(ops)).await {
            Ok(_) => queue.drain(n),
            Err(e) => {
                // Perhaps the lease is gone ("requested lease not found"):
                // retry under a new one.
                lease = None;
                tracing::warn!("cluster: forwarding {n} transactions to etcd: {e}; retrying");
                if wait(&mut shutdown, Duration::from_millis(200)).await {
                    return;
                }
            }
        }
    }
}
