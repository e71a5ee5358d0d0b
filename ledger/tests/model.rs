//! Model-based test: random sequences of transactions and block boundaries
//! go through the ledger ([`State::propose`] + [`State::commit`], a follower's
//! [`State::apply_block`], and storage) and through a plain sequential model
//! of the SPEC §5 rules; both must agree on every transaction's fate and on
//! the public state after every block.
//!
//! Proofs are made with trapdoor verifying keys ([`common::sim`]), so any
//! public inputs can get a valid proof in microseconds; the ledger verifies
//! them exactly as it verifies real ones. What a proof attests (the note
//! relations) is the circuits' business and tested there; here a proof is
//! "valid" when it was made for the public inputs the ledger derives (its
//! fields, the chain id and the parameters in force), and the model knows
//! which ones were made for something else.

use crate::common;

use common::sim::SimKeys;
use common::*;
use ed25519_dalek::SigningKey;
use proptest::prelude::*;
use std::collections::{HashMap, HashSet};
use zkpension_circuits::field::Fr;
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_circuits::Statement;
use zkpension_core::governance::{Bound, Governance, ParamBounds, SignerGroup};
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::subsidy::{self, Funder, Subsidy};
use zkpension_core::tx::{
    AdvanceEpoch, Attest, CancelParams, Claim, Contribute, Deposit, Enroll, Inherit, SetParams,
    TxId,
};
use zkpension_core::tx::{
    AttestBody, ClaimBody, Context, ContributeBody, InheritBody, SpendHeader,
};
use zkpension_core::{Genesis, Params, PendingParams, Transaction};
use zkpension_ledger::store::Store;
use zkpension_ledger::State;

const WINDOW: u64 = 4;
/// Matched units per 1000 paid.
const MATCH_RATE: u64 = 500;
/// Funders 0 and 1 are in the genesis; 2 is not.
const FUNDERS: usize = 2;

fn funder_key(i: u8) -> SigningKey {
    SigningKey::from_bytes(&[40 + i; 32])
}
const INITIAL: Params = Params {
    cap: 1000,
    min_periods: 1,
    divisor: 2,
};

#[derive(Clone, Debug)]
enum Op {
    Enroll {
        seed: u8,
        forged: bool,
    },
    Contribute {
        nf: u8,
        amount: u64,
        /// The match asked, minus what the rule and the pool give.
        matched: i8,
        epoch: i8,
        age: u8,
        lie: bool,
        bad: bool,
    },
    Deposit {
        funder: u8,
        amount: u64,
        nonce: i8,
        forged: bool,
    },
    Claim {
        nf: u8,
        amount: u64,
        epoch: i8,
        age: u8,
        lie: bool,
        bad: bool,
    },
    Attest {
        nf: u8,
        context: u8,
        tag: u8,
        epoch: i8,
        age: u8,
        bad: bool,
    },
    /// An heir's payout; `lie`: proved under another dormancy.
    Inherit {
        nf: u8,
        amount: u64,
        epoch: i8,
        age: u8,
        lie: bool,
        bad: bool,
    },
    Advance {
        step: u8,
        nonce: i8,
        forged: bool,
    },
    SetParams {
        cap: u64,
        divisor: u64,
        /// Effective epoch minus the current one.
        delay: u8,
        nonce: i8,
        forged: bool,
    },
    CancelParams {
        nonce: i8,
        forged: bool,
    },
    EndBlock,
}

/// The genesis's governance: a delay of 2 epochs; the cap within
/// [500, 2200] and at most doubling or halving per change (1000 -> 2200 is
/// too large a step, 2500 out of bounds); the divisor within [1, 2].
const GOVERNANCE: Governance = Governance {
    min_delay: 2,
    bounds: ParamBounds {
        cap: Bound {
            min: 500,
            max: 2200,
            max_step_percent: 100,
        },
        min_periods: Bound {
            min: 0,
            max: 10,
            max_step_percent: 100,
        },
        divisor: Bound {
            min: 1,
            max: 2,
            max_step_percent: 50,
        },
    },
    authority_group: SignerGroup::SINGLE,
    registrar_group: SignerGroup::SINGLE,
};

