//! Snapshots in the database: reading the state after the tip as a
//! [`Snapshot`], installing a checked snapshot as the base of a new
//! database, and what a database that starts at a base needs at every open
//! (its anchors before the base, and the state at the base to replay from).
//!
//! A database installed from a snapshot at height `b` holds block `b` and
//! the blocks after it, block infos 0 and `b..`, and every leaf, nullifier,
//! tag and transaction id of the state (with the index records the snapshot
//! gave). `meta` records the base: the scalars after block `b` and the
//! anchor window then.

use super::{attestation_from_key, corrupt, fr, BlockInfo, Store, StoreError};
use crate::snapshot::Snapshot;
use crate::state::{Scalars, State};
use crate::tables::*;
use redb::{ReadTransaction, ReadableTable, ReadableTableMetadata, TableHandle};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::{Block, FixedBytes, Genesis, TxId};

/// The state a snapshot-based database starts from.
#[derive(Clone, Debug)]
pub struct SnapshotBase {
    /// The scalars after the base block.
    pub scalars: Scalars,
    /// The anchor window after the base block, oldest first.
    pub anchors: Vec<Fr>,
}

impl SnapshotBase {
    pub fn height(&self) -> u64 {
        self.scalars.height
    }
}

/// The items of the state at the base, in insertion order.
pub(super) struct BaseItems {
    pub nullifiers: Vec<[u8; 32]>,
    pub attestations: Vec<[u8; 64]>,
    pub tx_ids: Vec<[u8; 32]>,
}

pub(super) fn read_base(rtx: &ReadTransaction) -> Result<Option<SnapshotBase>, StoreError> {
    let meta = rtx.open_table(META)?;
    let Some(scalars) = meta.get(META_SNAPSHOT_SCALARS)? else {
        return Ok(None);
    };
    let scalars: Scalars = serde_json::from_slice(scalars.value())
        .map_err(|e| corrupt(format!("table meta, key {META_SNAPSHOT_SCALARS}: {e}")))?;
    let anchors = meta
        .get(META_SNAPSHOT_ANCHORS)?
        .ok_or_else(|| corrupt(format!("table meta: {META_SNAPSHOT_ANCHORS} is missing")))?;
    let bytes = anchors.value();
    if bytes.len() % 32 != 0 {
        return Err(corrupt(format!(
            "table meta, key {META_SNAPSHOT_ANCHORS}: not a list of roots"
        )));
    }
    let anchors = bytes
        .chunks(32)
        .map(|c| fr(c.try_into().expect("32 bytes")))
        .collect::<Result<_, _>>()?;
    Ok(Some(SnapshotBase { scalars, anchors }))
}

/// The last `window` distinct tree roots up to `height`, oldest first: from
/// the block infos, and before a snapshot base from the base's window.
pub(super) fn anchors_at(
    rtx: &ReadTransaction,
    window: usize,
    height: u64,
    base: Option<&SnapshotBase>,
) -> Result<Vec<Fr>, StoreError> {
    let info = rtx.open_table(BLOCK_INFO)?;
    let from = base.map_or(0, SnapshotBase::height);
    let mut anchors: Vec<Fr> = Vec::with_capacity(window);
    let mut push = |root: Fr| {
        if anchors.last() == Some(&root) {
            return true;
        }
        if anchors.len() == window {
            return false;
        }
        anchors.push(root);
        true
    };
    let mut full = false;
    for item in info.range(from..=height)?.rev() {
        let (k, v) = item?;
        let root = BlockInfo::decode(v.value())
            .map_err(|e| corrupt(format!("table block_info, height {}: {e}", k.value())))?
            .tree_root;
        if !push(root) {
            full = true;
            break;
        }
    }
    if let (false, Some(base)) = (full, base) {
        for root in base.anchors.iter().rev() {
            if !push(*root) {
                break;
            }
        }
    }
    anchors.reverse();
    Ok(anchors)
}

