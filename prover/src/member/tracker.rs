//! The wallet's view of the commitment tree: enough to give its own note's
//! Merkle path without ever asking the node for it (SPEC §3), and without
//! hashing the whole tree.
//!
//! The tracker keeps the tree size, the roots of complete shards (4,096 leaves,
//! [`SHARD_LEAVES`]) as the node publishes them, the leaves of the incomplete
//! last shard, and the leaves of the shard holding the wallet's note. A path is
//! [`path_from_shards`]: at most two shards of hashing plus one node per shard,
//! checked against the tree root of a block header.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use zkpension_circuits::field::{serde_hex, serde_hex_vec};
use zkpension_circuits::tree::{
    path_from_shards, root_from_shards, MerklePath, ShardError, CAPACITY, SHARD_LEAVES,
};
use zkpension_circuits::Fr;

/// What can go wrong while following the tree.
#[derive(Debug, Error)]
pub enum TrackerError {
    #[error("the node sent commitments starting at leaf {got}, but the wallet has {expected} leaves; sync again from the wallet's height")]
    Gap { expected: u64, got: u64 },
    #[error("the commitment tree is full")]
    Full,
    #[error("the node's tree data is inconsistent: {0}")]
    Shards(#[from] ShardError),
    #[error("the node's shard roots and commitments hash to a different root than its block header at height {height}: the node is faulty or lying")]
    RootMismatch { height: u64 },
    #[error("the wallet's note is not in the tree yet")]
    NotFound,
    #[error("cannot skip from leaf {from} to leaf {to}: only whole shards can be skipped, once every watched note is found")]
    Skip { from: u64, to: u64 },
    #[error("the node's leaves end at leaf {got}, but its tip block ends at leaf {expected}")]
    Short { expected: u64, got: u64 },
}

/// The note the wallet follows: its commitment and, once seen, its leaf index.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Watched {
    #[serde(with = "serde_hex")]
    pub cm: Fr,
    pub index: Option<u64>,
    /// Leaves of the note's shard once that shard is complete (before that,
    /// the shard is the frontier).
    #[serde(with = "serde_hex_vec", default)]
    pub shard: Vec<Fr>,
}

/// The wallet's partial copy of the commitment tree.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct TreeTracker {
    /// Number of leaves seen.
    pub len: u64,
    /// Roots of complete shards the wallet has fetched and checked.
    #[serde(with = "serde_hex_vec")]
    pub shard_roots: Vec<Fr>,
    /// Leaves of the incomplete last shard.
    #[serde(with = "serde_hex_vec")]
    pub frontier: Vec<Fr>,
    /// The notes being looked for or followed.
    pub watched: Vec<Watched>,
}

impl TreeTracker {
    pub fn new() -> Self {
        Self::default()
    }

    /// Starts looking for a commitment (a note the wallet just created).
    pub fn watch(&mut self, cm: Fr) {
        if !self.watched.iter().any(|w| w.cm == cm) {
            self.watched.push(Watched {
                cm,
                index: None,
                shard: Vec::new(),
            });
        }
    }

    /// Stops following every note but `cm` (after the wallet moved on to it).
    pub fn retain_only(&mut self, cm: &Fr) {
        self.watched.retain(|w| w.cm == *cm);
    }

    /// Stops following `cm`.
    pub fn unwatch(&mut self, cm: &Fr) {
        self.watched.retain(|w| w.cm != *cm);
    }

    /// The leaf index of a watched commitment, once seen.
    pub fn index_of(&self, cm: &Fr) -> Option<u64> {
        self.watched.iter().find(|w| w.cm == *cm)?.index
    }

    /// Appends the commitments of one block, which start at leaf `start`.
    /// Complete shards' roots are taken later from the node
    /// ([`Self::add_shard_roots`]); the leaves of a shard that holds a watched
    /// note are kept.
    pub fn append(&mut self, start: u64, leaves: &[Fr]) -> Result<(), TrackerError> {
        if start != self.len {
            return Err(TrackerError::Gap {
                expected: self.len,
                got: start,
            });
        }
        if self.len + leaves.len() as u64 > CAPACITY {
            return Err(TrackerError::Full);
        }
        let mut rest = leaves;
        while !rest.is_empty() {
            let room = (SHARD_LEAVES - self.len % SHARD_LEAVES) as usize;
            let (now, later) = rest.split_at(room.min(rest.len()));
            let shard_start = self.len - self.len % SHARD_LEAVES;
            for w in self.watched.iter_mut().filter(|w| w.index.is_none()) {
                if let Some(i) = now.iter().position(|cm| *cm == w.cm) {
                    w.index = Some(self.len + i as u64);
                }
            }
            if now.len() == room {
                // Skipping a whole shard nobody watches costs nothing: only
                // the frontier's leaves are copied, and only when needed.
                let watched_here = self.watched.iter().any(|w| {
                    w.index
                        .is_some_and(|i| i / SHARD_LEAVES == shard_start / SHARD_LEAVES)
                });
                if watched_here {
                    let mut shard = std::mem::take(&mut self.frontier);
                    shard.extend_from_slice(now);
                    for w in self.watched.iter_mut() {
                        if w.index
                            .is_some_and(|i| i / SHARD_LEAVES == shard_start / SHARD_LEAVES)
                        {
                            w.shard = shard.clone();
                        }
                    }
                } else {
                    self.frontier.clear();
                }
            } else {
                self.frontier.extend_from_slice(now);
            }
            self.len += now.len() as u64;
            rest = later;
        }
        Ok(())
    }

