//! Replaying an account from the public chain (SPEC §2, "Recovery").
//!
//! A spend reveals its kind, its nullifier, its new commitment, its public
//! amount and epoch, and `heir_ct`, the new note's heir under the viewing
//! key's mask. Given the note it spent and the viewing key, the note it
//! created is determined: [`successor`] computes it under the rules of §4
//! (the ledger has already checked the parameters: cap, vesting, divisor),
//! and the caller compares its commitment with the one on the chain. Nothing
//! here needs the parameters in force: a first Claim fixes the pension to
//! `ceil(balance / divisor)` and pays `min(pension, balance)`, and whenever
//! that minimum is the balance, `ceil(balance / divisor) >= balance` forces
//! the pension to be the balance too, so the pension is the public amount.

use crate::field::serde_hex;
use crate::keys::ViewingKey;
use crate::note::Note;
use crate::Fr;
use serde::{Deserialize, Serialize};

/// What a spend made public about the account's change. A member's spend
/// carries `heir_ct = heir_new + H(HEIR, ns, rho_new)`; an heir's Inherit
/// closes the account and creates no note.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PublicChange {
    Contribute {
        amount: u64,
        epoch: u64,
        #[serde(with = "serde_hex", default)]
        heir_ct: Fr,
    },
    Claim {
        amount: u64,
        epoch: u64,
        #[serde(with = "serde_hex", default)]
        heir_ct: Fr,
    },
    Attest {
        epoch: u64,
        #[serde(with = "serde_hex", default)]
        heir_ct: Fr,
    },
    Inherit {
        amount: u64,
        epoch: u64,
    },
}

impl PublicChange {
    /// The epoch the spend was made in.
    pub fn epoch(&self) -> u64 {
        match *self {
            PublicChange::Contribute { epoch, .. }
            | PublicChange::Claim { epoch, .. }
            | PublicChange::Attest { epoch, .. }
            | PublicChange::Inherit { epoch, .. } => epoch,
        }
    }

    /// The public amount (none for an attestation).
    pub fn amount(&self) -> Option<u64> {
        match *self {
            PublicChange::Contribute { amount, .. }
            | PublicChange::Claim { amount, .. }
            | PublicChange::Inherit { amount, .. } => Some(amount),
            PublicChange::Attest { .. } => None,
        }
    }

    /// The new note's masked heir (none for an Inherit: no new note).
    pub fn heir_ct(&self) -> Option<Fr> {
        match *self {
            PublicChange::Contribute { heir_ct, .. }
            | PublicChange::Claim { heir_ct, .. }
            | PublicChange::Attest { heir_ct, .. } => Some(heir_ct),
            PublicChange::Inherit { .. } => None,
        }
    }

    /// The kind, as compact blocks and histories name it.
    pub fn kind(&self) -> &'static str {
        match self {
            PublicChange::Contribute { .. } => "contribute",
            PublicChange::Claim { .. } => "claim",
            PublicChange::Attest { .. } => "attest",
            PublicChange::Inherit { .. } => "inherit",
        }
    }
}

/// The note a spend of `old` created, or `None` if no honest spend of `old`
/// has these public values (the spend was then made without the viewing
/// key's derivations, or it is not this account's, or it is the heir's
/// Inherit, which creates no note).
pub fn successor(vk: &ViewingKey, old: &Note, change: PublicChange) -> Option<Note> {
    let heir_ct = change.heir_ct()?;
    let rho = old.nullifier(&vk.nk).to_field();
    let r = vk.note_randomness(&rho);
    let epoch = change.epoch();
    let next = match change {
        PublicChange::Contribute { amount, epoch, .. } => {
            if amount == 0 || epoch < old.last_epoch {
                return None;
            }
            let same = epoch == old.last_epoch;
            Note {
                balance: old.balance.checked_add(amount)?,
                periods: old.periods.checked_add(u64::from(!same))?,
                last_epoch: epoch,
                epoch_total: if same { old.epoch_total } else { 0 }.checked_add(amount)?,
                ..old.clone()
            }
        }
        PublicChange::Claim { amount, epoch, .. } => {
            let pension = if old.pension != 0 {
                old.pension
            } else {
                amount
            };
            if amount == 0 || amount != pension.min(old.balance) || epoch <= old.last_claim {
                return None;
            }
            Note {
                balance: old.balance - amount,
                last_claim: epoch,
                pension,
                ..old.clone()
            }
        }
        PublicChange::Attest { .. } => old.clone(),
        PublicChange::Inherit { .. } => return None,
    };
    Some(Note {
        nk: vk.nk,
        heir: heir_ct - vk.heir_mask(&rho),
        last_active: epoch,
        rho,
        r,
        ..next
    })
}

