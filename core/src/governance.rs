//! Rules nobody can change alone (`docs/SPEC.md` §5.4, protocol version 2):
//! hard bounds on every parameter, the largest change allowed per step, a
//! delay before a change takes effect, and the size of the signer groups
//! behind the authority's and the registrar's keys.
//!
//! All of it is fixed in the genesis and so committed to by every block
//! header (through the genesis hash); none of it can be changed by any
//! transaction. A genesis without a `governance` section (version 1 chains
//! and development chains) is governed by [`Governance::unbounded`]: any
//! valid parameters, effective from the next epoch, which is exactly the
//! version 1 rule.
//!
//! A `SetParams` names the epoch from which its parameters hold; the ledger
//! refuses it unless
//!
//! - every parameter lies within its bounds (`param_out_of_bounds`),
//! - every parameter moves by at most its step from the parameters in force
//!   (`param_step_too_large`), and
//! - the effective epoch is at least `epoch + min_delay`
//!   (`delay_too_short`).
//!
//! So at any epoch `E` a member sees every parameter set that can hold in
//! epochs `E .. E + min_delay - 1`: the parameters in force, and the pending
//! change if its effective epoch falls inside. A later `SetParams` replaces the
//! pending change and a `CancelParams` removes it, but neither can make
//! anything take effect sooner than `min_delay` epochs after it is on the
//! ledger.

use crate::codec::Writer;
use crate::params::{Params, PendingParams};
use crate::rejection::Rejection;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest `min_delay` a genesis may choose (about 83 years of monthly epochs).
pub const MAX_MIN_DELAY: u64 = 1000;
/// Largest signer group.
pub const MAX_SIGNERS: u16 = 255;

/// Bounds of one parameter.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bound {
    /// Smallest value the parameter may take.
    pub min: u64,
    /// Largest value the parameter may take.
    pub max: u64,
    /// Largest change per `SetParams`, in percent of the value in force:
    /// `|new - old| * 100 <= old * max_step_percent`, or a change of one
    /// unit (so a parameter at 0 can move); `u64::MAX` means any step.
    pub max_step_percent: u64,
}

impl Bound {
    /// Any value, any step.
    pub const ANY: Bound = Bound {
        min: 0,
        max: u64::MAX,
        max_step_percent: u64::MAX,
    };

    /// Whether `value` lies within `[min, max]`.
    pub fn contains(&self, value: u64) -> bool {
        (self.min..=self.max).contains(&value)
    }

    /// Whether moving from `old` to `new` is one allowed step (exact integer
    /// arithmetic).
    pub fn step_allowed(&self, old: u64, new: u64) -> bool {
        let diff = old.abs_diff(new);
        self.max_step_percent == u64::MAX
            || diff <= 1
            || u128::from(diff) * 100 <= u128::from(old) * u128::from(self.max_step_percent)
    }

    /// The largest allowed step from `old`, in the parameter's units.
    pub fn largest_step(&self, old: u64) -> u64 {
        if self.max_step_percent == u64::MAX {
            return u64::MAX;
        }
        let step = u128::from(old) * u128::from(self.max_step_percent) / 100;
        u64::try_from(step).unwrap_or(u64::MAX).max(1)
    }

    fn write(&self, w: &mut Writer) {
        w.u64(self.min).u64(self.max).u64(self.max_step_percent);
    }
}

/// Bounds of each parameter of [`Params`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ParamBounds {
    pub cap: Bound,
    pub min_periods: Bound,
    pub divisor: Bound,
}

impl ParamBounds {
    /// Each parameter's name, bound and value in `p`, in SPEC order.
    pub fn each(&self, p: &Params) -> [(&'static str, Bound, u64); 3] {
        [
            ("cap", self.cap, p.cap),
            ("min_periods", self.min_periods, p.min_periods),
            ("divisor", self.divisor, p.divisor),
        ]
    }
}

/// A t-of-n signer group behind one Ed25519 key (FROST, RFC 9591). The
/// ledger checks a plain Ed25519 signature either way; the genesis records
/// the group's size so anyone can see how many trustees must agree.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SignerGroup {
    /// Signers needed (t).
    pub threshold: u16,
    /// Signers holding a share (n).
    pub signers: u16,
}

