//! The node's HTTP/JSON API (version 1).
//!
//! | method and path | answer |
//! |---|---|
//! | `POST /v1/tx` | submit a transaction (JSON [`Transaction`], or its canonical bytes as `application/octet-stream`): [`TxStatusView`] |
//! | `GET /v1/tx/{id}` | [`TxStatusView`]: `pending`, `included` (height, index) or `rejected` (reason) |
//! | `GET /v1/status` | [`StatusView`] |
//! | `GET /v1/genesis` | the genesis and its hash |
//! | `GET /v1/blocks/{height}` | [`BlockView`] |
//! | `GET /v1/compact?from=&to=` | [`CompactView`]: per block the new commitments and nullifiers, at most [`MAX_COMPACT_BLOCKS`] blocks |
//! | `GET /v1/nullifiers/{nf}` | [`NullifierView`] |
//! | `GET /v1/attestations/{context}?after=&limit=` | [`AttestationsView`], ordered by tag |
//! | `GET /v1/attestations/{context}/{tag}` | [`AttestationRecord`] |
//! | `GET /v1/tree/shards?from=` | [`ShardsView`]: roots of complete 2^12-leaf shards |
//! | `GET /v1/tree/leaves?from=&to=` | [`LeavesView`]: leaves `from..to`, at most [`MAX_LEAVES`] |
//!
//! Field elements are `0x` + 64 hex digits (values `>= p` are refused),
//! hashes and ids `0x` + 64 hex digits, amounts plain JSON integers.
//! Every error is `{"error": "<reason>"}` with a 4xx status for the client's
//! mistakes (400 malformed or a failed stateless check, 404 unknown, 413 body
//! too large, 422 a rule the transaction breaks against the current state,
//! 503 mempool full) and 500 for the node's.
//! Rejections also carry `"code"` ([`Rejection::code`]).

use crate::error::{Reason, Rejection};
use crate::genesis::{Genesis, Params};
use crate::node::{lock, read, Shared};
use crate::rules::{check_stateful, check_stateless, CheckedTx};
use crate::store::{AttestationRecord, BlockInfo, CompactBlock, StoreError, StoredStatus};
use crate::tx::{Hash32, Transaction, TxId};
use axum::body::{Body, HttpBody};
use axum::extract::rejection::QueryRejection;
use axum::extract::{DefaultBodyLimit, Path, Query, State as AxState};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::future::poll_fn;
use std::pin::Pin;
use std::sync::Arc;
use zkpension_circuits::field::{self, serde_hex, serde_hex_vec, Fr};
use zkpension_circuits::tree::SHARD_HEIGHT;
use zkpension_circuits::Statement;

/// Largest request body; a transaction's JSON is at most about 3.5 KiB.
pub const MAX_BODY_BYTES: usize = 16 * 1024;
/// Of a body over [`MAX_BODY_BYTES`], at most this much is read (and
/// discarded) before answering 413.
pub const MAX_DRAINED_BYTES: usize = 1 << 20;
/// Most blocks one `/v1/compact` answer covers.
pub const MAX_COMPACT_BLOCKS: u64 = 1000;
/// Most leaves one `/v1/tree/leaves` answer holds (one shard).
pub const MAX_LEAVES: u64 = 1 << SHARD_HEIGHT;
/// Most shard roots one `/v1/tree/shards` answer holds.
pub const MAX_SHARDS: usize = 1 << 16;
/// Most attestations one `/v1/attestations/{context}` answer holds.
pub const MAX_ATTESTATIONS: usize = 1000;

/// An error answer: `{"error": .., "code": ..}`.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorBody,
}

/// The JSON of an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<TxId>,
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
        }
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
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, format!("storage: {e}"))
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (self.status, Json(self.body)).into_response()
    }
}

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Runs blocking work (storage, locks held across proofs) off the async
/// workers.
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f).await.map_err(|e| {
        ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("request handler failed: {e}"),
        )
    })?
}

