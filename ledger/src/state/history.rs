//! The public totals epoch by epoch, for the explorer's chart.
//!
//! Not part of the state root: it is derived from the blocks alone, built as
//! blocks are committed and stored beside them (a node's history reaches back
//! to genesis, or to the snapshot it was installed from). One row per epoch that
//! saw a block, a few dozen bytes each: a million epochs cost tens of MiB.

use super::Scalars;
use serde::{Deserialize, Serialize};

/// The totals at the end of an epoch (after its last block so far).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct EpochRow {
    pub epoch: u64,
    /// The first and the last block whose header names this epoch.
    pub first_height: u64,
    pub last_height: u64,
    /// Transactions in this epoch's blocks.
    pub txs: u64,
    /// Money in and out since genesis, and the pool, after `last_height`.
    pub contributed: u64,
    pub paid_out: u64,
    pub pool: u64,
}

/// [`EpochRow`]s in increasing epoch order.
#[derive(Clone, Debug, Default)]
pub struct EpochHistory {
    rows: Vec<EpochRow>,
}

impl EpochHistory {
    /// The row of `after.epoch` once block `height` (with `txs`
    /// transactions, after which the state is `after`) is recorded.
    pub(crate) fn next(&self, height: u64, txs: usize, after: &Scalars) -> EpochRow {
        let mut row = match self.rows.last() {
            Some(row) if row.epoch == after.epoch => *row,
            _ => EpochRow {
                epoch: after.epoch,
                first_height: height,
                txs: 0,
                ..EpochRow::default()
            },
        };
        row.last_height = height;
        row.txs += txs as u64;
        row.contributed = after.total_contributed;
        row.paid_out = after.total_paid_out;
        row.pool = after.pool();
        row
    }

    /// Replaces the last row if it has `row`'s epoch, appends it otherwise.
    pub(crate) fn put(&mut self, row: EpochRow) {
        match self.rows.last_mut() {
            Some(last) if last.epoch == row.epoch => *last = row,
            _ => self.rows.push(row),
        }
    }

    /// A history of these rows (as stored), if they are in increasing
    /// epoch order.
    pub(crate) fn from_rows(rows: Vec<EpochRow>) -> Option<Self> {
        rows.windows(2)
            .all(|w| w[0].epoch < w[1].epoch)
            .then_some(EpochHistory { rows })
    }

    /// Every row, oldest first.
    pub fn rows(&self) -> &[EpochRow] {
        &self.rows
    }

    /// At most `max` rows spread evenly over the whole history, always
    /// including the first and the last: what a chart of fixed width needs,
    /// at a cost that does not grow with the chain.
    pub fn sample(&self, max: usize) -> Vec<EpochRow> {
        let n = self.rows.len();
        if n <= max {
            return self.rows.clone();
        }
        if max < 2 {
            return self.rows.last().into_iter().take(max).copied().collect();
        }
        (0..max)
            .map(|i| self.rows[i * (n - 1) / (max - 1)])
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(n: u64) -> EpochHistory {
        EpochHistory {
            rows: (0..n)
                .map(|e| EpochRow {
                    epoch: e,
                    first_height: e,
                    last_height: e,
                    txs: 1,
                    contributed: e,
                    paid_out: 0,
                    pool: e,
                })
                .collect(),
        }
    }

    #[test]
    fn sample_keeps_the_ends_and_at_most_max_rows() {
        let h = rows(1000);
        let s = h.sample(100);
        assert_eq!(s.len(), 100);
        assert_eq!(s.first().unwrap().epoch, 0);
        assert_eq!(s.last().unwrap().epoch, 999);
        assert!(s.windows(2).all(|w| w[0].epoch < w[1].epoch));
        assert_eq!(rows(5).sample(100).len(), 5);
        assert_eq!(rows(0).sample(100).len(), 0);
    }
}
