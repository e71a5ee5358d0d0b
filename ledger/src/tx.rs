//! Ledger transactions (SPEC §5): types, canonical encoding, ids and the
//! messages the registrar and the authority sign.
//!
//! Canonical encoding (`docs/PROTOCOL.md`, "Ledger"):
//!
//! ```text
//! tx   = body || authorization
//! body = version (1 byte, = 1) || kind (1 byte) || fields in declaration order
//! authorization = Ed25519 signature (64 bytes) for Enroll, AdvanceEpoch, SetParams
//!               | compressed Groth16 proof (128 bytes) for Contribute, Claim, Attest
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

use crate::codec::{DecodeError, Reader, Writer};
use crate::genesis::Params;
use crate::hexbytes::{FixedBytes, HexBytes};
use ed25519_dalek::{Signer, SigningKey};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use thiserror::Error;
use zkpension_circuits::binding::{binding, ChainId, ProofKind};
use zkpension_circuits::field::{serde_hex, Fr};
use zkpension_circuits::statements::{AttestPublic, ClaimPublic, ContributePublic};
use zkpension_circuits::Statement;

/// Version byte that opens every encoded transaction.
pub const TX_ENCODING_VERSION: u8 = 1;
/// Maximum length of `payer_ref`, `recipient` and an attest `message`.
pub const MAX_CONTEXT_BYTES: usize = 1024;
/// A compressed Groth16 proof over BN254.
pub const PROOF_BYTES: usize = 128;
/// An Ed25519 signature.
pub const SIGNATURE_BYTES: usize = 64;
/// Upper bound of one encoded transaction (the largest is an Attest with a
/// maximal message).
pub const MAX_TX_BYTES: usize = 2 + 6 * 32 + 4 * 8 + 1 + 4 + MAX_CONTEXT_BYTES + PROOF_BYTES;

/// Domain of the registrar's enrollment signature (SPEC §5).
pub const ENROLL_DOMAIN: &[u8] = b"zkpension/v1/enroll";
/// Domain of the authority's signatures over AdvanceEpoch and SetParams.
pub const AUTHORITY_DOMAIN: &[u8] = b"zkpension/v1/authority";

/// A 32-byte hash (transaction ids, block hashes, state roots).
pub type Hash32 = FixedBytes<32>;
/// A transaction id: SHA-256 of the encoding without the authorization.
pub type TxId = Hash32;
/// The 128 bytes of a compressed Groth16 proof, not yet decoded.
pub type ProofBytes = FixedBytes<PROOF_BYTES>;
/// The 64 bytes of an Ed25519 signature.
pub type SignatureBytes = FixedBytes<SIGNATURE_BYTES>;
/// The 32 bytes of an Ed25519 public key.
pub type PublicKeyBytes = FixedBytes<32>;

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
        }
    }

    /// The statement whose proof this kind carries, if any.
    pub fn statement(self) -> Option<Statement> {
        match self {
            TxKind::Contribute => Some(Statement::Contribute),
            TxKind::Claim => Some(Statement::Claim),
            TxKind::Attest => Some(Statement::Attest),
            _ => None,
        }
    }
}

impl std::fmt::Display for TxKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

/// Enroll a member: append the commitment of a new member's note, authorized by
/// the registrar's signature over `"zkpension/v1/enroll" || chain_id || cm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Enroll {
    #[serde(with = "serde_hex")]
    pub cm: Fr,
    pub signature: SignatureBytes,
}

/// Pay `amount` into one's own account in `epoch`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Contribute {
    #[serde(with = "serde_hex")]
    pub anchor: Fr,
    #[serde(with = "serde_hex")]
    pub nf: Fr,
    #[serde(with = "serde_hex")]
    pub cm_new: Fr,
    pub amount: u64,
    pub epoch: u64,
    /// The payer's reference (employer, bank transfer id); bound into the proof.
    pub payer_ref: HexBytes,
    pub proof: ProofBytes,
}