    /// Jumps over whole shards to leaf `to` without their leaves (the light
    /// sync): their roots are then fetched like any others. Only from a shard
    /// boundary to a shard boundary, with every watched note found (a note
    /// in a skipped shard would never be).
    pub fn skip_to(&mut self, to: u64) -> Result<(), TrackerError> {
        if to == self.len {
            return Ok(());
        }
        let whole = self.len.is_multiple_of(SHARD_LEAVES) && to.is_multiple_of(SHARD_LEAVES);
        if !whole
            || to < self.len
            || to > CAPACITY
            || self.watched.iter().any(|w| w.index.is_none())
        {
            return Err(TrackerError::Skip { from: self.len, to });
        }
        self.frontier.clear();
        self.len = to;
        Ok(())
    }

    /// Number of complete shards whose roots the wallet still needs.
    pub fn missing_shard_roots(&self) -> std::ops::Range<u64> {
        self.shard_roots.len() as u64..self.len / SHARD_LEAVES
    }

    /// Adds shard roots from the node, starting at shard `from` (the first
    /// missing one; fewer than missing is fine, for paged answers).
    pub fn add_shard_roots(&mut self, from: u64, roots: &[Fr]) -> Result<(), TrackerError> {
        let expected = self.missing_shard_roots();
        if from != expected.start || roots.len() as u64 > expected.end - expected.start {
            return Err(ShardError::ShardCount {
                len: self.len,
                expected: expected.end,
                got: from as usize + roots.len(),
            }
            .into());
        }
        self.shard_roots.extend_from_slice(roots);
        Ok(())
    }

    /// The root of the tree as the wallet sees it.
    pub fn root(&self) -> Result<Fr, TrackerError> {
        Ok(root_from_shards(
            self.len,
            &self.shard_roots,
            &self.frontier,
        )?)
    }

    /// The path of watched note `cm`, checked against `header_root`, the tree
    /// root of the block at `height`.
    pub fn path(&self, cm: &Fr, header_root: Fr, height: u64) -> Result<MerklePath, TrackerError> {
        let w = self
            .watched
            .iter()
            .find(|w| w.cm == *cm)
            .ok_or(TrackerError::NotFound)?;
        let index = w.index.ok_or(TrackerError::NotFound)?;
        let (path, root) =
            path_from_shards(index, self.len, &self.shard_roots, &w.shard, &self.frontier)?;
        if root != header_root {
            return Err(TrackerError::RootMismatch { height });
        }
        Ok(path)
    }

    /// Checks the wallet's tree against a header root.
    pub fn check_root(&self, header_root: Fr, height: u64) -> Result<(), TrackerError> {
        if self.root()? != header_root {
            return Err(TrackerError::RootMismatch { height });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkpension_circuits::tree::MerkleTree;

    #[test]
    fn follows_a_note_across_blocks_and_shards() {
        let total = 3 * SHARD_LEAVES + 100;
        let leaves: Vec<Fr> = (0..total).map(|i| Fr::from(i + 1000)).collect();
        let mut full = MerkleTree::new();
        let mut t = TreeTracker::new();
        let mine = leaves[(SHARD_LEAVES + 17) as usize];
        t.watch(mine);
        let late = leaves[(total - 5) as usize];
        t.watch(late);
        let mut at = 0usize;
        for size in [1usize, 700, 5000, 3, 4096, 2000, 500].into_iter().cycle() {
            if at >= leaves.len() {
                break;
            }
            let block = &leaves[at..(at + size).min(leaves.len())];
            t.append(at as u64, block).unwrap();
            full.extend(block).unwrap();
            let range = t.missing_shard_roots();
            let roots = full.shard_roots(range.start).to_vec();
            t.add_shard_roots(range.start, &roots).unwrap();
            t.check_root(full.root(), 0).unwrap();
            if let Some(i) = t.index_of(&mine) {
                assert_eq!(
                    t.path(&mine, full.root(), 0).unwrap(),
                    full.path(i).unwrap()
                );
            }
            at += block.len();
        }
        assert_eq!(t.index_of(&late), Some(total - 5));
        assert_eq!(
            t.path(&late, full.root(), 0).unwrap(),
            full.path(total - 5).unwrap()
        );
        // A lying header root is caught.
        assert!(matches!(
            t.path(&mine, full.root() + Fr::from(1u64), 9),
            Err(TrackerError::RootMismatch { height: 9 })
        ));
        // A gap is refused.
        assert!(matches!(
            t.append(total + 1, &[Fr::from(1u64)]),
            Err(TrackerError::Gap { .. })
        ));
    }
}
