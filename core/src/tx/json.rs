//! The JSON form of a transaction: one flat object per kind with `"type"`,
//! the body's fields (the spend header's first) and then `proof` or
//! `signature`. Unknown fields are refused; field elements are canonical
//! `0x` hex (values `>= p` refused), contexts at most `MAX_CONTEXT_BYTES`.

use super::*;
use zkpension_circuits::field::serde_hex;
use zkpension_circuits::values::{Anchor, AttestTag, ContextId, NoteCommitment, Nullifier};

#[derive(Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub(super) enum TransactionJson {
    Enroll(EnrollJson),
    Contribute(ContributeJson),
    Claim(ClaimJson),
    Attest(AttestJson),
    AdvanceEpoch(AdvanceEpochJson),
    SetParams(SetParamsJson),
    CancelParams(CancelParamsJson),
    Deposit(DepositJson),
    Inherit(InheritJson),
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InheritJson {
    anchor: Anchor,
    nf: Nullifier,
    amount: u64,
    epoch: u64,
    recipient: Context,
    proof: ProofBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct EnrollJson {
    cm: NoteCommitment,
    signature: SignatureBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ContributeJson {
    anchor: Anchor,
    nf: Nullifier,
    cm_new: NoteCommitment,
    #[serde(with = "serde_hex")]
    heir_ct: Fr,
    amount: u64,
    #[serde(default, skip_serializing_if = "is_zero")]
    matched: u64,
    epoch: u64,
    payer_ref: Context,
    proof: ProofBytes,
}

fn is_zero(v: &u64) -> bool {
    *v == 0
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ClaimJson {
    anchor: Anchor,
    nf: Nullifier,
    cm_new: NoteCommitment,
    #[serde(with = "serde_hex")]
    heir_ct: Fr,
    amount: u64,
    epoch: u64,
    recipient: Context,
    proof: ProofBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AttestJson {
    anchor: Anchor,
    nf: Nullifier,
    cm_new: NoteCommitment,
    #[serde(with = "serde_hex")]
    heir_ct: Fr,
    epoch: u64,
    context: ContextId,
    tag: AttestTag,
    min_balance: u64,
    min_periods: u64,
    require_eligible: bool,
    message: Context,
    proof: ProofBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AdvanceEpochJson {
    epoch: u64,
    nonce: u64,
    signature: SignatureBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct SetParamsJson {
    cap: u64,
    min_periods: u64,
    divisor: u64,
    effective_epoch: u64,
    nonce: u64,
    signature: SignatureBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CancelParamsJson {
    nonce: u64,
    signature: SignatureBytes,
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct DepositJson {
    funder: PublicKeyBytes,
    amount: u64,
    nonce: u64,
    signature: SignatureBytes,
}

impl From<Transaction> for TransactionJson {
    fn from(tx: Transaction) -> Self {
        match tx {
            Transaction::Enroll(t) => TransactionJson::Enroll(EnrollJson {
                cm: t.body.cm,
                signature: t.signature,
            }),
            Transaction::Contribute(Proved { body: b, proof }) => {
                TransactionJson::Contribute(ContributeJson {
                    anchor: b.spend.anchor,
                    nf: b.spend.nf,
                    cm_new: b.spend.cm_new,
                    heir_ct: b.spend.heir_ct,
                    amount: b.amount,
                    matched: b.matched,
                    epoch: b.epoch,
                    payer_ref: b.payer_ref,
                    proof,
                })
            }
            Transaction::Claim(Proved { body: b, proof }) => TransactionJson::Claim(ClaimJson {
                anchor: b.spend.anchor,
                nf: b.spend.nf,
                cm_new: b.spend.cm_new,
                heir_ct: b.spend.heir_ct,
                amount: b.amount,
                epoch: b.epoch,
                recipient: b.recipient,
                proof,
            }),
            Transaction::Attest(Proved { body: b, proof }) => TransactionJson::Attest(AttestJson {
                anchor: b.spend.anchor,
                nf: b.spend.nf,
                cm_new: b.spend.cm_new,
                heir_ct: b.spend.heir_ct,
                epoch: b.epoch,
                context: b.context,
                tag: b.tag,
                min_balance: b.min_balance,
                min_periods: b.min_periods,
                require_eligible: b.require_eligible,
                message: b.message,
                proof,
            }),
            Transaction::AdvanceEpoch(t) => TransactionJson::AdvanceEpoch(AdvanceEpochJson {
                epoch: t.body.epoch,
                nonce: t.body.nonce,
                signature: t.signature,
            }),
            Transaction::SetParams(t) => TransactionJson::SetParams(SetParamsJson {
                cap: t.body.params.cap,
                min_periods: t.body.params.min_periods,
                divisor: t.body.params.divisor,
                effective_epoch: t.body.effective_epoch,
                nonce: t.body.nonce,
                signature: t.signature,
            }),
            Transaction::CancelParams(t) => TransactionJson::CancelParams(CancelParamsJson {
                nonce: t.body.nonce,
                signature: t.signature,
            }),
            Transaction::Deposit(t) => TransactionJson::Deposit(DepositJson {
                funder: t.body.funder,
                amount: t.body.amount,
                nonce: t.body.nonce,
                signature: t.signature,
            }),
            Transaction::Inherit(Proved { body: b, proof }) => {
                TransactionJson::Inherit(InheritJson {
                    anchor: b.anchor,
                    nf: b.nf,
                    amount: b.amount,
                    epoch: b.epoch,
                    recipient: b.recipient,
                    proof,
                })
            }
        }
    }
}

impl From<TransactionJson> for Transaction {
    fn from(j: TransactionJson) -> Self {
        match j {
            TransactionJson::Enroll(t) => Transaction::Enroll(Signed {
                body: EnrollBody { cm: t.cm },
                signature: t.signature,
            }),
            TransactionJson::Contribute(t) => Transaction::Contribute(Proved {
                body: ContributeBody {
                    spend: SpendHeader::new(t.anchor, t.nf, t.cm_new, t.heir_ct),
                    amount: t.amount,
                    matched: t.matched,
                    epoch: t.epoch,
                    payer_ref: t.payer_ref,
                },
                proof: t.proof,
            }),
            TransactionJson::Claim(t) => Transaction::Claim(Proved {
                body: ClaimBody {
                    spend: SpendHeader::new(t.anchor, t.nf, t.cm_new, t.heir_ct),
                    amount: t.amount,
                    epoch: t.epoch,
                    recipient: t.recipient,
                },
                proof: t.proof,
            }),
            TransactionJson::Attest(t) => Transaction::Attest(Proved {
                body: AttestBody {
                    spend: SpendHeader::new(t.anchor, t.nf, t.cm_new, t.heir_ct),
                    epoch: t.epoch,
                    context: t.context,
                    tag: t.tag,
                    min_balance: t.min_balance,
                    min_periods: t.min_periods,
                    require_eligible: t.require_eligible,
                    message: t.message,
                },
                proof: t.proof,
            }),
            TransactionJson::AdvanceEpoch(t) => Transaction::AdvanceEpoch(Signed {
                body: AdvanceEpochBody {
                    epoch: t.epoch,
                    nonce: t.nonce,
                },
                signature: t.signature,
            }),
            TransactionJson::SetParams(t) => Transaction::SetParams(Signed {
                body: SetParamsBody {
                    params: Params {
                        cap: t.cap,
                        min_periods: t.min_periods,
                        divisor: t.divisor,
                    },
                    effective_epoch: t.effective_epoch,
                    nonce: t.nonce,
                },
                signature: t.signature,
            }),
            TransactionJson::CancelParams(t) => Transaction::CancelParams(Signed {
                body: CancelParamsBody { nonce: t.nonce },
                signature: t.signature,
            }),
            TransactionJson::Deposit(t) => Transaction::Deposit(Signed {
                body: DepositBody {
                    funder: t.funder,
                    amount: t.amount,
                    nonce: t.nonce,
                },
                signature: t.signature,
            }),
            TransactionJson::Inherit(t) => Transaction::Inherit(Proved {
                body: InheritBody {
                    anchor: t.anchor,
                    nf: t.nf,
                    amount: t.amount,
                    epoch: t.epoch,
                    recipient: t.recipient,
                },
                proof: t.proof,
            }),
        }
    }
}
