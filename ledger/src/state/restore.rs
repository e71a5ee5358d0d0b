//! Building a state from stored parts: [`State::restore`] from every item
//! (a snapshot, an audit checkpoint), [`State::resume`] from a node's last
//! commit alone.

use super::{append_nodes, EpochHistory, RestoreError, Scalars, Sets, State, StoredSets};
use std::sync::Arc;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::tree::{Frontier, RootHistory};
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::governance::GovernanceEvent;
use zkpension_core::{BlockHeader, Genesis, TxId};

impl State {
    /// Rebuilds a state from stored parts, checking every count and
    /// accumulator against the items and the state root against `tip`'s
    /// header (`None` at height 0). `leaves`, `nullifiers`, `attestations`
    /// and `tx_ids` are in the order they were added; `anchors` are the last
    /// distinct tree roots (genesis's included), oldest first.
    #[allow(clippy::too_many_arguments)]
    pub fn restore(
        genesis: &Genesis,
        scalars: Scalars,
        leaves: &[Fr],
        anchors: &[Fr],
        nullifiers: &[Nullifier],
        attestations: &[(ContextId, AttestTag)],
        tx_ids: &[TxId],
        tip: Option<&BlockHeader>,
    ) -> Result<State, RestoreError> {
        let mut state = State::genesis(genesis)?;
        check_scalars(&state, &scalars)?;
        count("leaves", scalars.leaf_count, leaves.len())?;
        count("nullifiers", scalars.nullifier_count, nullifiers.len())?;
        count(
            "attestations",
            scalars.attestation_count,
            attestations.len(),
        )?;
        count("transactions", scalars.tx_count, tx_ids.len())?;
        // The rebuild is most of the work: hash the wide levels on all cores.
        let (_, nodes) = append_nodes(&state.tree, leaves)?;
        state.tree.extend_computed(leaves, &nodes)?;
        let mut check = state.scalars.clone();
        for nf in nullifiers {
            check.add_nullifier(nf);
        }
        for (c, t) in attestations {
            check.add_attestation(c, t);
        }
        for id in tx_ids {
            check.add_tx(id);
        }
        for (what, a, b) in [
            ("nullifiers", &check.nullifier_acc, &scalars.nullifier_acc),
            (
                "attestations",
                &check.attestation_acc,
                &scalars.attestation_acc,
            ),
            ("transactions", &check.tx_acc, &scalars.tx_acc),
        ] {
            if a != b {
                return Err(RestoreError::Accumulator { what });
            }
        }
        state.sets = Sets::of(nullifiers, attestations, tx_ids)
            .map_err(|what| RestoreError::Repeated { what })?;
        state.finish(scalars, anchors, tip)
    }

    /// A node's state after its last committed block, from the parts the
    /// store keeps for exactly this: the scalars, the tree's right edge, the
    /// anchor window, the epoch rows and the governance log, with the sets
    /// left in the store (`sets`). Nothing is read that grows with the
    /// number of notes. The tree root and the state root are checked against
    /// `tip`'s header; the items behind the counts and accumulators are
    /// trusted to be the ones the store committed with them (a full check is
    /// a replay of the stored blocks).
    #[allow(clippy::too_many_arguments)]
    pub fn resume(
        genesis: &Genesis,
        scalars: Scalars,
        frontier: Frontier,
        anchors: &[Fr],
        history: EpochHistory,
        governance_log: Vec<GovernanceEvent>,
        sets: Arc<dyn StoredSets>,
        tip: &BlockHeader,
    ) -> Result<State, RestoreError> {
        let mut state = State::genesis(genesis)?;
        check_scalars(&state, &scalars)?;
        count("leaves", scalars.leaf_count, frontier.len() as usize)?;
        state.tree = frontier;
        state.sets = Sets::stored(sets);
        state.history = history;
        state.governance_log = governance_log;
        state.finish(scalars, anchors, Some(tip))
    }

    /// The anchors and scalars in place, checked with the state root.
    fn finish(
        mut self,
        scalars: Scalars,
        anchors: &[Fr],
        tip: Option<&BlockHeader>,
    ) -> Result<State, RestoreError> {
        self.anchors = RootHistory::new(self.genesis.params.anchor_window as usize);
        for r in anchors {
            self.anchors.push(*r);
        }
        let tree = self.tree.root();
        if self.anchors.latest() != Some(tree) {
            return Err(RestoreError::Anchors {
                tree: field::to_hex(&tree),
                anchor: self
                    .anchors
                    .latest()
                    .map_or("missing".into(), |a| field::to_hex(&a)),
            });
        }
        self.scalars = scalars;
        if let Some(tip) = tip {
            let computed = self.state_root();
            if computed != tip.state_root || tip.height != self.scalars.height {
                return Err(RestoreError::StateRoot {
                    computed: computed.to_string(),
                    header: tip.state_root.to_string(),
                });
            }
        }
        Ok(self)
    }
}

fn count(what: &'static str, stored: u64, found: usize) -> Result<(), RestoreError> {
    if stored == found as u64 {
        Ok(())
    } else {
        Err(RestoreError::Count {
            what,
            stored,
            found: found as u64,
        })
    }
}

/// The totals and the subsidy section of stored scalars fit the genesis.
fn check_scalars(fresh: &State, scalars: &Scalars) -> Result<(), RestoreError> {
    let held = u128::from(scalars.total_contributed) + u128::from(scalars.matched());
    if u128::from(scalars.total_paid_out) > held {
        return Err(RestoreError::Totals {
            contributed: u64::try_from(held).unwrap_or(u64::MAX),
            paid_out: scalars.total_paid_out,
        });
    }
    let subsidy_fits = match (&scalars.subsidy, &fresh.scalars.subsidy) {
        (None, None) => true,
        (Some(t), Some(f)) => {
            t.matched <= t.funded && t.deposit_nonces.len() == f.deposit_nonces.len()
        }
        _ => false,
    };
    if subsidy_fits {
        Ok(())
    } else {
        Err(RestoreError::Subsidy)
    }
}
