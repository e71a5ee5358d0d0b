//! The member's transactions, built from the wallet's own state: enrollment
//! requests, syncing with a node, Contribute, Claim and Attest. (The
//! registrar's approval and the authority's commands are in `crate::roles`.)
//!
//! Every function that makes a proof checks the statement natively first (a
//! broken rule is reported by its clause, e.g. "epoch_total_new <= cap").
//! A member's transactions go out through a
//! [`MemberSession`](super::session::MemberSession), which records each in
//! the wallet file as pending *before* it is submitted, with its full
//! encoding, so a crash between proving and submission loses nothing: the
//! next `sync` submits it again if the node never saw it.

use super::client::ClientError;
use super::explain::{explain, Asked};
use super::tracker::TrackerError;
use crate::prove::{prove, ProveError, Witness};
use crate::wallet::{NoteStatus, OwnedNote, PendingTx, Wallet};
use crate::ProvingKeys;
use rand_core::{CryptoRng, RngCore};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use zkpension_circuits::binding::{context_from_text, ChainId, ProofKind};
use zkpension_circuits::field::Fr;
use zkpension_circuits::keys::SpendingKey;
use zkpension_circuits::note::Note;
use zkpension_circuits::replay;
use zkpension_circuits::statements::{attest, claim, contribute, RelationError};
use zkpension_circuits::values::{NoteCommitment, Nullifier};
use zkpension_core::hexbytes::encode_hex;
use zkpension_core::tx::{contribute_binding, spend_binding, Attest, Claim, Contribute};
use zkpension_core::views::StatusView;
use zkpension_core::{Transaction, TxId};

/// Format tag of an enrollment request file.
pub const ENROLL_REQUEST_FORMAT: &str = "zkpension-enroll-request/1";