fn op() -> impl Strategy<Value = Op> {
    let amount = prop_oneof![
        8 => 0u64..2500,
        1 => Just(u64::MAX / 2 + 1),
    ];
    let epoch = prop_oneof![6 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)];
    let age = prop_oneof![6 => 0u8..2, 2 => 2u8..(WINDOW as u8 + 2)];
    let nonce = prop_oneof![6 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)];
    prop_oneof![
        3 => (0u8..12, prop::bool::weighted(0.15)).prop_map(|(seed, forged)| Op::Enroll { seed, forged }),
        5 => (0u8..10, amount.clone(), prop_oneof![8 => Just(0i8), 1 => Just(-1i8), 1 => Just(1i8)], epoch.clone(), age.clone(), prop::bool::weighted(0.1), prop::bool::weighted(0.1))
            .prop_map(|(nf, amount, matched, epoch, age, lie, bad)| Op::Contribute { nf, amount, matched, epoch, age, lie, bad }),
        2 => (prop_oneof![8 => 0u8..2, 1 => Just(2u8)], prop_oneof![8 => 0u64..800, 1 => Just(0u64), 1 => Just(u64::MAX)], nonce.clone(), prop::bool::weighted(0.1))
            .prop_map(|(funder, amount, nonce, forged)| Op::Deposit { funder, amount, nonce, forged }),
        3 => (0u8..10, 0u64..1500, epoch.clone(), age.clone(), prop::bool::weighted(0.1), prop::bool::weighted(0.1))
            .prop_map(|(nf, amount, epoch, age, lie, bad)| Op::Claim { nf, amount, epoch, age, lie, bad }),
        2 => (0u8..10, 0u8..3, 0u8..3, epoch.clone(), age.clone(), prop::bool::weighted(0.1))
            .prop_map(|(nf, context, tag, epoch, age, bad)| Op::Attest { nf, context, tag, epoch, age, bad }),
        2 => (0u8..10, 0u64..1500, epoch, age, prop::bool::weighted(0.1), prop::bool::weighted(0.1))
            .prop_map(|(nf, amount, epoch, age, lie, bad)| Op::Inherit { nf, amount, epoch, age, lie, bad }),
        2 => (0u8..3, nonce.clone(), prop::bool::weighted(0.1))
            .prop_map(|(step, nonce, forged)| Op::Advance { step, nonce, forged }),
        1 => (prop::sample::select(vec![500u64, 1000, 2000, 2500]), 0u64..3, 1u8..4, nonce.clone(), prop::bool::weighted(0.1))
            .prop_map(|(cap, divisor, delay, nonce, forged)| Op::SetParams { cap, divisor, delay, nonce, forged }),
        1 => (nonce, prop::bool::weighted(0.1))
            .prop_map(|(nonce, forged)| Op::CancelParams { nonce, forged }),
        3 => Just(Op::EndBlock),
    ]
}

/// The model: the rules of SPEC §5 applied one transaction at a time.
#[derive(Clone, Debug)]
struct Model {
    epoch: u64,
    params: Params,
    pending: Option<PendingParams>,
    nonce: u64,
    contributed: u64,
    paid_out: u64,
    funded: u64,
    matched: u64,
    deposit_nonces: [u64; FUNDERS],
    leaves: u64,
    /// Before the current block / in the current block.
    nullifiers: HashSet<Fr>,
    block_nullifiers: HashSet<Fr>,
    tags: HashSet<(Fr, Fr)>,
    block_tags: HashSet<(Fr, Fr)>,
    ids: HashSet<TxId>,
    block_ids: HashSet<TxId>,
    /// The distinct tree roots, genesis first: a block that appends nothing
    /// adds none (the anchor window counts roots, not blocks).
    roots: Vec<Fr>,
    height: u64,
}

/// What the model knows about a transaction besides its fields.
#[derive(Default)]
struct Meta {
    forged: bool,
    /// The proof was made for other inputs (garbage), or under these
    /// parameters.
    bad_proof: bool,
    proved_under: Option<Params>,
    /// An Inherit proved under another dormancy than the genesis's.
    wrong_dormancy: bool,
}

