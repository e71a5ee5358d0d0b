//! Two-round FROST signing (RFC 9591 section 5) and aggregation.

use crate::error::{frost, indices, signer_list, Error};
use crate::keys::{identifier, index_of, GroupKey, KeyShare};
use crate::{document, expect_label, hex_bytes, redacted_debug, Document, FORMAT};
use frost_ed25519::{round1, round2, Identifier};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use zeroize::Zeroize;

const PACKAGE_TAG: &[u8] = b"zkpension/threshold/signing-package";

/// A signer's nonces for one signing: secret and single-use.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningNonces {
    format: String,
    kind: String,
    label: String,
    index: u16,
    #[serde(with = "hex_bytes")]
    group_key: [u8; 32],
    nonces: round1::SigningNonces,
}
redacted_debug!(SigningNonces);
document!(SigningNonces, "signing-nonces");

impl SigningNonces {
    /// The signer.
    pub fn index(&self) -> u16 {
        self.index
    }
    fn validate(&self) -> Result<(), Error> {
        nonzero(self.index, Self::KIND)
    }
}

impl Drop for SigningNonces {
    fn drop(&mut self) {
        self.nonces.zeroize();
    }
}

/// A signer's commitment to its nonces: for the coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningCommitment {
    format: String,
    kind: String,
    label: String,
    index: u16,
    #[serde(with = "hex_bytes")]
    group_key: [u8; 32],
    commitments: round1::SigningCommitments,
}
document!(SigningCommitment, "signing-commitment");

impl SigningCommitment {
    /// The signer.
    pub fn index(&self) -> u16 {
        self.index
    }
    fn validate(&self) -> Result<(), Error> {
        nonzero(self.index, Self::KIND)
    }
}

/// What the signers sign: the message and every signer's commitment.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SigningPackage {
    format: String,
    kind: String,
    label: String,
    #[serde(with = "hex_bytes")]
    group_key: [u8; 32],
    #[serde(with = "hex_bytes")]
    message: Vec<u8>,
    /// SHA-256 of the message, for display.
    #[serde(with = "hex_bytes")]
    message_sha256: [u8; 32],
    /// Commitments by signer index.
    commitments: BTreeMap<u16, round1::SigningCommitments>,
}
document!(SigningPackage, "signing-package");

impl SigningPackage {
    /// The message to be signed.
    pub fn message(&self) -> &[u8] {
        &self.message
    }
    /// Its SHA-256.
    pub fn message_sha256(&self) -> [u8; 32] {
        self.message_sha256
    }
    /// The signers, ascending.
    pub fn signers(&self) -> Vec<u16> {
        self.commitments.keys().copied().collect()
    }
    fn validate(&self) -> Result<(), Error> {
        if Sha256::digest(&self.message)[..] != self.message_sha256 {
            return Err(Error::Malformed {
                expected: Self::KIND,
                detail: "message_sha256 is not the SHA-256 of the message: the package was altered"
                    .into(),
            });
        }
        self.commitments
            .keys()
            .try_for_each(|i| nonzero(*i, Self::KIND))
    }
    fn frost(&self) -> frost_ed25519::SigningPackage {
        let commitments = self
            .commitments
            .iter()
            .map(|(i, c)| (identifier(*i), *c))
            .collect();
        frost_ed25519::SigningPackage::new(commitments, &self.message)
    }
    /// Digest binding a signature share to this package.
    fn digest(&self) -> Result<[u8; 32], Error> {
        let bytes = self
            .frost()
            .serialize()
            .map_err(frost("signing package serialization"))?;
        Ok(Sha256::new()
            .chain_update(PACKAGE_TAG)
            .chain_update(self.group_key)
            .chain_update(bytes)
            .finalize()
            .into())
    }
}

/// A signer's share of the signature: for the coordinator.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignatureShare {
    format: String,
    kind: String,
    label: String,
    index: u16,
    #[serde(with = "hex_bytes")]
    group_key: [u8; 32],
    /// Digest of the signing package it was made for.
    #[serde(with = "hex_bytes")]
    package_digest: [u8; 32],
    share: round2::SignatureShare,
}
document!(SignatureShare, "signature-share");

