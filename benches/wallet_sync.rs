//! Wallet sync over 1,000,000 new commitments: decoding the node's compact
//! blocks (JSON, as served by `GET /v1/compact`), following the tree with the
//! sharded tracker (finding the wallet's note, keeping its shard and the
//! frontier), taking the complete shards' roots and computing the note's
//! Merkle path checked against the header root.
//!
//! The baseline is what a wallet does without shard roots: hash every leaf
//! into its own incremental tree (measured on 100,000 leaves and scaled, see
//! the README).
//!
//! `cargo bench --bench wallet_sync`

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;
use zkpension_circuits::field::Fr;
use zkpension_circuits::replay::PublicChange;
use zkpension_circuits::tree::MerkleTree;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::views::CompactView;
use zkpension_core::views::{CompactBlock, CompactSpend};
use zkpension_core::BlockHeader;
use zkpension_prover::member::TreeTracker;

const PER_BLOCK: usize = 1024;

/// 1,000,000 leaves under `cargo bench`; a small tree when the test suite runs
/// the benchmark once as a smoke test (no `--bench` argument).
fn leaf_count() -> usize {
    if std::env::args().any(|a| a == "--bench") {
        1_000_000
    } else {
        3 * (1 << 12) + 77
    }
}

fn bench(c: &mut Criterion) {
    let n = leaf_count();
    let leaves: Vec<Fr> = (0..n as u64).map(|i| Fr::from(i * 7919 + 11)).collect();
    let mine = leaves[n / 2 + 123];
    let tree = MerkleTree::from_leaves(&leaves).unwrap();
    let root = tree.root();
    // The node's answers: compact blocks as JSON pages of 100 blocks.
    let pages: Vec<Vec<u8>> = leaves
        .chunks(PER_BLOCK * 100)
        .enumerate()
        .map(|(p, page)| {
            let blocks = page
                .chunks(PER_BLOCK)
                .enumerate()
                .map(|(i, cms)| CompactBlock {
                    height: (p * 100 + i + 1) as u64,
                    hash: FixedBytes([0; 32]),
                    header: BlockHeader {
                        height: (p * 100 + i + 1) as u64,
                        prev_hash: FixedBytes([0; 32]),
                        epoch: 1,
                        tx_root: FixedBytes([0; 32]),
                        state_root: FixedBytes([0; 32]),
                    },
                    epoch: 1,
                    tree_root: root,
                    leaf_start: ((p * 100 + i) * PER_BLOCK) as u64,
                    commitments: cms.iter().map(|&x| x.into()).collect(),
                    spends: (0..cms.len() as u32)
                        .map(|out| CompactSpend {
                            nf: cms[out as usize].into(),
                            out,
                            change: PublicChange::Contribute {
                                amount: 100,
                                epoch: 1,
                            },
                        })
                        .collect(),
                })
                .collect::<Vec<_>>();
            serde_json::to_vec(&CompactView {
                from: 0,
                to: 0,
                tip: 0,
                blocks,
            })
            .unwrap()
        })
        .collect();
    let shard_roots = tree.shard_roots(0).to_vec();

    let mut g = c.benchmark_group("wallet_sync");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("sync_1M_commitments_from_json", |b| {
        b.iter(|| {
            let mut t = TreeTracker::new();
            t.watch(mine);
            for page in &pages {
                let view: CompactView = serde_json::from_slice(page).unwrap();
                for block in &view.blocks {
                    let leaves: Vec<Fr> = block.commitments.iter().map(|c| c.to_field()).collect();
                    t.append(block.leaf_start, &leaves).unwrap();
                }
            }
            let missing = t.missing_shard_roots();
            t.add_shard_roots(missing.start, &shard_roots[missing.start as usize..])
                .unwrap();
            t.path(&mine, root, 0).unwrap()
        })
    });
    g.bench_function("sync_1M_commitments_tree_only", |b| {
        b.iter(|| {
            let mut t = TreeTracker::new();
            t.watch(mine);
            for block in leaves.chunks(PER_BLOCK).enumerate() {
                t.append((block.0 * PER_BLOCK) as u64, block.1).unwrap();
            }
            t.add_shard_roots(0, &shard_roots).unwrap();
            t.path(&mine, root, 0).unwrap()
        })
    });
    // Baseline: hashing every leaf (the frontier-tree wallet), 100k leaves.
    g.bench_function("baseline_hash_every_leaf_100k", |b| {
        b.iter(|| {
            MerkleTree::from_leaves(&leaves[..n.min(100_000)])
                .unwrap()
                .root()
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
