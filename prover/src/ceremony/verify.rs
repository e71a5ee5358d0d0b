//! `verify`: the whole transcript checked from its start (see
//! `docs/CEREMONY.md` for the list of checks).

use std::path::Path;

use ark_bn254::{G1Affine, G1Projective};
use ark_ec::{AffineRepr, CurveGroup};
use serde::Serialize;

use super::error::CeremonyError;
use super::phase2::check_keys;
use super::pok::{beacon_rng, contribution_rng, nonzero, Pok};
use super::powers::{Phase1Key, MAX_POWER};
use super::state::{current_powers_name, read_keys, read_powers, read_transcript};
use super::steps::{last_phase1_key, needed_power};
use super::transcript::{hash_hex, parse_hash, Record, Stage, Transcript, Update, TRANSCRIPT_FILE};
use super::Target;

/// What `verify` found: every contribution and the transcript hash.
#[derive(Clone, Debug, Serialize)]
pub struct Report {
    pub stage: Stage,
    pub power: u32,
    pub origin: String,
    pub contributions: Vec<Entry>,
    /// The last contribution's hash (or the start hash): commits to the
    /// whole transcript and the final state.
    pub transcript_hash: String,
}

/// One contribution in a [`Report`].
#[derive(Clone, Debug, Serialize)]
pub struct Entry {
    pub index: u32,
    pub phase: u8,
    pub name: String,
    pub beacon: bool,
    pub hash: String,
}

fn bad(place: &str, what: impl Into<String>) -> CeremonyError {
    CeremonyError::invalid(place, what)
}

/// Checks the whole transcript in `dir` for `targets`.
pub fn verify(dir: &Path, targets: &[Target]) -> Result<Report, CeremonyError> {
    let t = read_transcript(dir, targets)?;
    if hash_hex(&t.compute_start_hash()) != t.start_hash {
        return Err(bad(
            TRANSCRIPT_FILE,
            "the start hash does not match the header",
        ));
    }
    let needed = needed_power(targets)?;
    if t.power > MAX_POWER || t.power < needed {
        return Err(bad(
            TRANSCRIPT_FILE,
            format!("power {} out of range {needed}..={MAX_POWER}", t.power),
        ));
    }
    let mut key = origin_key(&t)?;
    let mut deltas = vec![G1Affine::generator(); t.circuits.len()];
    let mut parent = t.start_hash.clone();
    let mut stage = Stage::Phase1;
    for (pos, r) in t.contributions.iter().enumerate() {
        let place = r.place();
        check_link(r, pos, &parent)?;
        stage = next_stage(stage, r)?;
        let parent_bytes = parse_hash(&r.parent).expect("checked by check_link");
        let labels: Vec<String> = if r.phase == 1 {
            vec!["tau".into(), "alpha".into(), "beta".into()]
        } else {
            t.circuits
                .iter()
                .map(|c| format!("delta/{}", c.name))
                .collect()
        };
        let got: Vec<&str> = r.updates.iter().map(|u| u.label.as_str()).collect();
        if got != labels.iter().map(String::as_str).collect::<Vec<_>>() {
            return Err(bad(&place, format!("updates {got:?}, expected {labels:?}")));
        }
        let olds: Vec<G1Affine> = if r.phase == 1 {
            key.labelled().iter().map(|(_, p)| *p).collect()
        } else {
            deltas.clone()
        };
        let mut news = Vec::new();
        for ((u, label), old) in r.updates.iter().zip(&labels).zip(&olds) {
            let (new, pok) = u
                .decode()
                .map_err(|e| bad(&place, format!("{label}: {e}")))?;
            pok.verify(&parent_bytes, r.index, label, *old, new)
                .map_err(|e| bad(&place, e))?;
            news.push(new);
        }
        if let Some(b) = &r.beacon {
            check_beacon(r, b, &labels, &olds, &parent_bytes)?;
        }
        if r.phase == 1 {
            key = Phase1Key {
                tau_g1: news[0],
                alpha_g1: news[1],
                beta_g1: news[2],
            };
        } else {
            deltas = news;
        }
        parent = r.hash.clone();
    }
    check_state(dir, &t, targets, stage, key, &deltas)?;
    Ok(Report {
        stage,
        power: t.power,
        origin: t.origin.kind.clone(),
        contributions: t
            .contributions
            .iter()
            .map(|r| Entry {
                index: r.index,
                phase: r.phase,
                name: r.name.clone(),
                beacon: r.beacon.is_some(),
                hash: r.hash.clone(),
            })
            .collect(),
        transcript_hash: parent,
    })
}

