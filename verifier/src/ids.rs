//! Key ids: SHA-256 of a key file's bytes, written `0x` + 64 hex digits.

use sha2::{Digest, Sha256};

use crate::error::KeyError;

/// SHA-256 of `bytes`: the id of a key file.
pub fn sha256_id(bytes: &[u8]) -> [u8; 32] {
    Sha256::digest(bytes).into()
}

/// `0x` + 64 lowercase hex digits.
pub fn id_to_hex(id: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(id))
}

/// Parses `0x` + exactly 64 hex digits (either case).
pub fn id_from_hex(s: &str) -> Result<[u8; 32], KeyError> {
    let bad = || KeyError::IdHex(s.to_string());
    let body = s.strip_prefix("0x").ok_or_else(bad)?;
    if body.len() != 64 {
        return Err(bad());
    }
    let mut id = [0u8; 32];
    hex::decode_to_slice(body, &mut id).map_err(|_| bad())?;
    Ok(id)
}
