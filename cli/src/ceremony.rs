//! `zkpension ceremony`: a multi-party setup ceremony for the Groth16 keys
//! (init, contribute, verify, next-phase, finalize).

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use zkpension_prover::ceremony::{self, CeremonyError, Record, Start, Target};

use crate::output::{Output, Rejected, Usage};
use crate::progress::step;

/// The trust model, in two sentences, for every subcommand's help.
const TRUST: &str = "\
TRUST: the keys are safe if at least one participant of each phase was honest,
that is, contributed fresh randomness and let it be wiped (this command wipes its
secret from memory after use). `ceremony verify` lets anyone check that every
contribution is included and every point consistent, but no check can show that
a secret was destroyed, so a deployment wants many independent participants.";

const ABOUT: &str = "\
Run a multi-party setup ceremony for the Groth16 keys of contribute, claim and attest.

Phase 1 (powers of tau, fresh or imported from a snarkjs .ptau file) and phase 2
(one delta per statement) each take contributions from participants in turn;
a public random beacon closes each phase. The ceremony directory travels from
participant to participant: each runs `contribute` on it and passes it on, and
publishes the contribution hash elsewhere. `finalize` writes a normal key
directory whose manifest records the transcript hash.";

/// Run a multi-party setup ceremony (see --help).
#[derive(clap::Subcommand, Debug)]
#[command(long_about = format!("{ABOUT}\n\n{TRUST}"), after_help = EXAMPLES)]
pub enum Command {
    Init(InitArgs),
    Contribute(ContributeArgs),
    Verify(VerifyArgs),
    NextPhase(BeaconArgs),
    Finalize(FinalizeArgs),
}

const EXAMPLES: &str = "\
Examples:
  zkpension ceremony init --out ceremony
  zkpension ceremony contribute --dir ceremony --name alice
  zkpension ceremony next-phase --dir ceremony --beacon <block hash>
  zkpension ceremony contribute --dir ceremony --name bob
  zkpension ceremony finalize --dir ceremony --beacon <block hash> --out keys
  zkpension ceremony verify --dir ceremony --keys keys";

/// The CLI's smallest phase 1: 2^15 powers.
pub const MIN_POWER: u32 = 15;

/// Start a ceremony directory for this build's statements.
#[derive(clap::Args, Debug)]
#[command(long_about = format!("Start a ceremony directory for this build's statements (bound to each \
circuit's constraint digest). Phase 1 starts fresh at 2^POWER powers, or from a snarkjs / Perpetual \
Powers of Tau .ptau file (powersoftau format), whose consistency is checked on import.\n\n{TRUST}"))]
pub struct InitArgs {
    /// The new ceremony directory (must be empty or missing)
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Start phase 1 from this snarkjs .ptau file instead of fresh
    #[arg(long, value_name = "FILE")]
    ptau: Option<PathBuf>,
    /// Phase 1 holds 2^POWER powers (at least 15; with --ptau, at most the file's)
    #[arg(long, value_name = "POWER", default_value_t = MIN_POWER)]
    power: u32,
}

/// Add your contribution to the current phase.
#[derive(clap::Args, Debug)]
#[command(long_about = format!("Add one contribution to the current phase: fresh OS randomness (mixed \
with --entropy), applied to the ceremony's state, with a proof of knowledge linking it to the previous \
state. Prints the contribution hash: publish it elsewhere, and check later with `ceremony verify` that \
the final transcript includes it. The directory is changed only when the contribution is complete.\n\n{TRUST}"))]
pub struct ContributeArgs {
    /// The ceremony directory
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Your name, as the transcript will show it
    #[arg(long, value_name = "TEXT")]
    name: String,
    /// Extra entropy mixed with the OS randomness (e.g. typed at random)
    #[arg(long, value_name = "TEXT")]
    entropy: Option<String>,
}

/// Check the whole transcript.
#[derive(clap::Args, Debug)]
#[command(long_about = format!("Check the whole transcript from its start: every contribution's proof \
of knowledge and its link to the previous one, the beacons, the consistency of all points (random \
linear combinations with full-size scalars, one pairing check each), that nothing else changed, no \
identity points, and every point in its group. Prints each contribution's name and hash and the \
transcript hash. With --keys, also checks that a key directory is the ceremony's result.\n\n{TRUST}"))]
pub struct VerifyArgs {
    /// The ceremony directory
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// Also check that this key directory holds the ceremony's final keys
    #[arg(long, value_name = "DIR")]
    keys: Option<PathBuf>,
}

