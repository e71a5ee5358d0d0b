//! Distributed key generation without a dealer (RFC 9591 appendix C, as
//! frost-ed25519's `keys::dkg`), round-2 packages sealed with HPKE.

use crate::error::{frost, indices, Error};
use crate::keys::{check_parameters, identifier, index_of, GroupKey, KeyShare};
use crate::{check_label, document, expect_label, hex_bytes, Document, FORMAT};
use frost_ed25519::keys::dkg;
use frost_ed25519::Identifier;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use zeroize::{Zeroize, Zeroizing};

const SEAL_INFO: &[u8] = b"zkpension/threshold/dkg-round2";
const VIEW_TAG: &[u8] = b"zkpension/threshold/dkg-round1-view";

type X25519Secret = <X25519HkdfSha256 as Kem>::PrivateKey;
type X25519Public = <X25519HkdfSha256 as Kem>::PublicKey;
type Encapped = <X25519HkdfSha256 as Kem>::EncappedKey;

/// A FROST error, with the participant it blames named by index.
fn dkg_error(error: frost_ed25519::Error, n: u16, what: &'static str) -> Error {
    match error.culprit().and_then(|c| index_of(&c, n)) {
        Some(culprit) => Error::Culprit { culprit, what },
        None => frost("DKG")(error),
    }
}

fn x25519_secret(bytes: &[u8; 32]) -> Result<X25519Secret, Error> {
    X25519Secret::from_bytes(bytes).map_err(|_| Error::Malformed {
        expected: "dkg-round1-secret",
        detail: "the X25519 secret key is invalid".into(),
    })
}

/// Round 1's public file: broadcast to every other trustee.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round1Public {
    format: String,
    kind: String,
    label: String,
    index: u16,
    min_signers: u16,
    max_signers: u16,
    /// Round-2 packages for this participant are sealed to this key.
    #[serde(with = "hex_bytes")]
    x25519_public: [u8; 32],
    package: dkg::round1::Package,
}
document!(Round1Public, "dkg-round1");

impl Round1Public {
    /// The participant who wrote it.
    pub fn index(&self) -> u16 {
        self.index
    }
    fn validate(&self) -> Result<(), Error> {
        check_parameters(self.index, self.min_signers, self.max_signers)
    }
}

/// Round 1's secret file: kept by its participant until [`dkg_round2`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round1Secret {
    format: String,
    kind: String,
    label: String,
    index: u16,
    min_signers: u16,
    max_signers: u16,
    #[serde(with = "hex_bytes")]
    x25519_secret: [u8; 32],
    package: dkg::round1::SecretPackage,
    /// This participant's own public round-1 package (for the round-1 digest).
    public: dkg::round1::Package,
}
crate::redacted_debug!(Round1Secret);
document!(Round1Secret, "dkg-round1-secret");

impl Round1Secret {
    /// The participant it belongs to.
    pub fn index(&self) -> u16 {
        self.index
    }
    fn validate(&self) -> Result<(), Error> {
        check_parameters(self.index, self.min_signers, self.max_signers)?;
        let p = &self.package;
        if *p.identifier() != identifier(self.index)
            || (*p.min_signers(), *p.max_signers()) != (self.min_signers, self.max_signers)
        {
            return Err(Error::Malformed {
                expected: Self::KIND,
                detail: "its FROST package is not for its index, threshold and trustee count"
                    .into(),
            });
        }
        x25519_secret(&self.x25519_secret).map(drop)
    }
    fn x25519_public(&self) -> Result<[u8; 32], Error> {
        let sk = x25519_secret(&self.x25519_secret)?;
        Ok(X25519HkdfSha256::sk_to_pk(&sk).to_bytes().into())
    }
}

impl Drop for Round1Secret {
    fn drop(&mut self) {
        self.x25519_secret.zeroize();
        self.package.zeroize();
    }
}

