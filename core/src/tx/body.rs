//! Transaction bodies: what a transaction does, without its authorization.
//!
//! Each body has one encoder ([`Body::write`]) and one reader
//! ([`Body::read`]), in field-declaration order; the transaction id hashes
//! `version || kind || body` (see the module root). The three proof kinds
//! share a [`SpendHeader`], and every byte string bound into a proof is a
//! [`Context`] of at most [`MAX_CONTEXT_BYTES`].

use super::TxKind;
use crate::codec::{DecodeError, Reader, Writer};
use crate::hexbytes::{decode_hex, encode_hex, FixedBytes, PublicKeyBytes};
use crate::params::Params;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use thiserror::Error;
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};

/// Maximum length of a [`Context`]: `payer_ref`, `recipient`, an attest `message`.
pub const MAX_CONTEXT_BYTES: usize = 1024;

/// A body's canonical encoding after the version and kind bytes.
pub trait Body: Sized {
    /// The kind byte that precedes the body.
    const KIND: TxKind;
    /// Appends the body's fields in declaration order.
    fn write(&self, w: &mut Writer);
    /// Reads the body's fields in declaration order.
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError>;
    /// The kind byte of the encoding: [`Body::KIND`], but for a matched
    /// contribution ([`CONTRIBUTE_MATCHED_KIND`]).
    fn kind_byte(&self) -> u8 {
        Self::KIND as u8
    }
}

/// The kind byte of a Contribute whose `matched` is not 0: its body carries
/// `matched` after `amount`. A Contribute without a match encodes with kind
/// 2, exactly as before the subsidy pool.
pub const CONTRIBUTE_MATCHED_KIND: u8 = 9;

/// A byte string longer than [`MAX_CONTEXT_BYTES`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("`{what}` is {len} bytes long; at most {MAX_CONTEXT_BYTES} are allowed")]
pub struct ContextTooLong {
    pub what: &'static str,
    pub len: usize,
}

/// The bytes a proof is bound to besides its public inputs (SPEC §4
/// `binding`): a payer reference, a payout recipient or an attest message.
/// At most [`MAX_CONTEXT_BYTES`], checked wherever one is made or read.
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Context(Vec<u8>);

impl Context {
    /// `bytes` as the context `what` (named in the error).
    pub fn new(what: &'static str, bytes: Vec<u8>) -> Result<Self, ContextTooLong> {
        if bytes.len() > MAX_CONTEXT_BYTES {
            return Err(ContextTooLong {
                what,
                len: bytes.len(),
            });
        }
        Ok(Context(bytes))
    }

    /// The empty context.
    pub fn empty() -> Self {
        Context(Vec::new())
    }

    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }

    pub fn len(&self) -> usize {
        self.0.len()
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn into_vec(self) -> Vec<u8> {
        self.0
    }

    fn read(r: &mut Reader<'_>, what: &'static str) -> Result<Self, DecodeError> {
        Ok(Context(r.var_bytes(what, MAX_CONTEXT_BYTES)?.to_vec()))
    }
}

impl fmt::Debug for Context {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(&self.0))
    }
}

impl Serialize for Context {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for Context {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let bytes = decode_hex(&s).map_err(serde::de::Error::custom)?;
        Context::new("context", bytes).map_err(serde::de::Error::custom)
    }
}

/// What the member's three proof kinds share: the spent note, named by an
/// anchor (a recent tree root) and its nullifier, the commitment of the new
/// note, and `heir_ct`, the new note's heir under the account's mask
/// (`heir + H(HEIR, ns, rho_new)`, SPEC §6), which recovery reads and the
/// proof's `binding` covers.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpendHeader {
    pub anchor: Anchor,
    pub nf: Nullifier,
    pub cm_new: NoteCommitment,
    pub heir_ct: Fr,
}

impl SpendHeader {
    pub fn new(anchor: Anchor, nf: Nullifier, cm_new: NoteCommitment, heir_ct: Fr) -> Self {
        SpendHeader {
            anchor,
            nf,
            cm_new,
            heir_ct,
        }
    }

    fn write(&self, w: &mut Writer) {
        w.fr(&self.anchor.to_field())
            .fr(&self.nf.to_field())
            .fr(&self.cm_new.to_field())
            .fr(&self.heir_ct);
    }

    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SpendHeader {
            anchor: Anchor::from_field(r.fr("anchor")?),
            nf: Nullifier::from_field(r.fr("nf")?),
            cm_new: NoteCommitment::from_field(r.fr("cm_new")?),
            heir_ct: r.fr("heir_ct")?,
        })
    }
}

