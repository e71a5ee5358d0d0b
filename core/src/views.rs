//! The JSON documents of the node's HTTP API (version 1), shared by the node
//! that writes them and the clients (wallet, CLI, auditors) that read them.
//! The routes are listed in the node's `api` module.
//!
//! Field elements are `0x` + 64 hex digits (values `>= p` are refused),
//! hashes and ids `0x` + 64 hex digits, amounts plain JSON integers.

use crate::block::BlockHeader;
use crate::genesis::Genesis;
use crate::hexbytes::{Hash32, TxId};
use crate::params::{Params, PendingParams};
use crate::rejection::Reason;
use crate::state_root::StateSummary;
use crate::tx::{Context, Transaction};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::{serde_hex, serde_hex_vec, Fr};
use zkpension_circuits::replay::PublicChange;
use zkpension_circuits::tree::SHARD_LEAVES;
use zkpension_circuits::values::{AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;

/// Most blocks one `/v1/compact` answer covers.
pub const MAX_COMPACT_BLOCKS: u64 = 1000;

/// Most leaves one `/v1/tree/leaves` answer holds (one shard).
pub const MAX_LEAVES: u64 = SHARD_LEAVES;

/// Most shard roots one `/v1/tree/shards` answer holds.
pub const MAX_SHARDS: usize = 1 << 16;

/// Most attestations one `/v1/attestations/{context}` answer holds.
pub const MAX_ATTESTATIONS: usize = 1000;

/// The JSON of an error.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ErrorBody {
    pub error: String,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub id: Option<TxId>,
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

/// Public totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TotalsView {
    /// Money in from members.
    pub contributed: u64,
    pub paid_out: u64,
    /// The members' money held: `contributed + matched - paid_out`.
    pub pool: u64,
    /// The subsidy pool, on a chain whose genesis has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidy: Option<SubsidyView>,
}

/// The subsidy pool's public figures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SubsidyView {
    /// Matched units per 1000 units a member pays in.
    pub match_rate: u64,
    /// Money in from funders.
    pub funded: u64,
    /// Money moved from the subsidy pool into members' accounts.
    pub matched: u64,
    /// `funded - matched`: what the pool can still match.
    pub available: u64,
}

impl SubsidyView {
    /// The match a contribution of `paid` gets now, as the node checks it
    /// ([`crate::subsidy::match_for`]).
    pub fn match_for(&self, paid: u64) -> u64 {
        crate::subsidy::match_for(paid, self.match_rate, self.available)
    }

    /// The rate in the fund's terms: `0.50 matched per 1.00 paid in`.
    pub fn rate_text(&self) -> String {
        format!(
            "{} matched per 1.00 paid in",
            crate::format_amount(crate::subsidy::rule(100, self.match_rate))
        )
    }
}

/// `GET /v1/status`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StatusView {
    pub chain_id: ChainId,
    pub genesis_hash: Hash32,
    pub height: u64,
    pub tip_hash: Hash32,
    pub epoch: u64,
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    pub state_root: Hash32,
    /// The preimage of `state_root`: a client recomputes the root from it
    /// and compares it with the tip's header.
    pub state: StateSummary,
    pub leaf_count: u64,
    pub nullifier_count: u64,
    pub attestation_count: u64,
    pub tx_count: u64,
    pub totals: TotalsView,
    pub params: Params,
    /// The scheduled parameter change, if any, with its effective epoch.
    pub pending_params: Option<PendingParams>,
    /// Every parameter set that can hold through this epoch is shown here
    /// (`params`, and `pending_params` if it takes effect by then): a change
    /// made now takes effect after it (`epoch + min_delay - 1`).
    pub params_known_until: u64,
    pub anchor_window: u64,
    pub authority_nonce: u64,
    pub verifying_keys: BTreeMap<Statement, Hash32>,
    pub mempool: usize,
    pub mempool_capacity: usize,
    /// The last block-production error, cleared by the next block.
    pub last_error: Option<String>,
    /// The node joined from a state snapshot at this height: it holds the
    /// blocks from there on, and its epoch and governance history start
    /// there (absent: every block since genesis).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshot_base: Option<u64>,
    /// Epochs without an action by a member after which the heir it named
    /// may inherit (the genesis's; absent: no inheritance on this chain).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dormancy: Option<u64>,
}

/// `GET /v1/governance`: who governs, under which rules, and every change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceView {
    pub authority: KeyGroupView,
    pub registrar: KeyGroupView,
    /// A change takes effect at least this many epochs after it is on the
    /// ledger.
    pub min_delay: u64,
    pub bounds: crate::governance::ParamBounds,
    pub epoch: u64,
    pub params: Params,
    pub pending_params: Option<PendingParams>,
    /// See [`StatusView::params_known_until`].
    pub params_known_until: u64,
    /// Every change since genesis, oldest first.
    pub history: Vec<crate::governance::GovernanceEvent>,
    /// The subsidy pool: its match rate and figures (`None` without one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidy: Option<SubsidyView>,
    /// Who may deposit into the subsidy pool, with their deposit counts.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub funders: Vec<FunderView>,
}

