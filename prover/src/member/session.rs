//! A member session: one wallet file, held under an exclusive lock, and the
//! node it talks to.
//!
//! The crash-safety rule of the member's side is that a transaction is
//! recorded in the wallet file *before* it leaves the process: its new note's
//! opening exists nowhere else, so a crash between submitting and saving would
//! lose the account. The types make the rule impossible to skip:
//!
//! 1. [`MemberSession::prepare`] proves a transaction and returns a
//!    [`Prepared`], which does not give out its transaction;
//! 2. [`MemberSession::record`] records it in the wallet, saves the file and
//!    only then returns a [`Recorded`];
//! 3. only a [`Recorded`] can be submitted ([`MemberSession::submit`]) or
//!    written out ([`Recorded::encode`]).
//!
//! Two processes on one wallet would each save a file without the other's
//! transaction and lose one of them; the session therefore holds an exclusive
//! lock (`<wallet>.lock`, released by the OS if the process dies) from
//! [`MemberSession::open`] until it is dropped.

use super::client::NodeClient;
use super::flow::{self, AttestRequest, EnrollRequest, FlowError, Prepared};
use super::sync::{self, SyncReport};
use crate::fsutil::{self, ExclusiveLock, TryLockError};
use crate::wallet::{Wallet, WalletError};
use crate::ProvingKeys;
use rand_core::{CryptoRng, RngCore};
use std::path::{Path, PathBuf};
use std::time::Duration;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::field::Fr;
use zkpension_core::sealed::{seal, SealedField};
use zkpension_core::{Transaction, TxId};

/// What a member proves.
#[derive(Clone, Debug)]
pub enum Action {
    /// Pay `amount` (cents) in the node's current epoch.
    Contribute { amount: u64, payer_ref: Vec<u8> },
    /// Draw this epoch's pension to `recipient`.
    Claim { recipient: Vec<u8> },
    /// Attest facts about the account to a relying party.
    Attest(AttestRequest),
}

/// An action, and the heir its new note names: `None` keeps the heir the
/// account names now, `Some(0)` names none.
#[derive(Clone, Debug)]
pub struct Naming<'a> {
    pub action: &'a Action,
    pub heir: Option<Fr>,
}

/// `text` as the transaction carries it: sealed to the paying agent if the
/// chain names one (an empty payment reference stays empty), else in clear.
fn sealed_text<R: RngCore + CryptoRng>(
    agent: Option<[u8; 32]>,
    chain: &ChainId,
    field: SealedField,
    text: &[u8],
    rng: &mut R,
) -> Result<Vec<u8>, FlowError> {
    match agent {
        Some(_) if text.is_empty() && field == SealedField::PayerRef => Ok(Vec::new()),
        Some(key) => Ok(seal(&key, chain, field, text, rng)?),
        None => Ok(text.to_vec()),
    }
}

/// A prepared transaction now recorded in the saved wallet file: the only
/// form in which a member's transaction can be submitted or written out.
#[derive(Debug)]
pub struct Recorded(Prepared);

impl Recorded {
    pub fn prepared(&self) -> &Prepared {
        &self.0
    }

    pub fn id(&self) -> TxId {
        self.0.id
    }

    pub fn transaction(&self) -> &Transaction {
        &self.0.tx
    }

    /// The canonical encoding, for `--out` files.
    pub fn encode(&self) -> Vec<u8> {
        self.0.tx.encode()
    }
}

/// The lock file of the wallet at `path`: `<path>.lock`.
pub fn lock_path(path: &Path) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(".lock");
    PathBuf::from(name)
}

/// Takes the wallet's exclusive lock, creating the lock file's directory.
fn lock_wallet(path: &Path) -> Result<ExclusiveLock, WalletError> {
    let lock = lock_path(path);
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        fsutil::create_private_dir_all(parent).map_err(|source| WalletError::Write {
            path: parent.to_path_buf(),
            source,
        })?;
    }
    fsutil::try_lock_exclusive(&lock).map_err(|e| match e {
        TryLockError::Busy { holder } => WalletError::InUse {
            path: path.to_path_buf(),
            pid: holder,
        },
        TryLockError::Io(source) => WalletError::Write { path: lock, source },
    })
}

/// A wallet file opened for exclusive use, and a node.
pub struct MemberSession {
    path: PathBuf,
    wallet: Wallet,
    client: NodeClient,
    _lock: ExclusiveLock,
    /// The chain's paying agent, read from its genesis once per session.
    paying_agent: Option<Option<[u8; 32]>>,
}

impl std::fmt::Debug for MemberSession {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemberSession")
            .field("path", &self.path)
            .field("node", &self.client.url())
            .finish()
    }
}

impl MemberSession {
    /// Opens the wallet file at `path`: takes its lock (refused with
    /// [`WalletError::InUse`] while another process holds it), then loads it.
    pub fn open(path: &Path, client: NodeClient) -> Result<Self, WalletError> {
        let lock = lock_wallet(path)?;
        let wallet = Wallet::load(path)?;
        Ok(MemberSession {
            path: path.to_path_buf(),
            wallet,
            client,
            _lock: lock,
            paying_agent: None,
        })
    }

    /// Writes `wallet` as a new file at `path` (refused if one exists) and
    /// opens it.
    pub fn create(path: &Path, wallet: Wallet, client: NodeClient) -> Result<Self, WalletError> {
        let lock = lock_wallet(path)?;
        wallet.create(path)?;
        Ok(MemberSession {
            path: path.to_path_buf(),
            wallet,
            client,
            _lock: lock,
            paying_agent: None,
        })
    }

    pub fn wallet(&self) -> &Wallet {
        &self.wallet
    }

