//! Encoding, id and JSON tests of transactions.

use super::*;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use zkpension_circuits::binding::{binding, ProofKind};
use zkpension_circuits::statements::ContributePublic;
use zkpension_circuits::values::{Anchor, NoteCommitment, Nullifier};

fn chain() -> ChainId {
    ChainId::from_name("test")
}

fn f(x: u64) -> Fr {
    Fr::from(x)
}

fn spend(anchor: u64, nf: u64, cm_new: u64) -> SpendHeader {
    SpendHeader {
        anchor: f(anchor).into(),
        nf: f(nf).into(),
        cm_new: f(cm_new).into(),
    }
}

fn ctx(bytes: &[u8]) -> Context {
    Context::new("test", bytes.to_vec()).unwrap()
}

fn samples() -> Vec<Transaction> {
    let mut rng = rand::rngs::StdRng::seed_from_u64(1);
    let key = SigningKey::generate(&mut rng);
    vec![
        Enroll::sign(&chain(), f(11).into(), &key).into(),
        Contribute {
            body: ContributeBody {
                spend: spend(1, 2, 3),
                amount: 500,
                matched: 0,
                epoch: 4,
                payer_ref: ctx(b"employer-7"),
            },
            proof: FixedBytes([9; PROOF_BYTES]),
        }
        .into(),
        Claim {
            body: ClaimBody {
                spend: spend(1, 5, 6),
                amount: 70,
                epoch: 9,
                recipient: Context::empty(),
            },
            proof: FixedBytes([8; PROOF_BYTES]),
        }
        .into(),
        Attest {
            body: AttestBody {
                spend: spend(1, 7, 8),
                epoch: 2,
                context: (-f(1)).into(),
                tag: f(12).into(),
                min_balance: 1000,
                min_periods: 3,
                require_eligible: true,
                message: ctx(&[0xab; MAX_CONTEXT_BYTES]),
            },
            proof: FixedBytes([7; PROOF_BYTES]),
        }
        .into(),
        AdvanceEpoch::sign(&chain(), 2, 0, &key).into(),
        SetParams::sign(
            &chain(),
            Params {
                cap: 1,
                min_periods: 2,
                divisor: 3,
            },
            4,
            1,
            &key,
        )
        .into(),
        CancelParams::sign(&chain(), 2, &key).into(),
        Deposit::sign(&chain(), 1_000_000, 3, &key).into(),
        Contribute {
            body: ContributeBody {
                spend: spend(1, 2, 4),
                amount: 500,
                matched: 250,
                epoch: 4,
                payer_ref: ctx(b"employer-7"),
            },
            proof: FixedBytes([9; PROOF_BYTES]),
        }
        .into(),
    ]
}

#[test]
fn encoding_round_trips_and_is_canonical() {
    for tx in samples() {
        let bytes = tx.encode();
        assert!(bytes.len() <= MAX_TX_BYTES);
        assert_eq!(Transaction::decode(&bytes).unwrap(), tx);
        // One byte more or less never decodes.
        let mut longer = bytes.clone();
        longer.push(0);
        assert_eq!(
            Transaction::decode(&longer),
            Err(DecodeError::TrailingBytes(1))
        );
        assert!(Transaction::decode(&bytes[..bytes.len() - 1]).is_err());
        // JSON round trip.
        let json = serde_json::to_string(&tx).unwrap();
        assert_eq!(serde_json::from_str::<Transaction>(&json).unwrap(), tx);
    }
}

#[test]
fn id_ignores_authorization_only() {
    for tx in samples() {
        let id = tx.id();
        let mut other = tx.clone();
        match &mut other {
            Transaction::Enroll(t) => t.signature.0[0] ^= 1,
            Transaction::Contribute(t) => t.proof.0[0] ^= 1,
            Transaction::Claim(t) => t.proof.0[0] ^= 1,
            Transaction::Attest(t) => t.proof.0[0] ^= 1,
            Transaction::AdvanceEpoch(t) => t.signature.0[0] ^= 1,
            Transaction::SetParams(t) => t.signature.0[0] ^= 1,
            Transaction::CancelParams(t) => t.signature.0[0] ^= 1,
            Transaction::Deposit(t) => t.signature.0[0] ^= 1,
        }
        assert_eq!(other.id(), id, "authorization must not change the id");
        assert_ne!(other.encode(), tx.encode());
        let mut changed = tx.clone();
        match &mut changed {
            Transaction::Enroll(t) => t.body.cm = (t.body.cm.to_field() + f(1)).into(),
            Transaction::Contribute(t) => t.body.matched += 1,
            Transaction::Claim(t) => t.body.recipient = ctx(&[1]),
            Transaction::Attest(t) => t.body.require_eligible = false,
            Transaction::AdvanceEpoch(t) => t.body.nonce += 1,
            Transaction::SetParams(t) => t.body.effective_epoch += 1,
            Transaction::CancelParams(t) => t.body.nonce += 1,
            Transaction::Deposit(t) => t.body.amount += 1,
        }
        assert_ne!(changed.id(), id, "content must change the id");
    }
}

