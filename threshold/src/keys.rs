//! What a DKG leaves each trustee: its secret [`KeyShare`] and the public
//! [`GroupKey`] they all share.

use crate::error::{frost, Error};
use crate::{document, hex_bytes, Document, FORMAT};
use frost_ed25519::keys::{KeyPackage, PublicKeyPackage};
use frost_ed25519::Identifier;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zeroize::Zeroize;

/// FROST identifier of participant `index` (1..=n).
pub(crate) fn identifier(index: u16) -> Identifier {
    Identifier::try_from(index).expect("participant indices are checked to be at least 1")
}

/// Participant index of a FROST identifier, among 1..=n.
pub(crate) fn index_of(id: &Identifier, n: u16) -> Option<u16> {
    (1..=n).find(|&i| identifier(i) == *id)
}

/// Checks 2 <= t <= n <= 255 and 1 <= index <= n.
pub(crate) fn check_parameters(index: u16, t: u16, n: u16) -> Result<(), Error> {
    let fail = |m: String| Err(Error::Parameters(m));
    if t <= 1 && n <= 1 {
        return fail(format!("{t}-of-{n} is not a threshold key and needs no DKG: use a plain Ed25519 key for development"));
    }
    if t < 2 {
        return fail(format!(
            "a threshold of {t} would let a single trustee sign: the threshold must be at least 2"
        ));
    }
    if t > n {
        return fail(format!("a threshold of {t} can never be met by {n} trustees: the threshold must be at most the number of trustees"));
    }
    if n > 255 {
        return fail(format!("{n} trustees is too many: at most 255"));
    }
    if index == 0 || index > n {
        return fail(format!(
            "participant index {index} is out of range: trustees are numbered 1 to {n}"
        ));
    }
    Ok(())
}

/// A trustee's share of the group key: secret, kept by its trustee.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyShare {
    pub(crate) format: String,
    pub(crate) kind: String,
    pub(crate) label: String,
    pub(crate) index: u16,
    pub(crate) min_signers: u16,
    pub(crate) max_signers: u16,
    #[serde(with = "hex_bytes")]
    pub(crate) group_key: [u8; 32],
    pub(crate) key_package: KeyPackage,
}
crate::redacted_debug!(KeyShare);
document!(KeyShare, "key-share");

impl KeyShare {
    /// The trustee it belongs to.
    pub fn index(&self) -> u16 {
        self.index
    }
    /// The group's Ed25519 public key.
    pub fn ed25519_public_key(&self) -> [u8; 32] {
        self.group_key
    }
    pub(crate) fn validate(&self) -> Result<(), Error> {
        check_parameters(self.index, self.min_signers, self.max_signers)?;
        let k = &self.key_package;
        let key = k
            .verifying_key()
            .serialize()
            .map_err(frost("key serialization"))?;
        if *k.identifier() != identifier(self.index)
            || *k.min_signers() != self.min_signers
            || key != self.group_key
        {
            return Err(Error::Malformed {
                expected: Self::KIND,
                detail: "its FROST key package does not match its index, threshold or group key"
                    .into(),
            });
        }
        Ok(())
    }
}

impl Drop for KeyShare {
    fn drop(&mut self) {
        self.key_package.zeroize();
    }
}

/// The group's public key: identical for every trustee, public.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GroupKey {
    pub(crate) format: String,
    pub(crate) kind: String,
    pub(crate) label: String,
    pub(crate) min_signers: u16,
    pub(crate) max_signers: u16,
    /// The Ed25519 public key signatures verify under.
    #[serde(with = "hex_bytes")]
    pub(crate) group_key: [u8; 32],
    /// Every trustee's verifying share (to check signature shares).
    pub(crate) public_key_package: PublicKeyPackage,
}
document!(GroupKey, "group-key");

impl GroupKey {
    pub(crate) fn new(
        label: &str,
        t: u16,
        n: u16,
        public_key_package: PublicKeyPackage,
    ) -> Result<Self, Error> {
        let key = public_key_package
            .verifying_key()
            .serialize()
            .map_err(frost("key serialization"))?;
        let group = GroupKey {
            format: FORMAT.into(),
            kind: Self::KIND.into(),
            label: label.into(),
            min_signers: t,
            max_signers: n,
            group_key: key.try_into().map_err(|_| Error::Malformed {
                expected: Self::KIND,
                detail: "the group key is not 32 bytes".into(),
            })?,
            public_key_package,
        };
        group.validate()?;
        Ok(group)
    }
    /// The group's Ed25519 public key (checked valid and not of small order).
    pub fn ed25519_public_key(&self) -> [u8; 32] {
        self.group_key
    }
    /// The threshold t.
    pub fn min_signers(&self) -> u16 {
        self.min_signers
    }
    /// The number of trustees n.
    pub fn max_signers(&self) -> u16 {
        self.max_signers
    }
    /// Hex SHA-256 of the whole document, for the trustees to compare by a
    /// trusted channel after the DKG.
    pub fn fingerprint(&self) -> Result<String, Error> {
        Ok(hex::encode(Sha256::digest(crate::to_json(self)?)))
    }
    pub(crate) fn validate(&self) -> Result<(), Error> {
        let (t, n) = (self.min_signers, self.max_signers);
        check_parameters(1, t, n)?;
        let bad = |detail: &str| Error::Malformed {
            expected: Self::KIND,
            detail: detail.into(),
        };
        let key = self
            .public_key_package
            .verifying_key()
            .serialize()
            .map_err(frost("key serialization"))?;
        if key != self.group_key {
            return Err(bad("group_key differs from the FROST public key package's"));
        }
        let ids: Vec<Identifier> = self
            .public_key_package
            .verifying_shares()
            .keys()
            .copied()
            .collect();
        if ids != (1..=n).map(identifier).collect::<Vec<_>>() {
            return Err(bad("the verifying shares are not those of trustees 1 to n"));
        }
        match ed25519_dalek::VerifyingKey::from_bytes(&self.group_key) {
            Ok(vk) if !vk.is_weak() => Ok(()),
            _ => Err(bad(
                "group_key is not a valid Ed25519 public key of large order",
            )),
        }
    }
}
