//! The read side of the store: blocks, statuses, nullifiers, attestations,
//! leaves and compact blocks, each one read transaction.

use super::{
    attestation_key, corrupt, fr, read_location, BlockInfo, NullifierRecord, Store, StoreError,
    StoredStatus,
};
use crate::tables::*;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::codec::Reader;
use zkpension_core::views::{AttestationRecord, CompactBlock, CompactSpend};
use zkpension_core::{Block, FixedBytes, Reason, Transaction, TxId};

impl Store {
    pub fn block(&self, height: u64) -> Result<Option<Block>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(BLOCKS)?;
        let Some(bytes) = t.get(height)? else {
            return Ok(None);
        };
        let bytes = bytes.value();
        Block::decode(bytes).map(Some).map_err(corrupt)
    }

    pub fn block_info(&self, height: u64) -> Result<Option<BlockInfo>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(BLOCK_INFO)?;
        let Some(bytes) = t.get(height)? else {
            return Ok(None);
        };
        let bytes = bytes.value();
        BlockInfo::decode(bytes).map(Some).map_err(corrupt)
    }

    /// Spent nullifiers whose 32-byte encoding starts with the first `bits`
    /// bits of `bucket` (`bits` in 1..=32), spent at height `from` or later,
    /// after `after` (exclusive) in byte order; at most `limit`, and whether
    /// more follow. One range scan of the nullifier table: the old nullifiers
    /// of the bucket are read and skipped.
    pub fn nullifier_bucket(
        &self,
        bits: u8,
        bucket: u32,
        from: u64,
        after: Option<&Nullifier>,
        limit: usize,
    ) -> Result<(Vec<(Nullifier, u64)>, bool), StoreError> {
        let shift = 32 - u32::from(bits.clamp(1, 32));
        let first = (u64::from(bucket) << shift) as u32;
        let last = (((u64::from(bucket) + 1) << shift) - 1) as u32;
        let mut lo = [0u8; 32];
        lo[..4].copy_from_slice(&first.to_be_bytes());
        let mut hi = [0xffu8; 32];
        hi[..4].copy_from_slice(&last.to_be_bytes());
        if after.is_some_and(|a| a.to_bytes() >= hi) {
            return Ok((Vec::new(), false));
        }
        let tx = self.db.begin_read()?;
        let t = tx.open_table(NULLIFIERS)?;
        let range = match after {
            Some(a) if a.to_bytes() >= lo => t.range::<[u8; 32]>((
                std::ops::Bound::Excluded(a.to_bytes()),
                std::ops::Bound::Included(hi),
            ))?,
            _ => t.range::<[u8; 32]>(lo..=hi)?,
        };
        let mut out = Vec::new();
        for item in range {
            let (k, v) = item?;
            let (height, _) = read_location(&v.value());
            if height < from {
                continue;
            }
            if out.len() == limit {
                return Ok((out, true));
            }
            out.push((Nullifier::from_field(fr(&k.value())?), height));
        }
        Ok((out, false))
    }

    /// The stored status of a transaction: included, or queued and then
    /// left out of a block.
    pub fn tx_status(&self, id: &TxId) -> Result<Option<StoredStatus>, StoreError> {
        let tx = self.db.begin_read()?;
        if let Some(v) = tx.open_table(TXS)?.get(id.0)? {
            let (height, index) = read_location(&v.value());
            return Ok(Some(StoredStatus::Included { height, index }));
        }
        if let Some(v) = tx.open_table(REJECTED)?.get(id.0)? {
            let reason: Reason = serde_json::from_slice(v.value()).map_err(corrupt)?;
            return Ok(Some(StoredStatus::Rejected(reason)));
        }
        Ok(None)
    }

    pub fn nullifier(&self, nf: &Nullifier) -> Result<Option<NullifierRecord>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(NULLIFIERS)?;
        let Some(v) = t.get(nf.to_bytes())? else {
            return Ok(None);
        };
        let v = v.value();
        let (height, index) = read_location(&v);
        let mut id = [0u8; 32];
        id.copy_from_slice(&v[12..]);
        Ok(Some(NullifierRecord {
            height,
            index,
            tx_id: FixedBytes(id),
        }))
    }

    fn attestation_record(key: &[u8; 64], value: &[u8]) -> Result<AttestationRecord, StoreError> {
        let mut r = Reader::new(value);
        let height = r.u64("height").map_err(corrupt)?;
        let index = r.u32("index").map_err(corrupt)?;
        let tx =
            Transaction::decode(r.take(r.remaining(), "tx").map_err(corrupt)?).map_err(corrupt)?;
        let Transaction::Attest(t) = &tx else {
            return Err(corrupt("an attestation record holds another transaction"));
        };
        let mut c = [0u8; 32];
        c.copy_from_slice(&key[..32]);
        Ok(AttestationRecord {
            context: ContextId::from_field(fr(&c)?),
            tag: t.body.tag,
            epoch: t.body.epoch,
            min_balance: t.body.min_balance,
            min_periods: t.body.min_periods,
            require_eligible: t.body.require_eligible,
            message: t.body.message.clone(),
            height,
            index,
            tx_id: tx.id(),
        })
    }

    /// Up to `limit` attestations of `context`, by tag, with tags greater
    /// than `after` if given.
    pub fn attestations(
        &self,
        context: &ContextId,
        after: Option<&AttestTag>,
        limit: usize,
    ) -> Result<Vec<AttestationRecord>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(ATTESTATIONS)?;
        let mut start = [0u8; 64];
        start[..32].copy_from_slice(&context.to_bytes());
        let mut end = start;
        end[32..].copy_from_slice(&[0xff; 32]);
        if let Some(after) = after {
            start[32..].copy_from_slice(&after.to_bytes());
        }
        let mut out = Vec::new();
        for item in t.range(start..=end)? {
            let (k, v) = item?;
            let key = k.value();
            if after.is_some() && key == start {
                continue;
            }
            out.push(Self::attestation_record(&key, v.value())?);
            if out.len() >= limit {
                break;
            }
        }
        Ok(out)
    }

    /// The attestation of `tag` in `context`, if any.
    pub fn attestation(
        &self,
        context: &ContextId,
        tag: &AttestTag,
    ) -> Result<Option<AttestationRecord>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(ATTESTATIONS)?;
        let key = attestation_key(context, tag);
        match t.get(key)? {
            None => Ok(None),
            Some(v) => Self::attestation_record(&key, v.value()).map(Some),
        }
    }

    /// Leaves with indices in `from..to`.
    pub fn leaves(&self, from: u64, to: u64) -> Result<Vec<Fr>, StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(LEAVES)?;
        let mut out = Vec::new();
        for item in t.range(from..to)? {
            out.push(fr(&item?.1.value())?);
        }
        Ok(out)
    }

    /// Compact blocks `from..=to` (those that exist).
    pub fn compact_blocks(&self, from: u64, to: u64) -> Result<Vec<CompactBlock>, StoreError> {
        let tx = self.db.begin_read()?;
        let blocks = tx.open_table(BLOCKS)?;
        let infos = tx.open_table(BLOCK_INFO)?;
        let mut out = Vec::new();
        for item in blocks.range(from.max(1)..=to)? {
            let (k, v) = item?;
            let height = k.value();
            let block = Block::decode(v.value()).map_err(corrupt)?;
            let info = infos
                .get(height)?
                .ok_or_else(|| corrupt(format!("block info {height} is missing")))?;
            let info = BlockInfo::decode(info.value()).map_err(corrupt)?;
            let mut c = CompactBlock {
                height,
                hash: info.hash,
                header: block.header,
                epoch: block.header.epoch,
                tree_root: info.tree_root,
                leaf_start: info.leaf_start,
                commitments: Vec::new(),
                spends: Vec::new(),
            };
            for t in &block.transactions {
                // An Inherit is listed too (it appends nothing: its `out`
                // names no commitment of its own).
                if let (Some(nf), Some(change)) = (t.nullifier(), t.public_change()) {
                    c.spends.push(CompactSpend {
                        nf,
                        out: c.commitments.len() as u32,
                        change,
                    });
                }
                if let Some(cm) = t.new_commitment() {
                    c.commitments.push(cm);
                }
            }
            out.push(c);
        }
        Ok(out)
    }
}