pub(crate) fn router(shared: Arc<Shared>) -> Router {
    Router::new()
        .route("/v1/tx", post(submit))
        .route("/v1/tx/{id}", get(tx_status))
        .route("/v1/status", get(status))
        .route("/v1/genesis", get(genesis))
        .route("/v1/blocks/{height}", get(block))
        .route("/v1/compact", get(compact))
        .route("/v1/nullifiers/{nf}", get(nullifier))
        .route("/v1/attestations/{context}", get(attestations))
        .route("/v1/attestations/{context}/{tag}", get(attestation))
        .route("/v1/tree/shards", get(shards))
        .route("/v1/tree/leaves", get(leaves))
        .fallback(|| async { ApiError::not_found("no such endpoint") })
        .method_not_allowed_fallback(|| async {
            ApiError::new(StatusCode::METHOD_NOT_ALLOWED, "method not allowed")
        })
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared)
}

fn parse_fr(what: &str, s: &str) -> Result<Fr, ApiError> {
    field::from_hex(s).map_err(|e| ApiError::bad_request(format!("{what}: {e}")))
}

fn parse_id(s: &str) -> Result<TxId, ApiError> {
    s.parse()
        .map_err(|e| ApiError::bad_request(format!("transaction id: {e}")))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, ApiError> {
    q.map(|Query(t)| t)
        .map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))
}

/// Where a transaction stands.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", rename_all = "snake_case")]
pub enum TxState {
    /// Queued for a block.
    Pending,
    /// In block `height`, at position `index`.
    Included { height: u64, index: u32 },
    /// Refused, with the reason.
    Rejected { reason: Reason },
}

/// `{"id": .., "status": "pending" | "included" | "rejected", ..}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxStatusView {
    pub id: TxId,
    #[serde(flatten)]
    pub state: TxState,
}

impl Shared {
    fn known_status(&self, id: &TxId) -> Result<Option<TxState>, ApiError> {
        if lock(&self.mempool).contains(id) {
            return Ok(Some(TxState::Pending));
        }
        match self.store.tx_status(id)? {
            Some(StoredStatus::Included { height, index }) => {
                return Ok(Some(TxState::Included { height, index }))
            }
            Some(StoredStatus::Rejected(reason)) => {
                // A transaction left out of a block may be submitted again
                // (say, once its epoch has come); the queue wins.
                return Ok(Some(TxState::Rejected { reason }));
            }
            None => {}
        }
        Ok(lock(&self.recent).get(id).map(|reason| TxState::Rejected {
            reason: reason.clone(),
        }))
    }

    fn submit(&self, tx: Transaction) -> Result<(StatusCode, TxStatusView), ApiError> {
        let id = tx.id();
        let checked = check_stateless(tx).map_err(|r| {
            lock(&self.recent).insert(id, r.reason());
            ApiError::rejection(StatusCode::BAD_REQUEST, Some(id), &r)
        })?;
        let public;
        {
            let state = read(&self.state);
            if state.is_included(&id) {
                drop(state);
                let status = self.known_status(&id)?.unwrap_or(TxState::Pending);
                return Ok((StatusCode::OK, TxStatusView { id, state: status }));
            }
            // Only transactions valid against the current state are queued
            // (one for a later epoch or nonce is submitted once that has
            // come); the block decides how they fare against each other.
            match check_stateful(&state, state.scalars(), &checked) {
                Ok(p) => public = p,
                Err(r) => {
                    lock(&self.recent).insert(id, r.reason());
                    return Err(ApiError::rejection(
                        StatusCode::UNPROCESSABLE_ENTITY,
                        Some(id),
                        &r,
                    ));
                }
            }
        }
        let pending = TxStatusView {
            id,
            state: TxState::Pending,
        };
        let mut mempool = lock(&self.mempool);
        let mut replaces = None;
        if let Some((queued_seq, queued)) = mempool.get(&id) {
            if queued.tx() == checked.tx() {
                return Ok((StatusCode::OK, pending));
            }
            // The same transaction with other proof bytes (ids leave proofs
            // out). Keep the copy whose proof verifies, so a copy with a
            // mangled proof queued first cannot shadow the real one.
            let verifies = |c: &CheckedTx| match (&public, c.proof()) {
                (Some((statement, inputs)), Some(proof)) => {
                    self.keys.get(*statement).verify(proof, inputs).is_ok()
                }
                _ => false,
            };
            if !verifies(&checked) {
                return Err(ApiError::rejection(
                    StatusCode::UNPROCESSABLE_ENTITY,
                    Some(id),
                    &Rejection::InvalidProof,
                ));
            }
            if verifies(queued) {
                return Ok((StatusCode::OK, pending));
            }
            replaces = Some(queued_seq);
        }
        let seq = mempool
            .reserve()
            .map_err(|e| ApiError::new(StatusCode::SERVICE_UNAVAILABLE, e.to_string()))?;
        // Durable before it is acknowledged: a queued transaction survives a
        // crash.
        self.store.add_pending(seq, checked.tx(), replaces)?;
        if let Some(old) = replaces {
            mempool.remove(&[old]);
        }
        mempool.insert(seq, checked);
        if mempool.len() >= self.max_block_txs {
            self.wake.notify_one();
        }
        Ok((
            StatusCode::ACCEPTED,
            TxStatusView {
                id,
                state: TxState::Pending,
            },
        ))
    }
}

