//! Import of a snarkjs `.ptau` file (the `powersoftau` format snarkjs and
//! the Perpetual Powers of Tau write): sections of little-endian
//! Montgomery-form coordinates, converted to a [`Powers`] state with every
//! point checked (on the curve, in the subgroup) and the whole checked for
//! consistency.

use std::path::Path;

use ark_bn254::{Fq, Fq2, G1Affine, G2Affine};
use ark_ff::{BigInteger, Field, PrimeField};
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use super::error::{io_err, CeremonyError};
use super::pok::contribution_rng;
use super::powers::{check_g2, lengths, Powers, MAX_POWER};
use super::steps::Start;

const N8: usize = 32;

fn bad(path: &Path, what: impl Into<String>) -> CeremonyError {
    CeremonyError::invalid(path.display().to_string(), what)
}

/// The sections of a `.ptau` file: `(type, offset, size)`.
fn sections(path: &Path, bytes: &[u8]) -> Result<Vec<(u32, usize, usize)>, CeremonyError> {
    if bytes.len() < 12 || &bytes[..4] != b"ptau" {
        return Err(bad(path, "not a .ptau file (bad magic)"));
    }
    let u32_at = |at: usize| u32::from_le_bytes(bytes[at..at + 4].try_into().expect("4 bytes"));
    let count = u32_at(8) as usize;
    let mut out = Vec::new();
    let mut at = 12;
    for _ in 0..count {
        if at + 12 > bytes.len() {
            return Err(bad(path, "truncated section table"));
        }
        let kind = u32_at(at);
        let size = u64::from_le_bytes(bytes[at + 4..at + 12].try_into().expect("8 bytes"));
        let start = at + 12;
        let size = usize::try_from(size).map_err(|_| bad(path, "section too large"))?;
        if start.checked_add(size).is_none_or(|end| end > bytes.len()) {
            return Err(bad(
                path,
                format!("section {kind} runs past the end (truncated file)"),
            ));
        }
        out.push((kind, start, size));
        at = start + size;
    }
    Ok(out)
}

/// A base-field element from its Montgomery form (little-endian).
fn fq(bytes: &[u8], r_inv: &Fq) -> Option<Fq> {
    let mut limbs = [0u64; 4];
    for (i, l) in limbs.iter_mut().enumerate() {
        *l = u64::from_le_bytes(bytes[8 * i..8 * i + 8].try_into().ok()?);
    }
    let big = <Fq as PrimeField>::BigInt::new(limbs);
    Fq::from_bigint(big).map(|x| x * r_inv)
}

fn g1s(
    path: &Path,
    data: &[u8],
    count: usize,
    name: &str,
    r_inv: &Fq,
) -> Result<Vec<G1Affine>, CeremonyError> {
    if data.len() < count * 2 * N8 {
        return Err(bad(
            path,
            format!("{name}: section shorter than {count} points"),
        ));
    }
    data[..count * 2 * N8]
        .par_chunks(2 * N8)
        .enumerate()
        .map(|(i, c)| {
            let p = fq(&c[..N8], r_inv)
                .zip(fq(&c[N8..], r_inv))
                .map(|(x, y)| G1Affine::new_unchecked(x, y));
            match p {
                Some(p) if p.is_on_curve() && p.is_in_correct_subgroup_assuming_on_curve() => Ok(p),
                _ => Err(bad(path, format!("{name}[{i}] is not a point of G1"))),
            }
        })
        .collect()
}

fn g2s(
    path: &Path,
    data: &[u8],
    count: usize,
    name: &str,
    r_inv: &Fq,
) -> Result<Vec<G2Affine>, CeremonyError> {
    if data.len() < count * 4 * N8 {
        return Err(bad(
            path,
            format!("{name}: section shorter than {count} points"),
        ));
    }
    let points = data[..count * 4 * N8]
        .par_chunks(4 * N8)
        .enumerate()
        .map(|(i, c)| {
            let coord = |k: usize| {
                fq(&c[k * N8..(k + 1) * N8], r_inv)
                    .zip(fq(&c[(k + 1) * N8..(k + 2) * N8], r_inv))
                    .map(|(a, b)| Fq2::new(a, b))
            };
            let p = coord(0)
                .zip(coord(2))
                .map(|(x, y)| G2Affine::new_unchecked(x, y));
            p.ok_or_else(|| bad(path, format!("{name}[{i}] is not a point of G2")))
        })
        .collect::<Result<Vec<_>, _>>()?;
    // Each on the curve and in the subgroup (computed for all at once).
    check_g2(&points).map_err(|i| bad(path, format!("{name}[{i}] is not a point of G2")))?;
    Ok(points)
}

/// Reads a `.ptau` file, takes its first `2^power` powers, checks them
/// (every point, then consistency by random linear combinations) and
/// returns the start of a ceremony built on it.
pub fn import_ptau(path: &Path, power: u32) -> Result<Start, CeremonyError> {
    let bytes = std::fs::read(path).map_err(io_err(path))?;
    let sha256: [u8; 32] = Sha256::digest(&bytes).into();
    let sections = sections(path, &bytes)?;
    let section = |kind: u32| {
        let found: Vec<_> = sections.iter().filter(|s| s.0 == kind).collect();
        match found.as_slice() {
            [one] => Ok(&bytes[one.1..one.1 + one.2]),
            _ => Err(bad(path, format!("expected exactly one section {kind}"))),
        }
    };
    let header = section(1)?;
    if header.len() < 4 + N8 + 8 {
        return Err(bad(path, "header section too short"));
    }
    let n8 = u32::from_le_bytes(header[..4].try_into().expect("4 bytes")) as usize;
    let q = <Fq as PrimeField>::MODULUS.to_bytes_le();
    if n8 != N8 || header[4..4 + N8] != q[..] {
        return Err(bad(path, "not a BN254 (bn128) file: its prime differs"));
    }
    let file_power = u32::from_le_bytes(header[4 + N8..8 + N8].try_into().expect("4 bytes"));
    if file_power > MAX_POWER {
        return Err(bad(path, format!("power {file_power} above {MAX_POWER}")));
    }
    if power > file_power {
        return Err(bad(
            path,
            format!("holds 2^{file_power} powers, the ceremony wants 2^{power}"),
        ));
    }
    let (long, short) = lengths(power);
    let r_inv = Fq::from(2u64)
        .pow([256u64])
        .inverse()
        .expect("2 is invertible");
    let powers = Powers {
        power,
        tau_g1: g1s(path, section(2)?, long, "tauG1", &r_inv)?,
        tau_g2: g2s(path, section(3)?, short, "tauG2", &r_inv)?,
        alpha_tau_g1: g1s(path, section(4)?, short, "alphaTauG1", &r_inv)?,
        beta_tau_g1: g1s(path, section(5)?, short, "betaTauG1", &r_inv)?,
        beta_g2: g2s(path, section(6)?, 1, "betaG2", &r_inv)?[0],
    };
    powers
        .check(&mut contribution_rng(None))
        .map_err(|e| bad(path, format!("inconsistent powers: {e}")))?;
    let contributions = match section(7) {
        Ok(s) if s.len() >= 4 => u32::from_le_bytes(s[..4].try_into().expect("4 bytes")),
        _ => 0,
    };
    Ok(Start::Imported {
        powers: Box::new(powers),
        sha256,
        file_power,
        contributions,
    })
}
