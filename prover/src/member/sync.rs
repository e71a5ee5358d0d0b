//! Following the chain: [`sync`] reads new blocks into the wallet, then
//! settles the wallet's pending transactions, each outcome taken from the
//! chain itself (the new commitment in the tree, the spent nullifier, the
//! anchor window), never from the node's word alone.

use super::client::{ClientError, NodeClient};
use super::flow::{check_chain, FlowError};
use super::tracker::TrackerError;
use crate::wallet::{Inherited, NoteStatus, OwnedNote, PendingTx, Wallet};
use rayon::prelude::*;
use serde::Serialize;
use std::collections::HashMap;
use zkpension_circuits::field::Fr;
use zkpension_circuits::keys::ViewingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::replay::{self, PublicChange};
use zkpension_circuits::values::Nullifier;
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
    /// The wallet's note was spent by a transaction it could not follow.
    pub spent_elsewhere: bool,
    /// The account's heir inherited it in this sync.
    pub inherited: Option<Inherited>,
    /// Notes made by transactions this wallet did not make (a copy of it, or
    /// the history a recovery replays), followed from their public values.
    pub followed: u64,
    /// The height of the block holding the account's enrollment, when this
    /// sync found it among the commitments.
    pub enrollment_found: Option<u64>,
}

/// Eligible epochs a wallet tries when it looks for its enrollment: 2,400
/// (200 years of monthly epochs). Each is one commitment to compute once per
/// sync, and each new commitment on the chain is one hash-set lookup.
pub const ENROLLMENT_SEARCH_EPOCHS: u64 = 2_400;

/// The enrollment commitments the viewing key can have made: the next two
/// enrollment indexes for every eligible epoch in
/// `1..=`[`ENROLLMENT_SEARCH_EPOCHS`].
struct EnrollmentFinder {
    candidates: HashMap<Fr, (u64, u64)>,
    vk: ViewingKey,
}

struct Found {
    k: u64,
    note: Note,
}

impl EnrollmentFinder {
    fn new(vk: &ViewingKey, enrollments: u64) -> Self {
        let first = enrollments.saturating_sub(1);
        let candidates = (first..=enrollments)
            .flat_map(|k| (1..=ENROLLMENT_SEARCH_EPOCHS).map(move |e| (k, e)))
            .collect::<Vec<_>>()
            .into_par_iter()
            .map(|(k, e)| (replay::enrollment(vk, k, e).commit().to_field(), (k, e)))
            .collect();
        EnrollmentFinder {
            candidates,
            vk: vk.clone(),
        }
    }

    fn find(&self, b: &CompactBlock) -> Option<Found> {
        b.commitments.iter().find_map(|cm| {
            let &(k, e) = self.candidates.get(&cm.to_field())?;
            Some(Found {
                k,
                note: replay::enrollment(&self.vk, k, e),
            })
        })
    }
}

/// Reads compact blocks into a wallet, in order: follows the spends of its
/// notes, looks for its enrollment while it has no live note (a recovered or
/// watch-only wallet, SPEC §2 "Recovery"), and keeps its tree view. The
/// caller checks each block's hash links first ([`sync`] does).
pub struct Follower {
    finder: Option<EnrollmentFinder>,
}

impl Follower {
    /// A follower for `wallet`; one with no live note prepares the
    /// enrollment commitments it can have made.
    pub fn new(wallet: &Wallet) -> Self {
        let live = wallet.notes.iter().any(|n| n.status != NoteStatus::Spent);
        Follower {
            finder: (!live)
                .then(|| EnrollmentFinder::new(&wallet.viewing_key(), wallet.enrollments)),
        }
    }

