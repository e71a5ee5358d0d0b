//! Authorizations: a Groth16 proof for the member's kinds, an Ed25519
//! signature for the registrar's and the authority's. The transaction id
//! never covers them (see the module root).

use super::body::{
    AdvanceEpochBody, AttestBody, Body, CancelParamsBody, ClaimBody, Context, ContextTooLong,
    ContributeBody, DepositBody, EnrollBody, InheritBody, SetParamsBody, SpendHeader,
};
use super::encode_body;
use crate::codec::Writer;
use crate::hexbytes::{FixedBytes, ProofBytes, SignatureBytes, SIGNATURE_BYTES};
use crate::params::Params;
use ed25519_dalek::{Signer, SigningKey};
use thiserror::Error;
use zkpension_circuits::binding::{binding, ChainId, ProofKind};
use zkpension_circuits::field;
use zkpension_circuits::field::Fr;
use zkpension_circuits::statements::{AttestPublic, ClaimPublic, ContributePublic, InheritPublic};
use zkpension_circuits::values::NoteCommitment;

/// Domain of the registrar's enrollment signature (SPEC §5).
pub const ENROLL_DOMAIN: &[u8] = b"zkpension/v1/enroll";
/// Domain of the authority's signatures over AdvanceEpoch and SetParams.
pub const AUTHORITY_DOMAIN: &[u8] = b"zkpension/v1/authority";

/// A body authorized by a Groth16 proof of its statement.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Proved<B> {
    pub body: B,
    pub proof: ProofBytes,
}

/// A body authorized by an Ed25519 signature of the registrar or the authority.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Signed<B> {
    pub body: B,
    pub signature: SignatureBytes,
}

/// Enroll a member, signed by the registrar over
/// `"zkpension/v1/enroll" || chain_id || cm`.
pub type Enroll = Signed<EnrollBody>;
/// Pay into one's own account, proved by a Contribute proof.
pub type Contribute = Proved<ContributeBody>;
/// Draw the pension, proved by a Claim proof.
pub type Claim = Proved<ClaimBody>;
/// Attest facts about one's account, proved by an Attest proof.
pub type Attest = Proved<AttestBody>;
/// Inherit a dormant account, proved by an Inherit proof.
pub type Inherit = Proved<InheritBody>;
/// Advance the epoch, signed by the authority.
pub type AdvanceEpoch = Signed<AdvanceEpochBody>;
/// Change the parameters, signed by the authority.
pub type SetParams = Signed<SetParamsBody>;
/// Withdraw the pending parameter change, signed by the authority.
pub type CancelParams = Signed<CancelParamsBody>;
/// Put money into the subsidy pool, signed by a funder.
pub type Deposit = Signed<DepositBody>;

/// A transaction's authorization, borrowed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Authorization<'a> {
    Proof(&'a ProofBytes),
    Signature(&'a SignatureBytes),
}

impl Authorization<'_> {
    /// The bytes that follow the body in the encoding.
    pub fn bytes(&self) -> &[u8] {
        match self {
            Authorization::Proof(p) => &p.0,
            Authorization::Signature(s) => &s.0,
        }
    }
}

/// The message the registrar signs: `"zkpension/v1/enroll" || chain_id || cm`.
pub fn enroll_message(chain_id: &ChainId, cm: &NoteCommitment) -> Vec<u8> {
    let mut w = Writer::with_prefix(ENROLL_DOMAIN);
    w.raw(&chain_id.0).fr(&cm.to_field());
    w.into_bytes()
}

/// The message the authority signs:
/// `"zkpension/v1/authority" || chain_id || body`, where `body` is the
/// transaction's canonical encoding without the signature (it carries the kind
/// byte, every field and the nonce).
pub fn authority_message(chain_id: &ChainId, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_prefix(AUTHORITY_DOMAIN);
    w.raw(&chain_id.0).raw(body);
    w.into_bytes()
}

/// The message a funder signs: `"zkpension/v1/funder" || chain_id || body`.
pub fn funder_message(chain_id: &ChainId, body: &[u8]) -> Vec<u8> {
    let mut w = Writer::with_prefix(crate::subsidy::FUNDER_DOMAIN);
    w.raw(&chain_id.0).raw(body);
    w.into_bytes()
}

/// A member spend's `binding` (Claim, kind 2; Attest, kind 3): over
/// `heir_ct` (32 bytes big-endian) followed by the context bytes, so nobody
/// who relays the transaction can change the heir recovery reads.
pub fn spend_binding(chain_id: &ChainId, kind: ProofKind, heir_ct: &Fr, context: &[u8]) -> Fr {
    let mut bytes = Vec::with_capacity(field::FIELD_BYTES + context.len());
    bytes.extend_from_slice(&field::to_bytes(heir_ct));
    bytes.extend_from_slice(context);
    binding(chain_id, kind, &bytes)
}

