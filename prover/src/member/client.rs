//! A small blocking HTTP client for a zkpension node's JSON API (the routes of
//! `zkpension_core::views`). Every answer is decoded into the node's own view
//! types, so a field the node renames is a compile error here, not a silent
//! mismatch.

use serde::de::DeserializeOwned;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};
use thiserror::Error;

use zkpension_circuits::values::{ContextId, Nullifier};
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::views::{
    AttestationsView, CompactView, GenesisView, GovernanceView, NullifierBucketView, NullifierView,
    ShardsView, StatusView, TxState, TxStatusView,
};
use zkpension_core::{Reason, Transaction, TxId};

/// Why a request to the node failed.
#[derive(Debug, Error)]
pub enum ClientError {
    #[error("cannot reach the node at {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("the node refused the request ({status}): {message}")]
    Refused { status: u16, message: String },
    #[error("the node's answer to {url} is not what this client understands: {message}")]
    BadAnswer { url: String, message: String },
    #[error("transaction {id} was rejected: {reason}", reason = reason.message)]
    Rejected { id: String, reason: Reason },
    #[error("transaction {id} is still pending after {waited:?}")]
    Timeout { id: String, waited: Duration },
}

/// A failed request as a [`ClientError`]; `{"error", "code", "id"}` bodies
/// are read, and 422 (the node checked the transaction and refuses it) is a
/// rejection.
fn error(url: &str, e: ureq::Error) -> ClientError {
    match e {
        ureq::Error::Status(status, resp) => {
            let body = resp.into_string().unwrap_or_default();
            let v = serde_json::from_str::<serde_json::Value>(&body).ok();
            let field = |k: &str| v.as_ref().and_then(|v| v[k].as_str().map(str::to_string));
            let message = field("error").unwrap_or(body);
            if status == 422 {
                return ClientError::Rejected {
                    id: field("id").unwrap_or_default(),
                    reason: Reason {
                        code: field("code").unwrap_or_default(),
                        message,
                    },
                };
            }
            ClientError::Refused { status, message }
        }
        e => ClientError::Unreachable {
            url: url.to_string(),
            message: e.to_string(),
        },
    }
}

/// A node's base URL, e.g. `http://127.0.0.1:8080`.
#[derive(Clone, Debug)]
pub struct NodeClient {
    base: String,
    agent: ureq::Agent,
    /// Bytes of answer bodies decoded so far (shared by clones).
    received: Arc<AtomicU64>,
}

/// A reader that counts what passes through it.
struct Counting<'a, R> {
    inner: R,
    count: &'a AtomicU64,
}

impl<R: std::io::Read> std::io::Read for Counting<'_, R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.count.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

/// `url` with a scheme: `host:port` means `http://host:port`.
fn base_url(url: &str) -> String {
    let url = url.trim().trim_end_matches('/');
    if url.contains("://") {
        url.to_string()
    } else {
        format!("http://{url}")
    }
}

impl NodeClient {
    /// A client of the node at `url` (`http://host:port`, or just `host:port`).
    pub fn new(url: &str) -> Self {
        NodeClient {
            base: base_url(url),
            agent: ureq::AgentBuilder::new()
                .timeout_connect(Duration::from_secs(5))
                .timeout(Duration::from_secs(120))
                .build(),
            received: Arc::default(),
        }
    }

    pub fn url(&self) -> &str {
        &self.base
    }

    /// Bytes of answer bodies this client (and its clones) decoded so far.
    pub fn bytes_received(&self) -> u64 {
        self.received.load(Ordering::Relaxed)
    }

    fn answer<T: DeserializeOwned>(
        &self,
        url: &str,
        r: Result<ureq::Response, ureq::Error>,
    ) -> Result<T, ClientError> {
        let reader = Counting {
            inner: r.map_err(|e| error(url, e))?.into_reader(),
            count: &self.received,
        };
        serde_json::from_reader::<_, T>(std::io::BufReader::new(reader)).map_err(|e| {
            ClientError::BadAnswer {
                url: url.to_string(),
                message: e.to_string(),
            }
        })
    }

    fn get<T: DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = format!("{}{}", self.base, path);
        self.answer(&url, self.agent.get(&url).call())
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<StatusView, ClientError> {
        self.get("/v1/status")
    }

    /// `GET /v1/genesis`.
    pub fn genesis(&self) -> Result<GenesisView, ClientError> {
        self.get("/v1/genesis")
    }

    /// `GET /v1/governance`.
    pub fn governance(&self) -> Result<GovernanceView, ClientError> {
        self.get("/v1/governance")
    }

    /// `POST /v1/tx` (binary canonical encoding).
    pub fn submit(&self, tx: &Transaction) -> Result<TxStatusView, ClientError> {
        let url = format!("{}/v1/tx", self.base);
        let r = self
            .agent
            .post(&url)
            .set("content-type", "application/octet-stream")
            .send_bytes(&tx.encode());
        let view: TxStatusView = self.answer(&url, r)?;
        if let TxState::Rejected { reason } = view.state {
            return Err(ClientError::Rejected {
                id: encode_hex(&view.id.0),
                reason,
            });
        }
        Ok(view)
    }

