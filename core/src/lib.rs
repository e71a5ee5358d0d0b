//! zkpension's wire types and consensus encodings (SPEC §5).
//!
//! Everything that crosses a process boundary is defined here once, below
//! every crate that moves it: the node (`zkpension-ledger`) stores and serves
//! these types, the member's library (`zkpension-prover`) builds and reads
//! them, and neither links the other.
//!
//! - [`amount`]: amounts in currency units (`250.00`) and cents.
//! - [`hexbytes`]: byte strings as `0x` hex, ids and hashes.
//! - [`codec`]: the canonical binary encoding (writer and checked reader).
//! - [`params`], [`genesis`]: the chain's configuration and parameters.
//! - [`governance`]: parameter bounds, steps and delay; signer groups.
//! - [`subsidy`]: the subsidy pool's funders, match rule and totals.
//! - [`tx`]: transactions, their canonical encoding, ids and signed messages.
//! - [`block`]: hash-linked blocks.
//! - [`rejection`]: why a transaction is refused, with stable codes.
//! - [`sealed`]: payout details sealed to the paying agent (HPKE).
//! - [`keyfile`]: the registrar's and the authority's key file.
//! - [`views`]: the JSON documents of the node's HTTP API.
//!
//! Section numbers (§) refer to `docs/SPEC.md`; choices the specification
//! leaves open are recorded in `docs/PROTOCOL.md`, section "Ledger".

pub mod amount;
pub mod block;
pub mod codec;
pub mod genesis;
pub mod governance;
pub mod hexbytes;
pub mod keyfile;
pub mod params;
pub mod rejection;
pub mod sealed;
pub mod state_root;
pub mod subsidy;
pub mod tx;
pub mod views;

pub use amount::{format_amount, parse_amount, AmountError};
pub use block::{Block, BlockHeader};
pub use genesis::{ChainContext, Genesis, GenesisError, GenesisParams};
pub use governance::{Governance, GovernanceError};
pub use hexbytes::{FixedBytes, Hash32, HexBytes, TxId};
pub use params::{Params, ParamsError, PendingParams};
pub use rejection::{Reason, Rejection};
pub use state_root::StateSummary;
pub use tx::{Transaction, TxKind};
