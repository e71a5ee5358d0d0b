//! The right edge of the commitment tree: what a node keeps to append leaves
//! and know the root, whatever the tree's size.
//!
//! At each level, the final nodes left of the tree's growing edge within
//! their group of four: at most 3 nodes a level, 72 for the whole tree
//! (2.3 KB; a full tree keeps its root instead) whether it holds a thousand leaves or 2^48. Everything else (the
//! leaves, the roots of complete shards) is written to storage as blocks
//! come and read from there when asked for. Zcash's `incrementalmerkletree`
//! frontier and Penumbra's tiered tree keep the same thing.

use super::{
    append_nodes_at, empty_roots, hash4, hash_level, nodes_fit, MerkleTree, TreeError, ARITY,
    CAPACITY, DEPTH,
};
use crate::field::{self, Fr};
use thiserror::Error;

/// Why bytes are not a frontier.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FrontierError {
    #[error("a frontier is at least 8 bytes (its leaf count), got {got}")]
    Short { got: usize },
    #[error("a frontier of {len} leaves is {expected} bytes, got {got}")]
    Length {
        len: u64,
        expected: usize,
        got: usize,
    },
    #[error("a frontier of {len} leaves exceeds the tree's capacity ({CAPACITY})")]
    Capacity { len: u64 },
    #[error("frontier node {index}: {why}")]
    Node { index: usize, why: String },
}

/// The right edge of an append-only tree (see the module documentation).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frontier {
    len: u64,
    /// `edge[l]`: the nodes of level `l` with indices `(p & !3)..p`,
    /// `p = len >> 2l`, for `l` in `0..=DEPTH`. They cover old leaves only,
    /// so they are final (level `DEPTH` holds the root of a full tree).
    edge: Vec<Vec<Fr>>,
    root: Fr,
}

impl Default for Frontier {
    fn default() -> Self {
        Self::new()
    }
}

/// Nodes of level `l` a frontier of `len` leaves holds.
fn edge_len(len: u64, level: usize) -> usize {
    ((len >> (2 * level)) & (ARITY as u64 - 1)) as usize
}

impl Frontier {
    /// The empty tree.
    pub fn new() -> Self {
        Frontier {
            len: 0,
            edge: vec![Vec::new(); DEPTH + 1],
            root: empty_roots()[DEPTH],
        }
    }

    /// The frontier of a whole tree.
    pub fn of(tree: &MerkleTree) -> Self {
        let len = tree.len();
        let edge = (0..=DEPTH)
            .map(|l| {
                let pos = len >> (2 * l);
                let first = pos & !(ARITY as u64 - 1);
                (first..pos)
                    .map(|i| tree.node(l, i).expect("a final node of the tree"))
                    .collect()
            })
            .collect();
        Frontier {
            len,
            edge,
            root: tree.root(),
        }
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.root
    }

    /// The root of the tree whose right edge `edge` is: each level's
    /// growing node is its final left siblings, the growing node below
    /// (if any) and empty subtrees; a full tree's root is its own edge.
    fn compute_root(edge: &[Vec<Fr>]) -> Fr {
        if let Some(root) = edge[DEPTH].first() {
            return *root;
        }
        let z = empty_roots();
        let mut growing: Option<Fr> = None;
        for (l, nodes) in edge[..DEPTH].iter().enumerate() {
            if nodes.is_empty() && growing.is_none() {
                continue;
            }
            let mut children = [z[l]; ARITY];
            children[..nodes.len()].copy_from_slice(nodes);
            if let Some(g) = growing {
                children[nodes.len()] = g;
            }
            growing = Some(hash4(&children));
        }
        growing.unwrap_or(z[DEPTH])
    }

    fn node(&self, level: usize, index: u64) -> Option<Fr> {
        let pos = self.len >> (2 * level);
        let first = pos & !(ARITY as u64 - 1);
        if index < first || index >= pos {
            return None;
        }
        self.edge[level].get((index - first) as usize).copied()
    }

    /// The root after appending `new` and the new inner nodes, level by
    /// level, as [`MerkleTree::append_nodes`] gives them (the same hashing;
    /// only the edge is read). `hash_level` hashes one level
    /// ([`hash_level`], or a parallel equivalent).
    pub fn append_nodes_with(
        &self,
        new: &[Fr],
        hash_level: impl Fn(&[Fr], Fr) -> Vec<Fr>,
    ) -> Result<(Fr, Vec<Vec<Fr>>), TreeError> {
        append_nodes_at(self.len, self.root, new, |l, i| self.node(l, i), hash_level)
    }

    /// Appends `leaves` whose inner nodes [`Frontier::append_nodes_with`]
    /// computed on this frontier (checked for shape; hashed here where
    /// they do not fit).
    pub fn extend_computed(&mut self, leaves: &[Fr], upper: &[Vec<Fr>]) -> Result<(), TreeError> {
        if leaves.is_empty() {
            return Ok(());
        }
        if !nodes_fit(self.len, leaves.len(), upper) {
            let (_, upper) = self.append_nodes_with(leaves, hash_level)?;
            return self.extend_computed(leaves, &upper);
        }
        let start = self.len;
        let total = start + leaves.len() as u64;
        let edge = (0..=DEPTH)
            .map(|l| {
                let pos = total >> (2 * l);
                let first = pos & !(ARITY as u64 - 1);
                let new_from = start >> (2 * l);
                (first..pos)
                    .map(|i| {
                        if i >= new_from {
                            let nodes = if l == 0 { leaves } else { &upper[l - 1] };
                            nodes[(i - new_from) as usize]
                        } else {
                            self.node(l, i).expect("an old final node is on the edge")
                        }
                    })
                    .collect()
            })
            .collect();
        self.edge = edge;
        self.len = total;
        self.root = upper[DEPTH - 1][0];
        Ok(())
    }

