//! Output and exit codes shared by every command.
//!
//! Results go to stdout (human text, or one JSON document with `--json`);
//! progress, notes and warnings go to stderr, so stdout stays parseable.

use serde::Serialize;
use std::process::ExitCode;

/// `println!` for results on stdout that never panics: when the reader has
/// gone away (`zkpension ... | head`), the rest of the output is dropped and
/// the command still finishes what it started (a transaction already proved
/// is still submitted and recorded).
#[macro_export]
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

/// The exit codes, as `--help` documents them.
pub const EXIT_CODES: &str = "\
Exit codes:
  0  success (for verify: the proof is valid)
  1  rejected: the input was read and is invalid (a proof that does not
     verify or is malformed, a witness that breaks a rule of the statement)
  2  usage: bad command line or argument value
  3  failure: anything else (a file that cannot be read or written, keys that
     are missing or refused, a wallet that already exists)";

/// Exit code of a check that ran and said no.
pub const EXIT_REJECTED: u8 = 1;
/// Exit code of a bad command line.
pub const EXIT_USAGE: u8 = 2;
/// Exit code of any other failure.
pub const EXIT_FAILURE: u8 = 3;

/// The input was read and is invalid: exit code 1.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Rejected(pub String);

/// A bad argument value that clap could not catch: exit code 2.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub struct Usage(pub String);

/// Where results go: human text, or JSON with `--json`.
pub struct Output {
    pub json: bool,
}

impl Output {
    /// Prints `value` as pretty JSON on stdout.
    pub fn print_json<T: Serialize>(&self, value: &T) -> anyhow::Result<()> {
        crate::outln!("{}", serde_json::to_string_pretty(value)?);
        Ok(())
    }

    /// Progress, notes and warnings: stderr.
    pub fn note(&self, text: &str) {
        eprintln!("{text}");
    }

    /// Reports an error (stderr, and with `--json` also `{"error", "exit_code"}`
    /// on stdout, plus `"valid": false` for a rejected input) and returns its
    /// exit code.
    pub fn fail(&self, e: &anyhow::Error) -> ExitCode {
        let code = exit_code(e);
        let message = error_text(e);
        eprintln!("error: {message}");
        if self.json {
            let mut v = serde_json::json!({ "error": message, "exit_code": code });
            if code == EXIT_REJECTED {
                v["valid"] = false.into();
            }
            crate::outln!("{v}");
        }
        ExitCode::from(code)
    }
}

/// An error and its causes on one line, `a: b: c`, leaving out a cause whose
/// text the line already ends with (our error types print their source).
pub fn error_text(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain() {
        let part = cause.to_string();
        if text.ends_with(&part) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&part);
    }
    text
}

/// The exit code of an error: the first [`Rejected`] or [`Usage`] in its
/// chain decides, anything else is a failure.
pub fn exit_code(e: &anyhow::Error) -> u8 {
    for cause in e.chain() {
        if cause.is::<Rejected>() {
            return EXIT_REJECTED;
        }
        if cause.is::<Usage>() {
            return EXIT_USAGE;
        }
    }
    EXIT_FAILURE
}
