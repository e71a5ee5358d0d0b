//! The subsidy pool (`docs/SPEC.md` §5, "Subsidy pool"): funders (the
//! state, an employer) deposit public amounts into a public pool, and every
//! contribution is matched from it at a rate the genesis fixes, into the
//! member's hidden balance by the contribution's own proof.
//!
//! A contribution of `paid` carries `matched`, and its proof's public
//! `amount` is `paid + matched`: the Contribute statement adds that sum to
//! the hidden balance, unchanged. The ledger accepts the contribution only if
//!
//! ```text
//! matched == min(floor(paid * match_rate / 1000), available)
//! available = funded - matched_so_far
//! ```
//!
//! exactly (`match_too_large`, `match_below_rule`, `subsidy_pool_empty`,
//! `match_exceeds_pool`), and `matched` is bound into the proof's `binding`
//! (kind 5), so nobody can move money between `paid` and `matched` after the
//! member proved. The subsidy pool never goes negative, and a contribution the
//! pool cannot match in full gets what is left, never more.
//!
//! The match counts against the per-epoch cap like any other money that
//! enters the account (the statement caps the hidden epoch total), so a
//! member's match per epoch is at most `cap * rate / (1000 + rate)`.

use crate::codec::Writer;
use crate::hexbytes::PublicKeyBytes;
use ed25519_dalek::VerifyingKey as Ed25519Key;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Largest match rate, in units per thousand (10 units per unit paid).
pub const MAX_MATCH_RATE: u64 = 10_000;
/// Largest number of funders a genesis may name.
pub const MAX_FUNDERS: usize = 16;
/// Longest funder name, in bytes.
pub const MAX_FUNDER_NAME: usize = 64;

/// One funder: a name the public reads and the Ed25519 key its deposits
/// are signed with.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Funder {
    pub name: String,
    pub key: PublicKeyBytes,
}

/// The genesis's subsidy section.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Subsidy {
    /// Matched units per 1000 units paid (500: 50 cents per unit).
    pub match_rate: u64,
    /// Who may deposit, in order (a deposit's nonce counts per funder).
    pub funders: Vec<Funder>,
}

/// A subsidy section that cannot start a chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SubsidyError {
    #[error("match_rate must be between 1 and {MAX_MATCH_RATE} per thousand, got {0}")]
    Rate(u64),
    #[error("name between 1 and {MAX_FUNDERS} funders, got {0}")]
    FunderCount(usize),
    #[error("funder {index}: the name must be 1 to {MAX_FUNDER_NAME} bytes of printable text")]
    Name { index: usize },
    #[error("funder {name}: the key is not a valid, non-weak Ed25519 public key")]
    Key { name: String },
    #[error("funders {first} and {second} have the same {what}")]
    Duplicate {
        first: String,
        second: String,
        what: &'static str,
    },
}

/// The checked section, with the funders' decoded keys.
#[derive(Clone, Debug)]
pub struct SubsidyRules {
    pub match_rate: u64,
    pub funders: Vec<(String, Ed25519Key)>,
}

impl SubsidyRules {
    /// The index of the funder with `key`.
    pub fn funder_index(&self, key: &PublicKeyBytes) -> Option<usize> {
        self.funders
            .iter()
            .position(|(_, k)| k.as_bytes() == &key.0)
    }
}

impl Subsidy {
    pub fn validate(&self) -> Result<SubsidyRules, SubsidyError> {
        if !(1..=MAX_MATCH_RATE).contains(&self.match_rate) {
            return Err(SubsidyError::Rate(self.match_rate));
        }
        if !(1..=MAX_FUNDERS).contains(&self.funders.len()) {
            return Err(SubsidyError::FunderCount(self.funders.len()));
        }
        let mut funders: Vec<(String, Ed25519Key)> = Vec::with_capacity(self.funders.len());
        for (index, f) in self.funders.iter().enumerate() {
            if f.name.is_empty()
                || f.name.len() > MAX_FUNDER_NAME
                || f.name.chars().any(char::is_control)
            {
                return Err(SubsidyError::Name { index });
            }
            let key = Ed25519Key::from_bytes(&f.key.0)
                .ok()
                .filter(|k| !k.is_weak())
                .ok_or_else(|| SubsidyError::Key {
                    name: f.name.clone(),
                })?;
            for (other, k) in &funders {
                let what = if other == &f.name {
                    "name"
                } else if k == &key {
                    "key"
                } else {
                    continue;
                };
                return Err(SubsidyError::Duplicate {
                    first: other.clone(),
                    second: f.name.clone(),
                    what,
                });
            }
            funders.push((f.name.clone(), key));
        }
        Ok(SubsidyRules {
            match_rate: self.match_rate,
            funders,
        })
    }