    pub fn client(&self) -> &NodeClient {
        &self.client
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn save(&self) -> Result<(), FlowError> {
        Ok(self.wallet.save(&self.path)?)
    }

    /// Follows the node to its tip ([`sync::sync`]) and saves what was
    /// learnt, also when the sync stopped halfway.
    pub fn sync(&mut self) -> Result<SyncReport, FlowError> {
        let report = sync::sync(&mut self.wallet, &self.client);
        self.save()?;
        report
    }

    /// For a watch-only wallet of a member's account: syncs it, saves it,
    /// then checks and proves the inheritance of the account by `heir`, paid
    /// to `recipient` ([`super::inherit::prepare`]). Nothing is recorded:
    /// the heir's transaction leaves no note in either wallet.
    pub fn prepare_inheritance<R: RngCore + CryptoRng>(
        &mut self,
        keys: &ProvingKeys,
        heir: &zkpension_circuits::keys::SpendingKey,
        recipient: &[u8],
        rng: &mut R,
    ) -> Result<super::inherit::Inheritance, super::inherit::InheritError> {
        let result =
            super::inherit::prepare(&mut self.wallet, heir, &self.client, keys, recipient, rng);
        self.save()?;
        result
    }

    /// Catches up without reading the blocks in between
    /// ([`super::light::sync_light`]), or with the ordinary sync when the
    /// account is not settled; saves what was learnt.
    pub fn sync_light(&mut self, bits: Option<u8>) -> Result<super::light::LightReport, FlowError> {
        let report = super::light::sync_light(&mut self.wallet, &self.client, bits);
        self.save()?;
        report
    }

    /// Makes this wallet's first note and the request for the registrar,
    /// saved before the request is returned.
    pub fn enroll_request(
        &mut self,
        chain_id: ChainId,
        eligible_epoch: u64,
    ) -> Result<EnrollRequest, FlowError> {
        let request = flow::enroll_request(&mut self.wallet, chain_id, eligible_epoch)?;
        self.save()?;
        Ok(request)
    }

    /// Syncs, then proves `action` against the node's current epoch and
    /// parameters. The rules are checked natively first, so a broken rule is
    /// named before any proving.
    pub fn prepare<R: RngCore + CryptoRng>(
        &mut self,
        keys: &ProvingKeys,
        action: &Action,
        rng: &mut R,
    ) -> Result<Prepared, FlowError> {
        let keep = Naming { action, heir: None };
        self.prepare_naming(keys, keep, rng)
    }

    /// [`prepare`](Self::prepare), with the heir the new note names.
    pub fn prepare_naming<R: RngCore + CryptoRng>(
        &mut self,
        keys: &ProvingKeys,
        naming: Naming<'_>,
        rng: &mut R,
    ) -> Result<Prepared, FlowError> {
        let Naming { action, heir } = naming;
        self.sync()?;
        let status = self.client.status()?;
        // Payout details are sealed to the paying agent when the chain has
        // one: the ledger never sees them in clear.
        let agent = match self.paying_agent {
            Some(agent) => agent,
            None => {
                let agent = self.client.genesis()?.genesis.paying_agent.map(|k| k.0);
                *self.paying_agent.insert(agent)
            }
        };
        let chain = status.chain_id;
        let w = &self.wallet;
        match action {
            Action::Contribute { amount, payer_ref } => {
                let payer_ref = sealed_text(agent, &chain, SealedField::PayerRef, payer_ref, rng)?;
                flow::contribute(w, keys, &status, *amount, &payer_ref, heir, rng)
            }
            Action::Claim { recipient } => {
                let recipient = sealed_text(agent, &chain, SealedField::Recipient, recipient, rng)?;
                flow::claim(w, keys, &status, &recipient, heir, rng)
            }
            Action::Attest(request) => flow::attest(w, keys, &status, request, heir, rng),
        }
    }

    /// Records `prepared` as pending in the wallet and saves the file: from
    /// here a crash loses nothing (the next sync submits it if the node never
    /// saw it).
    pub fn record(&mut self, prepared: Prepared) -> Result<Recorded, FlowError> {
        self.record_as(prepared, false)
    }

    /// Records `prepared` like [`record`](Self::record), but held back: no
    /// sync submits it until [`release`](Self::release) (the transaction is
    /// handed out as a file, to be submitted elsewhere or later).
    pub fn record_held(&mut self, prepared: Prepared) -> Result<Recorded, FlowError> {
        self.record_as(prepared, true)
    }

    fn record_as(&mut self, prepared: Prepared, held: bool) -> Result<Recorded, FlowError> {
        let height = self.wallet.sync.height;
        flow::record(&mut self.wallet, &prepared, height, held);
        self.save()?;
        Ok(Recorded(prepared))
    }

    /// Releases a held transaction of this wallet so that it is submitted
    /// (now by the caller, later by any sync). Returns whether the wallet
    /// held it.
    pub fn release(&mut self, id: &TxId) -> Result<bool, FlowError> {
        let hex = zkpension_core::hexbytes::encode_hex(&id.0);
        let Some(p) = self.wallet.pending.iter_mut().find(|p| p.tx_id == hex) else {
            return Ok(false);
        };
        let was_held = std::mem::replace(&mut p.held, false);
        self.save()?;
        Ok(was_held)
    }

    /// Submits a recorded transaction to the node.
    pub fn submit(&self, recorded: &Recorded) -> Result<(), FlowError> {
        self.client.submit(recorded.transaction())?;
        Ok(())
    }

    /// Waits until the node includes `recorded`, then syncs. Returns the
    /// height of its block.
    pub fn wait(&mut self, recorded: &Recorded, timeout: Duration) -> Result<u64, FlowError> {
        let height = self.client.wait_included(&recorded.id(), timeout)?;
        self.sync()?;
        Ok(height)
    }
}
