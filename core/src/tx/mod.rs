//! Ledger transactions (SPEC §5): a body (what the transaction does) and an
//! authorization (a proof or a signature), their canonical encoding, ids and
//! the messages the registrar and the authority sign.
//!
//! Canonical encoding (`docs/PROTOCOL.md`, "Ledger"):
//!
//! ```text
//! tx   = body || authorization
//! body = version (1 byte, = 1) || kind (1 byte) || fields in declaration order
//! authorization = Ed25519 signature (64 bytes) for Enroll, AdvanceEpoch, SetParams, CancelParams, Deposit
//!               | compressed Groth16 proof (128 bytes) for Contribute, Claim, Attest, Inherit
//! ```
//!
//! Field elements are 32 bytes big-endian and canonical, `u64`s 8 bytes
//! big-endian, booleans one byte 0 or 1, byte strings a `u32` big-endian length
//! and at most [`MAX_CONTEXT_BYTES`] bytes.
//!
//! The transaction id is `SHA-256(body)`: the encoding without its
//! authorization. A Groth16 proof can be re-randomized by anyone, so its bytes
//! must not name the transaction; the same holds for the signature (the
//! registrar or authority could sign the same content twice with different
//! nonces), so a replayed enrollment has the same id as the original.
//!
//! - [`body`]: the nine bodies, the shared [`SpendHeader`] and the bounded [`Context`].
//! - [`auth`]: [`Proved`] and [`Signed`], signing, and building from a proof's public inputs.
//! - `json`: the JSON form (flat objects with a `"type"`, unknown fields refused).

pub mod auth;
pub mod body;
mod json;
#[cfg(test)]
mod tests;

pub use crate::hexbytes::{
    FixedBytes, Hash32, HexBytes, ProofBytes, PublicKeyBytes, SignatureBytes, TxId, PROOF_BYTES,
    SIGNATURE_BYTES,
};
pub use auth::{
    authority_message, contribute_binding, enroll_message, funder_message, inherit_binding,
    spend_binding, AdvanceEpoch, Attest, Authorization, BuildError, CancelParams, Claim,
    Contribute, Deposit, Enroll, Inherit, Proved, SetParams, Signed, AUTHORITY_DOMAIN,
    ENROLL_DOMAIN,
};
pub use body::{
    AdvanceEpochBody, AttestBody, Body, CancelParamsBody, ClaimBody, Context, ContextTooLong,
    ContributeBody, DepositBody, EnrollBody, InheritBody, SetParamsBody, SpendHeader,
    CONTRIBUTE_MATCHED_KIND, MAX_CONTEXT_BYTES,
};

use crate::codec::{DecodeError, Reader, Writer};
use crate::params::Params;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::Fr;
use zkpension_circuits::replay::PublicChange;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;

/// Version byte that opens every encoded transaction.
pub const TX_ENCODING_VERSION: u8 = 1;
/// Upper bound of one encoded transaction (the largest is an Attest with a
/// maximal message).
pub const MAX_TX_BYTES: usize = 2 + 7 * 32 + 4 * 8 + 1 + 4 + MAX_CONTEXT_BYTES + PROOF_BYTES;

/// The kind byte of the encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[repr(u8)]
pub enum TxKind {
    Enroll = 1,
    Contribute = 2,
    Claim = 3,
    Attest = 4,
    AdvanceEpoch = 5,
    SetParams = 6,
    CancelParams = 7,
    Deposit = 8,
    Inherit = 10,
}

