//! The zkpension ledger (SPEC §5).
//!
//! - [`tx`]: transactions, their canonical encoding, ids and signed messages.
//! - [`genesis`]: the chain's configuration and parameters.
//!
//! Section numbers (§) refer to `docs/SPEC.md`; choices the specification
//! leaves open are recorded in `docs/PROTOCOL.md`, section "Ledger".

pub mod codec;
pub mod genesis;
pub mod hexbytes;
pub mod tx;
