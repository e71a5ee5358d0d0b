//! Groth16 proofs and public inputs from untrusted bytes and JSON (SPEC §1, §5).
//!
//! A proof is 128 bytes: `A || B || C` in arkworks' compressed canonical
//! encoding (G1 32 bytes, G2 64 bytes, little-endian coordinates, the two top
//! bits of the last byte of each point are flags: bit 7 "y is the larger root",
//! bit 6 "point at infinity"). Decoding accepts exactly one encoding per point:
//! every coordinate below q, no flag combination but those three, the point at
//! infinity only with zero coordinates, every point on its curve and in the
//! prime-order subgroup (checked for G2, whose cofactor is not 1).

use ark_bn254::{g1, g2, Bn254, Fq, Fq2, G1Affine, G2Affine};
use ark_ec::short_weierstrass::{Affine, SWCurveConfig};
use ark_ff::{BigInt, PrimeField, Zero};
use ark_serialize::CanonicalSerialize;
use rayon::prelude::*;
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::Statement;

use crate::error::{DecodeError, ProofElement};

/// Bytes in an encoded proof.
pub const PROOF_BYTES: usize = 128;
const G1_BYTES: usize = 32;
const G2_BYTES: usize = 64;

/// A Groth16 proof over BN254.
///
/// Values made by [`Proof::from_bytes`], [`Proof::from_hex`] or serde have every
/// point on its curve and in the prime-order subgroup. A value built from the
/// public field is trusted as the caller's own (fresh from a prover, say); call
/// [`Proof::check`] before batching one that came from elsewhere.
#[derive(Clone, Debug, PartialEq)]
pub struct Proof(pub ark_groth16::Proof<Bn254>);

impl Proof {
    /// Decodes exactly [`PROOF_BYTES`] bytes, refusing anything but the one
    /// canonical encoding of three valid points.
    pub fn from_bytes(bytes: &[u8]) -> Result<Proof, DecodeError> {
        if bytes.len() < PROOF_BYTES {
            return Err(DecodeError::Truncated {
                expected: PROOF_BYTES,
                got: bytes.len(),
            });
        }
        if bytes.len() > PROOF_BYTES {
            return Err(DecodeError::TrailingBytes {
                expected: PROOF_BYTES,
                got: bytes.len(),
            });
        }
        let (a, rest) = bytes.split_at(G1_BYTES);
        let (b, c) = rest.split_at(G2_BYTES);
        Ok(Proof(ark_groth16::Proof {
            a: decode_g1(a, ProofElement::A)?,
            b: decode_g2(b, ProofElement::B)?,
            c: decode_g1(c, ProofElement::C)?,
        }))
    }

    /// The canonical encoding, `A || B || C` compressed.
    pub fn to_bytes(&self) -> [u8; PROOF_BYTES] {
        let mut out = [0u8; PROOF_BYTES];
        let (a, rest) = out.split_at_mut(G1_BYTES);
        let (b, c) = rest.split_at_mut(G2_BYTES);
        write_point(&self.0.a, a);
        write_point(&self.0.b, b);
        write_point(&self.0.c, c);
        out
    }

    /// Parses `0x` followed by 256 hex digits.
    pub fn from_hex(s: &str) -> Result<Proof, DecodeError> {
        let bytes = decode_hex(s, 2 * PROOF_BYTES)?;
        Proof::from_bytes(&bytes)
    }

    /// `0x` followed by 256 lowercase hex digits.
    pub fn to_hex(&self) -> String {
        format!("0x{}", hex::encode(self.to_bytes()))
    }

    /// Checks a proof that was not decoded here: the same checks as
    /// [`Proof::from_bytes`] (each point on its curve, in the subgroup, and
    /// canonically encodable).
    pub fn check(&self) -> Result<(), DecodeError> {
        Proof::from_bytes(&self.to_bytes()).and_then(|p| {
            if p == *self {
                Ok(())
            } else {
                // Only reachable for a point whose affine coordinates are not
                // on the curve at all (its encoding names a different point).
                Err(DecodeError::NotOnCurve {
                    element: if p.0.a != self.0.a {
                        ProofElement::A
                    } else if p.0.b != self.0.b {
                        ProofElement::B
                    } else {
                        ProofElement::C
                    },
                })
            }
        })
    }
}

impl Serialize for Proof {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_hex())
    }
}

impl<'de> Deserialize<'de> for Proof {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Proof, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        Proof::from_hex(&s).map_err(serde::de::Error::custom)
    }
}

/// Decodes many proofs at once, spread over the current rayon pool (the G2
/// subgroup check dominates decoding). One result per input, in order.
pub fn decode_proofs<B: AsRef<[u8]> + Sync>(encoded: &[B]) -> Vec<Result<Proof, DecodeError>> {
    encoded
        .par_iter()
        .map(|b| Proof::from_bytes(b.as_ref()))
        .collect()
}

/// Decodes a statement's public inputs from JSON strings: exactly the
/// statement's number of inputs, each `0x` + 64 hex digits below p.
pub fn decode_public_inputs(
    statement: Statement,
    inputs: &[String],
) -> Result<Vec<Fr>, DecodeError> {
    let expected = statement.num_public_inputs();
    if inputs.len() != expected {
        return Err(DecodeError::InputCount {
            statement,
            expected,
            got: inputs.len(),
        });
    }
    inputs
        .iter()
        .enumerate()
        .map(|(index, s)| {
            field::from_hex(s).map_err(|source| DecodeError::PublicInput { index, source })
        })
        .collect()
}

