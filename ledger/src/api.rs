//! The node's HTTP/JSON API (version 1).
//!
//! | method and path | answer |
//! |---|---|
//! | `POST /v1/tx` | submit a transaction (JSON [`Transaction`], or its canonical bytes as `application/octet-stream`): [`TxStatusView`], `202` once queued (every check passed, the proof verified), `200` if already known |
//! | `GET /v1/tx/{id}` | [`TxStatusView`]: `pending`, `included` (height, index) or `rejected` (reason) |
//! | `GET /v1/status` | [`StatusView`] |
//! | `GET /v1/genesis` | the genesis and its hash |
//! | `GET /v1/governance` | [`GovernanceView`]: the authority's and the registrar's keys and signer groups, parameter bounds, steps and delay, the pending change, every change since genesis |
//! | `GET /v1/blocks/{height}` | [`BlockView`] |
//! | `GET /v1/compact?from=&to=` | [`CompactView`]: per block the new commitments and nullifiers, at most [`MAX_COMPACT_BLOCKS`] blocks |
//! | `GET /v1/nullifiers/{nf}` | [`NullifierView`] |
//! | `GET /v1/nullifiers?bits=&bucket=&from=&after=` | [`NullifierBucketView`]: the nullifiers whose first `bits` bits are `bucket`, spent at height `from` or later, at most [`MAX_BUCKET_NULLIFIERS`] (the light wallet sync's spent check) |
//! | `GET /v1/attestations/{context}?after=&limit=` | [`AttestationsView`], ordered by tag; `{context}` is `0x` + 64 hex digits or a text context (`landlord:flat-12`, URL-encoded), mapped with [`context_from_text`] |
//! | `GET /v1/attestations/{context}/{tag}` | [`AttestationRecord`] |
//! | `GET /v1/keys` | the key directory's `manifest.json`, as stored |
//! | `GET /v1/keys/{file}` | the bytes (`application/octet-stream`) of a file the manifest names as a `pk_file` or `vk_file`; 404 for any other name or a proving key the node does not hold |
//! | `GET /v1/tree/shards?from=` | [`ShardsView`]: roots of complete 4,096-leaf shards |
//! | `GET /v1/tree/leaves?from=&to=` | [`LeavesView`]: leaves `from..to`, at most [`MAX_LEAVES`] |
//! | `GET /v1/snapshot` | the bytes (`application/octet-stream`) of [`crate::snapshot::Snapshot`]: the state after the tip, for `zkpension-node join`; 404 at height 0 |
//! | `GET /`, `GET /explorer/…` | the public explorer's HTML pages, merged in by the node (`explorer` module) |
//!
//! Field elements are `0x` + 64 hex digits (values `>= p` are refused),
//! hashes and ids `0x` + 64 hex digits, amounts plain JSON integers.
//! Every error is `{"error": "<reason>"}` with a 4xx status for the client's
//! mistakes (400 malformed or a failed stateless check, 404 unknown, 408 body
//! not received in time, 413 body too large, 422 a rule the transaction
//! breaks against the current state or a proof that does not verify, 429 too
//! many refused submissions from this address lately (with `Retry-After`, in
//! seconds; [`crate::limiter`]), 503 mempool full or too many connections)
//! and 500 for the node's.
//! Rejections also carry `"code"` ([`Rejection::code`]) and `"id"`. A proof
//! that does not verify (`invalid_proof`, `malformed_proof`) is never recorded
//! as the id's status: the id does not cover the proof, so `GET /v1/tx/{id}`
//! keeps answering what it did before (`pending`, or 404).

use crate::node_core::{CoreError, NodeCore, Stage};
use crate::store::StoreError;
use axum::body::{Body, HttpBody};
use axum::extract::rejection::QueryRejection;
use axum::extract::{ConnectInfo, DefaultBodyLimit, FromRef, Path, Query, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use std::future::poll_fn;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;
use zkpension_circuits::binding::context_from_text;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::views::*;
use zkpension_core::{Rejection, Transaction, TxId};

/// Largest request body; a transaction's JSON is at most about 3.5 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Of a body over [`MAX_BODY_BYTES`], at most this much is read (and
/// discarded) before answering 413.
pub const MAX_DRAINED_BYTES: usize = 1 << 20;

/// An error answer: `{"error": .., "code": ..}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
    /// `Retry-After`, in whole seconds.
    retry_after: Option<u64>,
}

