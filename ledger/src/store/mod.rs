//! Durable storage of the ledger in one redb database.
//!
//! # Why redb
//!
//! [redb](https://docs.rs/redb) is an embedded key-value store written in
//! pure Rust with ACID write transactions: copy-on-write B-trees and a
//! checksummed commit, durable when `commit()` returns (the default
//! `Durability::Immediate`), and after a crash at any point the database opens
//! at the last committed transaction. That is exactly the guarantee SPEC §5
//! asks of a block, so the node writes each block — the block, the state
//! delta (leaves, nullifiers, attestations, transaction index, scalars) and
//! the statuses of the transactions it left out — in one write transaction and
//! needs no log or recovery code of its own. Readers get MVCC snapshots and
//! never block the writer, so HTTP reads run alongside block production. It is
//! one file, needs no C toolchain (unlike RocksDB or LMDB bindings), and its
//! file format is stable within 2.x. sled, the other pure-Rust candidate, has
//! been a beta for years; SQLite would add a C library and an SQL layer the
//! ledger does not need.
//!
//! # Restart
//!
//! Every block's write transaction also writes what the next start needs:
//! the tree's right edge ([`zkpension_circuits::tree::Frontier`], at most 72
//! nodes), the root of each shard the block completes, the row of its
//! epoch and its parameter changes. [`Store::open`] reads those, the scalars
//! and the anchor window, and checks that the state root they give is the
//! one in the tip block's header: its time and memory do not grow with the
//! number of notes. The nullifiers, attestation tags and transaction ids
//! stay in the database; the state asks it through [`Store::sets`], a read
//! transaction behind redb's bounded cache. Re-applying every stored block
//! and comparing every table ([`Store::open_checked`] with
//! [`OpenOptions::replay`], `zkpension-node run --check-store`) is the full
//! check, for an operator who suspects the disk.

use crate::state::BlockPlan;
mod index;
mod queries;
mod snapshot;
mod verify;

pub use snapshot::SnapshotBase;
pub use verify::OpenOptions;

use crate::state::{RestoreError, Scalars, State};
use crate::tables::*;
use redb::{Database, Durability, ReadableTable};
use serde::{Deserialize, Serialize};
use std::path::{Path, PathBuf};
use thiserror::Error;
use zkpension_circuits::field::{self, serde_hex, Fr};
use zkpension_circuits::values::{AttestTag, ContextId};
use zkpension_core::codec::{DecodeError, Reader, Writer};

use crate::rules::about_proof;
use zkpension_core::{
    BlockHeader, FixedBytes, Genesis, Hash32, Reason, Rejection, Transaction, TxId,
};

/// Why the database could not be used.
#[derive(Debug, Error)]
pub enum StoreError {
    #[error("database: {0}")]
    Db(Box<redb::Error>),
    #[error("the database at {path} belongs to genesis {stored}, not {given}")]
    GenesisMismatch {
        path: PathBuf,
        stored: String,
        given: String,
    },
    #[error(
        "the database already holds {height} blocks; a snapshot is installed only into a new \
         database (move this one away first)"
    )]
    NotEmpty { height: u64 },
    #[error("the database is inconsistent: {0}")]
    Corrupt(String),
    #[error(
        "the database {} is missing, but this data directory was initialised; \
         restore it from a backup (or move the data directory away and run \
         `zkpension-node init` again to start a new ledger)",
        path.display()
    )]
    Missing { path: PathBuf },
    #[error(
        "the database {} is damaged or truncated: {detail}; restore it from a backup",
        path.display()
    )]
    Damaged { path: PathBuf, detail: String },
    #[error("the stored state does not check: {0}")]
    Restore(#[from] RestoreError),
}

macro_rules! db_errors {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Db(Box::new(e.into()))
            }
        }
    )*};
}
db_errors!(
    redb::Error,
    redb::DatabaseError,
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);

pub(crate) fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

/// Per-block facts kept next to the block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct BlockInfo {
    pub height: u64,
    /// The header's hash (the genesis hash at height 0).
    pub hash: Hash32,
    /// Leaf index of the block's first new commitment.
    pub leaf_start: u64,
    /// Leaves in the tree after the block.
    pub leaf_count: u64,
    /// The tree root after the block.
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    pub tx_count: u32,
}

impl BlockInfo {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        w.u64(self.height)
            .raw(&self.hash.0)
            .u64(self.leaf_start)
            .u64(self.leaf_count)
            .fr(&self.tree_root)
            .u32(self.tx_count);
        w.into_bytes()
    }

    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let info = BlockInfo {
            height: r.u64("height")?,
            hash: FixedBytes(r.array("hash")?),
            leaf_start: r.u64("leaf_start")?,
            leaf_count: r.u64("leaf_count")?,
            tree_root: r.fr("tree_root")?,
            tx_count: r.u32("tx_count")?,
        };
        r.finish()?;
        Ok(info)
    }
}