/// A Contribute proof's `binding`: over `heir_ct` and the payment reference
/// (kind 1) when nothing is matched, over `heir_ct`, `matched` (8 bytes
/// big-endian) and the payment reference (kind 5) otherwise, so the split
/// between the member's money and the match is fixed by the proof.
pub fn contribute_binding(chain_id: &ChainId, matched: u64, heir_ct: &Fr, payer_ref: &[u8]) -> Fr {
    if matched == 0 {
        return spend_binding(chain_id, ProofKind::Contribute, heir_ct, payer_ref);
    }
    let mut context = Vec::with_capacity(8 + payer_ref.len());
    context.extend_from_slice(&matched.to_be_bytes());
    context.extend_from_slice(payer_ref);
    spend_binding(chain_id, ProofKind::MatchedContribute, heir_ct, &context)
}

/// An Inherit proof's `binding` (kind 4): over the recipient.
pub fn inherit_binding(chain_id: &ChainId, recipient: &[u8]) -> Fr {
    binding(chain_id, ProofKind::Inherit, recipient)
}

impl<B: Body> Signed<B> {
    fn signed_with(body: B, message: &[u8], key: &SigningKey) -> Self {
        Signed {
            body,
            signature: FixedBytes(key.sign(message).to_bytes()),
        }
    }

    fn authority(chain_id: &ChainId, body: B, authority: &SigningKey) -> Self {
        let message = authority_message(chain_id, &encode_body(&body));
        Self::signed_with(body, &message, authority)
    }

    /// An unsigned placeholder (all-zero signature), for tests and for
    /// building a body before signing elsewhere.
    pub fn unsigned(body: B) -> Self {
        Signed {
            body,
            signature: FixedBytes([0; SIGNATURE_BYTES]),
        }
    }
}

impl Enroll {
    /// An enrollment of `cm` signed with the registrar's key.
    pub fn sign(chain_id: &ChainId, cm: NoteCommitment, registrar: &SigningKey) -> Self {
        Self::signed_with(EnrollBody { cm }, &enroll_message(chain_id, &cm), registrar)
    }
}

impl AdvanceEpoch {
    /// An epoch advance signed with the authority's key.
    pub fn sign(chain_id: &ChainId, epoch: u64, nonce: u64, authority: &SigningKey) -> Self {
        Self::authority(chain_id, AdvanceEpochBody { epoch, nonce }, authority)
    }
}

impl SetParams {
    /// A parameter change from `effective_epoch` on, signed with the
    /// authority's key.
    pub fn sign(
        chain_id: &ChainId,
        params: Params,
        effective_epoch: u64,
        nonce: u64,
        authority: &SigningKey,
    ) -> Self {
        let body = SetParamsBody {
            params,
            effective_epoch,
            nonce,
        };
        Self::authority(chain_id, body, authority)
    }
}

impl CancelParams {
    /// Withdraws the pending change, signed with the authority's key.
    pub fn sign(chain_id: &ChainId, nonce: u64, authority: &SigningKey) -> Self {
        Self::authority(chain_id, CancelParamsBody { nonce }, authority)
    }
}

impl Deposit {
    /// A deposit of `amount` signed with the funder's key.
    pub fn sign(chain_id: &ChainId, amount: u64, nonce: u64, funder: &SigningKey) -> Self {
        let body = DepositBody {
            funder: FixedBytes(funder.verifying_key().to_bytes()),
            amount,
            nonce,
        };
        let message = funder_message(chain_id, &encode_body(&body));
        Self::signed_with(body, &message, funder)
    }
}

