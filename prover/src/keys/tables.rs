//! The lifecycle of a statement's prover tables (`<statement>.tables` in the
//! key directory, a cache derived from the proving key; the file format is
//! [`ProverTables::write`]): read the first time they are needed, or else built
//! and saved for the next process.

use std::io;
use std::path::Path;

use zkpension_circuits::Statement;

use super::KEY_FILE_MODE;
use crate::fsutil;
use crate::groth16::ProverTables;
use crate::tables_file::TablesError;

/// Where a statement's prover tables came from
/// ([`StatementKeys::tables`](super::StatementKeys::tables)).
#[derive(Debug)]
pub enum TablesOrigin {
    /// Read from the key directory's tables file.
    Loaded,
    /// Built in memory, because the file could not be used (the reason), and
    /// then saved to the key directory, or not (why not).
    Built {
        unusable: TablesError,
        saved: Result<(), io::Error>,
    },
}

/// The name of a statement's prover-tables file in a key directory.
pub fn tables_file_name(statement: Statement) -> String {
    format!("{statement}.tables")
}

/// Writes a tables file atomically.
pub(super) fn save_tables(path: &Path, pk_id: &[u8; 32], tables: &ProverTables) -> io::Result<()> {
    fsutil::write_atomic_with(path, KEY_FILE_MODE, |w| tables.write(pk_id, w))
}
