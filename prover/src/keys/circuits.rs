//! This build's circuit of each statement: its counts and digest (pinned,
//! [`circuit_info`]) and its R1CS matrices, read from the file stored beside
//! the keys or built by synthesis, once per process ([`circuit`],
//! [`circuit_in`]).
//!
//! # The matrices file `<statement>.r1cs`
//!
//! Building the matrices means synthesizing the blank circuit, inlining its
//! linear combinations and sorting them: about a hundred milliseconds of
//! every process that proves. [`setup`](super::setup) (and the first process
//! that builds them for a key directory without the file) stores them:
//!
//! ```text
//! "zkpension-r1cs/1" || statement name (u8 length || bytes)
//! || u32 n || n distinct coefficients (32 bytes each, big-endian)
//! || for M in [A, B, C]: u32 rows || for each row: u32 entries
//!        || for each entry: u32 column || u32 index of its coefficient
//! ```
//!
//! (The circuits use a few hundred distinct coefficients, Poseidon's
//! constants and small integers, in about 270,000 entries: indices keep the
//! files at about 2 MB each.)
//!
//! The file is a cache and is not trusted: a read is used only if the
//! SHA-256 of its bytes is the one pinned in this build for the statement
//! ([`STORED_SHA256`]), so it is exactly this build's circuit; anything else
//! (damaged, truncated, from another build) is ignored and the matrices are
//! built again. The encoding is deterministic, and a test ties each pin to
//! the encoding of the synthesized matrices, whose digest
//! ([`r1cs::matrix_digest`]) is the one pinned in the circuits
//! ([`r1cs::pinned_info`]). Hashing the 2 MB file costs about a millisecond;
//! recomputing the matrix digest over every entry (about 10 MB of canonical
//! encoding) took about ten, a third of a proving process's loading.

use std::io;
use std::path::Path;
use std::sync::OnceLock;

use ark_relations::gr1cs::Matrix;
use zkpension_circuits::field::{self, Fr};
use zkpension_circuits::r1cs::{self, ConstraintInfo};
use zkpension_circuits::Statement;
use zkpension_verifier::{id_to_hex, sha256_id};

use super::{KeyError, KEY_FILE_MODE};
use crate::fsutil;
use crate::qap::Matrices;

const MAGIC: &[u8] = b"zkpension-r1cs/1";

/// SHA-256 of this build's `<statement>.r1cs` file, by [`Statement::index`]
/// (Contribute, Claim, Attest, Inherit). A circuit change changes them with
/// the digests of [`r1cs::pinned_info`]; the test
/// `stored_files_are_pinned` prints the new values.
pub const STORED_SHA256: [&str; Statement::ALL.len()] = [
    "c36faed09b6ba0f799c0cbcda6c7f512faf0e9e7251da8957f95132255db0805",
    "d937693f10afb2445b8a47a9c5d2a4c399cd0a85fb56695c274628e88d5fdac5",
    "5ff3ad79f5ab35e502b67c0f2accd31949ea7611feabca0c3d7df3a4225d735d",
    "bfe882aa217c5d816184deb4a2177e9bda5b560de553063737f1e79a04e97f7b",
];

/// This build's circuit of a statement: its counts and digest, and its R1CS
/// matrices exactly as Groth16 key generation builds them (setup mode,
/// linear combinations inlined). The prover reuses the matrices for every
/// proof instead of rebuilding them from each synthesis.
#[derive(Debug)]
pub struct Circuit {
    /// Counts and the digest of the matrices.
    pub info: ConstraintInfo,
    /// `[A, B, C]` in the compact form proving uses; columns: the constant 1,
    /// the public inputs, the witness.
    pub matrices: Matrices,
    /// The same matrices in arkworks' form, made on first use (key
    /// generation and the ceremony need them; proving does not).
    ark: OnceLock<Vec<Matrix<Fr>>>,
    /// Where the matrices came from.
    pub origin: MatricesOrigin,
}

