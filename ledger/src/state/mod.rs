//! The ledger state (SPEC §5) and its state root.
//!
//! [`State`] holds everything a transaction's validity depends on: the
//! commitment tree, the anchor window (the last `anchor_window` distinct tree
//! roots: a block that appends nothing adds none), the spent nullifiers, the attestation tags of each
//! context, the ids of every included transaction, the epoch, the parameters
//! and the parameters pending for the next epoch, the authority nonce and the
//! public totals. It does not know about block production, storage or the
//! network: blocks go in through [`State::apply_block`] (or
//! [`State::propose`] + [`State::commit`]), see [`crate::rules`].

mod apply;
mod history;
mod restore;
mod sets;

pub use apply::{BlockPlan, DeferredProof};
pub use history::{EpochHistory, EpochRow};
pub use sets::StoredSets;

use sets::Sets;

use rayon::prelude::*;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::sync::Arc;
use thiserror::Error;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::tree::{self, Frontier, RootHistory, TreeError};
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::governance::GovernanceEvent;
use zkpension_core::subsidy::SubsidyTotals;
use zkpension_core::views::{FunderView, SubsidyView};
use zkpension_core::{
    ChainContext, FixedBytes, Genesis, GenesisError, Hash32, Params, PendingParams, StateSummary,
    TxId,
};

pub use zkpension_core::state_root::{STATE_DOMAIN, STATE_VERSION};
const NULLIFIER_ACC_DOMAIN: &[u8] = b"zkpension/v1/nullifiers";
const ATTESTATION_ACC_DOMAIN: &[u8] = b"zkpension/v1/attestations";
const TX_ACC_DOMAIN: &[u8] = b"zkpension/v1/txs";
const ANCHORS_DOMAIN: &[u8] = b"zkpension/v1/anchors";

/// The fixed-size part of the state: counters, totals, parameters and the
/// accumulators that commit to the (large) sets.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scalars {
    /// Number of blocks applied (0 at genesis).
    pub height: u64,
    /// Hash of the last block's header; the genesis hash at height 0.
    pub tip_hash: Hash32,
    pub epoch: u64,
    /// Parameters in force.
    pub params: Params,
    /// The parameter change waiting for its effective epoch.
    pub pending_params: Option<PendingParams>,
    /// Every authority transaction carries it and increments it.
    pub authority_nonce: u64,
    pub total_contributed: u64,
    pub total_paid_out: u64,
    /// The subsidy pool's totals, on a chain whose genesis has a subsidy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidy: Option<SubsidyTotals>,
    pub leaf_count: u64,
    pub nullifier_count: u64,
    /// `acc' = SHA-256("zkpension/v1/nullifiers" || acc || nf)`, from 32 zero bytes.
    pub nullifier_acc: Hash32,
    pub attestation_count: u64,
    /// `acc' = SHA-256("zkpension/v1/attestations" || acc || context || tag)`.
    pub attestation_acc: Hash32,
    pub tx_count: u64,
    /// `acc' = SHA-256("zkpension/v1/txs" || acc || tx id)`.
    pub tx_acc: Hash32,
}

impl Scalars {
    /// `pool = total_contributed + matched - total_paid_out`: the money
    /// held for members; never negative (a claim larger than the pool is
    /// refused).
    pub fn pool(&self) -> u64 {
        self.total_contributed
            .saturating_add(self.matched())
            .saturating_sub(self.total_paid_out)
    }

    /// Money moved from the subsidy pool into members' accounts (0 without
    /// a subsidy).
    pub fn matched(&self) -> u64 {
        self.subsidy.as_ref().map_or(0, |t| t.matched)
    }

    pub(crate) fn add_nullifier(&mut self, nf: &Nullifier) {
        self.nullifier_count += 1;
        self.nullifier_acc = chain(NULLIFIER_ACC_DOMAIN, &self.nullifier_acc, &[&nf.to_bytes()]);
    }

