//! Light sync (`zkpension sync --light`): a wallet whose account is settled
//! (its note in the tree, nothing pending) catches up with the tip without
//! reading the blocks in between. What it downloads does not grow with the
//! number of new commitments, only with the number of shards (32 bytes per
//! 4,096 commitments):
//!
//! 1. the tip's compact block (its header, hash and tree root);
//! 2. the rest of the shard the wallet's tree view ended in, the roots of the
//!    shards completed since, and the leaves of the new last shard, checked
//!    against the tip's tree root: the note's Merkle path for the next proof;
//! 3. one *bucket* of nullifiers spent since the wallet's last block: those
//!    whose first `bits` bits equal the first `bits` bits of the current
//!    note's nullifier, chosen so that the bucket holds about
//!    [`TARGET_BUCKET`] of the new nullifiers. If the note's nullifier is
//!    among them, a copy of the wallet spent it: the light sync stops before
//!    changing anything and the ordinary sync follows the spend.
//!
//! What the node learns: the wallet's last height, and the first `bits` bits
//! of the nullifier the account will reveal when it next spends. When that
//! spend comes, the node can tell that it falls into the bucket the wallet
//! asked about; the bucket holds every note whose nullifier starts with those
//! bits (about `n / 2^bits * 5.3` of `n` notes), so the request narrows the
//! account down to that set, not to one note. The ordinary sync (the
//! default) downloads every compact block and reveals nothing but the
//! wallet's height.
//!
//! What it does not check that the ordinary sync does: the hash links of
//! the headers between the wallet's last block and the tip (it takes the
//! tip's header from the node, as a birthday does; the tip's state summary
//! is still checked against that header's state root), and whether the
//! bucket is complete: a node that leaves out a spend delays the wallet's
//! noticing it, as a node that hides a block would. The ledger itself never
//! accepts a double spend either way.

use super::client::NodeClient;
use super::flow::{check_chain, FlowError};
use super::sync::{
    bad_answer, check_header, check_tip, fetch_leaves, fetch_shard_roots, sync, SyncReport,
};
use super::tracker::TrackerError;
use crate::wallet::{NoteStatus, Wallet};
use serde::Serialize;
use zkpension_circuits::field::Fr;
use zkpension_circuits::tree::SHARD_LEAVES;
use zkpension_circuits::values::Nullifier;
use zkpension_core::views::{nullifier_bucket, CompactBlock, SpentNullifier, MAX_BUCKET_BITS};

/// The number of new nullifiers a bucket is sized to hold.
pub const TARGET_BUCKET: u64 = 2_048;

/// What a light sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct LightReport {
    /// `light`, or `full` when the ordinary sync ran instead (see `reason`).
    pub mode: &'static str,
    /// Why the ordinary sync ran instead.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    /// Heights covered, `from..=to`.
    pub from: u64,
    pub to: u64,
    /// Commitments appended to the tree since the wallet's last block.
    pub new_commitments: u64,
    /// Leaves downloaded (the rest of the old shard and the new last shard).
    pub leaves: u64,
    /// Shard roots downloaded.
    pub shard_roots: u64,
    /// The nullifier bucket asked for, and how many spent nullifiers it held.
    pub bucket_bits: u8,
    pub bucket_nullifiers: u64,
    /// Bytes of answers downloaded.
    pub bytes: u64,
    /// The ordinary sync's report, when it ran.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub full: Option<SyncReport>,
}

/// Why the wallet cannot sync light now, if it cannot.
fn not_light(wallet: &Wallet) -> Option<String> {
    if wallet.sync.height == 0 {
        return Some("the wallet has not read any block yet".into());
    }
    if !wallet.pending.is_empty() {
        return Some(format!(
            "{} transaction(s) of this wallet are pending; their outcome is read from the blocks",
            wallet.pending.len()
        ));
    }
    if wallet.spent_elsewhere {
        return Some("the account was spent elsewhere".into());
    }
    let Some(note) = wallet.current_note() else {
        return Some("the account has no note in the tree yet".into());
    };
    if note.leaf_index.is_none()
        || wallet.notes.iter().any(|n| n.status == NoteStatus::Pending)
        || wallet.sync.tree.watched.iter().any(|w| w.index.is_none())
    {
        return Some("a note of the account is not in the tree yet".into());
    }
    None
}

