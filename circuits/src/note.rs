//! Notes, note commitments, nullifiers and attest tags (SPEC §2, §4).

use crate::field::{serde_hex, Fr};
use crate::keys::domain;
use crate::poseidon;
use crate::values::ContextId;
pub use crate::values::{AttestTag, NoteCommitment, Nullifier};
use ark_ff::Field;
use serde::{Deserialize, Serialize};

/// A member's account: one note at a time (SPEC §2).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Note {
    #[serde(with = "serde_hex")]
    pub owner: Fr,
    /// The nullifier key `H(NK, sk)` the note is spent under, so that the
    /// owner's and the heir's path give the same nullifier; 0 in an
    /// enrollment note, which the registrar sees (SPEC §2).
    #[serde(with = "serde_hex")]
    pub nk: Fr,
    /// The heir's owner address, 0 for none.
    #[serde(with = "serde_hex")]
    pub heir: Fr,
    pub eligible_epoch: u64,
    pub balance: u64,
    pub periods: u64,
    pub last_epoch: u64,
    pub epoch_total: u64,
    pub last_claim: u64,
    pub pension: u64,
    /// The epoch of the member's last action (0 in an enrollment note).
    pub last_active: u64,
    #[serde(with = "serde_hex")]
    pub rho: Fr,
    #[serde(with = "serde_hex")]
    pub r: Fr,
}

/// Number of field elements in a note opening.
pub const NOTE_FIELDS: usize = 13;

impl Note {
    /// A new member's note `(owner, 0, 0, eligible_epoch, 0, 0, 0, 0, 0, 0,
    /// 0, rho, r)`: no nullifier key (the registrar sees this opening), no
    /// heir, nothing paid in.
    pub fn enrollment(owner: Fr, eligible_epoch: u64, rho: Fr, r: Fr) -> Self {
        Note {
            owner,
            nk: Fr::from(0u64),
            heir: Fr::from(0u64),
            eligible_epoch,
            balance: 0,
            periods: 0,
            last_epoch: 0,
            epoch_total: 0,
            last_claim: 0,
            pension: 0,
            last_active: 0,
            rho,
            r,
        }
    }

    /// The opening in field order ([`idx`]).
    pub fn to_field_elements(&self) -> [Fr; NOTE_FIELDS] {
        [
            self.owner,
            self.nk,
            self.heir,
            Fr::from(self.eligible_epoch),
            Fr::from(self.balance),
            Fr::from(self.periods),
            Fr::from(self.last_epoch),
            Fr::from(self.epoch_total),
            Fr::from(self.last_claim),
            Fr::from(self.pension),
            Fr::from(self.last_active),
            self.rho,
            self.r,
        ]
    }

    /// `cm = H(NOTE, owner, nk, heir, packA, packB, packC, rho, r)`
    /// ([`NoteCommitment::derive`]).
    pub fn commit(&self) -> NoteCommitment {
        NoteCommitment::derive(&self.to_field_elements())
    }

    /// `heir_ct = heir + H(HEIR, ns, rho)`: the heir as the spend that made
    /// this note publishes it, masked with the account's viewing key `vk`.
    pub fn heir_ct(&self, vk: &crate::keys::ViewingKey) -> Fr {
        self.heir + vk.heir_mask(&self.rho)
    }

    /// `nf = H(NF, nk, rho)` under the nullifier key `nk` (the owner's
    /// `H(NK, sk)`; the note's own `nk` once it is not an enrollment note).
    pub fn nullifier(&self, nk: &Fr) -> Nullifier {
        Nullifier::derive(nk, &self.rho)
    }
}

/// Indices into a note opening ([`Note::to_field_elements`], the
/// statements' `Opening`).
pub mod idx {
    pub const OWNER: usize = 0;
    pub const NK: usize = 1;
    pub const HEIR: usize = 2;
    pub const ELIGIBLE_EPOCH: usize = 3;
    pub const BALANCE: usize = 4;
    pub const PERIODS: usize = 5;
    pub const LAST_EPOCH: usize = 6;
    pub const EPOCH_TOTAL: usize = 7;
    pub const LAST_CLAIM: usize = 8;
    pub const PENSION: usize = 9;
    pub const LAST_ACTIVE: usize = 10;
    pub const RHO: usize = 11;
    pub const R: usize = 12;
    /// Names, for error messages.
    pub const NAMES: [&str; super::NOTE_FIELDS] = [
        "owner",
        "nk",
        "heir",
        "eligible_epoch",
        "balance",
        "periods",
        "last_epoch",
        "epoch_total",
        "last_claim",
        "pension",
        "last_active",
        "rho",
        "r",
    ];
    /// The `u64` fields, packed into the commitment's three words
    /// ([`crate::note::PACKING`]), and the names of their range clauses in
    /// the note a statement opens.
    pub const PACKED_OLD: [(usize, &str); 8] = [
        (ELIGIBLE_EPOCH, "eligible_epoch"),
        (BALANCE, "balance_old"),
        (PERIODS, "periods_old"),
        (LAST_EPOCH, "last_epoch_old"),
        (EPOCH_TOTAL, "epoch_total_old"),
        (LAST_CLAIM, "last_claim_old"),
        (PENSION, "pension_old"),
        (LAST_ACTIVE, "last_active_old"),
    ];
}

/// The three words the note's eight `u64` fields are packed into, 64 bits
/// each, lowest first (SPEC §2): `packA = eligible_epoch + 2^64 periods +
/// 2^128 last_epoch`, `packB = last_claim + 2^64 last_active`, `packC =
/// balance + 2^64 epoch_total + 2^128 pension`. Injective only when every
/// component is below 2^64, which every statement proves of the notes it
/// opens.
pub const PACKING: [&[usize]; 3] = {
    use idx::*;
    [
        &[ELIGIBLE_EPOCH, PERIODS, LAST_EPOCH],
        &[LAST_CLAIM, LAST_ACTIVE],
        &[BALANCE, EPOCH_TOTAL, PENSION],
    ]
};

/// The field elements of the packed words of `opening` (no range check).
fn pack(opening: &[Fr; NOTE_FIELDS]) -> [Fr; 3] {
    let shift = Fr::from(2u64).pow([64u64]);
    PACKING.map(|fields| {
        fields
            .iter()
            .rev()
            .fold(Fr::from(0u64), |acc, &i| acc * shift + opening[i])
    })
}

impl NoteCommitment {
    /// The commitment of a raw opening (the circuits' tests also commit to
    /// openings that no `Note` can hold, such as a balance of 2^64):
    /// `H(NOTE, owner, nk, heir, packA, packB, packC, rho, r)`.
    pub fn derive(opening: &[Fr; NOTE_FIELDS]) -> Self {
        let [a, b, c] = pack(opening);
        Self::from_field(poseidon::hash(&[
            Fr::from(domain::NOTE),
            opening[idx::OWNER],
            opening[idx::NK],
            opening[idx::HEIR],
            a,
            b,
            c,
            opening[idx::RHO],
            opening[idx::R],
        ]))
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
