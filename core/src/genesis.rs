//! Genesis: the chain's fixed configuration, and the parameters.
//!
//! JSON:
//!
//! ```json
//! {
//!   "chain_id": "0x<32 bytes>",
//!   "registrar": "0x<Ed25519 public key>",
//!   "authority": "0x<Ed25519 public key>",
//!   "params": { "cap": 100000, "min_periods": 1, "divisor": 240, "anchor_window": 256 },
//!   "initial_epoch": 1,
//!   "verifying_keys": { "contribute": "0x..", "claim": "0x..", "attest": "0x.." }
//! }
//! ```
//!
//! The genesis hash is `SHA-256` of its canonical encoding (see
//! [`Genesis::encode`]); block 1's `prev_hash` is the genesis hash, so every
//! header commits to the genesis.

use crate::codec::Writer;
use crate::governance::{Governance, GovernanceError};
use crate::hexbytes::{FixedBytes, Hash32, PublicKeyBytes};
use crate::params::{Params, ParamsError};
use crate::subsidy::{Subsidy, SubsidyError, SubsidyRules};
use ed25519_dalek::VerifyingKey as Ed25519Key;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::BTreeMap;
use thiserror::Error;
use zkpension_circuits::binding::ChainId;
use zkpension_circuits::Statement;

/// Default number of recent tree roots accepted as anchors (SPEC §3).
pub const DEFAULT_ANCHOR_WINDOW: u64 = 256;
/// Largest anchor window a genesis may choose.
pub const MAX_ANCHOR_WINDOW: u64 = 1 << 16;
/// Domain of the genesis hash.
pub const GENESIS_DOMAIN: &[u8] = b"zkpension/v1/genesis";

/// Genesis parameters: the initial [`Params`] and the fixed anchor window.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GenesisParams {
    pub cap: u64,
    pub min_periods: u64,
    pub divisor: u64,
    #[serde(default = "default_anchor_window")]
    pub anchor_window: u64,
}

fn default_anchor_window() -> u64 {
    DEFAULT_ANCHOR_WINDOW
}

fn default_initial_epoch() -> u64 {
    1
}

impl GenesisParams {
    pub fn params(&self) -> Params {
        Params {
            cap: self.cap,
            min_periods: self.min_periods,
            divisor: self.divisor,
        }
    }
}

/// The chain's genesis.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Genesis {
    pub chain_id: ChainId,
    /// Ed25519 public key that signs enrollments.
    pub registrar: PublicKeyBytes,
    /// Ed25519 public key that signs AdvanceEpoch and SetParams.
    pub authority: PublicKeyBytes,
    pub params: GenesisParams,
    #[serde(default = "default_initial_epoch")]
    pub initial_epoch: u64,
    /// The id of each statement's verifying key (`VerifierKeys::ids()`); a node
    /// refuses to start with other keys.
    pub verifying_keys: BTreeMap<Statement, Hash32>,
    /// X25519 public key of the fund's paying agent. When present, claims'
    /// recipients and contributions' payment references are carried only
    /// sealed to it ([`crate::sealed`]; protocol version 2).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub paying_agent: Option<PublicKeyBytes>,
    /// The transcript hash of the multi-party setup ceremony that made the
    /// verifying keys (`zkpension ceremony`, the key manifest's
    /// `ceremony.transcript_hash`). Absent: the keys come from a single-party
    /// setup, whose maker could forge proofs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ceremony: Option<Hash32>,
    /// Parameter bounds, steps and delay, and the signer groups behind the
    /// authority's and the registrar's keys ([`crate::governance`]).
    /// Absent: [`Governance::unbounded`], version 1's rule.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub governance: Option<Governance>,
    /// The subsidy pool's match rate and funders ([`crate::subsidy`]).
    /// Absent: no subsidy, every contribution's match is 0.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subsidy: Option<Subsidy>,
    /// Epochs without an action by a member after which the heir the
    /// member named may inherit the account (SPEC §4 Inherit). Absent: no
    /// inheritance on this chain, every Inherit is refused.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dormancy: Option<u64>,
}

/// Largest `dormancy` a genesis may choose.
pub const MAX_DORMANCY: u64 = 1_000_000;

