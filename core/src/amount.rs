//! Amounts as people write them: the fund's currency units with two
//! decimals. The ledger counts in cents (atomic units, `u64`); people enter
//! and read `250.00`. [`parse_amount`] is strict: it never rounds, never
//! guesses a decimal separator and never wraps.

use thiserror::Error;

/// Atomic units (cents) per currency unit.
pub const CENTS_PER_UNIT: u64 = 100;

/// Why a written amount is not an amount.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum AmountError {
    #[error("no amount given: write it in currency units, e.g. 250.00")]
    Empty,
    #[error(
        "{0:?} is not an amount: write currency units with at most two decimals, e.g. 250.00 \
         (or give cents with --cents)"
    )]
    Malformed(String),
    #[error("{0:?} has more than two decimals: the smallest amount is 0.01")]
    TooPrecise(String),
    #[error("{0:?} is too large: the largest amount is {max}", max = format_amount(u64::MAX))]
    TooLarge(String),
}

/// Parses `250`, `250.5`, `250.00` or `1,000.00` / `1_000.00` (thousands
/// separators between groups of three digits) into cents.
pub fn parse_amount(text: &str) -> Result<u64, AmountError> {
    let t = text.trim();
    if t.is_empty() {
        return Err(AmountError::Empty);
    }
    let malformed = || AmountError::Malformed(text.to_string());
    let (whole, frac) = match t.split_once('.') {
        Some((w, f)) => (w, Some(f)),
        None => (t, None),
    };
    let digits = strip_separators(whole).ok_or_else(malformed)?;
    if digits.is_empty() && frac.is_none() {
        return Err(malformed());
    }
    let units: u64 = if digits.is_empty() {
        0
    } else {
        digits
            .parse()
            .map_err(|_| AmountError::TooLarge(text.to_string()))?
    };
    let cents = match frac {
        None => 0,
        Some(f) if f.is_empty() || !f.bytes().all(|c| c.is_ascii_digit()) => {
            return Err(malformed())
        }
        Some(f) if f.len() > 2 => return Err(AmountError::TooPrecise(text.to_string())),
        Some(f) if f.len() == 1 => u64::from(f.as_bytes()[0] - b'0') * 10,
        Some(f) => f.parse::<u64>().map_err(|_| malformed())?,
    };
    units
        .checked_mul(CENTS_PER_UNIT)
        .and_then(|c| c.checked_add(cents))
        .ok_or_else(|| AmountError::TooLarge(text.to_string()))
}

/// The digits of `whole` without thousands separators, if it is digits
/// with `,` or `_` only between groups of three.
fn strip_separators(whole: &str) -> Option<String> {
    if whole.bytes().all(|c| c.is_ascii_digit()) {
        return Some(whole.to_string());
    }
    let sep = if whole.contains(',') { ',' } else { '_' };
    let groups: Vec<&str> = whole.split(sep).collect();
    let ok = groups.iter().all(|g| g.bytes().all(|c| c.is_ascii_digit()))
        && !groups[0].is_empty()
        && groups[0].len() <= 3
        && groups[1..].iter().all(|g| g.len() == 3);
    ok.then(|| groups.concat())
}

/// Cents as currency units with two decimals and thousands separators:
/// `123456` is `1,234.56`.
pub fn format_amount(cents: u64) -> String {
    let units = (cents / CENTS_PER_UNIT).to_string();
    let mut grouped = String::with_capacity(units.len() + units.len() / 3);
    for (i, c) in units.chars().enumerate() {
        if i > 0 && (units.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped}.{:02}", cents % CENTS_PER_UNIT)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_parse_in_currency_units() {
        assert_eq!(parse_amount("250"), Ok(25_000));
        assert_eq!(parse_amount("250.00"), Ok(25_000));
        assert_eq!(parse_amount("250.5"), Ok(25_050));
        assert_eq!(parse_amount("0.01"), Ok(1));
        assert_eq!(parse_amount(".75"), Ok(75));
        assert_eq!(parse_amount(" 1,000.00 "), Ok(100_000));
        assert_eq!(parse_amount("1_000_000"), Ok(100_000_000));
        assert_eq!(parse_amount("184467440737095516.15"), Ok(u64::MAX));
    }

    #[test]
    fn bad_amounts_are_refused_not_rounded() {
        for bad in [
            "", "abc", "2.5.0", "-1", "1e3", "12,34", "1,0000", ",100", "1.", "1.x",
        ] {
            assert!(parse_amount(bad).is_err(), "{bad:?} accepted");
        }
        assert!(matches!(
            parse_amount("1.001"),
            Err(AmountError::TooPrecise(_))
        ));
        assert!(matches!(
            parse_amount("184467440737095516.16"),
            Err(AmountError::TooLarge(_))
        ));
        assert!(matches!(
            parse_amount("99999999999999999999999"),
            Err(AmountError::TooLarge(_))
        ));
    }

    #[test]
    fn amounts_format_with_two_decimals() {
        assert_eq!(format_amount(0), "0.00");
        assert_eq!(format_amount(5), "0.05");
        assert_eq!(format_amount(25_000), "250.00");
        assert_eq!(format_amount(123_456), "1,234.56");
        assert_eq!(format_amount(100_000_000), "1,000,000.00");
        for cents in [0, 1, 99, 100, 123_456, 987_654_321, u64::MAX] {
            assert_eq!(parse_amount(&format_amount(cents)), Ok(cents));
        }
    }
}