impl SignerGroup {
    /// A single key.
    pub const SINGLE: SignerGroup = SignerGroup {
        threshold: 1,
        signers: 1,
    };
}

impl std::fmt::Display for SignerGroup {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-of-{}", self.threshold, self.signers)
    }
}

/// The genesis's governance section.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Governance {
    /// A `SetParams` accepted in epoch `E` takes effect no sooner than
    /// epoch `E + min_delay` (at least 1).
    pub min_delay: u64,
    pub bounds: ParamBounds,
    /// The authority key's signer group.
    pub authority_group: SignerGroup,
    /// The registrar key's signer group.
    pub registrar_group: SignerGroup,
}

/// A governance section that cannot start a chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GovernanceError {
    #[error("min_delay must be between 1 and {MAX_MIN_DELAY} epochs, got {0}")]
    MinDelay(u64),
    #[error("bounds of {param}: min {min} is above max {max}")]
    EmptyBound {
        param: &'static str,
        min: u64,
        max: u64,
    },
    #[error("the initial {param} {value} is outside its bounds [{min}, {max}]")]
    InitialOutOfBounds {
        param: &'static str,
        value: u64,
        min: u64,
        max: u64,
    },
    #[error("bounds of {param}: min must be at least 1")]
    ZeroMin { param: &'static str },
    #[error("bounds of {param}: max_step_percent must be at least 1 (0 would freeze it; make min = max for that)")]
    ZeroStep { param: &'static str },
    #[error("the {which} group is {group}: need 1 <= threshold <= signers <= {MAX_SIGNERS}")]
    Group {
        which: &'static str,
        group: SignerGroup,
    },
}

impl Governance {
    /// Version 1's rule: any valid parameters, effective from the next epoch,
    /// single keys.
    pub fn unbounded() -> Self {
        Governance {
            min_delay: 1,
            bounds: ParamBounds {
                cap: Bound {
                    min: 1,
                    ..Bound::ANY
                },
                min_periods: Bound::ANY,
                divisor: Bound {
                    min: 1,
                    ..Bound::ANY
                },
            },
            authority_group: SignerGroup::SINGLE,
            registrar_group: SignerGroup::SINGLE,
        }
    }

    /// The defaults `zkpension-node init` writes for initial parameters `p`:
    /// a delay of 2 epochs; the cap within a tenth and ten times its initial
    /// value, moving at most 10% per change; the divisor within [120, 480]
    /// (or half and twice its initial value, if that lies outside), at most
    /// 10% per change; the vesting period within [1, 480] (or up to its
    /// initial value), at most doubling or halving per change.
    pub fn defaults_for(p: &Params) -> Self {
        let (div_min, div_max) = if (120..=480).contains(&p.divisor) {
            (120, 480)
        } else {
            ((p.divisor / 2).max(1), p.divisor.saturating_mul(2))
        };
        Governance {
            min_delay: 2,
            bounds: ParamBounds {
                cap: Bound {
                    min: (p.cap / 10).max(1),
                    max: p.cap.saturating_mul(10),
                    max_step_percent: 10,
                },
                min_periods: Bound {
                    min: p.min_periods.min(1),
                    max: p.min_periods.max(480),
                    max_step_percent: 100,
                },
                divisor: Bound {
                    min: div_min,
                    max: div_max,
                    max_step_percent: 10,
                },
            },
            authority_group: SignerGroup::SINGLE,
            registrar_group: SignerGroup::SINGLE,
        }
    }

    /// Checks the section against the initial parameters.
    pub fn validate(&self, initial: &Params) -> Result<(), GovernanceError> {
        if !(1..=MAX_MIN_DELAY).contains(&self.min_delay) {
            return Err(GovernanceError::MinDelay(self.min_delay));
        }
        for (param, b, value) in self.bounds.each(initial) {
            if b.min > b.max {
                return Err(GovernanceError::EmptyBound {
                    param,
                    min: b.min,
                    max: b.max,
                });
            }
            if param != "min_periods" && b.min == 0 {
                return Err(GovernanceError::ZeroMin { param });
            }
            if b.max_step_percent == 0 {
                return Err(GovernanceError::ZeroStep { param });
            }
            if !b.contains(value) {
                return Err(GovernanceError::InitialOutOfBounds {
                    param,
                    value,
                    min: b.min,
                    max: b.max,
                });
            }
        }
        for (which, g) in [
            ("authority", self.authority_group),
            ("registrar", self.registrar_group),
        ] {
            if g.threshold == 0 || g.threshold > g.signers || g.signers > MAX_SIGNERS {
                return Err(GovernanceError::Group { which, group: g });
            }
        }
        Ok(())
    }

    /// The earliest epoch a change accepted in `epoch` may take effect.
    pub fn earliest_effective(&self, epoch: u64) -> u64 {
        epoch.saturating_add(self.min_delay)
    }

    /// The ledger's check of a `SetParams` accepted in `epoch` while `current`
    /// is in force: bounds, step from `current`, and the delay.
    pub fn check_change(
        &self,
        epoch: u64,
        current: &Params,
        new: &Params,
        effective_epoch: u64,
    ) -> Result<(), Rejection> {
        for ((param, b, value), (_, _, old)) in self
            .bounds
            .each(new)
            .into_iter()
            .zip(self.bounds.each(current))
        {
            if !b.contains(value) {
                return Err(Rejection::ParamOutOfBounds {
                    param,
                    value,
                    min: b.min,
                    max: b.max,
                });
            }
            if !b.step_allowed(old, value) {
                return Err(Rejection::ParamStepTooLarge {
                    param,
                    from: old,
                    to: value,
                    max_percent: b.max_step_percent,
                });
            }
        }
        let earliest = self.earliest_effective(epoch);
        if effective_epoch < earliest {
            return Err(Rejection::DelayTooShort {
                earliest,
                got: effective_epoch,
                min_delay: self.min_delay,
            });
        }
        Ok(())
    }

    /// Canonical encoding, inside the genesis's (version 4).
    pub(crate) fn write(&self, w: &mut Writer) {
        w.u64(self.min_delay);
        self.bounds.cap.write(w);
        self.bounds.min_periods.write(w);
        self.bounds.divisor.write(w);
        for g in [self.authority_group, self.registrar_group] {
            w.u32(u32::from(g.threshold)).u32(u32::from(g.signers));
        }
    }
}

/// One parameter change on the ledger (`GET /v1/governance`, `history`).
/// (No `deny_unknown_fields`: serde does not support it beside `flatten`.)
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct GovernanceEvent {
    /// The block that carries the transaction.
    pub height: u64,
    /// The ledger's epoch after the transaction.
    pub epoch: u64,
    /// The authority transaction (a `set_params`, a `cancel_params`, or the
    /// `advance_epoch` that put a change in force).
    pub tx: crate::TxId,
    #[serde(flatten)]
    pub action: GovernanceAction,
}

/// What a [`GovernanceEvent`] did.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum GovernanceAction {
    /// A change was scheduled (replacing `replaced`, if one was pending).
    Scheduled {
        change: PendingParams,
        replaced: Option<PendingParams>,
    },
    /// The pending change was withdrawn.
    Cancelled { withdrawn: PendingParams },
    /// A scheduled change took effect.
    TookEffect { params: Params, previous: Params },
    /// A funder put money into the subsidy pool.
    Deposited { funder: String, amount: u64 },
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(cap: u64, min_periods: u64, divisor: u64) -> Params {
        Params {
            cap,
            min_periods,
            divisor,
        }
    }

    #[test]
    fn steps_are_exact_percentages() {
        let b = Bound {
            min: 1,
            max: 1_000_000,
            max_step_percent: 10,
        };
        assert!(b.step_allowed(1000, 1100));
        assert!(b.step_allowed(1000, 900));
        assert!(!b.step_allowed(1000, 1101));
        assert!(!b.step_allowed(1000, 899));
        assert!(b.step_allowed(5, 5));
        assert!(b.step_allowed(5, 6), "one unit is always a step");
        assert!(!b.step_allowed(5, 7), "10% of 5 is 0.5");
        assert!(b.step_allowed(0, 1), "a parameter at 0 can move");
        assert_eq!(b.largest_step(1000), 100);
        assert_eq!(b.largest_step(5), 1);
        assert!(Bound::ANY.step_allowed(1, u64::MAX));
        assert!(Bound::ANY.step_allowed(u64::MAX, 0));
    }

    #[test]
    fn each_clause_of_a_change_is_checked() {
        let g = Governance::defaults_for(&p(100_000, 4, 240));
        g.validate(&p(100_000, 4, 240)).unwrap();
        let cur = p(100_000, 4, 240);
        // Within bounds, within a step, after the delay.
        g.check_change(7, &cur, &p(110_000, 8, 216), 9).unwrap();
        // Out of bounds (the divisor within [120, 480]).
        let mut far = Governance::defaults_for(&cur);
        far.bounds.divisor.max_step_percent = 1000;
        assert_eq!(
            far.check_change(7, &cur, &p(100_000, 4, 481), 9)
                .unwrap_err()
                .code(),
            "param_out_of_bounds"
        );
        // A step larger than 10%.
        assert!(matches!(
            g.check_change(7, &cur, &p(110_001, 4, 240), 9),
            Err(Rejection::ParamStepTooLarge { param: "cap", .. })
        ));
        // Inside the delay.
        assert_eq!(
            g.check_change(7, &cur, &cur, 8),
            Err(Rejection::DelayTooShort {
                earliest: 9,
                got: 8,
                min_delay: 2
            })
        );
        // Unbounded: version 1's rule.
        let u = Governance::unbounded();
        u.check_change(7, &cur, &p(1, 0, 1), 8).unwrap();
        assert!(u.check_change(7, &cur, &cur, 7).is_err());
    }

    #[test]
    fn events_round_trip_through_json() {
        let change = PendingParams {
            params: p(1100, 4, 240),
            effective_epoch: 9,
        };
        for action in [
            GovernanceAction::Scheduled {
                change,
                replaced: Some(change),
            },
            GovernanceAction::Cancelled { withdrawn: change },
            GovernanceAction::TookEffect {
                params: change.params,
                previous: p(1000, 4, 240),
            },
        ] {
            let e = GovernanceEvent {
                height: 3,
                epoch: 7,
                tx: crate::FixedBytes([5; 32]),
                action,
            };
            let json = serde_json::to_value(&e).unwrap();
            assert!(json["action"].is_string(), "{json}");
            assert_eq!(serde_json::from_value::<GovernanceEvent>(json).unwrap(), e);
        }
    }

    #[test]
    fn validation_names_the_problem() {
        let init = p(100_000, 4, 240);
        let mut g = Governance::defaults_for(&init);
        g.min_delay = 0;
        assert_eq!(g.validate(&init), Err(GovernanceError::MinDelay(0)));
        let mut g = Governance::defaults_for(&init);
        g.bounds.divisor.min = 300;
        assert!(matches!(
            g.validate(&init),
            Err(GovernanceError::InitialOutOfBounds {
                param: "divisor",
                ..
            })
        ));
        let mut g = Governance::defaults_for(&init);
        g.authority_group = SignerGroup {
            threshold: 3,
            signers: 2,
        };
        assert!(matches!(
            g.validate(&init),
            Err(GovernanceError::Group {
                which: "authority",
                ..
            })
        ));
        let mut g = Governance::defaults_for(&init);
        g.bounds.cap.max_step_percent = 0;
        assert_eq!(
            g.validate(&init),
            Err(GovernanceError::ZeroStep { param: "cap" })
        );
    }
}
