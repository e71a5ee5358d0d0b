//! The registrar's and the authority's side: checking and signing an
//! enrollment request, and the authority's signed commands. These sign with
//! keys read from key files (`zkpension_core::keyfile`); nothing here touches
//! a member's wallet.

use crate::member::flow::{EnrollRequest, FlowError, ENROLL_REQUEST_FORMAT};
use ed25519_dalek::SigningKey;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::note::Note;
use zkpension_core::tx::{AdvanceEpoch, CancelParams, Enroll, SetParams};
use zkpension_core::{Params, Transaction};

/// The registrar's check of a request, and its signature.
///
/// Checks the request is for this chain, that `cm` is the commitment of the
/// opening, and that the note is a fresh account (everything but owner,
/// eligible epoch and randomness zero). `expected_eligible_epoch`, when given,
/// is what the registrar computed from the member's documents.
pub fn approve(
    request: &EnrollRequest,
    chain_id: &ChainId,
    registrar: &SigningKey,
    expected_eligible_epoch: Option<u64>,
) -> Result<Enroll, FlowError> {
    check_request(request, chain_id, expected_eligible_epoch)?;
    Ok(Enroll::sign(chain_id, request.cm, registrar))
}

/// The registrar's check of a request ([`approve`] without the signature,
/// for a threshold registrar whose trustees sign the unsigned enrollment).
pub fn check_request(
    request: &EnrollRequest,
    chain_id: &ChainId,
    expected_eligible_epoch: Option<u64>,
) -> Result<(), FlowError> {
    let bad = |m: String| Err(FlowError::BadRequest(m));
    if request.format != ENROLL_REQUEST_FORMAT {
        return bad(format!(
            "format {:?}, expected {ENROLL_REQUEST_FORMAT:?}",
            request.format
        ));
    }
    if request.chain_id != *chain_id {
        return bad("the request is for another chain".into());
    }
    let n = &request.note;
    if n.commit() != request.cm {
        return bad("cm is not the commitment of the note given".into());
    }
    let fresh = Note::enrollment(n.owner, n.eligible_epoch, n.rho, n.r);
    if *n != fresh {
        return bad(
            "the note is not a fresh account (nk, heir, balance, periods, epochs, pension and last_active must be 0)"
                .into(),
        );
    }
    if n.eligible_epoch == 0 {
        return bad("eligible_epoch is 0 (epochs are numbered from 1)".into());
    }
    if let Some(e) = expected_eligible_epoch {
        if n.eligible_epoch != e {
            return bad(format!(
                "eligible_epoch is {}, the registrar expects {e}",
                n.eligible_epoch
            ));
        }
    }
    Ok(())
}

/// The authority's epoch advance; `nonce` is the node's `authority_nonce`.
pub fn advance_epoch(chain_id: &ChainId, epoch: u64, nonce: u64, key: &SigningKey) -> Transaction {
    AdvanceEpoch::sign(chain_id, epoch, nonce, key).into()
}

/// The authority's parameter change, in force from `effective_epoch`.
pub fn set_params(
    chain_id: &ChainId,
    params: Params,
    effective_epoch: u64,
    nonce: u64,
    key: &SigningKey,
) -> Transaction {
    SetParams::sign(chain_id, params, effective_epoch, nonce, key).into()
}

/// The authority's withdrawal of the pending parameter change.
pub fn cancel_params(chain_id: &ChainId, nonce: u64, key: &SigningKey) -> Transaction {
    CancelParams::sign(chain_id, nonce, key).into()
}
