//! Groth16 keys: generation ([`setup`]) and checked loading ([`ProvingKeys::load`]).
//!
//! A key directory is the verifier's format (`zkpension_verifier` key
//! directories): for each statement `<statement>.pk` and `<statement>.vk`, and
//! one `manifest.json` ([`KeyManifest`]) giving each file's size and id
//! (SHA-256 of its bytes), the statement version, the public-input names, and
//! the constraint count and digest of the circuit the keys were made for.
//!
//! File encodings:
//! - `.vk`: compressed canonical `ark_groth16::VerifyingKey<Bn254>`, read with
//!   every check (on the curve, in the subgroup, canonical, non-degenerate) by
//!   [`zkpension_verifier::VerifyingKey::from_bytes`].
//! - `.pk`: **uncompressed** `ark_groth16::ProvingKey<Bn254>`. A proving key
//!   holds about five points per circuit variable; decompressing them (one
//!   square root each) and checking subgroup membership would cost seconds per
//!   load. The file is instead read with arkworks' unchecked mode, which only
//!   parses coordinates, and this is sound because its SHA-256 was compared
//!   with the manifest first: the bytes are exactly what [`setup`] wrote from
//!   valid points. Beyond the id, the loader checks that the proving key embeds
//!   the (fully checked) verifying key and that its vectors have the lengths
//!   this build's circuit needs, and every proof is verified before it is
//!   returned (see [`mod@crate::prove`]).
//!
//! # Trust
//!
//! **[`setup`] is a single-party setup.** Whoever runs it learns the toxic waste
//! (alpha, beta, gamma, delta, tau) while it runs and could forge proofs for
//! every statement if they kept it: pensions could be claimed from accounts
//! that hold nothing. Keys made this way are only as trustworthy as the party
//! that made them and the machine they were made on. A production deployment
//! needs a multi-party ceremony (a powers-of-tau ceremony followed by a
//! circuit-specific phase 2) whose result is imported into this format.
//!
//! **Keys from a seed ([`SetupOptions::seed`]) are for reproducible tests
//! only.** Anyone who knows the seed can recompute the toxic waste and forge
//! proofs. The manifest's `setup` field says which kind of setup made the keys.
//!
//! # Where things are
//!
//! - `circuits`: this build's circuit of each statement: counts and digest
//!   as pinned ([`circuit_info`]), R1CS matrices read from the key
//!   directory's `<statement>.r1cs` or built, once per process
//!   ([`circuit_in`], [`circuit`]).
//! - `setup`: key generation ([`setup`], [`setup_with`]).
//! - `manifest`: reading, writing and checking `manifest.json`
//!   ([`read_manifest`], [`write_manifest`], [`check_manifest`]).
//! - `load`: loading keys checked by size, id and shape ([`ProvingKeys`],
//!   [`StatementKeys`]).
//! - `tables`: the lifecycle of a key's prover-tables file: read, else built
//!   and saved ([`StatementKeys::tables`], [`TablesOrigin`]).
//! - `home`: the default key directory, making sure a directory holds keys
//!   under a lock file ([`ensure_keys`]), and the cached test keys
//!   ([`test_keys`]).
//! - `error`: [`KeyError`].
//!
//! [`KeyManifest`]: zkpension_verifier::KeyManifest

mod circuits;
mod error;
mod home;
mod load;
mod manifest;
mod setup;
mod tables;

pub use circuits::{
    circuit, circuit_in, circuit_info, hex_digest, matrices_file_name, Circuit, MatricesOrigin,
    STORED_SHA256,
};
pub use error::KeyError;
pub use home::{default_home, default_keys_dir, ensure_keys, test_keys, Ensured, TEST_SEED};
pub use load::{ProvingKeys, StatementKeys, PK_ENCODING};
pub use manifest::{check_manifest, read_manifest, write_manifest};
pub use setup::{
    setup, setup_with, write_ceremony_keys, SetupEvent, SetupOptions, SETUP_CEREMONY, SETUP_SEEDED,
    SETUP_SINGLE_PARTY,
};
pub use tables::{tables_file_name, TablesOrigin};

/// Permission bits of key files and the manifest.
const KEY_FILE_MODE: u32 = 0o644;