/// A funder named in the genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FunderView {
    pub name: String,
    pub key: crate::hexbytes::PublicKeyBytes,
    /// Deposits so far: the nonce its next deposit carries.
    pub deposits: u64,
}

/// An Ed25519 key and the signer group behind it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyGroupView {
    pub key: crate::hexbytes::PublicKeyBytes,
    /// Signers needed (t) of signers holding a share (n); 1-of-1 is a single key.
    pub threshold: u16,
    pub signers: u16,
}

/// `GET /v1/genesis`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct GenesisView {
    pub hash: Hash32,
    pub genesis: Genesis,
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
    pub header: BlockHeader,
    /// The tree root after the block.
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    /// Leaf index of the block's first new commitment.
    pub leaf_start: u64,
    /// Leaves in the tree after the block.
    pub leaf_count: u64,
    pub transactions: Vec<TxView>,
}

/// What a wallet needs of one block: the new commitments in leaf order (the
/// first has index `leaf_start`) and the spends, each with the public values
/// that, with a viewing key, determine the note it created (SPEC §2,
/// "Recovery").
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactBlock {
    pub height: u64,
    /// `header.hash()`.
    pub hash: Hash32,
    /// The block's header: a client checks the hash links and, at the tip,
    /// the state root.
    pub header: BlockHeader,
    pub epoch: u64,
    /// The tree root after the block (an anchor while it is in the window).
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    pub leaf_start: u64,
    pub commitments: Vec<NoteCommitment>,
    pub spends: Vec<CompactSpend>,
}

/// One spend of a compact block: its nullifier, the position of the note it
/// created in the block's `commitments`, and its public kind, amount, epoch
/// and `heir_ct`. An heir's Inherit creates no note: its `out` is the
/// position the next commitment would take, and names nothing of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct CompactSpend {
    pub nf: Nullifier,
    /// Index into [`CompactBlock::commitments`] of the spend's new note.
    pub out: u32,
    #[serde(flatten)]
    pub change: PublicChange,
}

impl CompactBlock {
    /// The commitment a spend of this block created (`None` if the node named
    /// a position outside the block).
    pub fn created_by(&self, spend: &CompactSpend) -> Option<NoteCommitment> {
        self.commitments.get(spend.out as usize).copied()
    }
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

/// `GET /v1/nullifiers/{nf}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NullifierView {
    pub nullifier: Nullifier,
    pub spent: bool,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub height: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub tx_id: Option<TxId>,
}

/// Most nullifiers one `/v1/nullifiers?bucket=` answer holds.
pub const MAX_BUCKET_NULLIFIERS: usize = 10_000;
/// Widest bucket a wallet can name: the first 32 bits of a nullifier.
pub const MAX_BUCKET_BITS: u8 = 32;

/// The bucket of `nf` at `bits`: the first `bits` bits (1 to
/// [`MAX_BUCKET_BITS`]) of its 32-byte big-endian encoding. A wallet asks for
/// its note's bucket (`GET /v1/nullifiers?bits=&bucket=&from=`) instead of
/// the nullifier itself: the node learns those bits of a nullifier it has not
/// seen yet, and nothing of which spent nullifier in the bucket, if any, is
/// the wallet's.
pub fn nullifier_bucket(nf: &Nullifier, bits: u8) -> u32 {
    let bits = bits.clamp(1, MAX_BUCKET_BITS);
    let b = nf.to_bytes();
    let top = u32::from_be_bytes([b[0], b[1], b[2], b[3]]);
    (u64::from(top) >> (32 - u32::from(bits))) as u32
}

/// One spent nullifier of a bucket and the block that spent it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SpentNullifier {
    pub nf: Nullifier,
    pub height: u64,
}

/// `GET /v1/nullifiers?bits=&bucket=&from=&after=`: the nullifiers whose
/// first `bits` bits are `bucket`, spent in blocks `from` or later, in
/// nullifier order, at most [`MAX_BUCKET_NULLIFIERS`]; ask again with
/// `after` = the last one while `more`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NullifierBucketView {
    pub bits: u8,
    pub bucket: u32,
    pub from: u64,
    /// The node's height when it answered.
    pub tip: u64,
    pub nullifiers: Vec<SpentNullifier>,
    pub more: bool,
}

/// An attestation on the ledger.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationRecord {
    pub context: ContextId,
    pub tag: AttestTag,
    pub epoch: u64,
    pub min_balance: u64,
    pub min_periods: u64,
    pub require_eligible: bool,
    pub message: Context,
    pub height: u64,
    pub index: u32,
    pub tx_id: TxId,
}

/// `GET /v1/attestations/{context}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AttestationsView {
    pub context: ContextId,
    pub attestations: Vec<AttestationRecord>,
    /// Whether more follow: ask again with `after` = the last tag.
    pub more: bool,
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
    /// Leaves per shard (4,096).
    pub shard_leaves: u64,
    /// Number of the first shard listed.
    pub from: u64,
    #[serde(with = "serde_hex_vec")]
    pub roots: Vec<Fr>,
    /// Whether more complete shards follow.
    pub more: bool,
}

/// `GET /v1/tree/leaves`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LeavesView {
    pub from: u64,
    pub leaves: Vec<NoteCommitment>,
}
