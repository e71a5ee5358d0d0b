//! Byte strings that appear in JSON as `0x`-prefixed lowercase hex.
//!
//! Parsing is strict: the `0x` prefix is required, the digit count must match a
//! fixed size exactly, and odd digit counts are refused.

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;
use std::str::FromStr;
use thiserror::Error;

/// Text that is not `0x`-prefixed hex of the expected size.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum HexError {
    #[error("expected \"0x\" followed by hex digits")]
    Prefix,
    #[error("invalid hex digits")]
    Digits,
    #[error("expected {expected} bytes ({} hex digits), got {got} bytes", 2 * expected)]
    Length { expected: usize, got: usize },
    #[error("at most {max} bytes are allowed, got {got}")]
    TooLong { max: usize, got: usize },
}

/// Decodes `0x` + an even number of hex digits.
pub fn decode_hex(s: &str) -> Result<Vec<u8>, HexError> {
    let digits = s.strip_prefix("0x").ok_or(HexError::Prefix)?;
    hex::decode(digits).map_err(|_| HexError::Digits)
}

/// Encodes bytes as `0x` + lowercase hex.
pub fn encode_hex(bytes: &[u8]) -> String {
    format!("0x{}", hex::encode(bytes))
}

/// A compressed Groth16 proof over BN254.
pub const PROOF_BYTES: usize = 128;
/// An Ed25519 signature.
pub const SIGNATURE_BYTES: usize = 64;

/// A 32-byte hash (transaction ids, block hashes, state roots, key ids).
pub type Hash32 = FixedBytes<32>;
/// A transaction id: SHA-256 of the encoding without the authorization.
pub type TxId = Hash32;
/// The 128 bytes of a compressed Groth16 proof, not yet decoded.
pub type ProofBytes = FixedBytes<PROOF_BYTES>;
/// The 64 bytes of an Ed25519 signature.
pub type SignatureBytes = FixedBytes<SIGNATURE_BYTES>;
/// The 32 bytes of an Ed25519 public key.
pub type PublicKeyBytes = FixedBytes<32>;

/// Exactly `N` bytes; JSON `0x` + `2N` hex digits.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct FixedBytes<const N: usize>(pub [u8; N]);

impl<const N: usize> FixedBytes<N> {
    pub fn to_hex(&self) -> String {
        encode_hex(&self.0)
    }
}

impl<const N: usize> Default for FixedBytes<N> {
    fn default() -> Self {
        FixedBytes([0u8; N])
    }
}

impl<const N: usize> FromStr for FixedBytes<N> {
    type Err = HexError;
    fn from_str(s: &str) -> Result<Self, HexError> {
        let v = decode_hex(s)?;
        let got = v.len();
        v.try_into()
            .map(FixedBytes)
            .map_err(|_| HexError::Length { expected: N, got })
    }
}

impl<const N: usize> fmt::Display for FixedBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl<const N: usize> fmt::Debug for FixedBytes<N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.to_hex())
    }
}

impl<const N: usize> Serialize for FixedBytes<N> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de, const N: usize> Deserialize<'de> for FixedBytes<N> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A variable-length byte string; JSON `0x` + hex (`"0x"` is empty).
#[derive(Clone, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct HexBytes(pub Vec<u8>);

impl HexBytes {
    pub fn as_slice(&self) -> &[u8] {
        &self.0
    }
}

impl From<Vec<u8>> for HexBytes {
    fn from(v: Vec<u8>) -> Self {
        HexBytes(v)
    }
}

impl From<&[u8]> for HexBytes {
    fn from(v: &[u8]) -> Self {
        HexBytes(v.to_vec())
    }
}

impl fmt::Debug for HexBytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&encode_hex(&self.0))
    }
}

impl Serialize for HexBytes {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&encode_hex(&self.0))
    }
}

impl<'de> Deserialize<'de> for HexBytes {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        decode_hex(&s)
            .map(HexBytes)
            .map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strict_parsing() {
        let x: FixedBytes<2> = "0x0aff".parse().unwrap();
        assert_eq!(x.0, [0x0a, 0xff]);
        assert_eq!(x.to_string(), "0x0aff");
        assert_eq!("0aff".parse::<FixedBytes<2>>(), Err(HexError::Prefix));
        assert_eq!(
            "0x0aff00".parse::<FixedBytes<2>>(),
            Err(HexError::Length {
                expected: 2,
                got: 3
            })
        );
        assert_eq!("0x0af".parse::<FixedBytes<2>>(), Err(HexError::Digits));
        assert_eq!("0xzzzz".parse::<FixedBytes<2>>(), Err(HexError::Digits));
        let b: HexBytes = serde_json::from_str("\"0x\"").unwrap();
        assert!(b.0.is_empty());
        assert_eq!(
            serde_json::to_string(&HexBytes(vec![1, 2])).unwrap(),
            "\"0x0102\""
        );
        assert!(serde_json::from_str::<HexBytes>("\"0x1\"").is_err());
    }
}