impl TxKind {
    pub fn from_byte(b: u8) -> Result<Self, DecodeError> {
        Ok(match b {
            1 => TxKind::Enroll,
            2 => TxKind::Contribute,
            3 => TxKind::Claim,
            4 => TxKind::Attest,
            5 => TxKind::AdvanceEpoch,
            6 => TxKind::SetParams,
            7 => TxKind::CancelParams,
            8 => TxKind::Deposit,
            10 => TxKind::Inherit,
            other => return Err(DecodeError::Kind(other)),
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            TxKind::Enroll => "enroll",
            TxKind::Contribute => "contribute",
            TxKind::Claim => "claim",
            TxKind::Attest => "attest",
            TxKind::AdvanceEpoch => "advance_epoch",
            TxKind::SetParams => "set_params",
            TxKind::CancelParams => "cancel_params",
            TxKind::Deposit => "deposit",
            TxKind::Inherit => "inherit",
        }
    }

    /// The statement whose proof this kind carries, if any.
    pub fn statement(self) -> Option<Statement> {
        match self {
            TxKind::Contribute => Some(Statement::Contribute),
            TxKind::Claim => Some(Statement::Claim),
            TxKind::Attest => Some(Statement::Attest),
            TxKind::Inherit => Some(Statement::Inherit),
            _ => None,
        }
    }
}

impl std::fmt::Display for TxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// `version || kind || body`: what the id hashes and the authority signs.
pub fn encode_body<B: Body>(body: &B) -> Vec<u8> {
    let mut w = Writer::new();
    write_body(body, &mut w);
    w.into_bytes()
}

fn write_body<B: Body>(body: &B, w: &mut Writer) {
    w.u8(TX_ENCODING_VERSION).u8(body.kind_byte());
    body.write(w);
}

/// A ledger transaction. JSON: an object with `"type"` (`enroll`, `contribute`,
/// `claim`, `attest`, `advance_epoch`, `set_params`, `cancel_params`, `deposit`, `inherit`) and the variant's fields
/// (the body's, flat, then `proof` or `signature`); unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(into = "json::TransactionJson", from = "json::TransactionJson")]
pub enum Transaction {
    Enroll(Enroll),
    Contribute(Contribute),
    Claim(Claim),
    Attest(Attest),
    AdvanceEpoch(AdvanceEpoch),
    SetParams(SetParams),
    CancelParams(CancelParams),
    Deposit(Deposit),
    Inherit(Inherit),
}

/// Money out of the pool ([`Transaction::payout`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Payout<'a> {
    pub amount: u64,
    pub epoch: u64,
    /// Where it goes; bound into the proof (sealed on a chain with a paying agent).
    pub recipient: &'a Context,
}

/// Runs `$e` with `$t` bound to the variant's inner value, whatever the kind.
macro_rules! each {
    ($tx:expr, $t:ident => $e:expr) => {
        match $tx {
            Transaction::Enroll($t) => $e,
            Transaction::Contribute($t) => $e,
            Transaction::Claim($t) => $e,
            Transaction::Attest($t) => $e,
            Transaction::AdvanceEpoch($t) => $e,
            Transaction::SetParams($t) => $e,
            Transaction::CancelParams($t) => $e,
            Transaction::Deposit($t) => $e,
            Transaction::Inherit($t) => $e,
        }
    };
}

macro_rules! from_variant {
    ($($v:ident),*) => {$(
        impl From<$v> for Transaction {
            fn from(t: $v) -> Self {
                Transaction::$v(t)
            }
        }
    )*};
}
from_variant!(
    Enroll,
    Contribute,
    Claim,
    Attest,
    AdvanceEpoch,
    SetParams,
    CancelParams,
    Deposit,
    Inherit
);

/// A body and its authorization, whatever the kind.
trait Authorized {
    type B: Body;
    fn body(&self) -> &Self::B;
    fn authorization(&self) -> Authorization<'_>;
}

impl<B: Body> Authorized for Proved<B> {
    type B = B;
    fn body(&self) -> &B {
        &self.body
    }
    fn authorization(&self) -> Authorization<'_> {
        Authorization::Proof(&self.proof)
    }
}

impl<B: Body> Authorized for Signed<B> {
    type B = B;
    fn body(&self) -> &B {
        &self.body
    }
    fn authorization(&self) -> Authorization<'_> {
        Authorization::Signature(&self.signature)
    }
}

fn kind_of<T: Authorized>(_: &T) -> TxKind {
    T::B::KIND
}

impl Transaction {
    pub fn kind(&self) -> TxKind {
        each!(self, t => kind_of(t))
    }

