//! Round trips of proofs and proof files, and every class of malformed input
//! refused with its own error.

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ec::AffineRepr;
use ark_ff::{BigInteger, Field, PrimeField};
use ark_serialize::CanonicalSerialize;
use zkpension_circuits::field::EncodingError;
use zkpension_verifier::{
    decode_proofs, decode_public_inputs, DecodeError, Proof, ProofElement, ProofFile, Statement,
    VerifyError, PROOF_BYTES,
};

use crate::common::{fixture, Fr};

const P_HEX: &str = "0x30644e72e131a029b85045b68181585d2833e84879b9709143e1f593f0000001";

fn proof_bytes() -> [u8; PROOF_BYTES] {
    fixture().sample(Statement::Contribute).proof.to_bytes()
}

fn err(bytes: &[u8]) -> DecodeError {
    Proof::from_bytes(bytes).expect_err("malformed proof accepted")
}

fn compressed<T: CanonicalSerialize>(point: &T) -> Vec<u8> {
    let mut out = Vec::new();
    point.serialize_compressed(&mut out).expect("serialize");
    out
}

/// q, the base-field modulus, little-endian: the smallest non-canonical coordinate.
fn q_le() -> Vec<u8> {
    Fq::MODULUS.to_bytes_le()
}

/// A G1 x-coordinate with no point on the curve `y^2 = x^3 + 3`.
fn g1_x_off_curve() -> Fq {
    (1u64..)
        .map(Fq::from)
        .find(|x| (x.square() * x + Fq::from(3u64)).sqrt().is_none())
        .expect("half of all x have no point")
}

/// A G2 x-coordinate with no point on the twist.
fn g2_x_off_curve() -> Fq2 {
    let b = <ark_bn254::g2::Config as ark_ec::short_weierstrass::SWCurveConfig>::COEFF_B;
    (1u64..)
        .map(|i| Fq2::new(Fq::from(i), Fq::from(1u64)))
        .find(|x| (x.square() * x + b).sqrt().is_none())
        .expect("half of all x have no point")
}

/// A point on the twist curve outside the prime-order subgroup: a point from
/// an x-coordinate, without clearing the cofactor.
fn g2_outside_subgroup() -> G2Affine {
    (1u64..)
        .filter_map(|i| {
            G2Affine::get_point_from_x_unchecked(Fq2::new(Fq::from(i), Fq::from(1u64)), false)
        })
        .find(|p| p.is_on_curve() && !p.is_in_correct_subgroup_assuming_on_curve())
        .expect("almost every point of the twist is outside the subgroup")
}

/// `proof` with the bytes of one element replaced.
fn with_element(element: ProofElement, replacement: &[u8]) -> Vec<u8> {
    let mut bytes = proof_bytes().to_vec();
    let range = match element {
        ProofElement::A => 0..32,
        ProofElement::B => 32..96,
        ProofElement::C => 96..128,
    };
    assert_eq!(replacement.len(), range.len());
    bytes[range].copy_from_slice(replacement);
    bytes
}

#[test]
fn proof_round_trips() {
    for sample in &fixture().samples {
        let bytes = sample.proof.to_bytes();
        assert_eq!(Proof::from_bytes(&bytes).expect("decodes"), sample.proof);
        let hex = sample.proof.to_hex();
        assert_eq!(hex.len(), 2 + 2 * PROOF_BYTES);
        assert_eq!(Proof::from_hex(&hex).expect("decodes"), sample.proof);
        let json = serde_json::to_string(&sample.proof).expect("serialize");
        assert_eq!(json, format!("\"{hex}\""));
        let back: Proof = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, sample.proof);
        sample.proof.check().expect("decoded proofs pass check");
    }
}

#[test]
fn proof_file_round_trips_and_verifies() {
    let f = fixture();
    for sample in &f.samples {
        let file = sample.file();
        let json = serde_json::to_string_pretty(&file).expect("serialize");
        let value: serde_json::Value = serde_json::from_str(&json).expect("json");
        assert_eq!(value["statement"], sample.statement.name());
        assert_eq!(
            value["public_inputs"].as_array().expect("array").len(),
            sample.statement.num_public_inputs()
        );
        let back: ProofFile = serde_json::from_str(&json).expect("deserialize");
        assert_eq!(back, file);
        back.verify(&f.keys).expect("valid");
    }
}