/// Round 2's secret file: kept by its participant until [`dkg_finish`].
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round2Secret {
    format: String,
    kind: String,
    label: String,
    index: u16,
    min_signers: u16,
    max_signers: u16,
    #[serde(with = "hex_bytes")]
    x25519_secret: [u8; 32],
    /// Digest of the n round-1 files this participant used.
    #[serde(with = "hex_bytes")]
    round1_digest: [u8; 32],
    package: dkg::round2::SecretPackage,
    public: dkg::round1::Package,
}
crate::redacted_debug!(Round2Secret);
document!(Round2Secret, "dkg-round2-secret");

impl Round2Secret {
    /// The participant it belongs to.
    pub fn index(&self) -> u16 {
        self.index
    }
    fn validate(&self) -> Result<(), Error> {
        check_parameters(self.index, self.min_signers, self.max_signers)?;
        if *self.package.identifier() != identifier(self.index) {
            return Err(Error::Malformed {
                expected: Self::KIND,
                detail: "its FROST package is not for its index".into(),
            });
        }
        x25519_secret(&self.x25519_secret).map(drop)
    }
}

impl Drop for Round2Secret {
    fn drop(&mut self) {
        self.x25519_secret.zeroize();
        self.package.zeroize();
    }
}

/// One participant's round-2 package for one other participant, sealed to
/// the recipient's round-1 X25519 key: may travel over a public channel.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Round2Sealed {
    format: String,
    kind: String,
    label: String,
    from: u16,
    to: u16,
    /// The sender's digest of the n round-1 files (also bound in the HPKE info).
    #[serde(with = "hex_bytes")]
    round1_digest: [u8; 32],
    /// HPKE encapsulated key.
    #[serde(with = "hex_bytes")]
    enc: [u8; 32],
    #[serde(with = "hex_bytes")]
    ciphertext: Vec<u8>,
}
document!(Round2Sealed, "dkg-round2");

impl Round2Sealed {
    /// The sender.
    pub fn from(&self) -> u16 {
        self.from
    }
    /// The recipient.
    pub fn to(&self) -> u16 {
        self.to
    }
    fn validate(&self) -> Result<(), Error> {
        if self.from == 0 || self.to == 0 || self.from == self.to {
            return Err(Error::Malformed {
                expected: Self::KIND,
                detail: format!(
                    "from {} to {} is not a pair of distinct participants",
                    self.from, self.to
                ),
            });
        }
        Ok(())
    }
}

/// Step 1 of the DKG, run by each trustee `index` of `max_signers`: a key
/// needing `min_signers` signatures, named `label`.
pub fn dkg_round1<R: RngCore + CryptoRng>(
    label: &str,
    index: u16,
    min_signers: u16,
    max_signers: u16,
    rng: &mut R,
) -> Result<(Round1Secret, Round1Public), Error> {
    check_label(label)?;
    check_parameters(index, min_signers, max_signers)?;
    let (package, public) = dkg::part1(identifier(index), max_signers, min_signers, &mut *rng)
        .map_err(frost("DKG part 1"))?;
    let (sk, pk) = X25519HkdfSha256::gen_keypair(rng);
    let secret = Round1Secret {
        format: FORMAT.into(),
        kind: Round1Secret::KIND.into(),
        label: label.into(),
        index,
        min_signers,
        max_signers,
        x25519_secret: sk.to_bytes().into(),
        package,
        public: public.clone(),
    };
    let public = Round1Public {
        format: FORMAT.into(),
        kind: Round1Public::KIND.into(),
        label: label.into(),
        index,
        min_signers,
        max_signers,
        x25519_public: pk.to_bytes().into(),
        package: public,
    };
    Ok((secret, public))
}

/// Who runs a DKG step: label, index, t, n, own round-1 package and key.
struct Me<'a> {
    label: &'a str,
    index: u16,
    t: u16,
    n: u16,
    public: &'a dkg::round1::Package,
    x25519_public: [u8; 32],
}