/// Where a transaction stands, as stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StoredStatus {
    Included { height: u64, index: u32 },
    Rejected(Reason),
}

/// A spent nullifier.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NullifierRecord {
    pub height: u64,
    pub index: u32,
    pub tx_id: TxId,
}

/// redb's page cache: bounded, so the node's memory does not grow with the
/// database (redb's default is 1 GiB; the operating system's page cache
/// still holds what fits).
const CACHE_BYTES: usize = 64 << 20;

/// The ledger database.
pub struct Store {
    /// Shared with the state's view of the sets, which holds it weakly: a
    /// dropped store closes the file.
    db: std::sync::Arc<Database>,
    path: PathBuf,
}

impl std::fmt::Debug for Store {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Store").field("path", &self.path).finish()
    }
}

pub(crate) fn location(height: u64, index: u32) -> [u8; 12] {
    let mut out = [0u8; 12];
    out[..8].copy_from_slice(&height.to_be_bytes());
    out[8..].copy_from_slice(&index.to_be_bytes());
    out
}

pub(crate) fn read_location(bytes: &[u8]) -> (u64, u32) {
    let mut h = [0u8; 8];
    let mut i = [0u8; 4];
    h.copy_from_slice(&bytes[..8]);
    i.copy_from_slice(&bytes[8..12]);
    (u64::from_be_bytes(h), u32::from_be_bytes(i))
}

pub(crate) fn fr(bytes: &[u8; 32]) -> Result<Fr, StoreError> {
    field::from_bytes(bytes).map_err(corrupt)
}

pub(crate) fn attestation_key(context: &ContextId, tag: &AttestTag) -> [u8; 64] {
    let mut key = [0u8; 64];
    key[..32].copy_from_slice(&context.to_bytes());
    key[32..].copy_from_slice(&tag.to_bytes());
    key
}

/// The context and tag of an [`attestation_key`].
pub(crate) fn attestation_from_key(key: &[u8; 64]) -> Result<(ContextId, AttestTag), StoreError> {
    let (c, t) = key.split_at(32);
    Ok((
        ContextId::from_field(fr(c.try_into().expect("32 bytes"))?),
        AttestTag::from_field(fr(t.try_into().expect("32 bytes"))?),
    ))
}

/// Records final refusals; a refusal of the proof alone is not final (the
/// id does not cover the proof).
fn record_rejections(
    tx: &redb::WriteTransaction,
    rejected: &[(usize, TxId, Rejection)],
) -> Result<(), StoreError> {
    let mut table = tx.open_table(REJECTED)?;
    for (_, id, reason) in rejected {
        if about_proof(reason) {
            continue;
        }
        let json = serde_json::to_vec(&reason.reason()).map_err(corrupt)?;
        table.insert(id.0, json.as_slice())?;
    }
    Ok(())
}

impl Store {
    /// Opens (or creates) the database at `path` for `genesis`, and loads the
    /// state after its last block from the last commit (see the module
    /// documentation: nothing is read that grows with the history).
    pub fn open(path: &Path, genesis: &Genesis) -> Result<(Store, State), StoreError> {
        if std::fs::metadata(path).is_ok_and(|m| m.len() == 0) {
            return Err(StoreError::Damaged {
                path: path.to_path_buf(),
                detail: "the file is empty (0 bytes)".into(),
            });
        }
        let (store, _) = Store::open_unloaded(path, genesis)?;
        let state = store.load_state(genesis)?;
        Ok((store, state))
    }

    /// Opens (or creates) the database and checks it belongs to `genesis`;
    /// the state is not loaded. Returns the genesis state.
    fn open_unloaded(path: &Path, genesis: &Genesis) -> Result<(Store, State), StoreError> {
        let genesis_state = State::genesis(genesis).map_err(RestoreError::from)?;
        let db = redb::Builder::new()
            .set_cache_size(CACHE_BYTES)
            .create(path)?;
        let store = Store {
            db: std::sync::Arc::new(db),
            path: path.to_path_buf(),
        };
        let given_json = serde_json::to_vec(genesis).map_err(corrupt)?;
        let stored = {
            let tx = store.db.begin_read()?;
            match tx.open_table(META) {
                Ok(meta) => {
                    let format = meta.get(META_FORMAT)?.map(|v| v.value().to_vec());
                    if format.as_deref() != Some(FORMAT) {
                        return Err(corrupt(format!(
                            "{} is not a {} database ({}); a database of an earlier layout \
                             is not converted: start the node in a new data directory and \
                             let it sync, or install a snapshot",
                            path.display(),
                            String::from_utf8_lossy(FORMAT),
                            match format {
                                Some(f) => format!("its format is {}", String::from_utf8_lossy(&f)),
                                None => "it names no format".into(),
                            }
                        )));
                    }
                    meta.get(META_GENESIS)?.map(|v| v.value().to_vec())
                }
                Err(redb::TableError::TableDoesNotExist(_)) => None,
                Err(e) => return Err(e.into()),
            }
        };
        match stored {
            None => store.initialize(&given_json, &genesis_state)?,
            Some(bytes) => {
                let stored: Genesis = serde_json::from_slice(&bytes).map_err(corrupt)?;
                if stored.hash() != genesis.hash() {
                    return Err(StoreError::GenesisMismatch {
                        path: path.to_path_buf(),
                        stored: stored.hash().to_string(),
                        given: genesis.hash().to_string(),
                    });
                }
            }
        }
        Ok((store, genesis_state))
    }

