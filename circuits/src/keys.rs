//! Member keys (SPEC §2): `sk`, the nullifier key `nk = H(NK, sk)`, the
//! address `owner = H(OWNER, sk)`, the note secret `ns = H(NS, sk)`, and the
//! derivations that make every note opening a function of the key:
//! `rho_0 = H(RHO, ns, k)` for the k-th enrollment and `r = H(RCM, ns, rho)`
//! for every note. With them the key alone rebuilds the account from the
//! public chain; `(owner, nk, ns)` is the [`ViewingKey`].

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
    pub const NS: u64 = 6;
    pub const RHO: u64 = 7;
    pub const RCM: u64 = 8;
    pub const HEIR: u64 = 9;
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
        Self::hashed(b"zkpension/v1/sk", seed)
    }

    /// Derives `sk` from a BIP-39 seed (the 64 bytes PBKDF2 makes of a
    /// mnemonic phrase): `sk = SHA-512("zkpension/v2/sk" || seed)` read
    /// little-endian and reduced mod p.
    pub fn from_bip39_seed(seed: &[u8; 64]) -> Self {
        Self::hashed(b"zkpension/v2/sk", seed)
    }

    /// `SHA-512(domain || seed)` read little-endian and reduced mod p.
    fn hashed(domain: &[u8], seed: &[u8]) -> Self {
        let mut h = Sha512::new();
        h.update(domain);
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

    /// The account's viewing key `(owner, nk, ns)`.
    pub fn viewing_key(&self) -> ViewingKey {
        ViewingKey {
            owner: self.owner(),
            nk: self.nullifier_key(),
            ns: poseidon::hash(&[Fr::from(domain::NS), self.0]),
        }
    }
}

/// What shows an account without the power to change it: the address, the
/// nullifier key and the note secret. With it a wallet finds the account's
/// enrollment among the chain's commitments, recognises each of its notes'
/// nullifiers and recomputes every note opening; every statement proves
/// knowledge of `sk`, which the viewing key does not give.
#[derive(Clone, PartialEq, Eq, Zeroize, ZeroizeOnDrop)]
pub struct ViewingKey {
    /// `owner = H(OWNER, sk)`.
    pub owner: Fr,
    /// `nk = H(NK, sk)`.
    pub nk: Fr,
    /// `ns = H(NS, sk)`: the seed of every note's `rho_0` and `r`.
    pub ns: Fr,
}

impl std::fmt::Debug for ViewingKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ViewingKey(<secret>)")
    }
}

impl ViewingKey {
    /// `rho_0 = H(RHO, ns, k)`: the uniqueness value of the k-th enrollment
    /// note (k = 0 for the first).
    pub fn enrollment_rho(&self, k: u64) -> Fr {
        poseidon::hash(&[Fr::from(domain::RHO), self.ns, Fr::from(k)])
    }

    /// `r = H(RCM, ns, rho)`: the blinding of the note whose uniqueness value
    /// is `rho` (every later `rho` is the nullifier of the note before).
    pub fn note_randomness(&self, rho: &Fr) -> Fr {
        poseidon::hash(&[Fr::from(domain::RCM), self.ns, *rho])
    }

    /// `H(HEIR, ns, rho)`: the mask of the heir of the note whose uniqueness
    /// value is `rho`. A spend publishes `heir_ct = heir + mask` (SPEC §6),
    /// so that the viewing key, and nothing else, recovers the heir.
    pub fn heir_mask(&self, rho: &Fr) -> Fr {
        poseidon::hash(&[Fr::from(domain::HEIR), self.ns, *rho])
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
