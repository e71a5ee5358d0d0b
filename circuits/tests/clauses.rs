//! For every clause of SPEC §4: an honest witness is accepted, and a witness
//! that breaks exactly that clause (built as a malicious prover would, with
//! everything else recomputed to fit) is rejected by both the native relation,
//! which names the clause, and the circuit.

use crate::common;

use ark_ff::Field;
use common::{
    attest_case, claim_case, claim_case_with, contribute_case, neg, retiree_note, small, two_64,
    Case,
};
use zkpension_circuits::statements::{idx, Clause};
use zkpension_circuits::Fr;

const ONE: u64 = 1;

fn f(x: u64) -> Fr {
    Fr::from(x)
}

// Public input positions.
mod c {
    pub const AMOUNT: usize = 3;
    pub const EPOCH: usize = 4;
    pub const CAP: usize = 5;
}
mod cl {
    pub const AMOUNT: usize = 3;
    pub const EPOCH: usize = 4;
    pub const MIN_PERIODS: usize = 5;
    pub const DIVISOR: usize = 6;
}
mod at {
    pub const EPOCH: usize = 3;
    pub const CONTEXT: usize = 4;
    pub const TAG: usize = 5;
    pub const MIN_BALANCE: usize = 6;
    pub const MIN_PERIODS: usize = 7;
    pub const REQUIRE_ELIGIBLE: usize = 8;
}

fn all_honest() -> Vec<Case> {
    vec![
        contribute_case(50, 5),
        contribute_case(200, 6),
        contribute_case(100, 5),
        claim_case(),
        claim_case_with(retiree_note(143, 21, 857), 22),
        claim_case_with(retiree_note(143, 27, 0x40), 30),
        attest_case(false, 3),
        attest_case(true, 20),
    ]
}

#[test]
fn honest_witnesses_are_accepted() {
    for case in all_honest() {
        case.assert_accepted();
    }
}

// ---------------------------------------------------------------- spend clauses

fn spend_cases() -> Vec<Case> {
    vec![contribute_case(50, 5), claim_case(), attest_case(true, 21)]
}

#[test]
fn membership() {
    for case in spend_cases() {
        // An anchor the note is not under.
        let mut bad = case.clone();
        bad.public[0] += f(ONE);
        bad.assert_rejected(Clause::Membership);
        // A forged sibling.
        let mut bad = case.clone();
        bad.w.path.siblings[7][1] += f(ONE);
        bad.assert_rejected(Clause::Membership);
        // The right siblings at another position: a path digit changed (the
        // node placed second instead of first among its level-5 siblings).
        let mut bad = case.clone();
        bad.w.path.index ^= 1 << 10;
        bad.assert_rejected(Clause::Membership);
        // A note never committed: the old note edited, anchor kept.
        let mut bad = case;
        bad.w.old[idx::BALANCE] += f(1000);
        bad.assert_rejected(Clause::Membership);
    }
}

#[test]
fn owner() {
    for case in spend_cases() {
        // Someone else's key spending the note: nullifier and everything
        // downstream recomputed with the thief's key.
        let mut bad = case;
        bad.w.sk += f(ONE);
        bad.seal().assert_rejected(Clause::Owner);
    }
}

#[test]
fn nullifier() {
    for case in spend_cases() {
        // A fresh nullifier (to spend the note twice), chained into the new note.
        let mut bad = case;
        bad.public[1] += f(ONE);
        bad.w.new[idx::RHO] = bad.public[1];
        bad.seal_new().assert_rejected(Clause::Nullifier);
    }
}

#[test]
fn rho_chaining() {
    for case in spend_cases() {
        let mut bad = case;
        bad.w.new[idx::RHO] += f(ONE);
        bad.seal_new().assert_rejected(Clause::RhoChain);
    }
}

#[test]
fn fresh_fields_kept() {
    for case in spend_cases() {
        let mut bad = case.clone();
        bad.w.new[idx::OWNER] += f(ONE);
        bad.clone().seal_new().assert_rejected(Clause::KeepOwner);
        let mut bad = case;
        bad.w.new[idx::ELIGIBLE_EPOCH] = f(0);
        bad.seal_new().assert_rejected(Clause::KeepEligibleEpoch);
    }
}