impl ApiError {
    fn new(status: StatusCode, error: impl Into<String>) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: error.into(),
                code: None,
                id: None,
            },
            retry_after: None,
        }
    }

    /// The answer's status.
    pub fn status(&self) -> StatusCode {
        self.status
    }

    /// What went wrong.
    pub fn message(&self) -> &str {
        &self.body.error
    }

    fn bad_request(error: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, error)
    }

    fn not_found(error: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, error)
    }

    fn rejection(status: StatusCode, id: Option<TxId>, r: &Rejection) -> Self {
        ApiError {
            status,
            body: ErrorBody {
                error: r.to_string(),
                code: Some(r.code().to_string()),
                id,
            },
            retry_after: None,
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("storage: {e}"))
    }
}

impl From<CoreError> for ApiError {
    fn from(e: CoreError) -> Self {
        match e {
            CoreError::Rejected { stage, id, reason } => {
                let status = match stage {
                    Stage::Stateless => StatusCode::BAD_REQUEST,
                    Stage::Stateful => StatusCode::UNPROCESSABLE_ENTITY,
                };
                ApiError::rejection(status, Some(id), &reason)
            }
            CoreError::BadRequest(m) => ApiError::bad_request(m),
            CoreError::NotFound(m) => ApiError::not_found(m),
            CoreError::Full(e) => ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()),
            e @ CoreError::Limited { retry_after, .. } => {
                let mut err = ApiError::new(StatusCode::TOO_MANY_REQUESTS, e.to_string());
                err.retry_after = Some(retry_after.as_secs_f64().ceil().max(1.0) as u64);
                err
            }
            CoreError::Store(e) => {
                tracing::warn!("storage error answering a request: {e}");
                e.into()
            }
            CoreError::Internal(m) => ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, m),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let mut r = (self.status, Json(self.body)).into_response();
        if let Some(secs) = self.retry_after {
            r.headers_mut()
                .insert(header::RETRY_AFTER, header::HeaderValue::from(secs));
        }
        r
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Runs blocking work (storage, locks held across proofs) off the async
/// workers.
pub(crate) async fn blocking<T: Send + 'static, E: Into<ApiError> + Send + 'static>(
    f: impl FnOnce() -> Result<T, E> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| {
            ApiError::new(
                StatusCode::INTERNAL_SERVER_ERROR,
                format!("request handler failed: {e}"),
            )
        })?
        .map_err(Into::into)
}

/// What the handlers share: the node and the body timeout.
#[derive(Clone)]
pub(crate) struct ApiState {
    pub core: Arc<NodeCore>,
    pub body_timeout: Duration,
}

impl FromRef<ApiState> for Arc<NodeCore> {
    fn from_ref(s: &ApiState) -> Arc<NodeCore> {
        s.core.clone()
    }
}

/// The API's routes with `pages` (the explorer's) merged in.
pub(crate) fn router(
    core: Arc<NodeCore>,
    body_timeout: Duration,
    pages: Router<ApiState>,
) -> Router {
    Router::new()
        .route("/v1/tx", post(submit))
        .route("/v1/tx/{id}", get(tx_status))
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/governance", get(governance))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/compact", get(compact))
        .route("/v1/nullifiers", get(nullifier_bucket))
        .route("/v1/nullifiers/{nf}", get(nullifier))
        .route("/v1/attestations/{context}", get(attestations))
        .route("/v1/attestations/{context}/{tag}", get(attestation))
        .route("/v1/tree/shards", get(shards))
        .route("/v1/tree/leaves", get(leaves))
        .route("/v1/snapshot", get(snapshot))
        .route("/v1/keys", get(keys_manifest))
        .route("/v1/keys/{file}", get(key_file))
        .merge(pages)
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(ApiState { core, body_timeout })
}

/// A protocol value (`0x` + 64 hex digits below p) from a path or query.
fn parse_fr<T: From<Fr>>(what: &str, s: &str) -> Result<T, ApiError> {
    field::from_hex(s)
        .map(T::from)
        .map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

/// An attest context: `0x` + 64 hex digits is the context itself, anything
/// else is its text (`landlord:flat-12`), mapped with [`context_from_text`].
pub(crate) fn parse_context(s: &str) -> Result<ContextId, ApiError> {
    let is_hex =
        s.len() == 66 && s.starts_with("0x") && s[2..].bytes().all(|b| b.is_ascii_hexdigit());
    if is_hex {
        parse_fr("context", s)
    } else {
        Ok(context_from_text(s))
    }
}

fn parse_id(s: &str) -> Result<TxId, ApiError> {
    s.parse()
        .map_err(|e| ApiError::bad_request(format!("transaction id: {e}")))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))
}

