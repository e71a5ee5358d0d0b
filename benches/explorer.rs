//! The explorer's pages on a node with 100,000 blocks (10,000 epochs): the
//! home page (head, totals, the chart over every epoch, the latest blocks),
//! a block page in the middle of the chain and the older-blocks page, each
//! as one HTTP request to a running node; `/v1/status` is the baseline (the
//! cheapest JSON answer, same connection handling).
//!
//! The chain (one enrollment per block, the epoch advanced every tenth
//! block) is written once into `target/bench-data/explorer-100000-layout2`
//! (named after the database layout, so a layout change writes it again) and
//! reused; the time the node takes to start on it is printed.
//!
//! `cargo bench --bench explorer`

use criterion::{criterion_group, criterion_main, Criterion};
use ed25519_dalek::SigningKey;
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use zkpension_circuits::values::NoteCommitment;
use zkpension_core::tx::{AdvanceEpoch, Enroll};
use zkpension_core::{Params, Transaction};
use zkpension_ledger::store::Store;
use zkpension_ledger::{Node, NodeConfig};
use zkpension_verifier::Fr;

#[allow(dead_code)] // the trapdoors serve the benches that prove
mod support;

const EPOCH_EVERY: u64 = 10;

/// 100,000 blocks under `cargo bench`; 500 in the test suite's smoke run.
fn blocks() -> u64 {
    if support::measuring() {
        100_000
    } else {
        500
    }
}

fn data_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("target/bench-data/explorer-{}-layout2", blocks()))
}

fn build(chain: &support::BenchChain, dir: &Path) {
    let registrar = SigningKey::from_bytes(&[1; 32]);
    let authority = SigningKey::from_bytes(&[2; 32]);
    let chain_id = chain.genesis.chain_id;
    let tmp = dir.with_extension(format!("partial-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&tmp);
    std::fs::create_dir_all(&tmp).expect("bench data dir");
    let (store, mut state) =
        Store::open(&tmp.join("ledger.redb"), &chain.genesis).expect("new store");
    let mut rng = ChaCha20Rng::seed_from_u64(9);
    let started = Instant::now();
    let (mut epoch, mut nonce) = (1u64, 0u64);
    for h in 1..=blocks() {
        let tx: Transaction = if h % EPOCH_EVERY == 0 {
            epoch += 1;
            nonce += 1;
            AdvanceEpoch::sign(&chain_id, epoch, nonce - 1, &authority).into()
        } else {
            Enroll::sign(&chain_id, NoteCommitment::from(Fr::from(h)), &registrar).into()
        };
        let plan = state.propose(vec![tx], &chain.keys, &mut rng);
        assert_eq!(
            plan.block.transactions.len(),
            1,
            "block {h}: {:?}",
            plan.rejected
        );
        store.write_block(&plan, &[]).expect("write");
        state.commit(&plan).expect("commit");
        if h % 10_000 == 0 {
            eprintln!(
                "explorer bench: wrote {h} of {} blocks ({:.0} s)",
                blocks(),
                started.elapsed().as_secs_f64()
            );
        }
    }
    drop(store);
    std::fs::rename(&tmp, dir).expect("rename the bench data dir");
}

fn get(url: &str) -> usize {
    let body = ureq::get(url)
        .call()
        .expect("200")
        .into_string()
        .expect("text");
    body.len()
}

/// A node on the bench chain: the measuring run's chain is written once
/// under `target/bench-data` and reused; the smoke run's goes to a temporary
/// directory of its own.
fn start_node() -> (Node, Option<tempfile::TempDir>) {
    let mut rng = ChaCha20Rng::seed_from_u64(0xe3);
    let chain = support::BenchChain::new(
        &mut rng,
        Params {
            cap: 100_000,
            min_periods: 1,
            divisor: 240,
        },
        256,
    );
    let (dir, tmp) = if support::measuring() {
        (data_dir(), None)
    } else {
        let tmp = tempfile::tempdir().expect("temp dir");
        (tmp.path().join("chain"), Some(tmp))
    };
    if !dir.join("ledger.redb").exists() {
        build(&chain, &dir);
    }
    let keys = dir.join("keys");
    chain.write_keys(&keys);
    let mut config = NodeConfig::new(dir.clone(), chain.genesis.clone(), keys);
    config.listen = "127.0.0.1:0".parse().expect("addr");
    let started = Instant::now();
    let node = Node::start(config).expect("node on the bench chain");
    eprintln!(
        "explorer bench: node started on {} blocks in {:.1} s",
        blocks(),
        started.elapsed().as_secs_f64()
    );
    (node, tmp)
}

fn explorer(c: &mut Criterion) {
    // Started on first use: listing the benchmarks builds no chain.
    let node = std::cell::OnceCell::new();
    let url = || node.get_or_init(start_node).0.url();
    let mut group = c.benchmark_group("explorer");
    group.sample_size(30);
    group.measurement_time(Duration::from_secs(5));
    for (name, path) in [
        ("status_json_baseline", "/v1/status".to_string()),
        ("home", "/explorer".to_string()),
        ("block_middle", format!("/explorer/block/{}", blocks() / 2)),
        (
            "blocks_older",
            format!("/explorer/blocks?to={}", blocks() / 2),
        ),
    ] {
        group.bench_function(name, |b| {
            let full = format!("{}{path}", url());
            assert!(get(&full) > 0);
            b.iter(|| get(&full))
        });
    }
    group.finish();
    if let Some((node, _tmp)) = node.into_inner() {
        node.shutdown().expect("shutdown");
    }
}

criterion_group!(benches, explorer);
criterion_main!(benches);
