//! Blocks (SPEC §5): a header hash-linked to its parent, and the transactions.
//!
//! ```text
//! header = version (1 byte, = 1) || height (u64) || prev_hash (32) || epoch (u64)
//!          || tx_root (32) || state_root (32)
//! hash   = SHA-256("zkpension/v1/block" || header)
//! block  = header || count (u32) || count x (u32 length || transaction encoding)
//! ```
//!
//! Block 1's `prev_hash` is the genesis hash. `epoch` is the ledger's epoch
//! after the block, `state_root` the state root after it
//! (the node's `State::state_root`). `tx_root` is the RFC 6962 Merkle tree
//! hash of the block's transaction ids (leaf `SHA-256(0x00 || id)`, node
//! `SHA-256(0x01 || left || right)`, the empty list `SHA-256("")`), so one
//! transaction's inclusion can be shown with a logarithmic proof.

use crate::codec::{DecodeError, Reader, Writer};
use crate::hexbytes::{FixedBytes, Hash32, TxId};
use crate::tx::{Transaction, MAX_TX_BYTES};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Version byte of the header encoding.
pub const BLOCK_VERSION: u8 = 1;
/// Domain of the block hash.
pub const BLOCK_DOMAIN: &[u8] = b"zkpension/v1/block";
/// Most transactions one block may hold.
pub const MAX_BLOCK_TXS: usize = 1 << 16;
/// Bytes of an encoded header.
pub const HEADER_BYTES: usize = 1 + 8 + 32 + 8 + 32 + 32;

/// A block header.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BlockHeader {
    pub height: u64,
    /// Hash of the previous header; the genesis hash for block 1.
    pub prev_hash: Hash32,
    /// The epoch after this block.
    pub epoch: u64,
    /// RFC 6962 Merkle root of the transaction ids.
    pub tx_root: Hash32,
    /// The state root after this block.
    pub state_root: Hash32,
}

impl BlockHeader {
    pub fn write(&self, w: &mut Writer) {
        w.u8(BLOCK_VERSION)
            .u64(self.height)
            .raw(&self.prev_hash.0)
            .u64(self.epoch)
            .raw(&self.tx_root.0)
            .raw(&self.state_root.0);
    }

    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("block version")?;
        if version != BLOCK_VERSION {
            return Err(DecodeError::Version {
                got: version,
                expected: BLOCK_VERSION,
            });
        }
        Ok(BlockHeader {
            height: r.u64("height")?,
            prev_hash: FixedBytes(r.array("prev_hash")?),
            epoch: r.u64("epoch")?,
            tx_root: FixedBytes(r.array("tx_root")?),
            state_root: FixedBytes(r.array("state_root")?),
        })
    }

    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write(&mut w);
        w.into_bytes()
    }

    /// `SHA-256("zkpension/v1/block" || header)`.
    pub fn hash(&self) -> Hash32 {
        let mut h = Sha256::new();
        h.update(BLOCK_DOMAIN);
        h.update(self.encode());
        FixedBytes(h.finalize().into())
    }
}

/// A block: its header and its transactions in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Block {
    pub header: BlockHeader,
    pub transactions: Vec<Transaction>,
}

impl Block {
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.header.write(&mut w);
        w.u32(self.transactions.len() as u32);
        for tx in &self.transactions {
            w.var_bytes(&tx.encode());
        }
        w.into_bytes()
    }

    /// Decodes a canonical block encoding; every transaction is decoded with
    /// the checks of [`Transaction::decode`].
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let header = BlockHeader::read(&mut r)?;
        let count = r.u32("transaction count")? as usize;
        if count > MAX_BLOCK_TXS {
            return Err(DecodeError::TooLong {
                what: "block",
                len: count,
                max: MAX_BLOCK_TXS,
            });
        }
        let mut transactions = Vec::with_capacity(count.min(r.remaining() / 64 + 1));
        for _ in 0..count {
            transactions.push(Transaction::decode(
                r.var_bytes("transaction", MAX_TX_BYTES)?,
            )?);
        }
        r.finish()?;
        Ok(Block {
            header,
            transactions,
        })
    }

    pub fn hash(&self) -> Hash32 {
        self.header.hash()
    }

    /// The ids of the transactions, in order.
    pub fn tx_ids(&self) -> Vec<TxId> {
        self.transactions.iter().map(Transaction::id).collect()
    }
}

/// RFC 6962 Merkle tree hash of a list of transaction ids.
pub fn tx_root(ids: &[TxId]) -> Hash32 {
    fn mth(ids: &[TxId]) -> [u8; 32] {
        match ids {
            [] => Sha256::digest([]).into(),
            [one] => {
                let mut h = Sha256::new();
                h.update([0u8]);
                h.update(one.0);
                h.finalize().into()
            }
            _ => {
                // The largest power of two strictly below the length.
                let k = 1usize << (usize::BITS - 1 - (ids.len() - 1).leading_zeros());
                let mut h = Sha256::new();
                h.update([1u8]);
                h.update(mth(&ids[..k]));
                h.update(mth(&ids[k..]));
                h.finalize().into()
            }
        }
    }
    FixedBytes(mth(ids))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tx::{AdvanceEpoch, AdvanceEpochBody};

    fn id(b: u8) -> TxId {
        FixedBytes([b; 32])
    }

    fn leaf(x: &TxId) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([0u8]);
        h.update(x.0);
        h.finalize().into()
    }

    fn node(l: [u8; 32], r: [u8; 32]) -> [u8; 32] {
        let mut h = Sha256::new();
        h.update([1u8]);
        h.update(l);
        h.update(r);
        h.finalize().into()
    }

    #[test]
    fn tx_root_is_rfc6962() {
        let ids: Vec<TxId> = (0..5).map(id).collect();
        assert_eq!(tx_root(&[]).0, <[u8; 32]>::from(Sha256::digest([])));
        assert_eq!(tx_root(&ids[..1]).0, leaf(&ids[0]));
        assert_eq!(
            tx_root(&ids[..3]).0,
            node(node(leaf(&ids[0]), leaf(&ids[1])), leaf(&ids[2]))
        );
        assert_eq!(
            tx_root(&ids).0,
            node(
                node(
                    node(leaf(&ids[0]), leaf(&ids[1])),
                    node(leaf(&ids[2]), leaf(&ids[3]))
                ),
                leaf(&ids[4])
            )
        );
        // Order matters.
        let mut swapped = ids.clone();
        swapped.swap(0, 1);
        assert_ne!(tx_root(&swapped), tx_root(&ids));
    }

    #[test]
    fn block_round_trip_and_hash() {
        let tx: Transaction =
            AdvanceEpoch::unsigned(AdvanceEpochBody { epoch: 3, nonce: 0 }).into();
        let block = Block {
            header: BlockHeader {
                height: 7,
                prev_hash: id(1),
                epoch: 3,
                tx_root: tx_root(&[tx.id()]),
                state_root: id(2),
            },
            transactions: vec![tx.clone(), tx],
        };
        let bytes = block.encode();
        assert_eq!(Block::decode(&bytes).unwrap(), block);
        assert_eq!(block.header.encode().len(), HEADER_BYTES);
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(Block::decode(&longer), Err(DecodeError::TrailingBytes(1)));
        let mut other = block.header;
        other.epoch += 1;
        assert_ne!(other.hash(), block.header.hash());
        let json = serde_json::to_string(&block).unwrap();
        assert_eq!(serde_json::from_str::<Block>(&json).unwrap(), block);
    }
}