    /// Canonical encoding, inside the genesis's (version 5).
    pub(crate) fn write(&self, w: &mut Writer) {
        w.u64(self.match_rate).u32(self.funders.len() as u32);
        for f in &self.funders {
            w.var_bytes(f.name.as_bytes()).raw(&f.key.0);
        }
    }
}

/// What the rule gives a contribution of `paid` at `match_rate` before the
/// pool is considered: `floor(paid * match_rate / 1000)`.
pub fn rule(paid: u64, match_rate: u64) -> u64 {
    let m = u128::from(paid) * u128::from(match_rate) / 1000;
    u64::try_from(m).unwrap_or(u64::MAX)
}

/// The match of a contribution of `paid` when `available` is left in the
/// pool: `min(rule(paid, match_rate), available)`.
pub fn match_for(paid: u64, match_rate: u64, available: u64) -> u64 {
    rule(paid, match_rate).min(available)
}

/// The subsidy's public totals, part of the state (and its root).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SubsidyTotals {
    /// Sum of all deposits.
    pub funded: u64,
    /// Sum of all matches.
    pub matched: u64,
    /// Each funder's next deposit nonce (its number of deposits), in
    /// genesis order.
    pub deposit_nonces: Vec<u64>,
}

impl SubsidyTotals {
    /// A chain's totals before its first deposit.
    pub fn new(funders: usize) -> Self {
        SubsidyTotals {
            funded: 0,
            matched: 0,
            deposit_nonces: vec![0; funders],
        }
    }

    /// `funded - matched`: what the pool can still match. Never negative: a
    /// match larger than this is refused.
    pub fn available(&self) -> u64 {
        self.funded.saturating_sub(self.matched)
    }
}

/// Domain of the message a deposit's signature covers:
/// `"zkpension/v1/funder" || chain_id || body`, as the authority's.
pub const FUNDER_DOMAIN: &[u8] = b"zkpension/v1/funder";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::hexbytes::FixedBytes;
    use ed25519_dalek::SigningKey;

    fn funder(name: &str, seed: u8) -> Funder {
        Funder {
            name: name.into(),
            key: FixedBytes(
                SigningKey::from_bytes(&[seed; 32])
                    .verifying_key()
                    .to_bytes(),
            ),
        }
    }

    #[test]
    fn the_rule_floors_and_the_pool_limits() {
        assert_eq!(rule(1000, 500), 500);
        assert_eq!(rule(999, 500), 499);
        assert_eq!(rule(1, 500), 0);
        assert_eq!(rule(u64::MAX, MAX_MATCH_RATE), u64::MAX);
        assert_eq!(match_for(1000, 500, 120), 120);
        assert_eq!(match_for(1000, 500, 0), 0);
        assert_eq!(match_for(1000, 500, 10_000), 500);
        let t = SubsidyTotals {
            funded: 10,
            matched: 10,
            deposit_nonces: vec![1],
        };
        assert_eq!(t.available(), 0);
    }

    #[test]
    fn validation_refuses() {
        let good = Subsidy {
            match_rate: 500,
            funders: vec![funder("state", 3), funder("employer", 4)],
        };
        let rules = good.validate().unwrap();
        assert_eq!(rules.funder_index(&good.funders[1].key), Some(1));
        assert_eq!(rules.funder_index(&FixedBytes([9; 32])), None);
        let mut s = good.clone();
        s.match_rate = 0;
        assert_eq!(s.validate().unwrap_err(), SubsidyError::Rate(0));
        s.match_rate = MAX_MATCH_RATE + 1;
        assert!(matches!(s.validate(), Err(SubsidyError::Rate(_))));
        let mut s = good.clone();
        s.funders.clear();
        assert_eq!(s.validate().unwrap_err(), SubsidyError::FunderCount(0));
        let mut s = good.clone();
        s.funders[1].name = "state".into();
        assert!(matches!(
            s.validate(),
            Err(SubsidyError::Duplicate { what: "name", .. })
        ));
        let mut s = good.clone();
        s.funders[1].key = s.funders[0].key;
        assert!(matches!(
            s.validate(),
            Err(SubsidyError::Duplicate { what: "key", .. })
        ));
        let mut s = good.clone();
        s.funders[0].name = "a\nb".into();
        assert_eq!(s.validate().unwrap_err(), SubsidyError::Name { index: 0 });
        let mut s = good;
        s.funders[0].key = FixedBytes([0; 32]);
        assert!(matches!(s.validate(), Err(SubsidyError::Key { .. })));
    }
}
