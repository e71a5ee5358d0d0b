//! etcd primitives of the cluster: the key layout, the connection, the
//! election, the fenced append and leases with their keep-alive tasks.

use etcd_client::{Client, Compare, CompareOp, ConnectOptions, GetOptions, PutOptions, Txn, TxnOp};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use zkpension_core::{Genesis, Transaction};

/// The default lease of the producer's election key.
pub const DEFAULT_LEASE_TTL: Duration = Duration::from_secs(3);
/// How long a forwarded transaction stays in the shared mempool after the
/// node that received it stopped renewing its lease.
pub const DEFAULT_MEMPOOL_TTL: Duration = Duration::from_secs(300);
/// Most bytes of transactions per block in a cluster: etcd refuses requests
/// over 1.5 MiB by default (`--max-request-bytes`).
pub const MAX_CLUSTER_BLOCK_BYTES: usize = 1 << 20;
/// Most operations per etcd transaction (etcd's `--max-txn-ops` default).
pub const MAX_TXN_OPS: usize = 128;

/// `/zkpension/<genesis hash, 64 hex digits>`: two chains never share keys.
pub fn default_prefix(genesis: &Genesis) -> String {
    format!("/zkpension/{}", hex::encode(genesis.hash().0))
}

/// The etcd key of block `height` under `prefix`.
pub fn block_key(prefix: &str, height: u64) -> String {
    format!("{prefix}/block/{height:020}")
}

/// The election key under `prefix`.
pub fn leader_key(prefix: &str) -> String {
    format!("{prefix}/leader")
}

/// The shared-mempool key of a transaction.
pub fn mempool_key(prefix: &str, tx: &Transaction) -> String {
    format!("{prefix}/mempool/{}", hex::encode(tx.id().0))
}

pub(crate) fn block_prefix(prefix: &str) -> String {
    format!("{prefix}/block/")
}

pub(crate) fn mempool_prefix(prefix: &str) -> String {
    format!("{prefix}/mempool/")
}

/// The height in a block key, if it is one.
pub fn parse_block_key(prefix: &str, key: &[u8]) -> Option<u64> {
    std::str::from_utf8(key)
        .ok()?
        .strip_prefix(&block_prefix(prefix))?
        .parse()
        .ok()
}

/// The producer's hold on the election: its key, the key's create-revision
/// when it won, and the lease it is attached to.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Election {
    pub key: String,
    pub create_revision: i64,
    pub lease: i64,
}

/// Connects to etcd (a request timeout of 2 s, so a dead member is noticed)
/// and checks it answers.
pub async fn connect(endpoints: &[String]) -> Result<Client, etcd_client::Error> {
    let options = ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(2))
        .with_timeout(Duration::from_secs(2))
        .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2));
    let mut client = Client::connect(endpoints, Some(options)).await?;
    client
        .get("/", Some(GetOptions::new().with_count_only()))
        .await?;
    Ok(client)
}

/// Tries to become the producer: puts the election key with `lease` if it
/// does not exist. Returns the election if won, `None` if another node holds
/// the key.
pub async fn campaign(
    client: &mut Client,
    prefix: &str,
    lease: i64,
    value: &str,
) -> Result<Option<Election>, etcd_client::Error> {
    let key = leader_key(prefix);
    let txn = Txn::new()
        .when([Compare::version(key.clone(), CompareOp::Equal, 0)])
        .and_then([TxnOp::put(
            key.clone(),
            value,
            Some(PutOptions::new().with_lease(lease)),
        )]);
    let resp = client.txn(txn).await?;
    if !resp.succeeded() {
        return Ok(None);
    }
    let revision = resp.header().map_or(0, |h| h.revision());
    Ok(Some(Election {
        key,
        create_revision: revision,
        lease,
    }))
}

/// Appends block `height` (its canonical bytes) under `prefix` and deletes
/// `deletes`, in one etcd transaction that succeeds only if `election` still
/// holds (the election key exists with its create-revision) and the block
/// key does not exist yet. Returns the revision of the write, or `None` if
/// refused: the caller is no longer the producer or the height is taken.
pub async fn append_block(
    client: &mut Client,
    prefix: &str,
    election: &Election,
    height: u64,
    block: Vec<u8>,
    deletes: &[String],
) -> Result<Option<i64>, etcd_client::Error> {
    let key = block_key(prefix, height);
    let mut ops = vec![TxnOp::put(key.clone(), block, None)];
    ops.extend(deletes.iter().map(|k| TxnOp::delete(k.clone(), None)));
    let txn = Txn::new()
        .when([
            Compare::create_revision(
                election.key.clone(),
                CompareOp::Equal,
                election.create_revision,
            ),
            Compare::version(key, CompareOp::Equal, 0),
        ])
        .and_then(ops);
    let resp = client.txn(txn).await?;
    Ok(resp
        .succeeded()
        .then(|| resp.header().map_or(0, |h| h.revision())))
}

/// Renews `lease` every third of `ttl` until it is refused or etcd cannot
/// be reached for a whole `ttl`; then sets `lost`.
async fn keep_alive(mut client: Client, lease: i64, ttl: Duration, lost: Arc<AtomicBool>) {
    let result: Result<(), String> = async {
        let (mut keeper, mut stream) = client
            .lease_keep_alive(lease)
            .await
            .map_err(|e| e.to_string())?;
        loop {
            match tokio::time::timeout(ttl, keeper.keep_alive()).await {
                Ok(r) => r.map_err(|e| e.to_string())?,
                Err(_) => return Err("the keep-alive request hangs".into()),
            }
            match tokio::time::timeout(ttl, stream.message()).await {
                Ok(Ok(Some(r))) if r.ttl() > 0 => {}
                Ok(Ok(Some(_))) => return Err("the lease expired".into()),
                Ok(Ok(None)) => return Err("the keep-alive stream ended".into()),
                Ok(Err(e)) => return Err(e.to_string()),
                Err(_) => return Err("no answer within the lease".into()),
            }
            tokio::time::sleep(ttl / 3).await;
        }
    }
    .await;
    if let Err(e) = result {
        tracing::debug!("lease {lease:x}: {e}");
    }
    lost.store(true, Ordering::SeqCst);
}

/// A lease and the task renewing it.
pub(crate) struct Lease {
    pub(crate) id: i64,
    lost: Arc<AtomicBool>,
    task: tokio::task::JoinHandle<()>,
}

impl Lease {
    pub(crate) async fn grant(
        client: &mut Client,
        ttl: Duration,
    ) -> Result<Lease, etcd_client::Error> {
        let secs = ttl.as_secs_f64().ceil().max(1.0) as i64;
        let id = client.lease_grant(secs, None).await?.id();
        let lost = Arc::new(AtomicBool::new(false));
        let task = tokio::spawn(keep_alive(client.clone(), id, ttl, lost.clone()));
        Ok(Lease { id, lost, task })
    }

    pub(crate) fn lost(&self) -> bool {
        self.lost.load(Ordering::SeqCst)
    }

    /// Stops renewing and revokes the lease (its keys go at once).
    pub(crate) async fn revoke(self, client: &mut Client) {
        self.task.abort();
        let _ = client.lease_revoke(self.id).await;
    }
}

impl Drop for Lease {
    fn drop(&mut self) {
        self.task.abort();
    }
}