impl Me<'_> {
    /// The other n-1 round-1 files by index (one's own file may be given
    /// too: it is skipped), and the digest of all n.
    fn others<'p>(
        &self,
        publics: &'p [Round1Public],
    ) -> Result<(BTreeMap<u16, &'p Round1Public>, [u8; 32]), Error> {
        let mut others = BTreeMap::new();
        for p in publics {
            expect_label(p, self.label)?;
            if (p.min_signers, p.max_signers) != (self.t, self.n) {
                return Err(Error::Round1(format!(
                    "participant {}'s file is for a {}-of-{} key, yours for {}-of-{}: all trustees must use the same threshold and number",
                    p.index, p.min_signers, p.max_signers, self.t, self.n
                )));
            }
            if p.index == self.index {
                if p.package == *self.public && p.x25519_public == self.x25519_public {
                    continue;
                }
                return Err(Error::Round1(format!(
                    "a file claims to be from participant {0} (you), but it is not your round-1 file: someone else is posing as participant {0}",
                    self.index
                )));
            }
            if others.insert(p.index, p).is_some() {
                return Err(Error::Round1(format!(
                    "two files from participant {0}: keep only the one participant {0} confirms as theirs",
                    p.index
                )));
            }
        }
        let missing: Vec<u16> = (1..=self.n)
            .filter(|i| *i != self.index && !others.contains_key(i))
            .collect();
        if !missing.is_empty() {
            return Err(Error::Round1(format!(
                "missing the file(s) of participant(s) {}: the files of all {} other trustees are needed",
                indices(&missing),
                self.n - 1
            )));
        }
        let mut h = Sha256::new();
        h.update(VIEW_TAG);
        h.update((self.label.len() as u16).to_be_bytes());
        h.update(self.label.as_bytes());
        h.update(self.t.to_be_bytes());
        h.update(self.n.to_be_bytes());
        for i in 1..=self.n {
            let (x25519, package) = match others.get(&i) {
                Some(p) => (&p.x25519_public, &p.package),
                None => (&self.x25519_public, self.public),
            };
            let bytes = package
                .serialize()
                .map_err(frost("round-1 serialization"))?;
            h.update(i.to_be_bytes());
            h.update(x25519);
            h.update((bytes.len() as u32).to_be_bytes());
            h.update(&bytes);
        }
        Ok((others, h.finalize().into()))
    }
}

fn seal_info(label: &str, from: u16, to: u16, digest: &[u8; 32]) -> Vec<u8> {
    [
        SEAL_INFO,
        label.as_bytes(),
        &from.to_be_bytes(),
        &to.to_be_bytes(),
        digest,
    ]
    .concat()
}

fn round1_packages(
    others: &BTreeMap<u16, &Round1Public>,
) -> BTreeMap<Identifier, dkg::round1::Package> {
    others
        .iter()
        .map(|(i, p)| (identifier(*i), p.package.clone()))
        .collect()
}

/// Step 2 of the DKG, given the other trustees' round-1 files: the secret
/// to keep, and one sealed package for each other trustee.
pub fn dkg_round2<R: RngCore + CryptoRng>(
    secret: &Round1Secret,
    publics: &[Round1Public],
    rng: &mut R,
) -> Result<(Round2Secret, Vec<Round2Sealed>), Error> {
    let s = secret;
    let me = Me {
        label: &s.label,
        index: s.index,
        t: s.min_signers,
        n: s.max_signers,
        public: &s.public,
        x25519_public: s.x25519_public()?,
    };
    let (others, digest) = me.others(publics)?;
    let (package, outgoing) = dkg::part2(s.package.clone(), &round1_packages(&others))
        .map_err(|e| dkg_error(e, me.n, "round-1 file (bad proof of knowledge)"))?;
    let mut sealed = Vec::with_capacity(outgoing.len());
    for (id, round2) in outgoing {
        let to = index_of(&id, me.n).expect("FROST answers for the identifiers it was given");
        let plaintext = Zeroizing::new(round2.serialize().map_err(frost("round-2 serialization"))?);
        let unusable = |_| {
            Error::Round1(format!(
                "participant {to}'s X25519 key is unusable: ask for its round-1 file again"
            ))
        };
        let pk = X25519Public::from_bytes(&others[&to].x25519_public).map_err(unusable)?;
        let (enc, ciphertext) =
            hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
                &OpModeS::Base,
                &pk,
                &seal_info(me.label, me.index, to, &digest),
                &plaintext,
                &[],
                rng,
            )
            .map_err(unusable)?;
        sealed.push(Round2Sealed {
            format: FORMAT.into(),
            kind: Round2Sealed::KIND.into(),
            label: me.label.into(),
            from: me.index,
            to,
            round1_digest: digest,
            enc: enc.to_bytes().into(),
            ciphertext,
        });
    }
    let secret = Round2Secret {
        format: FORMAT.into(),
        kind: Round2Secret::KIND.into(),
        label: me.label.into(),
        index: me.index,
        min_signers: me.t,
        max_signers: me.n,
        x25519_secret: s.x25519_secret,
        round1_digest: digest,
        package,
        public: s.public.clone(),
    };
    Ok((secret, sealed))
}