    /// Applies the next block.
    pub fn apply(
        &mut self,
        wallet: &mut Wallet,
        b: &CompactBlock,
        report: &mut SyncReport,
    ) -> Result<(), TrackerError> {
        follow_spends(wallet, b, report);
        if let Some(found) = self.finder.as_ref().and_then(|f| f.find(b)) {
            report.enrollment_found = Some(b.height);
            wallet.enrollments = wallet.enrollments.max(found.k + 1);
            wallet.sync.tree.watch(found.note.commit().to_field());
            wallet.notes.push(OwnedNote::pending(found.note, None));
            self.finder = None;
        }
        let leaves: Vec<Fr> = b.commitments.iter().map(|cm| cm.to_field()).collect();
        wallet.sync.tree.append(b.leaf_start, &leaves)?;
        // Notes now in the tree become the account's current note.
        for n in wallet.notes.iter_mut() {
            if n.status == NoteStatus::Pending {
                if let Some(i) = wallet.sync.tree.index_of(&n.cm.to_field()) {
                    n.leaf_index = Some(i);
                    n.status = NoteStatus::Unspent;
                    n.height = Some(b.height);
                }
            }
        }
        wallet.sync.height = b.height;
        wallet.sync.tree_root = b.tree_root;
        wallet.sync.tip_hash = Some(b.hash);
        wallet.sync.state_root = Some(b.header.state_root);
        report.blocks += 1;
        report.commitments += b.commitments.len() as u64;
        report.nullifiers += b.spends.len() as u64;
        report.to = b.height;
        Ok(())
    }
}

/// Spends of the wallet's live notes in block `b`. Each is followed: the note
/// it created is determined by the spent note, the viewing key and the
/// spend's public values, and it is the wallet's if its commitment is the one
/// the block names. A spend that does not replay (made without the
/// derivations, by a version 1 copy of the wallet) marks the account spent
/// elsewhere, unless it is one of this wallet's own pending transactions.
fn follow_spends(wallet: &mut Wallet, b: &CompactBlock, report: &mut SyncReport) {
    let vk = &wallet.viewing_key();
    // The live notes' nullifiers, hashed once per block, not once per spend.
    let mut live: Vec<(usize, Nullifier)> = Vec::new();
    for spend in &b.spends {
        if live.is_empty() {
            live = wallet
                .notes
                .iter()
                .enumerate()
                .filter(|(_, n)| n.status == NoteStatus::Unspent)
                .map(|(i, n)| (i, n.note.nullifier(&vk.nk)))
                .collect();
            if live.is_empty() {
                return;
            }
        }
        let Some(&(i, _)) = live.iter().find(|(_, nf)| *nf == spend.nf) else {
            continue;
        };
        live.clear();
        wallet.notes[i].status = NoteStatus::Spent;
        if let PublicChange::Inherit { amount, epoch } = spend.change {
            // The heir drew the whole balance: the account is closed.
            wallet.inherited = Some(Inherited { amount, epoch });
            report.inherited = Some(Inherited { amount, epoch });
            return;
        }
        let created = b.created_by(spend);
        let next = replay::successor(vk, &wallet.notes[i].note, spend.change)
            .filter(|n| Some(n.commit()) == created);
        match next {
            Some(note) => {
                let cm = note.commit();
                if !wallet.notes.iter().any(|n| n.cm == cm) {
                    wallet.sync.tree.watch(cm.to_field());
                    wallet
                        .notes
                        .push(OwnedNote::pending(note, Some(spend.change)));
                    report.followed += 1;
                }
            }
            // This wallet's own transaction, made before its notes were derived.
            None if wallet
                .pending
                .iter()
                .any(|p| p.nf == Some(spend.nf) && Some(p.cm_new) == created) => {}
            None => {
                report.spent_elsewhere = true;
                wallet.spent_elsewhere = true;
            }
        }
    }
}

/// Times the chain may grow under a sync before it gives up.
const MAX_ROUNDS: u32 = 5;

/// The node's answer is not what it must be.
pub(crate) fn bad_answer(client: &NodeClient, message: String) -> FlowError {
    FlowError::Client(ClientError::BadAnswer {
        url: client.url().into(),
        message,
    })
}