/// Reads a request body of at most [`MAX_BODY_BYTES`]. A larger one is
/// refused with 413 after reading (and discarding) up to
/// [`MAX_DRAINED_BYTES`] of it, so the client gets the answer instead of a
/// reset connection; a body announced or found larger than that is refused
/// without reading further.
async fn read_body(
    headers: &HeaderMap,
    body: Body,
    timeout: Duration,
) -> Result<Vec<u8>, ApiError> {
    tokio::time::timeout(timeout, read_body_now(headers, body))
        .await
        .map_err(|_| {
            ApiError::new(
                StatusCode::REQUEST_TIMEOUT,
                format!(
                    "the request body did not arrive within {} s",
                    timeout.as_secs_f64()
                ),
            )
        })?
}

async fn read_body_now(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, ApiError> {
    let too_large = |len: usize| {
        ApiError::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            format!("request body of {len} bytes or more; at most {MAX_BODY_BYTES} are allowed"),
        )
    };
    let announced = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok());
    if let Some(len) = announced.filter(|len| *len > MAX_DRAINED_BYTES) {
        return Err(too_large(len));
    }
    let mut body = body;
    let mut bytes = Vec::new();
    let mut total = 0usize;
    while let Some(frame) = poll_fn(|cx| Pin::new(&mut body).poll_frame(cx)).await {
        let frame =
            frame.map_err(|e| ApiError::bad_request(format!("reading the request body: {e}")))?;
        if let Ok(data) = frame.into_data() {
            total += data.len();
            if total <= MAX_BODY_BYTES {
                bytes.extend_from_slice(&data);
            } else if total > MAX_DRAINED_BYTES {
                return Err(too_large(total));
            }
        }
    }
    if total > MAX_BODY_BYTES {
        return Err(too_large(total));
    }
    Ok(bytes)
}

async fn submit(
    AxState(api): AxState<ApiState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<TxStatusView>), ApiError> {
    let peer = peer.ip();
    let core = api.core;
    let answer = async {
        core.admit_peer(peer)?;
        let body = read_body(&headers, body, api.body_timeout).await?;
        let binary = headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/octet-stream"));
        let tx = if binary {
            Transaction::decode(&body)
                .map_err(|e| ApiError::bad_request(format!("malformed transaction: {e}")))
        } else {
            serde_json::from_slice::<Transaction>(&body)
                .map_err(|e| ApiError::bad_request(format!("malformed transaction: {e}")))
        };
        let tx = match tx {
            Ok(tx) => tx,
            Err(e) => {
                core.note_refused(peer);
                return Err(e);
            }
        };
        let c = core.clone();
        blocking(move || c.submit_from(peer, tx)).await
    }
    .await;
    let submitted = answer.inspect_err(|e| {
        let id = e.body.id.map(|id| id.to_string());
        let id = id.as_deref().map_or("-", |id| &id[..id.len().min(18)]);
        let code = e.body.code.as_deref().unwrap_or(e.status.as_str());
        // A client over its limit is not worth a line per request.
        if e.status == StatusCode::TOO_MANY_REQUESTS {
            tracing::debug!(%peer, "refused {id}: {code}");
        } else {
            tracing::info!(%peer, "refused {id}: {code}");
        }
    })?;
    let code = if submitted.queued {
        StatusCode::ACCEPTED
    } else {
        StatusCode::OK
    };
    Ok((code, Json(submitted.view)))
}

async fn tx_status(
    AxState(core): AxState<Arc<NodeCore>>,
    Path(id): Path<String>,
) -> ApiResult<TxStatusView> {
    let id = parse_id(&id)?;
    match blocking(move || core.tx_status(&id)).await? {
        Some(state) => Ok(Json(TxStatusView { id, state })),
        None => Err(ApiError::not_found("unknown transaction")),
    }
}

