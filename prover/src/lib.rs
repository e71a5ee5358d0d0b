//! zkpension's prover side: Groth16 key generation and checked key loading
//! ([`keys`]), multithreaded proving of the three statements ([`prove`]), the
//! member's wallet file ([`wallet`]), and export to snarkjs's JSON format
//! ([`snarkjs`]). The contributor CLI `zkpension` is built on this library.
//!
//! Threads: nothing here builds a thread pool. Proving runs on the caller's
//! rayon pool (the global one unless the caller installs its own); only the CLI
//! sizes a pool (`--threads`).

pub mod example;
pub mod fsutil;
pub mod keys;
pub mod member;
pub mod prove;
pub mod snarkjs;
pub mod wallet;

pub use keys::{setup, setup_with, KeyError, ProvingKeys, SetupEvent, SetupOptions};
pub use prove::{
    prove, prove_attest, prove_batch, prove_claim, prove_contribute, ProveError, Witness,
};
pub use snarkjs::{export_snarkjs, ExportError};
pub use wallet::{Wallet, WalletError};