/// Close phase 1 with a public random beacon and start phase 2.
#[derive(clap::Args, Debug)]
#[command(long_about = format!("Close phase 1 with a public random beacon (a value nobody could know \
in advance, such as a future block hash; SHA-256 iterated 2^EXP times, as snarkjs' beacon) and derive \
each statement's phase-2 starting keys from the powers of tau (gamma = delta = 1).\n\n{TRUST}"))]
pub struct BeaconArgs {
    /// The ceremony directory
    #[arg(long, value_name = "DIR")]
    dir: PathBuf,
    /// The beacon, hex
    #[arg(long, value_name = "HEX", value_parser = parse_hex)]
    beacon: HexBytes,
    /// SHA-256 iterations of the beacon: 2^EXP
    #[arg(long, value_name = "EXP", default_value_t = 10,
          value_parser = clap::value_parser!(u32).range(0..=40))]
    iterations_exp: u32,
}

/// Close phase 2 with a beacon and write the key directory.
#[derive(clap::Args, Debug)]
#[command(long_about = format!("Close phase 2 with a public random beacon (as next-phase) and write a \
normal key directory whose manifest says setup \"ceremony\" and records the transcript hash and the \
number of contributions. On a finalized ceremony, writes the key directory again.\n\n{TRUST}"))]
pub struct FinalizeArgs {
    #[command(flatten)]
    beacon: BeaconArgs,
    /// The key directory to write
    #[arg(long, value_name = "DIR")]
    out: PathBuf,
    /// Replace keys already in the key directory
    #[arg(long)]
    force: bool,
}

/// Bytes given in hex on the command line.
#[derive(Clone, Debug)]
pub struct HexBytes(Vec<u8>);

fn parse_hex(s: &str) -> Result<HexBytes, String> {
    let digits = s.strip_prefix("0x").unwrap_or(s);
    let bytes = hex::decode(digits).map_err(|e| format!("not hex: {e}"))?;
    if bytes.is_empty() {
        return Err("the beacon is empty".into());
    }
    Ok(HexBytes(bytes))
}

/// A refusal exits with 1, anything else with 3.
fn exit_class(e: CeremonyError) -> anyhow::Error {
    if e.is_refusal() {
        anyhow::Error::new(Rejected(e.to_string()))
    } else {
        anyhow::Error::new(e)
    }
}

fn targets() -> anyhow::Result<Vec<Target<'static>>> {
    Ok(ceremony::statement_targets()?)
}

pub fn run(cmd: Command, out: &Output) -> anyhow::Result<()> {
    match cmd {
        Command::Init(a) => init(a, out),
        Command::Contribute(a) => contribute(a, out),
        Command::Verify(a) => verify(a, out),
        Command::NextPhase(a) => next_phase(a, out),
        Command::Finalize(a) => finalize(a, out),
    }
}

fn init(a: InitArgs, out: &Output) -> anyhow::Result<()> {
    let t = targets()?;
    if a.power < MIN_POWER || a.power > ceremony::MAX_POWER {
        return Err(Usage(format!(
            "--power must be between {MIN_POWER} and {}",
            ceremony::MAX_POWER
        ))
        .into());
    }
    let start = match &a.ptau {
        None => Start::Fresh(a.power),
        Some(path) => {
            out.note(&format!(
                "importing {} and checking its consistency...",
                path.display()
            ));
            ceremony::import_ptau(path, a.power).map_err(exit_class)?
        }
    };
    let transcript = ceremony::init(&a.out, &t, start).map_err(exit_class)?;
    out.note(&format!("started a ceremony in {}", a.out.display()));
    if out.json {
        return out.print_json(&serde_json::json!({
            "dir": a.out,
            "power": transcript.power,
            "origin": transcript.origin,
            "start_hash": transcript.start_hash,
        }));
    }
    crate::outln!("power       2^{}", transcript.power);
    crate::outln!("origin      {}", transcript.origin.kind);
    crate::outln!("start hash  {}", transcript.start_hash);
    Ok(())
}

fn print_record(out: &Output, r: &Record, seconds: f64) -> anyhow::Result<()> {
    if out.json {
        return out.print_json(&serde_json::json!({
            "index": r.index,
            "phase": r.phase,
            "name": r.name,
            "beacon": r.beacon,
            "hash": r.hash,
            "seconds": seconds,
        }));
    }
    crate::outln!(
        "contribution #{} (phase {}) by {:?}",
        r.index,
        r.phase,
        r.name
    );
    crate::outln!("hash  {}", r.hash);
    Ok(())
}