#[test]
fn note_key() {
    for case in spend_cases() {
        // A note bound to another nullifier key than the spender's: its
        // owner's path and an heir's path would give two nullifiers.
        let mut bad = case.clone();
        bad.w.old[idx::NK] += f(ONE);
        bad.seal().assert_rejected(Clause::NoteKey);
        // An enrollment note (nk 0) is spent under the owner's key.
        let mut enrollment = case;
        enrollment.w.old[idx::NK] = f(0);
        enrollment.seal().assert_accepted();
    }
}

#[test]
fn new_note_key() {
    for case in spend_cases() {
        // A new note without a key (to look like an enrollment note), or
        // with another key (its heir's path would give another nullifier).
        for nk in [f(0), case.w.nk() + f(ONE)] {
            let mut bad = case.clone();
            bad.w.new[idx::NK] = nk;
            bad.seal_new().assert_rejected(Clause::NewNoteKey);
        }
    }
}

#[test]
fn last_active() {
    for case in spend_cases() {
        // An earlier activity epoch, to let the heir in sooner, or a later one.
        for delta in [neg(1), f(ONE)] {
            let mut bad = case.clone();
            bad.w.new[idx::LAST_ACTIVE] += delta;
            bad.seal_new().assert_rejected(Clause::LastActive);
        }
    }
}

#[test]
fn heir_is_the_members_choice() {
    for case in spend_cases() {
        let mut other = case;
        other.w.new[idx::HEIR] = f(98765);
        other.seal_new().assert_accepted();
    }
}

/// Each packed field of the old note opened out of range, with another
/// field of its word raised by one to compensate: the same commitment, so
/// the note is in the tree, and only the range check stands between the
/// prover and a changed value (a balance raised by one, for example).
#[test]
fn packed_fields_of_the_old_note_are_in_range() {
    use zkpension_circuits::note::{NoteCommitment, PACKING};
    let shift = two_64();
    for (i, name) in idx::PACKED_OLD {
        let word = PACKING.iter().find(|w| w.contains(&i)).unwrap();
        let pos = |k: usize| word.iter().position(|&x| x == k).unwrap() as u64;
        let j = *word.iter().find(|&&k| k != i).unwrap();
        // c_j + 1 adds 2^(64 pos_j); c_i takes it back: 2^(64 (pos_j - pos_i)).
        let weight = |k| shift.pow([pos(k)]);
        let mut case = attest_case(false, 3);
        let cm = NoteCommitment::derive(&case.w.old);
        case.w.old[j] += f(ONE);
        case.w.old[i] -= weight(j) * weight(i).inverse().unwrap();
        assert_eq!(NoteCommitment::derive(&case.w.old), cm, "{name}");
        // The new note carries the opened values, as Attest requires.
        for (k, _) in idx::PACKED_OLD {
            if k != idx::LAST_ACTIVE {
                case.w.new[k] = case.w.old[k];
            }
        }
        case.seal_new().assert_rejected(Clause::Range(name));
    }
}

#[test]
fn new_commitment() {
    for case in spend_cases() {
        let mut bad = case.clone();
        bad.public[2] += f(ONE);
        bad.assert_rejected(Clause::NewCommitment);
        // The commitment of a different note than the witnessed one.
        let mut bad = case;
        bad.w.new[idx::R] += f(ONE);
        bad.assert_rejected(Clause::NewCommitment);
    }
}

// ---------------------------------------------------------------- contribute

/// A Contribute whose new note is recomputed in the field from `amount`, the
/// way the circuit's equations read (so only the clause under test breaks).
fn contribute_raw(amount: Fr, epoch: Fr, same: bool) -> Case {
    let mut case = contribute_case(50, 5);
    let w = &mut case.w;
    case.public[c::AMOUNT] = amount;
    case.public[c::EPOCH] = epoch;
    w.new[idx::BALANCE] = w.old[idx::BALANCE] + amount;
    w.new[idx::EPOCH_TOTAL] = if same { w.old[idx::EPOCH_TOTAL] } else { f(0) } + amount;
    w.new[idx::PERIODS] = w.old[idx::PERIODS] + if same { f(0) } else { f(1) };
    w.new[idx::LAST_EPOCH] = epoch;
    case.seal()
}

