//! The depth-32 commitment tree (SPEC §3).
//!
//! A binary Merkle tree over note commitments, appended left to right. Inner
//! node `H(left, right)`, empty leaf 0, empty subtree of height `i + 1` is
//! `H(z_i, z_i)` with `z_0 = 0` (zk-kit's incremental Merkle tree with zero
//! value 0). Path bits are the leaf index, least significant bit at the leaf.

use crate::field::{serde_hex_vec, Fr};
use crate::poseidon::hash2;
use ark_ff::Zero;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::OnceLock;
use thiserror::Error;

/// Tree depth.
pub const DEPTH: usize = 32;
/// Number of leaves the tree holds.
pub const CAPACITY: u64 = 1 << DEPTH;

/// `z_0 .. z_32`: the roots of empty subtrees of height 0 to 32.
pub fn empty_roots() -> &'static [Fr; DEPTH + 1] {
    static Z: OnceLock<[Fr; DEPTH + 1]> = OnceLock::new();
    Z.get_or_init(|| {
        let mut z = [Fr::zero(); DEPTH + 1];
        for i in 0..DEPTH {
            z[i + 1] = hash2(z[i], z[i]);
        }
        z
    })
}

/// Errors of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    #[error("the commitment tree is full ({CAPACITY} leaves)")]
    Full,
    #[error("leaf {index} is not in the tree (it has {len} leaves)")]
    NoSuchLeaf { index: u64, len: u64 },
    #[error("a Merkle path has {DEPTH} siblings, got {0}")]
    PathLength(usize),
}

/// The authentication path of one leaf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MerklePathRepr", into = "MerklePathRepr")]
pub struct MerklePath {
    /// Leaf position; its bits, least significant first, are the path bits.
    pub index: u64,
    /// Siblings from the leaf level up.
    pub siblings: [Fr; DEPTH],
}

#[derive(Serialize, Deserialize)]
struct MerklePathRepr {
    index: u64,
    #[serde(with = "serde_hex_vec")]
    siblings: Vec<Fr>,
}

impl TryFrom<MerklePathRepr> for MerklePath {
    type Error = TreeError;
    fn try_from(r: MerklePathRepr) -> Result<Self, TreeError> {
        let n = r.siblings.len();
        let siblings = r
            .siblings
            .try_into()
            .map_err(|_| TreeError::PathLength(n))?;
        if r.index >= CAPACITY {
            return Err(TreeError::NoSuchLeaf {
                index: r.index,
                len: CAPACITY,
            });
        }
        Ok(MerklePath {
            index: r.index,
            siblings,
        })
    }
}

impl From<MerklePath> for MerklePathRepr {
    fn from(p: MerklePath) -> Self {
        MerklePathRepr {
            index: p.index,
            siblings: p.siblings.to_vec(),
        }
    }
}

impl MerklePath {
    /// Path bits, leaf level first: bit `i` is 1 when the node at level `i` is a
    /// right child.
    pub fn bits(&self) -> [bool; DEPTH] {
        std::array::from_fn(|i| (self.index >> i) & 1 == 1)
    }

    /// The root this path gives for `leaf`.
    pub fn root(&self, leaf: Fr) -> Fr {
        self.siblings
            .iter()
            .zip(self.bits())
            .fold(leaf, |node, (sib, right)| {
                if right {
                    hash2(*sib, node)
                } else {
                    hash2(node, *sib)
                }
            })
    }
}

/// An append-only tree that keeps every node, so it can give the path of any
/// leaf. Level 0 holds the leaves; level `DEPTH` the root.
#[derive(Clone, Debug, Default)]
pub struct MerkleTree {
    levels: Vec<Vec<Fr>>,
}

impl MerkleTree {
    pub fn new() -> Self {
        MerkleTree {
            levels: vec![Vec::new(); DEPTH + 1],
        }
    }

