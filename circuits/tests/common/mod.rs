//! Shared fixtures: a member's note in a small tree, honest witnesses for each
//! statement, and helpers that run the native relation and the circuit on the
//! same (possibly malicious) raw public inputs and witness.
#![allow(dead_code)]

use ark_ff::{Field, PrimeField};
use ark_relations::gr1cs::{ConstraintSynthesizer, ConstraintSystem, ConstraintSystemRef};
use zkpension_circuits::binding::{binding, ChainId, ProofKind};
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::{AttestTag, Note, NoteCommitment, Nullifier};
use zkpension_circuits::r1cs::{AttestCircuit, ClaimCircuit, ContributeCircuit, InheritCircuit};
use zkpension_circuits::statements::{
    attest, claim, contribute, idx, inherit, Clause, InheritPrivate, RelationError, SpendWitness,
    Statement,
};
use zkpension_circuits::tree::MerkleTree;
use zkpension_circuits::values::ContextId;
use zkpension_circuits::Fr;

/// 2^64 as a field element.
pub fn two_64() -> Fr {
    Fr::from(2u64).pow([64u64])
}

/// `p - k`, a "negative" small number.
pub fn neg(k: u64) -> Fr {
    -Fr::from(k)
}

/// A statement instance: raw public inputs in SPEC order and the witness.
#[derive(Clone, Debug)]
pub struct Case {
    pub statement: Statement,
    pub public: Vec<Fr>,
    pub w: SpendWitness,
}

pub fn sk() -> SpendingKey {
    SpendingKey::from_seed(b"test member")
}

/// A note and its path in a tree of 9 leaves (the member's at index 5).
pub fn note_in_tree(note: &Note) -> (Note, zkpension_circuits::tree::MerklePath) {
    let mut tree = MerkleTree::new();
    for i in 0..9u64 {
        let leaf = if i == 5 {
            note.commit().to_field()
        } else {
            Fr::from(1000 + i)
        };
        tree.append(leaf).unwrap();
    }
    (note.clone(), tree.path(5).unwrap())
}

/// The member's note: eligible at epoch 20, 500 paid in over 2 periods, last in
/// epoch 5 (100 of it), never claimed, an heir named.
pub fn member_note() -> Note {
    Note {
        owner: sk().owner(),
        nk: sk().nullifier_key(),
        heir: Fr::from(4321u64),
        eligible_epoch: 20,
        balance: 500,
        periods: 2,
        last_epoch: 5,
        epoch_total: 100,
        last_claim: 0,
        pension: 0,
        last_active: 5,
        rho: Fr::from(77u64),
        r: Fr::from(88u64),
    }
}

pub fn bind(kind: ProofKind) -> Fr {
    binding(&ChainId::from_name("test"), kind, b"ctx")
}

/// An honest Contribute of `amount` in `epoch` with cap 200.
pub fn contribute_case(amount: u64, epoch: u64) -> Case {
    let (note, path) = note_in_tree(&member_note());
    let (public, w, _) = contribute::prepare(
        &sk(),
        &note,
        path,
        amount,
        epoch,
        200,
        bind(ProofKind::Contribute),
        Fr::from(99u64),
        note.heir,
    )
    .expect("honest contribute");
    Case {
        statement: Statement::Contribute,
        public: public.to_field_elements(),
        w,
    }
}

/// A note that can claim: eligible at 20, 1000 paid in over 10 periods.
pub fn retiree_note(pension: u64, last_claim: u64, balance: u64) -> Note {
    Note {
        balance,
        periods: 10,
        pension,
        last_claim,
        ..member_note()
    }
}

/// An honest Claim in `epoch` (min_periods 4, divisor 7).
pub fn claim_case_with(note: Note, epoch: u64) -> Case {
    let (note, path) = note_in_tree(&note);
    let (public, w, _) = claim::prepare(
        &sk(),
        &note,
        path,
        epoch,
        4,
        7,
        bind(ProofKind::Claim),
        Fr::from(99u64),
        note.heir,
    )
    .expect("honest claim");
    Case {
        statement: Statement::Claim,
        public: public.to_field_elements(),
        w,
    }
}