impl SignatureShare {
    /// The signer.
    pub fn index(&self) -> u16 {
        self.index
    }
    fn validate(&self) -> Result<(), Error> {
        nonzero(self.index, Self::KIND)
    }
}

fn nonzero(index: u16, kind: &'static str) -> Result<(), Error> {
    if index == 0 {
        return Err(Error::Malformed {
            expected: kind,
            detail: "signer index 0: signers are numbered from 1".into(),
        });
    }
    Ok(())
}

fn same_key(
    expected: &[u8; 32],
    found: &[u8; 32],
    what: impl FnOnce() -> String,
) -> Result<(), Error> {
    if expected == found {
        return Ok(());
    }
    Err(Error::WrongGroupKey {
        what: what(),
        expected: hex::encode(expected),
        found: hex::encode(found),
    })
}

/// Signing round 1, by each signer: nonces to keep (secret, single-use) and
/// the commitment to send to the coordinator.
pub fn commit<R: RngCore + CryptoRng>(
    share: &KeyShare,
    rng: &mut R,
) -> (SigningNonces, SigningCommitment) {
    let (nonces, commitments) = round1::commit(share.key_package.signing_share(), rng);
    let nonces = SigningNonces {
        format: FORMAT.into(),
        kind: SigningNonces::KIND.into(),
        label: share.label.clone(),
        index: share.index,
        group_key: share.group_key,
        nonces,
    };
    let commitment = SigningCommitment {
        format: FORMAT.into(),
        kind: SigningCommitment::KIND.into(),
        label: share.label.clone(),
        index: share.index,
        group_key: share.group_key,
        commitments,
    };
    (nonces, commitment)
}

/// By the coordinator: the package for signing `message`, from the
/// commitments of at least t distinct trustees.
pub fn signing_package(
    group: &GroupKey,
    message: &[u8],
    commitments: &[SigningCommitment],
) -> Result<SigningPackage, Error> {
    let (t, n) = (group.min_signers, group.max_signers);
    let mut map = BTreeMap::new();
    for c in commitments {
        expect_label(c, &group.label)?;
        same_key(&group.group_key, &c.group_key, || {
            format!("the commitment of signer {}", c.index)
        })?;
        if c.index == 0 || c.index > n {
            return Err(Error::Signers(format!(
                "a commitment from signer {}, who is not one of the {n} trustees of the key \"{}\"",
                c.index, group.label
            )));
        }
        if map.insert(c.index, c.commitments).is_some() {
            return Err(Error::Signers(format!(
                "two commitments from signer {}: give only the one it sent for this signing",
                c.index
            )));
        }
    }
    if map.len() < usize::from(t) {
        return Err(Error::NotEnoughSigners {
            needed: t,
            total: n,
            signers: map.keys().copied().collect(),
        });
    }
    Ok(SigningPackage {
        format: FORMAT.into(),
        kind: SigningPackage::KIND.into(),
        label: group.label.clone(),
        group_key: group.group_key,
        message: message.to_vec(),
        message_sha256: Sha256::digest(message).into(),
        commitments: map,
    })
}