#[test]
fn contribute_amount_at_least_one() {
    contribute_raw(f(0), f(5), true).assert_rejected(Clause::AmountPositive);
    contribute_raw(f(0), f(6), false).assert_rejected(Clause::AmountPositive);
}

#[test]
fn contribute_amount_range() {
    // A "negative" amount that would drain the balance.
    contribute_raw(neg(50), f(5), true).assert_rejected(Clause::Range("amount"));
    contribute_raw(two_64(), f(6), false).assert_rejected(Clause::Range("amount"));
}

#[test]
fn contribute_epoch_range() {
    contribute_raw(f(10), two_64() + f(5), false).assert_rejected(Clause::Range("epoch"));
}

#[test]
fn contribute_cap_range() {
    let mut bad = contribute_case(50, 5);
    bad.public[c::CAP] = neg(1);
    bad.assert_rejected(Clause::Range("cap"));
}

#[test]
fn contribute_cap_same_epoch() {
    // 100 already paid in epoch 5; 150 more exceeds the cap of 200.
    let case = contribute_raw(f(150), f(5), true);
    assert_eq!(small(case.w.new[idx::EPOCH_TOTAL]), 250);
    case.assert_rejected(Clause::Cap);
    // Exactly at the cap is fine.
    contribute_raw(f(100), f(5), true).assert_accepted();
}

#[test]
fn contribute_cap_new_epoch() {
    contribute_raw(f(201), f(6), false).assert_rejected(Clause::Cap);
    contribute_raw(f(200), f(6), false).assert_accepted();
}

#[test]
fn contribute_epoch_total() {
    // Same epoch, but the prover restarts the epoch total to dodge the cap.
    let mut bad = contribute_raw(f(150), f(5), true);
    bad.w.new[idx::EPOCH_TOTAL] = f(150);
    bad.seal_new().assert_rejected(Clause::EpochTotal);
    // New epoch, but the total keeps the old epoch's (harmless but wrong).
    let mut bad = contribute_raw(f(10), f(6), false);
    bad.w.new[idx::EPOCH_TOTAL] = f(110);
    bad.seal_new().assert_rejected(Clause::EpochTotal);
}

#[test]
fn contribute_periods() {
    // Same epoch counted as a new period (to vest faster).
    let mut bad = contribute_raw(f(10), f(5), true);
    bad.w.new[idx::PERIODS] += f(1);
    bad.seal_new().assert_rejected(Clause::Periods);
    // New epoch not counted.
    let mut bad = contribute_raw(f(10), f(6), false);
    bad.w.new[idx::PERIODS] -= f(1);
    bad.seal_new().assert_rejected(Clause::Periods);
    // New epoch counted twice.
    let mut bad = contribute_raw(f(10), f(9), false);
    bad.w.new[idx::PERIODS] += f(1);
    bad.seal_new().assert_rejected(Clause::Periods);
}

#[test]
fn contribute_epoch_never_goes_back() {
    // Epoch 4 after epoch 5, treated as a fresh epoch to reset the cap.
    contribute_raw(f(200), f(4), false).assert_rejected(Clause::EpochOrder);
}

#[test]
fn contribute_last_epoch() {
    let mut bad = contribute_raw(f(10), f(6), false);
    bad.w.new[idx::LAST_EPOCH] = f(5);
    bad.seal_new().assert_rejected(Clause::LastEpoch);
}

#[test]
fn contribute_balance_arithmetic() {
    let mut bad = contribute_raw(f(10), f(6), false);
    bad.w.new[idx::BALANCE] += f(1);
    bad.seal_new().assert_rejected(Clause::Balance);
}

#[test]
fn contribute_balance_overflow() {
    // An old balance near 2^64: the new one is >= 2^64.
    let mut case = contribute_case(50, 5);
    case.w.old[idx::BALANCE] = f(u64::MAX - 10);
    let bad = {
        let amount = case.public[c::AMOUNT];
        case.w.new[idx::BALANCE] = case.w.old[idx::BALANCE] + amount;
        case.seal()
    };
    bad.assert_rejected(Clause::Range("balance_new"));
    // A "negative" old balance (p - 10) that wraps to a small new one.
    let mut case = contribute_case(50, 5);
    case.w.old[idx::BALANCE] = neg(10);
    case.w.new[idx::BALANCE] = neg(10) + f(50);
    assert_eq!(small(case.w.new[idx::BALANCE]), 40);
    case.seal().assert_rejected(Clause::Range("balance_old"));
}