    /// A tree holding `leaves`, hashing each inner node once.
    pub fn from_leaves(leaves: &[Fr]) -> Result<Self, TreeError> {
        let mut t = Self::new();
        t.extend(leaves)?;
        Ok(t)
    }

    /// Number of leaves.
    pub fn len(&self) -> u64 {
        self.levels[0].len() as u64
    }

    pub fn is_empty(&self) -> bool {
        self.levels[0].is_empty()
    }

    /// The leaves in order.
    pub fn leaves(&self) -> &[Fr] {
        &self.levels[0]
    }

    /// The current root.
    pub fn root(&self) -> Fr {
        self.levels[DEPTH]
            .first()
            .copied()
            .unwrap_or(empty_roots()[DEPTH])
    }

    /// The stored node at `level` (0: the leaves) and `index`, if that
    /// position holds one. A node over leaves that all exist is final.
    pub fn node(&self, level: usize, index: u64) -> Option<Fr> {
        self.levels.get(level)?.get(index as usize).copied()
    }

    /// [`MerkleTree::extend`] with the inner nodes already computed from this
    /// tree's right edge (as the ledger does once to predict the root):
    /// `upper[l]` holds the new nodes of level `l + 1`, from index
    /// `len >> (l + 1)` on, where `len` is the length before. Their counts
    /// are checked; where they do not fit, the nodes are hashed here instead.
    pub fn extend_computed(&mut self, leaves: &[Fr], upper: &[Vec<Fr>]) -> Result<(), TreeError> {
        let start = self.len();
        let total = start + leaves.len() as u64;
        let fits = !leaves.is_empty()
            && total <= CAPACITY
            && upper.len() == DEPTH
            && upper.iter().enumerate().all(|(l, nodes)| {
                let level = l as u32 + 1;
                let len = (total - 1) / (1u64 << level) + 1;
                nodes.len() as u64 == len - (start >> level)
            });
        if !fits {
            debug_assert!(
                leaves.is_empty() || total > CAPACITY,
                "extend_computed: the given nodes do not fit the tree"
            );
            return self.extend(leaves);
        }
        self.levels[0].extend_from_slice(leaves);
        for (l, nodes) in upper.iter().enumerate() {
            let level = &mut self.levels[l + 1];
            level.truncate((start >> (l + 1)) as usize);
            level.extend_from_slice(nodes);
        }
        Ok(())
    }

    /// Appends one leaf and returns its index.
    pub fn append(&mut self, leaf: Fr) -> Result<u64, TreeError> {
        let index = self.len();
        self.extend(std::slice::from_ref(&leaf))?;
        Ok(index)
    }

    /// Appends many leaves, hashing each affected inner node once.
    pub fn extend(&mut self, leaves: &[Fr]) -> Result<(), TreeError> {
        if leaves.is_empty() {
            return Ok(());
        }
        if self.len() + leaves.len() as u64 > CAPACITY {
            return Err(TreeError::Full);
        }
        let z = empty_roots();
        let mut start = self.levels[0].len();
        self.levels[0].extend_from_slice(leaves);
        for level in 0..DEPTH {
            let (lower, upper) = self.levels.split_at_mut(level + 1);
            let (children, parents) = (&lower[level], &mut upper[0]);
            let first_parent = start / 2;
            let last_parent = (children.len() - 1) / 2;
            parents.truncate(first_parent);
            for p in first_parent..=last_parent {
                let left = children[2 * p];
                let right = children.get(2 * p + 1).copied().unwrap_or(z[level]);
                parents.push(hash2(left, right));
            }
            start = first_parent;
        }
        Ok(())
    }

    /// The path of leaf `index`.
    pub fn path(&self, index: u64) -> Result<MerklePath, TreeError> {
        if index >= self.len() {
            return Err(TreeError::NoSuchLeaf {
                index,
                len: self.len(),
            });
        }
        let z = empty_roots();
        let siblings = std::array::from_fn(|level| {
            let sib = ((index >> level) ^ 1) as usize;
            self.levels[level].get(sib).copied().unwrap_or(z[level])
        });
        Ok(MerklePath { index, siblings })
    }
}