/// Signing round 2, by each signer in the package: consumes its nonces.
pub fn sign_share(
    share: &KeyShare,
    nonces: SigningNonces,
    package: &SigningPackage,
) -> Result<SignatureShare, Error> {
    expect_label(&nonces, &share.label)?;
    expect_label(package, &share.label)?;
    same_key(&share.group_key, &nonces.group_key, || {
        "these nonces".into()
    })?;
    same_key(&share.group_key, &package.group_key, || {
        "this signing package".into()
    })?;
    if nonces.index != share.index {
        return Err(Error::Signers(format!(
            "these nonces are signer {}'s, but the key share is signer {}'s: use your own nonces",
            nonces.index, share.index
        )));
    }
    let Some(commitment) = package.commitments.get(&share.index) else {
        return Err(Error::Signers(format!(
            "signer {} is not in this signing package (its {}): ask the coordinator for the package that includes your commitment",
            share.index,
            signer_list(&package.signers())
        )));
    };
    if nonces.nonces.commitments() != commitment {
        return Err(Error::NoncesMismatch { index: share.index });
    }
    if package.commitments.len() < usize::from(share.min_signers) {
        return Err(Error::NotEnoughSigners {
            needed: share.min_signers,
            total: share.max_signers,
            signers: package.signers(),
        });
    }
    let signature = round2::sign(&package.frost(), &nonces.nonces, &share.key_package)
        .map_err(frost("signing"))?;
    drop(nonces);
    Ok(SignatureShare {
        format: FORMAT.into(),
        kind: SignatureShare::KIND.into(),
        label: share.label.clone(),
        index: share.index,
        group_key: share.group_key,
        package_digest: package.digest()?,
        share: signature,
    })
}

/// By the coordinator: the Ed25519 signature from a share of every signer
/// in the package, checked with `verify_strict` under the group key.
pub fn aggregate(
    group: &GroupKey,
    package: &SigningPackage,
    shares: &[SignatureShare],
) -> Result<[u8; 64], Error> {
    let n = group.max_signers;
    expect_label(package, &group.label)?;
    same_key(&group.group_key, &package.group_key, || {
        "this signing package".into()
    })?;
    let signers = package.signers();
    if signers.len() < usize::from(group.min_signers) {
        return Err(Error::NotEnoughSigners {
            needed: group.min_signers,
            total: n,
            signers,
        });
    }
    if let Some(outsider) = signers.iter().find(|i| **i > n) {
        return Err(Error::Signers(format!(
            "the package names signer {outsider}, who is not one of the {n} trustees"
        )));
    }
    let digest = package.digest()?;
    let mut map: BTreeMap<Identifier, round2::SignatureShare> = BTreeMap::new();
    for s in shares {
        expect_label(s, &group.label)?;
        same_key(&group.group_key, &s.group_key, || {
            format!("the signature share of signer {}", s.index)
        })?;
        if !package.commitments.contains_key(&s.index) {
            return Err(Error::Signers(format!(
                "a signature share from signer {}, who is not in this signing package (its {})",
                s.index,
                signer_list(&signers)
            )));
        }
        if s.package_digest != digest {
            return Err(Error::Signers(format!(
                "the signature share of signer {} was made for another signing package: ask it to sign this one",
                s.index
            )));
        }
        if map.insert(identifier(s.index), s.share).is_some() {
            return Err(Error::Signers(format!(
                "two signature shares from signer {}: give one",
                s.index
            )));
        }
    }
    let missing: Vec<u16> = signers
        .iter()
        .copied()
        .filter(|i| !map.contains_key(&identifier(*i)))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Signers(format!(
            "no signature share yet from signer(s) {}: every signer in the package ({}) must send one",
            indices(&missing),
            indices(&signers)
        )));
    }
    let signature = frost_ed25519::aggregate(&package.frost(), &map, &group.public_key_package)
        .map_err(|e| match e {
            frost_ed25519::Error::InvalidSignatureShare { culprit } => {
                match index_of(&culprit, n) {
                    Some(culprit) => Error::InvalidShare { culprit },
                    None => frost("aggregation")(e),
                }
            }
            _ => frost("aggregation")(e),
        })?;
    let bad = || Error::BadSignature {
        key: hex::encode(group.group_key),
    };
    let bytes: [u8; 64] = signature
        .serialize()
        .map_err(frost("signature serialization"))?
        .try_into()
        .map_err(|_| bad())?;
    let key = ed25519_dalek::VerifyingKey::from_bytes(&group.group_key).map_err(|_| bad())?;
    key.verify_strict(
        &package.message,
        &ed25519_dalek::Signature::from_bytes(&bytes),
    )
    .map_err(|_| bad())?;
    Ok(bytes)
}
