//! The public explorer: server-rendered HTML pages over the node's state,
//! for anyone with a browser. No JavaScript: every figure is in the HTML.
//!
//! | path | page |
//! |---|---|
//! | `/`, `/explorer` | the head, the totals and their chart over the epochs, the latest blocks, the parameters, the keys and the setup, the attestation check |
//! | `/explorer/blocks?to=H` | the blocks up to height `H`, newest first |
//! | `/explorer/block/{height}` | a block: header and transactions (kind and public fields) |
//! | `/explorer/tx/{id}` | a transaction: its status, block and public fields |
//! | `/explorer/attestation?context=&pseudonym=` | whether and when a pseudonym attested in a context |
//!
//! Unknown heights and ids answer a 404 page, malformed paths and query
//! strings a 400 page. Everything that comes from transactions (messages,
//! payer references, recipients) is escaped by the templates ([`maud`]
//! escapes every interpolated value).
//!
//! Each page costs a fixed number of storage reads, whatever the height:
//! the chart samples at most [`CHART_POINTS`] epochs from the in-memory
//! history ([`crate::state::EpochHistory`]), the home page reads
//! [`LATEST_BLOCKS`] blocks.

mod html;

use crate::api::blocking;
use crate::node_core::{CoreError, NodeCore};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State as AxState};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;
use std::sync::Arc;
use zkpension_circuits::field;
use zkpension_circuits::values::AttestTag;
use zkpension_core::views::TxState;
use zkpension_core::TxId;

/// Epochs drawn in the chart at most.
pub const CHART_POINTS: usize = 240;
/// Blocks listed on the home page and per page of `/explorer/blocks`.
pub const LATEST_BLOCKS: u64 = 12;

/// An error page: a status and what went wrong.
struct PageError {
    status: StatusCode,
    message: String,
}

impl PageError {
    fn bad_request(message: impl Into<String>) -> Self {
        PageError {
            status: StatusCode::BAD_REQUEST,
            message: message.into(),
        }
    }
}

impl From<CoreError> for PageError {
    fn from(e: CoreError) -> Self {
        let status = match &e {
            CoreError::NotFound(_) => StatusCode::NOT_FOUND,
            CoreError::BadRequest(_) | CoreError::Rejected { .. } => StatusCode::BAD_REQUEST,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        };
        if status == StatusCode::INTERNAL_SERVER_ERROR {
            tracing::warn!("explorer: {e}");
        }
        PageError {
            status,
            message: match e {
                CoreError::NotFound(m) | CoreError::BadRequest(m) => m,
                e => e.to_string(),
            },
        }
    }
}

impl From<crate::store::StoreError> for PageError {
    fn from(e: crate::store::StoreError) -> Self {
        CoreError::Store(e).into()
    }
}

impl From<crate::api::ApiError> for PageError {
    fn from(e: crate::api::ApiError) -> Self {
        PageError {
            status: e.status(),
            message: e.message().to_string(),
        }
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let title = match self.status {
            StatusCode::NOT_FOUND => "Not found",
            StatusCode::BAD_REQUEST => "Bad request",
            _ => "Error",
        };
        (self.status, Html(html::error_page(title, &self.message))).into_response()
    }
}

type Page = Result<Html<String>, PageError>;

pub(crate) fn router() -> Router<crate::api::ApiState> {
    Router::new()
        .route("/", get(home))
        .route("/explorer", get(home))
        .route("/explorer/", get(home))
        .route("/explorer/blocks", get(blocks))
        .route("/explorer/block/{height}", get(block))
        .route("/explorer/tx/{id}", get(tx))
        .route("/explorer/attestation", get(attestation))
        .route("/explorer/{*rest}", get(not_found))
}

async fn not_found() -> PageError {
    PageError {
        status: StatusCode::NOT_FOUND,
        message: "no such page".into(),
    }
}

fn parse_height(s: &str) -> Result<u64, PageError> {
    s.parse()
        .map_err(|_| PageError::bad_request(format!("`{s}` is not a block height")))
}

fn query<T>(q: Result<Query<T>, QueryRejection>) -> Result<T, PageError> {
    q.map(|Query(t)| t)
        .map_err(|e| PageError::bad_request(format!("query: {}", e.body_text())))
}