#[test]
fn contribute_old_fields_range() {
    for (field, name) in [
        (idx::LAST_EPOCH, "last_epoch_old"),
        (idx::EPOCH_TOTAL, "epoch_total_old"),
        (idx::PERIODS, "periods_old"),
    ] {
        let mut case = contribute_raw(f(10), f(6), false);
        case.w.old[field] = two_64() + case.w.old[field];
        // Keep the new note consistent in the field with the edited old one.
        if field == idx::PERIODS {
            case.w.new[idx::PERIODS] = case.w.old[idx::PERIODS] + f(1);
        }
        case.seal().assert_rejected(Clause::Range(name));
    }
}

#[test]
fn contribute_new_fields_range() {
    // An epoch total that wraps below the cap: p - 5 + 10 = 5.
    let mut case = contribute_raw(f(10), f(5), true);
    case.w.old[idx::EPOCH_TOTAL] = neg(5);
    case.w.new[idx::EPOCH_TOTAL] = neg(5) + f(10);
    case.seal()
        .assert_rejected(Clause::Range("epoch_total_old"));
    let mut case = contribute_raw(f(10), f(6), false);
    case.w.new[idx::PERIODS] = two_64() + case.w.new[idx::PERIODS];
    case.w.old[idx::PERIODS] = two_64() + case.w.old[idx::PERIODS];
    case.seal().assert_rejected(Clause::Range("periods_old"));
}

#[test]
fn contribute_unchanged_fields() {
    for (field, name) in [(idx::LAST_CLAIM, "last_claim"), (idx::PENSION, "pension")] {
        let mut bad = contribute_raw(f(10), f(6), false);
        bad.w.new[field] += f(3);
        bad.seal_new().assert_rejected(Clause::Unchanged(name));
    }
}

// ---------------------------------------------------------------- claim

/// A claim whose new note is recomputed from the given pension and amount.
fn claim_raw(mut case: Case, pension_new: Fr, amount: Fr) -> Case {
    case.public[cl::AMOUNT] = amount;
    case.w.new[idx::PENSION] = pension_new;
    case.w.new[idx::BALANCE] = case.w.old[idx::BALANCE] - amount;
    case.seal()
}

#[test]
fn claim_eligibility_epoch() {
    // Eligible at 20; claiming in 19 (last_claim 0 < 19).
    let mut case = claim_case();
    case.public[cl::EPOCH] = f(19);
    case.w.new[idx::LAST_CLAIM] = f(19);
    case.seal().assert_rejected(Clause::Eligibility);
}

#[test]
fn claim_vesting() {
    let mut case = claim_case();
    case.public[cl::MIN_PERIODS] = f(11);
    case.seal().assert_rejected(Clause::Vesting);
}

#[test]
fn claim_one_per_epoch() {
    // Already claimed in epoch 22; again in 22.
    let mut case = claim_case_with(retiree_note(143, 21, 857), 22);
    case.w.old[idx::LAST_CLAIM] = f(22);
    case.seal().assert_rejected(Clause::OneClaimPerEpoch);
    // And a claim "in the past".
    let mut case = claim_case_with(retiree_note(143, 21, 857), 22);
    case.w.old[idx::LAST_CLAIM] = f(30);
    case.seal().assert_rejected(Clause::OneClaimPerEpoch);
}

#[test]
fn claim_divisor_at_least_one() {
    let mut case = claim_case();
    case.public[cl::DIVISOR] = f(0);
    case.seal().assert_rejected(Clause::Divisor);
}