/// Reads a request body of at most [`MAX_BODY_BYTES`]. A larger one is
/// refused with 413 after reading (and discarding) up to
/// [`MAX_DRAINED_BYTES`] of it, so the client gets the answer instead of a
/// reset connection; a body announced or found larger than that is refused
/// without reading further.
async fn read_body(headers: &HeaderMap, body: Body) -> Result<Vec<u8>, ApiError> {
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
    AxState(shared): AxState<Arc<Shared>>,
    headers: HeaderMap,
    body: Body,
) -> Result<(StatusCode, Json<TxStatusView>), ApiError> {
    let body = read_body(&headers, body).await?;
    let binary = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("application/octet-stream"));
    let tx = if binary {
        Transaction::decode(&body)
            .map_err(|e| ApiError::bad_request(format!("malformed transaction: {e}")))?
    } else {
        serde_json::from_slice::<Transaction>(&body)
            .map_err(|e| ApiError::bad_request(format!("malformed transaction: {e}")))?
    };
    let (code, view) = blocking(move || shared.submit(tx)).await?;
    Ok((code, Json(view)))
}

async fn tx_status(
    AxState(shared): AxState<Arc<Shared>>,
    Path(id): Path<String>,
) -> ApiResult<TxStatusView> {
    let id = parse_id(&id)?;
    let state = blocking(move || shared.known_status(&id)).await?;
    match state {
        Some(state) => Ok(Json(TxStatusView { id, state })),
        None => Err(ApiError::not_found("unknown transaction")),
    }
}

/// Public totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsView {
    pub contributed: u64,
    pub paid_out: u64,
    /// `contributed - paid_out`.
    pub pool: u64,
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub chain_id: zkpension_circuits::binding::ChainId,
    pub genesis_hash: Hash32,
    pub height: u64,
    pub tip_hash: Hash32,
    pub epoch: u64,
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    pub state_root: Hash32,
    pub leaf_count: u64,
    pub nullifier_count: u64,
    pub attestation_count: u64,
    pub tx_count: u64,
    pub totals: TotalsView,
    pub params: Params,
    pub pending_params: Option<Params>,
    pub anchor_window: u64,
    pub authority_nonce: u64,
    pub verifying_keys: BTreeMap<Statement, Hash32>,
    pub mempool: usize,
    pub mempool_capacity: usize,
    /// The last block-production error, cleared by the next block.
    pub last_error: Option<String>,
}

async fn status(AxState(shared): AxState<Arc<Shared>>) -> ApiResult<StatusView> {
    blocking(move || {
        let (mempool, mempool_capacity) = {
            let m = lock(&shared.mempool);
            (m.len(), m.capacity())
        };
        let last_error = lock(&shared.last_error).clone();
        let state = read(&shared.state);
        let s = state.scalars();
        let g = state.genesis_config();
        Ok(Json(StatusView {
            chain_id: g.chain_id,
            genesis_hash: state.context().genesis_hash,
            height: s.height,
            tip_hash: s.tip_hash,
            epoch: s.epoch,
            tree_root: state.tree_root(),
            state_root: state.state_root(),
            leaf_count: s.leaf_count,
            nullifier_count: s.nullifier_count,
            attestation_count: s.attestation_count,
            tx_count: s.tx_count,
            totals: TotalsView {
                contributed: s.total_contributed,
                paid_out: s.total_paid_out,
                pool: s.pool(),
            },
            params: s.params,
            pending_params: s.pending_params,
            anchor_window: state.anchor_window(),
            authority_nonce: s.authority_nonce,
            verifying_keys: g.verifying_keys.clone(),
            mempool,
            mempool_capacity,
            last_error,
        }))
    })
    .await
}