#[test]
fn proof_file_json_refuses_malformed_fields() {
    let file = fixture().sample(Statement::Claim).file();
    let good: serde_json::Value = serde_json::to_value(&file).expect("to value");

    let mut v = good.clone();
    v["public_inputs"][2] = P_HEX.into();
    let e = serde_json::from_value::<ProofFile>(v).expect_err("input >= p accepted");
    assert!(e.to_string().contains("modulus"), "{e}");

    let mut v = good.clone();
    v["extra"] = 1.into();
    assert!(
        serde_json::from_value::<ProofFile>(v).is_err(),
        "unknown field accepted"
    );

    let mut v = good.clone();
    v["statement"] = "transfer".into();
    assert!(
        serde_json::from_value::<ProofFile>(v).is_err(),
        "unknown statement accepted"
    );

    let mut v = good.clone();
    let mut proof = proof_bytes();
    proof[31] |= 0xc0;
    v["proof"] = format!("0x{}", hex::encode(proof)).into();
    let e = serde_json::from_value::<ProofFile>(v).expect_err("bad flags accepted");
    assert!(e.to_string().contains("canonical"), "{e}");

    // A count mismatch parses (the file is well-formed) but does not verify.
    let mut short = file.clone();
    short.public_inputs.pop();
    let json = serde_json::to_string(&short).expect("serialize");
    let parsed: ProofFile = serde_json::from_str(&json).expect("parses");
    assert_eq!(
        parsed.verify(&fixture().keys),
        Err(VerifyError::InputCount {
            expected: 8,
            got: 7
        })
    );
}

#[test]
fn truncated_and_trailing_bytes() {
    let bytes = proof_bytes();
    assert_eq!(
        err(&bytes[..127]),
        DecodeError::Truncated {
            expected: 128,
            got: 127
        }
    );
    assert_eq!(
        err(&[]),
        DecodeError::Truncated {
            expected: 128,
            got: 0
        }
    );
    let mut long = bytes.to_vec();
    long.push(0);
    assert_eq!(
        err(&long),
        DecodeError::TrailingBytes {
            expected: 128,
            got: 129
        }
    );
    // The same through hex.
    let hex = format!("0x{}", hex::encode(&bytes[..100]));
    assert!(matches!(
        Proof::from_hex(&hex),
        Err(DecodeError::Truncated { got: 100, .. })
    ));
    let hex = format!("0x{}00", hex::encode(bytes));
    assert!(matches!(
        Proof::from_hex(&hex),
        Err(DecodeError::TrailingBytes { got: 129, .. })
    ));
}

#[test]
fn malformed_hex() {
    let hex = hex::encode(proof_bytes());
    for bad in [
        hex.clone(),                  // no 0x
        format!("0x{}", &hex[1..]),   // odd number of digits
        format!("0x{}zz", &hex[2..]), // not hex
        format!("0X{hex}"),           // wrong prefix
    ] {
        assert_eq!(
            Proof::from_hex(&bad),
            Err(DecodeError::Hex { digits: 256 }),
            "{bad}"
        );
    }
}

#[test]
fn coordinate_not_below_q() {
    let q = q_le();
    for element in [ProofElement::A, ProofElement::C] {
        assert_eq!(
            err(&with_element(element, &q)),
            DecodeError::NonCanonical { element }
        );
    }
    // q + 1 with the y-flag set still names no canonical encoding.
    let mut q1 = q.clone();
    q1[0] += 1;
    q1[31] |= 0x80;
    assert_eq!(
        err(&with_element(ProofElement::A, &q1)),
        DecodeError::NonCanonical {
            element: ProofElement::A
        }
    );
    // B: either coordinate of x in Fq2 at q.
    let b = proof_bytes()[32..96].to_vec();
    let mut c0 = b.clone();
    c0[..32].copy_from_slice(&q);
    let mut c1 = b.clone();
    c1[32..].copy_from_slice(&q);
    c1[63] |= b[63] & 0xc0;
    for bytes in [c0, c1] {
        assert_eq!(
            err(&with_element(ProofElement::B, &bytes)),
            DecodeError::NonCanonical {
                element: ProofElement::B
            }
        );
    }
}

#[test]
fn flag_bits_without_a_point() {
    let bytes = proof_bytes();
    // Both flags at once.
    let mut both = bytes;
    both[31] |= 0xc0;
    assert_eq!(
        err(&both),
        DecodeError::NonCanonical {
            element: ProofElement::A
        }
    );
    // Infinity with a non-zero coordinate.
    let mut inf = bytes;
    inf[127] = (inf[127] & 0x3f) | 0x40;
    assert_eq!(
        err(&inf),
        DecodeError::NonCanonical {
            element: ProofElement::C
        }
    );
    // Flags on the first coordinate of B (where arkworks has none).
    let mut c0 = bytes;
    c0[63] |= 0x80;
    assert_eq!(
        err(&c0),
        DecodeError::NonCanonical {
            element: ProofElement::B
        }
    );
}

