//! The queue of submitted transactions waiting for a block.

use crate::rules::CheckedTx;
use std::collections::{BTreeMap, HashMap, VecDeque};
use thiserror::Error;
use zkpension_core::TxId;

/// Why a transaction was not queued.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum MempoolError {
    #[error("the mempool is full ({0} transactions); try again later")]
    Full(usize),
}

/// Transactions by arrival number; at most one per id.
#[derive(Debug, Clone)]
pub struct Mempool {
    capacity: usize,
    queue: BTreeMap<u64, CheckedTx>,
    ids: HashMap<TxId, u64>,
    next_seq: u64,
}

impl Mempool {
    /// An empty pool holding at most `capacity` transactions, numbering
    /// arrivals from `next_seq`.
    pub fn new(capacity: usize, next_seq: u64) -> Self {
        Mempool {
            capacity,
            queue: BTreeMap::new(),
            ids: HashMap::new(),
            next_seq,
        }
    }

    pub fn len(&self) -> usize {
        self.queue.len()
    }

    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn contains(&self, id: &TxId) -> bool {
        self.ids.contains_key(id)
    }

    /// The queued transaction with this id and its arrival number.
    pub fn get(&self, id: &TxId) -> Option<(u64, &CheckedTx)> {
        let seq = *self.ids.get(id)?;
        self.queue.get(&seq).map(|tx| (seq, tx))
    }

    /// The arrival number the next transaction will get, if there is room.
    pub fn reserve(&self) -> Result<u64, MempoolError> {
        if self.queue.len() >= self.capacity {
            return Err(MempoolError::Full(self.capacity));
        }
        Ok(self.next_seq)
    }

    /// Queues `tx` under the number [`Mempool::reserve`] gave. A transaction
    /// whose id is already queued is ignored (`false`).
    pub fn insert(&mut self, seq: u64, tx: CheckedTx) -> bool {
        if self.ids.contains_key(&tx.id()) {
            return false;
        }
        self.next_seq = self.next_seq.max(seq + 1);
        self.ids.insert(tx.id(), seq);
        self.queue.insert(seq, tx);
        true
    }

    /// The `max` oldest transactions, oldest first, left in the pool.
    pub fn batch(&self, max: usize) -> Vec<(u64, CheckedTx)> {
        self.queue
            .iter()
            .take(max)
            .map(|(seq, tx)| (*seq, tx.clone()))
            .collect()
    }

    /// Removes transactions by arrival number.
    pub fn remove(&mut self, seqs: &[u64]) {
        for seq in seqs {
            if let Some(tx) = self.queue.remove(seq) {
                self.ids.remove(&tx.id());
            }
        }
    }
}

/// A bounded memory of recent rejections, oldest forgotten first.
#[derive(Debug, Clone)]
pub struct RecentRejections<V> {
    capacity: usize,
    order: VecDeque<TxId>,
    map: HashMap<TxId, V>,
}

impl<V> RecentRejections<V> {
    pub fn new(capacity: usize) -> Self {
        RecentRejections {
            capacity: capacity.max(1),
            order: VecDeque::new(),
            map: HashMap::new(),
        }
    }

    pub fn insert(&mut self, id: TxId, value: V) {
        if self.map.insert(id, value).is_none() {
            self.order.push_back(id);
        }
        while self.order.len() > self.capacity {
            if let Some(old) = self.order.pop_front() {
                self.map.remove(&old);
            }
        }
    }

    pub fn get(&self, id: &TxId) -> Option<&V> {
        self.map.get(id)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rules::check_stateless;
    use zkpension_core::hexbytes::FixedBytes;
    use zkpension_core::tx::{AdvanceEpoch, AdvanceEpochBody, Transaction};

    fn tx(epoch: u64) -> (TxId, CheckedTx) {
        let t: Transaction = AdvanceEpoch {
            body: AdvanceEpochBody { epoch, nonce: 0 },
            signature: FixedBytes([0; 64]),
        }
        .into();
        (t.id(), check_stateless(t).unwrap())
    }

    #[test]
    fn queue_order_capacity_and_dedup() {
        let mut m = Mempool::new(2, 10);
        let (a_id, a) = tx(1);
        let (b_id, b) = tx(2);
        let seq = m.reserve().unwrap();
        assert_eq!(seq, 10);
        assert!(m.insert(seq, a.clone()));
        assert!(!m.insert(11, a), "same id twice");
        let seq = m.reserve().unwrap();
        assert!(m.insert(seq, b));
        assert_eq!(m.reserve(), Err(MempoolError::Full(2)));
        let batch = m.batch(5);
        assert_eq!(batch.iter().map(|(s, _)| *s).collect::<Vec<_>>(), [10, 11]);
        m.remove(&[10]);
        assert!(!m.contains(&a_id) && m.contains(&b_id));
        assert_eq!(m.reserve().unwrap(), 12);
    }

    #[test]
    fn recent_rejections_forget_the_oldest() {
        let mut r = RecentRejections::new(2);
        for e in 1..=3 {
            r.insert(tx(e).0, e);
        }
        assert_eq!(r.get(&tx(1).0), None);
        assert_eq!(r.get(&tx(3).0), Some(&3));
    }
}