/// The first claim of a 1000 balance: pension ceil(1000 / 7) = 143.
pub fn claim_case() -> Case {
    claim_case_with(retiree_note(0, 0, 1000), 21)
}

/// An honest Attest: balance >= 300, periods >= 2, eligibility required or not.
pub fn attest_case(require_eligible: bool, epoch: u64) -> Case {
    let (note, path) = note_in_tree(&member_note());
    let (public, w, _) = attest::prepare(
        &sk(),
        &note,
        path,
        epoch,
        ContextId::from(Fr::from(4242u64)),
        300,
        2,
        require_eligible,
        bind(ProofKind::Attest),
        Fr::from(99u64),
        note.heir,
    )
    .expect("honest attest");
    Case {
        statement: Statement::Attest,
        public: public.to_field_elements(),
        w,
    }
}

impl Case {
    /// Recomputes everything a malicious prover can recompute after editing
    /// the witness: the anchor (a tree holding the edited old note), the
    /// nullifier from the witness key, the new note's `rho` and
    /// `last_active` (the public epoch), `cm_new`, and the attest tag. What
    /// it leaves alone is what the edit broke.
    pub fn seal(mut self) -> Self {
        let cm_old = NoteCommitment::derive(&self.w.old);
        self.public[0] = self.w.path.root(cm_old.to_field());
        let nf = Nullifier::derive(&self.w.nk(), &self.w.old[idx::RHO]);
        self.public[1] = nf.to_field();
        self.w.new[idx::RHO] = nf.to_field();
        self.w.new[idx::LAST_ACTIVE] = self.public[self.epoch_input()];
        self.seal_new()
    }

    /// The position of the public input `epoch`.
    pub fn epoch_input(&self) -> usize {
        match self.statement {
            Statement::Contribute | Statement::Claim => 4,
            Statement::Attest => 3,
            Statement::Inherit => InheritCase::EPOCH,
        }
    }

    /// Recomputes only `cm_new` (and the attest tag) from the new note.
    pub fn seal_new(mut self) -> Self {
        self.public[2] = NoteCommitment::derive(&self.w.new).to_field();
        if self.statement == Statement::Attest {
            let context = ContextId::from_field(self.public[4]);
            self.public[5] = AttestTag::derive(&self.w.nk(), &context).to_field();
        }
        self
    }

    pub fn native(&self) -> Result<(), RelationError> {
        let w = &self.w;
        match self.statement {
            Statement::Contribute => {
                contribute::check_relation_raw(&self.public.clone().try_into().unwrap(), w)
            }
            Statement::Claim => {
                claim::check_relation_raw(&self.public.clone().try_into().unwrap(), w)
            }
            Statement::Attest => {
                attest::check_relation_raw(&self.public.clone().try_into().unwrap(), w)
            }
            Statement::Inherit => unreachable!("an Inherit instance is an InheritCase"),
        }
    }

    /// Synthesizes the circuit in proving mode.
    pub fn constraint_system(&self) -> ConstraintSystemRef<Fr> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        let w = self.w.clone();
        match self.statement {
            Statement::Contribute => {
                ContributeCircuit::from_raw(self.public.clone().try_into().unwrap(), w)
                    .generate_constraints(cs.clone())
            }
            Statement::Claim => ClaimCircuit::from_raw(self.public.clone().try_into().unwrap(), w)
                .generate_constraints(cs.clone()),
            Statement::Attest => {
                AttestCircuit::from_raw(self.public.clone().try_into().unwrap(), w)
                    .generate_constraints(cs.clone())
            }
            Statement::Inherit => unreachable!("an Inherit instance is an InheritCase"),
        }
        .expect("synthesis never fails on a witness of the right shape");
        cs.finalize();
        cs
    }

    pub fn circuit_satisfied(&self) -> bool {
        self.constraint_system().is_satisfied().unwrap()
    }

    /// Asserts the honest case satisfies both the relation and the circuit.
    pub fn assert_accepted(&self) {
        assert_both_accept(self.native(), self.constraint_system());
    }

    /// Asserts both the relation (naming `clause`) and the circuit reject.
    pub fn assert_rejected(&self, clause: Clause) {
        assert_both_reject(
            self.native(),
            self.statement,
            clause,
            self.circuit_satisfied(),
        );
    }
}