    /// Appends `leaves`.
    pub fn extend(&mut self, leaves: &[Fr]) -> Result<(), TreeError> {
        let (_, upper) = self.append_nodes_with(leaves, hash_level)?;
        self.extend_computed(leaves, &upper)
    }

    /// `len` (u64, big-endian), then the edge's nodes level by level from the
    /// leaves up, 32 bytes each (how many a level holds follows from `len`).
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + 32 * DEPTH * (ARITY - 1) + 32);
        out.extend_from_slice(&self.len.to_be_bytes());
        for node in self.edge.iter().flatten() {
            out.extend_from_slice(&field::to_bytes(node));
        }
        out
    }

    /// The inverse of [`Frontier::to_bytes`]: the length must be exact and
    /// every node a canonical field element.
    pub fn from_bytes(bytes: &[u8]) -> Result<Self, FrontierError> {
        let Some((head, rest)) = bytes.split_first_chunk::<8>() else {
            return Err(FrontierError::Short { got: bytes.len() });
        };
        let len = u64::from_be_bytes(*head);
        if len > CAPACITY {
            return Err(FrontierError::Capacity { len });
        }
        let count: usize = (0..=DEPTH).map(|l| edge_len(len, l)).sum();
        if rest.len() != 32 * count {
            return Err(FrontierError::Length {
                len,
                expected: 8 + 32 * count,
                got: bytes.len(),
            });
        }
        let mut nodes = rest.chunks_exact(32).enumerate().map(|(index, c)| {
            field::from_bytes(c).map_err(|e| FrontierError::Node {
                index,
                why: e.to_string(),
            })
        });
        let mut edge = Vec::with_capacity(DEPTH + 1);
        for l in 0..=DEPTH {
            let level = (0..edge_len(len, l))
                .map(|_| nodes.next().expect("counted"))
                .collect::<Result<Vec<Fr>, _>>()?;
            edge.push(level);
        }
        let root = Self::compute_root(&edge);
        Ok(Frontier { len, edge, root })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leaves(n: u64) -> Vec<Fr> {
        (0..n).map(|i| Fr::from(i * 31 + 7)).collect()
    }

    #[test]
    fn frontier_follows_the_full_tree() {
        let all = leaves(5000);
        let mut tree = MerkleTree::new();
        let mut frontier = Frontier::new();
        assert_eq!(frontier.root(), tree.root());
        // Appends of many sizes, across group, level and shard boundaries.
        let mut at = 0usize;
        for step in [1usize, 2, 3, 1, 9, 16, 47, 64, 255, 1, 4096, 500] {
            let end = (at + step).min(all.len());
            let chunk = &all[at..end];
            let (root, upper) = frontier.append_nodes_with(chunk, hash_level).unwrap();
            assert_eq!(root, tree.append_nodes(chunk).unwrap().0);
            frontier.extend_computed(chunk, &upper).unwrap();
            tree.extend(chunk).unwrap();
            assert_eq!(frontier.root(), tree.root(), "after {end} leaves");
            assert_eq!(frontier, Frontier::of(&tree));
            let back = Frontier::from_bytes(&frontier.to_bytes()).unwrap();
            assert_eq!(back, frontier, "bytes round trip at {end} leaves");
            at = end;
        }
    }

    #[test]
    fn frontier_bytes_are_checked() {
        let mut f = Frontier::new();
        f.extend(&leaves(7)).unwrap();
        let bytes = f.to_bytes();
        // 7 = 13 in base 4: three nodes at level 0, one at level 1.
        assert_eq!(bytes.len(), 8 + 32 * 4);
        assert!(matches!(
            Frontier::from_bytes(&bytes[..5]),
            Err(FrontierError::Short { got: 5 })
        ));
        assert!(matches!(
            Frontier::from_bytes(&bytes[..bytes.len() - 1]),
            Err(FrontierError::Length { len: 7, .. })
        ));
        let mut big = bytes.clone();
        big[..8].copy_from_slice(&(CAPACITY + 1).to_be_bytes());
        assert!(matches!(
            Frontier::from_bytes(&big),
            Err(FrontierError::Capacity { .. })
        ));
        let mut high = bytes.clone();
        high[8..40].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Frontier::from_bytes(&high),
            Err(FrontierError::Node { index: 0, .. })
        ));
        // A changed node gives another root: the state root check catches it.
        let mut other = bytes;
        other[39] ^= 1;
        assert_ne!(Frontier::from_bytes(&other).unwrap().root(), f.root());
    }

    #[test]
    fn a_full_tree_keeps_its_root_and_takes_no_more() {
        // A full tree's edge is its root alone (every lower level's group
        // is complete).
        let root = Fr::from(99u64);
        let mut bytes = CAPACITY.to_be_bytes().to_vec();
        bytes.extend_from_slice(&field::to_bytes(&root));
        let mut f = Frontier::from_bytes(&bytes).unwrap();
        assert_eq!(f.len(), CAPACITY);
        assert_eq!(f.root(), root);
        assert_eq!(f.to_bytes(), bytes);
        assert_eq!(f.extend(&leaves(1)), Err(TreeError::Full));
    }
}