/// Enroll a member: append the commitment of a new member's note.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EnrollBody {
    pub cm: NoteCommitment,
}

impl Body for EnrollBody {
    const KIND: TxKind = TxKind::Enroll;
    fn write(&self, w: &mut Writer) {
        w.fr(&self.cm.to_field());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(EnrollBody {
            cm: NoteCommitment::from_field(r.fr("cm")?),
        })
    }
}

/// Pay `amount` into one's own account in `epoch`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ContributeBody {
    pub spend: SpendHeader,
    /// What the member pays in (public money in from members).
    pub amount: u64,
    /// What the subsidy pool adds ([`crate::subsidy`]); the proof's public
    /// amount is `amount + matched`.
    pub matched: u64,
    pub epoch: u64,
    /// The payer's reference (employer, bank transfer id); bound into the proof.
    pub payer_ref: Context,
}

impl ContributeBody {
    /// The proof's public `amount`: what enters the hidden balance.
    pub fn credited(&self) -> Option<u64> {
        self.amount.checked_add(self.matched)
    }

    /// Reads the body of kind [`CONTRIBUTE_MATCHED_KIND`].
    pub(super) fn read_matched(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let spend = SpendHeader::read(r)?;
        let amount = r.u64("amount")?;
        let matched = r.u64("matched")?;
        if matched == 0 {
            return Err(DecodeError::Invalid {
                what: "matched",
                reason: "a contribution without a match has kind 2".into(),
            });
        }
        Ok(ContributeBody {
            spend,
            amount,
            matched,
            epoch: r.u64("epoch")?,
            payer_ref: Context::read(r, "payer_ref")?,
        })
    }
}

impl Body for ContributeBody {
    const KIND: TxKind = TxKind::Contribute;
    fn write(&self, w: &mut Writer) {
        self.spend.write(w);
        w.u64(self.amount);
        if self.matched != 0 {
            w.u64(self.matched);
        }
        w.u64(self.epoch).var_bytes(self.payer_ref.as_slice());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ContributeBody {
            spend: SpendHeader::read(r)?,
            amount: r.u64("amount")?,
            matched: 0,
            epoch: r.u64("epoch")?,
            payer_ref: Context::read(r, "payer_ref")?,
        })
    }
    fn kind_byte(&self) -> u8 {
        if self.matched == 0 {
            TxKind::Contribute as u8
        } else {
            CONTRIBUTE_MATCHED_KIND
        }
    }
}

/// Draw this epoch's pension to `recipient`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClaimBody {
    pub spend: SpendHeader,
    pub amount: u64,
    pub epoch: u64,
    /// Where the payout goes (an account number); bound into the proof.
    pub recipient: Context,
}

impl Body for ClaimBody {
    const KIND: TxKind = TxKind::Claim;
    fn write(&self, w: &mut Writer) {
        self.spend.write(w);
        w.u64(self.amount)
            .u64(self.epoch)
            .var_bytes(self.recipient.as_slice());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(ClaimBody {
            spend: SpendHeader::read(r)?,
            amount: r.u64("amount")?,
            epoch: r.u64("epoch")?,
            recipient: Context::read(r, "recipient")?,
        })
    }
}

/// Attest facts about one's account under the pseudonym `tag` for `context`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AttestBody {
    pub spend: SpendHeader,
    pub epoch: u64,
    pub context: ContextId,
    pub tag: AttestTag,
    pub min_balance: u64,
    pub min_periods: u64,
    pub require_eligible: bool,
    /// The relying party's message (a challenge); bound into the proof.
    pub message: Context,
}

impl Body for AttestBody {
    const KIND: TxKind = TxKind::Attest;
    fn write(&self, w: &mut Writer) {
        self.spend.write(w);
        w.u64(self.epoch)
            .fr(&self.context.to_field())
            .fr(&self.tag.to_field())
            .u64(self.min_balance)
            .u64(self.min_periods)
            .bool(self.require_eligible)
            .var_bytes(self.message.as_slice());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(AttestBody {
            spend: SpendHeader::read(r)?,
            epoch: r.u64("epoch")?,
            context: ContextId::from_field(r.fr("context")?),
            tag: AttestTag::from_field(r.fr("tag")?),
            min_balance: r.u64("min_balance")?,
            min_periods: r.u64("min_periods")?,
            require_eligible: r.bool("require_eligible")?,
            message: Context::read(r, "message")?,
        })
    }
}