/// `GET /v1/genesis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisView {
    pub hash: Hash32,
    pub genesis: Genesis,
}

async fn genesis(AxState(shared): AxState<Arc<Shared>>) -> ApiResult<GenesisView> {
    let state = read(&shared.state);
    Ok(Json(GenesisView {
        hash: state.context().genesis_hash,
        genesis: state.genesis_config().clone(),
    }))
}

/// A transaction with its id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TxView {
    pub id: TxId,
    pub tx: Transaction,
}

/// `GET /v1/blocks/{height}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockView {
    pub hash: Hash32,
    pub header: crate::block::BlockHeader,
    /// The tree root after the block.
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    /// Leaf index of the block's first new commitment.
    pub leaf_start: u64,
    /// Leaves in the tree after the block.
    pub leaf_count: u64,
    pub transactions: Vec<TxView>,
}

async fn block(
    AxState(shared): AxState<Arc<Shared>>,
    Path(height): Path<String>,
) -> ApiResult<BlockView> {
    let height: u64 = height
        .parse()
        .map_err(|_| ApiError::bad_request("height must be a non-negative integer"))?;
    blocking(move || {
        let Some(block) = shared.store.block(height)? else {
            return Err(ApiError::not_found(format!("no block at height {height}")));
        };
        let info: BlockInfo = shared.store.block_info(height)?.ok_or_else(|| {
            ApiError::from(StoreError::Corrupt(format!(
                "block info {height} is missing"
            )))
        })?;
        Ok(Json(BlockView {
            hash: info.hash,
            header: block.header,
            tree_root: info.tree_root,
            leaf_start: info.leaf_start,
            leaf_count: info.leaf_count,
            transactions: block
                .transactions
                .into_iter()
                .map(|tx| TxView { id: tx.id(), tx })
                .collect(),
        }))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct RangeQuery {
    from: Option<u64>,
    to: Option<u64>,
}

/// `GET /v1/compact`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactView {
    pub from: u64,
    pub to: u64,
    /// The node's height when it answered.
    pub tip: u64,
    pub blocks: Vec<CompactBlock>,
}

async fn compact(
    AxState(shared): AxState<Arc<Shared>>,
    q: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<CompactView> {
    let q = query(q)?;
    blocking(move || {
        let tip = read(&shared.state).height();
        let from = q.from.unwrap_or(1).max(1);
        let to =
            q.to.unwrap_or_else(|| tip.min(from.saturating_add(MAX_COMPACT_BLOCKS - 1)));
        if to < from && q.to.is_some() {
            return Err(ApiError::bad_request("`to` is below `from`"));
        }
        if to >= from && to - from >= MAX_COMPACT_BLOCKS {
            return Err(ApiError::bad_request(format!(
                "at most {MAX_COMPACT_BLOCKS} blocks per request"
            )));
        }
        let blocks = if to >= from {
            shared.store.compact_blocks(from, to)?
        } else {
            Vec::new()
        };
        Ok(Json(CompactView {
            from,
            to,
            tip,
            blocks,
        }))
    })
    .await
}

/// `GET /v1/nullifiers/{nf}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NullifierView {
    #[serde(with = "serde_hex")]
    pub nullifier: Fr,
    pub spent: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub height: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tx_id: Option<TxId>,
}

async fn nullifier(
    AxState(shared): AxState<Arc<Shared>>,
    Path(nf): Path<String>,
) -> ApiResult<NullifierView> {
    let nf = parse_fr("nullifier", &nf)?;
    blocking(move || {
        let record = shared.store.nullifier(&nf)?;
        Ok(Json(NullifierView {
            nullifier: nf,
            spent: record.is_some(),
            height: record.map(|r| r.height),
            tx_id: record.map(|r| r.tx_id),
        }))
    })
    .await
}

#[derive(Debug, Deserialize)]
struct AttestationsQuery {
    after: Option<String>,
    limit: Option<usize>,
}

/// `GET /v1/attestations/{context}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationsView {
    #[serde(with = "serde_hex")]
    pub context: Fr,
    pub attestations: Vec<AttestationRecord>,
    /// Whether more follow: ask again with `after` = the last tag.
    pub more: bool,
}

async fn attestations(
    AxState(shared): AxState<Arc<Shared>>,
    Path(context): Path<String>,
    q: Result<Query<AttestationsQuery>, QueryRejection>,
) -> ApiResult<AttestationsView> {
    let context = parse_fr("context", &context)?;
    let q = query(q)?;
    let after = q
        .after
        .as_deref()
        .map(|a| parse_fr("after", a))
        .transpose()?;
    let limit = q
        .limit
        .unwrap_or(MAX_ATTESTATIONS)
        .clamp(1, MAX_ATTESTATIONS);
    blocking(move || {
        let mut list = shared
            .store
            .attestations(&context, after.as_ref(), limit + 1)?;
        let more = list.len() > limit;
        list.truncate(limit);
        Ok(Json(AttestationsView {
            context,
            attestations: list,
            more,
        }))
    })
    .await
}

async fn attestation(
    AxState(shared): AxState<Arc<Shared>>,
    Path((context, tag)): Path<(String, String)>,
) -> ApiResult<AttestationRecord> {
    let context = parse_fr("context", &context)?;
    let tag = parse_fr("tag", &tag)?;
    blocking(move || match shared.store.attestation(&context, &tag)? {
        Some(r) => Ok(Json(r)),
        None => Err(ApiError::not_found(
            "no attestation with this tag in this context",
        )),
    })
    .await
}

#[derive(Debug, Deserialize)]
struct ShardsQuery {
    from: Option<u64>,
}

/// `GET /v1/tree/shards`: with the leaves of its own shard and of the last,
/// incomplete one, a wallet computes its path
/// (`zkpension_circuits::tree::path_from_shards`) and checks the root.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ShardsView {
    pub height: u64,
    pub leaf_count: u64,
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    pub shard_height: usize,
    /// Number of the first shard listed.
    pub from: u64,
    #[serde(with = "serde_hex_vec")]
    pub roots: Vec<Fr>,
    /// Whether more complete shards follow.
    pub more: bool,
}