#[test]
fn pinned_encoding() {
    // The encoding is consensus: pin one of each shape.
    let tx: Transaction = AdvanceEpoch {
        body: AdvanceEpochBody { epoch: 2, nonce: 5 },
        signature: FixedBytes([0xee; 64]),
    }
    .into();
    let mut expected = vec![1u8, 5];
    expected.extend_from_slice(&2u64.to_be_bytes());
    expected.extend_from_slice(&5u64.to_be_bytes());
    expected.extend_from_slice(&[0xee; 64]);
    assert_eq!(tx.encode(), expected);
    assert_eq!(tx.id().0, <[u8; 32]>::from(Sha256::digest(&expected[..18])));

    let c = &samples()[1];
    let bytes = c.encode();
    assert_eq!(&bytes[..2], &[1, 2]);
    assert_eq!(&bytes[2 + 96..2 + 104], &500u64.to_be_bytes());
    assert_eq!(&bytes[2 + 112..2 + 116], &10u32.to_be_bytes());
    assert_eq!(&bytes[2 + 116..2 + 126], b"employer-7");
    assert_eq!(bytes.len(), 2 + 116 + 10 + PROOF_BYTES);

    // SetParams: cap, min_periods, divisor, effective_epoch, nonce.
    let s = &samples()[5].encode();
    let mut expected = vec![1u8, 6];
    for v in [1u64, 2, 3, 4, 1] {
        expected.extend_from_slice(&v.to_be_bytes());
    }
    assert_eq!(&s[..42], &expected[..]);
    assert_eq!(s.len(), 42 + 64);
    // CancelParams: the nonce.
    let c = &samples()[6].encode();
    assert_eq!(&c[..10], &[1, 7, 0, 0, 0, 0, 0, 0, 0, 2]);
    assert_eq!(c.len(), 10 + 64);
    // Deposit: the funder's key, the amount, the nonce.
    let d = &samples()[7];
    let bytes = d.encode();
    assert_eq!(&bytes[..2], &[1, 8]);
    let Transaction::Deposit(t) = d else {
        panic!("a deposit")
    };
    assert_eq!(&bytes[2..34], &t.body.funder.0);
    assert_eq!(&bytes[34..42], &1_000_000u64.to_be_bytes());
    assert_eq!(&bytes[42..50], &3u64.to_be_bytes());
    assert_eq!(bytes.len(), 50 + 64);
    // A matched Contribute: kind 9, `matched` right after `amount`.
    let m = samples()[8].encode();
    assert_eq!(&m[..2], &[1, CONTRIBUTE_MATCHED_KIND]);
    assert_eq!(&m[2 + 96..2 + 104], &500u64.to_be_bytes());
    assert_eq!(&m[2 + 104..2 + 112], &250u64.to_be_bytes());
    assert_eq!(&m[2 + 112..2 + 120], &4u64.to_be_bytes());
    assert_eq!(m.len(), 2 + 124 + 10 + PROOF_BYTES);
}

#[test]
fn decoding_refuses_bad_input() {
    let enroll = samples()[0].encode();
    let mut bad_version = enroll.clone();
    bad_version[0] = 2;
    assert!(matches!(
        Transaction::decode(&bad_version),
        Err(DecodeError::Version { got: 2, .. })
    ));
    let mut bad_kind = enroll.clone();
    bad_kind[1] = 10;
    assert_eq!(Transaction::decode(&bad_kind), Err(DecodeError::Kind(10)));
    let mut alias = enroll.clone();
    alias[2..34].copy_from_slice(&[0xff; 32]);
    assert!(matches!(
        Transaction::decode(&alias),
        Err(DecodeError::Field { what: "cm", .. })
    ));
    let attest = samples()[3].encode();
    let bool_at = 2 + 32 * 5 + 8 * 3;
    let mut bad_bool = attest.clone();
    bad_bool[bool_at] = 2;
    assert!(matches!(
        Transaction::decode(&bad_bool),
        Err(DecodeError::Bool { .. })
    ));
    let mut too_long = attest.clone();
    too_long[bool_at + 1..bool_at + 5].copy_from_slice(&1025u32.to_be_bytes());
    assert!(matches!(
        Transaction::decode(&too_long),
        Err(DecodeError::TooLong { len: 1025, .. })
    ));
}

