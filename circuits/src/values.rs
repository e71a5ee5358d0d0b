//! Typed protocol values (SPEC §2–§4): a nullifier, a note commitment, an
//! anchor (a tree root a spend proves membership under), an attest tag and an
//! attest context are each a field element, but never each other. A function
//! that takes three bare field elements invites swapping them; these types
//! make the compiler refuse it.
//!
//! Each is a newtype with a private field. It is made by its derivation
//! (`Note::commit`, `Note::nullifier`, `AttestTag::derive`,
//! `context_from_text`), read canonically (`from_bytes`, or JSON `0x` + 64
//! hex digits, values `>= p` refused), or wrapped from a field element that is
//! known to be one (`from_field`: a public input, a tree root).

use crate::field::{self, EncodingError, Fr};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use std::fmt;

macro_rules! protocol_value {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
        pub struct $name(Fr);

        impl $name {
            /// Wraps a field element that is this value.
            pub const fn from_field(x: Fr) -> Self {
                Self(x)
            }

            /// The value as a field element (a public input, a hash input).
            pub const fn to_field(&self) -> Fr {
                self.0
            }

            /// The 32-byte big-endian encoding.
            pub fn to_bytes(&self) -> [u8; field::FIELD_BYTES] {
                field::to_bytes(&self.0)
            }

            /// Decodes exactly 32 big-endian bytes below p (never reduced).
            pub fn from_bytes(bytes: &[u8]) -> Result<Self, EncodingError> {
                field::from_bytes(bytes).map(Self)
            }

            /// `0x` + 64 hex digits.
            pub fn to_hex(&self) -> String {
                field::to_hex(&self.0)
            }

            /// Parses `0x` + 64 hex digits below p.
            pub fn from_hex(s: &str) -> Result<Self, EncodingError> {
                field::from_hex(s).map(Self)
            }
        }

        impl From<$name> for Fr {
            fn from(v: $name) -> Fr {
                v.0
            }
        }

        impl From<Fr> for $name {
            fn from(x: Fr) -> Self {
                Self(x)
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.to_hex())
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.to_hex())
            }
        }

        impl Serialize for $name {
            fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                field::serde_hex::serialize(&self.0, s)
            }
        }

        impl<'de> Deserialize<'de> for $name {
            fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
                field::serde_hex::deserialize(d).map(Self)
            }
        }
    };
}

protocol_value!(
    /// `cm = H(NOTE, owner, eligible_epoch, ..., rho, r)` (SPEC §2): a leaf
    /// of the commitment tree.
    NoteCommitment
);
protocol_value!(
    /// `nf = H(NF, nk, rho)` (SPEC §2): revealed when a note is spent.
    Nullifier
);
protocol_value!(
    /// A root of the commitment tree that a spend proves membership under
    /// (SPEC §3): one of the ledger's last `ANCHOR_WINDOW` roots.
    Anchor
);
protocol_value!(
    /// `tag = H(ATTEST, nk, context)` (SPEC §4): a member's pseudonym in one
    /// attest context.
    AttestTag
);
protocol_value!(
    /// An attest context as a field element (SPEC §4); text contexts map to
    /// one with `binding::context_from_text`.
    ContextId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_bytes_and_json() {
        let nf = Nullifier::from_field(Fr::from(7u64));
        assert_eq!(Nullifier::from_bytes(&nf.to_bytes()).unwrap(), nf);
        // p itself is refused, never reduced to 0.
        let mut alias = [0u8; 32];
        alias.copy_from_slice(
            &hex::decode("30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001")
                .unwrap(),
        );
        assert_eq!(
            Nullifier::from_bytes(&alias),
            Err(EncodingError::NotCanonical)
        );
        let json = serde_json::to_string(&nf).unwrap();
        assert_eq!(json, format!("\"{}\"", nf.to_hex()));
        assert_eq!(serde_json::from_str::<Nullifier>(&json).unwrap(), nf);
        assert!(serde_json::from_str::<Nullifier>(
            "\"0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001\""
        )
        .is_err());
    }
}
