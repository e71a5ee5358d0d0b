//! The ceremony's steps on a directory: [`init`], [`contribute`],
//! [`next_phase`] and [`finalize`]. Each reads the transcript and the
//! current state files (checked against their recorded SHA-256), computes
//! the new state, writes it under new file names, and replaces the
//! transcript last; a refused or failed step leaves the directory unchanged.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use ark_bn254::{Bn254, Fr, G1Affine};
use ark_ec::AffineRepr;
use ark_groth16::ProvingKey;
use ark_poly::EvaluationDomain;
use rand_chacha::ChaCha20Rng;
use zeroize::Zeroize;

use super::derive::{domain, lagrange, start_keys_cached, SumCache};
use super::error::{io_err, CeremonyError};
use super::phase2::apply_delta;
use super::pok::{beacon_rng, contribution_rng, nonzero, Pok};
use super::powers::{Phase1Key, Powers};
use super::state::{keys_file, powers_file, read_keys, read_powers, read_transcript, Staged};
use super::transcript::{
    hash_hex, parse_hash, point_hex, Beacon, CircuitEntry, Origin, Record, Stage, Transcript,
    Update, FORMAT, TRANSCRIPT_FILE,
};
use super::Target;

/// Where phase 1 starts when a ceremony is created.
#[derive(Debug)]
pub enum Start {
    /// Every point the generator, at this power.
    Fresh(u32),
    /// Imported powers (from a `.ptau` file): the powers, the file's
    /// SHA-256, its power and its number of contributions.
    Imported {
        powers: Box<Powers>,
        sha256: [u8; 32],
        file_power: u32,
        contributions: u32,
    },
}

/// The smallest power whose domain fits every target.
pub fn needed_power(targets: &[Target]) -> Result<u32, CeremonyError> {
    let mut power = 1;
    for t in targets {
        let d = domain(t.info.constraints, t.info.instance_variables).ok_or_else(|| {
            CeremonyError::State(format!("{} is too large for any evaluation domain", t.name))
        })?;
        power = power.max(d.size().trailing_zeros());
    }
    Ok(power)
}

/// Starts a ceremony in `dir` (created; must be empty or missing).
pub fn init(dir: &Path, targets: &[Target], start: Start) -> Result<Transcript, CeremonyError> {
    if dir.exists()
        && std::fs::read_dir(dir)
            .map_err(io_err(dir))?
            .next()
            .is_some()
    {
        return Err(CeremonyError::State(format!(
            "{} already holds files; a ceremony starts in an empty directory",
            dir.display()
        )));
    }
    let needed = needed_power(targets)?;
    let (powers, mut origin) = match start {
        Start::Fresh(power) => (Powers::fresh(power), origin_of("fresh")),
        Start::Imported {
            powers,
            sha256,
            file_power,
            contributions,
        } => {
            let mut o = origin_of("ptau");
            o.ptau_sha256 = Some(hash_hex(&sha256));
            o.ptau_power = Some(file_power);
            o.ptau_contributions = Some(contributions);
            (*powers, o)
        }
    };
    if powers.power < needed {
        return Err(CeremonyError::State(format!(
            "phase 1 has 2^{} powers, the circuits need 2^{needed}",
            powers.power
        )));
    }
    let key = powers.key();
    origin.tau_g1 = point_hex(&key.tau_g1);
    origin.alpha_g1 = point_hex(&key.alpha_g1);
    origin.beta_g1 = point_hex(&key.beta_g1);
    std::fs::create_dir_all(dir).map_err(io_err(dir))?;
    let mut staged = Staged::default();
    staged.write(dir, &powers_file(0), &powers.to_bytes())?;
    origin.files = staged.files.clone();
    let mut t = Transcript {
        format: FORMAT.to_string(),
        power: powers.power,
        circuits: targets.iter().map(CircuitEntry::of).collect(),
        origin,
        start_hash: String::new(),
        contributions: Vec::new(),
    };
    t.start_hash = hash_hex(&t.compute_start_hash());
    staged.commit(dir, &BTreeMap::new(), &t)?;
    Ok(t)
}

fn origin_of(kind: &str) -> Origin {
    Origin {
        kind: kind.to_string(),
        ptau_sha256: None,
        ptau_power: None,
        ptau_contributions: None,
        tau_g1: String::new(),
        alpha_g1: String::new(),
        beta_g1: String::new(),
        files: BTreeMap::new(),
    }
}

/// The secrets of one contribution, wiped when dropped.
struct Secrets(Vec<Fr>);

impl Drop for Secrets {
    fn drop(&mut self) {
        self.0.zeroize();
    }
}

/// A new record at the head of `t`, not yet hashed.
fn new_record(t: &Transcript, phase: u8, name: &str, beacon: Option<Beacon>) -> Record {
    Record {
        index: t.contributions.len() as u32 + 1,
        phase,
        name: name.to_string(),
        beacon,
        parent: t.head().to_string(),
        updates: Vec::new(),
        files: BTreeMap::new(),
        hash: String::new(),
    }
}

