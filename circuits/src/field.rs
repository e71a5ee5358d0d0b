//! Canonical encodings of field elements and `u64` values (SPEC §1).
//!
//! A field element is 32 bytes big-endian; in JSON a `0x`-prefixed 64-digit hex
//! string. A value `>= p` is an error, never reduced: a nullifier `nf` and its
//! alias `nf + p` must not both be accepted.

pub use ark_bn254::Fr;
use ark_ff::PrimeField;
use thiserror::Error;

/// Bytes in an encoded field element.
pub const FIELD_BYTES: usize = 32;

/// Why bytes or text are not a canonical field element or `u64`.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum EncodingError {
    #[error("a field element is {expected} bytes, got {got}")]
    Length { expected: usize, got: usize },
    #[error("value is not below the BN254 scalar field modulus p (non-canonical encoding is rejected, never reduced)")]
    NotCanonical,
    #[error("a field element in JSON is \"0x\" followed by 64 hex digits, got {0:?}")]
    Hex(String),
    #[error("value does not fit in 64 bits")]
    NotU64,
}

/// The 32-byte big-endian encoding of `x`.
pub fn to_bytes(x: &Fr) -> [u8; FIELD_BYTES] {
    let mut out = [0u8; FIELD_BYTES];
    // The limbs are little-endian; the bytes big-endian (no allocation: this
    // runs once per matrix entry when a key directory's matrices are checked).
    for (chunk, limb) in out.chunks_exact_mut(8).zip(x.into_bigint().0.iter().rev()) {
        chunk.copy_from_slice(&limb.to_be_bytes());
    }
    out
}

/// Decodes exactly 32 big-endian bytes holding a value below p.
pub fn from_bytes(bytes: &[u8]) -> Result<Fr, EncodingError> {
    if bytes.len() != FIELD_BYTES {
        return Err(EncodingError::Length {
            expected: FIELD_BYTES,
            got: bytes.len(),
        });
    }
    let mut le = [0u8; FIELD_BYTES];
    le.copy_from_slice(bytes);
    le.reverse();
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(le.chunks_exact(8)) {
        *limb = u64::from_le_bytes(chunk.try_into().expect("8-byte chunk"));
    }
    Fr::from_bigint(ark_ff::BigInt(limbs)).ok_or(EncodingError::NotCanonical)
}

/// `0x` + 64 lowercase hex digits.
pub fn to_hex(x: &Fr) -> String {
    format!("0x{}", hex::encode(to_bytes(x)))
}

/// Parses `0x` + exactly 64 hex digits holding a value below p.
pub fn from_hex(s: &str) -> Result<Fr, EncodingError> {
    let digits = s
        .strip_prefix("0x")
        .ok_or_else(|| EncodingError::Hex(s.to_string()))?;
    if digits.len() != 2 * FIELD_BYTES {
        return Err(EncodingError::Hex(s.to_string()));
    }
    let bytes = hex::decode(digits).map_err(|_| EncodingError::Hex(s.to_string()))?;
    from_bytes(&bytes)
}

/// The integer value of `x` if it is below 2^64.
pub fn to_u64(x: &Fr) -> Result<u64, EncodingError> {
    let big = x.into_bigint();
    if big.0[1..].iter().any(|&l| l != 0) {
        return Err(EncodingError::NotU64);
    }
    Ok(big.0[0])
}

/// Serde adapter: a field element as `0x`-prefixed hex, checked when read.
pub mod serde_hex {
    use super::*;
    use serde::{Deserialize, Deserializer, Serializer};

    pub fn serialize<S: Serializer>(x: &Fr, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&to_hex(x))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Fr, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Serde adapter for `Vec<Fr>` as a list of hex strings.
pub mod serde_hex_vec {
    use super::*;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    pub fn serialize<S: Serializer>(xs: &[Fr], s: S) -> Result<S::Ok, S::Error> {
        xs.iter().map(to_hex).collect::<Vec<_>>().serialize(s)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<Fr>, D::Error> {
        let v = Vec::<String>::deserialize(d)?;
        v.iter()
            .map(|s| from_hex(s).map_err(serde::de::Error::custom))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ark_ff::{One, Zero};

    const P_HEX: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

    #[test]
    fn round_trip_and_bounds() {
        for x in [Fr::zero(), Fr::one(), -Fr::one(), Fr::from(u64::MAX)] {
            assert_eq!(from_bytes(&to_bytes(&x)).unwrap(), x);
            assert_eq!(from_hex(&to_hex(&x)).unwrap(), x);
        }
        assert_eq!(from_hex(P_HEX), Err(EncodingError::NotCanonical));
        assert_eq!(
            from_hex("0xff").unwrap_err(),
            EncodingError::Hex("0xff".into())
        );
        assert!(matches!(
            from_bytes(&[0u8; 31]),
            Err(EncodingError::Length { .. })
        ));
        assert!(matches!(
            from_bytes(&[0u8; 33]),
            Err(EncodingError::Length { .. })
        ));
        assert!(from_hex("0X00").is_err());
        assert!(from_hex(&format!("{}0", &to_hex(&Fr::one()))).is_err());
        assert_eq!(to_u64(&Fr::from(u64::MAX)).unwrap(), u64::MAX);
        assert_eq!(
            to_u64(&(Fr::from(u64::MAX) + Fr::one())),
            Err(EncodingError::NotU64)
        );
    }

    #[test]
    fn nullifier_alias_is_rejected() {
        // nf + p fits in 32 bytes for small nf; it must not decode to nf.
        let mut alias = hex::decode(&P_HEX[2..]).unwrap();
        alias[31] += 5;
        assert_eq!(from_bytes(&alias), Err(EncodingError::NotCanonical));
    }
}