/// The first `n` entries of a table numbered from 0 (with `all`, the table
/// must hold exactly `n`).
fn first<const N: usize>(
    rtx: &ReadTransaction,
    (def, what): (redb::TableDefinition<u64, [u8; N]>, &str),
    n: u64,
    all: bool,
) -> Result<Vec<[u8; N]>, StoreError> {
    let t = rtx.open_table(def)?;
    if all && t.len()? != n {
        return Err(corrupt(format!(
            "table {}: the scalars count {n} {what}, the table holds {}",
            def.name(),
            t.len()?
        )));
    }
    let mut out = Vec::with_capacity(n as usize);
    for item in t.range(0..n)? {
        out.push(item?.1.value());
    }
    if out.len() as u64 != n {
        return Err(corrupt(format!(
            "table {}: the scalars count {n} {what}, the table holds {}",
            def.name(),
            out.len()
        )));
    }
    Ok(out)
}

impl Store {
    /// The snapshot base of this database, if it was installed from one.
    pub fn snapshot_base(&self) -> Result<Option<SnapshotBase>, StoreError> {
        read_base(&self.db.begin_read()?)
    }

    /// The state after block `scalars.height` (the tip, with `all`; or a
    /// snapshot base), rebuilt from the first items of the tables and checked
    /// against that block's header, with those items.
    pub(super) fn restore_at(
        &self,
        rtx: &ReadTransaction,
        genesis: &Genesis,
        scalars: &Scalars,
        anchors: &[Fr],
        all: bool,
    ) -> Result<(State, BaseItems), StoreError> {
        let s = scalars;
        let leaves: Vec<Fr> = first(rtx, (LEAVES, "leaves"), s.leaf_count, all)?
            .iter()
            .map(fr)
            .collect::<Result<_, _>>()?;
        let items = BaseItems {
            nullifiers: first(rtx, (NULLIFIER_SEQ, "nullifiers"), s.nullifier_count, all)?,
            attestations: first(
                rtx,
                (ATTESTATION_SEQ, "attestations"),
                s.attestation_count,
                all,
            )?,
            tx_ids: first(rtx, (TX_SEQ, "transactions"), s.tx_count, all)?,
        };
        let header = self
            .header(rtx, s.height)?
            .ok_or_else(|| corrupt(format!("block {} is missing", s.height)))?;
        let nullifiers: Vec<Nullifier> = items
            .nullifiers
            .iter()
            .map(|b| fr(b).map(Nullifier::from_field))
            .collect::<Result<_, _>>()?;
        let attestations: Vec<(ContextId, AttestTag)> = items
            .attestations
            .iter()
            .map(attestation_from_key)
            .collect::<Result<_, _>>()?;
        let tx_ids: Vec<TxId> = items.tx_ids.iter().map(|b| FixedBytes(*b)).collect();
        let state = State::restore(
            genesis,
            s.clone(),
            &leaves,
            anchors,
            &nullifiers,
            &attestations,
            &tx_ids,
            Some(&header),
        )?;
        Ok((state, items))
    }

    /// The state after the tip as a snapshot (one read transaction, so one
    /// consistent state). `None` at height 0.
    pub fn snapshot(&self) -> Result<Option<Snapshot>, StoreError> {
        let rtx = self.db.begin_read()?;
        let meta = rtx.open_table(META)?;
        let Some(scalars) = meta.get(META_SCALARS)? else {
            return Ok(None);
        };
        let scalars: Scalars = serde_json::from_slice(scalars.value()).map_err(corrupt)?;
        let genesis: Genesis = {
            let g = meta
                .get(META_GENESIS)?
                .ok_or_else(|| corrupt("table meta: genesis is missing"))?;
            serde_json::from_slice(g.value()).map_err(corrupt)?
        };
        let height = scalars.height;
        let block = {
            let blocks = rtx.open_table(BLOCKS)?;
            let bytes = blocks
                .get(height)?
                .ok_or_else(|| corrupt(format!("block {height} is missing")))?;
            Block::decode(bytes.value()).map_err(corrupt)?
        };
        let info = {
            let infos = rtx.open_table(BLOCK_INFO)?;
            let bytes = infos
                .get(height)?
                .ok_or_else(|| corrupt(format!("block info {height} is missing")))?;
            BlockInfo::decode(bytes.value()).map_err(corrupt)?
        };
        let base = read_base(&rtx)?;
        let anchors = anchors_at(
            &rtx,
            genesis.params.anchor_window as usize,
            height,
            base.as_ref(),
        )?;
        let leaves = {
            let t = rtx.open_table(LEAVES)?;
            let mut out = Vec::new();
            for item in t.iter()? {
                out.push(fr(&item?.1.value())?);
            }
            out
        };
        let nullifiers = {
            let (seq, records) = (rtx.open_table(NULLIFIER_SEQ)?, rtx.open_table(NULLIFIERS)?);
            let mut out = Vec::new();
            for item in seq.iter()? {
                let nf = item?.1.value();
                let rec = records
                    .get(nf)?
                    .ok_or_else(|| corrupt("a nullifier without its record"))?
                    .value();
                out.push((Nullifier::from_field(fr(&nf)?), rec));
            }
            out
        };
        let attestations = {
            let (seq, records) = (
                rtx.open_table(ATTESTATION_SEQ)?,
                rtx.open_table(ATTESTATIONS)?,
            );
            let mut out = Vec::new();
            for item in seq.iter()? {
                let key = item?.1.value();
                let rec = records
                    .get(key)?
                    .ok_or_else(|| corrupt("an attestation without its record"))?
                    .value()
                    .to_vec();
                out.push((key, rec));
            }
            out
        };
        let txs = {
            let (seq, records) = (rtx.open_table(TX_SEQ)?, rtx.open_table(TXS)?);
            let mut out = Vec::new();
            for item in seq.iter()? {
                let id = item?.1.value();
                let loc = records
                    .get(id)?
                    .ok_or_else(|| corrupt("a transaction id without its location"))?
                    .value();
                out.push((FixedBytes(id), loc));
            }
            out
        };
        Ok(Some(Snapshot {
            genesis_hash: genesis.hash(),
            block,
            leaf_start: info.leaf_start,
            scalars,
            anchors,
            leaves,
            nullifiers,
            attestations,
            txs,
        }))
    }