#[test]
fn point_at_infinity_has_one_encoding() {
    let mut zero_a = [0u8; 32];
    zero_a[31] = 0x40;
    let bytes = with_element(ProofElement::A, &zero_a);
    let proof = Proof::from_bytes(&bytes).expect("canonical identity decodes");
    assert_eq!(proof.to_bytes().to_vec(), bytes);
    let s = fixture().sample(Statement::Contribute);
    assert_eq!(
        fixture().keys.get(s.statement).verify(&proof, &s.inputs),
        Err(VerifyError::InvalidProof)
    );
    // Zero bytes without the infinity flag are the x-coordinate 0, never a
    // second encoding of the identity.
    match Proof::from_bytes(&with_element(ProofElement::A, &[0u8; 32])) {
        Ok(p) => assert!(!p.0.a.is_zero()),
        Err(e) => assert_eq!(
            e,
            DecodeError::NotOnCurve {
                element: ProofElement::A
            }
        ),
    }
}

#[test]
fn point_not_on_curve() {
    let x = compressed(&g1_x_off_curve());
    for element in [ProofElement::A, ProofElement::C] {
        assert_eq!(
            err(&with_element(element, &x)),
            DecodeError::NotOnCurve { element }
        );
    }
    let x2 = compressed(&g2_x_off_curve());
    assert_eq!(
        err(&with_element(ProofElement::B, &x2)),
        DecodeError::NotOnCurve {
            element: ProofElement::B
        }
    );
}

#[test]
fn g2_point_outside_subgroup() {
    let point = g2_outside_subgroup();
    let bytes = with_element(ProofElement::B, &compressed(&point));
    assert_eq!(
        err(&bytes),
        DecodeError::NotInSubgroup {
            element: ProofElement::B
        }
    );
    // `check` refuses the same point in a proof built in memory.
    let mut proof = fixture().sample(Statement::Attest).proof.clone();
    proof.0.b = point;
    assert_eq!(
        proof.check(),
        Err(DecodeError::NotInSubgroup {
            element: ProofElement::B
        })
    );
    // In G1 every curve point is in the group: the generator decodes.
    let g = compressed(&G1Affine::generator());
    Proof::from_bytes(&with_element(ProofElement::C, &g)).expect("G1 generator");
}

#[test]
fn decode_many_in_order() {
    let good = proof_bytes().to_vec();
    let results = decode_proofs(&[good.clone(), good[..10].to_vec(), good]);
    assert!(results[0].is_ok());
    assert_eq!(
        results[1],
        Err(DecodeError::Truncated {
            expected: 128,
            got: 10
        })
    );
    assert!(results[2].is_ok());
}

#[test]
fn public_inputs_decode_checked() {
    let s = fixture().sample(Statement::Attest);
    let hex: Vec<String> = s
        .inputs
        .iter()
        .map(zkpension_circuits::field::to_hex)
        .collect();
    assert_eq!(
        decode_public_inputs(Statement::Attest, &hex).expect("decodes"),
        s.inputs
    );

    assert_eq!(
        decode_public_inputs(Statement::Attest, &hex[..9]),
        Err(DecodeError::InputCount {
            statement: Statement::Attest,
            expected: 10,
            got: 9
        })
    );
    let mut more = hex.clone();
    more.push(hex[0].clone());
    assert_eq!(
        decode_public_inputs(Statement::Attest, &more),
        Err(DecodeError::InputCount {
            statement: Statement::Attest,
            expected: 10,
            got: 11
        })
    );

    let mut at_p = hex.clone();
    at_p[4] = P_HEX.to_string();
    assert_eq!(
        decode_public_inputs(Statement::Attest, &at_p),
        Err(DecodeError::PublicInput {
            index: 4,
            source: EncodingError::NotCanonical
        })
    );
    // nf + p, the alias of a nullifier, is refused rather than reduced.
    let nf = s.inputs[1];
    let mut alias = nf.into_bigint();
    alias.add_with_carry(&Fr::MODULUS);
    let mut aliased = hex.clone();
    aliased[1] = format!("0x{}", hex::encode(alias.to_bytes_be()));
    assert!(matches!(
        decode_public_inputs(Statement::Attest, &aliased),
        Err(DecodeError::PublicInput {
            index: 1,
            source: EncodingError::NotCanonical
        })
    ));

    let mut short = hex.clone();
    short[0] = short[0][..65].to_string();
    assert!(matches!(
        decode_public_inputs(Statement::Attest, &short),
        Err(DecodeError::PublicInput {
            index: 0,
            source: EncodingError::Hex(_)
        })
    ));
}