    fn initialize(&self, genesis_json: &[u8], state: &State) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            meta.insert(META_FORMAT, FORMAT)?;
            meta.insert(META_GENESIS, genesis_json)?;
            let mut info = tx.open_table(BLOCK_INFO)?;
            let genesis_info = BlockInfo {
                height: 0,
                hash: state.tip_hash(),
                leaf_start: 0,
                leaf_count: 0,
                tree_root: state.tree_root(),
                tx_count: 0,
            };
            info.insert(0, genesis_info.encode().as_slice())?;
            // Create every table, so readers can open them.
            tx.open_table(BLOCKS)?;
            tx.open_table(LEAVES)?;
            tx.open_table(NULLIFIERS)?;
            tx.open_table(NULLIFIER_SEQ)?;
            tx.open_table(ATTESTATIONS)?;
            tx.open_table(ATTESTATION_SEQ)?;
            tx.open_table(TXS)?;
            tx.open_table(TX_SEQ)?;
            tx.open_table(REJECTED)?;
            tx.open_table(PENDING)?;
            tx.open_table(SHARD_ROOTS)?;
            tx.open_table(EPOCHS)?;
            tx.open_table(GOVERNANCE)?;
        }
        tx.commit()?;
        Ok(())
    }

    fn load_state(&self, genesis: &Genesis) -> Result<State, StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        let Some(scalars) = meta.get(META_SCALARS)? else {
            let mut state = State::genesis(genesis).map_err(RestoreError::from)?;
            state.attach_stored_sets(self.sets()?);
            return Ok(state);
        };
        let scalars: Scalars = serde_json::from_slice(scalars.value()).map_err(corrupt)?;
        let height = scalars.height;

        let base = snapshot::read_base(&tx)?;
        let anchors = snapshot::anchors_at(
            &tx,
            genesis.params.anchor_window as usize,
            height,
            base.as_ref(),
        )?;
        self.resume(&tx, genesis, scalars, &anchors)
    }

    fn header(
        &self,
        tx: &redb::ReadTransaction,
        height: u64,
    ) -> Result<Option<BlockHeader>, StoreError> {
        let blocks = tx.open_table(BLOCKS)?;
        let Some(bytes) = blocks.get(height)? else {
            return Ok(None);
        };
        let bytes = bytes.value();
        BlockHeader::read(&mut Reader::new(bytes))
            .map(Some)
            .map_err(corrupt)
    }

    /// Writes a block in one durable write transaction: the block, its
    /// delta, the scalars after it, the statuses of the candidates it left
    /// out, and the removal of the queued transactions it settled
    /// (`settled`, by arrival number).
    pub fn write_block(&self, plan: &BlockPlan, settled: &[u64]) -> Result<(), StoreError> {
        self.write_block_at(plan, settled, None)
    }

    /// [`Store::write_block`] for a block ordered by etcd (`crate::cluster`):
    /// the etcd revision of the block's key is written in the same
    /// transaction, so a restarted node resumes its watch after exactly the
    /// blocks it has.
    pub fn write_block_at(
        &self,
        plan: &BlockPlan,
        settled: &[u64],
        etcd_revision: Option<i64>,
    ) -> Result<(), StoreError> {
        let height = plan.height();
        let d = &plan.delta;
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate);
        {
            tx.open_table(BLOCKS)?
                .insert(height, plan.block.encode().as_slice())?;
            let info = BlockInfo {
                height,
                hash: plan.hash,
                leaf_start: d.leaf_start,
                leaf_count: d.scalars.leaf_count,
                tree_root: plan.tree_root,
                tx_count: plan.block.transactions.len() as u32,
            };
            tx.open_table(BLOCK_INFO)?
                .insert(height, info.encode().as_slice())?;
            let mut leaves = tx.open_table(LEAVES)?;
            for (i, cm) in d.leaves.iter().enumerate() {
                leaves.insert(d.leaf_start + i as u64, field::to_bytes(cm))?;
            }
            let mut nfs = tx.open_table(NULLIFIERS)?;
            let mut nf_seq = tx.open_table(NULLIFIER_SEQ)?;
            let first = d.scalars.nullifier_count - d.nullifiers.len() as u64;
            for (seq, (nf, index)) in (first..).zip(&d.nullifiers) {
                let mut v = [0u8; 44];
                v[..12].copy_from_slice(&location(height, *index));
                v[12..].copy_from_slice(&d.included[*index as usize].id.0);
                nfs.insert(nf.to_bytes(), v)?;
                nf_seq.insert(seq, nf.to_bytes())?;
            }
            let mut atts = tx.open_table(ATTESTATIONS)?;
            let mut att_seq = tx.open_table(ATTESTATION_SEQ)?;
            let first = d.scalars.attestation_count - d.attestations.len() as u64;
            for (seq, ((context, tag), index)) in (first..).zip(&d.attestations) {
                let key = attestation_key(context, tag);
                let mut w = Writer::new();
                w.u64(height)
                    .u32(*index)
                    .raw(&d.included[*index as usize].tx.encode());
                atts.insert(key, w.as_bytes())?;
                att_seq.insert(seq, key)?;
            }
            let mut txs = tx.open_table(TXS)?;
            let mut tx_seq = tx.open_table(TX_SEQ)?;
            let first = d.scalars.tx_count - d.included.len() as u64;
            for (seq, (index, c)) in (first..).zip(d.included.iter().enumerate()) {
                txs.insert(c.id.0, location(height, index as u32))?;
                tx_seq.insert(seq, c.id.0)?;
            }
            index::write(&tx, plan)?;
            record_rejections(&tx, &plan.rejected)?;
            let mut pending = tx.open_table(PENDING)?;
            for seq in settled {
                pending.remove(*seq)?;
            }
            let scalars = serde_json::to_vec(&d.scalars).map_err(corrupt)?;
            let mut meta = tx.open_table(META)?;
            meta.insert(META_SCALARS, scalars.as_slice())?;
            if let Some(revision) = etcd_revision {
                meta.insert(META_ETCD_REVISION, revision.to_be_bytes().as_slice())?;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// The etcd revision of the last block written by
    /// [`Store::write_block_at`], if any.
    pub fn etcd_revision(&self) -> Result<Option<i64>, StoreError> {
        let tx = self.db.begin_read()?;
        let meta = tx.open_table(META)?;
        let Some(v) = meta.get(META_ETCD_REVISION)? else {
            return Ok(None);
        };
        let bytes: [u8; 8] = v
            .value()
            .try_into()
            .map_err(|_| corrupt("meta etcd_revision is not 8 bytes"))?;
        Ok(Some(i64::from_be_bytes(bytes)))
    }

    /// Queues a transaction durably under arrival number `seq`, in place of
    /// the queued transaction `replaces` if given.
    pub fn add_pending(
        &self,
        seq: u64,
        tx: &Transaction,
        replaces: Option<u64>,
    ) -> Result<(), StoreError> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        {
            let mut t = w.open_table(PENDING)?;
            if let Some(old) = replaces {
                t.remove(old)?;
            }
            t.insert(seq, tx.encode().as_slice())?;
        }
        w.commit()?;
        Ok(())
    }

    /// Removes a queued transaction that can never be included, recording why.
    pub fn drop_pending(&self, seq: u64, id: &TxId, reason: &Rejection) -> Result<(), StoreError> {
        self.drop_all_pending(&[seq], &[(0, *id, reason.clone())])
    }

    /// Removes queued transactions (by arrival number) without a block,
    /// recording why the `rejected` ones can never be included (except
    /// refusals of a proof alone, see [`crate::rules::about_proof`]).
    pub fn drop_all_pending(
        &self,
        seqs: &[u64],
        rejected: &[(usize, TxId, Rejection)],
    ) -> Result<(), StoreError> {
        let mut w = self.db.begin_write()?;
        w.set_durability(Durability::Immediate);
        {
            let mut pending = w.open_table(PENDING)?;
            for seq in seqs {
                pending.remove(*seq)?;
            }
        }
        record_rejections(&w, rejected)?;
        w.commit()?;
        Ok(())
    }

    /// The queued transactions, by arrival number.
    pub fn pending(&self) -> Result<Vec<(u64, Transaction)>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(PENDING)?;
        let mut out = Vec::new();
        for item in t.iter()? {
            let (k, v) = item?;
            out.push((k.value(), Transaction::decode(v.value()).map_err(corrupt)?));
        }
        Ok(out)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}
