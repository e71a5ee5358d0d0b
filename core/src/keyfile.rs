//! The key file of the registrar, the authority and the paying agent: one format for all,
//! typed so that one cannot be taken for the other, nor a secret key for a
//! public one.
//!
//! ```json
//! {
//!   "format": "zkpension-key/1",
//!   "kind": "registrar",
//!   "public_key": "0x<32 bytes>",
//!   "secret_key": "0x<32-byte Ed25519 seed>"
//! }
//! ```
//!
//! The file is written with mode 0600 and never overwritten. Reading checks
//! the format, the kind the command expects, and that `public_key` is the key
//! of `secret_key`. [`parse_public_key`] reads a public key given on a command
//! line (with or without `0x`, or the path of a key file, of which only the
//! public key is used).

use crate::hexbytes::{decode_hex, encode_hex, FixedBytes, PublicKeyBytes};
use crate::sealed::AgentKey;
use ed25519_dalek::SigningKey;
use serde::{Deserialize, Serialize};
use std::fmt;
use std::path::Path;
use thiserror::Error;
use zeroize::Zeroizing;

/// The `format` field of a key file.
pub const KEY_FILE_FORMAT: &str = "zkpension-key/1";

/// Whose key a file holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Signs enrollments.
    Registrar,
    /// Advances epochs and sets parameters.
    Authority,
    /// Reads the sealed payout details (an X25519 key, [`crate::sealed`]).
    PayingAgent,
    /// Deposits into the subsidy pool ([`crate::subsidy`]).
    Funder,
}

impl Role {
    /// The `zkpension` command group of the role.
    pub fn command(&self) -> &'static str {
        match self {
            Role::Registrar => "registrar",
            Role::Authority => "authority",
            Role::PayingAgent => "agent",
            Role::Funder => "funder",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Role::Registrar => "registrar",
            Role::Authority => "authority",
            Role::PayingAgent => "paying agent",
            Role::Funder => "funder",
        })
    }
}

/// Why a key file or a public-key argument cannot be used.
#[derive(Debug, Error)]
pub enum KeyFileError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{path} is not a zkpension key file ({reason}); make one with `zkpension {} keygen --out FILE`", role.command())]
    Format {
        path: String,
        role: Role,
        reason: String,
    },
    #[error("{path} holds the {found} key, this command needs the {expected} key")]
    WrongRole {
        path: String,
        found: Role,
        expected: Role,
    },
    #[error("{path} is damaged: its public_key is not the key of its secret_key")]
    Mismatch { path: String },
    #[error("{what}: expected an Ed25519 public key (64 hex digits, with or without 0x) or the path of a key file; {reason}")]
    PublicKey { what: String, reason: String },
}

/// The JSON of a key file.
#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFileJson {
    format: String,
    kind: Role,
    public_key: PublicKeyBytes,
    secret_key: String,
}

/// A registrar's or authority's signing key with its role. `Debug` shows the
/// role and the public key, never the secret.
pub struct RoleKey {
    pub role: Role,
    pub key: SigningKey,
}

impl fmt::Debug for RoleKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RoleKey")
            .field("role", &self.role)
            .field("public_key", &self.public_key())
            .finish()
    }
}

impl RoleKey {
    /// A fresh key from the operating system's randomness.
    pub fn generate(role: Role) -> Self {
        let mut seed = Zeroizing::new([0u8; 32]);
        getrandom(&mut seed[..]);
        RoleKey {
            role,
            key: SigningKey::from_bytes(&seed),
        }
    }

    pub fn public_key(&self) -> PublicKeyBytes {
        FixedBytes(self.key.verifying_key().to_bytes())
    }

    /// The file's content (holds the secret key: write it with mode 0600).
    pub fn to_json(&self) -> Zeroizing<String> {
        let json = KeyFileJson {
            format: KEY_FILE_FORMAT.into(),
            kind: self.role,
            public_key: self.public_key(),
            secret_key: encode_hex(self.key.as_bytes()),
        };
        let mut text =
            Zeroizing::new(serde_json::to_string_pretty(&json).expect("a key file serializes"));
        text.push('\n');
        text
    }

