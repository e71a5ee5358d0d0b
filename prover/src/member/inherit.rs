//! The heir's side of inheritance (SPEC §4 Inherit): follow the member's
//! account with its viewing key, check that the note names this heir and
//! that the account is dormant, and prove the lump-sum payout.
//!
//! Every refusal comes before any proving, with the numbers: the account
//! names no heir, names another one (and whether it once named this heir),
//! is not dormant yet (the member's last action, the first epoch the heir
//! may inherit in), is already closed, or holds nothing.

use super::client::NodeClient;
use super::flow::FlowError;
use super::sync;
use crate::prove::{prove, Witness};
use crate::wallet::{NoteStatus, Wallet};
use crate::ProvingKeys;
use rand_core::{CryptoRng, RngCore};
use thiserror::Error;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::statements::inherit;
use zkpension_core::sealed::{seal, SealedField};
use zkpension_core::tx::{inherit_binding, Inherit};
use zkpension_core::Transaction;

/// Why the heir cannot inherit (yet).
#[derive(Debug, Error)]
pub enum InheritError {
    #[error("no account of this viewing key is on the chain (not enrolled, or another chain)")]
    NoAccount,
    #[error("the account's latest transaction is not in a block yet; sync again later")]
    NotSettled,
    #[error("the account is already closed: its heir drew {amount} units in epoch {epoch}")]
    AlreadyInherited { amount: u64, epoch: u64 },
    #[error("the account names no heir: the member never named one (or removed the heir)")]
    NoHeir,
    #[error("the account names another heir ({named}), not this wallet's address {you}{}",
        if *.once_named { "; the member named you earlier and has changed the heir since" } else { "" })]
    NotTheHeir {
        named: String,
        you: String,
        once_named: bool,
    },
    #[error("the account is not dormant yet: the member acted in epoch {last_active}, so its heir may inherit from epoch {from} (dormancy {dormancy} epochs); the ledger is in epoch {epoch}")]
    NotDormant {
        last_active: u64,
        dormancy: u64,
        from: u64,
        epoch: u64,
    },
    #[error("this chain's genesis sets no dormancy: nobody can inherit an account on it")]
    NoInheritance,
    #[error("the account holds nothing to inherit")]
    Empty,
    #[error(transparent)]
    Flow(#[from] FlowError),
}

/// What the heir is about to receive.
#[derive(Clone, Debug)]
pub struct Inheritance {
    pub tx: Transaction,
    pub amount: u64,
    pub epoch: u64,
    /// The member's last active epoch.
    pub last_active: u64,
}

/// Follows the account of `vk` on `client`'s chain into `watch` (a
/// watch-only wallet of `vk`, possibly already synced: it is synced further),
/// then checks and proves the inheritance by `heir`, paid to `recipient`
/// (sealed to the paying agent when the chain names one).
pub fn prepare<R: RngCore + CryptoRng>(
    watch: &mut Wallet,
    heir: &SpendingKey,
    client: &NodeClient,
    keys: &ProvingKeys,
    recipient: &[u8],
    rng: &mut R,
) -> Result<Inheritance, InheritError> {
    // The sync checks the node's chain against the wallet's.
    sync::sync(watch, client)?;
    let status = client.status().map_err(FlowError::from)?;
    let genesis = client.genesis().map_err(FlowError::from)?.genesis;
    let dormancy = genesis.dormancy.ok_or(InheritError::NoInheritance)?;
    if let Some(i) = watch.inherited {
        return Err(InheritError::AlreadyInherited {
            amount: i.amount,
            epoch: i.epoch,
        });
    }
    let current = match watch.current_note() {
        Some(n) => n.clone(),
        None if watch.notes.is_empty() => return Err(InheritError::NoAccount),
        None => return Err(InheritError::NotSettled),
    };
    let note = &current.note;
    let you = heir.owner();
    if note.heir == Fr::from(0u64) {
        return Err(InheritError::NoHeir);
    }
    if note.heir != you {
        let once_named = watch
            .notes
            .iter()
            .any(|n| n.status == NoteStatus::Spent && n.note.heir == you);
        return Err(InheritError::NotTheHeir {
            named: field::to_hex(&note.heir),
            you: field::to_hex(&you),
            once_named,
        });
    }
    let from = note.last_active.saturating_add(dormancy);
    if status.epoch < from {
        return Err(InheritError::NotDormant {
            last_active: note.last_active,
            dormancy,
            from,
            epoch: status.epoch,
        });
    }
    if note.balance == 0 {
        return Err(InheritError::Empty);
    }
    let path = watch
        .sync
        .tree
        .path(
            &current.cm.to_field(),
            watch.sync.tree_root,
            watch.sync.height,
        )
        .map_err(FlowError::from)?;
    let recipient = match genesis.paying_agent {
        Some(agent) => seal(
            &agent.0,
            &status.chain_id,
            SealedField::Recipient,
            recipient,
            rng,
        )
        .map_err(FlowError::from)?,
        None => recipient.to_vec(),
    };
    let b = inherit_binding(&status.chain_id, &recipient);
    let (public, private) = inherit::prepare(heir, note, path, status.epoch, dormancy, b)
        .map_err(|clause| FlowError::Build(clause.to_string()))?;
    let proof =
        prove(keys, &Witness::Inherit(public.clone(), private), rng).map_err(FlowError::from)?;
    let tx = Inherit::from_public(&status.chain_id, &public, recipient, proof.to_bytes())
        .map_err(|e| FlowError::Build(e.to_string()))?;
    Ok(Inheritance {
        tx: tx.into(),
        amount: public.amount,
        epoch: public.epoch,
        last_active: note.last_active,
    })
}