/// Why a member operation cannot go ahead.
#[derive(Debug, Error)]
pub enum FlowError {
    #[error(transparent)]
    Client(#[from] ClientError),
    #[error(transparent)]
    Tree(#[from] TrackerError),
    #[error(transparent)]
    Prove(#[from] ProveError),
    #[error(transparent)]
    Wallet(#[from] crate::wallet::WalletError),
    /// A rule the transaction would break, in the member's words
    /// ([`super::explain`]), found before any proving.
    #[error("{explanation}")]
    Rule {
        clause: RelationError,
        explanation: String,
    },
    #[error("this wallet has no account yet: create an enrollment request with `zkpension enroll`, have the registrar approve it, and sync")]
    NotEnrolled,
    #[error("the wallet's account note is not in the ledger's tree yet (pending {0}); run `zkpension sync` once the node has included it")]
    NotConfirmed(String),
    #[error("a transaction of this wallet is still pending ({kind} {id}); wait for it (`zkpension sync`) before making another")]
    Busy { kind: String, id: String },
    #[error("the wallet's note was spent by a transaction this wallet did not make: its key is in use elsewhere; the account cannot continue from this wallet")]
    SpentElsewhere,
    #[error("the account is closed: its heir inherited its whole balance ({amount} units) in epoch {epoch}, after the member's dormancy")]
    Inherited { amount: u64, epoch: u64 },
    #[error("the wallet is for chain {wallet}, the node serves chain {node}")]
    WrongChain { wallet: String, node: String },
    #[error("the wallet is behind the node (synced to height {synced}, node at {tip}); run `zkpension sync`")]
    Behind { synced: u64, tip: u64 },
    #[error("enrollment request: {0}")]
    BadRequest(String),
    #[error("--birthday: {0}")]
    Birthday(String),
    #[error("transaction: {0}")]
    Build(String),
    #[error("sealing for the paying agent: {0}")]
    Seal(#[from] zkpension_core::sealed::SealError),
}

/// What a member sends the registrar: the opening of their first note, so the
/// registrar can check it is a fresh account with the agreed eligible epoch
/// before signing its commitment. It reveals `owner` and the note's
/// randomness to the registrar only; nothing of it goes on the ledger but `cm`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct EnrollRequest {
    pub format: String,
    pub chain_id: ChainId,
    pub note: Note,
    pub cm: NoteCommitment,
}

/// A member's first note, recorded in the wallet, and the request for the registrar.
pub fn enroll_request(
    wallet: &mut Wallet,
    chain_id: ChainId,
    eligible_epoch: u64,
) -> Result<EnrollRequest, FlowError> {
    if eligible_epoch == 0 {
        return Err(FlowError::BadRequest(
            "eligible_epoch is at least 1 (epochs are numbered from 1)".into(),
        ));
    }
    check_chain(wallet, &chain_id)?;
    if let Some(n) = wallet.notes.iter().find(|n| n.status != NoteStatus::Spent) {
        return Err(FlowError::BadRequest(format!(
            "this wallet already has an account note ({}, {:?})",
            n.cm.to_hex(),
            n.status
        )));
    }
    wallet.spending_key("enroll")?;
    // The k-th enrollment's opening is derived from the key (SPEC §2), so the
    // recovery phrase finds it again on the chain.
    let note = replay::enrollment(&wallet.viewing_key(), wallet.enrollments, eligible_epoch);
    wallet.enrollments += 1;
    let owned = OwnedNote::pending(note.clone(), None);
    wallet.sync.tree.watch(owned.cm.to_field());
    wallet.chain_id = Some(chain_id);
    wallet.notes.push(owned);
    Ok(EnrollRequest {
        format: ENROLL_REQUEST_FORMAT.into(),
        chain_id,
        cm: note.commit(),
        note,
    })
}

pub(crate) fn check_chain(wallet: &Wallet, chain_id: &ChainId) -> Result<(), FlowError> {
    match wallet.chain_id {
        Some(c) if c != *chain_id => Err(FlowError::WrongChain {
            wallet: encode_hex(&c.0),
            node: encode_hex(&chain_id.0),
        }),
        _ => Ok(()),
    }
}

/// A transaction made by this wallet, not yet recorded or submitted. It
/// gives out no transaction: record it with
/// [`MemberSession::record`](super::session::MemberSession::record) first.
#[derive(Debug)]
pub struct Prepared {
    pub kind: &'static str,
    pub(crate) tx: Transaction,
    pub id: TxId,
    pub new_note: Note,
    pub nf: Nullifier,
}

impl Prepared {
    pub fn id_hex(&self) -> String {
        encode_hex(&self.id.0)
    }

    /// The subsidy pool's match of a contribution (0 for the other kinds).
    pub fn matched(&self) -> u64 {
        match &self.tx {
            Transaction::Contribute(t) => t.body.matched,
            _ => 0,
        }
    }
}

/// What a spend of the account's current note needs: the key, the note, its
/// Merkle path, the new note's blinding `r = H(RCM, ns, nf)` and the mask
/// of its heir `H(HEIR, ns, nf)`.
struct Spendable<'a> {
    sk: &'a SpendingKey,
    note: Note,
    path: zkpension_circuits::tree::MerklePath,
    r_new: Fr,
    heir_mask: Fr,
}

impl Spendable<'_> {
    /// The new note's heir (`heir`, or the current note's if `None`) and
    /// the `heir_ct` the transaction carries for it.
    fn heir(&self, heir: Option<Fr>) -> (Fr, Fr) {
        let heir = heir.unwrap_or(self.note.heir);
        (heir, heir + self.heir_mask)
    }
}

fn spendable<'a>(
    wallet: &'a Wallet,
    status: &StatusView,
    action: &'static str,
) -> Result<Spendable<'a>, FlowError> {
    let sk = wallet.spending_key(action)?;
    if let Some(i) = wallet.inherited {
        return Err(FlowError::Inherited {
            amount: i.amount,
            epoch: i.epoch,
        });
    }
    if wallet.spent_elsewhere {
        return Err(FlowError::SpentElsewhere);
    }
    check_chain(wallet, &status.chain_id)?;
    if let Some(p) = wallet.pending.first() {
        return Err(FlowError::Busy {
            kind: p.kind.clone(),
            id: p.tx_id.clone(),
        });
    }
    let current = match wallet.current_note() {
        Some(n) => n,
        None => {
            return Err(
                match wallet
                    .notes
                    .iter()
                    .find(|n| n.status == NoteStatus::Pending)
                {
                    Some(n) => FlowError::NotConfirmed(n.cm.to_hex()),
                    None => FlowError::NotEnrolled,
                },
            )
        }
    };
    if status.height > wallet.sync.height + status.anchor_window.saturating_sub(1) {
        return Err(FlowError::Behind {
            synced: wallet.sync.height,
            tip: status.height,
        });
    }
    let path = wallet.sync.tree.path(
        &current.cm.to_field(),
        wallet.sync.tree_root,
        wallet.sync.height,
    )?;
    let nf = current.note.nullifier(&wallet.nk).to_field();
    let vk = wallet.viewing_key();
    Ok(Spendable {
        sk,
        note: current.note.clone(),
        path,
        r_new: vk.note_randomness(&nf),
        heir_mask: vk.heir_mask(&nf),
    })
}