fn assert_both_accept(native: Result<(), RelationError>, cs: ConstraintSystemRef<Fr>) {
    assert_eq!(native, Ok(()), "native relation");
    assert!(
        cs.is_satisfied().unwrap(),
        "circuit unsatisfied at {:?}",
        cs.which_is_unsatisfied().unwrap()
    );
}

fn assert_both_reject(
    native: Result<(), RelationError>,
    statement: Statement,
    clause: Clause,
    circuit_satisfied: bool,
) {
    let err = native.expect_err("native relation must reject");
    assert_eq!(
        err.clause, clause,
        "native relation names the broken clause"
    );
    assert_eq!(err.statement, statement);
    assert!(!circuit_satisfied, "circuit must reject ({clause})");
}

/// The heir's key.
pub fn heir_sk() -> SpendingKey {
    SpendingKey::from_seed(b"test heir")
}

/// The member's note with `heir_sk` named as heir, last active in epoch 5.
pub fn dormant_note() -> Note {
    Note {
        heir: heir_sk().owner(),
        ..member_note()
    }
}

/// Dormancy in the inherit fixtures.
pub const DORMANCY: u64 = 10;

/// An Inherit instance: raw public inputs `[anchor, nf, amount, epoch,
/// dormancy, binding]` and the heir's witness.
#[derive(Clone, Debug)]
pub struct InheritCase {
    pub public: [Fr; 6],
    pub w: InheritPrivate,
}

/// An honest Inherit of `note` by `heir_sk` in `epoch`.
pub fn inherit_case_with(note: Note, epoch: u64) -> InheritCase {
    let (note, path) = note_in_tree(&note);
    let (public, w) = inherit::prepare(
        &heir_sk(),
        &note,
        path,
        epoch,
        DORMANCY,
        bind(ProofKind::Inherit),
    )
    .expect("honest inherit");
    InheritCase {
        public: public.to_field_elements().try_into().unwrap(),
        w,
    }
}

/// The dormant note inherited in `epoch` (dormant from 15 on).
pub fn inherit_case(epoch: u64) -> InheritCase {
    inherit_case_with(dormant_note(), epoch)
}

impl InheritCase {
    pub const ANCHOR: usize = 0;
    pub const NF: usize = 1;
    pub const AMOUNT: usize = 2;
    pub const EPOCH: usize = 3;
    pub const DORMANCY: usize = 4;

    /// Recomputes what a malicious prover can after editing the old note:
    /// the anchor (a tree holding it) and the nullifier under its `nk`.
    pub fn seal(mut self) -> Self {
        let cm_old = NoteCommitment::derive(&self.w.old);
        self.public[Self::ANCHOR] = self.w.path.root(cm_old.to_field());
        self.public[Self::NF] =
            Nullifier::derive(&self.w.old[idx::NK], &self.w.old[idx::RHO]).to_field();
        self
    }

    pub fn native(&self) -> Result<(), RelationError> {
        inherit::check_relation_raw(&self.public, &self.w)
    }

    pub fn circuit(&self) -> InheritCircuit {
        InheritCircuit::from_raw(self.public, self.w.clone())
    }

    pub fn constraint_system(&self) -> ConstraintSystemRef<Fr> {
        let cs = ConstraintSystem::<Fr>::new_ref();
        self.circuit()
            .generate_constraints(cs.clone())
            .expect("synthesis never fails on a witness of the right shape");
        cs.finalize();
        cs
    }

    pub fn assert_accepted(&self) {
        assert_both_accept(self.native(), self.constraint_system());
    }

    pub fn assert_rejected(&self, clause: Clause) {
        let satisfied = self.constraint_system().is_satisfied().unwrap();
        assert_both_reject(self.native(), Statement::Inherit, clause, satisfied);
    }
}

/// The u64 value of a field element known to be small.
pub fn small(x: Fr) -> u64 {
    let b = x.into_bigint().0;
    assert!(b[1..].iter().all(|l| *l == 0));
    b[0]
}
