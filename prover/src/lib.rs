//! zkpension's prover side: Groth16 key generation and checked key loading
//! ([`keys`]), multithreaded proving of the four statements ([`mod@prove`]), the
//! member's wallet file ([`wallet`]), the member's side of the ledger
//! ([`member`]), the registrar's and the authority's signatures ([`roles`]),
//! and export to snarkjs's JSON format ([`snarkjs`]). The CLI
//! `zkpension` is built on this library.
//!
//! ```no_run
//! use std::path::Path;
//! use rand_core::OsRng;
//! use zkpension_prover::{example, keys, prove_batch, ProvingKeys};
//! use zkpension_verifier::VerifierKeys;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Once: a key directory (single-party setup; see `keys` on trust).
//! let dir = Path::new("keys");
//! keys::ensure_keys(dir, keys::SetupOptions::default(), &mut |_| {})?;
//!
//! // Load: manifest, circuit digest, sizes and ids are checked first.
//! let keys = ProvingKeys::load(dir)?;
//!
//! // Prove many statements on a pool of the caller's size.
//! let witnesses = vec![
//!     example::contribute_witness(&mut OsRng),
//!     example::claim_witness(&mut OsRng),
//! ];
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(4).build()?;
//! let proofs = pool.install(|| prove_batch(&keys, &witnesses, &mut OsRng));
//!
//! // Anyone checks them with the verifying keys alone.
//! let verifier = VerifierKeys::load_dir(dir)?;
//! for (w, proof) in witnesses.iter().zip(proofs) {
//!     w.proof_file(&proof?).verify(&verifier)?;
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Threads: nothing here builds a thread pool. Proving runs on the caller's
//! rayon pool (the global one unless the caller installs its own); only the CLI
//! sizes a pool (`--threads`).

pub mod ceremony;
pub mod example;
pub mod fsutil;
pub mod groth16;
pub mod keys;
pub mod member;
pub mod msm;
pub mod prove;
pub mod qap;
pub mod roles;
pub mod snarkjs;
pub mod tables_file;
pub mod wallet;

pub use keys::{setup, setup_with, KeyError, ProvingKeys, SetupEvent, SetupOptions};
pub use prove::{prove, prove_batch, ProveError, Witness};
pub use snarkjs::{export_snarkjs, ExportError};
pub use wallet::{Wallet, WalletError};
