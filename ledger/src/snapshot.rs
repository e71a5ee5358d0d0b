//! State snapshots: how a node joins a cluster whose etcd no longer holds
//! the early blocks (`docs/CLUSTER.md`, "Snapshots").
//!
//! A snapshot is everything a node's database holds about the state after
//! one block (the *base*): that block, the scalars, the anchor window, every
//! leaf, nullifier, attestation tag and transaction id in the order they were
//! added, and the index records that say where each was included. It is
//! served by any node (`GET /v1/snapshot`) and trusted by nobody:
//! [`Snapshot::verify`] rebuilds the state from it, checks every count and
//! accumulator and that the state root is the one in the base block's
//! header, and the joining node checks that header against the chain in
//! etcd before it writes anything. The index records (which block included
//! a nullifier or a transaction) are not covered by the state root; they are
//! checked for shape (every record belongs to an item of the verified sets,
//! at a height not above the base) and are otherwise the serving node's word,
//! like the explorer's history.
//!
//! Encoding, big-endian integers:
//!
//! ```text
//! "zkpension-snapshot" || version (u32, 1) || genesis hash (32)
//! || base block (u32 length || canonical block encoding) || base leaf_start (u64)
//! || scalars (u32 length || JSON)
//! || anchors (u32 count || 32 bytes each, oldest first)
//! || leaves (u64 count || 32 bytes each)
//! || nullifiers (u64 count || nullifier (32) || record (44) each, in insertion order)
//! || attestations (u64 count || context || tag (64) || u32 length || record each)
//! || transactions (u64 count || id (32) || location (12) each)
//! || SHA-256 of everything before (32)
//! ```

use crate::state::{RestoreError, Scalars, State};
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use thiserror::Error;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::Nullifier;
use zkpension_core::block::tx_root;
use zkpension_core::codec::{DecodeError, Reader, Writer};
use zkpension_core::{Block, FixedBytes, Genesis, Hash32, TxId};

const MAGIC: &[u8] = b"zkpension-snapshot";
const VERSION: u32 = 1;
/// Largest attestation record accepted (a height, an index and an Attest
/// transaction).
const MAX_ATTESTATION_RECORD: usize = 64 * 1024;
/// Largest scalars document and base block accepted.
const MAX_PART: usize = 64 << 20;