    /// The proof or signature.
    pub fn authorization(&self) -> Authorization<'_> {
        each!(self, t => t.authorization())
    }

    /// The spend header of a member's proof transaction (an Inherit has
    /// none: see [`Transaction::anchor`] and [`Transaction::nullifier`]).
    pub fn spend(&self) -> Option<&SpendHeader> {
        match self {
            Transaction::Contribute(t) => Some(&t.body.spend),
            Transaction::Claim(t) => Some(&t.body.spend),
            Transaction::Attest(t) => Some(&t.body.spend),
            _ => None,
        }
    }

    /// The epoch a proof transaction is made for.
    pub fn spend_epoch(&self) -> Option<u64> {
        match self {
            Transaction::Contribute(t) => Some(t.body.epoch),
            Transaction::Claim(t) => Some(t.body.epoch),
            Transaction::Attest(t) => Some(t.body.epoch),
            Transaction::Inherit(t) => Some(t.body.epoch),
            _ => None,
        }
    }

    /// The anchor a proof transaction names.
    pub fn anchor(&self) -> Option<Anchor> {
        match self {
            Transaction::Inherit(t) => Some(t.body.anchor),
            _ => self.spend().map(|s| s.anchor),
        }
    }

    /// What a spend made public about the account's change (`None` for the
    /// transactions that spend no note).
    pub fn public_change(&self) -> Option<PublicChange> {
        match self {
            Transaction::Contribute(t) => Some(PublicChange::Contribute {
                amount: t.body.amount.saturating_add(t.body.matched),
                epoch: t.body.epoch,
                heir_ct: t.body.spend.heir_ct,
            }),
            Transaction::Claim(t) => Some(PublicChange::Claim {
                amount: t.body.amount,
                epoch: t.body.epoch,
                heir_ct: t.body.spend.heir_ct,
            }),
            Transaction::Attest(t) => Some(PublicChange::Attest {
                epoch: t.body.epoch,
                heir_ct: t.body.spend.heir_ct,
            }),
            Transaction::Inherit(t) => Some(PublicChange::Inherit {
                amount: t.body.amount,
                epoch: t.body.epoch,
            }),
            _ => None,
        }
    }

    /// Money the transaction takes out of the pool to a recipient: a
    /// claim's pension or an heir's lump sum.
    pub fn payout(&self) -> Option<Payout<'_>> {
        let (amount, epoch, recipient) = match self {
            Transaction::Claim(t) => (t.body.amount, t.body.epoch, &t.body.recipient),
            Transaction::Inherit(t) => (t.body.amount, t.body.epoch, &t.body.recipient),
            _ => return None,
        };
        Some(Payout {
            amount,
            epoch,
            recipient,
        })
    }

    /// The nullifier a proof transaction reveals.
    pub fn nullifier(&self) -> Option<Nullifier> {
        match self {
            Transaction::Inherit(t) => Some(t.body.nf),
            _ => self.spend().map(|s| s.nf),
        }
    }

    /// The commitment the transaction appends to the tree.
    pub fn new_commitment(&self) -> Option<NoteCommitment> {
        match self {
            Transaction::Enroll(t) => Some(t.body.cm),
            _ => self.spend().map(|s| s.cm_new),
        }
    }

    /// The proof bytes of a proof transaction.
    pub fn proof(&self) -> Option<&ProofBytes> {
        match self.authorization() {
            Authorization::Proof(p) => Some(p),
            Authorization::Signature(_) => None,
        }
    }

    /// The signature of a signed transaction.
    pub fn signature(&self) -> Option<&SignatureBytes> {
        match self.authorization() {
            Authorization::Signature(s) => Some(s),
            Authorization::Proof(_) => None,
        }
    }

    /// The statement and public inputs (SPEC order, built by the statement's
    /// one encoder) its proof must verify against, under `params` and the
    /// genesis's `dormancy`.
    pub fn public_inputs(
        &self,
        chain_id: &ChainId,
        params: &Params,
        dormancy: u64,
    ) -> Option<(Statement, Vec<Fr>)> {
        match self {
            Transaction::Contribute(t) => Some((
                Statement::Contribute,
                t.public(chain_id, params).to_field_elements(),
            )),
            Transaction::Claim(t) => Some((
                Statement::Claim,
                t.public(chain_id, params).to_field_elements(),
            )),
            Transaction::Attest(t) => {
                Some((Statement::Attest, t.public(chain_id).to_field_elements()))
            }
            Transaction::Inherit(t) => Some((
                Statement::Inherit,
                t.public(chain_id, dormancy).to_field_elements(),
            )),
            _ => None,
        }
    }

    /// The canonical encoding without the authorization (proof or signature).
    pub fn encode_body(&self) -> Vec<u8> {
        each!(self, t => encode_body(t.body()))
    }

    /// The full canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        each!(self, t => write_body(t.body(), &mut w));
        w.raw(self.authorization().bytes());
        w.into_bytes()
    }

    /// `SHA-256(body)`: names the transaction independently of its proof or
    /// signature bytes.
    pub fn id(&self) -> TxId {
        FixedBytes(Sha256::digest(self.encode_body()).into())
    }

    /// Decodes one canonical encoding, refusing trailing bytes.
    pub fn decode(bytes: &[u8]) -> Result<Self, DecodeError> {
        if bytes.len() > MAX_TX_BYTES {
            return Err(DecodeError::TooLong {
                what: "transaction",
                len: bytes.len(),
                max: MAX_TX_BYTES,
            });
        }
        let mut r = Reader::new(bytes);
        let tx = Self::read(&mut r)?;
        r.finish()?;
        Ok(tx)
    }

    /// Reads one transaction from `r`.
    pub fn read(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let version = r.u8("version")?;
        if version != TX_ENCODING_VERSION {
            return Err(DecodeError::Version {
                got: version,
                expected: TX_ENCODING_VERSION,
            });
        }
        fn proved<B: Body>(r: &mut Reader<'_>) -> Result<Proved<B>, DecodeError> {
            Ok(Proved {
                body: B::read(r)?,
                proof: FixedBytes(r.array("proof")?),
            })
        }
        fn signed<B: Body>(r: &mut Reader<'_>) -> Result<Signed<B>, DecodeError> {
            Ok(Signed {
                body: B::read(r)?,
                signature: FixedBytes(r.array("signature")?),
            })
        }
        let kind = r.u8("kind")?;
        if kind == CONTRIBUTE_MATCHED_KIND {
            return Ok(Transaction::Contribute(Proved {
                body: ContributeBody::read_matched(r)?,
                proof: FixedBytes(r.array("proof")?),
            }));
        }
        Ok(match TxKind::from_byte(kind)? {
            TxKind::Enroll => Transaction::Enroll(signed(r)?),
            TxKind::Contribute => Transaction::Contribute(proved(r)?),
            TxKind::Claim => Transaction::Claim(proved(r)?),
            TxKind::Attest => Transaction::Attest(proved(r)?),
            TxKind::AdvanceEpoch => Transaction::AdvanceEpoch(signed(r)?),
            TxKind::SetParams => Transaction::SetParams(signed(r)?),
            TxKind::CancelParams => Transaction::CancelParams(signed(r)?),
            TxKind::Deposit => Transaction::Deposit(signed(r)?),
            TxKind::Inherit => Transaction::Inherit(proved(r)?),
        })
    }

    /// The same transaction with `signature` as its authorization, for
    /// signed kinds (`None` for proof kinds). The signature is not checked.
    pub fn with_signature(self, signature: [u8; SIGNATURE_BYTES]) -> Option<Self> {
        let signature = FixedBytes(signature);
        Some(match self {
            Transaction::Enroll(t) => Transaction::Enroll(Signed { signature, ..t }),
            Transaction::AdvanceEpoch(t) => Transaction::AdvanceEpoch(Signed { signature, ..t }),
            Transaction::SetParams(t) => Transaction::SetParams(Signed { signature, ..t }),
            Transaction::CancelParams(t) => Transaction::CancelParams(Signed { signature, ..t }),
            Transaction::Deposit(t) => Transaction::Deposit(Signed { signature, ..t }),
            Transaction::Contribute(_)
            | Transaction::Claim(_)
            | Transaction::Attest(_)
            | Transaction::Inherit(_) => return None,
        })
    }

    /// The message the transaction's signature must cover, for signed kinds.
    pub fn signed_message(&self, chain_id: &ChainId) -> Option<Vec<u8>> {
        match self {
            Transaction::Enroll(t) => Some(enroll_message(chain_id, &t.body.cm)),
            Transaction::AdvanceEpoch(_)
            | Transaction::SetParams(_)
            | Transaction::CancelParams(_) => {
                Some(authority_message(chain_id, &self.encode_body()))
            }
            Transaction::Deposit(_) => Some(funder_message(chain_id, &self.encode_body())),
            _ => None,
        }
    }
}
