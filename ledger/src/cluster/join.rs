//! Joining a cluster from a peer's snapshot (`zkpension-node join`), for a
//! node that cannot replay from genesis because etcd no longer holds the
//! early blocks (`ClusterConfig::keep_blocks`).
//!
//! The peer is not trusted. The snapshot is rebuilt into a state and checked
//! against its base block's header ([`Snapshot::verify`]); the header is
//! then checked against the chain in etcd: it must be etcd's block at that
//! height, or the block etcd holds after it must link to it. Only then is
//! anything written, in one database transaction.

use super::etcd::{block_key, connect_with, EtcdAccess};
use crate::snapshot::{Snapshot, SnapshotError};
use crate::store::{OpenOptions, Store, StoreError};
use std::io::Read;
use std::path::Path;
use std::time::Duration;
use thiserror::Error;
use zkpension_core::{Block, Genesis, Hash32};
use zkpension_verifier::VerifierKeys;

/// Why a node could not join from a snapshot.
#[derive(Debug, Error)]
pub enum JoinError {
    #[error("{0}")]
    Store(#[from] StoreError),
    #[error(
        "this node's database already holds {0} blocks: it catches up from etcd by itself \
         (`zkpension-node run --etcd ...`); to start it from a snapshot anyway, move its \
         database away first"
    )]
    NotEmpty(u64),
    #[error("fetching {url}: {detail}")]
    Fetch { url: String, detail: String },
    #[error("the snapshot from {url} is refused: {source}")]
    Snapshot {
        url: String,
        #[source]
        source: SnapshotError,
    },
    #[error("cannot reach etcd at {endpoints}: {detail}; start etcd there or pass the right --etcd URLs")]
    Etcd { endpoints: String, detail: String },
    #[error("the snapshot's block {height} ({ours}) is not the cluster's: {detail}")]
    NotTheClusters {
        height: u64,
        ours: String,
        detail: String,
    },
}

/// What [`join`] installed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Joined {
    pub height: u64,
    pub block_hash: Hash32,
    pub state_root: Hash32,
    pub leaves: u64,
    pub bytes: usize,
    /// How etcd confirmed the base block.
    pub confirmed_by: String,
}

/// Downloads `GET {from}/v1/snapshot`, checks it against `genesis` and the
/// chain in etcd (`endpoints`, keys under `prefix`), and installs it into
/// the (new, or still empty) database at `db`. etcd is reached as `access`
/// says (TLS, authentication).
pub fn join(
    db: &Path,
    genesis: &Genesis,
    keys: &VerifierKeys,
    from: &str,
    endpoints: &[String],
    access: &EtcdAccess,
    prefix: &str,
) -> Result<Joined, JoinError> {
    // The installed snapshot is checked table by table when opened again.
    let options = OpenOptions {
        create: true,
        replay: true,
        verify_proofs: false,
    };
    let (store, state) = Store::open_checked(db, genesis, keys, options)?;
    if state.height() > 0 {
        return Err(JoinError::NotEmpty(state.height()));
    }
    let url = format!("{}/v1/snapshot", from.trim_end_matches('/'));
    let bytes = fetch(&url)?;
    let refused = |source| JoinError::Snapshot {
        url: url.clone(),
        source,
    };
    let snap = Snapshot::decode(&bytes).map_err(refused)?;
    let checked = snap.verify(genesis).map_err(refused)?;
    let confirmed_by = confirm(&snap, endpoints, access, prefix)?;
    store.install_snapshot(&snap, &checked)?;
    drop(store);
    // Opened again as `run` will: the base state rebuilt from the tables.
    let (_, state) = Store::open_checked(db, genesis, keys, options)?;
    Ok(Joined {
        height: state.height(),
        block_hash: state.tip_hash(),
        state_root: state.state_root(),
        leaves: state.scalars().leaf_count,
        bytes: bytes.len(),
        confirmed_by,
    })
}

fn fetch(url: &str) -> Result<Vec<u8>, JoinError> {
    let failed = |detail: String| JoinError::Fetch {
        url: url.to_string(),
        detail,
    };
    let resp = match ureq::get(url).timeout(Duration::from_secs(600)).call() {
        Ok(r) => r,
        Err(ureq::Error::Status(code, r)) => {
            let body = r.into_string().unwrap_or_default();
            let message = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["error"].as_str().map(String::from))
                .unwrap_or(body);
            return Err(failed(format!("HTTP {code}: {message}")));
        }
        Err(e) => return Err(failed(e.to_string())),
    };
    let mut bytes = Vec::new();
    resp.into_reader()
        .read_to_end(&mut bytes)
        .map_err(|e| failed(format!("reading the body: {e}")))?;
    Ok(bytes)
}

/// Checks the snapshot's base block against etcd: the block at its height,
/// or the link of the next one.
fn confirm(
    snap: &Snapshot,
    endpoints: &[String],
    access: &EtcdAccess,
    prefix: &str,
) -> Result<String, JoinError> {
    let h = snap.height();
    let ours = snap.block.hash();
    let not_ours = |detail: String| JoinError::NotTheClusters {
        height: h,
        ours: ours.to_string(),
        detail,
    };
    let unreachable = |e: etcd_client::Error| JoinError::Etcd {
        endpoints: endpoints.join(","),
        detail: e.to_string(),
    };
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| JoinError::Fetch {
            url: "a runtime for the etcd client".into(),
            detail: e.to_string(),
        })?;
    rt.block_on(async {
        let mut client = connect_with(endpoints, access).await.map_err(unreachable)?;
        for (height, link) in [(h, false), (h + 1, true)] {
            let resp = client
                .get(block_key(prefix, height), None)
                .await
                .map_err(unreachable)?;
            let Some(kv) = resp.kvs().first() else {
                continue;
            };
            let block = Block::decode(kv.value())
                .map_err(|e| not_ours(format!("etcd's block {height} does not decode ({e})")))?;
            return if !link && block.hash() == ours {
                Ok(format!("etcd's block {h} is the snapshot's"))
            } else if link && block.header.prev_hash == ours {
                Ok(format!(
                    "etcd's block {} links to the snapshot's block {h}",
                    h + 1
                ))
            } else if link {
                Err(not_ours(format!(
                    "etcd's block {} links to {}; the peer is on another chain",
                    h + 1,
                    block.header.prev_hash
                )))
            } else {
                Err(not_ours(format!(
                    "etcd's block {h} is {}; the peer is on another chain",
                    block.hash()
                )))
            };
        }
        Err(not_ours(format!(
            "etcd (prefix {prefix}) holds neither block {h} nor block {}: the peer is behind \
             what etcd keeps, or this is the wrong --etcd or --cluster-prefix; take the \
             snapshot from an up-to-date node",
            h + 1
        )))
    })
}
