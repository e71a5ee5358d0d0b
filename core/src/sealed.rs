//! Payout details sealed to the fund's paying agent (HPKE, RFC 9180).
//!
//! A claim's `recipient` (an IBAN) and a contribution's `payer_ref` link a
//! pensioner to an identity, so a chain whose genesis names a paying agent
//! carries them only as HPKE ciphertexts to the agent's X25519 key: base
//! mode, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, ChaCha20-Poly1305. The
//! proof's `binding` covers the ciphertext bytes exactly as it covered the
//! clear text, so the statements do not change; the node checks the framing
//! and refuses clear text; only the agent can read them.
//!
//! Framing (`docs/SPEC.md`, protocol version 2): `0x01 || enc (32 bytes) ||
//! ciphertext (plaintext + 16-byte tag)`. The HPKE `info` is
//! `"zkpension/v2/sealed" || chain_id || field` with `field` = 1 for a
//! recipient and 2 for a payer reference, so a ciphertext cannot be moved
//! to another chain or another field; `aad` is empty.

use crate::tx::body::MAX_CONTEXT_BYTES;
use hpke::aead::ChaCha20Poly1305;
use hpke::kdf::HkdfSha256;
use hpke::kem::X25519HkdfSha256;
use hpke::{Deserializable, Kem, OpModeR, OpModeS, Serializable};
use rand_core::{CryptoRng, RngCore};
use thiserror::Error;
use zkpension_circuits::binding::ChainId;

/// First byte of a sealed text.
pub const SEALED_VERSION: u8 = 1;
/// Bytes of the encapsulated key.
pub const ENC_BYTES: usize = 32;
/// Bytes of the AEAD tag.
pub const TAG_BYTES: usize = 16;
/// Framing around the plaintext.
pub const SEAL_OVERHEAD: usize = 1 + ENC_BYTES + TAG_BYTES;
/// Longest plaintext that fits a transaction's text field once sealed.
pub const MAX_SEALED_PLAINTEXT: usize = MAX_CONTEXT_BYTES - SEAL_OVERHEAD;

const INFO_PREFIX: &[u8] = b"zkpension/v2/sealed";

/// Which transaction field a sealed text is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SealedField {
    /// A claim's payout destination.
    Recipient = 1,
    /// A contribution's payment reference.
    PayerRef = 2,
}

/// Why a text could not be sealed or opened.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SealError {
    #[error("{len} bytes is too long to seal: at most {MAX_SEALED_PLAINTEXT} bytes")]
    TooLong { len: usize },
    #[error("not a sealed text: {0}")]
    Framing(&'static str),
    #[error("the paying agent's public key is not an X25519 public key")]
    BadKey,
    #[error("cannot open the sealed text: not sealed to this key, for this chain and field")]
    Open,
}

fn info(chain: &ChainId, field: SealedField) -> Vec<u8> {
    let mut info = INFO_PREFIX.to_vec();
    info.extend_from_slice(&chain.0);
    info.push(field as u8);
    info
}

/// The paying agent's key pair (the secret key stays in the agent's key file).
pub struct AgentKey {
    secret: <X25519HkdfSha256 as Kem>::PrivateKey,
    public: [u8; 32],
}

impl AgentKey {
    /// A fresh key pair.
    pub fn generate<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let (secret, public) = X25519HkdfSha256::gen_keypair(rng);
        AgentKey {
            secret,
            public: public.to_bytes().into(),
        }
    }

    /// The key pair of a 32-byte secret key.
    pub fn from_secret(bytes: &[u8; 32]) -> Result<Self, SealError> {
        let secret = <X25519HkdfSha256 as Kem>::PrivateKey::from_bytes(bytes)
            .map_err(|_| SealError::BadKey)?;
        let public = X25519HkdfSha256::sk_to_pk(&secret).to_bytes().into();
        Ok(AgentKey { secret, public })
    }

    /// The secret key's bytes (for the key file).
    pub fn secret_bytes(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.secret.to_bytes().into())
    }

    pub fn public(&self) -> [u8; 32] {
        self.public
    }

    /// Opens a text sealed to this key for `chain` and `field`.
    pub fn open(
        &self,
        chain: &ChainId,
        field: SealedField,
        sealed: &[u8],
    ) -> Result<Vec<u8>, SealError> {
        check_framing(sealed)?;
        let enc = <X25519HkdfSha256 as Kem>::EncappedKey::from_bytes(&sealed[1..1 + ENC_BYTES])
            .map_err(|_| SealError::Framing("bad encapsulated key"))?;
        hpke::single_shot_open::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256>(
            &OpModeR::Base,
            &self.secret,
            &enc,
            &info(chain, field),
            &sealed[1 + ENC_BYTES..],
            &[],
        )
        .map_err(|_| SealError::Open)
    }
}