impl Model {
    fn new(root: Fr) -> Self {
        Model {
            epoch: 1,
            params: INITIAL,
            pending: None,
            nonce: 0,
            contributed: 0,
            paid_out: 0,
            funded: 0,
            matched: 0,
            deposit_nonces: [0; FUNDERS],
            leaves: 0,
            nullifiers: HashSet::new(),
            block_nullifiers: HashSet::new(),
            tags: HashSet::new(),
            block_tags: HashSet::new(),
            ids: HashSet::new(),
            block_ids: HashSet::new(),
            roots: vec![root],
            height: 0,
        }
    }

    /// The money held for members: contributed + matched - paid out.
    fn pool(&self) -> u64 {
        self.contributed + self.matched - self.paid_out
    }

    /// What the subsidy pool can still match.
    fn available(&self) -> u64 {
        self.funded - self.matched
    }

    /// The match the rule and the pool give a contribution of `paid`.
    fn expected_match(&self, paid: u64) -> u64 {
        let rule = u128::from(paid) * u128::from(MATCH_RATE) / 1000;
        u64::try_from(rule)
            .unwrap_or(u64::MAX)
            .min(self.available())
    }

    fn anchor_ok(&self, anchor: &Fr) -> bool {
        let from = self.roots.len().saturating_sub(WINDOW as usize);
        self.roots[from..].contains(anchor)
    }

