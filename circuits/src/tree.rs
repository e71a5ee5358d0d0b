//! The commitment tree (SPEC §3): quaternary, depth 24, 2^48 leaves.
//!
//! A 4-ary Merkle tree over note commitments, appended left to right. Inner
//! node `H(c0, c1, c2, c3)` (circomlib Poseidon with 4 inputs), empty leaf 0,
//! empty subtree of height `i + 1` is `H(z_i, z_i, z_i, z_i)` with `z_0 = 0`.
//! Path digits are the leaf index in base 4, least significant digit at the
//! leaf. One 4-input hash costs about as much in R1CS as a 2-input one
//! (297 against 240 constraints) and covers two binary levels, so the 2^48
//! tree's path is cheaper than a binary 2^32 one (Penumbra's state
//! commitment tree has the same shape).

use crate::field::{serde_hex_vec, Fr};
use crate::poseidon::hash;
use ark_ff::Zero;
use serde::{Deserialize, Serialize};
use std::collections::VecDeque;
use std::sync::OnceLock;
use thiserror::Error;

mod frontier;
pub use frontier::{Frontier, FrontierError};

/// Children per inner node.
pub const ARITY: usize = 4;
/// Tree depth (levels of inner nodes).
pub const DEPTH: usize = 24;
/// Number of leaves the tree holds: `4^24 = 2^48`.
pub const CAPACITY: u64 = 1 << (2 * DEPTH);

/// An inner node: `H(c0, c1, c2, c3)`.
#[inline]
pub fn hash4(children: &[Fr; ARITY]) -> Fr {
    hash(children)
}

/// `z_0 .. z_24`: the roots of empty subtrees of height 0 to 24.
pub fn empty_roots() -> &'static [Fr; DEPTH + 1] {
    static Z: OnceLock<[Fr; DEPTH + 1]> = OnceLock::new();
    Z.get_or_init(|| {
        let mut z = [Fr::zero(); DEPTH + 1];
        for i in 0..DEPTH {
            z[i + 1] = hash4(&[z[i]; ARITY]);
        }
        z
    })
}

/// Number of leaves under one node of `level` (0: a leaf).
#[inline]
fn span(level: usize) -> u64 {
    1u64 << (2 * level)
}

/// The parents of one level's `children` (hashed in groups of four, the last
/// group padded with `empty`, the root of an empty subtree of that level).
/// [`Frontier::append_nodes_with`] takes this, or a parallel equivalent.
pub fn hash_level(children: &[Fr], empty: Fr) -> Vec<Fr> {
    children.chunks(ARITY).map(|c| parent(c, empty)).collect()
}

/// The parent of up to four children, padded with `empty`.
#[inline]
pub fn parent(children: &[Fr], empty: Fr) -> Fr {
    let mut c = [empty; ARITY];
    c[..children.len()].copy_from_slice(children);
    hash4(&c)
}

/// The four children of a node whose child at `digit` is `node` and whose other
/// children are `siblings`, in order.
#[inline]
pub fn place(node: Fr, siblings: &[Fr; ARITY - 1], digit: usize) -> [Fr; ARITY] {
    let mut out = [Fr::zero(); ARITY];
    let mut rest = siblings.iter();
    for (i, slot) in out.iter_mut().enumerate() {
        *slot = if i == digit {
            node
        } else {
            *rest.next().expect("three siblings")
        };
    }
    out
}

/// The three siblings of the node at `pos` in `level` (missing nodes are
/// `empty`).
fn siblings_in(level: &[Fr], pos: u64, empty: Fr) -> [Fr; ARITY - 1] {
    let first = pos & !(ARITY as u64 - 1);
    let mut out = [empty; ARITY - 1];
    let others = (first..first + ARITY as u64).filter(|&i| i != pos);
    for (slot, i) in out.iter_mut().zip(others) {
        *slot = level.get(i as usize).copied().unwrap_or(empty);
    }
    out
}

/// Errors of the tree.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TreeError {
    #[error("the commitment tree is full ({CAPACITY} leaves)")]
    Full,
    #[error("leaf {index} is not in the tree (it has {len} leaves)")]
    NoSuchLeaf { index: u64, len: u64 },
    #[error("a Merkle path has {} siblings (3 on each of {DEPTH} levels), got {got}", DEPTH * (ARITY - 1))]
    PathLength { got: usize },
}

/// The authentication path of one leaf.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "MerklePathRepr", into = "MerklePathRepr")]
pub struct MerklePath {
    /// Leaf position; its base-4 digits, least significant first, are the
    /// path digits.
    pub index: u64,
    /// The three siblings of each level, from the leaf level up, each level's
    /// in order of position.
    pub siblings: [[Fr; ARITY - 1]; DEPTH],
}

/// JSON form: the siblings flattened, level by level (72 elements).
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
        if n != DEPTH * (ARITY - 1) {
            return Err(TreeError::PathLength { got: n });
        }
        if r.index >= CAPACITY {
            return Err(TreeError::NoSuchLeaf {
                index: r.index,
                len: CAPACITY,
            });
        }
        let siblings =
            std::array::from_fn(|l| std::array::from_fn(|k| r.siblings[l * (ARITY - 1) + k]));
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
            siblings: p.siblings.iter().flatten().copied().collect(),
        }
    }
}