impl Circuit {
    /// The matrices in arkworks' form (see [`Circuit::matrices`] for the
    /// compact one).
    pub fn ark_matrices(&self) -> &[Matrix<Fr>] {
        self.ark.get_or_init(|| self.matrices.to_matrices())
    }
}

/// Where a [`Circuit`]'s matrices came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MatricesOrigin {
    /// Read from the key directory's `<statement>.r1cs`, whose SHA-256 is
    /// this build's ([`STORED_SHA256`]).
    Stored,
    /// Built by synthesizing the circuit.
    Built,
}

static CIRCUITS: [OnceLock<Circuit>; Statement::ALL.len()] =
    [const { OnceLock::new() }; Statement::ALL.len()];

/// [`Circuit`] of `statement`, built by synthesis once per process.
pub fn circuit(statement: Statement) -> Result<&'static Circuit, KeyError> {
    circuit_in(None, statement)
}

/// [`Circuit`] of `statement` once per process: from `dir`'s matrices file
/// if it holds this build's circuit, else built by synthesis and then (best
/// effort: a read-only directory is fine) stored in `dir` for the next
/// process.
pub fn circuit_in(dir: Option<&Path>, statement: Statement) -> Result<&'static Circuit, KeyError> {
    let slot = &CIRCUITS[statement.index()];
    if let Some(c) = slot.get() {
        return Ok(c);
    }
    let path = dir.map(|d| d.join(matrices_file_name(statement)));
    if let Some(matrices) = path.as_deref().and_then(|p| read_matrices(p, statement)) {
        let stored = Circuit {
            info: r1cs::pinned_info(statement),
            matrices,
            ark: OnceLock::new(),
            origin: MatricesOrigin::Stored,
        };
        return Ok(slot.get_or_init(|| stored));
    }
    let built = build(statement)?;
    if let Some(p) = &path {
        // A cache: a failure to write costs the next process the build.
        let _ = write_matrices(p, statement, &built.matrices);
    }
    Ok(slot.get_or_init(|| built))
}

fn build(statement: Statement) -> Result<Circuit, KeyError> {
    let synthesis = |source| KeyError::Circuit { statement, source };
    let cs = r1cs::blank_constraint_system(statement).map_err(synthesis)?;
    let matrices = r1cs::r1cs_matrices(&cs).map_err(synthesis)?;
    let (constraints, instance_variables, witness_variables) = (
        cs.num_constraints(),
        cs.num_instance_variables(),
        cs.num_witness_variables(),
    );
    let digest = r1cs::matrix_digest(
        statement,
        constraints,
        instance_variables,
        witness_variables,
        &matrices,
    );
    let info = ConstraintInfo {
        constraints,
        instance_variables,
        witness_variables,
        digest,
    };
    let pinned = r1cs::pinned_info(statement);
    if info != pinned {
        return Err(KeyError::Unpinned {
            statement,
            built: id_to_hex(&info.digest),
            pinned: id_to_hex(&pinned.digest),
        });
    }
    Ok(Circuit {
        info,
        matrices: Matrices::from_matrices(&matrices),
        ark: OnceLock::from(matrices),
        origin: MatricesOrigin::Built,
    })
}

/// The constraint count, variable counts and matrix digest of this build's
/// circuit for `statement`, as pinned ([`r1cs::pinned_info`]; no synthesis).
pub fn circuit_info(statement: Statement) -> Result<ConstraintInfo, KeyError> {
    Ok(r1cs::pinned_info(statement))
}

/// The matrices file of a statement in a key directory.
pub fn matrices_file_name(statement: Statement) -> String {
    format!("{statement}.r1cs")
}

