//! Following the chain: [`sync`] reads new blocks into the wallet, then
//! settles the wallet's pending transactions, each outcome taken from the
//! chain itself (the new commitment in the tree, the spent nullifier, the
//! anchor window), never from the node's word alone.

use super::client::{ClientError, NodeClient};
use super::flow::{check_chain, FlowError};
use crate::wallet::{NoteStatus, PendingTx, Wallet};
use serde::Serialize;
use zkpension_circuits::field::Fr;
use zkpension_core::views::{CompactBlock, StatusView, TxState};
use zkpension_core::{Hash32, Transaction, TxId};

/// What one sync did.
#[derive(Clone, Debug, Default, Serialize)]
pub struct SyncReport {
    /// Heights read, `from..=to` (empty when already at the tip).
    pub from: u64,
    pub to: u64,
    pub blocks: u64,
    pub commitments: u64,
    pub nullifiers: u64,
    /// Transactions of this wallet now included, rejected, or resubmitted.
    pub included: Vec<String>,
    pub rejected: Vec<(String, String)>,
    pub resubmitted: Vec<String>,
    /// The wallet's note was spent by someone else.
    pub spent_elsewhere: bool,
}

/// Times the chain may grow under a sync before it gives up.
const MAX_ROUNDS: u32 = 5;

fn bad_answer(client: &NodeClient, message: String) -> FlowError {
    FlowError::Client(ClientError::BadAnswer {
        url: client.url().into(),
        message,
    })
}

/// A compact block's header hashes to its hash, names its height and epoch,
/// and links to the block before it (the genesis hash for block 1). A wallet
/// written before it kept the tip hash checks the links from its next block.
fn check_link(
    wallet: &Wallet,
    client: &NodeClient,
    genesis_hash: &Hash32,
    b: &CompactBlock,
) -> Result<(), FlowError> {
    let h = &b.header;
    if h.hash() != b.hash || h.height != b.height || h.epoch != b.epoch {
        return Err(bad_answer(
            client,
            format!(
                "block {}: its header does not match its hash, height or epoch",
                b.height
            ),
        ));
    }
    let expected = match (wallet.sync.height, wallet.sync.tip_hash) {
        (0, _) => Some(*genesis_hash),
        (_, known) => known,
    };
    if let Some(prev) = expected.filter(|prev| *prev != h.prev_hash) {
        return Err(bad_answer(
            client,
            format!(
                "block {} links to {} but this wallet followed {} at height {}: the node serves another chain (a fork)",
                b.height, h.prev_hash, prev, wallet.sync.height
            ),
        ));
    }
    Ok(())
}

/// At the tip: the node's state summary hashes to the state root in the
/// header the wallet followed, and names the tree root and leaf count the
/// wallet computed itself.
fn check_tip(wallet: &Wallet, client: &NodeClient, tip: &StatusView) -> Result<(), FlowError> {
    let root = tip.state.root();
    let header_root = wallet.sync.state_root;
    let mismatch = if wallet.sync.tip_hash.is_some_and(|h| h != tip.tip_hash) {
        Some(format!(
            "its tip hash {} is not the header this wallet followed",
            tip.tip_hash
        ))
    } else if header_root.is_some_and(|h| h != root) {
        Some(format!(
            "its state summary hashes to {root}, the header's state root is {}",
            header_root.expect("checked")
        ))
    } else if tip.state.tree_root != wallet.sync.tree_root {
        Some("its state summary names another tree root than its blocks".into())
    } else if tip.state.leaf_count != wallet.sync.tree.len {
        Some(format!(
            "its state summary counts {} leaves, its blocks {}",
            tip.state.leaf_count, wallet.sync.tree.len
        ))
    } else {
        None
    };
    match mismatch {
        Some(m) => Err(bad_answer(client, format!("at height {}: {m}", tip.height))),
        None => Ok(()),
    }
}