    pub(crate) fn add_attestation(&mut self, context: &ContextId, tag: &AttestTag) {
        self.attestation_count += 1;
        self.attestation_acc = chain(
            ATTESTATION_ACC_DOMAIN,
            &self.attestation_acc,
            &[&context.to_bytes(), &tag.to_bytes()],
        );
    }

    pub(crate) fn add_tx(&mut self, id: &TxId) {
        self.tx_count += 1;
        self.tx_acc = chain(TX_ACC_DOMAIN, &self.tx_acc, &[&id.0]);
    }
}

fn chain(domain: &[u8], acc: &Hash32, items: &[&[u8]]) -> Hash32 {
    let mut h = Sha256::new();
    h.update(domain);
    h.update(acc.0);
    for i in items {
        h.update(i);
    }
    FixedBytes(h.finalize().into())
}

/// `SHA-256("zkpension/v1/anchors" || count (u32) || roots, oldest first)`.
pub fn anchors_digest<'a>(roots: impl IntoIterator<Item = &'a Fr>) -> Hash32 {
    let roots: Vec<&Fr> = roots.into_iter().collect();
    let mut h = Sha256::new();
    h.update(ANCHORS_DOMAIN);
    h.update((roots.len() as u32).to_be_bytes());
    for r in roots {
        h.update(field::to_bytes(r));
    }
    FixedBytes(h.finalize().into())
}

/// The state's summary: every field of the state root's preimage
/// ([`StateSummary::root`]).
pub fn state_summary(tree_root: &Fr, anchors: &Hash32, s: &Scalars) -> StateSummary {
    StateSummary {
        tree_root: *tree_root,
        leaf_count: s.leaf_count,
        anchors_digest: *anchors,
        epoch: s.epoch,
        params: s.params,
        pending_params: s.pending_params,
        authority_nonce: s.authority_nonce,
        total_contributed: s.total_contributed,
        total_paid_out: s.total_paid_out,
        pool: s.pool(),
        subsidy: s.subsidy.clone(),
        nullifier_count: s.nullifier_count,
        nullifier_acc: s.nullifier_acc,
        attestation_count: s.attestation_count,
        attestation_acc: s.attestation_acc,
        tx_count: s.tx_count,
        tx_acc: s.tx_acc,
    }
}

/// The state root ([`StateSummary::root`] of [`state_summary`]).
pub fn state_root(tree_root: &Fr, anchors: &Hash32, s: &Scalars) -> Hash32 {
    state_summary(tree_root, anchors, s).root()
}