/// The designated heir of a dormant account draws its whole balance to
/// `recipient` (SPEC §4 Inherit): the account's note is spent under its
/// nullifier and no new note is made.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InheritBody {
    pub anchor: Anchor,
    pub nf: Nullifier,
    /// The account's whole balance (public money out).
    pub amount: u64,
    pub epoch: u64,
    /// Where the payout goes (the heir's account number); bound into the proof.
    pub recipient: Context,
}

impl Body for InheritBody {
    const KIND: TxKind = TxKind::Inherit;
    fn write(&self, w: &mut Writer) {
        w.fr(&self.anchor.to_field())
            .fr(&self.nf.to_field())
            .u64(self.amount)
            .u64(self.epoch)
            .var_bytes(self.recipient.as_slice());
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(InheritBody {
            anchor: Anchor::from_field(r.fr("anchor")?),
            nf: Nullifier::from_field(r.fr("nf")?),
            amount: r.u64("amount")?,
            epoch: r.u64("epoch")?,
            recipient: Context::read(r, "recipient")?,
        })
    }
}

/// Move the ledger to epoch `epoch` (strictly greater than the current one).
/// Parameters set by SetParams in the current epoch take effect here.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AdvanceEpochBody {
    pub epoch: u64,
    /// Must equal the ledger's authority nonce; every authority transaction
    /// increments it, so no signed authority transaction can be replayed.
    pub nonce: u64,
}

impl Body for AdvanceEpochBody {
    const KIND: TxKind = TxKind::AdvanceEpoch;
    fn write(&self, w: &mut Writer) {
        w.u64(self.epoch).u64(self.nonce);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(AdvanceEpochBody {
            epoch: r.u64("epoch")?,
            nonce: r.u64("nonce")?,
        })
    }
}

/// Schedule parameters from epoch `effective_epoch` on (SPEC §5.4: within
/// the genesis's bounds and steps, at least `min_delay` epochs ahead). It
/// replaces a change still pending.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SetParamsBody {
    pub params: Params,
    /// The first epoch in which the parameters hold.
    pub effective_epoch: u64,
    /// Must equal the ledger's authority nonce (see [`AdvanceEpochBody::nonce`]).
    pub nonce: u64,
}

impl Body for SetParamsBody {
    const KIND: TxKind = TxKind::SetParams;
    fn write(&self, w: &mut Writer) {
        w.u64(self.params.cap)
            .u64(self.params.min_periods)
            .u64(self.params.divisor)
            .u64(self.effective_epoch)
            .u64(self.nonce);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(SetParamsBody {
            params: Params {
                cap: r.u64("cap")?,
                min_periods: r.u64("min_periods")?,
                divisor: r.u64("divisor")?,
            },
            effective_epoch: r.u64("effective_epoch")?,
            nonce: r.u64("nonce")?,
        })
    }
}

/// Withdraw the pending parameter change before it takes effect.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CancelParamsBody {
    /// Must equal the ledger's authority nonce (see [`AdvanceEpochBody::nonce`]).
    pub nonce: u64,
}

impl Body for CancelParamsBody {
    const KIND: TxKind = TxKind::CancelParams;
    fn write(&self, w: &mut Writer) {
        w.u64(self.nonce);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(CancelParamsBody {
            nonce: r.u64("nonce")?,
        })
    }
}

/// Put `amount` into the subsidy pool, signed by the funder's key named in
/// the genesis.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DepositBody {
    /// The funder's Ed25519 public key (one of the genesis's funders).
    pub funder: PublicKeyBytes,
    pub amount: u64,
    /// Must equal the funder's deposit count on the ledger, so no signed
    /// deposit can be replayed.
    pub nonce: u64,
}

impl Body for DepositBody {
    const KIND: TxKind = TxKind::Deposit;
    fn write(&self, w: &mut Writer) {
        w.raw(&self.funder.0).u64(self.amount).u64(self.nonce);
    }
    fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        Ok(DepositBody {
            funder: FixedBytes(r.array("funder")?),
            amount: r.u64("amount")?,
            nonce: r.u64("nonce")?,
        })
    }
}
