//! [`CeremonyError`]: why a ceremony step was refused or could not run.

use std::io;
use std::path::{Path, PathBuf};

use thiserror::Error;

use crate::keys::KeyError;

/// Why a ceremony step was refused or could not run.
#[derive(Debug, Error)]
pub enum CeremonyError {
    /// A file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        path: PathBuf,
        #[source]
        source: io::Error,
    },
    /// The transcript (or an input to it) is invalid: `place` names the
    /// contribution or file, `what` the check that failed. Nothing was
    /// written.
    #[error("{place}: {what}")]
    Invalid { place: String, what: String },
    /// The step does not fit the ceremony's state (contributing to a closed
    /// ceremony, finalizing phase 1, a directory that already holds one).
    #[error("{0}")]
    State(String),
    /// This build's circuits could not be built, or keys could not be written.
    #[error(transparent)]
    Keys(#[from] KeyError),
}

impl CeremonyError {
    /// An [`CeremonyError::Invalid`] refusal.
    pub fn invalid(place: impl Into<String>, what: impl Into<String>) -> CeremonyError {
        CeremonyError::Invalid {
            place: place.into(),
            what: what.into(),
        }
    }

    /// Whether this is a refusal of invalid input (as opposed to a failure
    /// to read or write files).
    pub fn is_refusal(&self) -> bool {
        matches!(self, CeremonyError::Invalid { .. })
    }
}

pub(super) fn io_err(path: &Path) -> impl FnOnce(io::Error) -> CeremonyError + '_ {
    move |source| CeremonyError::Io {
        path: path.to_path_buf(),
        source,
    }
}