/// Height of a shard: the tree's leaves fall into shards of `2^SHARD_HEIGHT`
/// consecutive leaves, whose roots are the nodes at level `SHARD_HEIGHT`.
///
/// A wallet never hashes the whole tree. It takes the roots of complete shards
/// from the node, hashes only the leaves of its own note's shard and of the
/// last, incomplete shard, and checks that everything hashes to the root the
/// node committed to in its block header ([`path_from_shards`]). The node thus
/// learns nothing about which note is the wallet's, and a wrong shard root is
/// caught by the root check. (Zcash's light wallets use the same idea with
/// 2^16-leaf subtrees.)
pub const SHARD_HEIGHT: usize = 12;
/// Leaves per shard.
pub const SHARD_LEAVES: u64 = 1 << SHARD_HEIGHT;

impl MerkleTree {
    /// Roots of the complete shards with numbers `from..`, in order.
    pub fn shard_roots(&self, from: u64) -> &[Fr] {
        let complete = (self.len() / SHARD_LEAVES) as usize;
        let from = (from as usize).min(complete);
        &self.levels[SHARD_HEIGHT][from..complete]
    }
}

/// The levels of a subtree of `height` over `leaves` (padded with empty
/// subtrees), whose level-0 nodes sit at tree level `base`: `levels[0]` is the
/// leaves and `levels[height]` the one root.
fn subtree_levels(leaves: &[Fr], height: usize, base: usize) -> Vec<Vec<Fr>> {
    let z = empty_roots();
    let mut levels = Vec::with_capacity(height + 1);
    levels.push(leaves.to_vec());
    for h in 0..height {
        let below: &Vec<Fr> = &levels[h];
        let next: Vec<Fr> = if below.is_empty() {
            vec![z[base + h + 1]]
        } else {
            below
                .chunks(2)
                .map(|c| hash2(c[0], c.get(1).copied().unwrap_or(z[base + h])))
                .collect()
        };
        levels.push(next);
    }
    levels
}

/// Errors of [`path_from_shards`]: the data given does not describe one tree.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ShardError {
    #[error("leaf {index} is not in a tree of {len} leaves")]
    NoSuchLeaf { index: u64, len: u64 },
    #[error("a tree of {len} leaves has {expected} complete shards, got {got} shard roots")]
    ShardCount { len: u64, expected: u64, got: usize },
    #[error(
        "the incomplete last shard of a tree of {len} leaves has {expected} leaves, got {got}"
    )]
    FrontierLength { len: u64, expected: u64, got: usize },
    #[error("shard {shard} must be given whole ({SHARD_LEAVES} leaves), got {got}")]
    ShardLength { shard: u64, got: usize },
    #[error("shard {shard}: its leaves hash to a different root than the shard root given")]
    ShardRootMismatch { shard: u64 },
}

/// The root of a tree of `len` leaves from the roots of its complete shards
/// and the leaves of its incomplete last shard (`frontier`, possibly empty).
pub fn root_from_shards(len: u64, shard_roots: &[Fr], frontier: &[Fr]) -> Result<Fr, ShardError> {
    if len > CAPACITY {
        return Err(ShardError::NoSuchLeaf { index: len, len });
    }
    check_shard_counts(len, shard_roots, frontier)?;
    let mut top_leaves = shard_roots.to_vec();
    if !frontier.is_empty() {
        top_leaves.push(subtree_levels(frontier, SHARD_HEIGHT, 0)[SHARD_HEIGHT][0]);
    }
    Ok(subtree_levels(&top_leaves, DEPTH - SHARD_HEIGHT, SHARD_HEIGHT)[DEPTH - SHARD_HEIGHT][0])
}