    /// The fate of `tx`: `Ok` (and the model updated) or the rejection code.
    fn apply(&mut self, tx: &Transaction, meta: &Meta) -> Result<(), &'static str> {
        let id = tx.id();
        // Stateless.
        match tx {
            Transaction::Contribute(t) if t.body.amount == 0 => return Err("zero_amount"),
            Transaction::Contribute(t) if t.body.amount.checked_add(t.body.matched).is_none() => {
                return Err("total_overflow")
            }
            Transaction::Claim(t) if t.body.amount == 0 => return Err("zero_amount"),
            Transaction::Inherit(t) if t.body.amount == 0 => return Err("zero_amount"),
            Transaction::Deposit(t) if t.body.amount == 0 => return Err("zero_amount"),
            Transaction::SetParams(t) if t.body.params.divisor == 0 || t.body.params.cap == 0 => {
                return Err("invalid_params")
            }
            _ => {}
        }
        // Against the ledger before the block (and this block's authority
        // transactions).
        if self.ids.contains(&id) {
            return Err("replayed");
        }
        // Every authority transaction: its signature, then its nonce.
        let authority = |nonce: u64| match () {
            _ if meta.forged => Err("bad_authority_signature"),
            _ if nonce != self.nonce => Err("wrong_nonce"),
            _ => Ok(()),
        };
        match tx {
            Transaction::Enroll(_) if meta.forged => return Err("bad_registrar_signature"),
            Transaction::AdvanceEpoch(t) => {
                authority(t.body.nonce)?;
                if t.body.epoch <= self.epoch {
                    return Err("epoch_not_increasing");
                }
            }
            Transaction::SetParams(t) => {
                authority(t.body.nonce)?;
                let (new, old) = (t.body.params, self.params);
                let b = GOVERNANCE.bounds;
                for (bound, new, old) in [
                    (b.cap, new.cap, old.cap),
                    (b.min_periods, new.min_periods, old.min_periods),
                    (b.divisor, new.divisor, old.divisor),
                ] {
                    if new < bound.min || new > bound.max {
                        return Err("param_out_of_bounds");
                    }
                    if new.abs_diff(old) > 1
                        && new.abs_diff(old) * 100 > old * bound.max_step_percent
                    {
                        return Err("param_step_too_large");
                    }
                }
                if t.body.effective_epoch < self.epoch + GOVERNANCE.min_delay {
                    return Err("delay_too_short");
                }
            }
            Transaction::CancelParams(t) => {
                authority(t.body.nonce)?;
                if self.pending.is_none() {
                    return Err("nothing_pending");
                }
            }
            Transaction::Deposit(t) => {
                let i = (0..FUNDERS as u8)
                    .position(|i| funder_key(i).verifying_key().to_bytes() == t.body.funder.0)
                    .ok_or("unknown_funder")?;
                if meta.forged {
                    return Err("bad_funder_signature");
                }
                if t.body.nonce != self.deposit_nonces[i] {
                    return Err("wrong_nonce");
                }
                if self.funded.checked_add(t.body.amount).is_none() {
                    return Err("total_overflow");
                }
            }
            _ => {}
        }
        if let (Some(anchor), Some(epoch)) = (tx.anchor(), tx.spend_epoch()) {
            if epoch != self.epoch {
                return Err("wrong_epoch");
            }
            if !self.anchor_ok(&anchor.to_field()) {
                return Err("unknown_anchor");
            }
            if self
                .nullifiers
                .contains(&tx.nullifier().unwrap().to_field())
            {
                return Err("nullifier_spent");
            }
            if let Transaction::Attest(t) = tx {
                if self
                    .tags
                    .contains(&(t.body.context.to_field(), t.body.tag.to_field()))
                {
                    return Err("duplicate_attestation");
                }
            }
            let params_ok = match (tx, meta.proved_under) {
                (Transaction::Contribute(_), Some(p)) => p.cap == self.params.cap,
                (Transaction::Claim(_), Some(p)) => {
                    (p.min_periods, p.divisor) == (self.params.min_periods, self.params.divisor)
                }
                (Transaction::Inherit(_), _) => !meta.wrong_dormancy,
                _ => true,
            };
            if meta.bad_proof || !params_ok {
                return Err("invalid_proof");
            }
        }
        // Against the block.
        if self.block_ids.contains(&id) {
            return Err("duplicate_in_block");
        }
        if let Some(nf) = tx.nullifier() {
            if self.block_nullifiers.contains(&nf.to_field()) {
                return Err("nullifier_spent_in_block");
            }
        }
        match tx {
            Transaction::Attest(t)
                if self
                    .block_tags
                    .contains(&(t.body.context.to_field(), t.body.tag.to_field())) =>
            {
                return Err("duplicate_attestation_in_block")
            }
            Transaction::Claim(t) if t.body.amount > self.pool() => {
                return Err("insufficient_pool")
            }
            Transaction::Inherit(t) if t.body.amount > self.pool() => {
                return Err("insufficient_pool")
            }
            Transaction::Contribute(t) => {
                let held = u128::from(self.contributed) + u128::from(self.matched);
                if held + u128::from(t.body.amount) + u128::from(t.body.matched)
                    > u128::from(u64::MAX)
                {
                    return Err("total_overflow");
                }
                let rule = subsidy::rule(t.body.amount, MATCH_RATE);
                let m = t.body.matched;
                if m > rule {
                    return Err("match_too_large");
                }
                if m > self.available() {
                    return Err(if self.available() == 0 {
                        "subsidy_pool_empty"
                    } else {
                        "match_exceeds_pool"
                    });
                }
                if m < self.expected_match(t.body.amount) {
                    return Err("match_below_rule");
                }
            }
            _ => {}
        }
        // Execution.
        match tx {
            Transaction::Contribute(t) => {
                self.contributed += t.body.amount;
                self.matched += t.body.matched;
            }
            Transaction::Deposit(t) => {
                let i = (0..FUNDERS as u8)
                    .position(|i| funder_key(i).verifying_key().to_bytes() == t.body.funder.0)
                    .expect("checked");
                self.funded += t.body.amount;
                self.deposit_nonces[i] += 1;
            }
            Transaction::Claim(t) => self.paid_out += t.body.amount,
            Transaction::Inherit(t) => self.paid_out += t.body.amount,
            Transaction::Attest(t) => {
                self.block_tags
                    .insert((t.body.context.to_field(), t.body.tag.to_field()));
            }
            Transaction::AdvanceEpoch(t) => {
                self.epoch = t.body.epoch;
                if let Some(p) = self.pending {
                    if p.effective_epoch <= self.epoch {
                        self.params = p.params;
                        self.pending = None;
                    }
                }
                self.nonce += 1;
            }
            Transaction::SetParams(t) => {
                self.pending = Some(PendingParams {
                    params: t.body.params,
                    effective_epoch: t.body.effective_epoch,
                });
                self.nonce += 1;
            }
            Transaction::CancelParams(_) => {
                self.pending = None;
                self.nonce += 1;
            }
            Transaction::Enroll(_) => {}
        }
        if let Some(nf) = tx.nullifier() {
            self.block_nullifiers.insert(nf.to_field());
        }
        if tx.new_commitment().is_some() {
            self.leaves += 1;
        }
        self.block_ids.insert(id);
        Ok(())
    }

    fn end_block(&mut self, root: Fr) {
        self.nullifiers.extend(self.block_nullifiers.drain());
        self.tags.extend(self.block_tags.drain());
        self.ids.extend(self.block_ids.drain());
        if self.roots.last() != Some(&root) {
            self.roots.push(root);
        }
        self.height += 1;
    }
}