/// A genesis that cannot start a chain.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum GenesisError {
    #[error("{which} key is not a valid Ed25519 public key")]
    BadKey { which: &'static str },
    #[error("{which} key is a weak (small-order) Ed25519 key")]
    WeakKey { which: &'static str },
    #[error("parameters: {0}")]
    Params(#[from] ParamsError),
    #[error("anchor_window must be between 1 and {MAX_ANCHOR_WINDOW}, got {0}")]
    AnchorWindow(u64),
    #[error("initial_epoch must be at least 1 (epochs are numbered from 1)")]
    InitialEpoch,
    #[error("verifying_keys lacks the {0} statement")]
    MissingKey(Statement),
    #[error("paying_agent is the all-zero X25519 key")]
    ZeroAgentKey,
    #[error("governance: {0}")]
    Governance(#[from] GovernanceError),
    #[error("subsidy: {0}")]
    Subsidy(#[from] SubsidyError),
    #[error("dormancy must be between 1 and {MAX_DORMANCY} epochs, got {0}")]
    Dormancy(u64),
}

/// The parts of genesis every check needs, decoded once.
#[derive(Clone, Debug)]
pub struct ChainContext {
    pub chain_id: ChainId,
    pub registrar: Ed25519Key,
    pub authority: Ed25519Key,
    pub genesis_hash: Hash32,
    /// The paying agent's X25519 key: payout details must be sealed to it.
    pub paying_agent: Option<[u8; 32]>,
    /// The rules for parameter changes ([`Genesis::governance_rules`]).
    pub governance: Governance,
    /// Shared: every block's delta holds it.
    pub subsidy: Option<std::sync::Arc<SubsidyRules>>,
    /// Epochs of dormancy before an heir may inherit; `None`: no inheritance.
    pub dormancy: Option<u64>,
}

fn decode_key(bytes: &PublicKeyBytes, which: &'static str) -> Result<Ed25519Key, GenesisError> {
    let key = Ed25519Key::from_bytes(&bytes.0).map_err(|_| GenesisError::BadKey { which })?;
    if key.is_weak() {
        return Err(GenesisError::WeakKey { which });
    }
    Ok(key)
}

impl Genesis {
    /// Checks keys, parameters and the key ids; returns the decoded context.
    pub fn validate(&self) -> Result<ChainContext, GenesisError> {
        let registrar = decode_key(&self.registrar, "registrar")?;
        let authority = decode_key(&self.authority, "authority")?;
        self.params.params().validate()?;
        if !(1..=MAX_ANCHOR_WINDOW).contains(&self.params.anchor_window) {
            return Err(GenesisError::AnchorWindow(self.params.anchor_window));
        }
        if self.initial_epoch == 0 {
            return Err(GenesisError::InitialEpoch);
        }
        for s in Statement::ALL {
            if !self.verifying_keys.contains_key(&s) {
                return Err(GenesisError::MissingKey(s));
            }
        }
        if self.paying_agent.is_some_and(|k| k.0 == [0; 32]) {
            return Err(GenesisError::ZeroAgentKey);
        }
        if let Some(d) = self.dormancy.filter(|d| !(1..=MAX_DORMANCY).contains(d)) {
            return Err(GenesisError::Dormancy(d));
        }
        let governance = self.governance_rules();
        governance.validate(&self.params.params())?;
        let subsidy = self
            .subsidy
            .as_ref()
            .map(|s| s.validate().map(std::sync::Arc::new))
            .transpose()?;
        Ok(ChainContext {
            chain_id: self.chain_id,
            registrar,
            authority,
            genesis_hash: self.hash(),
            paying_agent: self.paying_agent.map(|k| k.0),
            governance,
            subsidy,
            dormancy: self.dormancy,
        })
    }

    /// The governance section, or version 1's unbounded rule without one.
    pub fn governance_rules(&self) -> Governance {
        self.governance.unwrap_or_else(Governance::unbounded)
    }

    /// The canonical encoding: `"zkpension/v1/genesis" || version (1) ||
    /// chain_id || registrar || authority || cap || min_periods || divisor ||
    /// anchor_window || initial_epoch || count (u32) || (statement name as
    /// length-prefixed bytes || key id) for each statement in name order`;
    /// with a paying agent, version 2 and its key appended (a genesis
    /// without one encodes, and hashes, as before). With a ceremony
    /// transcript hash, version 3: after the key ids, a byte 1 or 0 for
    /// whether a paying agent follows, its key if so, then the transcript
    /// hash (a genesis without one encodes as version 1 or 2). With a
    /// governance section, version 4: as version 3, then a byte 1 or 0 for
    /// whether a transcript hash follows, the hash if so, and the section
    /// (min_delay, then min, max and max_step_percent of cap, min_periods
    /// and divisor, then threshold and signers of the authority's and the
    /// registrar's groups as u32s). With a subsidy section, version 5: as
    /// version 4, then a byte 1 or 0 for whether the governance section
    /// follows, the section if so, then the subsidy section (match_rate,
    /// the number of funders as a u32, then each funder's name as
    /// length-prefixed bytes and its key). With a dormancy, version 6: as
    /// version 5, then a byte 1 or 0 for whether the subsidy section
    /// follows, the section if so, then `dormancy`.
    pub fn encode(&self) -> Vec<u8> {
        let version = match (
            self.dormancy.is_some(),
            self.subsidy.is_some(),
            self.governance.is_some(),
            self.paying_agent.is_some(),
            self.ceremony.is_some(),
        ) {
            (true, _, _, _, _) => 6,
            (false, true, _, _, _) => 5,
            (false, false, true, _, _) => 4,
            (false, false, false, _, true) => 3,
            (false, false, false, true, false) => 2,
            (false, false, false, false, false) => 1,
        };
        let mut w = Writer::with_prefix(GENESIS_DOMAIN);
        w.u8(version)
            .raw(&self.chain_id.0)
            .raw(&self.registrar.0)
            .raw(&self.authority.0)
            .u64(self.params.cap)
            .u64(self.params.min_periods)
            .u64(self.params.divisor)
            .u64(self.params.anchor_window)
            .u64(self.initial_epoch)
            .u32(self.verifying_keys.len() as u32);
        let mut by_name: Vec<_> = self.verifying_keys.iter().collect();
        by_name.sort_by_key(|(s, _)| s.name());
        for (s, id) in by_name {
            w.var_bytes(s.name().as_bytes()).raw(&id.0);
        }
        if version >= 3 {
            w.u8(u8::from(self.paying_agent.is_some()));
        }
        if let Some(agent) = &self.paying_agent {
            w.raw(&agent.0);
        }
        if version >= 4 {
            w.u8(u8::from(self.ceremony.is_some()));
        }
        if let Some(transcript) = &self.ceremony {
            w.raw(&transcript.0);
        }
        if version >= 5 {
            w.u8(u8::from(self.governance.is_some()));
        }
        if let Some(g) = &self.governance {
            g.write(&mut w);
        }
        if version >= 6 {
            w.u8(u8::from(self.subsidy.is_some()));
        }
        if let Some(s) = &self.subsidy {
            s.write(&mut w);
        }
        if let Some(d) = self.dormancy {
            w.u64(d);
        }
        w.into_bytes()
    }

    /// `SHA-256(encode())`.
    pub fn hash(&self) -> Hash32 {
        FixedBytes(Sha256::digest(self.encode()).into())
    }

    /// Reads and validates a genesis JSON file.
    pub fn from_json(text: &str) -> Result<Self, serde_json::Error> {
        serde_json::from_str(text)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ed25519_dalek::SigningKey;

    pub(crate) fn sample() -> Genesis {
        let reg = SigningKey::from_bytes(&[1; 32]).verifying_key();
        let auth = SigningKey::from_bytes(&[2; 32]).verifying_key();
        Genesis {
            chain_id: ChainId::from_name("test"),
            registrar: FixedBytes(reg.to_bytes()),
            authority: FixedBytes(auth.to_bytes()),
            params: GenesisParams {
                cap: 1000,
                min_periods: 2,
                divisor: 10,
                anchor_window: 4,
            },
            initial_epoch: 1,
            verifying_keys: Statement::ALL
                .iter()
                .enumerate()
                .map(|(i, s)| (*s, FixedBytes([i as u8; 32])))
                .collect(),
            paying_agent: None,
            ceremony: None,
            governance: None,
            subsidy: None,
            dormancy: None,
        }
    }

    #[test]
    fn json_round_trip_defaults_and_hash() {
        let g = sample();
        let json = serde_json::to_string_pretty(&g).unwrap();
        assert_eq!(Genesis::from_json(&json).unwrap(), g);
        let ctx = g.validate().unwrap();
        assert_eq!(ctx.genesis_hash, g.hash());
        // Defaults.
        let v: serde_json::Value = serde_json::from_str(&json).unwrap();
        let mut v2 = v.clone();
        v2["params"]
            .as_object_mut()
            .unwrap()
            .remove("anchor_window");
        v2.as_object_mut().unwrap().remove("initial_epoch");
        let g2: Genesis = serde_json::from_value(v2).unwrap();
        assert_eq!(g2.params.anchor_window, DEFAULT_ANCHOR_WINDOW);
        assert_eq!(g2.initial_epoch, 1);
        assert_ne!(g2.hash(), g.hash());
        // Every field changes the hash.
        let mut g3 = g.clone();
        g3.params.divisor += 1;
        assert_ne!(g3.hash(), g.hash());
        let mut g4 = g.clone();
        g4.verifying_keys
            .insert(Statement::Claim, FixedBytes([9; 32]));
        assert_ne!(g4.hash(), g.hash());
        // A paying agent is encoded as version 2 and changes the hash; a
        // genesis without one keeps its version 1 encoding.
        assert_eq!(g.encode()[GENESIS_DOMAIN.len()], 1);
        let mut g5 = g.clone();
        g5.paying_agent = Some(FixedBytes([7; 32]));
        assert_eq!(g5.encode()[GENESIS_DOMAIN.len()], 2);
        assert_ne!(g5.hash(), g.hash());
        let json5 = serde_json::to_string(&g5).unwrap();
        assert_eq!(Genesis::from_json(&json5).unwrap(), g5);
        assert!(!json.contains("paying_agent"));
        assert_eq!(g5.validate().unwrap().paying_agent, Some([7; 32]));
        g5.paying_agent = Some(FixedBytes([0; 32]));
        assert_eq!(g5.validate().unwrap_err(), GenesisError::ZeroAgentKey);
    }

    #[test]
    fn validation_refuses() {
        let mut g = sample();
        g.params.divisor = 0;
        assert_eq!(
            g.validate().unwrap_err(),
            GenesisError::Params(ParamsError::ZeroDivisor)
        );
        let mut g = sample();
        g.params.anchor_window = 0;
        assert_eq!(g.validate().unwrap_err(), GenesisError::AnchorWindow(0));
        let mut g = sample();
        g.initial_epoch = 0;
        assert_eq!(g.validate().unwrap_err(), GenesisError::InitialEpoch);
        let mut g = sample();
        g.verifying_keys.remove(&Statement::Attest);
        assert_eq!(
            g.validate().unwrap_err(),
            GenesisError::MissingKey(Statement::Attest)
        );
        let mut g = sample();
        // The identity point is a small-order key.
        let mut id = [0u8; 32];
        id[0] = 1;
        g.authority = FixedBytes(id);
        assert!(matches!(
            g.validate().unwrap_err(),
            GenesisError::WeakKey { which: "authority" }
        ));
    }

    #[test]
    fn a_governance_section_is_version_4_and_changes_the_hash() {
        let g = sample();
        let mut v = g.clone();
        v.governance = Some(Governance::defaults_for(&g.params.params()));
        assert_eq!(v.encode()[GENESIS_DOMAIN.len()], 4);
        assert_ne!(v.hash(), g.hash());
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(Genesis::from_json(&json).unwrap(), v);
        assert_eq!(v.validate().unwrap().governance, v.governance.unwrap());
        // Every governance field is in the hash.
        let mut w = v.clone();
        w.governance.as_mut().unwrap().bounds.cap.max_step_percent += 1;
        assert_ne!(w.hash(), v.hash());
        let mut w = v.clone();
        w.governance.as_mut().unwrap().authority_group.signers += 1;
        assert_ne!(w.hash(), v.hash());
        // With and without a ceremony transcript.
        let mut c = v.clone();
        c.ceremony = Some(FixedBytes([9; 32]));
        assert_ne!(c.hash(), v.hash());
        // Without a section: version 1's rule.
        assert_eq!(g.validate().unwrap().governance, Governance::unbounded());
        // A section that does not hold the initial parameters is refused.
        let mut bad = v.clone();
        bad.governance.as_mut().unwrap().bounds.cap.max = 999;
        assert!(matches!(
            bad.validate().unwrap_err(),
            GenesisError::Governance(GovernanceError::InitialOutOfBounds { param: "cap", .. })
        ));
    }

    #[test]
    fn a_ceremony_transcript_changes_the_hash_and_round_trips() {
        let g = sample();
        let mut c = g.clone();
        c.ceremony = Some(FixedBytes([9; 32]));
        assert_ne!(g.hash(), c.hash());
        assert_eq!(c.encode()[GENESIS_DOMAIN.len()], 3);
        let json = serde_json::to_string(&c).unwrap();
        assert!(json.contains("ceremony"));
        assert_eq!(Genesis::from_json(&json).unwrap(), c);
        // With and without a paying agent, the two encode differently.
        let mut ca = c.clone();
        ca.paying_agent = Some(FixedBytes([7; 32]));
        assert_ne!(ca.encode(), c.encode());
        assert!(!serde_json::to_string(&g).unwrap().contains("ceremony"));
    }

    #[test]
    fn a_subsidy_section_is_version_5_and_changes_the_hash() {
        use crate::subsidy::{Funder, SubsidyError};
        let g = sample();
        let mut v = g.clone();
        v.subsidy = Some(Subsidy {
            match_rate: 500,
            funders: vec![Funder {
                name: "state".into(),
                key: g.registrar,
            }],
        });
        assert_eq!(v.encode()[GENESIS_DOMAIN.len()], 5);
        assert_ne!(v.hash(), g.hash());
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(Genesis::from_json(&json).unwrap(), v);
        assert_eq!(v.validate().unwrap().subsidy.unwrap().match_rate, 500);
        // With and without governance, rate and funders: all in the hash.
        let mut w = v.clone();
        w.governance = Some(Governance::defaults_for(&g.params.params()));
        assert_ne!(w.hash(), v.hash());
        let mut w = v.clone();
        w.subsidy.as_mut().unwrap().match_rate += 1;
        assert_ne!(w.hash(), v.hash());
        let mut w = v.clone();
        w.subsidy.as_mut().unwrap().funders[0].name.push('s');
        assert_ne!(w.hash(), v.hash());
        w.subsidy.as_mut().unwrap().match_rate = 0;
        assert_eq!(
            w.validate().unwrap_err(),
            GenesisError::Subsidy(SubsidyError::Rate(0))
        );
        assert!(g.validate().unwrap().subsidy.is_none());
    }

    #[test]
    fn a_dormancy_is_version_6_and_changes_the_hash() {
        let g = sample();
        let mut v = g.clone();
        v.dormancy = Some(24);
        assert_eq!(v.encode()[GENESIS_DOMAIN.len()], 6);
        assert_ne!(v.hash(), g.hash());
        let json = serde_json::to_string(&v).unwrap();
        assert_eq!(Genesis::from_json(&json).unwrap(), v);
        assert!(v.validate().is_ok());
        let mut w = v.clone();
        w.dormancy = Some(25);
        assert_ne!(w.hash(), v.hash());
        // With and without a subsidy section: both in the hash.
        let mut w = v.clone();
        w.subsidy = Some(Subsidy {
            match_rate: 500,
            funders: Vec::new(),
        });
        assert_ne!(w.hash(), v.hash());
        for bad in [0, MAX_DORMANCY + 1] {
            let mut w = v.clone();
            w.dormancy = Some(bad);
            assert_eq!(w.validate().unwrap_err(), GenesisError::Dormancy(bad));
        }
        // Without one, the encoding is the earlier version's.
        assert_eq!(g.encode()[GENESIS_DOMAIN.len()], 1);
    }
}