/// A compact block's header hashes to its hash and names its height and epoch.
pub(crate) fn check_header(client: &NodeClient, b: &CompactBlock) -> Result<(), FlowError> {
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
    Ok(())
}

/// The leaves `range` of the tree (at most one shard's worth), checked to be
/// exactly the ones asked for; none for an empty range.
pub(crate) fn fetch_leaves(
    client: &NodeClient,
    range: std::ops::Range<u64>,
) -> Result<Vec<Fr>, FlowError> {
    if range.is_empty() {
        return Ok(Vec::new());
    }
    let view = client.leaves(range.start, range.end)?;
    if view.from != range.start || view.leaves.len() as u64 != range.end - range.start {
        return Err(bad_answer(
            client,
            format!(
                "asked for leaves {}..{}, got {} from {}",
                range.start,
                range.end,
                view.leaves.len(),
                view.from
            ),
        ));
    }
    Ok(view.leaves.iter().map(|l| l.to_field()).collect())
}

/// A compact block's header checks ([`check_header`]) and links to the block
/// before it (the genesis hash for block 1). A wallet written before it kept
/// the tip hash checks the links from its next block.
fn check_link(
    wallet: &Wallet,
    client: &NodeClient,
    genesis_hash: &Hash32,
    b: &CompactBlock,
) -> Result<(), FlowError> {
    check_header(client, b)?;
    let h = &b.header;
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
pub(crate) fn check_tip(
    wallet: &Wallet,
    client: &NodeClient,
    tip: &StatusView,
) -> Result<(), FlowError> {
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
    let mut follower = Follower::new(wallet);
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
                follower.apply(wallet, b, &mut report)?;
            }
            if wallet.sync.height >= view.tip {
                break;
            }
        }
        // Roots of newly completed shards, then the check against the header root.
        fetch_shard_roots(wallet, client)?;
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