/// Follows the node from the wallet's height to the tip: finds the wallet's
/// notes among the new commitments, notices its nullifiers, keeps the tree
/// view needed for its Merkle path (checked against the node's tree root),
/// and settles pending transactions. The node is never asked anything that
/// depends on which note is the wallet's, except the status of the wallet's
/// own pending transactions by id.
pub fn sync(wallet: &mut Wallet, client: &NodeClient) -> Result<SyncReport, FlowError> {
    let status = client.status()?;
    check_chain(wallet, &status.chain_id)?;
    wallet.chain_id = Some(status.chain_id);
    let mut report = SyncReport {
        from: wallet.sync.height + 1,
        to: wallet.sync.height,
        ..Default::default()
    };
    let nk = wallet.nk;
    let mut rounds = 0;
    loop {
        loop {
            let view = client.compact(wallet.sync.height + 1, None)?;
            if view.blocks.is_empty() {
                break;
            }
            for b in &view.blocks {
                if b.height != wallet.sync.height + 1 {
                    return Err(FlowError::Client(ClientError::BadAnswer {
                        url: client.url().into(),
                        message: format!(
                            "expected block {}, got {}",
                            wallet.sync.height + 1,
                            b.height
                        ),
                    }));
                }
                check_link(wallet, client, &status.genesis_hash, b)?;
                let leaves: Vec<Fr> = b.commitments.iter().map(|cm| cm.to_field()).collect();
                wallet.sync.tree.append(b.leaf_start, &leaves)?;
                for nf in &b.nullifiers {
                    let ours = wallet
                        .notes
                        .iter_mut()
                        .find(|n| n.status == NoteStatus::Unspent && n.note.nullifier(&nk) == *nf);
                    if let Some(note) = ours {
                        note.status = NoteStatus::Spent;
                        if !wallet.pending.iter().any(|p| p.nf == Some(*nf)) {
                            report.spent_elsewhere = true;
                            wallet.spent_elsewhere = true;
                        }
                    }
                }
                wallet.sync.height = b.height;
                wallet.sync.tree_root = b.tree_root;
                wallet.sync.tip_hash = Some(b.hash);
                wallet.sync.state_root = Some(b.header.state_root);
                report.blocks += 1;
                report.commitments += b.commitments.len() as u64;
                report.nullifiers += b.nullifiers.len() as u64;
            }
            report.to = wallet.sync.height;
            if wallet.sync.height >= view.tip {
                break;
            }
        }
        // Roots of newly completed shards, then the check against the header root.
        loop {
            let missing = wallet.sync.tree.missing_shard_roots();
            if missing.is_empty() {
                break;
            }
            let shards = client.shards(missing.start)?;
            let take = ((missing.end - missing.start) as usize).min(shards.roots.len());
            if take == 0 {
                return Err(FlowError::Client(ClientError::BadAnswer {
                    url: client.url().into(),
                    message: "the node lists no roots for complete shards".into(),
                }));
            }
            wallet
                .sync
                .tree
                .add_shard_roots(missing.start, &shards.roots[..take])?;
        }
        wallet
            .sync
            .tree
            .check_root(wallet.sync.tree_root, wallet.sync.height)?;
        // The tree root is the one the tip's header commits to: the node's
        // summary of its state must hash to the header's state root.
        let tip = client.status()?;
        if tip.height == wallet.sync.height {
            check_tip(wallet, client, &tip)?;
            break;
        }
        rounds += 1;
        if rounds == MAX_ROUNDS || tip.height < wallet.sync.height {
            return Err(bad_answer(
            client,
            format!(
                "the node's tip moved from height {} to {} while this wallet read it; run sync again",
                wallet.sync.height, tip.height
            ),
        ));
        }
    }
    // Notes now in the tree become the account's current note.
    for n in wallet.notes.iter_mut() {
        if n.status == NoteStatus::Pending {
            if let Some(i) = wallet.sync.tree.index_of(&n.cm.to_field()) {
                n.leaf_index = Some(i);
                n.status = NoteStatus::Unspent;
            }
        }
    }
    settle_pending(wallet, client, status.anchor_window, &mut report)?;
    if let Some(current) = wallet.current_note().map(|n| n.cm) {
        wallet.sync.tree.retain_only(&current.to_field());
        for p in &wallet.pending {
            wallet.sync.tree.watch(p.cm_new.to_field());
        }
        for n in wallet
            .notes
            .iter()
            .filter(|n| n.status == NoteStatus::Pending)
        {
            wallet.sync.tree.watch(n.cm.to_field());
        }
    }
    Ok(report)
}

/// The pending transaction's outcome as the chain itself shows it.
enum Outcome {
    /// Its new commitment is in the tree.
    Included,
    /// The note it spends was spent by another transaction: its new note can
    /// never appear.
    Superseded,
    /// Its anchor has left the window and its nullifier is unspent: it can
    /// never be included.
    Expired,
    /// Not decided yet.
    Open,
}

