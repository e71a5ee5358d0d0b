//! Encoding, id and JSON tests of transactions.

use super::*;
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use zkpension_circuits::binding::{binding, ProofKind};
use zkpension_circuits::statements::{ClaimPublic, ContributePublic, InheritPublic};
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
        heir_ct: f(nf * 7 + 3),
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
        Inherit {
            body: InheritBody {
                anchor: f(1).into(),
                nf: f(13).into(),
                amount: 12_000,
                epoch: 40,
                recipient: ctx(b"heir's account"),
            },
            proof: FixedBytes([6; PROOF_BYTES]),
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
            Transaction::Inherit(t) => t.proof.0[0] ^= 1,
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
            Transaction::Inherit(t) => t.body.amount -= 1,
        }
        assert_ne!(changed.id(), id, "content must change the id");
        // The heir of a member spend is part of the content.
        let mut changed = tx.clone();
        if let Some(spend) = match &mut changed {
            Transaction::Contribute(t) => Some(&mut t.body.spend),
            Transaction::Claim(t) => Some(&mut t.body.spend),
            Transaction::Attest(t) => Some(&mut t.body.spend),
            _ => None,
        } {
            spend.heir_ct += f(1);
            assert_ne!(changed.id(), id, "heir_ct must change the id");
        }
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

    // A Contribute: anchor, nf, cm_new, heir_ct, amount, epoch, payer_ref.
    let c = &samples()[1];
    let bytes = c.encode();
    assert_eq!(&bytes[..2], &[1, 2]);
    assert_eq!(
        &bytes[2 + 96..2 + 128],
        &zkpension_circuits::field::to_bytes(&f(17))
    );
    assert_eq!(&bytes[2 + 128..2 + 136], &500u64.to_be_bytes());
    assert_eq!(&bytes[2 + 144..2 + 148], &10u32.to_be_bytes());
    assert_eq!(&bytes[2 + 148..2 + 158], b"employer-7");
    assert_eq!(bytes.len(), 2 + 148 + 10 + PROOF_BYTES);

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
    assert_eq!(&m[2 + 128..2 + 136], &500u64.to_be_bytes());
    assert_eq!(&m[2 + 136..2 + 144], &250u64.to_be_bytes());
    assert_eq!(&m[2 + 144..2 + 152], &4u64.to_be_bytes());
    assert_eq!(m.len(), 2 + 156 + 10 + PROOF_BYTES);
    // An Inherit: kind 10, anchor, nf, amount, epoch, recipient.
    let i = samples()[9].encode();
    assert_eq!(&i[..2], &[1, 10]);
    assert_eq!(
        &i[2 + 32..2 + 64],
        &zkpension_circuits::field::to_bytes(&f(13))
    );
    assert_eq!(&i[2 + 64..2 + 72], &12_000u64.to_be_bytes());
    assert_eq!(&i[2 + 72..2 + 80], &40u64.to_be_bytes());
    assert_eq!(&i[2 + 80..2 + 84], &14u32.to_be_bytes());
    assert_eq!(i.len(), 2 + 84 + 14 + PROOF_BYTES);
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
    bad_kind[1] = 11;
    assert_eq!(Transaction::decode(&bad_kind), Err(DecodeError::Kind(11)));
    let mut alias = enroll.clone();
    alias[2..34].copy_from_slice(&[0xff; 32]);
    assert!(matches!(
        Transaction::decode(&alias),
        Err(DecodeError::Field { what: "cm", .. })
    ));
    let attest = samples()[3].encode();
    let bool_at = 2 + 32 * 6 + 8 * 3;
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
    let heir_ct = f(77);
    let c = contribute_public(4, 6, contribute_binding(&chain(), 0, &heir_ct, b"payer"));
    let tx =
        Contribute::from_public(&chain(), &c, 0, heir_ct, b"payer".to_vec(), [0; 128]).unwrap();
    let params = Params {
        cap: 6,
        min_periods: 0,
        divisor: 1,
    };
    assert_eq!(
        Contribute::from_public(
            &chain(),
            &c,
            0,
            heir_ct,
            vec![0; MAX_CONTEXT_BYTES + 1],
            [0; 128]
        ),
        Err(BuildError::ContextTooLong(ContextTooLong {
            what: "payer_ref",
            len: MAX_CONTEXT_BYTES + 1
        }))
    );
    assert_eq!(tx.public(&chain(), &params), c);
    const WHAT: &str = "heir_ct, payer_ref and matched";
    let build = |chain: &ChainId, matched, heir_ct, payer_ref: &[u8]| {
        Contribute::from_public(chain, &c, matched, heir_ct, payer_ref.to_vec(), [0; 128])
    };
    assert_eq!(
        build(&chain(), 0, heir_ct, b"other"),
        Err(BuildError::Binding(WHAT))
    );
    assert_eq!(
        build(&ChainId::from_name("x"), 0, heir_ct, b"payer"),
        Err(BuildError::Binding(WHAT))
    );
    // The same proof claimed as a matched contribution: the binding differs.
    assert_eq!(
        build(&chain(), 1, heir_ct, b"payer"),
        Err(BuildError::Binding(WHAT))
    );
    // Another heir: the binding differs, so nobody can rewrite the heir.
    assert_eq!(
        build(&chain(), 0, heir_ct + f(1), b"payer"),
        Err(BuildError::Binding(WHAT))
    );
}