fn check_shard_counts(len: u64, shard_roots: &[Fr], frontier: &[Fr]) -> Result<(), ShardError> {
    let complete = len / SHARD_LEAVES;
    if shard_roots.len() as u64 != complete {
        return Err(ShardError::ShardCount {
            len,
            expected: complete,
            got: shard_roots.len(),
        });
    }
    let partial = len % SHARD_LEAVES;
    if frontier.len() as u64 != partial {
        return Err(ShardError::FrontierLength {
            len,
            expected: partial,
            got: frontier.len(),
        });
    }
    Ok(())
}

/// The path of leaf `index` and the root of a tree of `len` leaves, from the
/// roots of its complete shards, the leaves of the leaf's own shard and the
/// leaves of the incomplete last shard (`frontier`, possibly empty).
///
/// Hashes at most two shards' worth of leaves plus one node per complete
/// shard, whatever the size of the tree. The caller compares the returned root
/// with a root it trusts (a block header's); a wrong shard root changes it.
pub fn path_from_shards(
    index: u64,
    len: u64,
    shard_roots: &[Fr],
    own_shard: &[Fr],
    frontier: &[Fr],
) -> Result<(MerklePath, Fr), ShardError> {
    if index >= len || len > CAPACITY {
        return Err(ShardError::NoSuchLeaf { index, len });
    }
    check_shard_counts(len, shard_roots, frontier)?;
    let complete = len / SHARD_LEAVES;
    let partial = len % SHARD_LEAVES;
    let shard = index / SHARD_LEAVES;
    let own = if shard < complete {
        own_shard
    } else {
        frontier
    };
    if shard < complete && own.len() as u64 != SHARD_LEAVES {
        return Err(ShardError::ShardLength {
            shard,
            got: own.len(),
        });
    }
    let lower = subtree_levels(own, SHARD_HEIGHT, 0);
    if shard < complete && lower[SHARD_HEIGHT][0] != shard_roots[shard as usize] {
        return Err(ShardError::ShardRootMismatch { shard });
    }
    let mut top_leaves = shard_roots.to_vec();
    if partial > 0 {
        top_leaves.push(if shard == complete {
            lower[SHARD_HEIGHT][0]
        } else {
            subtree_levels(frontier, SHARD_HEIGHT, 0)[SHARD_HEIGHT][0]
        });
    }
    let upper = subtree_levels(&top_leaves, DEPTH - SHARD_HEIGHT, SHARD_HEIGHT);
    let z = empty_roots();
    let siblings = std::array::from_fn(|level| {
        let (levels, at, base) = if level < SHARD_HEIGHT {
            (&lower, index % SHARD_LEAVES, 0)
        } else {
            (&upper, shard, SHARD_HEIGHT)
        };
        let h = level - base;
        let sib = ((at >> h) ^ 1) as usize;
        levels[h].get(sib).copied().unwrap_or(z[level])
    });
    Ok((
        MerklePath { index, siblings },
        upper[DEPTH - SHARD_HEIGHT][0],
    ))
}

/// The last `window` roots, oldest first; any of them is a valid anchor.
#[derive(Clone, Debug)]
pub struct RootHistory {
    window: usize,
    roots: VecDeque<Fr>,
}

impl RootHistory {
    pub fn new(window: usize) -> Self {
        RootHistory {
            window: window.max(1),
            roots: VecDeque::new(),
        }
    }

    /// Records a root; the oldest falls out once more than `window` are held.
    pub fn push(&mut self, root: Fr) {
        self.roots.push_back(root);
        while self.roots.len() > self.window {
            self.roots.pop_front();
        }
    }

    pub fn contains(&self, root: &Fr) -> bool {
        self.roots.contains(root)
    }

    pub fn latest(&self) -> Option<Fr> {
        self.roots.back().copied()
    }

