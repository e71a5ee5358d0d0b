//! A broken rule in the member's terms. The statements' native mirrors name
//! the first clause a transaction would break (`epoch_total_new <= cap`); this
//! turns that clause, with the member's note and what was asked, into the
//! numbers and the next step ("you can pay 600.00 more this epoch (cap
//! 1,000.00, paid 400.00)"). The rule itself is decided by the mirror only:
//! nothing here re-implements a check.

use zkpension_circuits::note::Note;
use zkpension_circuits::statements::{Clause, RelationError};
use zkpension_core::format_amount as money;

/// What the member asked for, with the ledger's values it was checked against.
#[derive(Clone, Copy, Debug)]
pub enum Asked {
    Contribute {
        amount: u64,
        epoch: u64,
        cap: u64,
    },
    Claim {
        epoch: u64,
        min_periods: u64,
    },
    Attest {
        epoch: u64,
        min_balance: u64,
        min_periods: u64,
        require_eligible: bool,
    },
}

impl Asked {
    fn epoch(&self) -> u64 {
        match *self {
            Asked::Contribute { epoch, .. }
            | Asked::Claim { epoch, .. }
            | Asked::Attest { epoch, .. } => epoch,
        }
    }
}

fn epochs(n: u64) -> String {
    if n == 1 {
        "1 epoch".into()
    } else {
        format!("{n} epochs")
    }
}

/// The refusal of `asked` against `note`, in the member's words.
pub fn explain(e: &RelationError, note: &Note, asked: Asked) -> String {
    let now = asked.epoch();
    let not_eligible = || {
        format!(
            "not eligible yet: eligible from epoch {}, now epoch {now} ({} to go)",
            note.eligible_epoch,
            epochs(note.eligible_epoch.saturating_sub(now))
        )
    };
    match (e.clause, asked) {
        (Clause::AmountPositive, Asked::Contribute { .. }) => {
            "the amount must be at least 0.01".into()
        }
        (Clause::Cap, Asked::Contribute { amount, cap, .. }) => {
            let paid = if note.last_epoch == now {
                note.epoch_total
            } else {
                0
            };
            let room = cap.saturating_sub(paid);
            if room == 0 {
                format!(
                    "this epoch's cap is reached (cap {}, paid {}): pay again from epoch {}",
                    money(cap),
                    money(paid),
                    now + 1
                )
            } else {
                format!(
                    "{} is more than you can pay this epoch: you can pay {} more (cap {}, paid {})",
                    money(amount),
                    money(room),
                    money(cap),
                    money(paid)
                )
            }
        }
        (Clause::EpochOrder, _) => format!(
            "the account last paid in epoch {}, but the node is at epoch {now}: \
             is this the fund's node? (`zkpension sync` against it)",
            note.last_epoch
        ),
        (Clause::Range(what), Asked::Contribute { amount, .. }) => format!(
            "{} would take the account past the largest amount ({what} must stay below 2^64 cents)",
            money(amount)
        ),
        (Clause::Eligibility, _) | (Clause::AttestEligibility, _) => not_eligible(),
        (Clause::Vesting, Asked::Claim { min_periods, .. }) => format!(
            "not vested yet: {} of {min_periods} contributing epochs; contribute in {} more before claiming",
            note.periods,
            epochs(min_periods.saturating_sub(note.periods))
        ),
        (Clause::Vesting, Asked::Attest { min_periods, .. }) => format!(
            "the account has {} contributing epochs, the relying party asks for at least {min_periods}",
            note.periods
        ),
        (Clause::OneClaimPerEpoch, _) => format!(
            "this epoch's pension is already claimed (last claim in epoch {}); claim again from epoch {}",
            note.last_claim,
            note.last_claim + 1
        ),
        (Clause::PayoutPositive, _) => {
            "the account is empty: its whole balance has been paid out".into()
        }
        (Clause::Divisor, _) => {
            "the ledger's pension divisor is 0, so no pension can be computed: \
             the fund's authority must set it (`zkpension authority set-params`)"
                .into()
        }
        (Clause::MinBalance, Asked::Attest { min_balance, .. }) => format!(
            "the balance {} is below the {} the relying party asks for",
            money(note.balance),
            money(min_balance)
        ),
        // Clauses an honest wallet cannot break (a corrupted note or key):
        // the formula is all there is to say.
        _ => format!(
            "{e}; this wallet's note does not satisfy the statement, \
             so the wallet file may be damaged (`zkpension wallet show`)"
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use zkpension_circuits::field::Fr;
    use zkpension_circuits::statements::Statement;

    fn note() -> Note {
        Note {
            owner: Fr::from(1u64),
            nk: Fr::from(4u64),
            heir: Fr::from(0u64),
            balance: 40_000,
            periods: 2,
            last_epoch: 5,
            epoch_total: 40_000,
            eligible_epoch: 40,
            pension: 0,
            last_claim: 0,
            last_active: 5,
            rho: Fr::from(2u64),
            r: Fr::from(3u64),
        }
    }

    fn err(statement: Statement, clause: Clause) -> RelationError {
        RelationError { statement, clause }
    }

    #[test]
    fn refusals_carry_the_numbers_and_the_next_step() {
        let n = note();
        let cap = explain(
            &err(Statement::Contribute, Clause::Cap),
            &n,
            Asked::Contribute {
                amount: 70_000,
                epoch: 5,
                cap: 100_000,
            },
        );
        assert_eq!(
            cap,
            "700.00 is more than you can pay this epoch: you can pay 600.00 more \
             (cap 1,000.00, paid 400.00)"
        );
        let claim = explain(
            &err(Statement::Claim, Clause::Eligibility),
            &n,
            Asked::Claim {
                epoch: 2,
                min_periods: 4,
            },
        );
        assert!(
            claim.contains("eligible from epoch 40, now epoch 2"),
            "{claim}"
        );
        let vest = explain(
            &err(Statement::Claim, Clause::Vesting),
            &n,
            Asked::Claim {
                epoch: 41,
                min_periods: 4,
            },
        );
        assert!(vest.contains("2 of 4 contributing epochs"), "{vest}");
        let full = explain(
            &err(Statement::Contribute, Clause::Cap),
            &n,
            Asked::Contribute {
                amount: 1,
                epoch: 5,
                cap: 40_000,
            },
        );
        assert!(full.contains("pay again from epoch 6"), "{full}");
        let min = explain(
            &err(Statement::Attest, Clause::MinBalance),
            &n,
            Asked::Attest {
                epoch: 5,
                min_balance: 100_000,
                min_periods: 0,
                require_eligible: false,
            },
        );
        assert!(min.contains("400.00 is below the 1,000.00"), "{min}");
    }
}
