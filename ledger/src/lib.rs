//! The zkpension ledger (SPEC §5).
//!
//! - [`tx`]: transactions, their canonical encoding, ids and signed messages.
//! - [`genesis`]: the chain's configuration and parameters.
//! - [`state`]: the ledger state and its state root.
//! - [`rules`]: the rules in three phases (stateless, stateful, execution)
//!   and block application ([`State::apply_block`], [`State::propose`]).
//! - [`block`]: hash-linked blocks.
//! - [`store`]: redb storage, one write transaction per block ([`tables`]).
//! - [`mempool`], [`node`]: the block producer and an embeddable [`node::Node`].
//! - [`api`]: the HTTP/JSON API.
//!
//! Section numbers (§) refer to `docs/SPEC.md`; choices the specification
//! leaves open are recorded in `docs/PROTOCOL.md`, section "Ledger".

pub mod api;
pub mod block;
pub mod codec;
pub mod error;
pub mod genesis;
pub mod hexbytes;
pub mod mempool;
pub mod node;
pub mod rules;
pub mod state;
pub mod store;
pub mod tables;
pub mod tx;

pub use block::{Block, BlockHeader};
pub use error::{BlockError, Reason, Rejection};
pub use genesis::{Genesis, GenesisParams, Params};
pub use node::{Node, NodeConfig, NodeError};
pub use rules::{BlockPlan, CheckedTx};
pub use state::State;
pub use tx::{Transaction, TxId};
