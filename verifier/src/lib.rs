//! zkpension's embeddable Groth16 verifier (BN254).
//!
//! A ledger node links this crate and the native side of
//! `zkpension-circuits`, never the constraint-system stack. It gives:
//!
//! - checked decoding of untrusted proofs ([`Proof::from_bytes`]: exactly 128
//!   bytes, canonical coordinates, on the curve, in the prime-order subgroup,
//!   G2 included) and public inputs ([`decode_public_inputs`]: canonical field
//!   elements, the statement's exact count);
//! - verifying keys loaded from a key directory whose manifest pins every
//!   file's size and SHA-256 id, checked before a byte is deserialized
//!   ([`VerifierKeys::load_dir`], [`VerifierKeys::load_dir_expecting`]); a key
//!   of another statement or circuit version is refused;
//! - single verification ([`VerifyingKey::verify`]) that checks the number of
//!   public inputs (arkworks' own verifier treats a missing input as zero and
//!   ignores extra ones) and returns a typed [`VerifyError`];
//! - batch verification of any mix of statements with one final
//!   exponentiation ([`batch_verify`]), which on failure names exactly the bad
//!   proofs.
//!
//! # Embedding it in a node
//!
//! ```no_run
//! use std::collections::BTreeMap;
//! use std::path::Path;
//!
//! use rand_core::OsRng;
//! use zkpension_verifier::{
//!     batch_verify, decode_public_inputs, BatchError, BatchItem, Proof, Statement,
//!     VerifierKeys,
//! };
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // At start-up: load the verifying keys, pinned to the ids in genesis. Each
//! // `.vk` file's size and SHA-256 are checked before it is parsed.
//! let genesis_vk_ids: BTreeMap<Statement, [u8; 32]> = BTreeMap::new(); // from genesis
//! let keys = VerifierKeys::load_dir_expecting(Path::new("keys"), &genesis_vk_ids)?;
//!
//! // One transaction: decode the untrusted proof and inputs, then verify.
//! let proof_bytes: Vec<u8> = vec![0; 128]; // from the network
//! let inputs: Vec<String> = vec![]; // "0x..." field elements, SPEC order
//! let proof = Proof::from_bytes(&proof_bytes)?;
//! let public_inputs = decode_public_inputs(Statement::Contribute, &inputs)?;
//! keys.get(Statement::Contribute).verify(&proof, &public_inputs)?;
//!
//! // A block: verify every proof at once, on a rayon pool the node sized.
//! let block: Vec<(Statement, Proof, Vec<_>)> = vec![(Statement::Contribute, proof, public_inputs)];
//! let items: Vec<BatchItem<'_>> = block
//!     .iter()
//!     .map(|(statement, proof, public_inputs)| BatchItem {
//!         statement: *statement,
//!         proof,
//!         public_inputs,
//!     })
//!     .collect();
//! let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build()?;
//! match pool.install(|| batch_verify(&keys, &items, &mut OsRng)) {
//!     Ok(()) => println!("block accepted"),
//!     Err(BatchError::Invalid { failed }) => println!("reject transactions {failed:?}"),
//!     Err(other) => println!("malformed block: {other}"),
//! }
//! # Ok(())
//! # }
//! ```
//!
//! Proofs of the prover's own making can be checked the same way from a
//! [`ProofFile`] (the JSON file the CLI's `verify` command reads):
//! `serde_json::from_str::<ProofFile>(text)?.verify(&keys)`.

mod batch;
mod error;
mod ids;
mod key;
mod keys;
mod pairing;
mod proof;

pub use batch::{batch_verify, BatchItem, BATCH_TRANSCRIPT_LABEL};
pub use error::{BatchError, DecodeError, KeyError, ProofElement, VerifyError};
pub use ids::{id_from_hex, id_to_hex, sha256_id};
pub use key::{encoded_size, VerifyingKey};
pub use keys::{
    pk_file_name, read_checked, vk_file_name, CeremonyInfo, KeyEntry, KeyManifest, VerifierKeys,
    KEY_FORMAT, MANIFEST_FILE,
};
pub use proof::{decode_proofs, decode_public_inputs, Proof, ProofFile, PROOF_BYTES};

pub use zkpension_circuits::field::Fr;
pub use zkpension_circuits::Statement;
