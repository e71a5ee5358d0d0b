//! Every redb table of the ledger database, in one place.
//!
//! Keys are big-endian where order matters (redb orders `u64` keys
//! numerically). Values are fixed-size arrays or the ledger's canonical
//! encodings; field elements are their 32-byte canonical encoding.

use redb::TableDefinition;

/// `"format"` → [`FORMAT`]; `"genesis"` → genesis JSON; `"scalars"` →
/// [`crate::state::Scalars`] JSON after the last block (absent at height 0).
pub const META: TableDefinition<&str, &[u8]> = TableDefinition::new("meta");
pub const META_FORMAT: &str = "format";
pub const META_GENESIS: &str = "genesis";
/// The layout of these tables; a database of another layout is refused.
/// Layout 2 added the tree's frontier, the shard roots, the epoch rows and
/// the governance log, so that a node starts from its last commit without
/// reading its history. Layout 3 stores blocks whose member spends carry
/// `heir_ct` (and Inherit transactions), which a layout-2 block lacks.
pub const FORMAT: &[u8] = b"zkpension-ledger/3";
pub const META_SCALARS: &str = "scalars";
/// [`zkpension_circuits::tree::Frontier::to_bytes`] after the last block
/// (absent at height 0).
pub const META_FRONTIER: &str = "frontier";
/// The etcd revision (i64, big-endian) of the last block applied from a
/// cluster's etcd (absent for a node that never ran in a cluster).
pub const META_ETCD_REVISION: &str = "etcd_revision";
/// In a database installed from a snapshot (`crate::snapshot`): the scalars
/// after the base block (JSON)...
pub const META_SNAPSHOT_SCALARS: &str = "snapshot_scalars";
/// ... and the anchor window then (32-byte roots, oldest first). Blocks,
/// block infos and per-item records before the base are absent.
pub const META_SNAPSHOT_ANCHORS: &str = "snapshot_anchors";

/// height → [`zkpension_core::Block::encode`] (heights from 1, or from the
/// snapshot base).
pub const BLOCKS: TableDefinition<u64, &[u8]> = TableDefinition::new("blocks");

/// height → [`crate::store::BlockInfo::encode`] (heights from 0; height 0 is
/// genesis with the empty tree; then from the snapshot base, if any).
pub const BLOCK_INFO: TableDefinition<u64, &[u8]> = TableDefinition::new("block_info");

/// leaf index → commitment.
pub const LEAVES: TableDefinition<u64, [u8; 32]> = TableDefinition::new("leaves");

/// nullifier → height (u64) || transaction index (u32) || transaction id.
pub const NULLIFIERS: TableDefinition<[u8; 32], [u8; 44]> = TableDefinition::new("nullifiers");
/// insertion number → nullifier (the order of the state's accumulator).
pub const NULLIFIER_SEQ: TableDefinition<u64, [u8; 32]> = TableDefinition::new("nullifier_seq");

/// context || tag → height (u64) || transaction index (u32) || the Attest
/// transaction's canonical encoding.
pub const ATTESTATIONS: TableDefinition<[u8; 64], &[u8]> = TableDefinition::new("attestations");
/// insertion number → context || tag.
pub const ATTESTATION_SEQ: TableDefinition<u64, [u8; 64]> = TableDefinition::new("attestation_seq");

/// transaction id → height (u64) || index in the block (u32).
pub const TXS: TableDefinition<[u8; 32], [u8; 12]> = TableDefinition::new("txs");
/// insertion number → transaction id.
pub const TX_SEQ: TableDefinition<u64, [u8; 32]> = TableDefinition::new("tx_seq");

/// transaction id → [`zkpension_core::Reason`] JSON, for transactions that were
/// queued and then left out of a block.
pub const REJECTED: TableDefinition<[u8; 32], &[u8]> = TableDefinition::new("rejected");

/// arrival number → canonical encoding of a queued transaction.
pub const PENDING: TableDefinition<u64, &[u8]> = TableDefinition::new("pending");

/// shard number → root of that complete shard of 4,096 leaves (the tree's
/// node at level 6), written by the block that completes it.
pub const SHARD_ROOTS: TableDefinition<u64, [u8; 32]> = TableDefinition::new("shard_roots");

/// epoch → [`crate::state::EpochRow`] JSON: the public totals epoch by epoch
/// (from the snapshot base on, in a database installed from one).
pub const EPOCHS: TableDefinition<u64, &[u8]> = TableDefinition::new("epochs");

/// number → [`zkpension_core::governance::GovernanceEvent`] JSON, in order
/// (from the snapshot base on).
pub const GOVERNANCE: TableDefinition<u64, &[u8]> = TableDefinition::new("governance");