#[test]
fn claim_attest_and_inherit_bind_their_context() {
    let heir_ct = f(5);
    let claim = ClaimPublic {
        anchor: Anchor::from(f(1)),
        nf: Nullifier::from(f(2)),
        cm_new: NoteCommitment::from(f(3)),
        amount: 10,
        epoch: 5,
        min_periods: 1,
        divisor: 2,
        binding: spend_binding(&chain(), ProofKind::Claim, &heir_ct, b"acct"),
    };
    let tx = Claim::from_public(&chain(), &claim, heir_ct, b"acct".to_vec(), [0; 128]).unwrap();
    let params = Params {
        cap: 1,
        min_periods: 1,
        divisor: 2,
    };
    assert_eq!(tx.public(&chain(), &params), claim);
    for (h, r) in [(heir_ct + f(1), &b"acct"[..]), (heir_ct, &b"acc"[..])] {
        assert_eq!(
            Claim::from_public(&chain(), &claim, h, r.to_vec(), [0; 128]),
            Err(BuildError::Binding("heir_ct and recipient"))
        );
    }
    let inherit = InheritPublic {
        anchor: Anchor::from(f(1)),
        nf: Nullifier::from(f(2)),
        amount: 10,
        epoch: 50,
        dormancy: 24,
        binding: inherit_binding(&chain(), b"heir acct"),
    };
    let tx = Inherit::from_public(&chain(), &inherit, b"heir acct".to_vec(), [0; 128]).unwrap();
    assert_eq!(tx.public(&chain(), 24), inherit);
    assert_ne!(tx.public(&chain(), 23), inherit);
    assert_eq!(
        Inherit::from_public(&chain(), &inherit, b"thief".to_vec(), [0; 128]),
        Err(BuildError::Binding("recipient"))
    );
    // Kind 4: a claim's binding over the same bytes is another value.
    assert_ne!(
        inherit.binding,
        binding(&chain(), ProofKind::Claim, b"heir acct")
    );
    let tx: Transaction = tx.into();
    assert_eq!(tx.kind(), TxKind::Inherit);
    assert_eq!(tx.nullifier(), Some(Nullifier::from(f(2))));
    assert_eq!(tx.anchor(), Some(Anchor::from(f(1))));
    assert_eq!(tx.new_commitment(), None);
    assert_eq!(
        tx.public_change(),
        Some(PublicChange::Inherit {
            amount: 10,
            epoch: 50
        })
    );
}

#[test]
fn a_matched_contribution_binds_its_match_and_encodes_with_kind_9() {
    let h = f(0);
    let mut c = contribute_public(150, 600, contribute_binding(&chain(), 50, &h, b"payer"));
    let tx = Contribute::from_public(&chain(), &c, 50, h, b"payer".to_vec(), [0; 128]).unwrap();
    assert_eq!((tx.body.amount, tx.body.matched), (100, 50));
    let params = Params {
        cap: 600,
        min_periods: 0,
        divisor: 1,
    };
    // The ledger's public inputs: amount + matched, and the kind-5 binding.
    assert_eq!(tx.public(&chain(), &params), c);
    assert_ne!(c.binding, contribute_binding(&chain(), 49, &h, b"payer"));
    assert_ne!(c.binding, contribute_binding(&chain(), 0, &h, b"payer"));
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
            epoch: 5,
            heir_ct: h,
        })
    );
    // Kind 9 with a match of 0 has a second encoding: refused.
    let mut zero = bytes.clone();
    zero[1 + 1 + 128 + 8..1 + 1 + 128 + 16].copy_from_slice(&0u64.to_be_bytes());
    assert!(matches!(
        Transaction::decode(&zero),
        Err(DecodeError::Invalid {
            what: "matched",
            ..
        })
    ));
    // A match above the proof's amount cannot be built.
    c.amount = 40;
    c.binding = contribute_binding(&chain(), 50, &h, b"payer");
    assert_eq!(
        Contribute::from_public(&chain(), &c, 50, h, b"payer".to_vec(), [0; 128]),
        Err(BuildError::MatchAboveAmount {
            matched: 50,
            amount: 40
        })
    );
}
