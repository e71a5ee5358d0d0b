//! Why a block is refused (a transaction's rejection codes are
//! [`zkpension_core::Rejection`]).

use thiserror::Error;
use zkpension_core::codec::DecodeError;
use zkpension_core::{Rejection, TxId};

/// Why a block cannot be applied. The state is unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum BlockError {
    #[error("block {got} does not follow the tip: expected height {expected}")]
    Height { expected: u64, got: u64 },
    #[error("block's prev_hash {got} is not the tip's hash {expected}")]
    PrevHash { expected: String, got: String },
    #[error("transaction {index} ({id}) is invalid: {reason}")]
    InvalidTransaction {
        index: usize,
        id: TxId,
        reason: Rejection,
    },
    #[error("the header's {field} differs from the one the transactions give")]
    HeaderMismatch { field: &'static str },
    #[error("block has {got} transactions, at most {max} are allowed")]
    TooManyTransactions { got: usize, max: usize },
    #[error("malformed block: {0}")]
    Decode(#[from] DecodeError),
}
