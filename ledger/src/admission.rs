//! Proof checks at admission, in micro-batches.
//!
//! Every proof transaction's proof is verified before the node answers its
//! submission. Concurrent submissions meet here: the first one to find no
//! batch being verified becomes the batch's leader, waits `window` (by
//! default none) for others to join, takes every proof queued so far (at most
//! [`MAX_BATCH`]) and verifies them together with
//! [`zkpension_verifier::batch_verify`] (one Miller loop per proof, one final
//! exponentiation); when the batch fails, the verifier's bisection names
//! exactly the bad proofs, down to single checks. The others wait for the
//! leader's verdict; whoever arrives while a batch is being verified joins the
//! next one. Under load batches grow by themselves; a lone submission is
//! checked alone.

use rand_core::OsRng;
use rayon::prelude::*;
use std::collections::HashMap;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;
use zkpension_circuits::field::Fr;
use zkpension_circuits::Statement;
use zkpension_verifier::{batch_verify, BatchError, BatchItem, Proof, VerifierKeys};

/// The lock is never poisoned in practice (a panic while holding it would be
/// a bug, and the data stays consistent), so the guard is taken anyway.
fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Most proofs verified in one batch; more wait for the next.
pub const MAX_BATCH: usize = 256;

struct Job {
    ticket: u64,
    statement: Statement,
    proof: Proof,
    inputs: Vec<Fr>,
}

#[derive(Default)]
struct Inner {
    queue: Vec<Job>,
    verdicts: HashMap<u64, bool>,
    /// A leader is collecting or verifying a batch.
    busy: bool,
    next_ticket: u64,
}

/// Verifies proofs of concurrent callers together.
pub struct ProofBatcher {
    inner: Mutex<Inner>,
    done: Condvar,
    window: Duration,
}

/// Clears `busy` and wakes the waiters even if verification panics, so one
/// failure cannot stall admission.
struct Leading<'a>(&'a ProofBatcher);

impl Drop for Leading<'_> {
    fn drop(&mut self) {
        lock(&self.0.inner).busy = false;
        self.0.done.notify_all();
    }
}

impl ProofBatcher {
    /// A batcher whose leaders wait `window` for company before verifying.
    pub fn new(window: Duration) -> Self {
        ProofBatcher {
            inner: Mutex::new(Inner::default()),
            done: Condvar::new(),
            window,
        }
    }

    /// Whether `proof` verifies for `inputs` under `statement`'s key; blocks
    /// until its batch is verified. Runs verification on `pool` (or rayon's
    /// global pool).
    pub fn verify(
        &self,
        keys: &VerifierKeys,
        pool: Option<&rayon::ThreadPool>,
        statement: Statement,
        proof: &Proof,
        inputs: Vec<Fr>,
    ) -> bool {
        let mut inner = lock(&self.inner);
        let ticket = inner.next_ticket;
        inner.next_ticket += 1;
        inner.queue.push(Job {
            ticket,
            statement,
            proof: proof.clone(),
            inputs,
        });
        loop {
            if let Some(ok) = inner.verdicts.remove(&ticket) {
                return ok;
            }
            if inner.busy {
                inner = self.done.wait(inner).unwrap_or_else(|e| e.into_inner());
                continue;
            }
            inner.busy = true;
            drop(inner);
            let leading = Leading(self);
            if !self.window.is_zero() {
                std::thread::sleep(self.window);
            }
            let jobs: Vec<Job> = {
                let mut inner = lock(&self.inner);
                let n = inner.queue.len().min(MAX_BATCH);
                // Our own job is among the first MAX_BATCH unless others
                // were queued before it; then a later round takes it.
                inner.queue.drain(..n).collect()
            };
            let verdicts = match pool {
                Some(pool) => pool.install(|| check(keys, &jobs)),
                None => check(keys, &jobs),
            };
            {
                let mut inner = lock(&self.inner);
                for (job, ok) in jobs.iter().zip(verdicts) {
                    inner.verdicts.insert(job.ticket, ok);
                }
            }
            drop(leading);
            inner = lock(&self.inner);
        }
    }
}

/// One verdict per job: a batch check, the bad ones named by the verifier's
/// bisection; single checks if the batch could not be formed.
fn check(keys: &VerifierKeys, jobs: &[Job]) -> Vec<bool> {
    let items: Vec<BatchItem<'_>> = jobs
        .iter()
        .map(|j| BatchItem {
            statement: j.statement,
            proof: &j.proof,
            public_inputs: &j.inputs,
        })
        .collect();
    match batch_verify(keys, &items, &mut OsRng) {
        Ok(()) => vec![true; jobs.len()],
        Err(BatchError::Invalid { failed }) => {
            let mut ok = vec![true; jobs.len()];
            for i in failed {
                ok[i] = false;
            }
            ok
        }
        Err(BatchError::InputCount { .. }) => items
            .par_iter()
            .map(|i| {
                keys.get(i.statement)
                    .verify(i.proof, i.public_inputs)
                    .is_ok()
            })
            .collect(),
    }
}