struct Minter {
    sim: SimKeys,
    rng: rand_chacha::ChaCha20Rng,
    counter: u64,
}

impl Minter {
    fn shifted(base: u64, delta: i8) -> u64 {
        base.saturating_add_signed(delta as i64)
    }

    fn anchor(m: &Model, age: u8) -> Fr {
        let n = m.roots.len();
        if (age as usize) < n {
            m.roots[n - 1 - age as usize]
        } else {
            Fr::from(999_999u64)
        }
    }

    fn fresh(&mut self) -> Fr {
        self.counter += 1;
        Fr::from(7_000_000 + self.counter)
    }

    /// The proof of `statement` for `inputs`, or (if `bad`) for other inputs.
    fn proof(&mut self, s: Statement, mut inputs: Vec<Fr>, bad: bool) -> FixedBytes<128> {
        if bad {
            inputs[0] += Fr::from(1u64);
        }
        FixedBytes(self.sim.prove(s, &inputs, &mut self.rng))
    }

    /// The concrete transaction for `op` given the model's current state.
    fn make(&mut self, op: &Op, m: &Model) -> (Transaction, Meta) {
        let honest = |forged| Meta {
            forged,
            ..Meta::default()
        };
        let signer = |forged: bool, real: SigningKey, other: SigningKey| {
            if forged {
                other
            } else {
                real
            }
        };
        let chain = chain_id();
        match *op {
            Op::Enroll { seed, forged } => {
                let key = signer(forged, registrar(), authority());
                let tx = Enroll::sign(
                    &chain,
                    NoteCommitment::from(Fr::from(5000 + seed as u64)),
                    &key,
                );
                (tx.into(), honest(forged))
            }
            Op::Advance {
                step,
                nonce,
                forged,
            } => {
                let key = signer(forged, authority(), registrar());
                let tx = AdvanceEpoch::sign(
                    &chain,
                    m.epoch + step as u64,
                    Self::shifted(m.nonce, nonce),
                    &key,
                );
                (tx.into(), honest(forged))
            }
            Op::SetParams {
                cap,
                divisor,
                delay,
                nonce,
                forged,
            } => {
                let key = signer(forged, authority(), registrar());
                let mut tx = SetParams::sign(
                    &chain,
                    Params {
                        cap,
                        min_periods: 1,
                        divisor: divisor.max(1),
                    },
                    m.epoch + u64::from(delay),
                    Self::shifted(m.nonce, nonce),
                    &key,
                );
                // A divisor of 0 cannot be signed through `Params`; set it
                // after signing (the signature no longer matters: it is
                // refused before).
                tx.body.params.divisor = divisor;
                (tx.into(), honest(forged))
            }
            Op::CancelParams { nonce, forged } => {
                let key = signer(forged, authority(), registrar());
                let tx = CancelParams::sign(&chain, Self::shifted(m.nonce, nonce), &key);
                (tx.into(), honest(forged))
            }
            Op::Deposit {
                funder,
                amount,
                nonce,
                forged,
            } => {
                let known = m.deposit_nonces.get(funder as usize).copied().unwrap_or(0);
                let mut tx = Deposit::sign(
                    &chain,
                    amount,
                    Self::shifted(known, nonce),
                    &funder_key(funder),
                );
                if forged {
                    // Signed by another key for this funder's name.
                    let other = Deposit::sign(&chain, amount, tx.body.nonce, &authority());
                    tx.signature = other.signature;
                }
                (tx.into(), honest(forged))
            }
            Op::Contribute {
                nf,
                amount,
                matched,
                epoch,
                age,
                lie,
                bad,
            } => {
                let matched = m
                    .expected_match(amount)
                    .saturating_add_signed(matched.into());
                let mut under = m.params;
                if lie {
                    under.cap += 1;
                }
                let mut tx = Contribute {
                    body: ContributeBody {
                        spend: SpendHeader {
                            anchor: Anchor::from(Self::anchor(m, age)),
                            nf: Nullifier::from(Fr::from(100 + nf as u64)),
                            cm_new: NoteCommitment::from(self.fresh()),
                            heir_ct: Default::default(),
                        },
                        amount,
                        matched,
                        epoch: Self::shifted(m.epoch, epoch),
                        payer_ref: Context::new("payer_ref", b"payer".to_vec()).unwrap(),
                    },
                    proof: FixedBytes([0; 128]),
                };
                let inputs = tx.public(&chain, &under).to_field_elements();
                tx.proof = self.proof(Statement::Contribute, inputs, bad);
                (
                    tx.into(),
                    Meta {
                        bad_proof: bad,
                        proved_under: Some(under),
                        ..Meta::default()
                    },
                )
            }
            Op::Claim {
                nf,
                amount,
                epoch,
                age,
                lie,
                bad,
            } => {
                let mut under = m.params;
                if lie {
                    under.divisor += 1;
                }
                let mut tx = Claim {
                    body: ClaimBody {
                        spend: SpendHeader {
                            anchor: Anchor::from(Self::anchor(m, age)),
                            nf: Nullifier::from(Fr::from(100 + nf as u64)),
                            cm_new: NoteCommitment::from(self.fresh()),
                            heir_ct: Default::default(),
                        },
                        amount,
                        epoch: Self::shifted(m.epoch, epoch),
                        recipient: Context::new("recipient", b"recipient".to_vec()).unwrap(),
                    },
                    proof: FixedBytes([0; 128]),
                };
                let inputs = tx.public(&chain, &under).to_field_elements();
                tx.proof = self.proof(Statement::Claim, inputs, bad);
                (
                    tx.into(),
                    Meta {
                        bad_proof: bad,
                        proved_under: Some(under),
                        ..Meta::default()
                    },
                )
            }
            Op::Attest {
                nf,
                context,
                tag,
                epoch,
                age,
                bad,
            } => {
                let mut tx = Attest {
                    body: AttestBody {
                        spend: SpendHeader {
                            anchor: Anchor::from(Self::anchor(m, age)),
                            nf: Nullifier::from(Fr::from(100 + nf as u64)),
                            cm_new: NoteCommitment::from(self.fresh()),
                            heir_ct: Default::default(),
                        },
                        epoch: Self::shifted(m.epoch, epoch),
                        context: ContextId::from(Fr::from(context as u64)),
                        tag: AttestTag::from(Fr::from(50 + tag as u64)),
                        min_balance: 0,
                        min_periods: 0,
                        require_eligible: false,
                        message: Context::new("message", vec![]).unwrap(),
                    },
                    proof: FixedBytes([0; 128]),
                };
                let inputs = tx.public(&chain).to_field_elements();
                tx.proof = self.proof(Statement::Attest, inputs, bad);
                (
                    tx.into(),
                    Meta {
                        bad_proof: bad,
                        ..Meta::default()
                    },
                )
            }
            Op::Inherit {
                nf,
                amount,
                epoch,
                age,
                lie,
                bad,
            } => {
                let mut tx = Inherit {
                    body: InheritBody {
                        anchor: Anchor::from(Self::anchor(m, age)),
                        nf: Nullifier::from(Fr::from(100 + nf as u64)),
                        amount,
                        epoch: Self::shifted(m.epoch, epoch),
                        recipient: Context::new("recipient", b"heir".to_vec()).unwrap(),
                    },
                    proof: FixedBytes([0; 128]),
                };
                let dormancy = DORMANCY + u64::from(lie);
                let inputs = tx.public(&chain, dormancy).to_field_elements();
                tx.proof = self.proof(Statement::Inherit, inputs, bad);
                (
                    tx.into(),
                    Meta {
                        bad_proof: bad,
                        wrong_dormancy: lie,
                        ..Meta::default()
                    },
                )
            }
            Op::EndBlock => unreachable!("not a transaction"),
        }
    }
}

