//! `ceremony.json`: the transcript's header (circuits, origin of phase 1)
//! and its chain of contribution records, each hashed with its parent's
//! hash, so the last hash (the transcript hash) commits to everything.

use std::collections::BTreeMap;

use ark_bn254::{G1Affine, G2Affine};
use ark_serialize::CanonicalDeserialize;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::pok::{compressed, Pok};
use super::Target;

/// `format` of a transcript.
pub const FORMAT: &str = "zkpension-ceremony-v1";
/// The transcript's file name in a ceremony directory.
pub const TRANSCRIPT_FILE: &str = "ceremony.json";

/// The whole transcript.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transcript {
    /// [`FORMAT`].
    pub format: String,
    /// Phase 1 holds `2^power` powers (and twice as many in G1).
    pub power: u32,
    /// The circuits keys are made for, in order.
    pub circuits: Vec<CircuitEntry>,
    /// Where phase 1 started.
    pub origin: Origin,
    /// Hash of everything above: the parent of the first contribution.
    pub start_hash: String,
    /// Every contribution in order (participants and the two beacons).
    pub contributions: Vec<Record>,
}

/// A circuit of the ceremony, bound by its matrix digest.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CircuitEntry {
    pub name: String,
    pub constraints: u64,
    pub instance_variables: u64,
    pub witness_variables: u64,
    /// `0x` hex of the R1CS matrix digest.
    pub digest: String,
}

/// Where phase 1 started: `fresh` (every point the generator) or `ptau`
/// (imported from a snarkjs `.ptau` file, whose SHA-256 and number of
/// contributions are recorded).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Origin {
    pub kind: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptau_sha256: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptau_power: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ptau_contributions: Option<u32>,
    /// The starting `tau*G1`, `alpha*G1`, `beta*G1` (compressed, hex).
    pub tau_g1: String,
    pub alpha_g1: String,
    pub beta_g1: String,
    /// The state files at the start: name -> `0x` SHA-256.
    pub files: BTreeMap<String, String>,
}

/// One contribution.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Record {
    /// 1, 2, ... in transcript order.
    pub index: u32,
    /// 1 or 2.
    pub phase: u8,
    /// The participant's name (for a beacon: "beacon").
    pub name: String,
    /// Set for the beacon that closes a phase.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub beacon: Option<Beacon>,
    /// The previous record's hash (the first: the start hash).
    pub parent: String,
    /// Each secret's new point and proof of knowledge.
    pub updates: Vec<Update>,
    /// The state files after this contribution: name -> `0x` SHA-256.
    pub files: BTreeMap<String, String>,
    /// SHA-256 of all the above: what the participant publishes.
    pub hash: String,
}

/// A public random beacon: its value (hex) and SHA-256 iterations (2^exp).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Beacon {
    pub value: String,
    pub iterations_exp: u32,
}

/// The new point of one secret (`tau`, `alpha`, `beta`, `delta/<circuit>`)
/// and its proof of knowledge, points compressed in hex.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Update {
    pub label: String,
    pub after: String,
    pub g1_s: String,
    pub g1_sx: String,
    pub g2_spx: String,
}

impl Update {
    pub fn new(label: &str, after: &G1Affine, pok: &Pok) -> Update {
        Update {
            label: label.to_string(),
            after: point_hex(after),
            g1_s: point_hex(&pok.g1_s),
            g1_sx: point_hex(&pok.g1_sx),
            g2_spx: point_hex(&pok.g2_spx),
        }
    }

    /// The new point and the proof, decoded with every check.
    pub fn decode(&self) -> Result<(G1Affine, Pok), String> {
        Ok((
            parse_point(&self.after, "after")?,
            Pok {
                g1_s: parse_point(&self.g1_s, "g1_s")?,
                g1_sx: parse_point(&self.g1_sx, "g1_sx")?,
                g2_spx: parse_point::<G2Affine>(&self.g2_spx, "g2_spx")?,
            },
        ))
    }
}

/// `0x` hex of a compressed point.
pub fn point_hex<T: ark_serialize::CanonicalSerialize>(p: &T) -> String {
    format!("0x{}", hex::encode(compressed(p)))
}

/// A compressed point from hex, checked (on the curve, in the subgroup).
pub fn parse_point<T: CanonicalDeserialize>(text: &str, what: &str) -> Result<T, String> {
    let bytes = hex::decode(text.strip_prefix("0x").unwrap_or(text))
        .map_err(|e| format!("{what} is not hex: {e}"))?;
    T::deserialize_compressed(&bytes[..]).map_err(|e| format!("{what} is not a valid point: {e}"))
}

/// `0x` hex of a hash.
pub fn hash_hex(h: &[u8; 32]) -> String {
    format!("0x{}", hex::encode(h))
}