/// Draw this epoch's pension to `recipient`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Claim {
    #[serde(with = "serde_hex")]
    pub anchor: Fr,
    #[serde(with = "serde_hex")]
    pub nf: Fr,
    #[serde(with = "serde_hex")]
    pub cm_new: Fr,
    pub amount: u64,
    pub epoch: u64,
    /// Where the payout goes (an account number); bound into the proof.
    pub recipient: HexBytes,
    pub proof: ProofBytes,
}

/// Attest facts about one's account under the pseudonym `tag` for `context`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Attest {
    #[serde(with = "serde_hex")]
    pub anchor: Fr,
    #[serde(with = "serde_hex")]
    pub nf: Fr,
    #[serde(with = "serde_hex")]
    pub cm_new: Fr,
    pub epoch: u64,
    #[serde(with = "serde_hex")]
    pub context: Fr,
    #[serde(with = "serde_hex")]
    pub tag: Fr,
    pub min_balance: u64,
    pub min_periods: u64,
    pub require_eligible: bool,
    /// The relying party's message (a challenge); bound into the proof.
    pub message: HexBytes,
    pub proof: ProofBytes,
}

/// Move the ledger to epoch `epoch` (strictly greater than the current one).
/// Parameters set by SetParams in the current epoch take effect here.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AdvanceEpoch {
    pub epoch: u64,
    /// Must equal the ledger's authority nonce; every authority transaction
    /// increments it, so no signed authority transaction can be replayed.
    pub nonce: u64,
    pub signature: SignatureBytes,
}

/// Set the parameters that take effect from the next epoch.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SetParams {
    pub cap: u64,
    pub min_periods: u64,
    pub divisor: u64,
    /// Must equal the ledger's authority nonce (see [`AdvanceEpoch::nonce`]).
    pub nonce: u64,
    pub signature: SignatureBytes,
}

impl SetParams {
    pub fn params(&self) -> Params {
        Params {
            cap: self.cap,
            min_periods: self.min_periods,
            divisor: self.divisor,
        }
    }
}

/// A ledger transaction. JSON: an object with `"type"` (`enroll`, `contribute`,
/// `claim`, `attest`, `advance_epoch`, `set_params`) and the variant's fields;
/// unknown fields are refused.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Transaction {
    Enroll(Enroll),
    Contribute(Contribute),
    Claim(Claim),
    Attest(Attest),
    AdvanceEpoch(AdvanceEpoch),
    SetParams(SetParams),
}