    /// `GET /v1/tx/{id}`.
    pub fn tx(&self, id: &TxId) -> Result<TxStatusView, ClientError> {
        self.get(&format!("/v1/tx/{}", encode_hex(&id.0)))
    }

    /// Polls a transaction until it is included (returns the height) or
    /// rejected.
    pub fn wait_included(&self, id: &TxId, timeout: Duration) -> Result<u64, ClientError> {
        let start = Instant::now();
        loop {
            match self.tx(id)?.state {
                TxState::Included { height, .. } => return Ok(height),
                TxState::Rejected { reason } => {
                    return Err(ClientError::Rejected {
                        id: encode_hex(&id.0),
                        reason,
                    })
                }
                TxState::Pending => {}
            }
            if start.elapsed() > timeout {
                return Err(ClientError::Timeout {
                    id: encode_hex(&id.0),
                    waited: start.elapsed(),
                });
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// `GET /v1/compact?from=&to=`: at most the node's page size of blocks.
    pub fn compact(&self, from: u64, to: Option<u64>) -> Result<CompactView, ClientError> {
        match to {
            Some(to) => self.get(&format!("/v1/compact?from={from}&to={to}")),
            None => self.get(&format!("/v1/compact?from={from}")),
        }
    }

    /// `GET /v1/tree/shards?from=`.
    pub fn shards(&self, from: u64) -> Result<ShardsView, ClientError> {
        self.get(&format!("/v1/tree/shards?from={from}"))
    }

    /// `GET /v1/tree/leaves?from=&to=`: at most a shard's worth.
    pub fn leaves(
        &self,
        from: u64,
        to: u64,
    ) -> Result<zkpension_core::views::LeavesView, ClientError> {
        self.get(&format!("/v1/tree/leaves?from={from}&to={to}"))
    }

    /// `GET /v1/nullifiers?bits=&bucket=&from=&after=`: one page of a
    /// nullifier bucket.
    pub fn nullifier_bucket(
        &self,
        bits: u8,
        bucket: u32,
        from: u64,
        after: Option<&Nullifier>,
    ) -> Result<NullifierBucketView, ClientError> {
        let after = after.map(|a| format!("&after={a}")).unwrap_or_default();
        self.get(&format!(
            "/v1/nullifiers?bits={bits}&bucket={bucket}&from={from}{after}"
        ))
    }

    /// `GET /v1/nullifiers/{nf}`.
    pub fn nullifier(&self, nf: &Nullifier) -> Result<NullifierView, ClientError> {
        self.get(&format!("/v1/nullifiers/{nf}"))
    }

    /// `GET /v1/keys`: the manifest of the node's key directory.
    pub fn keys_manifest(&self) -> Result<zkpension_verifier::KeyManifest, ClientError> {
        self.get("/v1/keys")
    }

    /// `GET /v1/keys/{file}`: one file of the node's key directory, at most
    /// `limit` bytes.
    pub fn key_file(&self, file: &str, limit: u64) -> Result<Vec<u8>, ClientError> {
        use std::io::Read;
        let url = format!("{}/v1/keys/{file}", self.base);
        let resp = match self.agent.get(&url).call() {
            Ok(resp) => resp,
            Err(e) => return Err(error(&url, e)),
        };
        let mut bytes = Vec::new();
        resp.into_reader()
            .take(limit + 1)
            .read_to_end(&mut bytes)
            .map_err(|e| ClientError::Unreachable {
                url: url.clone(),
                message: e.to_string(),
            })?;
        if bytes.len() as u64 > limit {
            return Err(ClientError::BadAnswer {
                url,
                message: format!("more than the {limit} bytes the manifest gives"),
            });
        }
        Ok(bytes)
    }

    /// `GET /v1/blocks/{height}`.
    pub fn block(&self, height: u64) -> Result<zkpension_core::views::BlockView, ClientError> {
        self.get(&format!("/v1/blocks/{height}"))
    }

    /// `GET /v1/attestations/{context}/{tag}`.
    pub fn attestation(
        &self,
        context: &ContextId,
        tag: &zkpension_circuits::values::AttestTag,
    ) -> Result<zkpension_core::views::AttestationRecord, ClientError> {
        self.get(&format!("/v1/attestations/{context}/{tag}"))
    }

    /// `GET /v1/attestations/{context}`.
    pub fn attestations(&self, context: &ContextId) -> Result<AttestationsView, ClientError> {
        self.get(&format!("/v1/attestations/{context}"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_node_can_be_named_by_host_and_port() {
        assert_eq!(
            NodeClient::new("127.0.0.1:8080").url(),
            "http://127.0.0.1:8080"
        );
        assert_eq!(
            NodeClient::new("node.example:80/").url(),
            "http://node.example:80"
        );
        assert_eq!(
            NodeClient::new("http://10.0.0.1:8080/").url(),
            "http://10.0.0.1:8080"
        );
        assert_eq!(
            NodeClient::new("https://fund.example").url(),
            "https://fund.example"
        );
    }
}