/// Stores `matrices` atomically in the format above.
pub(super) fn write_matrices(
    path: &Path,
    statement: Statement,
    matrices: &Matrices,
) -> io::Result<()> {
    let name = statement.name().as_bytes();
    let coefficients = matrices.coefficients();
    let entries: usize = (0..3)
        .map(|m| {
            (0..matrices.rows(m))
                .map(|i| matrices.row(m, i).len())
                .sum::<usize>()
        })
        .sum();
    let mut out = Vec::with_capacity(64 + 32 * coefficients.len() + 8 * entries);
    out.extend_from_slice(MAGIC);
    out.push(name.len() as u8);
    out.extend_from_slice(name);
    out.extend_from_slice(&(coefficients.len() as u32).to_be_bytes());
    for c in coefficients {
        out.extend_from_slice(&field::to_bytes(c));
    }
    for m in 0..3 {
        out.extend_from_slice(&(matrices.rows(m) as u32).to_be_bytes());
        for i in 0..matrices.rows(m) {
            let row = matrices.row(m, i);
            out.extend_from_slice(&(row.len() as u32).to_be_bytes());
            for &(col, k) in row {
                out.extend_from_slice(&col.to_be_bytes());
                out.extend_from_slice(&k.to_be_bytes());
            }
        }
    }
    fsutil::write_atomic(path, &out, KEY_FILE_MODE)
}

/// The matrices in `path` if it holds exactly this build's circuit of
/// `statement` (by the pinned SHA-256 of the file, [`STORED_SHA256`]); `None`
/// otherwise.
pub(super) fn read_matrices(path: &Path, statement: Statement) -> Option<Matrices> {
    let bytes = std::fs::read(path).ok()?;
    if hex::encode(sha256_id(&bytes)) != STORED_SHA256[statement.index()] {
        return None;
    }
    parse(&bytes, statement)
}

/// Bytes read front to back; `None` past the end.
struct Bytes<'a>(&'a [u8]);

impl<'a> Bytes<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        let (head, tail) = self.0.split_at_checked(n)?;
        self.0 = tail;
        Some(head)
    }

    fn u32(&mut self) -> Option<usize> {
        Some(u32::from_be_bytes(self.take(4)?.try_into().ok()?) as usize)
    }
}

fn parse(bytes: &[u8], statement: Statement) -> Option<Matrices> {
    let mut r = Bytes(bytes);
    if r.take(MAGIC.len())? != MAGIC {
        return None;
    }
    let name_len = r.take(1)?[0] as usize;
    if r.take(name_len)? != statement.name().as_bytes() {
        return None;
    }
    let n = r.u32()?;
    if n > bytes.len() / 32 {
        return None;
    }
    let mut coefficients = Vec::with_capacity(n);
    for _ in 0..n {
        coefficients.push(field::from_bytes(r.take(32)?).ok()?);
    }
    let mut starts: [Vec<u32>; 3] = Default::default();
    let mut entries: [Vec<(u32, u32)>; 3] = Default::default();
    for (s, e) in starts.iter_mut().zip(&mut entries) {
        let rows = r.u32()?;
        // Every row takes at least 4 bytes and every entry 8: a forged
        // count cannot make this allocate more than the file's size.
        if rows > bytes.len() / 4 {
            return None;
        }
        s.reserve_exact(rows + 1);
        s.push(0);
        for _ in 0..rows {
            let count = r.u32()?;
            if count > bytes.len() / 8 {
                return None;
            }
            for _ in 0..count {
                let col = r.u32()? as u32;
                e.push((col, r.u32()? as u32));
            }
            s.push(u32::try_from(e.len()).ok()?);
        }
    }
    if !r.0.is_empty() {
        return None;
    }
    let pinned = r1cs::pinned_info(statement);
    Matrices::from_parts(
        coefficients,
        starts,
        entries,
        pinned.instance_variables + pinned.witness_variables,
    )
}