/// Parts read from storage that do not form one state.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum RestoreError {
    #[error("genesis: {0}")]
    Genesis(#[from] GenesisError),
    #[error("tree: {0}")]
    Tree(#[from] TreeError),
    #[error("{what}: the stored count is {stored}, found {found}")]
    Count {
        what: &'static str,
        stored: u64,
        found: u64,
    },
    #[error("{what}: the stored accumulator does not match the stored items")]
    Accumulator { what: &'static str },
    #[error("{what}: an item is stored twice")]
    Repeated { what: &'static str },
    #[error(
        "the tree gives root {tree}, but the anchor window's last root is {anchor} (the stored \
         tree or the block infos are damaged)"
    )]
    Anchors { tree: String, anchor: String },
    #[error("more was paid out ({paid_out}) than contributed and matched ({contributed})")]
    Totals { contributed: u64, paid_out: u64 },
    #[error("the stored subsidy totals do not fit the genesis (matched above funded, or another number of funders)")]
    Subsidy,
    #[error("state root {computed} differs from the tip header's {header}")]
    StateRoot { computed: String, header: String },
}

/// The ledger state.
#[derive(Clone, Debug)]
pub struct State {
    pub(crate) genesis: Genesis,
    pub(crate) ctx: ChainContext,
    /// The tree's right edge: the root, and what appending needs.
    pub(crate) tree: Frontier,
    pub(crate) anchors: RootHistory,
    /// Spent nullifiers, attestation tags, included transaction ids.
    pub(crate) sets: Sets,
    pub(crate) scalars: Scalars,
    /// Public totals epoch by epoch; not in the state root.
    pub(crate) history: EpochHistory,
    /// Every parameter change, oldest first; not in the state root (the
    /// blocks are).
    pub(crate) governance_log: Vec<GovernanceEvent>,
}

impl State {
    /// The state at height 0: an empty tree whose root is the only anchor.
    pub fn genesis(genesis: &Genesis) -> Result<State, GenesisError> {
        let ctx = genesis.validate()?;
        let tree = Frontier::new();
        let mut anchors = RootHistory::new(genesis.params.anchor_window as usize);
        anchors.push(tree.root());
        let zero = FixedBytes([0; 32]);
        Ok(State {
            scalars: Scalars {
                height: 0,
                tip_hash: ctx.genesis_hash,
                epoch: genesis.initial_epoch,
                params: genesis.params.params(),
                pending_params: None,
                authority_nonce: 0,
                total_contributed: 0,
                total_paid_out: 0,
                subsidy: ctx
                    .subsidy
                    .as_ref()
                    .map(|s| SubsidyTotals::new(s.funders.len())),
                leaf_count: 0,
                nullifier_count: 0,
                nullifier_acc: zero,
                attestation_count: 0,
                attestation_acc: zero,
                tx_count: 0,
                tx_acc: zero,
            },
            genesis: genesis.clone(),
            ctx,
            tree,
            anchors,
            sets: Sets::default(),
            history: EpochHistory::default(),
            governance_log: Vec::new(),
        })
    }

    pub fn genesis_config(&self) -> &Genesis {
        &self.genesis
    }

    pub fn context(&self) -> &ChainContext {
        &self.ctx
    }

    pub fn scalars(&self) -> &Scalars {
        &self.scalars
    }

    /// The public totals epoch by epoch, for the blocks this state was
    /// built by (every block since genesis on a node, which re-applies the
    /// stored chain at start; none before the restore point of
    /// [`State::restore`]).
    pub fn history(&self) -> &EpochHistory {
        &self.history
    }

    /// Every parameter change of the blocks this state was built by (as
    /// [`State::history`]), oldest first.
    pub fn governance_log(&self) -> &[GovernanceEvent] {
        &self.governance_log
    }

    /// The genesis's governance rules (version 1's unbounded rule without a
    /// governance section).
    pub fn governance(&self) -> &zkpension_core::Governance {
        &self.ctx.governance
    }

    /// The subsidy pool's public figures (`None` without a subsidy).
    pub fn subsidy_view(&self) -> Option<SubsidyView> {
        let rules = self.ctx.subsidy.as_ref()?;
        let t = self.scalars.subsidy.as_ref()?;
        Some(SubsidyView {
            match_rate: rules.match_rate,
            funded: t.funded,
            matched: t.matched,
            available: t.available(),
        })
    }

    /// The genesis's funders with their deposit counts.
    pub fn funders(&self) -> Vec<FunderView> {
        let (Some(g), Some(t)) = (&self.genesis.subsidy, &self.scalars.subsidy) else {
            return Vec::new();
        };
        g.funders
            .iter()
            .zip(&t.deposit_nonces)
            .map(|(f, n)| FunderView {
                name: f.name.clone(),
                key: f.key,
                deposits: *n,
            })
            .collect()
    }

    pub fn height(&self) -> u64 {
        self.scalars.height
    }

    pub fn tip_hash(&self) -> Hash32 {
        self.scalars.tip_hash
    }

    pub fn epoch(&self) -> u64 {
        self.scalars.epoch
    }

    pub fn params(&self) -> Params {
        self.scalars.params
    }

    pub fn anchor_window(&self) -> u64 {
        self.genesis.params.anchor_window
    }

    /// The tree's right edge (a node keeps no more of the tree in memory;
    /// its store has the leaves and the roots of complete shards).
    pub fn frontier(&self) -> &Frontier {
        &self.tree
    }

    pub fn tree_root(&self) -> Fr {
        self.tree.root()
    }

    /// The accepted anchors, oldest first.
    pub fn anchors(&self) -> impl Iterator<Item = &Fr> {
        self.anchors.iter()
    }

    pub fn is_anchor(&self, root: &Fr) -> bool {
        self.anchors.contains(root)
    }

    pub fn is_spent(&self, nf: &Nullifier) -> bool {
        self.sets.has_nullifier(nf)
    }

    pub fn has_attestation(&self, context: &ContextId, tag: &AttestTag) -> bool {
        self.sets.has_attestation(context, tag)
    }

    pub fn is_included(&self, id: &TxId) -> bool {
        self.sets.has_tx(id)
    }

    /// Declares that `stored` holds every nullifier, tag and transaction id
    /// of this state: the copies in memory are dropped and `stored` answers
    /// from now on.
    pub fn attach_stored_sets(&mut self, stored: Arc<dyn StoredSets>) {
        self.sets.attach(stored);
    }

    /// Declares that the attached store holds every block this state has
    /// committed (the node calls it after writing and committing each
    /// block): the in-memory copies of their items are dropped. Without
    /// stored sets, nothing changes.
    pub fn forget_stored_items(&mut self) {
        self.sets.forget_stored();
    }

    /// Nullifiers, tags and transaction ids held in memory (all of them
    /// for a state without stored sets; at most the last block's with).
    pub fn items_in_memory(&self) -> usize {
        self.sets.held()
    }

    /// The state root ([`state_root`]).
    pub fn state_root(&self) -> Hash32 {
        self.summary().root()
    }

    /// The state root's preimage ([`state_summary`]).
    pub fn summary(&self) -> StateSummary {
        state_summary(
            &self.tree.root(),
            &anchors_digest(self.anchors.iter()),
            &self.scalars,
        )
    }
}

/// Levels with at least this many nodes are hashed on the rayon pool.
const PARALLEL_NODES: usize = 512;

/// [`zkpension_circuits::tree::hash_level`], on the current rayon pool when
/// the level is wide.
fn hash_level_par(children: &[Fr], empty: Fr) -> Vec<Fr> {
    if children.len() < PARALLEL_NODES {
        return tree::hash_level(children, empty);
    }
    children
        .par_chunks(tree::ARITY)
        .map(|c| tree::parent(c, empty))
        .collect()
}

/// The root the tree would have after appending `new`, computed from the
/// tree's right edge without changing it, and the new inner nodes, level by
/// level, in the form [`Frontier::extend_computed`] takes (wide levels on
/// the current rayon pool).
pub fn append_nodes(tree: &Frontier, new: &[Fr]) -> Result<(Fr, Vec<Vec<Fr>>), TreeError> {
    tree.append_nodes_with(new, hash_level_par)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parallel_append_matches_extend() {
        // Wide enough for the parallel path (the serial one is tested with
        // the tree itself).
        let many: Vec<Fr> = (0..3000u64).map(Fr::from).collect();
        for old in [0usize, 5, 1027] {
            let mut tree = tree::MerkleTree::from_leaves(&many[..old]).unwrap();
            let mut frontier = Frontier::of(&tree);
            let (predicted, upper) = append_nodes(&frontier, &many[old..]).unwrap();
            // The parallel hashing gives what the serial one does.
            assert_eq!(
                frontier
                    .append_nodes_with(&many[old..], tree::hash_level)
                    .unwrap(),
                (predicted, upper.clone())
            );
            frontier.extend_computed(&many[old..], &upper).unwrap();
            tree.extend(&many[old..]).unwrap();
            assert_eq!(predicted, tree.root());
            assert_eq!(frontier, Frontier::of(&tree));
        }
    }
}