/// Why a snapshot was refused.
#[derive(Debug, Error)]
pub enum SnapshotError {
    #[error(
        "not a zkpension state snapshot (it does not start with {:?})",
        String::from_utf8_lossy(MAGIC)
    )]
    Magic,
    #[error("snapshot version {0}; this node reads version {VERSION}")]
    Version(u32),
    #[error("the snapshot is truncated or altered in transit: its SHA-256 trailer does not match ({0} bytes received)")]
    Checksum(usize),
    #[error("the snapshot does not decode: {0}")]
    Decode(#[from] DecodeError),
    #[error("the snapshot's scalars do not decode: {0}")]
    Scalars(String),
    #[error("the snapshot is of chain {theirs}, this node's genesis is {ours}")]
    Genesis { ours: String, theirs: String },
    #[error("the snapshot is at height 0: there is nothing to restore (a new node replays from genesis)")]
    Empty,
    #[error("the snapshot's base block is block {block}, its state is after block {state}")]
    Height { block: u64, state: u64 },
    #[error("the snapshot's state follows block {state}, its base block's hash is {block}")]
    TipHash { block: String, state: String },
    #[error("the base block's transaction root does not match its transactions")]
    TxRoot,
    #[error("the snapshot's state does not check: {0}")]
    State(#[from] RestoreError),
    #[error("the snapshot's index records do not match its state: {0}")]
    Records(String),
}

/// A node's state after one block, as served and checked.
#[derive(Clone, Debug, PartialEq)]
pub struct Snapshot {
    pub genesis_hash: Hash32,
    /// The last block the state includes.
    pub block: Block,
    /// The leaf index of the base block's first new commitment.
    pub leaf_start: u64,
    pub scalars: Scalars,
    /// The anchor window after the base block, oldest first.
    pub anchors: Vec<Fr>,
    pub leaves: Vec<Fr>,
    /// Nullifier and its record (height, index, transaction id), in the
    /// order they were spent.
    pub nullifiers: Vec<(Nullifier, [u8; 44])>,
    /// Context || tag and its record (height, index, the Attest
    /// transaction), in the order they were added.
    pub attestations: Vec<([u8; 64], Vec<u8>)>,
    /// Transaction id and its location (height, index), in inclusion order.
    pub txs: Vec<(TxId, [u8; 12])>,
}

impl Snapshot {
    pub fn height(&self) -> u64 {
        self.block.header.height
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.raw(MAGIC).u32(VERSION).raw(&self.genesis_hash.0);
        let block = self.block.encode();
        w.var_bytes(&block).u64(self.leaf_start);
        let scalars = serde_json::to_vec(&self.scalars).expect("scalars serialize");
        w.var_bytes(&scalars);
        w.u32(self.anchors.len() as u32);
        for a in &self.anchors {
            w.fr(a);
        }
        w.u64(self.leaves.len() as u64);
        for l in &self.leaves {
            w.fr(l);
        }
        w.u64(self.nullifiers.len() as u64);
        for (nf, rec) in &self.nullifiers {
            w.raw(&nf.to_bytes()).raw(rec);
        }
        w.u64(self.attestations.len() as u64);
        for (key, rec) in &self.attestations {
            w.raw(key).var_bytes(rec);
        }
        w.u64(self.txs.len() as u64);
        for (id, loc) in &self.txs {
            w.raw(&id.0).raw(loc);
        }
        let digest: [u8; 32] = Sha256::digest(w.as_bytes()).into();
        w.raw(&digest);
        w.into_bytes()
    }

    /// Decodes a snapshot; checks its shape and trailer, not its content
    /// (that is [`Snapshot::verify`]).
    pub fn decode(bytes: &[u8]) -> Result<Snapshot, SnapshotError> {
        if !bytes.starts_with(MAGIC) {
            return Err(SnapshotError::Magic);
        }
        let mut r = Reader::new(&bytes[MAGIC.len()..]);
        let version = r.u32("version")?;
        if version != VERSION {
            return Err(SnapshotError::Version(version));
        }
        let (body, trailer) = bytes.split_at(bytes.len().saturating_sub(32));
        let digest: [u8; 32] = Sha256::digest(body).into();
        if trailer != digest {
            return Err(SnapshotError::Checksum(bytes.len()));
        }
        let mut r = Reader::new(&body[MAGIC.len() + 4..]);
        let genesis_hash = FixedBytes(r.array("genesis hash")?);
        let block = Block::decode(r.var_bytes("base block", MAX_PART)?)?;
        let leaf_start = r.u64("leaf_start")?;
        let scalars: Scalars = serde_json::from_slice(r.var_bytes("scalars", MAX_PART)?)
            .map_err(|e| SnapshotError::Scalars(e.to_string()))?;
        // Counts are bounded by the bytes left, so a forged count cannot
        // make this allocate more than the snapshot's size.
        let count = |r: &mut Reader<'_>, n: u64, each: usize, what| -> Result<usize, DecodeError> {
            if n > (r.remaining() / each) as u64 {
                return Err(DecodeError::Invalid {
                    what,
                    reason: format!("count {n} is larger than the bytes left allow"),
                });
            }
            Ok(n as usize)
        };
        let n = r.u32("anchor count")?;
        let n = count(&mut r, n.into(), 32, "anchors")?;
        let anchors = (0..n).map(|_| r.fr("anchor")).collect::<Result<_, _>>()?;
        let n = r.u64("leaf count")?;
        let n = count(&mut r, n, 32, "leaves")?;
        let leaves = (0..n).map(|_| r.fr("leaf")).collect::<Result<_, _>>()?;
        let n = r.u64("nullifier count")?;
        let n = count(&mut r, n, 76, "nullifiers")?;
        let mut nullifiers = Vec::with_capacity(n);
        for _ in 0..n {
            nullifiers.push((
                Nullifier::from_field(r.fr("nullifier")?),
                r.array("record")?,
            ));
        }
        let n = r.u64("attestation count")?;
        let n = count(&mut r, n, 68, "attestations")?;
        let mut attestations = Vec::with_capacity(n);
        for _ in 0..n {
            let key = r.array("attestation key")?;
            attestations.push((key, r.var_bytes("record", MAX_ATTESTATION_RECORD)?.to_vec()));
        }
        let n = r.u64("transaction count")?;
        let n = count(&mut r, n, 44, "transactions")?;
        let mut txs = Vec::with_capacity(n);
        for _ in 0..n {
            txs.push((FixedBytes(r.array("transaction id")?), r.array("location")?));
        }
        r.finish()?;
        Ok(Snapshot {
            genesis_hash,
            block,
            leaf_start,
            scalars,
            anchors,
            leaves,
            nullifiers,
            attestations,
            txs,
        })
    }

    /// Rebuilds the state from the snapshot and checks it: the chain, the
    /// base block (its transaction root, its hash as the state's tip), every
    /// count and accumulator, the state root against the base header's, and
    /// the index records against the sets. The caller still has to trust the
    /// base header: compare its hash with the chain's (etcd's block, or the
    /// next block's link).
    pub fn verify(&self, genesis: &Genesis) -> Result<State, SnapshotError> {
        let ours = genesis.hash();
        if self.genesis_hash != ours {
            return Err(SnapshotError::Genesis {
                ours: ours.to_string(),
                theirs: self.genesis_hash.to_string(),
            });
        }
        let h = self.height();
        if h == 0 || self.scalars.height == 0 {
            return Err(SnapshotError::Empty);
        }
        if self.scalars.height != h {
            return Err(SnapshotError::Height {
                block: h,
                state: self.scalars.height,
            });
        }
        if self.scalars.tip_hash != self.block.hash() {
            return Err(SnapshotError::TipHash {
                block: self.block.hash().to_string(),
                state: self.scalars.tip_hash.to_string(),
            });
        }
        let ids: Vec<TxId> = self.block.transactions.iter().map(|t| t.id()).collect();
        if tx_root(&ids) != self.block.header.tx_root {
            return Err(SnapshotError::TxRoot);
        }
        let nullifiers: Vec<Nullifier> = self.nullifiers.iter().map(|(nf, _)| *nf).collect();
        let attestations = self
            .attestations
            .iter()
            .map(|(key, _)| crate::store::attestation_from_key(key))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SnapshotError::Records(format!("attestation key: {e}")))?;
        let tx_ids: Vec<TxId> = self.txs.iter().map(|(id, _)| *id).collect();
        let state = State::restore(
            genesis,
            self.scalars.clone(),
            &self.leaves,
            &self.anchors,
            &nullifiers,
            &attestations,
            &tx_ids,
            Some(&self.block.header),
        )?;
        self.check_records(&state)?;
        let new_leaves = self
            .block
            .transactions
            .iter()
            .filter(|t| t.new_commitment().is_some())
            .count() as u64;
        if self.leaf_start.checked_add(new_leaves) != Some(self.scalars.leaf_count) {
            return Err(SnapshotError::Records(format!(
                "the base block appends {new_leaves} commitments from leaf {}, but the tree has {}",
                self.leaf_start, self.scalars.leaf_count
            )));
        }
        Ok(state)
    }

    fn check_records(&self, state: &State) -> Result<(), SnapshotError> {
        let h = self.height();
        let at = |what: &str, loc: &[u8]| -> Result<(), SnapshotError> {
            let (height, _) = crate::store::read_location(loc);
            if height == 0 || height > h {
                return Err(SnapshotError::Records(format!(
                    "a {what} record names block {height}, outside 1..={h}"
                )));
            }
            Ok(())
        };
        let mut seen = HashSet::with_capacity(self.txs.len());
        for (id, loc) in &self.txs {
            at("transaction", loc)?;
            if !seen.insert(*loc) {
                return Err(SnapshotError::Records(format!(
                    "two transactions at one location ({id})"
                )));
            }
        }
        for (nf, rec) in &self.nullifiers {
            at("nullifier", &rec[..12])?;
            let id: TxId = FixedBytes(rec[12..].try_into().expect("32 bytes"));
            if !state.is_included(&id) {
                return Err(SnapshotError::Records(format!(
                    "nullifier {nf} is attributed to transaction {id}, which the state does not hold"
                )));
            }
        }
        for (_, rec) in &self.attestations {
            if rec.len() < 12 {
                return Err(SnapshotError::Records("a short attestation record".into()));
            }
            at("attestation", &rec[..12])?;
        }
        Ok(())
    }
}