/// `0x` + hex of a digest.
pub fn hex_digest(d: &[u8; 32]) -> String {
    id_to_hex(d)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sorted(m: &Matrix<Fr>) -> Vec<Vec<(Fr, usize)>> {
        m.iter()
            .map(|row| {
                let mut row = row.clone();
                row.sort_by_key(|(_, c)| *c);
                row
            })
            .collect()
    }

    #[test]
    fn stored_matrices_are_read_back_and_anything_else_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        // No file yet: built (and checked against the pin), then stored.
        let c = circuit_in(Some(dir.path()), Statement::Attest).unwrap();
        assert_eq!(c.info, r1cs::pinned_info(Statement::Attest));
        let path = dir.path().join(matrices_file_name(Statement::Attest));
        let read = read_matrices(&path, Statement::Attest).expect("stored and read back");
        assert_eq!(read, c.matrices);
        for (a, b) in read.to_matrices().iter().zip(c.ark_matrices()) {
            assert_eq!(sorted(a), sorted(b));
        }
        let bytes = std::fs::read(&path).unwrap();
        let ignored = |bytes: &[u8], s: Statement| {
            let p = dir.path().join("altered.r1cs");
            std::fs::write(&p, bytes).unwrap();
            read_matrices(&p, s).is_none()
        };
        // Another statement's name, a changed coefficient, a changed
        // column or coefficient index, an index past the table, a truncated
        // or extended file, another format.
        assert!(ignored(&bytes, Statement::Claim));
        let header = MAGIC.len() + 1 + "attest".len();
        let n = u32::from_be_bytes(bytes[header..header + 4].try_into().unwrap()) as usize;
        assert!(n > 2 && n < 10_000, "{n} distinct coefficients");
        let table = header + 4;
        let mut coeff = bytes.clone();
        coeff[table + 31] ^= 1;
        assert!(ignored(&coeff, Statement::Attest));
        // The last entry: its column, then its coefficient's index.
        let last = bytes.len() - 1;
        let mut col = bytes.clone();
        col[last - 4] ^= 1;
        assert!(ignored(&col, Statement::Attest));
        let mut idx = bytes.clone();
        idx[last] ^= 1;
        assert!(ignored(&idx, Statement::Attest));
        let mut past = bytes.clone();
        past[last - 3..].copy_from_slice(&(n as u32).to_be_bytes());
        assert!(ignored(&past, Statement::Attest));
        assert!(ignored(&bytes[..last], Statement::Attest));
        assert!(ignored(&[&bytes[..], &[0]].concat(), Statement::Attest));
        assert!(ignored(b"zkpension-r1cs/2", Statement::Attest));
        // A coefficient >= p is refused, not reduced.
        let mut big = bytes.clone();
        big[table..table + 32].copy_from_slice(&[0xff; 32]);
        assert!(ignored(&big, Statement::Attest));
        // The same circuit with the entries of its rows in another order is
        // another file: ignored, and built again.
        let mut reordered = c.ark_matrices().to_vec();
        for m in &mut reordered {
            for row in m {
                row.reverse();
            }
        }
        write_matrices(
            &path,
            Statement::Attest,
            &Matrices::from_matrices(&reordered),
        )
        .unwrap();
        assert!(read_matrices(&path, Statement::Attest).is_none());
    }

    /// Each pinned file hash is the hash of the encoding of the synthesized
    /// matrices, whose digest is the circuits' pin: the stored file of a
    /// statement is accepted exactly when it is this build's circuit.
    #[test]
    fn stored_files_are_pinned() {
        let dir = tempfile::tempdir().unwrap();
        let mut wrong = Vec::new();
        for statement in Statement::ALL {
            let c = circuit(statement).unwrap();
            assert_eq!(c.info, r1cs::pinned_info(statement));
            let path = dir.path().join(matrices_file_name(statement));
            write_matrices(&path, statement, &c.matrices).unwrap();
            let id = hex::encode(sha256_id(&std::fs::read(&path).unwrap()));
            println!("{statement}: {id}");
            if id != STORED_SHA256[statement.index()] {
                wrong.push(format!(
                    "{statement}: pinned {}, built {id}",
                    STORED_SHA256[statement.index()]
                ));
            }
        }
        assert!(
            wrong.is_empty(),
            "stored matrices files are not pinned: {wrong:?}"
        );
    }
}