#[test]
fn json_is_strict() {
    let ok = r#"{"type":"advance_epoch","epoch":2,"nonce":0,"signature":"0x"#.to_string()
        + &"00".repeat(64)
        + "\"}";
    serde_json::from_str::<Transaction>(&ok).unwrap();
    let unknown = ok.replace("\"nonce\":0", "\"nonce\":0,\"extra\":1");
    assert!(serde_json::from_str::<Transaction>(&unknown).is_err());
    let p = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";
    let enroll = format!(
        r#"{{"type":"enroll","cm":"{p}","signature":"0x{}"}}"#,
        "00".repeat(64)
    );
    let err = serde_json::from_str::<Transaction>(&enroll).unwrap_err();
    assert!(err.to_string().contains("not below"), "{err}");
    let short_proof = serde_json::to_string(&samples()[1])
        .unwrap()
        .replace(&"09".repeat(PROOF_BYTES), &"09".repeat(PROOF_BYTES - 1));
    assert!(serde_json::from_str::<Transaction>(&short_proof).is_err());
}

/// A Contribute proof's public inputs, in epoch 5.
fn contribute_public(amount: u64, cap: u64, binding: Fr) -> ContributePublic {
    ContributePublic {
        anchor: Anchor::from(f(1)),
        nf: Nullifier::from(f(2)),
        cm_new: NoteCommitment::from(f(3)),
        amount,
        epoch: 5,
        cap,
        binding,
    }
}

#[test]
fn from_public_checks_binding() {
    let c = contribute_public(4, 6, binding(&chain(), ProofKind::Contribute, b"payer"));
    let tx = Contribute::from_public(&chain(), &c, 0, b"payer".to_vec(), [0; 128]).unwrap();
    let params = Params {
        cap: 6,
        min_periods: 0,
        divisor: 1,
    };
    assert_eq!(
        Contribute::from_public(&chain(), &c, 0, vec![0; MAX_CONTEXT_BYTES + 1], [0; 128]),
        Err(BuildError::ContextTooLong(ContextTooLong {
            what: "payer_ref",
            len: MAX_CONTEXT_BYTES + 1
        }))
    );
    assert_eq!(tx.public(&chain(), &params), c);
    const WHAT: &str = "payer_ref and matched";
    assert_eq!(
        Contribute::from_public(&chain(), &c, 0, b"other".to_vec(), [0; 128]),
        Err(BuildError::Binding(WHAT))
    );
    assert_eq!(
        Contribute::from_public(&ChainId::from_name("x"), &c, 0, b"payer".to_vec(), [0; 128]),
        Err(BuildError::Binding(WHAT))
    );
    // The same proof claimed as a matched contribution: the binding differs.
    assert_eq!(
        Contribute::from_public(&chain(), &c, 1, b"payer".to_vec(), [0; 128]),
        Err(BuildError::Binding(WHAT))
    );
}

#[test]
fn a_matched_contribution_binds_its_match_and_encodes_with_kind_9() {
    let mut c = contribute_public(150, 600, contribute_binding(&chain(), 50, b"payer"));
    let tx = Contribute::from_public(&chain(), &c, 50, b"payer".to_vec(), [0; 128]).unwrap();
    assert_eq!((tx.body.amount, tx.body.matched), (100, 50));
    let params = Params {
        cap: 600,
        min_periods: 0,
        divisor: 1,
    };
    // The ledger's public inputs: amount + matched, and the kind-5 binding.
    assert_eq!(tx.public(&chain(), &params), c);
    assert_ne!(c.binding, contribute_binding(&chain(), 49, b"payer"));
    assert_ne!(
        c.binding,
        binding(&chain(), ProofKind::Contribute, b"payer")
    );
    // Moving money between paid and matched changes the binding.
    let mut moved = tx.clone();
    moved.body.amount += 10;
    moved.body.matched -= 10;
    assert_ne!(moved.public(&chain(), &params), c);
    let tx: Transaction = tx.into();
    let bytes = tx.encode();
    assert_eq!(bytes[1], CONTRIBUTE_MATCHED_KIND);
    assert_eq!(tx.kind(), TxKind::Contribute);
    assert_eq!(
        tx.public_change(),
        Some(PublicChange::Contribute {
            amount: 150,
            epoch: 5
        })
    );
    // Kind 9 with a match of 0 has a second encoding: refused.
    let mut zero = bytes.clone();
    zero[1 + 1 + 96 + 8..1 + 1 + 96 + 16].copy_from_slice(&0u64.to_be_bytes());
    assert!(matches!(
        Transaction::decode(&zero),
        Err(DecodeError::Invalid {
            what: "matched",
            ..
        })
    ));
    // A match above the proof's amount cannot be built.
    c.amount = 40;
    c.binding = contribute_binding(&chain(), 50, b"payer");
    assert_eq!(
        Contribute::from_public(&chain(), &c, 50, b"payer".to_vec(), [0; 128]),
        Err(BuildError::MatchAboveAmount {
            matched: 50,
            amount: 40
        })
    );
}