fn genesis_for(sim: &SimKeys) -> Genesis {
    let mut g = genesis_with_keys(INITIAL, WINDOW, sim.vk_ids());
    g.governance = Some(GOVERNANCE);
    g.subsidy = Some(Subsidy {
        match_rate: MATCH_RATE,
        funders: (0..FUNDERS as u8)
            .map(|i| Funder {
                name: format!("funder-{i}"),
                key: FixedBytes(funder_key(i).verifying_key().to_bytes()),
            })
            .collect(),
    });
    g
}

/// Runs `ops`; returns how often each outcome (`included` or a rejection
/// code) occurred.
fn run(ops: Vec<Op>) -> Result<HashMap<&'static str, usize>, TestCaseError> {
    let sim = SimKeys::new(1);
    let genesis = genesis_for(&sim);
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("ledger.redb");
    let (store, mut state) = Store::open(&db, &genesis).unwrap();
    let mut follower = State::genesis(&genesis).unwrap();
    let mut model = Model::new(state.tree_root());
    let mut minter = Minter {
        sim,
        rng: rng(2),
        counter: 0,
    };
    let mut verify_rng = rng(3);
    let mut blocks = ops.split(|o| matches!(o, Op::EndBlock)).peekable();
    let mut codes_seen: HashMap<&'static str, usize> = HashMap::new();
    while let Some(block_ops) = blocks.next() {
        if block_ops.is_empty() && blocks.peek().is_some() {
            continue;
        }
        let mut txs = Vec::new();
        let mut expected = Vec::new();
        for op in block_ops {
            let (tx, meta) = minter.make(op, &model);
            expected.push(model.apply(&tx, &meta));
            txs.push(tx);
        }
        let plan = state.propose(txs.clone(), &minter.sim.keys, &mut verify_rng);
        let mut rejected: HashMap<usize, &'static str> = HashMap::new();
        for (i, _, r) in &plan.rejected {
            rejected.insert(*i, r.code());
        }
        for (i, exp) in expected.iter().enumerate() {
            let got = rejected.get(&i).copied().map_or(Ok(()), Err);
            prop_assert_eq!(
                got,
                *exp,
                "transaction {} of block {}: {:?}",
                i,
                model.height + 1,
                txs[i]
            );
            *codes_seen
                .entry(exp.err().unwrap_or("included"))
                .or_default() += 1;
        }
        store.write_block(&plan, &[]).unwrap();
        state.commit(&plan).unwrap();
        follower
            .apply_block(&plan.block, &minter.sim.keys, &mut verify_rng)
            .unwrap();
        model.end_block(plan.tree_root);

        let s = state.scalars();
        prop_assert_eq!(s.height, model.height);
        prop_assert_eq!(s.epoch, model.epoch);
        prop_assert_eq!(s.params, model.params);
        prop_assert_eq!(s.pending_params, model.pending);
        prop_assert_eq!(s.authority_nonce, model.nonce);
        prop_assert_eq!(
            (s.total_contributed, s.total_paid_out, s.pool()),
            (model.contributed, model.paid_out, model.pool())
        );
        let totals = s.subsidy.as_ref().expect("a subsidy chain");
        prop_assert_eq!(
            (totals.funded, totals.matched, &totals.deposit_nonces[..]),
            (model.funded, model.matched, &model.deposit_nonces[..])
        );
        prop_assert_eq!(s.leaf_count, model.leaves);
        prop_assert_eq!(s.nullifier_count, model.nullifiers.len() as u64);
        prop_assert_eq!(s.attestation_count, model.tags.len() as u64);
        prop_assert_eq!(s.tx_count, model.ids.len() as u64);
        prop_assert_eq!(follower.state_root(), state.state_root());
    }
    drop(store);
    let (_, reopened) = Store::open(&db, &genesis).unwrap();
    prop_assert_eq!(reopened.state_root(), state.state_root());
    prop_assert_eq!(reopened.height(), state.height());
    Ok(codes_seen)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 48,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn ledger_agrees_with_the_model(ops in prop::collection::vec(op(), 1..60)) {
        run(ops)?;
    }
}