/// The enrollment note of the `k`-th enrollment with `eligible_epoch`, as
/// the viewing key derives it.
pub fn enrollment(vk: &ViewingKey, k: u64, eligible_epoch: u64) -> Note {
    let rho: Fr = vk.enrollment_rho(k);
    Note::enrollment(vk.owner, eligible_epoch, rho, vk.note_randomness(&rho))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::keys::SpendingKey;
    use crate::statements::{claim, contribute};

    fn vk() -> ViewingKey {
        SpendingKey::from_seed(b"replay").viewing_key()
    }

    #[test]
    fn replay_matches_what_the_statements_produce() {
        let vk = vk();
        let heir = SpendingKey::from_seed(b"heir").owner();
        let other = SpendingKey::from_seed(b"another heir").owner();
        let zero = Fr::from(0u64);
        let mut note = enrollment(&vk, 0, 3);
        // (kind, amount, epoch, the heir the spend names); claims' amounts
        // are computed by the statement.
        let steps = [
            ("contribute", 500, 1, zero),
            ("contribute", 200, 1, heir),
            ("contribute", 300, 2, heir),
            ("attest", 0, 2, other),
            ("claim", 0, 3, other),
            ("claim", 0, 4, zero),
            ("claim", 0, 5, heir),
        ];
        for (kind, amount, epoch, named) in steps {
            let nf = note.nullifier(&vk.nk).to_field();
            let r = vk.note_randomness(&nf);
            let (honest, amount) = match kind {
                "contribute" => (
                    contribute::next_note(&note, amount, epoch, 10_000, vk.nk, nf, r).unwrap(),
                    amount,
                ),
                "claim" => claim::next_note(&note, epoch, 1, 3, vk.nk, nf, r).unwrap(),
                _ => (
                    Note {
                        nk: vk.nk,
                        last_active: epoch,
                        rho: nf,
                        r,
                        ..note.clone()
                    },
                    0,
                ),
            };
            let honest = Note {
                heir: named,
                ..honest
            };
            let heir_ct = honest.heir_ct(&vk);
            let change = match kind {
                "contribute" => PublicChange::Contribute {
                    amount,
                    epoch,
                    heir_ct,
                },
                "claim" => PublicChange::Claim {
                    amount,
                    epoch,
                    heir_ct,
                },
                _ => PublicChange::Attest { epoch, heir_ct },
            };
            assert_eq!(
                successor(&vk, &note, change),
                Some(honest.clone()),
                "{change:?}"
            );
            // Another key's mask gives another heir, so another commitment.
            let stranger = SpendingKey::from_seed(b"stranger").viewing_key();
            assert_ne!(stranger.heir_mask(&nf), vk.heir_mask(&nf));
            note = honest;
        }
        // 1000 paid in, pension ceil(1000 / 3) = 334, three claims: 334, 334, 332.
        assert_eq!(note.balance, 0);
        assert_eq!(note.pension, 334);
        assert_eq!(note.heir, heir);
        // An Inherit closes the account: no successor.
        let inherit = PublicChange::Inherit {
            amount: 1,
            epoch: 9,
        };
        assert_eq!(successor(&vk, &note, inherit), None);
    }

    #[test]
    fn impossible_public_values_have_no_successor() {
        let vk = vk();
        let mut note = enrollment(&vk, 0, 1);
        note.balance = 100;
        note.last_epoch = 4;
        note.pension = 30;
        note.last_claim = 4;
        let none = [
            PublicChange::Contribute {
                amount: 0,
                epoch: 4,
                heir_ct: Fr::from(0u64),
            },
            PublicChange::Contribute {
                amount: 1,
                epoch: 3,
                heir_ct: Fr::from(0u64),
            },
            PublicChange::Contribute {
                amount: u64::MAX,
                epoch: 4,
                heir_ct: Fr::from(0u64),
            },
            PublicChange::Claim {
                amount: 31,
                epoch: 5,
                heir_ct: Fr::from(0u64),
            },
            PublicChange::Claim {
                amount: 30,
                epoch: 4,
                heir_ct: Fr::from(0u64),
            },
        ];
        for change in none {
            assert_eq!(successor(&vk, &note, change), None, "{change:?}");
        }
        assert!(successor(
            &vk,
            &note,
            PublicChange::Claim {
                amount: 30,
                epoch: 5,
                heir_ct: Fr::from(0u64),
            }
        )
        .is_some());
    }

    #[test]
    fn derivations_differ_by_key_index_and_rho() {
        let a = vk();
        let b = SpendingKey::from_seed(b"another").viewing_key();
        assert_ne!(a.ns, b.ns);
        assert_ne!(a.enrollment_rho(0), a.enrollment_rho(1));
        assert_ne!(
            a.note_randomness(&Fr::from(1u64)),
            a.note_randomness(&Fr::from(2u64))
        );
        assert_ne!(enrollment(&a, 0, 5).commit(), enrollment(&a, 0, 6).commit());
    }
}
