//! The member's side of the ledger: a client for a node's HTTP API
//! ([`client`]), the wallet's partial view of the commitment tree
//! ([`tracker`]), and the transactions a member, the registrar and the
//! authority make ([`flow`]), and the session that owns a wallet file while
//! it makes them ([`session`]).

pub mod client;
pub mod flow;
pub mod session;
pub mod tracker;

pub use client::{ClientError, NodeClient};
pub use flow::{EnrollRequest, FlowError, Prepared, SyncReport};
pub use session::{Action, MemberSession, Recorded};
pub use tracker::{TrackerError, TreeTracker};