/// The bucket width for `new` nullifiers: the fewest bits whose bucket is
/// expected to hold at most [`TARGET_BUCKET`] of them. Nullifiers are
/// uniform below p, about 0.189 * 2^256, so a bucket of `bits` bits holds a
/// share `2^-bits / 0.189` of them.
pub fn bucket_bits(new: u64) -> u8 {
    let mut bits = 1u8;
    while bits < MAX_BUCKET_BITS
        && (new as f64) / (0.189 * 2f64.powi(bits as i32)) > TARGET_BUCKET as f64
    {
        bits += 1;
    }
    bits
}

/// The leaves a light sync needs, from a tree view of `old` leaves to one
/// of `new`: the rest of the shard `old` ends in, then the leaves of the
/// shard `new` ends in (ranges of leaf positions, either may be empty).
pub fn leaf_ranges(old: u64, new: u64) -> [std::ops::Range<u64>; 2] {
    let old_shard_end = (old.div_ceil(SHARD_LEAVES) * SHARD_LEAVES).min(new);
    let last_start = (new - new % SHARD_LEAVES).max(old_shard_end);
    [old..old_shard_end, last_start..new]
}

/// What a light sync downloads to advance its tree view, decoded.
pub struct LightData {
    /// The tip's compact block.
    pub tip: CompactBlock,
    /// The leaves of [`leaf_ranges`], in order.
    pub leaves: [Vec<Fr>; 2],
}

/// Whether the current note's nullifier is in the bucket.
pub fn spent_in(bucket: &[SpentNullifier], nf: &Nullifier) -> Option<u64> {
    bucket.iter().find(|s| s.nf == *nf).map(|s| s.height)
}

/// Moves the wallet's tree view and sync position to the tip of `data`;
/// the caller then fetches the shard roots and checks the root. Fails, with
/// the wallet unchanged, when the leaves do not fit the tree view.
pub fn advance(wallet: &mut Wallet, data: &LightData) -> Result<(), FlowError> {
    let old = wallet.sync.tree.len;
    let new = data.tip.leaf_start + data.tip.commitments.len() as u64;
    let ranges = leaf_ranges(old, new);
    let mut tree = wallet.sync.tree.clone();
    tree.append(ranges[0].start, &data.leaves[0])?;
    tree.skip_to(ranges[1].start)?;
    tree.append(ranges[1].start, &data.leaves[1])?;
    if tree.len != new {
        return Err(TrackerError::Short {
            expected: new,
            got: tree.len,
        }
        .into());
    }
    wallet.sync.tree = tree;
    wallet.sync.height = data.tip.height;
    wallet.sync.tree_root = data.tip.tree_root;
    wallet.sync.tip_hash = Some(data.tip.hash);
    wallet.sync.state_root = Some(data.tip.header.state_root);
    Ok(())
}

