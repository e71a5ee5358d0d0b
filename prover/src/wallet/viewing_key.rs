//! The viewing-key file (`zkpension wallet export-viewing-key`).

use super::Wallet;
use serde::{Deserialize, Serialize};
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::{serde_hex, Fr};
use zkpension_circuits::keys::ViewingKey;

/// The `format` of a viewing-key file.
pub const VIEWING_KEY_FORMAT: &str = "zkpension-viewing-key";

/// A viewing key as `zkpension wallet export-viewing-key` writes it: enough
/// to find and follow the account (balance, history, pension), not to spend,
/// contribute, claim or attest.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ViewingKeyFile {
    /// [`VIEWING_KEY_FORMAT`].
    pub format: String,
    /// 1.
    pub version: u32,
    /// The chain the account is on, when the wallet knew it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub chain_id: Option<ChainId>,
    #[serde(with = "serde_hex")]
    pub owner: Fr,
    #[serde(with = "serde_hex")]
    pub nk: Fr,
    #[serde(with = "serde_hex")]
    pub ns: Fr,
}

impl ViewingKeyFile {
    /// The viewing key of `wallet`.
    pub fn of(wallet: &Wallet) -> Self {
        let vk = wallet.viewing_key();
        ViewingKeyFile {
            format: VIEWING_KEY_FORMAT.into(),
            version: 1,
            chain_id: wallet.chain_id,
            owner: vk.owner,
            nk: vk.nk,
            ns: vk.ns,
        }
    }

    /// Reads a viewing key document, checking its format and version (field
    /// elements `>= p` are refused by the hex decoding).
    pub fn parse(bytes: &[u8]) -> Result<(ViewingKey, Option<ChainId>), String> {
        let f: ViewingKeyFile = serde_json::from_slice(bytes)
            .map_err(|e| format!("not a viewing key document: {e}"))?;
        if f.format != VIEWING_KEY_FORMAT || f.version != 1 {
            return Err(format!(
                "format {:?} version {}, expected {VIEWING_KEY_FORMAT:?} version 1",
                f.format, f.version
            ));
        }
        let vk = ViewingKey {
            owner: f.owner,
            nk: f.nk,
            ns: f.ns,
        };
        Ok((vk, f.chain_id))
    }
}
