//! The member's side of the ledger: a client for a node's HTTP API
//! ([`client`]), the chain's keys ([`chain_keys`]), the wallet's partial view of the commitment tree
//! ([`tracker`]), the light sync ([`light`]), and the transactions a member, the registrar and the
//! authority make ([`flow`]), the heir's payout ([`inherit`]), broken rules in the member's words
//! ([`explain`]), and the session that owns a wallet file while
//! it makes them ([`session`]).

pub mod birthday;
pub mod chain_keys;
pub mod client;
pub mod explain;
pub mod flow;
pub mod forecast;
pub mod inherit;
pub mod light;
pub mod session;
pub mod sync;
pub mod tracker;

pub use client::{ClientError, NodeClient};
pub use flow::{EnrollRequest, FlowError, Prepared};
pub use session::{Action, MemberSession, Naming, Recorded};
pub use sync::{Follower, SyncReport};
pub use tracker::{TrackerError, TreeTracker};