/// Seals `plaintext` to the paying agent's public key for `chain`/`field`.
pub fn seal<R: RngCore + CryptoRng>(
    agent: &[u8; 32],
    chain: &ChainId,
    field: SealedField,
    plaintext: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, SealError> {
    if plaintext.len() > MAX_SEALED_PLAINTEXT {
        return Err(SealError::TooLong {
            len: plaintext.len(),
        });
    }
    let pk =
        <X25519HkdfSha256 as Kem>::PublicKey::from_bytes(agent).map_err(|_| SealError::BadKey)?;
    let (enc, ct) = hpke::single_shot_seal::<ChaCha20Poly1305, HkdfSha256, X25519HkdfSha256, _>(
        &OpModeS::Base,
        &pk,
        &info(chain, field),
        plaintext,
        &[],
        rng,
    )
    .map_err(|_| SealError::BadKey)?;
    let mut out = Vec::with_capacity(SEAL_OVERHEAD + plaintext.len());
    out.push(SEALED_VERSION);
    out.extend_from_slice(&enc.to_bytes());
    out.extend_from_slice(&ct);
    Ok(out)
}

/// Whether `bytes` is framed as a sealed text (what a node can check
/// without the agent's key).
pub fn check_framing(bytes: &[u8]) -> Result<(), SealError> {
    match bytes.first() {
        None => Err(SealError::Framing("empty")),
        Some(&SEALED_VERSION) if bytes.len() >= SEAL_OVERHEAD => Ok(()),
        Some(&SEALED_VERSION) => Err(SealError::Framing("shorter than its framing")),
        Some(_) => Err(SealError::Framing("unknown version byte")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::OsRng;

    #[test]
    fn sealed_texts_open_only_for_their_key_chain_and_field() {
        let agent = AgentKey::generate(&mut OsRng);
        let chain = ChainId::from_name("fund");
        let iban = b"IBAN DE89 3704 0044 0532 0130 00";
        let sealed = seal(
            &agent.public(),
            &chain,
            SealedField::Recipient,
            iban,
            &mut OsRng,
        )
        .unwrap();
        assert_eq!(sealed.len(), iban.len() + SEAL_OVERHEAD);
        assert!(!sealed.windows(4).any(|w| w == b"IBAN"));
        check_framing(&sealed).unwrap();
        assert_eq!(
            agent.open(&chain, SealedField::Recipient, &sealed).unwrap(),
            iban
        );
        // Another field, another chain, another key, a flipped bit: refused.
        assert_eq!(
            agent.open(&chain, SealedField::PayerRef, &sealed),
            Err(SealError::Open)
        );
        assert_eq!(
            agent.open(
                &ChainId::from_name("other"),
                SealedField::Recipient,
                &sealed
            ),
            Err(SealError::Open)
        );
        let other = AgentKey::generate(&mut OsRng);
        assert_eq!(
            other.open(&chain, SealedField::Recipient, &sealed),
            Err(SealError::Open)
        );
        let mut flipped = sealed.clone();
        *flipped.last_mut().unwrap() ^= 1;
        assert_eq!(
            agent.open(&chain, SealedField::Recipient, &flipped),
            Err(SealError::Open)
        );
        // The secret key's bytes give back the same key.
        let again = AgentKey::from_secret(&agent.secret_bytes()).unwrap();
        assert_eq!(again.public(), agent.public());
    }

    #[test]
    fn framing_and_length_are_checked() {
        assert!(check_framing(b"").is_err());
        assert!(check_framing(b"IBAN DE89 3704 0044 0532 0130 00 and more text").is_err());
        assert!(check_framing(&[SEALED_VERSION; SEAL_OVERHEAD - 1]).is_err());
        assert!(check_framing(&[SEALED_VERSION; SEAL_OVERHEAD]).is_ok());
        let agent = AgentKey::generate(&mut OsRng);
        let chain = ChainId::from_name("fund");
        let long = vec![b'x'; MAX_SEALED_PLAINTEXT + 1];
        assert!(matches!(
            seal(
                &agent.public(),
                &chain,
                SealedField::PayerRef,
                &long,
                &mut OsRng
            ),
            Err(SealError::TooLong { .. })
        ));
        let max = vec![b'x'; MAX_SEALED_PLAINTEXT];
        let sealed = seal(
            &agent.public(),
            &chain,
            SealedField::PayerRef,
            &max,
            &mut OsRng,
        )
        .unwrap();
        assert_eq!(sealed.len(), MAX_CONTEXT_BYTES);
    }
}