fn rule(clause: RelationError, note: &Note, asked: Asked) -> FlowError {
    FlowError::Rule {
        explanation: explain(&clause, note, asked),
        clause,
    }
}

fn finish(kind: &'static str, tx: Transaction, new_note: Note, nf: Nullifier) -> Prepared {
    Prepared {
        kind,
        id: tx.id(),
        tx,
        new_note,
        nf,
    }
}

/// A Contribute of `amount` in the node's current epoch, whose new note
/// names `heir` (`None`: the heir the account names now).
#[allow(clippy::too_many_arguments)]
pub fn contribute<R: RngCore + CryptoRng>(
    wallet: &Wallet,
    keys: &ProvingKeys,
    status: &StatusView,
    amount: u64,
    payer_ref: &[u8],
    heir: Option<Fr>,
    rng: &mut R,
) -> Result<Prepared, FlowError> {
    let spend = spendable(wallet, status, "contribute")?;
    let (heir, heir_ct) = spend.heir(heir);
    let Spendable {
        sk,
        note,
        path,
        r_new,
        ..
    } = spend;
    let chain = status.chain_id;
    // The subsidy pool's match, exactly as the node will check it; the
    // proof adds `amount + matched` to the hidden balance.
    let matched = status
        .totals
        .subsidy
        .as_ref()
        .map_or(0, |s| s.match_for(amount));
    let credited = amount
        .checked_add(matched)
        .ok_or_else(|| FlowError::Build("amount and match exceed 2^64 - 1".into()))?;
    let b = contribute_binding(&chain, matched, &heir_ct, payer_ref);
    let (public, private, new) = contribute::prepare(
        sk,
        &note,
        path,
        credited,
        status.epoch,
        status.params.cap,
        b,
        r_new,
        heir,
    )
    .map_err(|e| {
        rule(
            e,
            &note,
            Asked::Contribute {
                amount: credited,
                epoch: status.epoch,
                cap: status.params.cap,
            },
        )
    })?;
    let proof = prove(keys, &Witness::Contribute(public.clone(), private), rng)?;
    let tx = Contribute::from_public(
        &chain,
        &public,
        matched,
        heir_ct,
        payer_ref.to_vec(),
        proof.to_bytes(),
    )
    .map_err(|e| FlowError::Build(e.to_string()))?;
    Ok(finish("contribute", tx.into(), new, public.nf))
}