/// A fixed sequence that reaches every rejection the generator can cause,
/// so the model test is known to exercise them.
#[test]
fn fixed_sequence_reaches_every_rule() {
    use Op::*;
    let c = |nf, amount, epoch, age, lie, bad| Contribute {
        nf,
        amount,
        matched: 0,
        epoch,
        age,
        lie,
        bad,
    };
    // A contribution asking `delta` more than the rule and the pool give.
    let m = |nf, amount, delta| Contribute {
        nf,
        amount,
        matched: delta,
        epoch: 0,
        age: 0,
        lie: false,
        bad: false,
    };
    let d = |funder, amount, nonce, forged| Deposit {
        funder,
        amount,
        nonce,
        forged,
    };
    let ops = vec![
        Enroll {
            seed: 1,
            forged: false,
        },
        Enroll {
            seed: 1,
            forged: false,
        },
        Enroll {
            seed: 2,
            forged: true,
        },
        c(1, 500, 0, 0, false, false),
        c(1, 400, 0, 0, false, false),
        c(2, 0, 0, 0, false, false),
        c(3, 10, 1, 0, false, false),
        c(4, 10, 0, 9, false, false),
        c(5, 10, 0, 0, true, false),
        c(6, 10, 0, 0, false, true),
        // The subsidy pool: empty, funded, matched until it runs short.
        m(10, 100, 1),
        d(0, 100, 0, false),
        d(2, 100, 0, false),
        d(1, 100, 0, true),
        d(0, 100, 1, false),
        d(0, 0, 0, false),
        m(11, 100, 0),
        m(12, 100, -1),
        m(13, 2, 1),
        m(14, 200, 1),
        d(1, u64::MAX, 0, false),
        Claim {
            nf: 7,
            amount: 5000,
            epoch: 0,
            age: 0,
            lie: false,
            bad: false,
        },
        Attest {
            nf: 8,
            context: 1,
            tag: 1,
            epoch: 0,
            age: 0,
            bad: false,
        },
        Attest {
            nf: 9,
            context: 1,
            tag: 1,
            epoch: 0,
            age: 0,
            bad: false,
        },
        EndBlock,
        Enroll {
            seed: 1,
            forged: false,
        },
        c(1, 10, 0, 0, false, false),
        Attest {
            nf: 3,
            context: 1,
            tag: 1,
            epoch: 0,
            age: 0,
            bad: false,
        },
        Advance {
            step: 0,
            nonce: 0,
            forged: false,
        },
        Advance {
            step: 1,
            nonce: 1,
            forged: false,
        },
        Advance {
            step: 1,
            nonce: 0,
            forged: true,
        },
        SetParams {
            cap: 2000,
            divisor: 0,
            delay: 2,
            nonce: 0,
            forged: false,
        },
        CancelParams {
            nonce: 0,
            forged: false,
        },
        SetParams {
            cap: 2500,
            divisor: 2,
            delay: 2,
            nonce: 0,
            forged: false,
        },
        SetParams {
            cap: 2200,
            divisor: 2,
            delay: 2,
            nonce: 0,
            forged: false,
        },
        SetParams {
            cap: 1000,
            divisor: 1,
            delay: 1,
            nonce: 0,
            forged: false,
        },
        SetParams {
            cap: 2000,
            divisor: 1,
            delay: 2,
            nonce: 0,
            forged: false,
        },
        CancelParams {
            nonce: 0,
            forged: false,
        },
        c(3, u64::MAX / 2 + 1, 0, 0, false, false),
        c(4, u64::MAX / 2 + 1, 0, 0, false, false),
        EndBlock,
    ];
    let seen = run(ops).unwrap();
    let mut codes: Vec<&str> = seen.keys().copied().collect();
    codes.sort_unstable();
    let mut expected = vec![
        "bad_authority_signature",
        "bad_funder_signature",
        "bad_registrar_signature",
        "delay_too_short",
        "duplicate_attestation",
        "duplicate_attestation_in_block",
        "duplicate_in_block",
        "epoch_not_increasing",
        "included",
        "insufficient_pool",
        "invalid_params",
        "invalid_proof",
        "match_below_rule",
        "match_exceeds_pool",
        "match_too_large",
        "nothing_pending",
        "nullifier_spent",
        "nullifier_spent_in_block",
        "param_out_of_bounds",
        "param_step_too_large",
        "replayed",
        "subsidy_pool_empty",
        "total_overflow",
        "unknown_anchor",
        "unknown_funder",
        "wrong_epoch",
        "wrong_nonce",
        "zero_amount",
    ];
    expected.sort_unstable();
    assert_eq!(codes, expected);
}