/// The latest `n` blocks at or below `to`, newest first.
fn recent_blocks(
    core: &NodeCore,
    to: u64,
    n: u64,
) -> Result<Vec<zkpension_core::views::BlockView>, CoreError> {
    let from = to
        .saturating_sub(n.saturating_sub(1))
        .max(1)
        .max(core.snapshot_base());
    (from..=to).rev().map(|h| core.block(h)).collect()
}

async fn home(AxState(core): AxState<Arc<NodeCore>>) -> Page {
    let page = blocking(move || {
        let status = core.status();
        let genesis = core.genesis();
        let history = core.epoch_history(CHART_POINTS);
        let latest = recent_blocks(&core, status.height, LATEST_BLOCKS)?;
        Ok::<_, CoreError>(html::home(&status, &genesis, &history, &latest))
    })
    .await?;
    Ok(Html(page))
}

#[derive(Debug, Deserialize)]
struct BlocksQuery {
    to: Option<u64>,
}

async fn blocks(
    AxState(core): AxState<Arc<NodeCore>>,
    q: Result<Query<BlocksQuery>, QueryRejection>,
) -> Page {
    let q = query(q)?;
    let page = blocking(move || {
        let (tip, _) = core.tip();
        let to = q.to.unwrap_or(tip);
        if to > tip {
            return Err(CoreError::NotFound(format!(
                "no block at height {to}: the chain's height is {tip}"
            )));
        }
        let list = recent_blocks(&core, to, LATEST_BLOCKS)?;
        Ok(html::blocks_page(tip, &list))
    })
    .await?;
    Ok(Html(page))
}

async fn block(AxState(core): AxState<Arc<NodeCore>>, Path(height): Path<String>) -> Page {
    let height = parse_height(&height)?;
    if height == 0 {
        return Err(PageError {
            status: StatusCode::NOT_FOUND,
            message: "height 0 is the genesis, not a block; blocks start at 1".into(),
        });
    }
    let page = blocking(move || {
        let (tip, _) = core.tip();
        let b = core.block(height)?;
        Ok::<_, CoreError>(html::block_page(tip, &b))
    })
    .await?;
    Ok(Html(page))
}

async fn tx(AxState(core): AxState<Arc<NodeCore>>, Path(id): Path<String>) -> Page {
    let id: TxId = id
        .parse()
        .map_err(|e| PageError::bad_request(format!("transaction id: {e}")))?;
    let page = blocking(move || {
        let state = core
            .tx_status(&id)?
            .ok_or_else(|| CoreError::NotFound(format!("no transaction {id} is known here")))?;
        let found = match &state {
            TxState::Included { height, index } => {
                let b = core.block(*height)?;
                let tx = b
                    .transactions
                    .into_iter()
                    .nth(*index as usize)
                    .filter(|t| t.id == id)
                    .ok_or_else(|| {
                        CoreError::Internal(format!(
                            "transaction {id} is recorded at {height}:{index}, but that block \
                             holds another"
                        ))
                    })?;
                Some((b.header, tx))
            }
            _ => None,
        };
        Ok::<_, CoreError>(html::tx_page(&id, &state, found.as_ref()))
    })
    .await?;
    Ok(Html(page))
}

#[derive(Debug, Deserialize)]
struct AttestationQuery {
    context: Option<String>,
    pseudonym: Option<String>,
}

async fn attestation(
    AxState(core): AxState<Arc<NodeCore>>,
    q: Result<Query<AttestationQuery>, QueryRejection>,
) -> Page {
    let q = query(q)?;
    let context_text = q.context.unwrap_or_default();
    let pseudonym = q.pseudonym.unwrap_or_default();
    if context_text.trim().is_empty() || pseudonym.trim().is_empty() {
        return Err(PageError::bad_request(
            "enter both the context (as the member was given it, e.g. landlord:flat-12) and \
             the pseudonym the member showed you (0x + 64 hex digits)",
        ));
    }
    let context = crate::api::parse_context(context_text.trim())?;
    let tag: AttestTag = field::from_hex(pseudonym.trim())
        .map(AttestTag::from)
        .map_err(|e| PageError::bad_request(format!("pseudonym: {e}")))?;
    let page = blocking(move || {
        let record = match core.attestation(context, tag) {
            Ok(r) => Some(r),
            Err(CoreError::NotFound(_)) => None,
            Err(e) => return Err(e),
        };
        let (_, epoch) = core.tip();
        Ok(html::attestation_page(
            &context_text,
            &pseudonym,
            epoch,
            record.as_ref(),
        ))
    })
    .await?;
    Ok(Html(page))
}