#[test]
fn claim_first_pension_is_ceil() {
    // 1000 / 7 = 142.86: the pension is 143; floor (142) and 144 are refused.
    let honest = claim_case();
    assert_eq!(small(honest.w.new[idx::PENSION]), 143);
    claim_raw(claim_case(), f(142), f(142)).assert_rejected(Clause::Pension);
    claim_raw(claim_case(), f(144), f(144)).assert_rejected(Clause::Pension);
    // An exact division has no rounding: 700 / 7 = 100, not 101.
    let exact = claim_case_with(retiree_note(0, 0, 700), 21);
    assert_eq!(small(exact.w.new[idx::PENSION]), 100);
    exact.assert_accepted();
    claim_raw(exact, f(101), f(101)).assert_rejected(Clause::Pension);
}

#[test]
fn claim_pension_fixed_after_first() {
    // After the first claim the pension never changes.
    let case = claim_case_with(retiree_note(143, 21, 857), 22);
    claim_raw(case, f(200), f(200)).assert_rejected(Clause::Pension);
}

#[test]
fn claim_payout_is_min() {
    // Pension 143, balance 857: the payout is 143, not more.
    let case = claim_case_with(retiree_note(143, 21, 857), 22);
    claim_raw(case, f(143), f(144)).assert_rejected(Clause::PayoutMin);
    // Nor the whole balance at once.
    let case = claim_case_with(retiree_note(143, 21, 857), 22);
    claim_raw(case, f(143), f(857)).assert_rejected(Clause::PayoutMin);
    // Nor less (a balance the member "keeps" would be unclaimable bookkeeping).
    let case = claim_case_with(retiree_note(143, 21, 857), 22);
    claim_raw(case, f(143), f(142)).assert_rejected(Clause::PayoutMin);
    // Balance 64 < pension 143: the last payout is 64, not 143.
    let case = claim_case_with(retiree_note(143, 27, 64), 30);
    assert_eq!(small(case.public[cl::AMOUNT]), 64);
    claim_raw(case, f(143), f(143)).assert_rejected(Clause::PayoutMin);
}

#[test]
fn claim_payout_at_least_one() {
    // An empty account cannot claim 0 (it would only churn nullifiers).
    let case = claim_case_with(retiree_note(143, 27, 64), 30);
    let mut empty = case;
    empty.w.old[idx::BALANCE] = f(0);
    claim_raw(empty, f(143), f(0)).assert_rejected(Clause::PayoutPositive);
}

#[test]
fn claim_balance_underflow() {
    // The prover takes more than the balance: balance_new = 64 - 143 wraps.
    let case = claim_case_with(retiree_note(143, 27, 64), 30);
    let bad = claim_raw(case, f(143), f(143));
    assert!(zkpension_circuits::field::to_u64(&bad.w.new[idx::BALANCE]).is_err());
    assert!(!bad.circuit_satisfied());
    assert!(bad.native().is_err());
    // balance_new not equal to balance_old - amount.
    let mut bad = claim_case();
    bad.w.new[idx::BALANCE] += f(1);
    bad.seal_new().assert_rejected(Clause::Balance);
    // A balance_new >= 2^64 that sums to balance_old in the field.
    let mut bad = claim_case();
    bad.w.new[idx::BALANCE] = neg(1);
    bad.public[cl::AMOUNT] = bad.w.old[idx::BALANCE] + f(1);
    bad.seal().assert_rejected(Clause::PayoutMin);
}

#[test]
fn claim_last_claim() {
    let mut bad = claim_case();
    bad.w.new[idx::LAST_CLAIM] = f(0);
    bad.seal_new().assert_rejected(Clause::LastClaim);
}

#[test]
fn claim_unchanged_fields() {
    for (field, name) in [
        (idx::PERIODS, "periods"),
        (idx::LAST_EPOCH, "last_epoch"),
        (idx::EPOCH_TOTAL, "epoch_total"),
    ] {
        let mut bad = claim_case();
        bad.w.new[field] += f(1);
        bad.seal_new().assert_rejected(Clause::Unchanged(name));
    }
}