impl MerklePath {
    /// The path of `index` with every sibling zero (a shape for key generation).
    pub fn blank(index: u64) -> Self {
        MerklePath {
            index,
            siblings: [[Fr::zero(); ARITY - 1]; DEPTH],
        }
    }

    /// Path digits, leaf level first: digit `i` is the position (0 to 3) of
    /// the level-`i` node among its parent's children.
    pub fn digits(&self) -> [usize; DEPTH] {
        std::array::from_fn(|i| ((self.index >> (2 * i)) & 3) as usize)
    }

    /// The root this path gives for `leaf`.
    pub fn root(&self, leaf: Fr) -> Fr {
        self.siblings
            .iter()
            .zip(self.digits())
            .fold(leaf, |node, (sibs, d)| hash4(&place(node, sibs, d)))
    }
}

/// The root and new inner nodes after appending `new` to a tree of `start`
/// leaves and root `root`, whose final nodes `node(level, index)` gives: the
/// work of [`MerkleTree::append_nodes`] and [`Frontier::append_nodes_with`].
/// Only nodes of the right edge are read: at each level, those left of the
/// first changed node within its group of four. Nothing new: `root` and no
/// nodes.
fn append_nodes_at(
    start: u64,
    root: Fr,
    new: &[Fr],
    node: impl Fn(usize, u64) -> Option<Fr>,
    hash_level: impl Fn(&[Fr], Fr) -> Vec<Fr>,
) -> Result<(Fr, Vec<Vec<Fr>>), TreeError> {
    if new.is_empty() {
        return Ok((root, Vec::new()));
    }
    if start + new.len() as u64 > CAPACITY {
        return Err(TreeError::Full);
    }
    let z = empty_roots();
    let mut upper: Vec<Vec<Fr>> = Vec::with_capacity(DEPTH);
    let mut pos = start;
    for (l, zl) in z.iter().enumerate().take(DEPTH) {
        let nodes = upper.last().map_or(new, Vec::as_slice);
        let first = pos & !(ARITY as u64 - 1);
        let mut children = Vec::with_capacity(nodes.len() + ARITY);
        for i in first..pos {
            children.push(node(l, i).ok_or(TreeError::NoSuchLeaf {
                index: start - 1,
                len: start,
            })?);
        }
        children.extend_from_slice(nodes);
        upper.push(hash_level(&children, *zl));
        pos >>= 2;
    }
    Ok((upper[DEPTH - 1][0], upper))
}

/// Whether `upper` is the form [`append_nodes_at`] gives for `added` leaves
/// appended to a tree of `start`.
fn nodes_fit(start: u64, added: usize, upper: &[Vec<Fr>]) -> bool {
    let total = start + added as u64;
    added > 0
        && total <= CAPACITY
        && upper.len() == DEPTH
        && upper.iter().enumerate().all(|(l, nodes)| {
            let level = l + 1;
            let len = (total - 1) / span(level) + 1;
            nodes.len() as u64 == len - start / span(level)
        })
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

    /// The root the tree would have after appending `new`, and the new inner
    /// nodes level by level, without changing the tree: `upper[l]` holds the
    /// nodes of level `l + 1` from index `len >> 2(l + 1)` on (`len` the
    /// length before), the form [`Frontier::extend_computed`] takes. Each
    /// changed inner node is hashed once, and the nodes left of the first
    /// change are read from the tree (they cover old leaves only, so they are
    /// final).
    pub fn append_nodes(&self, new: &[Fr]) -> Result<(Fr, Vec<Vec<Fr>>), TreeError> {
        append_nodes_at(
            self.len(),
            self.root(),
            new,
            |l, i| self.node(l, i),
            hash_level,
        )
    }

    fn install(&mut self, leaves: &[Fr], upper: &[Vec<Fr>]) {
        let start = self.len();
        self.levels[0].extend_from_slice(leaves);
        for (l, nodes) in upper.iter().enumerate() {
            let level = &mut self.levels[l + 1];
            level.truncate((start / span(l + 1)) as usize);
            level.extend_from_slice(nodes);
        }
    }

    /// Appends one leaf and returns its index.
    pub fn append(&mut self, leaf: Fr) -> Result<u64, TreeError> {
        let index = self.len();
        self.extend(std::slice::from_ref(&leaf))?;
        Ok(index)
    }

    /// Appends many leaves, hashing each affected inner node once.
    pub fn extend(&mut self, leaves: &[Fr]) -> Result<(), TreeError> {
        let (_, upper) = self.append_nodes(leaves)?;
        self.install(leaves, &upper);
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
        let siblings =
            std::array::from_fn(|l| siblings_in(&self.levels[l], index >> (2 * l), z[l]));
        Ok(MerklePath { index, siblings })
    }
}