/// This epoch's pension, paid to `recipient`; the new note names `heir`
/// (`None`: the heir the account names now).
pub fn claim<R: RngCore + CryptoRng>(
    wallet: &Wallet,
    keys: &ProvingKeys,
    status: &StatusView,
    recipient: &[u8],
    heir: Option<Fr>,
    rng: &mut R,
) -> Result<Prepared, FlowError> {
    let spend = spendable(wallet, status, "claim")?;
    let (heir, heir_ct) = spend.heir(heir);
    let Spendable {
        sk,
        note,
        path,
        r_new,
        ..
    } = spend;
    let chain = status.chain_id;
    let b = spend_binding(&chain, ProofKind::Claim, &heir_ct, recipient);
    let (public, private, new) = claim::prepare(
        sk,
        &note,
        path,
        status.epoch,
        status.params.min_periods,
        status.params.divisor,
        b,
        r_new,
        heir,
    )
    .map_err(|e| {
        rule(
            e,
            &note,
            Asked::Claim {
                epoch: status.epoch,
                min_periods: status.params.min_periods,
            },
        )
    })?;
    let proof = prove(keys, &Witness::Claim(public.clone(), private), rng)?;
    let tx = Claim::from_public(
        &chain,
        &public,
        heir_ct,
        recipient.to_vec(),
        proof.to_bytes(),
    )
    .map_err(|e| FlowError::Build(e.to_string()))?;
    Ok(finish("claim", tx.into(), new, public.nf))
}

/// What a relying party asks a member to prove.
#[derive(Clone, Debug)]
pub struct AttestRequest {
    /// The relying party's context, as text (mapped with [`context_from_text`]).
    pub context: String,
    pub min_balance: u64,
    pub min_periods: u64,
    pub require_eligible: bool,
    /// Bound into the proof (e.g. the relying party's challenge).
    pub message: Vec<u8>,
}

/// An attestation under the member's pseudonym for `request.context`; the
/// new note names `heir` (`None`: the heir the account names now).
pub fn attest<R: RngCore + CryptoRng>(
    wallet: &Wallet,
    keys: &ProvingKeys,
    status: &StatusView,
    request: &AttestRequest,
    heir: Option<Fr>,
    rng: &mut R,
) -> Result<Prepared, FlowError> {
    let spend = spendable(wallet, status, "attest")?;
    let (heir, heir_ct) = spend.heir(heir);
    let Spendable {
        sk,
        note,
        path,
        r_new,
        ..
    } = spend;
    let chain = status.chain_id;
    let b = spend_binding(&chain, ProofKind::Attest, &heir_ct, &request.message);
    let (public, private, new) = attest::prepare(
        sk,
        &note,
        path,
        status.epoch,
        context_from_text(&request.context),
        request.min_balance,
        request.min_periods,
        request.require_eligible,
        b,
        r_new,
        heir,
    )
    .map_err(|e| {
        rule(
            e,
            &note,
            Asked::Attest {
                epoch: status.epoch,
                min_balance: request.min_balance,
                min_periods: request.min_periods,
                require_eligible: request.require_eligible,
            },
        )
    })?;
    let proof = prove(keys, &Witness::Attest(public.clone(), private), rng)?;
    let tx = Attest::from_public(
        &chain,
        &public,
        heir_ct,
        request.message.clone(),
        proof.to_bytes(),
    )
    .map_err(|e| FlowError::Build(e.to_string()))?;
    Ok(finish("attest", tx.into(), new, public.nf))
}

/// Records a prepared transaction in the wallet as pending (with its full
/// encoding, for resubmission). Only
/// [`MemberSession::record`](super::session::MemberSession::record) calls it,
/// and saves the wallet before anything is submitted.
pub(crate) fn record(wallet: &mut Wallet, p: &Prepared, height: u64, held: bool) {
    let owned = OwnedNote::pending(p.new_note.clone(), p.tx.public_change());
    wallet.sync.tree.watch(owned.cm.to_field());
    wallet.pending.push(PendingTx {
        kind: p.kind.to_string(),
        tx_id: p.id_hex(),
        nf: Some(p.nf),
        cm_new: owned.cm,
        submitted_at: Some(height),
        tx: Some(hex::encode(p.tx.encode())),
        held,
    });
    wallet.notes.push(owned);
}