fn contribute(a: ContributeArgs, out: &Output) -> anyhow::Result<()> {
    let t = targets()?;
    let started = Instant::now();
    let r = step(
        out,
        "contributing (the secret never leaves memory and is wiped after use)",
        || ceremony::contribute(&a.dir, &t, &a.name, a.entropy.as_deref().map(str::as_bytes)),
    )
    .map_err(exit_class)
    .with_context(|| format!("contributing to {}", a.dir.display()))?;
    out.note(&format!(
        "done in {:.1} s; publish the hash below, then pass the directory on",
        started.elapsed().as_secs_f64()
    ));
    print_record(out, &r, started.elapsed().as_secs_f64())
}

fn next_phase(a: BeaconArgs, out: &Output) -> anyhow::Result<()> {
    let t = targets()?;
    let started = Instant::now();
    let r = step(
        out,
        "closing phase 1 with the beacon and deriving the phase-2 keys",
        || ceremony::next_phase(&a.dir, &t, &a.beacon.0, a.iterations_exp),
    )
    .map_err(exit_class)
    .with_context(|| format!("next phase of {}", a.dir.display()))?;
    print_record(out, &r, started.elapsed().as_secs_f64())
}

fn finalize(a: FinalizeArgs, out: &Output) -> anyhow::Result<()> {
    let t = targets()?;
    let dir = &a.beacon.dir;
    let started = Instant::now();
    let transcript = ceremony::read_transcript(dir, &t).map_err(exit_class)?;
    let record = if transcript.stage() == ceremony::Stage::Closed {
        out.note("the ceremony is already finalized; writing its keys");
        transcript
            .contributions
            .last()
            .cloned()
            .expect("a closed ceremony has records")
    } else {
        step(out, "closing phase 2 with the beacon", || {
            ceremony::finalize(dir, &t, &a.beacon.beacon.0, a.beacon.iterations_exp)
        })
        .map_err(exit_class)
        .with_context(|| format!("finalizing {}", dir.display()))?
    };
    let manifest = step(out, "writing the key directory", || {
        ceremony::export_keys(dir, &t, &a.out, a.force)
    })
    .map_err(exit_class)
    .with_context(|| format!("writing keys to {}", a.out.display()))?;
    out.note(&format!(
        "wrote keys to {} in {:.1} s",
        a.out.display(),
        started.elapsed().as_secs_f64()
    ));
    if out.json {
        return out.print_json(&serde_json::json!({
            "hash": record.hash,
            "keys": a.out,
            "manifest": manifest,
        }));
    }
    crate::outln!("transcript hash  {}", record.hash);
    crate::outln!("keys             {}", a.out.display());
    Ok(())
}

fn verify(a: VerifyArgs, out: &Output) -> anyhow::Result<()> {
    let t = targets()?;
    let started = Instant::now();
    let report = step(out, "verifying the transcript", || {
        ceremony::verify(&a.dir, &t)
    })
    .map_err(exit_class)?;
    if let Some(keys) = &a.keys {
        step(out, "checking the key directory against it", || {
            ceremony::check_key_dir(&a.dir, &t, &report, keys)
        })
        .map_err(exit_class)?;
    }
    out.note(&format!(
        "verified in {:.1} s",
        started.elapsed().as_secs_f64()
    ));
    if out.json {
        let mut v = serde_json::to_value(&report)?;
        v["valid"] = true.into();
        if let Some(keys) = &a.keys {
            v["keys"] = serde_json::json!(keys);
        }
        return out.print_json(&v);
    }
    crate::outln!("power   2^{} ({})", report.power, report.origin);
    for e in &report.contributions {
        let kind = if e.beacon { " [beacon]" } else { "" };
        crate::outln!(
            "#{:<3} phase {}  {}  {:?}{kind}",
            e.index,
            e.phase,
            e.hash,
            e.name
        );
    }
    crate::outln!("stage            {:?}", report.stage);
    crate::outln!("transcript hash  {}", report.transcript_hash);
    if let Some(keys) = &a.keys {
        crate::outln!(
            "keys             {} are the ceremony's final keys",
            keys.display()
        );
    }
    Ok(())
}