/// A transaction whose fields do not match the public inputs it was built from.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BuildError {
    #[error("`{0}` is longer than {MAX_CONTEXT_BYTES} bytes")]
    ContextTooLong(&'static str),
    #[error("the proof's binding input does not commit to this chain id and {0}")]
    Binding(&'static str),
}

fn check_context(what: &'static str, bytes: &[u8]) -> Result<(), BuildError> {
    if bytes.len() > MAX_CONTEXT_BYTES {
        return Err(BuildError::ContextTooLong(what));
    }
    Ok(())
}

/// The message the registrar signs: `"zkpension/v1/enroll" || chain_id || cm`.
pub fn enroll_message(chain_id: &ChainId, cm: &Fr) -> Vec<u8> {
    let mut w = Writer::with_prefix(ENROLL_DOMAIN);
    w.raw(&chain_id.0).fr(cm);
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

impl Enroll {
    /// An enrollment of `cm` signed with the registrar's key.
    pub fn sign(chain_id: &ChainId, cm: Fr, registrar: &SigningKey) -> Self {
        let sig = registrar.sign(&enroll_message(chain_id, &cm));
        Enroll {
            cm,
            signature: FixedBytes(sig.to_bytes()),
        }
    }
}

impl AdvanceEpoch {
    /// An epoch advance signed with the authority's key.
    pub fn sign(chain_id: &ChainId, epoch: u64, nonce: u64, authority: &SigningKey) -> Self {
        let mut tx = AdvanceEpoch {
            epoch,
            nonce,
            signature: FixedBytes([0; SIGNATURE_BYTES]),
        };
        let body = Transaction::AdvanceEpoch(tx.clone()).encode_body();
        tx.signature = FixedBytes(
            authority
                .sign(&authority_message(chain_id, &body))
                .to_bytes(),
        );
        tx
    }
}

impl SetParams {
    /// A parameter change signed with the authority's key.
    pub fn sign(chain_id: &ChainId, params: Params, nonce: u64, authority: &SigningKey) -> Self {
        let mut tx = SetParams {
            cap: params.cap,
            min_periods: params.min_periods,
            divisor: params.divisor,
            nonce,
            signature: FixedBytes([0; SIGNATURE_BYTES]),
        };
        let body = Transaction::SetParams(tx.clone()).encode_body();
        tx.signature = FixedBytes(
            authority
                .sign(&authority_message(chain_id, &body))
                .to_bytes(),
        );
        tx
    }
}

impl Contribute {
    /// The transaction for a proof of `public`; refuses a `payer_ref` the
    /// proof's `binding` does not commit to.
    pub fn from_public(
        chain_id: &ChainId,
        public: &ContributePublic,
        payer_ref: Vec<u8>,
        proof: [u8; PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        check_context("payer_ref", &payer_ref)?;
        if binding(chain_id, ProofKind::Contribute, &payer_ref) != public.binding {
            return Err(BuildError::Binding("payer_ref"));
        }
        Ok(Contribute {
            anchor: public.anchor,
            nf: public.nf,
            cm_new: public.cm_new,
            amount: public.amount,
            epoch: public.epoch,
            payer_ref: HexBytes(payer_ref),
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs under the ledger's current `params`.
    pub fn public(&self, chain_id: &ChainId, params: &Params) -> ContributePublic {
        ContributePublic {
            anchor: self.anchor,
            nf: self.nf,
            cm_new: self.cm_new,
            amount: self.amount,
            epoch: self.epoch,
            cap: params.cap,
            binding: binding(chain_id, ProofKind::Contribute, self.payer_ref.as_slice()),
        }
    }
}

impl Claim {
    /// The transaction for a proof of `public`; refuses a `recipient` the
    /// proof's `binding` does not commit to.
    pub fn from_public(
        chain_id: &ChainId,
        public: &ClaimPublic,
        recipient: Vec<u8>,
        proof: [u8; PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        check_context("recipient", &recipient)?;
        if binding(chain_id, ProofKind::Claim, &recipient) != public.binding {
            return Err(BuildError::Binding("recipient"));
        }
        Ok(Claim {
            anchor: public.anchor,
            nf: public.nf,
            cm_new: public.cm_new,
            amount: public.amount,
            epoch: public.epoch,
            recipient: HexBytes(recipient),
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs under the ledger's current `params`.
    pub fn public(&self, chain_id: &ChainId, params: &Params) -> ClaimPublic {
        ClaimPublic {
            anchor: self.anchor,
            nf: self.nf,
            cm_new: self.cm_new,
            amount: self.amount,
            epoch: self.epoch,
            min_periods: params.min_periods,
            divisor: params.divisor,
            binding: binding(chain_id, ProofKind::Claim, self.recipient.as_slice()),
        }
    }
}

impl Attest {
    /// The transaction for a proof of `public`; refuses a `message` the
    /// proof's `binding` does not commit to.
    pub fn from_public(
        chain_id: &ChainId,
        public: &AttestPublic,
        message: Vec<u8>,
        proof: [u8; PROOF_BYTES],
    ) -> Result<Self, BuildError> {
        check_context("message", &message)?;
        if binding(chain_id, ProofKind::Attest, &message) != public.binding {
            return Err(BuildError::Binding("message"));
        }
        Ok(Attest {
            anchor: public.anchor,
            nf: public.nf,
            cm_new: public.cm_new,
            epoch: public.epoch,
            context: public.context,
            tag: public.tag,
            min_balance: public.min_balance,
            min_periods: public.min_periods,
            require_eligible: public.require_eligible,
            message: HexBytes(message),
            proof: FixedBytes(proof),
        })
    }

    /// The proof's public inputs (Attest takes no ledger parameter: its
    /// thresholds are chosen by the relying party).
    pub fn public(&self, chain_id: &ChainId) -> AttestPublic {
        AttestPublic {
            anchor: self.anchor,
            nf: self.nf,
            cm_new: self.cm_new,
            epoch: self.epoch,
            context: self.context,
            tag: self.tag,
            min_balance: self.min_balance,
            min_periods: self.min_periods,
            require_eligible: self.require_eligible,
            binding: binding(chain_id, ProofKind::Attest, self.message.as_slice()),
        }
    }
}

impl From<Enroll> for Transaction {
    fn from(t: Enroll) -> Self {
        Transaction::Enroll(t)
    }
}
impl From<Contribute> for Transaction {
    fn from(t: Contribute) -> Self {
        Transaction::Contribute(t)
    }
}
impl From<Claim> for Transaction {
    fn from(t: Claim) -> Self {
        Transaction::Claim(t)
    }
}
impl From<Attest> for Transaction {
    fn from(t: Attest) -> Self {
        Transaction::Attest(t)
    }
}
impl From<AdvanceEpoch> for Transaction {
    fn from(t: AdvanceEpoch) -> Self {
        Transaction::AdvanceEpoch(t)
    }
}
impl From<SetParams> for Transaction {
    fn from(t: SetParams) -> Self {
        Transaction::SetParams(t)
    }
}

impl Transaction {
    pub fn kind(&self) -> TxKind {
        match self {
            Transaction::Enroll(_) => TxKind::Enroll,
            Transaction::Contribute(_) => TxKind::Contribute,
            Transaction::Claim(_) => TxKind::Claim,
            Transaction::Attest(_) => TxKind::Attest,
            Transaction::AdvanceEpoch(_) => TxKind::AdvanceEpoch,
            Transaction::SetParams(_) => TxKind::SetParams,
        }
    }

    /// The nullifier a proof transaction reveals.
    pub fn nullifier(&self) -> Option<Fr> {
        match self {
            Transaction::Contribute(t) => Some(t.nf),
            Transaction::Claim(t) => Some(t.nf),
            Transaction::Attest(t) => Some(t.nf),
            _ => None,
        }
    }

    /// The commitment the transaction appends to the tree.
    pub fn new_commitment(&self) -> Option<Fr> {
        match self {
            Transaction::Enroll(t) => Some(t.cm),
            Transaction::Contribute(t) => Some(t.cm_new),
            Transaction::Claim(t) => Some(t.cm_new),
            Transaction::Attest(t) => Some(t.cm_new),
            _ => None,
        }
    }

    /// The anchor and epoch a proof transaction claims.
    pub fn anchor_and_epoch(&self) -> Option<(Fr, u64)> {
        match self {
            Transaction::Contribute(t) => Some((t.anchor, t.epoch)),
            Transaction::Claim(t) => Some((t.anchor, t.epoch)),
            Transaction::Attest(t) => Some((t.anchor, t.epoch)),
            _ => None,
        }
    }

    /// The proof bytes of a proof transaction.
    pub fn proof(&self) -> Option<&ProofBytes> {
        match self {
            Transaction::Contribute(t) => Some(&t.proof),
            Transaction::Claim(t) => Some(&t.proof),
            Transaction::Attest(t) => Some(&t.proof),
            _ => None,
        }
    }

    /// The signature of a signed transaction.
    pub fn signature(&self) -> Option<&SignatureBytes> {
        match self {
            Transaction::Enroll(t) => Some(&t.signature),
            Transaction::AdvanceEpoch(t) => Some(&t.signature),
            Transaction::SetParams(t) => Some(&t.signature),
            _ => None,
        }
    }

    /// The statement and public inputs (SPEC order, built by the statement's
    /// one encoder) its proof must verify against, under `params`.
    pub fn public_inputs(
        &self,
        chain_id: &ChainId,
        params: &Params,
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
            _ => None,
        }
    }

    fn write_body(&self, w: &mut Writer) {
        w.u8(TX_ENCODING_VERSION).u8(self.kind() as u8);
        match self {
            Transaction::Enroll(t) => {
                w.fr(&t.cm);
            }
            Transaction::Contribute(t) => {
                w.fr(&t.anchor)
                    .fr(&t.nf)
                    .fr(&t.cm_new)
                    .u64(t.amount)
                    .u64(t.epoch)
                    .var_bytes(t.payer_ref.as_slice());
            }
            Transaction::Claim(t) => {
                w.fr(&t.anchor)
                    .fr(&t.nf)
                    .fr(&t.cm_new)
                    .u64(t.amount)
                    .u64(t.epoch)
                    .var_bytes(t.recipient.as_slice());
            }
            Transaction::Attest(t) => {
                w.fr(&t.anchor)
                    .fr(&t.nf)
                    .fr(&t.cm_new)
                    .u64(t.epoch)
                    .fr(&t.context)
                    .fr(&t.tag)
                    .u64(t.min_balance)
                    .u64(t.min_periods)
                    .bool(t.require_eligible)
                    .var_bytes(t.message.as_slice());
            }
            Transaction::AdvanceEpoch(t) => {
                w.u64(t.epoch).u64(t.nonce);
            }
            Transaction::SetParams(t) => {
                w.u64(t.cap).u64(t.min_periods).u64(t.divisor).u64(t.nonce);
            }
        }
    }

    /// The canonical encoding without the authorization (proof or signature).
    pub fn encode_body(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write_body(&mut w);
        w.into_bytes()
    }

    /// The full canonical encoding.
    pub fn encode(&self) -> Vec<u8> {
        let mut w = Writer::new();
        self.write_body(&mut w);
        if let Some(p) = self.proof() {
            w.raw(&p.0);
        }
        if let Some(s) = self.signature() {
            w.raw(&s.0);
        }
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
        let kind = TxKind::from_byte(r.u8("kind")?)?;
        let ctx = |r: &mut Reader<'_>, what| -> Result<HexBytes, DecodeError> {
            Ok(HexBytes(r.var_bytes(what, MAX_CONTEXT_BYTES)?.to_vec()))
        };
        Ok(match kind {
            TxKind::Enroll => Transaction::Enroll(Enroll {
                cm: r.fr("cm")?,
                signature: FixedBytes(r.array("signature")?),
            }),
            TxKind::Contribute => Transaction::Contribute(Contribute {
                anchor: r.fr("anchor")?,
                nf: r.fr("nf")?,
                cm_new: r.fr("cm_new")?,
                amount: r.u64("amount")?,
                epoch: r.u64("epoch")?,
                payer_ref: ctx(r, "payer_ref")?,
                proof: FixedBytes(r.array("proof")?),
            }),
            TxKind::Claim => Transaction::Claim(Claim {
                anchor: r.fr("anchor")?,
                nf: r.fr("nf")?,
                cm_new: r.fr("cm_new")?,
                amount: r.u64("amount")?,
                epoch: r.u64("epoch")?,
                recipient: ctx(r, "recipient")?,
                proof: FixedBytes(r.array("proof")?),
            }),
            TxKind::Attest => Transaction::Attest(Attest {
                anchor: r.fr("anchor")?,
                nf: r.fr("nf")?,
                cm_new: r.fr("cm_new")?,
                epoch: r.u64("epoch")?,
                context: r.fr("context")?,
                tag: r.fr("tag")?,
                min_balance: r.u64("min_balance")?,
                min_periods: r.u64("min_periods")?,
                require_eligible: r.bool("require_eligible")?,
                message: ctx(r, "message")?,
                proof: FixedBytes(r.array("proof")?),
            }),
            TxKind::AdvanceEpoch => Transaction::AdvanceEpoch(AdvanceEpoch {
                epoch: r.u64("epoch")?,
                nonce: r.u64("nonce")?,
                signature: FixedBytes(r.array("signature")?),
            }),
            TxKind::SetParams => Transaction::SetParams(SetParams {
                cap: r.u64("cap")?,
                min_periods: r.u64("min_periods")?,
                divisor: r.u64("divisor")?,
                nonce: r.u64("nonce")?,
                signature: FixedBytes(r.array("signature")?),
            }),
        })
    }

    /// The message the transaction's signature must cover, for signed kinds.
    pub fn signed_message(&self, chain_id: &ChainId) -> Option<Vec<u8>> {
        match self {
            Transaction::Enroll(t) => Some(enroll_message(chain_id, &t.cm)),
            Transaction::AdvanceEpoch(_) | Transaction::SetParams(_) => {
                Some(authority_message(chain_id, &self.encode_body()))
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn chain() -> ChainId {
        ChainId::from_name("test")
    }

    fn f(x: u64) -> Fr {
        Fr::from(x)
    }

    pub(crate) fn samples() -> Vec<Transaction> {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        let key = SigningKey::generate(&mut rng);
        vec![
            Enroll::sign(&chain(), f(11), &key).into(),
            Contribute {
                anchor: f(1),
                nf: f(2),
                cm_new: f(3),
                amount: 500,
                epoch: 4,
                payer_ref: HexBytes(b"employer-7".to_vec()),
                proof: FixedBytes([9; PROOF_BYTES]),
            }
            .into(),
            Claim {
                anchor: f(1),
                nf: f(5),
                cm_new: f(6),
                amount: 70,
                epoch: 9,
                recipient: HexBytes(vec![]),
                proof: FixedBytes([8; PROOF_BYTES]),
            }
            .into(),
            Attest {
                anchor: f(1),
                nf: f(7),
                cm_new: f(8),
                epoch: 2,
                context: -f(1),
                tag: f(12),
                min_balance: 1000,
                min_periods: 3,
                require_eligible: true,
                message: HexBytes(vec![0xab; MAX_CONTEXT_BYTES]),
                proof: FixedBytes([7; PROOF_BYTES]),
            }
            .into(),
            AdvanceEpoch::sign(&chain(), 2, 0, &key).into(),
            SetParams::sign(
                &chain(),
                Params {
                    cap: 1,
                    min_periods: 2,
                    divisor: 3,
                },
                1,
                &key,
            )
            .into(),
        ]
    }

    #[test]
    fn encoding_round_trips_and_is_canonical() {
        for tx in samples() {
            let bytes = tx.encode();
            assert!(bytes.len() <= MAX_TX_BYTES);
            assert_eq!(Transaction::decode(&bytes).unwrap(), tx);
            // One byte more or less never decodes.
            let mut longer = bytes.clone();
            longer.push(0);
            assert_eq!(
                Transaction::decode(&longer),
                Err(DecodeError::TrailingBytes(1))
            );
            assert!(Transaction::decode(&bytes[..bytes.len() - 1]).is_err());
            // JSON round trip.
            let json = serde_json::to_string(&tx).unwrap();
            assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), tx);
        }
    }

    #[test]
    fn id_ignores_authorization_only() {
        for tx in samples() {
            let id = tx.id();
            let mut other = tx.clone();
            match &mut other {
                Transaction::Enroll(t) => t.signature.0[0] ^= 1,
                Transaction::Contribute(t) => t.proof.0[0] ^= 1,
                Transaction::Claim(t) => t.proof.0[0] ^= 1,
                Transaction::Attest(t) => t.proof.0[0] ^= 1,
                Transaction::AdvanceEpoch(t) => t.signature.0[0] ^= 1,
                Transaction::SetParams(t) => t.signature.0[0] ^= 1,
            }
            assert_eq!(other.id(), id, "authorization must not change the id");
            assert_ne!(other.encode(), tx.encode());
            let mut changed = tx.clone();
            match &mut changed {
                Transaction::Enroll(t) => t.cm += f(1),
                Transaction::Contribute(t) => t.amount += 1,
                Transaction::Claim(t) => t.recipient.0.push(1),
                Transaction::Attest(t) => t.require_eligible = false,
                Transaction::AdvanceEpoch(t) => t.nonce += 1,
                Transaction::SetParams(t) => t.divisor += 1,
            }
            assert_ne!(changed.id(), id, "content must change the id");
        }
    }

    #[test]
    fn pinned_encoding() {
        // The encoding is consensus: pin one of each shape.
        let tx: Transaction = AdvanceEpoch {
            epoch: 2,
            nonce: 5,
            signature: FixedBytes([0xee; 64]),
        }
        .into();
        let mut expected = vec![1u8, 5];
        expected.extend_from_slice(&2u64.to_be_bytes());
        expected.extend_from_slice(&5u64.to_be_bytes());
        expected.extend_from_slice(&[0xee; 64]);
        assert_eq!(tx.encode(), expected);
        assert_eq!(tx.id().0, <[u8; 32]>::from(Sha256::digest(&expected[..18])));

        let c = &samples()[1];
        let bytes = c.encode();
        assert_eq!(&bytes[..2], &[1, 2]);
        assert_eq!(&bytes[2 + 96..2 + 104], &500u64.to_be_bytes());
        assert_eq!(&bytes[2 + 112..2 + 116], &10u32.to_be_bytes());
        assert_eq!(&bytes[2 + 116..2 + 126], b"employer-7");
        assert_eq!(bytes.len(), 2 + 116 + 10 + PROOF_BYTES);
    }

    #[test]
    fn decoding_refuses_bad_input() {
        let enroll = samples()[0].encode();
        let mut bad_version = enroll.clone();
        bad_version[0] = 2;
        assert!(matches!(
            Transaction::decode(&bad_version),
            Err(DecodeError::Version { got: 2, .. })
        ));
        let mut bad_kind = enroll.clone();
        bad_kind[1] = 7;
        assert_eq!(Transaction::decode(&bad_kind), Err(DecodeError::Kind(7)));
        let mut alias = enroll.clone();
        alias[2..34].copy_from_slice(&[0xff; 32]);
        assert!(matches!(
            Transaction::decode(&alias),
            Err(DecodeError::Field { what: "cm", .. })
        ));
        let attest = samples()[3].encode();
        let bool_at = 2 + 32 * 5 + 8 * 3;
        let mut bad_bool = attest.clone();
        bad_bool[bool_at] = 2;
        assert!(matches!(
            Transaction::decode(&bad_bool),
            Err(DecodeError::Bool { .. })
        ));
        let mut too_long = attest.clone();
        too_long[bool_at + 1..bool_at + 5].copy_from_slice(&1025u32.to_be_bytes());
        assert!(matches!(
            Transaction::decode(&too_long),
            Err(DecodeError::TooLong { len: 1025, .. })
        ));
    }

    #[test]
    fn json_is_strict() {
        let ok = r#"{"type":"advance_epoch","epoch":2,"nonce":0,"signature":"0x"#.to_string()
            + &"00".repeat(64)
            + "\"}";
        serde_json::from_str::<Transaction>(&ok).unwrap();
        let unknown = ok.replace("\"nonce\":0", "\"nonce\":0,\"extra\":1");
        assert!(serde_json::from_str::<Transaction>(&unknown).is_err());
        let p = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
        let enroll = format!(
            r#"{{"type":"enroll","cm":"{p}","signature":"0x{}"}}"#,
            "00".repeat(64)
        );
        let err = serde_json::from_str::<Transaction>(&enroll).unwrap_err();
        assert!(err.to_string().contains("not below"), "{err}");
        let short_proof = serde_json::to_string(&samples()[1])
            .unwrap()
            .replace(&"09".repeat(PROOF_BYTES), &"09".repeat(PROOF_BYTES - 1));
        assert!(serde_json::from_str::<Transaction>(&short_proof).is_err());
    }

    #[test]
    fn from_public_checks_binding() {
        let c = ContributePublic {
            anchor: f(1),
            nf: f(2),
            cm_new: f(3),
            amount: 4,
            epoch: 5,
            cap: 6,
            binding: binding(&chain(), ProofKind::Contribute, b"payer"),
        };
        let tx = Contribute::from_public(&chain(), &c, b"payer".to_vec(), [0; 128]).unwrap();
        let params = Params {
            cap: 6,
            min_periods: 0,
            divisor: 1,
        };
        assert_eq!(tx.public(&chain(), &params), c);
        assert_eq!(
            Contribute::from_public(&chain(), &c, b"other".to_vec(), [0; 128]),
            Err(BuildError::Binding("payer_ref"))
        );
        assert_eq!(
            Contribute::from_public(&ChainId::from_name("x"), &c, b"payer".to_vec(), [0; 128]),
            Err(BuildError::Binding("payer_ref"))
        );
    }
}