/// Light sync of `wallet` against `client`; `bits` overrides the bucket
/// width. Falls back to the ordinary [`sync`] (and says why) when the
/// account is not settled or its note was spent by a copy of the wallet.
pub fn sync_light(
    wallet: &mut Wallet,
    client: &NodeClient,
    bits: Option<u8>,
) -> Result<LightReport, FlowError> {
    let start_bytes = client.bytes_received();
    let full = |wallet: &mut Wallet, reason: String| -> Result<LightReport, FlowError> {
        let report = sync(wallet, client)?;
        Ok(LightReport {
            mode: "full",
            reason: Some(reason),
            from: report.from,
            to: report.to,
            new_commitments: report.commitments,
            bytes: client.bytes_received() - start_bytes,
            full: Some(report),
            ..Default::default()
        })
    };
    if let Some(reason) = not_light(wallet) {
        return full(wallet, reason);
    }
    let status = client.status()?;
    check_chain(wallet, &status.chain_id)?;
    let from = wallet.sync.height + 1;
    let mut report = LightReport {
        mode: "light",
        from,
        to: wallet.sync.height,
        ..Default::default()
    };
    if status.height < from {
        check_tip(wallet, client, &status)?;
        report.bytes = client.bytes_received() - start_bytes;
        return Ok(report);
    }
    let tip = client
        .compact(status.height, Some(status.height))?
        .blocks
        .pop()
        .filter(|b| b.height == status.height)
        .ok_or_else(|| {
            bad_answer(
                client,
                format!("no compact block at the tip {}", status.height),
            )
        })?;
    check_header(client, &tip)?;
    let old = wallet.sync.tree.len;
    let new = tip.leaf_start + tip.commitments.len() as u64;
    if new < old {
        return Err(bad_answer(
            client,
            format!("the tip block ends at leaf {new}, but this wallet has read {old} leaves"),
        ));
    }
    // The spent check first: nothing changes if a copy of the wallet spent.
    let note = wallet.current_note().expect("checked by not_light");
    let nf = note.note.nullifier(&wallet.nk);
    let bits = bits
        .unwrap_or_else(|| bucket_bits(new - old))
        .clamp(1, MAX_BUCKET_BITS);
    let bucket = fetch_bucket(client, bits, nullifier_bucket(&nf, bits), from)?;
    report.bucket_bits = bits;
    report.bucket_nullifiers = bucket.len() as u64;
    if let Some(height) = spent_in(&bucket, &nf) {
        return full(
            wallet,
            format!("the account's note was spent at height {height} by a transaction this wallet did not make"),
        );
    }
    let [rest, last] = leaf_ranges(old, new);
    let leaves = [fetch_leaves(client, rest)?, fetch_leaves(client, last)?];
    report.leaves = (leaves[0].len() + leaves[1].len()) as u64;
    let data = LightData { tip, leaves };
    let before = wallet.sync.clone();
    advance(wallet, &data)?;
    let roots_before = wallet.sync.tree.shard_roots.len();
    let checked = fetch_shard_roots(wallet, client).and_then(|()| {
        wallet
            .sync
            .tree
            .check_root(data.tip.tree_root, data.tip.height)
            .map_err(FlowError::from)
    });
    let checked = checked.and_then(|()| {
        let status = client.status()?;
        if status.height == data.tip.height {
            check_tip(wallet, client, &status)
        } else {
            Ok(())
        }
    });
    if let Err(e) = checked {
        wallet.sync = before;
        return Err(e);
    }
    report.shard_roots = (wallet.sync.tree.shard_roots.len() - roots_before) as u64;
    report.to = data.tip.height;
    report.new_commitments = new - old;
    report.bytes = client.bytes_received() - start_bytes;
    Ok(report)
}

/// Every page of one bucket since height `from`.
fn fetch_bucket(
    client: &NodeClient,
    bits: u8,
    bucket: u32,
    from: u64,
) -> Result<Vec<SpentNullifier>, FlowError> {
    let mut out: Vec<SpentNullifier> = Vec::new();
    loop {
        let page = client.nullifier_bucket(bits, bucket, from, out.last().map(|s| &s.nf))?;
        let wrong = page.bits != bits
            || page.bucket != bucket
            || page
                .nullifiers
                .iter()
                .any(|s| nullifier_bucket(&s.nf, bits) != bucket || s.height < from);
        if wrong {
            return Err(bad_answer(
                client,
                format!("the node answered for bucket {bucket} ({bits} bits) with nullifiers outside it"),
            ));
        }
        let more = page.more && !page.nullifiers.is_empty();
        out.extend(page.nullifiers);
        if !more {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn leaf_ranges_cover_the_old_shard_and_the_last() {
        let s = SHARD_LEAVES;
        // Within one shard.
        assert_eq!(leaf_ranges(10, 20), [10..20, 20..20]);
        // From mid-shard to mid-shard, many shards later.
        assert_eq!(leaf_ranges(10, 5 * s + 7), [10..s, 5 * s..5 * s + 7]);
        // From a shard boundary to a shard boundary.
        assert_eq!(leaf_ranges(2 * s, 4 * s), [2 * s..2 * s, 4 * s..4 * s]);
        // Ending exactly where the old shard ends.
        assert_eq!(leaf_ranges(s + 3, 2 * s), [s + 3..2 * s, 2 * s..2 * s]);
        // Nothing new.
        assert_eq!(leaf_ranges(7, 7), [7..7, 7..7]);
    }

    #[test]
    fn buckets_are_sized_to_the_target() {
        assert_eq!(bucket_bits(0), 1);
        assert_eq!(bucket_bits(300), 1);
        for new in [10_000u64, 1_000_000, 10_000_000, 1_000_000_000] {
            let bits = bucket_bits(new);
            let expected = new as f64 / (0.189 * 2f64.powi(bits as i32));
            assert!(expected <= TARGET_BUCKET as f64, "{new}: {bits}");
            assert!(
                expected * 2.0 > TARGET_BUCKET as f64,
                "{new}: {bits} is wider than needed"
            );
        }
        assert_eq!(bucket_bits(10_000_000), 15);
    }
}
