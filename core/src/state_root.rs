//! The state root's preimage: what every block header commits to about the
//! ledger's state after it (`docs/SPEC.md`, "State root").
//!
//! The node computes it from its state; a wallet recomputes the root from the
//! [`StateSummary`] the node serves (`GET /v1/status`, field `state`) and
//! compares it with the header, so the tree root it proves against is the
//! one the header chain commits to, not merely the one the node says.

use crate::codec::Writer;
use crate::hexbytes::Hash32;
use crate::params::{Params, PendingParams};
use crate::subsidy::SubsidyTotals;
use crate::FixedBytes;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use zkpension_circuits::field::{serde_hex, Fr};

/// Domain of the state root.
pub const STATE_DOMAIN: &[u8] = b"zkpension/v1/state";
/// Version byte inside the state root's preimage.
pub const STATE_VERSION: u8 = 2;
/// Version byte of a chain with a subsidy pool: the preimage gains the
/// subsidy totals.
pub const STATE_VERSION_SUBSIDY: u8 = 3;

/// Every field of the state root's preimage, in its order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StateSummary {
    #[serde(with = "serde_hex")]
    pub tree_root: Fr,
    pub leaf_count: u64,
    /// `SHA-256("zkpension/v1/anchors" || count (u32) || roots, oldest first)`.
    pub anchors_digest: Hash32,
    pub epoch: u64,
    pub params: Params,
    pub pending_params: Option<PendingParams>,
    pub authority_nonce: u64,
    pub total_contributed: u64,
    pub total_paid_out: u64,
    /// `total_contributed + subsidy.matched - total_paid_out`.
    pub pool: u64,
    /// The subsidy pool's totals, on a chain whose genesis has a subsidy.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidy: Option<SubsidyTotals>,
    pub nullifier_count: u64,
    pub nullifier_acc: Hash32,
    pub attestation_count: u64,
    pub attestation_acc: Hash32,
    pub tx_count: u64,
    pub tx_acc: Hash32,
}

impl StateSummary {
    /// The state root:
    ///
    /// ```text
    /// SHA-256("zkpension/v1/state" || version (2)
    ///   || tree_root || leaf_count || anchors_digest
    ///   || epoch || cap || min_periods || divisor
    ///   || pending (1 byte 0/1) || pending cap || pending min_periods || pending divisor
    ///      || pending effective_epoch (zeros if none)
    ///   || authority_nonce || total_contributed || total_paid_out || pool
    ///   || nullifier_count || nullifier_acc || attestation_count || attestation_acc
    ///   || tx_count || tx_acc)
    /// ```
    ///
    /// On a chain with a subsidy pool the version is 3, and after `pool`
    /// come `funded || matched || count (u32) || each funder's deposit nonce`.
    ///
    /// Integers are 8 bytes big-endian, field elements 32 bytes big-endian.
    pub fn root(&self) -> Hash32 {
        let mut w = Writer::with_prefix(STATE_DOMAIN);
        w.u8(if self.subsidy.is_some() {
            STATE_VERSION_SUBSIDY
        } else {
            STATE_VERSION
        })
        .fr(&self.tree_root)
        .u64(self.leaf_count)
        .raw(&self.anchors_digest.0)
        .u64(self.epoch)
        .u64(self.params.cap)
        .u64(self.params.min_periods)
        .u64(self.params.divisor);
        let pending = self.pending_params.unwrap_or(PendingParams {
            params: Params {
                cap: 0,
                min_periods: 0,
                divisor: 0,
            },
            effective_epoch: 0,
        });
        w.bool(self.pending_params.is_some())
            .u64(pending.params.cap)
            .u64(pending.params.min_periods)
            .u64(pending.params.divisor)
            .u64(pending.effective_epoch)
            .u64(self.authority_nonce)
            .u64(self.total_contributed)
            .u64(self.total_paid_out)
            .u64(self.pool);
        if let Some(s) = &self.subsidy {
            w.u64(s.funded)
                .u64(s.matched)
                .u32(s.deposit_nonces.len() as u32);
            for n in &s.deposit_nonces {
                w.u64(*n);
            }
        }
        w.u64(self.nullifier_count)
            .raw(&self.nullifier_acc.0)
            .u64(self.attestation_count)
            .raw(&self.attestation_acc.0)
            .u64(self.tx_count)
            .raw(&self.tx_acc.0);
        FixedBytes(Sha256::digest(w.as_bytes()).into())
    }
}