/// Phase 1: applies secrets from `rng`, proves them, writes the new powers.
fn phase1_step(
    dir: &Path,
    t: &Transcript,
    powers: &mut Powers,
    record: &mut Record,
    rng: &mut ChaCha20Rng,
    staged: &mut Staged,
) -> Result<(), CeremonyError> {
    let secrets = Secrets(vec![nonzero(rng), nonzero(rng), nonzero(rng)]);
    powers.apply(&secrets.0[0], &secrets.0[1], &secrets.0[2]);
    let parent = parse_hash(&record.parent).expect("the head hash is valid");
    let after: Phase1Key = powers.key();
    for ((label, point), x) in after.labelled().into_iter().zip(&secrets.0) {
        let pok = Pok::prove(x, &parent, record.index, label, rng);
        record.updates.push(Update::new(label, &point, &pok));
    }
    drop(secrets);
    let _ = t;
    staged.write(dir, &powers_file(record.index), &powers.to_bytes())
}

/// Phase 2: one delta per circuit from `rng`, applied and proven.
fn phase2_step(
    t: &Transcript,
    keys: &mut [ProvingKey<Bn254>],
    record: &mut Record,
    rng: &mut ChaCha20Rng,
) {
    let parent = parse_hash(&record.parent).expect("the head hash is valid");
    for (c, pk) in t.circuits.iter().zip(keys.iter_mut()) {
        let secrets = Secrets(vec![nonzero(rng)]);
        apply_delta(pk, &secrets.0[0]);
        let label = format!("delta/{}", c.name);
        let pok = Pok::prove(&secrets.0[0], &parent, record.index, &label, rng);
        record.updates.push(Update::new(&label, &pk.delta_g1, &pok));
    }
}

/// Writes each circuit's keys as new state files of `record`.
fn stage_keys(
    dir: &Path,
    t: &Transcript,
    keys: &[ProvingKey<Bn254>],
    index: u32,
    staged: &mut Staged,
) -> Result<(), CeremonyError> {
    for (c, pk) in t.circuits.iter().zip(keys) {
        staged.write_keys(dir, &keys_file(index, &c.name), pk)?;
    }
    Ok(())
}

/// Hashes the record, appends it and commits the staged files.
fn commit(
    dir: &Path,
    mut t: Transcript,
    mut record: Record,
    staged: Staged,
    carried: &[String],
) -> Result<Record, CeremonyError> {
    let old = t.files().clone();
    record.files = staged.files.clone();
    for name in carried {
        if let Some(h) = old.get(name) {
            record.files.insert(name.clone(), h.clone());
        }
    }
    record.hash = hash_hex(&record.compute_hash());
    t.contributions.push(record.clone());
    staged.commit(dir, &old, &t)?;
    Ok(record)
}

/// Runs `step`, removing its staged files if it fails.
fn staged_step(
    step: impl FnOnce(&mut Staged) -> Result<(), CeremonyError>,
) -> Result<Staged, CeremonyError> {
    let mut staged = Staged::default();
    match step(&mut staged) {
        Ok(()) => Ok(staged),
        Err(e) => {
            staged.abandon();
            Err(e)
        }
    }
}

/// Checks the state files' key points equal what the transcript's last
/// records say (a cheap check before contributing; `verify` does the rest).
fn check_head(t: &Transcript, powers: &Powers) -> Result<(), CeremonyError> {
    let expected = last_phase1_key(t)?;
    if powers.key() != expected {
        return Err(CeremonyError::invalid(
            TRANSCRIPT_FILE,
            "the phase-1 file's tau, alpha or beta differ from the last contribution's",
        ));
    }
    Ok(())
}

/// The phase-1 key points after the last phase-1 record (or the origin).
pub(super) fn last_phase1_key(t: &Transcript) -> Result<Phase1Key, CeremonyError> {
    let bad = |e: String| CeremonyError::invalid(TRANSCRIPT_FILE, e);
    match t.contributions.iter().rev().find(|r| r.phase == 1) {
        Some(r) => {
            let mut points = [G1Affine::zero(); 3];
            for (p, u) in points.iter_mut().zip(&r.updates) {
                *p = u
                    .decode()
                    .map_err(|e| CeremonyError::invalid(r.place(), e))?
                    .0;
            }
            Ok(Phase1Key {
                tau_g1: points[0],
                alpha_g1: points[1],
                beta_g1: points[2],
            })
        }
        None => Ok(Phase1Key {
            tau_g1: super::transcript::parse_point(&t.origin.tau_g1, "origin tau_g1")
                .map_err(bad)?,
            alpha_g1: super::transcript::parse_point(&t.origin.alpha_g1, "origin alpha_g1")
                .map_err(bad)?,
            beta_g1: super::transcript::parse_point(&t.origin.beta_g1, "origin beta_g1")
                .map_err(bad)?,
        }),
    }
}