    /// Writes a checked snapshot (`state` is what [`Snapshot::verify`]
    /// returned for it) into this database, which must be at height 0, in
    /// one write transaction.
    pub fn install_snapshot(&self, snap: &Snapshot, state: &State) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        {
            let mut meta = tx.open_table(META)?;
            if let Some(s) = meta.get(META_SCALARS)? {
                let s: Scalars = serde_json::from_slice(s.value()).map_err(corrupt)?;
                return Err(StoreError::NotEmpty { height: s.height });
            }
            let scalars = serde_json::to_vec(&snap.scalars).map_err(corrupt)?;
            meta.insert(META_SCALARS, scalars.as_slice())?;
            meta.insert(META_SNAPSHOT_SCALARS, scalars.as_slice())?;
            let anchors: Vec<u8> = snap.anchors.iter().flat_map(field::to_bytes).collect();
            meta.insert(META_SNAPSHOT_ANCHORS, anchors.as_slice())?;
            let h = snap.height();
            tx.open_table(BLOCKS)?
                .insert(h, snap.block.encode().as_slice())?;
            let info = BlockInfo {
                height: h,
                hash: snap.block.hash(),
                leaf_start: snap.leaf_start,
                leaf_count: snap.scalars.leaf_count,
                tree_root: state.tree_root(),
                tx_count: snap.block.transactions.len() as u32,
            };
            tx.open_table(BLOCK_INFO)?
                .insert(h, info.encode().as_slice())?;
            let mut leaves = tx.open_table(LEAVES)?;
            for (i, cm) in snap.leaves.iter().enumerate() {
                leaves.insert(i as u64, field::to_bytes(cm))?;
            }
            let (mut nfs, mut nf_seq) = (tx.open_table(NULLIFIERS)?, tx.open_table(NULLIFIER_SEQ)?);
            for (i, (nf, rec)) in snap.nullifiers.iter().enumerate() {
                nfs.insert(nf.to_bytes(), rec)?;
                nf_seq.insert(i as u64, nf.to_bytes())?;
            }
            let (mut atts, mut att_seq) = (
                tx.open_table(ATTESTATIONS)?,
                tx.open_table(ATTESTATION_SEQ)?,
            );
            for (i, (key, rec)) in snap.attestations.iter().enumerate() {
                atts.insert(key, rec.as_slice())?;
                att_seq.insert(i as u64, key)?;
            }
            let (mut txs, mut tx_seq) = (tx.open_table(TXS)?, tx.open_table(TX_SEQ)?);
            for (i, (id, loc)) in snap.txs.iter().enumerate() {
                txs.insert(id.0, loc)?;
                tx_seq.insert(i as u64, id.0)?;
            }
        }
        super::index::write_base(&tx, state, &snap.leaves)?;
        tx.commit()?;
        Ok(())
    }
}