async fn status(AxState(core): AxState<Arc<NodeCore>>) -> ApiResult<StatusView> {
    blocking(move || Ok::<_, ApiError>(Json(core.status()))).await
}

async fn genesis(AxState(core): AxState<Arc<NodeCore>>) -> ApiResult<GenesisView> {
    Ok(Json(core.genesis()))
}

async fn governance(AxState(core): AxState<Arc<NodeCore>>) -> ApiResult<GovernanceView> {
    Ok(Json(core.governance()))
}

async fn block(
    AxState(core): AxState<Arc<NodeCore>>,
    Path(height): Path<String>,
) -> ApiResult<BlockView> {
    let height: u64 = height
        .parse()
        .map_err(|_| ApiError::bad_request("height must be a non-negative integer"))?;
    blocking(move || core.block(height).map(Json)).await
}

#[derive(Debug, Deserialize)]
struct RangeQuery {
    from: Option<u64>,
    to: Option<u64>,
}

async fn compact(
    AxState(core): AxState<Arc<NodeCore>>,
    q: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<CompactView> {
    let q = query(q)?;
    blocking(move || core.compact(q.from, q.to).map(Json)).await
}

async fn nullifier(
    AxState(core): AxState<Arc<NodeCore>>,
    Path(nf): Path<String>,
) -> ApiResult<NullifierView> {
    let nf: Nullifier = parse_fr("nullifier", &nf)?;
    blocking(move || core.nullifier(nf).map(Json)).await
}

#[derive(Debug, Deserialize)]
struct BucketQuery {
    bits: u8,
    bucket: u32,
    #[serde(default)]
    from: u64,
    after: Option<String>,
}

async fn nullifier_bucket(
    AxState(core): AxState<Arc<NodeCore>>,
    q: Result<Query<BucketQuery>, QueryRejection>,
) -> ApiResult<NullifierBucketView> {
    let q = query(q)?;
    let after: Option<Nullifier> = q.after.map(|a| parse_fr("after", &a)).transpose()?;
    blocking(move || {
        core.nullifier_bucket(q.bits, q.bucket, q.from, after)
            .map(Json)
    })
    .await
}

#[derive(Debug, Deserialize)]
struct AttestationsQuery {
    after: Option<String>,
    limit: Option<usize>,
}

async fn attestations(
    AxState(core): AxState<Arc<NodeCore>>,
    Path(context): Path<String>,
    q: Result<Query<AttestationsQuery>, QueryRejection>,
) -> ApiResult<AttestationsView> {
    let context = parse_context(&context)?;
    let q = query(q)?;
    let after = q
        .after
        .as_deref()
        .map(|a| parse_fr::<AttestTag>("after", a))
        .transpose()?;
    blocking(move || core.attestations(context, after, q.limit).map(Json)).await
}

async fn attestation(
    AxState(core): AxState<Arc<NodeCore>>,
    Path((context, tag)): Path<(String, String)>,
) -> ApiResult<AttestationRecord> {
    let context = parse_context(&context)?;
    let tag: AttestTag = parse_fr("tag", &tag)?;
    blocking(move || core.attestation(context, tag).map(Json)).await
}

#[derive(Debug, Deserialize)]
struct ShardsQuery {
    from: Option<u64>,
}

async fn shards(
    AxState(core): AxState<Arc<NodeCore>>,
    q: Result<Query<ShardsQuery>, QueryRejection>,
) -> ApiResult<ShardsView> {
    let from = query(q)?.from.unwrap_or(0);
    blocking(move || core.shards(from).map(Json)).await
}

async fn leaves(
    AxState(core): AxState<Arc<NodeCore>>,
    q: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<LeavesView> {
    let q = query(q)?;
    blocking(move || core.leaves(q.from, q.to).map(Json)).await
}

async fn snapshot(AxState(core): AxState<Arc<NodeCore>>) -> Result<Response, ApiError> {
    let bytes = blocking(move || core.snapshot()).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}

async fn keys_manifest(AxState(core): AxState<Arc<NodeCore>>) -> Result<Response, ApiError> {
    let bytes = blocking(move || core.keys_manifest()).await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], bytes).into_response())
}

async fn key_file(
    AxState(core): AxState<Arc<NodeCore>>,
    Path(file): Path<String>,
) -> Result<Response, ApiError> {
    let bytes = blocking(move || core.key_file(&file)).await?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], bytes).into_response())
}
