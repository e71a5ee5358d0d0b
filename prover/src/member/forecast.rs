//! What the pension will be: the account's note carried forward epoch by
//! epoch with a planned contribution, under the parameters in force and the
//! ones pending for the next epoch, by the statements' own rules
//! (`contribute::next_note`, `claim::next_note`), so the forecast cannot
//! drift from what the proofs will allow.

use serde::Serialize;
use zkpension_circuits::field::Fr;
use zkpension_circuits::note::Note;
use zkpension_circuits::statements::{claim, contribute};
use zkpension_core::{Params, PendingParams};

/// Epochs a forecast may run before it gives up.
pub const MAX_FORECAST_EPOCHS: u64 = 100_000;

/// One epoch of the forecast.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ForecastRow {
    pub epoch: u64,
    /// Paid in this epoch (the plan, cut to what the cap leaves).
    pub paid: u64,
    pub balance: u64,
    pub periods: u64,
}

/// The forecast: contributions until the first claim, then the pension.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Forecast {
    pub rows: Vec<ForecastRow>,
    /// The epoch of the first claim.
    pub first_claim: u64,
    /// The balance then.
    pub balance: u64,
    /// The pension per epoch, fixed at the first claim.
    pub pension: u64,
    /// Epochs the balance pays the pension for (the last may be smaller).
    pub payout_epochs: u64,
}

/// Why no forecast could be made.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ForecastError {
    #[error("no claim within {MAX_FORECAST_EPOCHS} epochs: {0}")]
    TooFar(String),
    #[error("nothing to pay out: the balance would be 0 (plan a contribution with --per-epoch)")]
    Empty,
}

/// Carries `note` forward from epoch `now`, paying `per_epoch` in every
/// epoch before the first claim (at most what the cap leaves), with
/// `params_now` in epoch `now` and `pending` (if any) from `now + 1`.
pub fn forecast(
    note: &Note,
    now: u64,
    params_now: Params,
    pending: Option<PendingParams>,
    per_epoch: u64,
) -> Result<Forecast, ForecastError> {
    let params_at = |e: u64| match pending {
        Some(p) if e >= p.effective_epoch => p.params,
        _ => params_now,
    };
    let (nf, r) = (Fr::from(0u64), Fr::from(0u64));
    let mut n = note.clone();
    let mut rows = Vec::new();
    let mut epoch = now.max(1);
    loop {
        if epoch - now > MAX_FORECAST_EPOCHS {
            return Err(ForecastError::TooFar(format!(
                "eligible from epoch {}, {} contributing epochs needed, {} so far",
                n.eligible_epoch,
                params_at(epoch).min_periods,
                n.periods
            )));
        }
        let p = params_at(epoch);
        let done = |pension: u64| Forecast {
            rows: rows.clone(),
            first_claim: epoch,
            balance: n.balance,
            pension,
            payout_epochs: n.balance.div_ceil(pension),
        };
        if n.pension != 0 {
            return Ok(done(n.pension));
        }
        // A claim as soon as the rules allow it: the first claim fixes the
        // pension, so the plan pays in until then.
        if epoch >= n.eligible_epoch && n.periods >= p.min_periods {
            if n.balance == 0 {
                return Err(ForecastError::Empty);
            }
            let (after, _) = claim::next_note(&n, epoch, p.min_periods, p.divisor, n.nk, nf, r)
                .map_err(|e| ForecastError::TooFar(e.to_string()))?;
            return Ok(done(after.pension));
        }
        let already = if epoch == n.last_epoch {
            n.epoch_total
        } else {
            0
        };
        let paid = per_epoch.min(p.cap.saturating_sub(already));
        if paid > 0 {
            n = contribute::next_note(&n, paid, epoch, p.cap, n.nk, nf, r)
                .map_err(|e| ForecastError::TooFar(e.to_string()))?;
        }
        rows.push(ForecastRow {
            epoch,
            paid,
            balance: n.balance,
            periods: n.periods,
        });
        epoch += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn params(cap: u64, min_periods: u64, divisor: u64) -> Params {
        Params {
            cap,
            min_periods,
            divisor,
        }
    }

    fn new_member(eligible: u64) -> Note {
        Note::enrollment(Fr::from(1u64), eligible, Fr::from(2u64), Fr::from(3u64))
    }

    #[test]
    fn pays_in_until_eligible_then_fixes_the_pension() {
        let f = forecast(&new_member(5), 1, params(1000, 2, 240), None, 250).unwrap();
        assert_eq!(f.rows.len(), 4, "epochs 1 to 4 pay in");
        assert_eq!(f.first_claim, 5);
        assert_eq!(f.balance, 1000);
        assert_eq!(f.pension, 5, "ceil(1000 / 240)");
        assert_eq!(f.payout_epochs, 200);
    }

    #[test]
    fn the_cap_and_pending_parameters_are_applied() {
        // Cap 100 now, 300 from the next epoch; divisor 10 from then on.
        let pending = |effective_epoch| PendingParams {
            params: params(300, 1, 10),
            effective_epoch,
        };
        let now = params(100, 1, 240);
        let f = forecast(&new_member(3), 1, now, Some(pending(2)), 250).unwrap();
        let paid: Vec<u64> = f.rows.iter().map(|r| r.paid).collect();
        assert_eq!(paid, vec![100, 250]);
        assert_eq!(f.pension, 35, "ceil(350 / 10)");
        // The same change from epoch 3: epochs 1 and 2 under the cap of 100.
        let f = forecast(&new_member(4), 1, now, Some(pending(3)), 250).unwrap();
        let paid: Vec<u64> = f.rows.iter().map(|r| r.paid).collect();
        assert_eq!(paid, vec![100, 100, 250]);
    }

    #[test]
    fn vesting_moves_the_first_claim_later() {
        // Eligible now, but 3 contributing epochs are needed.
        let f = forecast(&new_member(1), 4, params(1000, 3, 100), None, 10).unwrap();
        assert_eq!(f.first_claim, 7);
        assert_eq!(f.balance, 30);
        let none = forecast(&new_member(1), 4, params(1000, 3, 100), None, 0);
        assert!(matches!(none, Err(ForecastError::TooFar(_))), "{none:?}");
    }

    #[test]
    fn a_retired_member_keeps_the_pension() {
        let mut n = new_member(1);
        n.balance = 95;
        n.pension = 10;
        n.periods = 4;
        n.last_claim = 3;
        let f = forecast(&n, 4, params(1000, 1, 1), None, 50).unwrap();
        assert_eq!((f.first_claim, f.pension, f.payout_epochs), (4, 10, 10));
        assert!(f.rows.is_empty());
    }
}
