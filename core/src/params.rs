//! The parameters the authority may change with SetParams (SPEC §5).

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The parameters the authority may change (SetParams).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Params {
    /// Largest sum one account may contribute in one epoch.
    pub cap: u64,
    /// Epochs with a contribution needed before the first claim (vesting).
    pub min_periods: u64,
    /// The first pension is `ceil(balance / divisor)` per epoch.
    pub divisor: u64,
}

impl Params {
    /// `cap >= 1` (a cap of 0 would forbid every contribution) and
    /// `divisor >= 1` (SPEC §4 divides by it; `docs/PROTOCOL.md`).
    pub fn validate(&self) -> Result<(), ParamsError> {
        if self.cap == 0 {
            return Err(ParamsError::ZeroCap);
        }
        if self.divisor == 0 {
            return Err(ParamsError::ZeroDivisor);
        }
        Ok(())
    }
}

/// A parameter change on the ledger, waiting for its epoch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PendingParams {
    pub params: Params,
    /// The first epoch in which `params` hold.
    pub effective_epoch: u64,
}

/// Parameters a chain cannot use.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParamsError {
    #[error("cap must be at least 1")]
    ZeroCap,
    #[error("divisor must be at least 1 (the first pension divides the balance by it)")]
    ZeroDivisor,
}