/// A statement, a proof and its public inputs: the file `zkpension verify FILE`
/// reads. JSON:
///
/// ```json
/// { "statement": "contribute", "proof": "0x…(256 hex digits)", "public_inputs": ["0x…", …] }
/// ```
///
/// Reading one checks the proof's encoding and each input's canonical form; the
/// number of inputs is checked by [`ProofFile::verify`].
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProofFile {
    pub statement: Statement,
    pub proof: Proof,
    #[serde(with = "field::serde_hex_vec")]
    pub public_inputs: Vec<Fr>,
}

/// `0x` followed by exactly `digits` hex digits.
pub(crate) fn decode_hex(s: &str, digits: usize) -> Result<Vec<u8>, DecodeError> {
    let body = s.strip_prefix("0x").ok_or(DecodeError::Hex { digits })?;
    if body.len() % 2 != 0 || !body.bytes().all(|c| c.is_ascii_hexdigit()) {
        return Err(DecodeError::Hex { digits });
    }
    // Length errors are reported in bytes, like binary input.
    hex::decode(body).map_err(|_| DecodeError::Hex { digits })
}

/// A base-field element from 32 little-endian bytes, `None` unless below q.
fn fq_from_le(bytes: &[u8; 32]) -> Option<Fq> {
    let mut limbs = [0u64; 4];
    for (limb, chunk) in limbs.iter_mut().zip(bytes.chunks_exact(8)) {
        let mut word = [0u8; 8];
        word.copy_from_slice(chunk);
        *limb = u64::from_le_bytes(word);
    }
    Fq::from_bigint(BigInt(limbs))
}

/// Splits off the flag bits (top two bits of the last byte).
fn take_flags(bytes: &mut [u8; 32]) -> u8 {
    let flags = bytes[31] >> 6;
    bytes[31] &= 0x3f;
    flags
}

const FLAG_INFINITY: u8 = 0b01;
const FLAG_LARGER_Y: u8 = 0b10;

fn decode_g1(bytes: &[u8], element: ProofElement) -> Result<G1Affine, DecodeError> {
    let mut x = [0u8; 32];
    x.copy_from_slice(bytes);
    let flags = take_flags(&mut x);
    let x = fq_from_le(&x).ok_or(DecodeError::NonCanonical { element })?;
    let point = point_from_x::<g1::Config>(x, flags, element)?;
    ensure_canonical(&point, bytes, element)?;
    Ok(point)
}

fn decode_g2(bytes: &[u8], element: ProofElement) -> Result<G2Affine, DecodeError> {
    let mut c0 = [0u8; 32];
    let mut c1 = [0u8; 32];
    c0.copy_from_slice(&bytes[..32]);
    c1.copy_from_slice(&bytes[32..]);
    let flags = take_flags(&mut c1);
    // c0 carries no flags: set top bits make it >= 2^254 > q, refused here.
    let c0 = fq_from_le(&c0).ok_or(DecodeError::NonCanonical { element })?;
    let c1 = fq_from_le(&c1).ok_or(DecodeError::NonCanonical { element })?;
    let point = point_from_x::<g2::Config>(Fq2::new(c0, c1), flags, element)?;
    ensure_canonical(&point, bytes, element)?;
    Ok(point)
}

fn point_from_x<P: SWCurveConfig>(
    x: P::BaseField,
    flags: u8,
    element: ProofElement,
) -> Result<Affine<P>, DecodeError> {
    match flags {
        FLAG_INFINITY if x.is_zero() => Ok(Affine::identity()),
        0 | FLAG_LARGER_Y => {
            let point = Affine::<P>::get_point_from_x_unchecked(x, flags == FLAG_LARGER_Y)
                .ok_or(DecodeError::NotOnCurve { element })?;
            if point.is_in_correct_subgroup_assuming_on_curve() {
                Ok(point)
            } else {
                Err(DecodeError::NotInSubgroup { element })
            }
        }
        // Both flags, or infinity with a non-zero coordinate.
        _ => Err(DecodeError::NonCanonical { element }),
    }
}

/// The decoded point must encode back to the same bytes (this refuses, for
/// example, the "larger root" flag on a point whose y is 0).
fn ensure_canonical<P: SWCurveConfig>(
    point: &Affine<P>,
    bytes: &[u8],
    element: ProofElement,
) -> Result<(), DecodeError> {
    let mut again = Vec::with_capacity(bytes.len());
    match point.serialize_compressed(&mut again) {
        Ok(()) if again == bytes => Ok(()),
        _ => Err(DecodeError::NonCanonical { element }),
    }
}

fn write_point<P: SWCurveConfig>(point: &Affine<P>, out: &mut [u8]) {
    let mut buf = Vec::with_capacity(out.len());
    // Writing a point into a Vec cannot fail.
    if point.serialize_compressed(&mut buf).is_ok() && buf.len() == out.len() {
        out.copy_from_slice(&buf);
    }
}