/// Levels per shard: the tree's leaves fall into shards of `4^6 = 4096`
/// consecutive leaves, whose roots are the nodes at level `SHARD_LEVELS`.
///
/// A wallet never hashes the whole tree. It takes the roots of complete shards
/// from the node, hashes only the leaves of its own note's shard and of the
/// last, incomplete shard, and checks that everything hashes to the root the
/// node committed to in its block header ([`path_from_shards`]). The node thus
/// learns nothing about which note is the wallet's, and a wrong shard root is
/// caught by the root check. (Zcash's light wallets use the same idea with
/// 2^16-leaf subtrees.)
pub const SHARD_LEVELS: usize = 6;
/// Leaves per shard.
pub const SHARD_LEAVES: u64 = 1 << (2 * SHARD_LEVELS);

impl MerkleTree {
    /// Roots of the complete shards with numbers `from..`, in order.
    pub fn shard_roots(&self, from: u64) -> &[Fr] {
        let complete = (self.len() / SHARD_LEAVES) as usize;
        let from = (from as usize).min(complete);
        &self.levels[SHARD_LEVELS][from..complete]
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
        let next = if below.is_empty() {
            vec![z[base + h + 1]]
        } else {
            hash_level(below, z[base + h])
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
        top_leaves.push(subtree_levels(frontier, SHARD_LEVELS, 0)[SHARD_LEVELS][0]);
    }
    Ok(subtree_levels(&top_leaves, DEPTH - SHARD_LEVELS, SHARD_LEVELS)[DEPTH - SHARD_LEVELS][0])
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
    let lower = subtree_levels(own, SHARD_LEVELS, 0);
    if shard < complete && lower[SHARD_LEVELS][0] != shard_roots[shard as usize] {
        return Err(ShardError::ShardRootMismatch { shard });
    }
    let mut top_leaves = shard_roots.to_vec();
    if partial > 0 {
        top_leaves.push(if shard == complete {
            lower[SHARD_LEVELS][0]
        } else {
            subtree_levels(frontier, SHARD_LEVELS, 0)[SHARD_LEVELS][0]
        });
    }
    let upper = subtree_levels(&top_leaves, DEPTH - SHARD_LEVELS, SHARD_LEVELS);
    let z = empty_roots();
    let siblings = std::array::from_fn(|level| {
        if level < SHARD_LEVELS {
            let at = (index % SHARD_LEAVES) >> (2 * level);
            siblings_in(&lower[level], at, z[level])
        } else {
            let h = level - SHARD_LEVELS;
            siblings_in(&upper[h], shard >> (2 * h), z[level])
        }
    });
    Ok((
        MerklePath { index, siblings },
        upper[DEPTH - SHARD_LEVELS][0],
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
        for zh in z.iter().take(DEPTH) {
            if level.is_empty() {
                return z[DEPTH];
            }
            level = level
                .chunks(4)
                .map(|c| {
                    let mut four = [*zh; 4];
                    four[..c.len()].copy_from_slice(c);
                    crate::poseidon::hash(&four)
                })
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
    fn append_nodes_predict_extend() {
        let leaves: Vec<Fr> = (1..=90u64).map(Fr::from).collect();
        // Every split of the first leaves into an old and a new part, for a
        // few batch sizes (crossing 4-, 16- and 64-leaf boundaries).
        for old in 0..70usize {
            for new in [1usize, 2, 3, 4, 5, 15, 17] {
                let tree = MerkleTree::from_leaves(&leaves[..old]).unwrap();
                let (root, upper) = tree.append_nodes(&leaves[old..old + new]).unwrap();
                let mut extended = tree.clone();
                extended.extend(&leaves[old..old + new]).unwrap();
                assert_eq!(root, extended.root(), "old {old}, new {new}");
                assert_eq!(root, naive_root(&leaves[..old + new]));
                // The nodes are the ones extending installs.
                let mut computed = Frontier::of(&tree);
                computed
                    .extend_computed(&leaves[old..old + new], &upper)
                    .unwrap();
                assert_eq!(computed, Frontier::of(&extended), "old {old}, new {new}");
            }
        }
        let tree = MerkleTree::from_leaves(&leaves[..3]).unwrap();
        assert_eq!(tree.append_nodes(&[]).unwrap(), (tree.root(), Vec::new()));
    }

    #[test]
    fn path_json_round_trip_and_length() {
        let tree = MerkleTree::from_leaves(&[Fr::from(5u64), Fr::from(6u64)]).unwrap();
        let path = tree.path(1).unwrap();
        let json = serde_json::to_string(&path).unwrap();
        assert_eq!(serde_json::from_str::<MerklePath>(&json).unwrap(), path);
        let mut v: serde_json::Value = serde_json::from_str(&json).unwrap();
        v["siblings"].as_array_mut().unwrap().pop();
        let err = serde_json::from_value::<MerklePath>(v)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("72 siblings") && err.contains("got 71"),
            "{err}"
        );
    }

    #[test]
    fn empty_tree_root_is_z24() {
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