/// A transaction whose fields do not match the public inputs it was built from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    #[error(transparent)]
    ContextTooLong(#[from] ContextTooLong),
    #[error("the proof's binding input does not commit to this chain id and {0}")]
    Binding(&'static str),
    #[error("the match {matched} is larger than the proof's amount {amount}")]
    MatchAboveAmount { matched: u64, amount: u64 },
}

/// `bytes` as the context `what`, if `bind` of it is the proof's `binding`.
fn bound(
    what: &'static str,
    bytes: Vec<u8>,
    expected: &Fr,
    bind: impl Fn(&[u8]) -> Fr,
) -> Result<Context, BuildError> {
    let context = Context::new(what, bytes)?;
    if bind(context.as_slice()) != *expected {
        return Err(BuildError::Binding(what));
    }
    Ok(context)
}

impl Contribute {
    /// The transaction for a proof of `public` whose `amount` includes
    /// `matched` from the subsidy pool; refuses a `payer_ref` and `matched`
    /// the proof's `binding` does not commit to, and a `matched` above the
    /// proof's amount.
    pub fn from_public(
        chain_id: &ChainId,
        public: &ContributePublic,
        matched: u64,
        heir_ct: Fr,
        payer_ref: Vec<u8>,
        proof: [u8; super::PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        let payer_ref = Context::new("payer_ref", payer_ref)?;
        if contribute_binding(chain_id, matched, &heir_ct, payer_ref.as_slice()) != public.binding {
            return Err(BuildError::Binding("heir_ct, payer_ref and matched"));
        }
        let amount = public
            .amount
            .checked_sub(matched)
            .ok_or(BuildError::MatchAboveAmount {
                matched,
                amount: public.amount,
            })?;
        Ok(Proved {
            body: ContributeBody {
                spend: SpendHeader::new(public.anchor, public.nf, public.cm_new, heir_ct),
                amount,
                matched,
                epoch: public.epoch,
                payer_ref,
            },
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs under the ledger's current `params`.
    pub fn public(&self, chain_id: &ChainId, params: &Params) -> ContributePublic {
        let b = &self.body;
        ContributePublic {
            anchor: b.spend.anchor,
            nf: b.spend.nf,
            cm_new: b.spend.cm_new,
            amount: b.amount.saturating_add(b.matched),
            epoch: b.epoch,
            cap: params.cap,
            binding: contribute_binding(
                chain_id,
                b.matched,
                &b.spend.heir_ct,
                b.payer_ref.as_slice(),
            ),
        }
    }
}

impl Claim {
    /// The transaction for a proof of `public`; refuses a `recipient` the
    /// proof's `binding` does not commit to.
    pub fn from_public(
        chain_id: &ChainId,
        public: &ClaimPublic,
        heir_ct: Fr,
        recipient: Vec<u8>,
        proof: [u8; super::PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        let recipient = bound("heir_ct and recipient", recipient, &public.binding, |c| {
            spend_binding(chain_id, ProofKind::Claim, &heir_ct, c)
        })?;
        Ok(Proved {
            body: ClaimBody {
                spend: SpendHeader::new(public.anchor, public.nf, public.cm_new, heir_ct),
                amount: public.amount,
                epoch: public.epoch,
                recipient,
            },
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs under the ledger's current `params`.
    pub fn public(&self, chain_id: &ChainId, params: &Params) -> ClaimPublic {
        let b = &self.body;
        ClaimPublic {
            anchor: b.spend.anchor,
            nf: b.spend.nf,
            cm_new: b.spend.cm_new,
            amount: b.amount,
            epoch: b.epoch,
            min_periods: params.min_periods,
            divisor: params.divisor,
            binding: spend_binding(
                chain_id,
                ProofKind::Claim,
                &b.spend.heir_ct,
                b.recipient.as_slice(),
            ),
        }
    }
}

impl Attest {
    /// The transaction for a proof of `public`; refuses a `message` the
    /// proof's `binding` does not commit to.
    pub fn from_public(
        chain_id: &ChainId,
        public: &AttestPublic,
        heir_ct: Fr,
        message: Vec<u8>,
        proof: [u8; super::PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        let message = bound("heir_ct and message", message, &public.binding, |c| {
            spend_binding(chain_id, ProofKind::Attest, &heir_ct, c)
        })?;
        Ok(Proved {
            body: AttestBody {
                spend: SpendHeader::new(public.anchor, public.nf, public.cm_new, heir_ct),
                epoch: public.epoch,
                context: public.context,
                tag: public.tag,
                min_balance: public.min_balance,
                min_periods: public.min_periods,
                require_eligible: public.require_eligible,
                message,
            },
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs (Attest takes no ledger parameter: its
    /// thresholds are chosen by the relying party).
    pub fn public(&self, chain_id: &ChainId) -> AttestPublic {
        let b = &self.body;
        AttestPublic {
            anchor: b.spend.anchor,
            nf: b.spend.nf,
            cm_new: b.spend.cm_new,
            epoch: b.epoch,
            context: b.context,
            tag: b.tag,
            min_balance: b.min_balance,
            min_periods: b.min_periods,
            require_eligible: b.require_eligible,
            binding: spend_binding(
                chain_id,
                ProofKind::Attest,
                &b.spend.heir_ct,
                b.message.as_slice(),
            ),
        }
    }
}

impl Inherit {
    /// The transaction for a proof of `public`; refuses a `recipient` the
    /// proof's `binding` does not commit to.
    pub fn from_public(
        chain_id: &ChainId,
        public: &InheritPublic,
        recipient: Vec<u8>,
        proof: [u8; super::PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        let recipient = bound("recipient", recipient, &public.binding, |c| {
            inherit_binding(chain_id, c)
        })?;
        Ok(Proved {
            body: InheritBody {
                anchor: public.anchor,
                nf: public.nf,
                amount: public.amount,
                epoch: public.epoch,
                recipient,
            },
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs under the genesis's `dormancy`.
    pub fn public(&self, chain_id: &ChainId, dormancy: u64) -> InheritPublic {
        let b = &self.body;
        InheritPublic {
            anchor: b.anchor,
            nf: b.nf,
            amount: b.amount,
            epoch: b.epoch,
            dormancy,
            binding: inherit_binding(chain_id, b.recipient.as_slice()),
        }
    }
}
