//! Notes, note commitments, nullifiers and attest tags (SPEC §2, §4).

use crate::field::{serde_hex, Fr};
use crate::keys::domain;
use crate::poseidon;
use crate::values::ContextId;
pub use crate::values::{AttestTag, NoteCommitment, Nullifier};
use serde::{Deserialize, Serialize};

/// A member's account: one note at a time (SPEC §2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    #[serde(with = "serde_hex")]
    pub owner: Fr,
    pub eligible_epoch: u64,
    pub balance: u64,
    pub periods: u64,
    pub last_epoch: u64,
    pub epoch_total: u64,
    pub last_claim: u64,
    pub pension: u64,
    #[serde(with = "serde_hex")]
    pub rho: Fr,
    #[serde(with = "serde_hex")]
    pub r: Fr,
}

/// Number of field elements in a note opening.
pub const NOTE_FIELDS: usize = 10;

impl Note {
    /// A new member's note `(owner, eligible_epoch, 0, 0, 0, 0, 0, 0, rho, r)`.
    pub fn enrollment(owner: Fr, eligible_epoch: u64, rho: Fr, r: Fr) -> Self {
        Note {
            owner,
            eligible_epoch,
            balance: 0,
            periods: 0,
            last_epoch: 0,
            epoch_total: 0,
            last_claim: 0,
            pension: 0,
            rho,
            r,
        }
    }

    /// The opening in commitment order.
    pub fn to_field_elements(&self) -> [Fr; NOTE_FIELDS] {
        [
            self.owner,
            Fr::from(self.eligible_epoch),
            Fr::from(self.balance),
            Fr::from(self.periods),
            Fr::from(self.last_epoch),
            Fr::from(self.epoch_total),
            Fr::from(self.last_claim),
            Fr::from(self.pension),
            self.rho,
            self.r,
        ]
    }

    /// `cm = H(NOTE, owner, eligible_epoch, balance, periods, last_epoch,
    /// epoch_total, last_claim, pension, rho, r)`.
    pub fn commit(&self) -> NoteCommitment {
        NoteCommitment::derive(&self.to_field_elements())
    }

    /// `nf = H(NF, nk, rho)`.
    pub fn nullifier(&self, nk: &Fr) -> Nullifier {
        Nullifier::derive(nk, &self.rho)
    }
}

impl NoteCommitment {
    /// The commitment of a raw opening (the circuits' tests also commit to
    /// openings that no `Note` can hold, such as a balance of 2^64).
    pub fn derive(opening: &[Fr; NOTE_FIELDS]) -> Self {
        let mut inputs = [Fr::from(domain::NOTE); NOTE_FIELDS + 1];
        inputs[1..].copy_from_slice(opening);
        Self::from_field(poseidon::hash(&inputs))
    }
}

impl Nullifier {
    /// `nf = H(NF, nk, rho)`.
    pub fn derive(nk: &Fr, rho: &Fr) -> Self {
        Self::from_field(poseidon::hash(&[Fr::from(domain::NF), *nk, *rho]))
    }
}

impl AttestTag {
    /// `tag = H(ATTEST, nk, context)`: one pseudonym per member per context,
    /// unlinkable across contexts.
    pub fn derive(nk: &Fr, context: &ContextId) -> Self {
        Self::from_field(poseidon::hash(&[
            Fr::from(domain::ATTEST),
            *nk,
            context.to_field(),
        ]))
    }
}
