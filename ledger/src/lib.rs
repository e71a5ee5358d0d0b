//! The zkpension ledger (SPEC §5).
//!
//! The wire types (transactions, blocks, genesis, rejection codes, the API's
//! JSON views) are in `zkpension-core`, below this crate and the member's
//! library alike.
//!
//! - [`state`]: the ledger state and its state root.
//! - [`rules`]: the rules in three phases (stateless, stateful, execution)
//!   and block application ([`State::apply_block`], [`State::propose`]).
//! - [`store`]: redb storage, one write transaction per block ([`tables`]).
//! - [`node_core`]: admission, the queue, block production and the API's
//!   answers, without a network ([`NodeCore`]).
//! - [`mempool`]: the queue; [`node`]: an embeddable [`node::Node`] that runs
//!   a [`NodeCore`] behind HTTP.
//! - [`admission`]: proof checks of submissions in micro-batches;
//!   [`limiter`]: per-client limits on refused submissions.
//! - [`api`]: the HTTP/JSON API; [`serve`]: its server (connection limit,
//!   timeouts); [`explorer`]: the public HTML pages at `/` and `/explorer`.
//! - [`cluster`]: several nodes on one ledger, blocks ordered by etcd
//!   (`docs/CLUSTER.md`); [`snapshot`]: the state after a block, for a
//!   node that joins after etcd dropped the early blocks.
//!
//! Section numbers (§) refer to `docs/SPEC.md`; choices the specification
//! leaves open are recorded in `docs/PROTOCOL.md`, section "Ledger".

pub mod admission;
pub mod api;
pub mod audit;
pub mod cluster;
pub mod error;
pub mod explorer;
pub mod limiter;
pub mod mempool;
pub mod node;
pub mod node_core;
pub mod rules;
pub mod serve;
pub mod snapshot;
pub mod state;
pub mod store;
pub mod tables;

pub use error::BlockError;
pub use node::{Node, NodeConfig, NodeError};
pub use node_core::{CoreError, NodeCore};
pub use rules::CheckedTx;
pub use state::{BlockPlan, State};
