//! The `binding` public input (SPEC §4) and the chain id it commits to.

use crate::field::Fr;
use ark_ff::PrimeField;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// Transaction kinds that carry a proof, as the one `kind` byte of the binding.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ProofKind {
    Contribute = 1,
    Claim = 2,
    Attest = 3,
    /// An heir's lump-sum payout: the context is the recipient.
    Inherit = 4,
    /// A Contribute with a subsidy match: the context is `matched` (8 bytes
    /// big-endian) followed by the payment reference.
    MatchedContribute = 5,
}

/// A chain id: exactly 32 bytes.
///
/// SPEC §4 and §5 concatenate `chain_id` with variable-length data and leave its
/// encoding open. A variable-length chain id would make the concatenation
/// ambiguous (`"ab" || 1 || ..` vs `"a" || ..`), so zkpension fixes it at 32
/// bytes; a human-readable chain name maps to `SHA-256("zkpension/v1/chain" || name)`.
/// See `docs/PROTOCOL.md`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ChainId(#[serde(with = "hex_32")] pub [u8; 32]);

impl ChainId {
    /// The chain id of a named chain.
    pub fn from_name(name: &str) -> Self {
        let mut h = Sha256::new();
        h.update(b"zkpension/v1/chain");
        h.update(name.as_bytes());
        ChainId(h.finalize().into())
    }
}

/// `binding = first 31 bytes, read as a little-endian integer, of
/// SHA-256("zkpension/v1/binding" || chain_id || kind || context_bytes)`.
/// 31 bytes (248 bits) always fit below p, so no reduction ever happens.
pub fn binding(chain_id: &ChainId, kind: ProofKind, context: &[u8]) -> Fr {
    let mut h = Sha256::new();
    h.update(b"zkpension/v1/binding");
    h.update(chain_id.0);
    h.update([kind as u8]);
    h.update(context);
    let digest = h.finalize();
    Fr::from_le_bytes_mod_order(&digest[..31])
}

/// Maps text to a field element the same way (first 31 bytes, little-endian, of
/// `SHA-256(domain || text)`); used for attest contexts given as text.
pub fn text_to_field(domain: &[u8], text: &[u8]) -> Fr {
    let mut h = Sha256::new();
    h.update(domain);
    h.update(text);
    Fr::from_le_bytes_mod_order(&h.finalize()[..31])
}

/// Domain of attest contexts given as text (`docs/PROTOCOL.md`).
pub const CONTEXT_DOMAIN: &[u8] = b"zkpension/v1/context";

/// The attest context of a text (`landlord:flat-12`).
pub fn context_from_text(text: &str) -> crate::values::ContextId {
    crate::values::ContextId::from_field(text_to_field(CONTEXT_DOMAIN, text.as_bytes()))
}

/// Serde for 32 raw bytes as `0x` + 64 hex digits.
pub mod hex_32 {
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(b: &[u8; 32], s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format!("0x{}", hex::encode(b)))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<[u8; 32], D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        let digits = s
            .strip_prefix("0x")
            .ok_or_else(|| serde::de::Error::custom("expected 0x followed by 64 hex digits"))?;
        let v = hex::decode(digits).map_err(serde::de::Error::custom)?;
        v.try_into()
            .map_err(|_| serde::de::Error::custom("expected 32 bytes"))
    }
}