    /// Parses a key file's content; `path` names it in errors.
    pub fn from_json(text: &str, path: &str, expected: Role) -> Result<Self, KeyFileError> {
        let (public, seed) = parse_key_json(text, path, expected)?;
        let key = SigningKey::from_bytes(&seed);
        if key.verifying_key().to_bytes() != public.0 {
            return Err(KeyFileError::Mismatch { path: path.into() });
        }
        Ok(RoleKey {
            role: expected,
            key,
        })
    }

    /// Reads the key file at `path`.
    pub fn load(path: &Path, expected: Role) -> Result<Self, KeyFileError> {
        Self::from_json(&read_text(path)?, &path.display().to_string(), expected)
    }
}

/// The public key and the 32 secret bytes of a key file of `expected`.
fn parse_key_json(
    text: &str,
    path: &str,
    expected: Role,
) -> Result<(PublicKeyBytes, Zeroizing<[u8; 32]>), KeyFileError> {
    let format = |reason: String| KeyFileError::Format {
        path: path.into(),
        role: expected,
        reason,
    };
    let json: KeyFileJson = serde_json::from_str(text).map_err(|e| format(e.to_string()))?;
    if json.format != KEY_FILE_FORMAT {
        return Err(format(format!(
            "format {:?}, expected {KEY_FILE_FORMAT:?}",
            json.format
        )));
    }
    if json.kind != expected {
        return Err(KeyFileError::WrongRole {
            path: path.into(),
            found: json.kind,
            expected,
        });
    }
    let secret = Zeroizing::new(
        decode_hex(&json.secret_key).map_err(|e| format(format!("secret_key: {e}")))?,
    );
    let seed: [u8; 32] = secret
        .as_slice()
        .try_into()
        .map_err(|_| format(format!("secret_key has {} bytes, not 32", secret.len())))?;
    Ok((json.public_key, Zeroizing::new(seed)))
}

fn read_text(path: &Path) -> Result<Zeroizing<String>, KeyFileError> {
    std::fs::read_to_string(path)
        .map(Zeroizing::new)
        .map_err(|source| KeyFileError::Read {
            path: path.display().to_string(),
            source,
        })
}

/// The paying agent's key file: the same format with kind `paying_agent`
/// and X25519 keys.
pub fn agent_key_json(key: &AgentKey) -> Zeroizing<String> {
    let json = KeyFileJson {
        format: KEY_FILE_FORMAT.into(),
        kind: Role::PayingAgent,
        public_key: FixedBytes(key.public()),
        secret_key: encode_hex(&key.secret_bytes()[..]),
    };
    let mut text =
        Zeroizing::new(serde_json::to_string_pretty(&json).expect("a key file serializes"));
    text.push('\n');
    text
}

/// Reads the paying agent's key file at `path`.
pub fn load_agent_key(path: &Path) -> Result<AgentKey, KeyFileError> {
    let shown = path.display().to_string();
    let (public, secret) = parse_key_json(&read_text(path)?, &shown, Role::PayingAgent)?;
    let key = AgentKey::from_secret(&secret).map_err(|e| KeyFileError::Format {
        path: shown.clone(),
        role: Role::PayingAgent,
        reason: e.to_string(),
    })?;
    if key.public() != public.0 {
        return Err(KeyFileError::Mismatch { path: shown });
    }
    Ok(key)
}

fn getrandom(out: &mut [u8]) {
    use rand_core::RngCore;
    rand_core::OsRng.fill_bytes(out);
}