/// A hash from `0x` hex.
pub fn parse_hash(text: &str) -> Option<[u8; 32]> {
    let mut out = [0u8; 32];
    hex::decode_to_slice(text.strip_prefix("0x")?, &mut out).ok()?;
    Some(out)
}

/// SHA-256 over length-prefixed fields.
struct Fields(Sha256);

impl Fields {
    fn new(domain: &str) -> Fields {
        let mut f = Fields(Sha256::new());
        f.put(domain.as_bytes());
        f
    }
    fn put(&mut self, bytes: &[u8]) -> &mut Fields {
        self.0.update((bytes.len() as u64).to_le_bytes());
        self.0.update(bytes);
        self
    }
    fn files(&mut self, files: &BTreeMap<String, String>) -> &mut Fields {
        self.put(&(files.len() as u64).to_le_bytes());
        for (name, hash) in files {
            self.put(name.as_bytes()).put(hash.as_bytes());
        }
        self
    }
    fn done(self) -> [u8; 32] {
        self.0.finalize().into()
    }
}

impl CircuitEntry {
    pub fn of(target: &Target) -> CircuitEntry {
        CircuitEntry {
            name: target.name.to_string(),
            constraints: target.info.constraints as u64,
            instance_variables: target.info.instance_variables as u64,
            witness_variables: target.info.witness_variables as u64,
            digest: hash_hex(&target.info.digest),
        }
    }
}

impl Transcript {
    /// The hash of the header (format, power, circuits, origin).
    pub fn compute_start_hash(&self) -> [u8; 32] {
        let mut f = Fields::new("zkpension/ceremony/v1/start");
        f.put(self.format.as_bytes())
            .put(&self.power.to_le_bytes())
            .put(&(self.circuits.len() as u64).to_le_bytes());
        for c in &self.circuits {
            f.put(c.name.as_bytes())
                .put(&c.constraints.to_le_bytes())
                .put(&c.instance_variables.to_le_bytes())
                .put(&c.witness_variables.to_le_bytes())
                .put(c.digest.as_bytes());
        }
        let o = &self.origin;
        f.put(o.kind.as_bytes())
            .put(o.ptau_sha256.as_deref().unwrap_or("").as_bytes())
            .put(&o.ptau_power.unwrap_or(0).to_le_bytes())
            .put(&o.ptau_contributions.unwrap_or(0).to_le_bytes())
            .put(o.tau_g1.as_bytes())
            .put(o.alpha_g1.as_bytes())
            .put(o.beta_g1.as_bytes())
            .files(&o.files);
        f.done()
    }

    /// The hash the next contribution links to.
    pub fn head(&self) -> &str {
        match self.contributions.last() {
            Some(r) => &r.hash,
            None => &self.start_hash,
        }
    }

    /// The state files now.
    pub fn files(&self) -> &BTreeMap<String, String> {
        match self.contributions.last() {
            Some(r) => &r.files,
            None => &self.origin.files,
        }
    }

    /// Where the ceremony stands.
    pub fn stage(&self) -> Stage {
        match self.contributions.iter().rev().find(|r| r.beacon.is_some()) {
            None => Stage::Phase1,
            Some(r) if r.phase == 1 => Stage::Phase2,
            Some(_) => Stage::Closed,
        }
    }
}

/// Where a ceremony stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Accepting phase-1 contributions.
    Phase1,
    /// Phase 1 closed by its beacon; accepting phase-2 contributions.
    Phase2,
    /// Phase 2 closed by its beacon; the keys are final.
    Closed,
}

impl Record {
    /// The hash of everything in the record but `hash`.
    pub fn compute_hash(&self) -> [u8; 32] {
        let mut f = Fields::new("zkpension/ceremony/v1/contribution");
        f.put(self.parent.as_bytes())
            .put(&self.index.to_le_bytes())
            .put(&[self.phase])
            .put(self.name.as_bytes());
        match &self.beacon {
            Some(b) => f
                .put(b"beacon")
                .put(b.value.as_bytes())
                .put(&b.iterations_exp.to_le_bytes()),
            None => f.put(b"participant"),
        };
        f.put(&(self.updates.len() as u64).to_le_bytes());
        for u in &self.updates {
            f.put(u.label.as_bytes())
                .put(u.after.as_bytes())
                .put(u.g1_s.as_bytes())
                .put(u.g1_sx.as_bytes())
                .put(u.g2_spx.as_bytes());
        }
        f.files(&self.files);
        f.done()
    }

    /// Who and where, for error messages: `contribution #3 "alice" (phase 1)`.
    pub fn place(&self) -> String {
        format!(
            "contribution #{} {:?} (phase {})",
            self.index, self.name, self.phase
        )
    }
}
