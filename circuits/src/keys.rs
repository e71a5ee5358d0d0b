//! Member keys (SPEC §2): `sk`, the nullifier key `nk = H(NK, sk)` and the
//! address `owner = H(OWNER, sk)`.

use crate::field::Fr;
use crate::poseidon;
use ark_ff::PrimeField;
use rand_core::{CryptoRng, RngCore};
use sha2::{Digest, Sha512};
use zeroize::{Zeroize, ZeroizeOnDrop};

/// Domain tags: the first input of every protocol hash (SPEC §1).
pub mod domain {
    pub const OWNER: u64 = 1;
    pub const NK: u64 = 2;
    pub const NOTE: u64 = 3;
    pub const NF: u64 = 4;
    pub const ATTEST: u64 = 5;
}

/// A member's secret key. Spending needs it; it is zeroized when dropped.
#[derive(Clone, Zeroize, ZeroizeOnDrop)]
pub struct SpendingKey(Fr);

impl std::fmt::Debug for SpendingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SpendingKey(<secret>)")
    }
}

impl SpendingKey {
    /// A fresh key from 32 bytes of OS randomness.
    pub fn random<R: RngCore + CryptoRng>(rng: &mut R) -> Self {
        let mut seed = [0u8; 32];
        rng.fill_bytes(&mut seed);
        let sk = Self::from_seed(&seed);
        seed.zeroize();
        sk
    }

    /// Derives `sk` from seed bytes (32 random bytes, or a seed phrase):
    /// `sk = SHA-512("zkpension/v1/sk" || seed)` read little-endian and reduced
    /// mod p. The 512-bit digest makes the reduction's bias negligible (< 2^-250).
    pub fn from_seed(seed: &[u8]) -> Self {
        let mut h = Sha512::new();
        h.update(b"zkpension/v1/sk");
        h.update(seed);
        let mut digest = h.finalize();
        let sk = Fr::from_le_bytes_mod_order(&digest);
        digest.zeroize();
        SpendingKey(sk)
    }

    /// Wraps a field element as a key (tests, imported wallets).
    pub fn from_field(sk: Fr) -> Self {
        SpendingKey(sk)
    }

    /// The secret scalar. Handle with care.
    pub fn expose(&self) -> Fr {
        self.0
    }

    /// `nk = H(NK, sk)`.
    pub fn nullifier_key(&self) -> Fr {
        nullifier_key(&self.0)
    }

    /// `owner = H(OWNER, sk)`.
    pub fn owner(&self) -> Fr {
        owner(&self.0)
    }
}

/// `nk = H(NK, sk)`.
pub fn nullifier_key(sk: &Fr) -> Fr {
    poseidon::hash(&[Fr::from(domain::NK), *sk])
}

/// `owner = H(OWNER, sk)`.
pub fn owner(sk: &Fr) -> Fr {
    poseidon::hash(&[Fr::from(domain::OWNER), *sk])
}