fn outcome(wallet: &Wallet, p: &PendingTx, anchor_window: u64) -> Outcome {
    if wallet.sync.tree.index_of(&p.cm_new.to_field()).is_some() {
        return Outcome::Included;
    }
    let Some(nf) = p.nf else {
        return Outcome::Open;
    };
    let spent_on_chain = wallet
        .notes
        .iter()
        .any(|n| n.status == NoteStatus::Spent && n.note.nullifier(&wallet.nk) == nf);
    if spent_on_chain {
        return Outcome::Superseded;
    }
    match p.submitted_at {
        Some(at) if wallet.sync.height >= at.saturating_add(anchor_window) => Outcome::Expired,
        _ => Outcome::Open,
    }
}

/// Forgets a pending transaction and the note it would have made.
fn drop_pending(wallet: &mut Wallet, p: &PendingTx) {
    wallet.sync.tree.unwatch(&p.cm_new.to_field());
    wallet
        .notes
        .retain(|n| !(n.status == NoteStatus::Pending && n.cm == p.cm_new));
}

/// Settles the wallet's pending transactions. A spend's new note is never
/// forgotten on the node's word alone: anyone who saw the transaction can
/// submit a copy with a broken proof and make the node report the id as
/// rejected while the genuine copy is still valid. The opening is kept until
/// the chain shows the outcome (the commitment in the tree, the nullifier
/// spent by another transaction, or the anchor expired); meanwhile the
/// wallet submits its own copy again. An enrollment (no nullifier) is
/// dropped when the node rejects it, as its signature is checked on arrival.
fn settle_pending(
    wallet: &mut Wallet,
    client: &NodeClient,
    anchor_window: u64,
    report: &mut SyncReport,
) -> Result<(), FlowError> {
    let mut keep = Vec::new();
    let pending = std::mem::take(&mut wallet.pending);
    let mut iter = pending.into_iter();
    while let Some(p) = iter.next() {
        match outcome(wallet, &p, anchor_window) {
            Outcome::Included => {
                report.included.push(p.tx_id.clone());
                continue;
            }
            Outcome::Superseded => {
                // Another transaction spent the note: a copy of this wallet.
                report.rejected.push((
                    p.tx_id.clone(),
                    "the note it spends was spent by another transaction".into(),
                ));
                report.spent_elsewhere = true;
                wallet.spent_elsewhere = true;
                drop_pending(wallet, &p);
                continue;
            }
            Outcome::Expired => {
                report.rejected.push((
                    p.tx_id.clone(),
                    format!("its anchor left the ledger's last {anchor_window} roots before it was included"),
                ));
                drop_pending(wallet, &p);
                continue;
            }
            Outcome::Open => {}
        }
        if p.held {
            // Its holder decides when it is submitted.
            keep.push(p);
            continue;
        }
        let id: TxId = p
            .tx_id
            .parse()
            .map_err(|e| FlowError::Build(format!("bad transaction id {:?}: {e}", p.tx_id)))?;
        let state = match client.tx(&id) {
            Ok(v) => Some(v.state),
            Err(ClientError::Refused { status: 404, .. }) => None,
            Err(e) => {
                keep.push(p);
                keep.extend(iter);
                wallet.pending = keep;
                return Err(e.into());
            }
        };
        let resubmit = match state {
            Some(TxState::Included { .. }) | Some(TxState::Pending) => false,
            Some(TxState::Rejected { reason }) if p.nf.is_none() => {
                report
                    .rejected
                    .push((p.tx_id.clone(), reason.message.clone()));
                drop_pending(wallet, &p);
                continue;
            }
            // The node's word is not the chain's: submit this wallet's own
            // copy again, and keep the note until the chain decides.
            Some(TxState::Rejected { .. }) => true,
            // The node never saw it (the wallet stopped before submitting,
            // or the node lost its queue): submit again.
            None => true,
        };
        if resubmit {
            if let Some(Ok(bytes)) = p.tx.as_deref().map(hex::decode) {
                let tx = Transaction::decode(&bytes)
                    .map_err(|e| FlowError::Build(format!("stored transaction: {e}")))?;
                match client.submit(&tx) {
                    Ok(_) => report.resubmitted.push(p.tx_id.clone()),
                    Err(ClientError::Rejected { reason, .. }) if p.nf.is_none() => {
                        report
                            .rejected
                            .push((p.tx_id.clone(), reason.message.clone()));
                        drop_pending(wallet, &p);
                        continue;
                    }
                    // Kept until the chain decides (see above).
                    Err(ClientError::Rejected { .. }) => {}
                    Err(e) => {
                        keep.push(p);
                        keep.extend(iter);
                        wallet.pending = keep;
                        return Err(e.into());
                    }
                }
            }
        }
        keep.push(p);
    }
    wallet.pending = keep;
    Ok(())
}
