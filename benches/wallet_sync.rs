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
//! Recovery: a wallet made from the phrase alone finds an account with 100
//! transactions (its enrollment at eligible epoch 700, then 99
//! contributions) in a chain of 100,000 transactions, replaying every spend
//! from the compact blocks; the baseline in the same run is the ordinary
//! sync of the same blocks by a wallet that already knows the account.
//!
//! `cargo bench --bench wallet_sync`

use criterion::{criterion_group, criterion_main, Criterion};
use std::time::Duration;
use zkpension_circuits::field::Fr;
use zkpension_circuits::keys::ViewingKey;
use zkpension_circuits::replay;
use zkpension_circuits::replay::PublicChange;
use zkpension_circuits::tree::MerkleTree;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::views::CompactView;
use zkpension_core::views::{CompactBlock, CompactSpend};
use zkpension_core::BlockHeader;
use zkpension_prover::member::{Follower, SyncReport, TreeTracker};
use zkpension_prover::wallet::{OwnedNote, Wallet};

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
                                heir_ct: Fr::from(0u64),
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

/// A compact chain of `txs` transactions in blocks of (at most) 100, holding one
/// account's enrollment and 99 contributions spread evenly, as JSON pages
/// of 100 blocks; with the tree's root and shard roots.
struct RecoveryChain {
    pages: Vec<Vec<u8>>,
    root: Fr,
    shard_roots: Vec<Fr>,
    final_balance: u64,
}

const ACCOUNT_TXS: usize = 100;

fn recovery_chain(vk: &ViewingKey, txs: usize) -> RecoveryChain {
    let stride = txs / ACCOUNT_TXS;
    // A note is spent in a later block than the one that made it.
    let tx_per_block = (stride / 2).min(100);
    let mut note = replay::enrollment(vk, 0, 700);
    let mut leaves = Vec::with_capacity(txs);
    let mut blocks = Vec::new();
    for b in 0..txs / tx_per_block {
        let height = b as u64 + 1;
        let mut block = CompactBlock {
            height,
            hash: FixedBytes([0; 32]),
            header: BlockHeader {
                height,
                prev_hash: FixedBytes([0; 32]),
                epoch: 1,
                tx_root: FixedBytes([0; 32]),
                state_root: FixedBytes([0; 32]),
            },
            epoch: 1,
            tree_root: Fr::from(0u64),
            leaf_start: leaves.len() as u64,
            commitments: Vec::new(),
            spends: Vec::new(),
        };
        for t in 0..tx_per_block {
            let i = b * tx_per_block + t;
            let out = block.commitments.len() as u32;
            let cm = if i % stride == 7 && i / stride == 0 {
                note.commit()
            } else if i % stride == 7 && i / stride < ACCOUNT_TXS {
                let change = PublicChange::Contribute {
                    amount: 100,
                    epoch: (i / stride / 10) as u64 + 1,
                    heir_ct: vk.heir_mask(&note.nullifier(&vk.nk).to_field()),
                };
                block.spends.push(CompactSpend {
                    nf: note.nullifier(&vk.nk),
                    out,
                    change,
                });
                note = replay::successor(vk, &note, change).unwrap();
                note.commit()
            } else {
                let x = Fr::from(i as u64 * 7919 + 13);
                block.spends.push(CompactSpend {
                    nf: x.into(),
                    out,
                    change: PublicChange::Contribute {
                        amount: 100,
                        epoch: 1,
                        heir_ct: Fr::from(0u64),
                    },
                });
                x.into()
            };
            leaves.push(cm.to_field());
            block.commitments.push(cm);
        }
        blocks.push(block);
    }
    let tree = MerkleTree::from_leaves(&leaves).unwrap();
    let root = tree.root();
    for b in &mut blocks {
        b.tree_root = root;
    }
    let pages = blocks
        .chunks(100)
        .map(|page| {
            serde_json::to_vec(&CompactView {
                from: 0,
                to: 0,
                tip: 0,
                blocks: page.to_vec(),
            })
            .unwrap()
        })
        .collect();
    RecoveryChain {
        pages,
        root,
        shard_roots: tree.shard_roots(0).to_vec(),
        final_balance: note.balance,
    }
}

/// Reads the chain into `wallet` as a sync does, and returns its balance.
fn follow(wallet: &mut Wallet, chain: &RecoveryChain) -> u64 {
    let mut follower = Follower::new(wallet);
    let mut report = SyncReport::default();
    for page in &chain.pages {
        let view: CompactView = serde_json::from_slice(page).unwrap();
        for block in &view.blocks {
            follower.apply(wallet, block, &mut report).unwrap();
        }
    }
    let current = wallet.current_note().unwrap();
    let (cm, balance) = (current.cm.to_field(), current.note.balance);
    let t = &mut wallet.sync.tree;
    let missing = t.missing_shard_roots();
    t.add_shard_roots(missing.start, &chain.shard_roots[missing.start as usize..])
        .unwrap();
    t.path(&cm, chain.root, 0).unwrap();
    balance
}

fn recovery(c: &mut Criterion) {
    let txs = if std::env::args().any(|a| a == "--bench") {
        100_000
    } else {
        2_000
    };
    let seed = b"recovery bench";
    let vk = Wallet::from_seed_bytes(seed).viewing_key();
    let chain = recovery_chain(&vk, txs);
    // The baseline wallet knows its enrollment note already.
    let knows = || {
        let mut w = Wallet::from_seed_bytes(seed);
        let first = replay::enrollment(&vk, 0, 700);
        w.sync.tree.watch(first.commit().to_field());
        w.notes.push(OwnedNote::pending(first, None));
        w
    };
    assert_eq!(follow(&mut knows(), &chain), chain.final_balance);
    let mut g = c.benchmark_group("wallet_recovery");
    g.sample_size(10).measurement_time(Duration::from_secs(20));
    g.bench_function("recover_100_tx_account_over_100k_tx_from_phrase", |b| {
        b.iter(|| {
            let mut w = Wallet::from_seed_bytes(seed);
            assert_eq!(follow(&mut w, &chain), chain.final_balance);
        })
    });
    g.bench_function("baseline_sync_known_account_over_100k_tx", |b| {
        b.iter(|| follow(&mut knows(), &chain))
    });
    g.bench_function("enrollment_candidates_2400_epochs", |b| {
        b.iter(|| Follower::new(&Wallet::from_seed_bytes(seed)))
    });
    g.finish();
}

criterion_group!(benches, bench, recovery);
criterion_main!(benches);