fn origin_key(t: &Transcript) -> Result<Phase1Key, CeremonyError> {
    let mut first = t.clone();
    first.contributions.clear();
    let key = last_phase1_key(&first)?;
    match t.origin.kind.as_str() {
        "fresh" => {
            let g = G1Affine::generator();
            if key.tau_g1 != g || key.alpha_g1 != g || key.beta_g1 != g {
                return Err(bad(
                    TRANSCRIPT_FILE,
                    "a fresh origin must start at the generator",
                ));
            }
        }
        "ptau" => {
            if t.origin.ptau_sha256.is_none() {
                return Err(bad(
                    TRANSCRIPT_FILE,
                    "a ptau origin must record the file's SHA-256",
                ));
            }
        }
        other => return Err(bad(TRANSCRIPT_FILE, format!("unknown origin {other:?}"))),
    }
    Ok(key)
}

fn check_link(r: &Record, pos: usize, parent: &str) -> Result<(), CeremonyError> {
    let place = r.place();
    if r.index as usize != pos + 1 {
        return Err(bad(
            &place,
            format!(
                "is at position {} of the transcript (re-ordered or removed contributions)",
                pos + 1
            ),
        ));
    }
    if r.parent != parent {
        return Err(bad(
            &place,
            format!(
                "does not link to its parent: it names {}, the previous hash is {parent}",
                r.parent
            ),
        ));
    }
    if parse_hash(&r.parent).is_none() {
        return Err(bad(&place, "its parent hash is not 0x + 64 hex digits"));
    }
    if hash_hex(&r.compute_hash()) != r.hash {
        return Err(bad(
            &place,
            "its hash does not match its contents (the record was changed)",
        ));
    }
    Ok(())
}

fn next_stage(stage: Stage, r: &Record) -> Result<Stage, CeremonyError> {
    let place = r.place();
    match (stage, r.phase, r.beacon.is_some()) {
        (Stage::Phase1, 1, false) | (Stage::Phase2, 2, false) => Ok(stage),
        (Stage::Phase1, 1, true) => Ok(Stage::Phase2),
        (Stage::Phase2, 2, true) => Ok(Stage::Closed),
        (Stage::Closed, ..) => Err(bad(&place, "follows the final beacon")),
        (s, p, _) => Err(bad(
            &place,
            format!("a phase-{p} contribution while the ceremony is in {s:?}"),
        )),
    }
}

/// A beacon's secrets are public: recompute its updates exactly.
fn check_beacon(
    r: &Record,
    b: &super::transcript::Beacon,
    labels: &[String],
    olds: &[G1Affine],
    parent: &[u8; 32],
) -> Result<(), CeremonyError> {
    let place = r.place();
    let value =
        hex::decode(&b.value).map_err(|e| bad(&place, format!("beacon is not hex: {e}")))?;
    if b.iterations_exp > 40 {
        return Err(bad(&place, "beacon iterations above 2^40"));
    }
    let mut rng = beacon_rng(&value, b.iterations_exp);
    let xs: Vec<_> = if r.phase == 1 {
        (0..3).map(|_| nonzero(&mut rng)).collect()
    } else {
        Vec::new()
    };
    for (i, ((u, label), old)) in r.updates.iter().zip(labels).zip(olds).enumerate() {
        let x = if r.phase == 1 {
            xs[i]
        } else {
            nonzero(&mut rng)
        };
        let after = (G1Projective::from(*old) * x).into_affine();
        let pok = Pok::prove(&x, parent, r.index, label, &mut rng);
        if *u != Update::new(label, &after, &pok) {
            return Err(bad(&place, format!("{label} is not what the beacon gives")));
        }
    }
    Ok(())
}

/// The state files: exactly the expected ones, each matching its hash,
/// with the last key points, consistent powers, and keys that fit them.
fn check_state(
    dir: &Path,
    t: &Transcript,
    targets: &[Target],
    stage: Stage,
    key: Phase1Key,
    deltas: &[G1Affine],
) -> Result<(), CeremonyError> {
    let expected = 1 + if stage == Stage::Phase1 {
        0
    } else {
        t.circuits.len()
    };
    if t.files().len() != expected {
        return Err(bad(
            TRANSCRIPT_FILE,
            format!("lists {} state files, expected {expected}", t.files().len()),
        ));
    }
    let name = current_powers_name(t)?;
    let powers = read_powers(dir, t)?;
    if powers.key() != key {
        return Err(bad(
            &name,
            "its tau, alpha or beta is not the last phase-1 contribution's",
        ));
    }
    let mut rng = contribution_rng(None);
    powers.check(&mut rng).map_err(|e| bad(&name, e))?;
    if stage != Stage::Phase1 {
        let keys = read_keys(dir, t)?;
        for ((target, pk), delta) in targets.iter().zip(&keys).zip(deltas) {
            check_keys(&powers, target, pk, *delta, &mut rng)
                .map_err(|e| bad(&format!("the {} keys", target.name), e))?;
        }
    }
    Ok(())
}
