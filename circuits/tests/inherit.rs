//! Inherit (SPEC §4), clause by clause: the honest heir of a dormant account
//! is accepted, and a witness that breaks exactly one clause (built as a
//! malicious prover would, everything else recomputed to fit) is rejected by
//! both the native relation, which names the clause, and the circuit.

use crate::common::{
    self, dormant_note, heir_sk, inherit_case, inherit_case_with, member_note, neg, sk, two_64,
    InheritCase, DORMANCY,
};

use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::statements::{idx, inherit, Clause, Statement};
use zkpension_circuits::Fr;

fn f(x: u64) -> Fr {
    Fr::from(x)
}

/// The fixture's note is last active in epoch 5; dormancy is 10.
const FIRST_EPOCH: u64 = 15;

#[test]
fn the_heir_of_a_dormant_account_is_accepted() {
    assert_eq!(dormant_note().last_active + DORMANCY, FIRST_EPOCH);
    inherit_case(FIRST_EPOCH).assert_accepted();
    inherit_case(1_000).assert_accepted();
    // A retiree's account: pension fixed, claims made, whatever is left.
    let retiree = Note {
        pension: 143,
        last_claim: 30,
        last_active: 30,
        balance: 1,
        ..dormant_note()
    };
    inherit_case_with(retiree, 40).assert_accepted();
}

#[test]
fn the_payout_is_the_whole_balance_under_the_owners_nullifier() {
    let case = inherit_case(FIRST_EPOCH);
    let note = dormant_note();
    assert_eq!(case.public[InheritCase::AMOUNT], f(note.balance));
    // The nullifier the owner's own spend reveals: one note, one spend.
    assert_eq!(
        case.public[InheritCase::NF],
        note.nullifier(&sk().nullifier_key()).to_field()
    );
}

#[test]
fn heir_named() {
    // A note without an heir, as if the prover's key hashed to 0.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.w.old[idx::HEIR] = f(0);
    bad.seal().assert_rejected(Clause::HeirNamed);
}

#[test]
fn heir() {
    // Someone who is not the designated heir.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.w.sk = SpendingKey::from_seed(b"a stranger").expose();
    bad.assert_rejected(Clause::Heir);
    // The owner: their path is the spend statements, not this one.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.w.sk = sk().expose();
    bad.assert_rejected(Clause::Heir);
    // The former heir after the member named another: the current note
    // names someone else.
    let renamed = Note {
        heir: SpendingKey::from_seed(b"the new heir").owner(),
        ..dormant_note()
    };
    let mut bad = inherit_case_with(dormant_note(), FIRST_EPOCH);
    bad.w.old = renamed.to_field_elements();
    bad.seal().assert_rejected(Clause::Heir);
    let err = inherit::prepare(
        &heir_sk(),
        &renamed,
        common::note_in_tree(&renamed).1,
        FIRST_EPOCH,
        DORMANCY,
        f(0),
    )
    .unwrap_err();
    assert_eq!(
        (err.statement, err.clause),
        (Statement::Inherit, Clause::Heir)
    );
}

#[test]
fn membership() {
    let case = inherit_case(FIRST_EPOCH);
    let mut bad = case.clone();
    bad.public[InheritCase::ANCHOR] += f(1);
    bad.assert_rejected(Clause::Membership);
    let mut bad = case.clone();
    bad.w.path.siblings[3][2] += f(1);
    bad.assert_rejected(Clause::Membership);
    let mut bad = case.clone();
    bad.w.path.index ^= 1 << 6;
    bad.assert_rejected(Clause::Membership);
    // A note never committed: more balance than the account holds.
    let mut bad = case;
    bad.w.old[idx::BALANCE] += f(1000);
    bad.public[InheritCase::AMOUNT] = bad.w.old[idx::BALANCE];
    bad.assert_rejected(Clause::Membership);
}

#[test]
fn bound_note_key() {
    // An enrollment note (nk = 0) that names an heir: its nullifier under
    // nk = 0 would differ from the owner's, so it could be spent twice.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.w.old[idx::NK] = f(0);
    bad.seal().assert_rejected(Clause::BoundNoteKey);
}

