//! etcd primitives of the cluster: the key layout, the connection, the
//! election, the fenced append and leases with their keep-alive tasks.

use etcd_client::{
    Certificate, Client, Compare, CompareOp, ConnectOptions, GetOptions, Identity, PutOptions,
    TlsOptions, Txn, TxnOp,
};
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

/// How a node reaches etcd beyond its URLs: TLS (`https://` URLs) and
/// etcd's authentication. The password is never printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct EtcdAccess {
    /// PEM certificate(s) of the CA that signed etcd's server certificates;
    /// required with `https://` URLs.
    pub ca_pem: Option<Vec<u8>>,
    /// This node's PEM certificate and private key, for an etcd started with
    /// `--client-cert-auth`.
    pub identity: Option<(Vec<u8>, Vec<u8>)>,
    /// An etcd user and its password, for an etcd with authentication
    /// enabled (`etcdctl auth enable`).
    pub user: Option<(String, String)>,
}

impl std::fmt::Debug for EtcdAccess {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EtcdAccess")
            .field("ca", &self.ca_pem.is_some())
            .field("client_certificate", &self.identity.is_some())
            .field("user", &self.user.as_ref().map(|(u, _)| u))
            .finish()
    }
}

impl EtcdAccess {
    /// Refuses a combination that cannot work: TLS material with `http://`
    /// URLs, `https://` URLs without a CA, or both schemes at once.
    pub fn check(&self, endpoints: &[String]) -> Result<(), String> {
        let https = endpoints
            .iter()
            .filter(|u| u.starts_with("https://"))
            .count();
        if https > 0 && https < endpoints.len() {
            return Err("the etcd URLs mix http:// and https://; use one scheme".into());
        }
        let tls = https > 0;
        if tls && self.ca_pem.is_none() {
            return Err(
                "https:// etcd URLs need the CA that signed etcd's certificates (--etcd-ca FILE)"
                    .into(),
            );
        }
        if !tls && (self.ca_pem.is_some() || self.identity.is_some()) {
            return Err(
                "--etcd-ca, --etcd-cert and --etcd-key are for https:// etcd URLs; these are \
                 http://"
                    .into(),
            );
        }
        Ok(())
    }
}

/// Connects to etcd (a request timeout of 2 s, so a dead member is noticed)
/// and checks it answers.
pub async fn connect(endpoints: &[String]) -> Result<Client, etcd_client::Error> {
    connect_with(endpoints, &EtcdAccess::default()).await
}

/// [`connect`] over TLS and with etcd's authentication, as `access` says.
pub async fn connect_with(
    endpoints: &[String],
    access: &EtcdAccess,
) -> Result<Client, etcd_client::Error> {
    let mut options = ConnectOptions::new()
        .with_connect_timeout(Duration::from_secs(2))
        .with_timeout(Duration::from_secs(2))
        .with_keep_alive(Duration::from_secs(2), Duration::from_secs(2));
    if let Some(ca) = &access.ca_pem {
        let mut tls = TlsOptions::new().ca_certificate(Certificate::from_pem(ca));
        if let Some((cert, key)) = &access.identity {
            tls = tls.identity(Identity::from_pem(cert, key));
        }
        options = options.with_tls(tls);
    }
    if let Some((user, password)) = &access.user {
        options = options.with_user(user.clone(), password.clone());
    }
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