/// Fetches the roots of the complete shards the wallet's tree view lacks.
pub(crate) fn fetch_shard_roots(wallet: &mut Wallet, client: &NodeClient) -> Result<(), FlowError> {
    loop {
        let missing = wallet.sync.tree.missing_shard_roots();
        if missing.is_empty() {
            return Ok(());
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
                // If it followed the derivations, the wallet followed it too
                // (`follow_spends`); otherwise it is marked spent elsewhere.
                report.rejected.push((
                    p.tx_id.clone(),
                    "the note it spends was spent by another transaction".into(),
                ));
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

#[cfg(test)]
mod tests {
    use super::*;
    use zkpension_circuits::values::NoteCommitment;
    use zkpension_core::views::CompactSpend;
    use zkpension_core::BlockHeader;
    use zkpension_core::FixedBytes;

    fn block(commitments: Vec<NoteCommitment>, spends: Vec<CompactSpend>) -> CompactBlock {
        let header = BlockHeader {
            height: 2,
            prev_hash: FixedBytes([0; 32]),
            epoch: 1,
            tx_root: FixedBytes([0; 32]),
            state_root: FixedBytes([0; 32]),
        };
        CompactBlock {
            height: 2,
            hash: header.hash(),
            header,
            epoch: 1,
            tree_root: Fr::from(0u64),
            leaf_start: 0,
            commitments,
            spends,
        }
    }

    /// A wallet whose enrollment note is in the tree, and a contribution of
    /// 40 spending it.
    fn enrolled() -> (Wallet, CompactSpend, NoteCommitment) {
        let mut w = Wallet::from_seed_bytes(b"follow");
        let vk = w.viewing_key();
        let mut n = OwnedNote::pending(replay::enrollment(&vk, 0, 5), None);
        n.status = NoteStatus::Unspent;
        let change = PublicChange::Contribute {
            amount: 40,
            epoch: 1,
            heir_ct: vk.heir_mask(&n.note.nullifier(&vk.nk).to_field()),
        };
        let next = replay::successor(&vk, &n.note, change).unwrap().commit();
        let spend = CompactSpend {
            nf: n.note.nullifier(&vk.nk),
            out: 1,
            change,
        };
        w.notes.push(n);
        (w, spend, next)
    }

    #[test]
    fn a_spend_that_replays_is_followed() {
        let (mut w, spend, next) = enrolled();
        let other = NoteCommitment::from(Fr::from(77u64));
        let mut report = SyncReport::default();
        follow_spends(&mut w, &block(vec![other, next], vec![spend]), &mut report);
        assert_eq!(report.followed, 1);
        assert!(!w.spent_elsewhere);
        assert_eq!(w.notes[0].status, NoteStatus::Spent);
        assert_eq!(w.notes[1].cm, next);
        assert_eq!(w.notes[1].note.balance, 40);
        assert_eq!(w.notes[1].change, Some(spend.change));
        assert!(w.sync.tree.watched.iter().any(|x| x.cm == next.to_field()));
    }

    #[test]
    fn a_spend_that_does_not_replay_marks_the_account_spent_elsewhere() {
        // The block names another commitment (a spend made with random
        // note randomness), or other public values than the note created.
        let (mut w, spend, next) = enrolled();
        let foreign = NoteCommitment::from(Fr::from(78u64));
        let mut report = SyncReport::default();
        follow_spends(
            &mut w,
            &block(vec![foreign, foreign], vec![spend]),
            &mut report,
        );
        assert!(report.spent_elsewhere && w.spent_elsewhere);
        assert_eq!(w.notes.len(), 1);

        let (mut w, mut spend, next2) = enrolled();
        assert_eq!(next, next2);
        spend.change = PublicChange::Contribute {
            amount: 41,
            epoch: 1,
            heir_ct: spend.change.heir_ct().unwrap(),
        };
        let mut report = SyncReport::default();
        follow_spends(
            &mut w,
            &block(vec![foreign, next], vec![spend]),
            &mut report,
        );
        assert!(report.spent_elsewhere);
        // A position outside the block is no commitment at all.
        let (mut w, mut spend, next) = enrolled();
        spend.out = 9;
        let mut report = SyncReport::default();
        follow_spends(&mut w, &block(vec![next], vec![spend]), &mut report);
        assert!(report.spent_elsewhere);
    }

    #[test]
    fn the_wallets_own_pending_spend_is_not_someone_elses() {
        let (mut w, spend, _) = enrolled();
        let mine = NoteCommitment::from(Fr::from(79u64));
        w.pending.push(PendingTx {
            kind: "contribute".into(),
            tx_id: format!("0x{}", "00".repeat(32)),
            nf: Some(spend.nf),
            cm_new: mine,
            submitted_at: None,
            tx: None,
            held: false,
        });
        let mut report = SyncReport::default();
        follow_spends(
            &mut w,
            &block(vec![Fr::from(1u64).into(), mine], vec![spend]),
            &mut report,
        );
        assert!(!report.spent_elsewhere);
        assert_eq!(report.followed, 0);
    }

    #[test]
    fn the_enrollment_is_found_among_the_commitments() {
        let w = Wallet::from_seed_bytes(b"finder");
        let vk = w.viewing_key();
        let finder = EnrollmentFinder::new(&vk, 0);
        let mine = replay::enrollment(&vk, 0, ENROLLMENT_SEARCH_EPOCHS).commit();
        let b = block(vec![Fr::from(5u64).into(), mine], vec![]);
        let found = finder.find(&b).unwrap();
        assert_eq!(
            (found.k, found.note.eligible_epoch),
            (0, ENROLLMENT_SEARCH_EPOCHS)
        );
        let later = replay::enrollment(&vk, 0, ENROLLMENT_SEARCH_EPOCHS + 1).commit();
        assert!(finder.find(&block(vec![later], vec![])).is_none());
    }
}