/// A public key given on a command line as `what`: 64 hex digits with or
/// without `0x`, or the path of a key file of `role` (only its public key is
/// read). Refuses a value that is the secret key of one of `known_files`, so
/// a secret pasted by mistake is not published in a genesis.
pub fn parse_public_key(
    what: &str,
    arg: &str,
    role: Role,
    known_files: &[&Path],
) -> Result<PublicKeyBytes, KeyFileError> {
    let bad = |reason: String| KeyFileError::PublicKey {
        what: what.into(),
        reason,
    };
    let path = Path::new(arg);
    if path.is_file() {
        return match role {
            Role::PayingAgent => load_agent_key(path).map(|k| FixedBytes(k.public())),
            _ => RoleKey::load(path, role).map(|k| k.public_key()),
        };
    }
    let digits = arg.trim().strip_prefix("0x").unwrap_or(arg.trim());
    let bytes = hex::decode(digits).map_err(|_| bad(format!("{arg:?} is not hex")))?;
    let bytes: [u8; 32] = bytes
        .try_into()
        .map_err(|b: Vec<u8>| bad(format!("{} bytes, not 32", b.len())))?;
    for file in known_files {
        let Ok(text) = std::fs::read_to_string(file) else {
            continue;
        };
        let Ok(json) = serde_json::from_str::<KeyFileJson>(&text) else {
            continue;
        };
        let secret = Zeroizing::new(decode_hex(&json.secret_key).unwrap_or_default());
        if secret.as_slice() == bytes {
            return Err(bad(format!(
                "this is the SECRET key in {}; pass its public_key ({}) or the file itself",
                file.display(),
                json.public_key
            )));
        }
    }
    Ok(FixedBytes(bytes))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_refusals() {
        let k = RoleKey::generate(Role::Authority);
        let text = k.to_json();
        let back = RoleKey::from_json(&text, "a.key", Role::Authority).unwrap();
        assert_eq!(back.public_key(), k.public_key());
        assert!(matches!(
            RoleKey::from_json(&text, "a.key", Role::Registrar),
            Err(KeyFileError::WrongRole {
                found: Role::Authority,
                expected: Role::Registrar,
                ..
            })
        ));
        let other = RoleKey::generate(Role::Authority).public_key();
        let damaged = text.replace(&k.public_key().to_hex(), &other.to_hex());
        assert!(matches!(
            RoleKey::from_json(&damaged, "a.key", Role::Authority),
            Err(KeyFileError::Mismatch { .. })
        ));
        let bare_seed = hex::encode(k.key.as_bytes());
        let err = RoleKey::from_json(&bare_seed, "old.key", Role::Authority).unwrap_err();
        assert!(
            err.to_string().contains("zkpension authority keygen"),
            "{err}"
        );
    }

    #[test]
    fn agent_key_files_round_trip_and_are_not_signing_keys() {
        let dir = tempfile_dir("agent");
        let agent = AgentKey::generate(&mut rand_core::OsRng);
        let file = dir.join("agent.key");
        std::fs::write(&file, agent_key_json(&agent).as_bytes()).unwrap();
        assert_eq!(load_agent_key(&file).unwrap().public(), agent.public());
        assert_eq!(
            parse_public_key(
                "--paying-agent",
                &file.display().to_string(),
                Role::PayingAgent,
                &[]
            )
            .unwrap()
            .0,
            agent.public()
        );
        // The agent's file is not a registrar's, nor the other way round.
        assert!(matches!(
            RoleKey::load(&file, Role::Registrar),
            Err(KeyFileError::WrongRole {
                found: Role::PayingAgent,
                ..
            })
        ));
        let reg = dir.join("registrar.key");
        std::fs::write(
            &reg,
            RoleKey::generate(Role::Registrar).to_json().as_bytes(),
        )
        .unwrap();
        assert!(matches!(
            load_agent_key(&reg),
            Err(KeyFileError::WrongRole {
                expected: Role::PayingAgent,
                ..
            })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn tempfile_dir(name: &str) -> std::path::PathBuf {
        let dir =
            std::env::temp_dir().join(format!("zkpension-keyfile-{name}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn public_key_arguments() {
        let dir = std::env::temp_dir().join(format!("zkpension-keyfile-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let k = RoleKey::generate(Role::Registrar);
        let file = dir.join("registrar.key");
        std::fs::write(&file, k.to_json().as_bytes()).unwrap();
        let pk = k.public_key();
        let hex = pk.to_hex();
        let files = [file.as_path()];
        for arg in [
            hex.clone(),
            hex[2..].to_string(),
            file.display().to_string(),
        ] {
            assert_eq!(
                parse_public_key("--registrar", &arg, Role::Registrar, &files).unwrap(),
                pk
            );
        }
        let secret = hex::encode(k.key.as_bytes());
        let err = parse_public_key("--registrar", &secret, Role::Registrar, &files).unwrap_err();
        assert!(err.to_string().contains("SECRET"), "{err}");
        assert!(parse_public_key("--registrar", "0x12", Role::Registrar, &files).is_err());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