#[test]
fn nullifier() {
    let case = inherit_case(FIRST_EPOCH);
    // A fresh nullifier, to spend the note a second time.
    let mut bad = case.clone();
    bad.public[InheritCase::NF] += f(1);
    bad.assert_rejected(Clause::Nullifier);
    // The nullifier under the heir's own key instead of the note's.
    let mut bad = case;
    bad.public[InheritCase::NF] = member_note_nullifier_under(&heir_sk());
    bad.assert_rejected(Clause::Nullifier);
}

fn member_note_nullifier_under(key: &SpendingKey) -> Fr {
    dormant_note().nullifier(&key.nullifier_key()).to_field()
}

#[test]
fn packed_fields_of_the_old_note_are_in_range() {
    for (i, name) in idx::PACKED_OLD {
        let mut bad = inherit_case(FIRST_EPOCH);
        bad.w.old[i] += two_64();
        if i == idx::BALANCE {
            bad.public[InheritCase::AMOUNT] = bad.w.old[i];
        }
        bad.seal().assert_rejected(Clause::Range(name));
    }
}

#[test]
fn an_aliased_packing_cannot_move_last_active_back() {
    // packB = last_claim + 2^64 last_active: last_active - 1 and
    // last_claim + 2^64 give the same word, so the same commitment and the
    // same anchor, with the account "dormant" 1 epoch early.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.public[InheritCase::EPOCH] = f(FIRST_EPOCH - 1);
    assert_eq!(bad.native().unwrap_err().clause, Clause::Dormancy);
    bad.w.old[idx::LAST_ACTIVE] -= f(1);
    bad.w.old[idx::LAST_CLAIM] += two_64();
    assert_eq!(bad.clone().seal().public, bad.public, "same commitment");
    bad.assert_rejected(Clause::Range("last_claim_old"));
}

#[test]
fn dormancy() {
    // One epoch too early.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.public[InheritCase::EPOCH] = f(FIRST_EPOCH - 1);
    bad.assert_rejected(Clause::Dormancy);
    // A dormancy shorter than the ledger's.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.public[InheritCase::DORMANCY] = f(DORMANCY + 1);
    bad.assert_rejected(Clause::Dormancy);
    // The member acted since: last_active moved on.
    let active = Note {
        last_active: 6,
        ..dormant_note()
    };
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.w.old = active.to_field_elements();
    bad.seal().assert_rejected(Clause::Dormancy);
}

#[test]
fn dormancy_inputs_are_in_range() {
    // A "negative" dormancy would make the condition hold at once.
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.public[InheritCase::DORMANCY] = neg(5);
    bad.assert_rejected(Clause::Range("dormancy"));
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.public[InheritCase::EPOCH] = f(FIRST_EPOCH) + two_64();
    bad.assert_rejected(Clause::Range("epoch"));
}

#[test]
fn whole_balance() {
    for amount in [499, 501, 1] {
        let mut bad = inherit_case(FIRST_EPOCH);
        bad.public[InheritCase::AMOUNT] = f(amount);
        bad.assert_rejected(Clause::WholeBalance);
    }
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.public[InheritCase::AMOUNT] = f(500) + two_64();
    bad.assert_rejected(Clause::Range("amount"));
}

#[test]
fn payout_positive() {
    // An empty account: nothing to inherit.
    let empty = Note {
        balance: 0,
        ..dormant_note()
    };
    let mut bad = inherit_case(FIRST_EPOCH);
    bad.w.old = empty.to_field_elements();
    bad.public[InheritCase::AMOUNT] = f(0);
    bad.seal().assert_rejected(Clause::PayoutPositive);
}

#[test]
fn honest_preparation_refuses_what_the_relation_refuses() {
    let note = dormant_note();
    let path = common::note_in_tree(&note).1;
    let early = inherit::prepare(&heir_sk(), &note, path, FIRST_EPOCH - 1, DORMANCY, f(0));
    assert_eq!(early.unwrap_err().clause, Clause::Dormancy);
    let fresh = Note {
        heir: heir_sk().owner(),
        ..Note::enrollment(member_note().owner, 20, f(1), f(2))
    };
    let path = common::note_in_tree(&fresh).1;
    let enrolled = inherit::prepare(&heir_sk(), &fresh, path, 100, DORMANCY, f(0));
    assert_eq!(enrolled.unwrap_err().clause, Clause::BoundNoteKey);
}
