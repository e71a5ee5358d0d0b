//! The state's sets: spent nullifiers, attestation tags, transaction ids.
//!
//! A state built in memory (tests, the auditor, a replay) holds them in hash
//! sets. A node's state asks its database instead ([`StoredSets`]) and holds
//! in memory only the items of blocks committed since the node last declared
//! the store complete ([`super::State::forget_stored_items`], after each
//! block it writes): at most one block's. So the node's memory does not grow with
//! the number of notes.

use std::collections::HashSet;
use std::fmt;
use std::sync::Arc;
use zkpension_circuits::values::{AttestTag, ContextId, Nullifier};
use zkpension_core::TxId;

/// The sets as a store holds them. Each answer covers at least every block
/// the state has committed (a node writes a block before committing it). A
/// read that fails must not answer (no rule may be checked against part of
/// the ledger): implementations stop the process instead.
pub trait StoredSets: Send + Sync {
    fn has_nullifier(&self, nf: &Nullifier) -> bool;
    fn has_attestation(&self, context: &ContextId, tag: &AttestTag) -> bool;
    fn has_tx(&self, id: &TxId) -> bool;
}

#[derive(Clone, Default)]
pub(crate) struct Sets {
    nullifiers: HashSet<Nullifier>,
    attestations: HashSet<(ContextId, AttestTag)>,
    tx_ids: HashSet<TxId>,
    stored: Option<Arc<dyn StoredSets>>,
}

impl fmt::Debug for Sets {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Sets")
            .field("nullifiers", &self.nullifiers.len())
            .field("attestations", &self.attestations.len())
            .field("tx_ids", &self.tx_ids.len())
            .field("stored", &self.stored.is_some())
            .finish()
    }
}

impl Sets {
    /// Sets holding these items in memory; `None` if an item repeats.
    pub(crate) fn of(
        nullifiers: &[Nullifier],
        attestations: &[(ContextId, AttestTag)],
        tx_ids: &[TxId],
    ) -> Result<Sets, &'static str> {
        let sets = Sets {
            nullifiers: nullifiers.iter().copied().collect(),
            attestations: attestations.iter().copied().collect(),
            tx_ids: tx_ids.iter().copied().collect(),
            stored: None,
        };
        for (what, set, list) in [
            ("nullifiers", sets.nullifiers.len(), nullifiers.len()),
            ("attestations", sets.attestations.len(), attestations.len()),
            ("transactions", sets.tx_ids.len(), tx_ids.len()),
        ] {
            if set != list {
                return Err(what);
            }
        }
        Ok(sets)
    }

    /// Sets read from `stored` alone.
    pub(crate) fn stored(stored: Arc<dyn StoredSets>) -> Sets {
        Sets {
            stored: Some(stored),
            ..Sets::default()
        }
    }

    pub(crate) fn has_nullifier(&self, nf: &Nullifier) -> bool {
        self.nullifiers.contains(nf) || self.stored.as_ref().is_some_and(|s| s.has_nullifier(nf))
    }

    pub(crate) fn has_attestation(&self, context: &ContextId, tag: &AttestTag) -> bool {
        self.attestations.contains(&(*context, *tag))
            || self
                .stored
                .as_ref()
                .is_some_and(|s| s.has_attestation(context, tag))
    }

    pub(crate) fn has_tx(&self, id: &TxId) -> bool {
        self.tx_ids.contains(id) || self.stored.as_ref().is_some_and(|s| s.has_tx(id))
    }

    pub(crate) fn add(
        &mut self,
        nullifiers: impl IntoIterator<Item = Nullifier>,
        attestations: impl IntoIterator<Item = (ContextId, AttestTag)>,
        tx_ids: impl IntoIterator<Item = TxId>,
    ) {
        self.nullifiers.extend(nullifiers);
        self.attestations.extend(attestations);
        self.tx_ids.extend(tx_ids);
    }

    /// From now on `stored` answers for everything added so far.
    pub(crate) fn attach(&mut self, stored: Arc<dyn StoredSets>) {
        *self = Sets::stored(stored);
    }

    /// The attached store answers for everything added so far (no-op
    /// without one).
    pub(crate) fn forget_stored(&mut self) {
        if let Some(stored) = self.stored.take() {
            self.attach(stored);
        }
    }

    /// Items held in memory.
    pub(crate) fn held(&self) -> usize {
        self.nullifiers.len() + self.attestations.len() + self.tx_ids.len()
    }
}