async fn shards(
    AxState(shared): AxState<Arc<Shared>>,
    q: Result<Query<ShardsQuery>, QueryRejection>,
) -> ApiResult<ShardsView> {
    let from = query(q)?.from.unwrap_or(0);
    blocking(move || {
        let state = read(&shared.state);
        let all = state.tree().shard_roots(from);
        let roots = all[..all.len().min(MAX_SHARDS)].to_vec();
        Ok(Json(ShardsView {
            height: state.height(),
            leaf_count: state.tree().len(),
            tree_root: state.tree_root(),
            shard_height: SHARD_HEIGHT,
            from,
            more: all.len() > roots.len(),
            roots,
        }))
    })
    .await
}

/// `GET /v1/tree/leaves`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeavesView {
    pub from: u64,
    #[serde(with = "serde_hex_vec")]
    pub leaves: Vec<Fr>,
}

async fn leaves(
    AxState(shared): AxState<Arc<Shared>>,
    q: Result<Query<RangeQuery>, QueryRejection>,
) -> ApiResult<LeavesView> {
    let q = query(q)?;
    let from = q.from.unwrap_or(0);
    let to = q.to.unwrap_or(from.saturating_add(MAX_LEAVES));
    if to < from || to - from > MAX_LEAVES {
        return Err(ApiError::bad_request(format!(
            "need from <= to <= from + {MAX_LEAVES}"
        )));
    }
    blocking(move || {
        Ok(Json(LeavesView {
            from,
            leaves: shared.store.leaves(from, to)?,
        }))
    })
    .await
}