/// Adds a participant's contribution to the current phase, with fresh OS
/// randomness mixed with `entropy`. Returns the new record (its `hash` is
/// what the participant publishes).
pub fn contribute(
    dir: &Path,
    targets: &[Target],
    name: &str,
    entropy: Option<&[u8]>,
) -> Result<Record, CeremonyError> {
    let t = read_transcript(dir, targets)?;
    let mut rng = contribution_rng(entropy);
    match t.stage() {
        Stage::Phase1 => {
            let mut powers = read_powers(dir, &t)?;
            check_head(&t, &powers)?;
            let mut record = new_record(&t, 1, name, None);
            let staged =
                staged_step(|s| phase1_step(dir, &t, &mut powers, &mut record, &mut rng, s))?;
            commit(dir, t, record, staged, &[])
        }
        Stage::Phase2 => {
            let mut keys = read_keys(dir, &t)?;
            let mut record = new_record(&t, 2, name, None);
            phase2_step(&t, &mut keys, &mut record, &mut rng);
            let powers_name = super::state::current_powers_name(&t)?;
            let index = record.index;
            let staged = staged_step(|s| stage_keys(dir, &t, &keys, index, s))?;
            commit(dir, t, record, staged, &[powers_name])
        }
        Stage::Closed => Err(CeremonyError::State(
            "the ceremony is finalized; it takes no more contributions".into(),
        )),
    }
}

fn beacon_record(t: &Transcript, phase: u8, beacon: &[u8], exp: u32) -> Record {
    new_record(
        t,
        phase,
        "beacon",
        Some(Beacon {
            value: hex::encode(beacon),
            iterations_exp: exp,
        }),
    )
}

/// Closes phase 1 with a public random beacon (SHA-256 iterated `2^exp`
/// times) and derives each circuit's phase-2 starting keys from the final
/// powers (gamma = delta = 1). Checks the powers' consistency first.
pub fn next_phase(
    dir: &Path,
    targets: &[Target],
    beacon: &[u8],
    exp: u32,
) -> Result<Record, CeremonyError> {
    let t = read_transcript(dir, targets)?;
    if t.stage() != Stage::Phase1 {
        return Err(CeremonyError::State("phase 1 is already closed".into()));
    }
    if t.contributions.is_empty() && t.origin.kind == "fresh" {
        return Err(CeremonyError::State(
            "phase 1 has no contribution yet: at least one participant must contribute \
             before the beacon closes it"
                .into(),
        ));
    }
    let mut powers = read_powers(dir, &t)?;
    check_head(&t, &powers)?;
    let mut check_rng = contribution_rng(None);
    let powers_name = super::state::current_powers_name(&t)?;
    powers
        .check(&mut check_rng)
        .map_err(|e| CeremonyError::invalid(&powers_name, e))?;
    let mut record = beacon_record(&t, 1, beacon, exp);
    let mut rng = beacon_rng(beacon, exp);
    let staged = staged_step(|s| {
        phase1_step(dir, &t, &mut powers, &mut record, &mut rng, s)?;
        let mut bases = HashMap::new();
        let mut keys = Vec::new();
        for target in targets {
            let n = domain(target.info.constraints, target.info.instance_variables)
                .expect("checked at init")
                .size();
            let (lag, cache) = bases
                .entry(n)
                .or_insert_with(|| (lagrange(&powers, n), SumCache::default()));
            keys.push(start_keys_cached(&powers, lag, target, cache));
        }
        stage_keys(dir, &t, &keys, record.index, s)
    })?;
    commit(dir, t, record, staged, &[])
}

/// Closes phase 2 with a public random beacon; the keys are then final
/// (read them with [`final_keys`]).
pub fn finalize(
    dir: &Path,
    targets: &[Target],
    beacon: &[u8],
    exp: u32,
) -> Result<Record, CeremonyError> {
    let t = read_transcript(dir, targets)?;
    match t.stage() {
        Stage::Phase1 => {
            return Err(CeremonyError::State(
                "phase 1 is still open: close it with next-phase first".into(),
            ))
        }
        Stage::Closed => {
            return Err(CeremonyError::State(
                "the ceremony is already finalized".into(),
            ))
        }
        Stage::Phase2 => {}
    }
    if t.contributions.last().is_some_and(|r| r.beacon.is_some()) {
        return Err(CeremonyError::State(
            "phase 2 has no contribution yet: at least one participant must contribute \
             before the beacon closes it"
                .into(),
        ));
    }
    let mut keys = read_keys(dir, &t)?;
    let mut record = beacon_record(&t, 2, beacon, exp);
    let mut rng = beacon_rng(beacon, exp);
    phase2_step(&t, &mut keys, &mut record, &mut rng);
    let powers_name = super::state::current_powers_name(&t)?;
    let index = record.index;
    let staged = staged_step(|s| stage_keys(dir, &t, &keys, index, s))?;
    commit(dir, t, record, staged, &[powers_name])
}

/// The final keys of a finalized ceremony (run [`super::verify()`] first),
/// with the transcript hash and the number of contributions.
pub fn final_keys(
    dir: &Path,
    targets: &[Target],
) -> Result<(Vec<ProvingKey<Bn254>>, Transcript), CeremonyError> {
    let t = read_transcript(dir, targets)?;
    if t.stage() != Stage::Closed {
        return Err(CeremonyError::State(
            "the ceremony is not finalized yet".into(),
        ));
    }
    Ok((read_keys(dir, &t)?, t))
}