/// Step 3 of the DKG, given the same round-1 files as round 2 and the n-1
/// sealed packages addressed to this trustee: its key share and the group
/// key.
pub fn dkg_finish(
    secret: &Round2Secret,
    publics: &[Round1Public],
    sealed_for_me: &[Round2Sealed],
) -> Result<(KeyShare, GroupKey), Error> {
    let s = secret;
    let sk = x25519_secret(&s.x25519_secret)?;
    let me = Me {
        label: &s.label,
        index: s.index,
        t: s.min_signers,
        n: s.max_signers,
        public: &s.public,
        x25519_public: X25519HkdfSha256::sk_to_pk(&sk).to_bytes().into(),
    };
    let (others, digest) = me.others(publics)?;
    if digest != s.round1_digest {
        return Err(Error::Round1Changed);
    }
    let mut received = BTreeMap::new();
    for p in sealed_for_me {
        expect_label(p, me.label)?;
        if p.to != me.index {
            return Err(Error::NotForMe {
                from: p.from,
                to: p.to,
                me: me.index,
            });
        }
        if !others.contains_key(&p.from) {
            return Err(Error::Round2(format!(
                "a package claims to come from participant {}, who is not one of the other trustees 1 to {}",
                p.from, me.n
            )));
        }
        if received.contains_key(&identifier(p.from)) {
            return Err(Error::Round2(format!(
                "two packages from participant {}: give only one",
                p.from
            )));
        }
        if p.round1_digest != digest {
            return Err(Error::Round1Differs { from: p.from });
        }
        let cannot = |_| Error::CannotOpen {
            from: p.from,
            to: p.to,
        };
        let enc = Encapped::from_bytes(&p.enc).map_err(cannot)?;
        let plaintext = Zeroizing::new(
            hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
                &OpModeR::Base,
                &sk,
                &enc,
                &seal_info(me.label, p.from, p.to, &digest),
                &p.ciphertext,
                &[],
            )
            .map_err(cannot)?,
        );
        let package =
            dkg::round2::Package::deserialize(&plaintext).map_err(|_| Error::CannotOpen {
                from: p.from,
                to: p.to,
            })?;
        received.insert(identifier(p.from), package);
    }
    let missing: Vec<u16> = others
        .keys()
        .copied()
        .filter(|i| !received.contains_key(&identifier(*i)))
        .collect();
    if !missing.is_empty() {
        return Err(Error::Round2(format!(
            "missing the package(s) from participant(s) {}: ask them for their round-2 files addressed to participant {}",
            indices(&missing),
            me.index
        )));
    }
    let (key_package, public_key_package) =
        dkg::part3(&s.package, &round1_packages(&others), &received).map_err(|e| {
            dkg_error(
                e,
                me.n,
                "round-2 package (share not matching its round-1 commitment)",
            )
        })?;
    let group = GroupKey::new(me.label, me.t, me.n, public_key_package)?;
    let share = KeyShare {
        format: FORMAT.into(),
        kind: KeyShare::KIND.into(),
        label: me.label.into(),
        index: me.index,
        min_signers: me.t,
        max_signers: me.n,
        group_key: group.group_key,
        key_package,
    };
    share.validate()?;
    Ok((share, group))
}