#[test]
fn claim_ranges() {
    for (pos, name) in [
        (cl::EPOCH, "epoch"),
        (cl::MIN_PERIODS, "min_periods"),
        (cl::DIVISOR, "divisor"),
    ] {
        let mut bad = claim_case();
        bad.public[pos] = two_64() + bad.public[pos];
        if pos == cl::EPOCH {
            bad.w.new[idx::LAST_CLAIM] = bad.public[pos];
        }
        bad.seal().assert_rejected(Clause::Range(name));
    }
    for (field, name) in [
        (idx::ELIGIBLE_EPOCH, "eligible_epoch"),
        (idx::BALANCE, "balance_old"),
        (idx::PERIODS, "periods_old"),
        (idx::LAST_CLAIM, "last_claim_old"),
        (idx::PENSION, "pension_old"),
    ] {
        let mut bad = claim_case();
        bad.w.old[field] = neg(1);
        if field != idx::BALANCE && field != idx::PENSION && field != idx::LAST_CLAIM {
            bad.w.new[field] = neg(1);
        }
        bad.seal().assert_rejected(Clause::Range(name));
    }
    // A pension_new >= 2^64 with a matching "amount".
    let bad = claim_raw(claim_case(), neg(1), f(1000));
    bad.assert_rejected(Clause::Range("pension_new"));
}

// ---------------------------------------------------------------- attest

#[test]
fn attest_tag() {
    let mut bad = attest_case(false, 3);
    bad.public[at::TAG] += f(1);
    bad.assert_rejected(Clause::Tag);
    // A tag for another context.
    let mut bad = attest_case(false, 3);
    bad.public[at::CONTEXT] += f(1);
    bad.assert_rejected(Clause::Tag);
}

#[test]
fn attest_min_balance() {
    let mut bad = attest_case(false, 3);
    bad.public[at::MIN_BALANCE] = f(501);
    bad.assert_rejected(Clause::MinBalance);
    let mut ok = attest_case(false, 3);
    ok.public[at::MIN_BALANCE] = f(500);
    ok.assert_accepted();
}

#[test]
fn attest_min_periods() {
    let mut bad = attest_case(false, 3);
    bad.public[at::MIN_PERIODS] = f(3);
    bad.assert_rejected(Clause::Vesting);
}

#[test]
fn attest_require_eligible_boolean() {
    // 2 would make `require_eligible * (epoch - eligible)` a different check.
    let mut bad = attest_case(false, 3);
    bad.public[at::REQUIRE_ELIGIBLE] = f(2);
    bad.assert_rejected(Clause::RequireEligibleBoolean);
    let mut bad = attest_case(false, 3);
    bad.public[at::REQUIRE_ELIGIBLE] = neg(1);
    bad.assert_rejected(Clause::RequireEligibleBoolean);
}

#[test]
fn attest_eligibility() {
    // Eligible at 20: not yet in epoch 19 when required; fine when not required.
    let mut bad = attest_case(true, 20);
    bad.public[at::EPOCH] = f(19);
    bad.seal().assert_rejected(Clause::AttestEligibility);
    attest_case(false, 19).assert_accepted();
}

#[test]
fn attest_unchanged_fields() {
    for (field, name) in [
        (idx::BALANCE, "balance"),
        (idx::PERIODS, "periods"),
        (idx::LAST_EPOCH, "last_epoch"),
        (idx::EPOCH_TOTAL, "epoch_total"),
        (idx::LAST_CLAIM, "last_claim"),
        (idx::PENSION, "pension"),
    ] {
        let mut bad = attest_case(false, 3);
        bad.w.new[field] += f(1);
        bad.seal_new().assert_rejected(Clause::Unchanged(name));
    }
}

#[test]
fn attest_ranges() {
    for (pos, name) in [
        (at::MIN_BALANCE, "min_balance"),
        (at::MIN_PERIODS, "min_periods"),
    ] {
        let mut bad = attest_case(false, 3);
        bad.public[pos] = neg(1);
        bad.assert_rejected(Clause::Range(name));
    }
    let mut bad = attest_case(true, 20);
    bad.public[at::EPOCH] = two_64() + f(20);
    bad.seal().assert_rejected(Clause::Range("epoch"));
    // A "negative" balance would pass any threshold in the field.
    let mut bad = attest_case(false, 3);
    bad.w.old[idx::BALANCE] = neg(1);
    bad.w.new[idx::BALANCE] = neg(1);
    bad.seal().assert_rejected(Clause::Range("balance_old"));
}
