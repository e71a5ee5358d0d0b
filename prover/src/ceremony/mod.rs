//! A multi-party setup ceremony for the Groth16 keys: phase 1 (powers of
//! tau, fresh or imported from a snarkjs `.ptau` file) and phase 2 (each
//! statement's delta), each closed by a public random beacon, after which
//! the keys are written as a normal key directory. The keys are safe if at
//! least one participant was honest and destroyed their secret.
//!
//! See `docs/CEREMONY.md` for the transcript format, every check and the
//! trust model.
//!
//! # Where things are
//!
//! - `pok`: proofs of knowledge, the hash to G2, secrets and beacons.
//! - `powers`: phase 1 ([`Powers`]): contribution, consistency check, file.
//! - `fastmul`: scalar multiplications of many points at once (GLV and
//!   wNAF with batched affine tables), the group FFT and the per-point G2
//!   subgroup check (computed for many points at once) built on them.
//! - `derive`: phase 2's starting keys from the powers (Lagrange basis by a
//!   group FFT).
//! - `phase2`: a phase-2 contribution and the check of keys against the
//!   powers.
//! - `ptau`: import of a snarkjs `.ptau` file ([`import_ptau`]).
//! - `transcript`: `ceremony.json` ([`Transcript`], [`Record`]) and its hashes.
//! - `state`: reading and atomically writing the directory's files.
//! - `steps`: [`init`], [`contribute`], [`next_phase`], [`finalize`].
//! - `verify`: [`verify`].
//! - `keydir`: this build's statements as targets, the final keys written
//!   as a key directory, and the check of a key directory against a ceremony.
//! - `error`: [`CeremonyError`].

mod derive;
mod error;
mod fastmul;
mod keydir;
mod phase2;
mod pok;
mod powers;
mod ptau;
mod state;
mod steps;
mod transcript;
mod verify;

use ark_relations::gr1cs::Matrix;
use zkpension_circuits::field::Fr;
use zkpension_circuits::r1cs::ConstraintInfo;

pub use derive::{domain, lagrange, start_keys, start_keys_cached, Lagrange, SumCache};
pub use error::CeremonyError;
pub use keydir::{check_key_dir, export_keys, statement_targets};
pub use phase2::{apply_delta, check_keys};
pub use pok::{beacon_seed, hash_to_g2, Pok};
pub use powers::{from_secrets, Phase1Key, Powers, MAX_POWER, POWERS_MAGIC};
pub use ptau::import_ptau;
pub use state::{keys_file, powers_file, read_transcript};
pub use steps::{contribute, final_keys, finalize, init, needed_power, next_phase, Start};
pub use transcript::{Record, Stage, Transcript, FORMAT, TRANSCRIPT_FILE};
pub use verify::{verify, Entry, Report};

/// A circuit the ceremony makes keys for: its name (the statement's), its
/// counts and digest, and its R1CS matrices `[A, B, C]` as Groth16 key
/// generation builds them.
#[derive(Clone, Copy, Debug)]
pub struct Target<'a> {
    pub name: &'a str,
    pub info: ConstraintInfo,
    pub matrices: &'a [Matrix<Fr>],
}
