//! The prover-tables file (`<statement>.tables` in a key directory): the
//! [`ProverTables`] of one proving key, bound to the key's file by its id and
//! closed by a checksum ([`ProverTables::write`], [`ProverTables::read`]). A
//! cache, not part of the keys: [`crate::keys`] rebuilds a file it cannot use.

use std::fs::File;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};

use ark_bn254::Bn254;
use ark_groth16::ProvingKey;
use sha2::{Digest, Sha256};
use thiserror::Error;

use crate::groth16::ProverTables;
use crate::msm::{FixedBaseTable, TableFormatError};

/// First bytes of a tables file.
pub const TABLES_MAGIC: &[u8; 32] = b"zkpension/v1/prover-tables-mont\0";

/// Why a tables file was not used.
#[derive(Debug, Error)]
pub enum TablesError {
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    #[error("{}: not a zkpension prover-tables file", path.display())]
    NotTables { path: PathBuf },
    #[error("{}: tables of another proving key (built from {}, this key is {})", path.display(), hex::encode(found), hex::encode(expected))]
    OtherKey {
        path: PathBuf,
        found: [u8; 32],
        expected: [u8; 32],
    },
    #[error("{}: damaged: {what}", path.display())]
    Damaged { path: PathBuf, what: String },
}

/// A writer that hashes what passes through it.
struct HashingWriter<W> {
    inner: W,
    hash: Sha256,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.inner.write(buf)?;
        self.hash.update(&buf[..n]);
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

impl ProverTables {
    /// Writes the tables file of the proving key whose file has SHA-256
    /// `pk_id`: [`TABLES_MAGIC`], `pk_id`, the five tables (A, B in G1, B in
    /// G2, H, L; see [`FixedBaseTable::write`]), then the SHA-256 of
    /// everything before it. Streams: no copy of the tables is made.
    pub fn write<W: Write>(&self, pk_id: &[u8; 32], out: W) -> io::Result<()> {
        let mut w = HashingWriter {
            inner: out,
            hash: Sha256::new(),
        };
        w.write_all(TABLES_MAGIC)?;
        w.write_all(pk_id)?;
        self.a.write(&mut w)?;
        self.b_g1.write(&mut w)?;
        self.b_g2.write(&mut w)?;
        self.h.write(&mut w)?;
        self.l.write(&mut w)?;
        let digest: [u8; 32] = w.hash.finalize().into();
        let mut out = w.inner;
        out.write_all(&digest)?;
        out.flush()
    }

    /// Reads the tables file at `path` for `pk`, whose file has SHA-256
    /// `pk_id`, in one streaming pass: magic and `pk_id` first, then the
    /// tables, whose shape must be `pk`'s (nothing is allocated beyond what
    /// `pk` allows), then the trailing SHA-256 of everything before it. The
    /// tables are returned only if it matches. The points are not checked to
    /// be on the curve, like the proving key itself; a table that passed all
    /// this but were somehow wrong could only make a proof that fails the
    /// prover's own verification.
    pub fn read(
        path: &Path,
        pk_id: &[u8; 32],
        pk: &ProvingKey<Bn254>,
    ) -> Result<ProverTables, TablesError> {
        let io_err = |source| TablesError::Io {
            path: path.to_path_buf(),
            source,
        };
        let damaged = |what: String| TablesError::Damaged {
            path: path.to_path_buf(),
            what,
        };
        let file = File::open(path).map_err(io_err)?;
        let size = file.metadata().map_err(io_err)?.len();
        let not_tables = || TablesError::NotTables {
            path: path.to_path_buf(),
        };
        if size < 96 {
            return Err(not_tables());
        }
        let mut r = HashingReader {
            inner: io::BufReader::with_capacity(1 << 20, file),
            hash: Sha256::new(),
            count: 0,
        };
        let mut head = [0u8; 64];
        r.read_exact(&mut head).map_err(io_err)?;
        if head[..32] != TABLES_MAGIC[..] {
            return Err(not_tables());
        }
        let found: [u8; 32] = head[32..].try_into().expect("32 bytes");
        if &found != pk_id {
            return Err(TablesError::OtherKey {
                path: path.to_path_buf(),
                found,
                expected: *pk_id,
            });
        }
        let table = |e: TableFormatError| match e {
            TableFormatError::Io(e) if e.kind() == io::ErrorKind::UnexpectedEof => {
                damaged("truncated".into())
            }
            TableFormatError::Io(e) => io_err(e),
            e => damaged(format!("undecodable table: {e}")),
        };
        let tables = ProverTables {
            a: FixedBaseTable::read(&mut r, pk.a_query.len()).map_err(table)?,
            b_g1: FixedBaseTable::read(&mut r, pk.b_g1_query.len()).map_err(table)?,
            b_g2: FixedBaseTable::read(&mut r, pk.b_g2_query.len()).map_err(table)?,
            h: FixedBaseTable::read(&mut r, pk.h_query.len()).map_err(table)?,
            l: FixedBaseTable::read(&mut r, pk.l_query.len()).map_err(table)?,
        };
        if r.count + 32 != size {
            return Err(damaged(format!(
                "{} bytes after the tables, expected the 32-byte checksum",
                size - r.count
            )));
        }
        let mut trailer = [0u8; 32];
        r.inner.read_exact(&mut trailer).map_err(io_err)?;
        if <[u8; 32]>::from(r.hash.finalize()) != trailer {
            return Err(damaged("checksum mismatch".into()));
        }
        Ok(tables)
    }
}

/// A reader that hashes and counts what passes through it.
struct HashingReader<R> {
    inner: R,
    hash: Sha256,
    count: u64,
}

impl<R: Read> Read for HashingReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.hash.update(&buf[..n]);
        self.count += n as u64;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::groth16::create_proof;
    use crate::groth16::tests::{matrices_and_assignment, RandomCircuit};
    use ark_bn254::Fr;
    use ark_ff::UniformRand;
    use ark_groth16::Groth16;
    use ark_snark::SNARK;
    use rand::SeedableRng;
    use rand_chacha::ChaCha20Rng;

    /// Tables written and read back give the same proof.
    #[test]
    fn tables_survive_a_write_and_read() {
        let mut rng = ChaCha20Rng::seed_from_u64(79);
        let circuit = RandomCircuit {
            seed: 9,
            inputs: 2,
            constraints: 100,
        };
        let (pk, _) = Groth16::<Bn254>::circuit_specific_setup(circuit.clone(), &mut rng).unwrap();
        let (matrices, num_inputs, num_constraints, z) = matrices_and_assignment(circuit);
        let matrices = crate::qap::Matrices::from_matrices(&matrices);
        let tables = ProverTables::new(&pk);
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.tables");
        let id = [7u8; 32];
        tables
            .write(&id, std::fs::File::create(&path).unwrap())
            .unwrap();
        let read = ProverTables::read(&path, &id, &pk).unwrap();
        assert_eq!(read.size_in_bytes(), tables.size_in_bytes());
        let (r, s) = (Fr::rand(&mut rng), Fr::rand(&mut rng));
        let prove = |t: &ProverTables| {
            create_proof(&pk, t, r, s, &matrices, num_inputs, num_constraints, &z).unwrap()
        };
        assert_eq!(prove(&read), prove(&tables));
        assert!(matches!(
            ProverTables::read(&path, &[8u8; 32], &pk),
            Err(TablesError::OtherKey { .. })
        ));
    }
}