    pub fn iter(&self) -> impl Iterator<Item = &Fr> {
        self.roots.iter()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn naive_root(leaves: &[Fr]) -> Fr {
        let z = empty_roots();
        let mut level: Vec<Fr> = leaves.to_vec();
        for (h, zh) in z.iter().enumerate().take(DEPTH) {
            if level.is_empty() {
                return z[DEPTH];
            }
            let _ = h;
            level = level
                .chunks(2)
                .map(|c| hash2(c[0], c.get(1).copied().unwrap_or(*zh)))
                .collect();
        }
        level[0]
    }

    #[test]
    fn append_extend_and_paths_agree() {
        let leaves: Vec<Fr> = (1..=37u64).map(Fr::from).collect();
        let mut one_by_one = MerkleTree::new();
        let mut batched = MerkleTree::new();
        for (i, l) in leaves.iter().enumerate() {
            assert_eq!(one_by_one.append(*l).unwrap(), i as u64);
        }
        batched.extend(&leaves[..5]).unwrap();
        batched.extend(&leaves[5..6]).unwrap();
        batched.extend(&leaves[6..]).unwrap();
        assert_eq!(one_by_one.root(), batched.root());
        assert_eq!(one_by_one.root(), naive_root(&leaves));
        for i in 0..leaves.len() as u64 {
            let p = batched.path(i).unwrap();
            assert_eq!(p.root(leaves[i as usize]), batched.root());
            assert_ne!(p.root(leaves[i as usize] + Fr::from(1u64)), batched.root());
        }
        assert!(matches!(
            batched.path(37),
            Err(TreeError::NoSuchLeaf { .. })
        ));
    }

    #[test]
    fn empty_tree_root_is_z32() {
        assert_eq!(MerkleTree::new().root(), empty_roots()[DEPTH]);
    }

    #[test]
    fn root_history_window() {
        let mut h = RootHistory::new(2);
        h.push(Fr::from(1u64));
        h.push(Fr::from(2u64));
        h.push(Fr::from(3u64));
        assert!(!h.contains(&Fr::from(1u64)));
        assert!(h.contains(&Fr::from(2u64)) && h.contains(&Fr::from(3u64)));
    }

    #[test]
    fn path_from_shards_matches_full_tree() {
        let n = 2 * SHARD_LEAVES + 37;
        let leaves: Vec<Fr> = (0..n).map(|i| Fr::from(i * 7 + 1)).collect();
        for len in [1u64, 5, SHARD_LEAVES, SHARD_LEAVES + 1, n] {
            let tree = MerkleTree::from_leaves(&leaves[..len as usize]).unwrap();
            let roots = tree.shard_roots(0).to_vec();
            let frontier = &leaves[(len - len % SHARD_LEAVES) as usize..len as usize];
            for index in [0, len / 2, len - 1] {
                let s = (index / SHARD_LEAVES) as usize * SHARD_LEAVES as usize;
                let own = &leaves[s..(s + SHARD_LEAVES as usize).min(len as usize)];
                let (path, root) = path_from_shards(index, len, &roots, own, frontier).unwrap();
                assert_eq!(root, tree.root(), "len {len}");
                assert_eq!(path, tree.path(index).unwrap(), "len {len} index {index}");
            }
        }
        // A wrong shard root changes the root (caught by the caller's check),
        // or is caught directly when it is the leaf's own shard.
        let tree = MerkleTree::from_leaves(&leaves).unwrap();
        let mut roots = tree.shard_roots(0).to_vec();
        roots[1] += Fr::from(1u64);
        let frontier = &leaves[2 * SHARD_LEAVES as usize..];
        let own = &leaves[..SHARD_LEAVES as usize];
        let (_, root) = path_from_shards(3, n, &roots, own, frontier).unwrap();
        assert_ne!(root, tree.root());
        let own1 = &leaves[SHARD_LEAVES as usize..2 * SHARD_LEAVES as usize];
        assert_eq!(
            path_from_shards(SHARD_LEAVES + 3, n, &roots, own1, frontier),
            Err(ShardError::ShardRootMismatch { shard: 1 })
        );
        assert!(matches!(
            path_from_shards(3, n, &roots[..1], own, frontier),
            Err(ShardError::ShardCount { .. })
        ));
    }
}
