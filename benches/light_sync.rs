//! A wallet's monthly sync after 10,000,000 new commitments, light
//! (`zkpension sync --light`, `zkpension_prover::member::light`) against the
//! ordinary sync that reads every compact block.
//!
//! The wallet last synced at 1,000,123 leaves, its note 50 leaves before
//! that. The node's answers are built once, as the node encodes them (its
//! view types through `serde_json`): the tip's compact block (1,024
//! commitments), the two leaf ranges, the roots of the shards completed since
//! and the wallet's nullifier bucket among 10,000,000 uniformly random spent
//! nullifiers. One iteration decodes them and does what the wallet does:
//! advance its tree view, add the shard roots, check the tree root, look for
//! its nullifier, compute its Merkle path.
//!
//! The baseline in the same run is the ordinary sync's own work on the first
//! 1,000,000 of the new commitments (decoding the compact blocks, with one
//! spend per commitment, and following the tree), to be multiplied by 10; its
//! bytes are counted for all 10,000,000.
//!
//! `cargo bench --bench light_sync` (the build of the chain takes about a
//! minute on 2 cores).

use ark_ff::UniformRand;
use criterion::{criterion_group, criterion_main, Criterion};
use rand::SeedableRng;
use rand_chacha::ChaCha20Rng;
use rayon::prelude::*;
use std::time::Duration;
use zkpension_circuits::field::Fr;
use zkpension_circuits::replay::{self, PublicChange};
use zkpension_circuits::tree::{root_from_shards, MerkleTree, SHARD_LEAVES, SHARD_LEVELS};
use zkpension_circuits::values::Nullifier;
use zkpension_core::hexbytes::FixedBytes;
use zkpension_core::views::{
    nullifier_bucket, CompactBlock, CompactSpend, CompactView, LeavesView, NullifierBucketView,
    ShardsView, SpentNullifier,
};
use zkpension_core::BlockHeader;
use zkpension_prover::member::light::{self, LightData};
use zkpension_prover::member::TreeTracker;
use zkpension_prover::wallet::{NoteStatus, OwnedNote, Wallet};

const PER_BLOCK: u64 = 1024;

/// (leaves at the last sync, new leaves): the figures under
/// `cargo bench`, small ones for the test suite's smoke run.
fn sizes() -> (u64, u64) {
    if std::env::args().any(|a| a == "--bench") {
        (1_000_123, 10_000_000)
    } else {
        (5_017, 3 * SHARD_LEAVES + 50)
    }
}

fn leaf(i: u64) -> Fr {
    Fr::from(i * 7919 + 11)
}

fn header(height: u64) -> BlockHeader {
    BlockHeader {
        height,
        prev_hash: FixedBytes([0; 32]),
        epoch: 1,
        tx_root: FixedBytes([0; 32]),
        state_root: FixedBytes([0; 32]),
    }
}

/// A compact block of leaves `start..end`, one spend per commitment.
fn compact_block(height: u64, start: u64, end: u64, tree_root: Fr) -> CompactBlock {
    let header = header(height);
    CompactBlock {
        height,
        hash: header.hash(),
        header,
        epoch: 1,
        tree_root,
        leaf_start: start,
        commitments: (start..end).map(|i| leaf(i).into()).collect(),
        spends: (0..(end - start) as u32)
            .map(|out| CompactSpend {
                nf: Fr::from(u64::from(out) + start * 3).into(),
                out,
                change: PublicChange::Contribute {
                    amount: 100,
                    epoch: 1,
                    heir_ct: Fr::from(0u64),
                },
            })
            .collect(),
    }
}

const SEED: &[u8] = b"light sync bench";

struct Chain {
    /// The wallet before the sync.
    wallet: Wallet,
    answers: Vec<Vec<u8>>,
    baseline_pages: Vec<Vec<u8>>,
    full_bytes: u64,
}

fn build() -> Chain {
    let (old, new) = sizes();
    let total = old + new;
    let mut wallet = Wallet::from_seed_bytes(SEED);
    let vk = wallet.viewing_key();
    let note = replay::enrollment(&vk, 0, 700);
    let mine_index = old - 50;
    let cm = note.commit();
    let leaf_at = |i: u64| {
        if i == mine_index {
            cm.to_field()
        } else {
            leaf(i)
        }
    };
    // Shard roots, in parallel: the only hashing of the whole tree.
    let complete = total / SHARD_LEAVES;
    let shard_roots: Vec<Fr> = (0..complete)
        .into_par_iter()
        .map(|s| {
            let leaves: Vec<Fr> = (s * SHARD_LEAVES..(s + 1) * SHARD_LEAVES)
                .map(leaf_at)
                .collect();
            MerkleTree::from_leaves(&leaves)
                .unwrap()
                .node(SHARD_LEVELS, 0)
                .unwrap()
        })
        .collect();
    let last_start = complete * SHARD_LEAVES;
    let frontier: Vec<Fr> = (last_start..total).map(leaf_at).collect();
    let root = root_from_shards(total, &shard_roots, &frontier).unwrap();

    // The wallet before: tree view of `old` leaves with its note found.
    let mut tracker = TreeTracker::new();
    tracker.watch(cm.to_field());
    let before: Vec<Fr> = (0..old).map(leaf_at).collect();
    tracker.append(0, &before).unwrap();
    tracker
        .add_shard_roots(0, &shard_roots[..(old / SHARD_LEAVES) as usize])
        .unwrap();
    wallet.sync.tree = tracker;
    wallet.sync.height = old.div_ceil(PER_BLOCK);
    let mut owned = OwnedNote::pending(note.clone(), None);
    owned.status = NoteStatus::Unspent;
    owned.leaf_index = Some(mine_index);
    wallet.notes.push(owned);

    // The node's answers.
    let tip_height = total.div_ceil(PER_BLOCK);
    let tip = compact_block(tip_height, total - PER_BLOCK.min(total), total, root);
    let [rest, last] = light::leaf_ranges(old, total);
    let leaves_view = |r: std::ops::Range<u64>| LeavesView {
        from: r.start,
        leaves: r.map(|i| leaf_at(i).into()).collect(),
    };
    let first_missing = old / SHARD_LEAVES;
    let shards = ShardsView {
        height: tip_height,
        leaf_count: total,
        tree_root: root,
        shard_leaves: SHARD_LEAVES,
        from: first_missing,
        roots: shard_roots[first_missing as usize..].to_vec(),
        more: false,
    };
    let nf = note.nullifier(&vk.nk);
    let bits = light::bucket_bits(new);
    let bucket = nullifier_bucket(&nf, bits);
    let mut rng = ChaCha20Rng::seed_from_u64(7);
    let spent: Vec<SpentNullifier> = (0..new)
        .map(|i| (i, Nullifier::from_field(Fr::rand(&mut rng))))
        .filter(|(_, n)| nullifier_bucket(n, bits) == bucket)
        .map(|(i, nf)| SpentNullifier {
            nf,
            height: wallet.sync.height + 1 + i / PER_BLOCK,
        })
        .collect();
    let answers = vec![
        serde_json::to_vec(&CompactView {
            from: tip_height,
            to: tip_height,
            tip: tip_height,
            blocks: vec![tip],
        })
        .unwrap(),
        serde_json::to_vec(&leaves_view(rest)).unwrap(),
        serde_json::to_vec(&leaves_view(last)).unwrap(),
        serde_json::to_vec(&shards).unwrap(),
        serde_json::to_vec(&NullifierBucketView {
            bits,
            bucket,
            from: wallet.sync.height + 1,
            tip: tip_height,
            nullifiers: spent,
            more: false,
        })
        .unwrap(),
    ];
    // The ordinary sync: every compact block of the new commitments, in
    // pages of 100 blocks; bytes of all, pages of the first 1,000,000 kept.
    let keep = new.min(1_000_000);
    let mut full_bytes = 0u64;
    let mut baseline_pages = Vec::new();
    let page_leaves = 100 * PER_BLOCK;
    let mut start = old;
    while start < total {
        let end = (start + page_leaves).min(total);
        let blocks: Vec<CompactBlock> = (start..end)
            .step_by(PER_BLOCK as usize)
            .map(|s| compact_block(s / PER_BLOCK + 1, s, (s + PER_BLOCK).min(end), root))
            .collect();
        let page = serde_json::to_vec(&CompactView {
            from: 0,
            to: 0,
            tip: 0,
            blocks,
        })
        .unwrap();
        full_bytes += page.len() as u64;
        if end <= old + keep {
            baseline_pages.push(page);
        }
        start = end;
    }
    Chain {
        wallet,
        answers,
        baseline_pages,
        full_bytes,
    }
}

/// One light sync on the decoded answers; returns the wallet after it.
fn light_sync(chain: &Chain) -> Wallet {
    let a = &chain.answers;
    let tip = serde_json::from_slice::<CompactView>(&a[0])
        .unwrap()
        .blocks
        .pop()
        .unwrap();
    let leaves = [&a[1], &a[2]].map(|bytes| {
        let v: LeavesView = serde_json::from_slice(bytes).unwrap();
        v.leaves.iter().map(|l| l.to_field()).collect::<Vec<Fr>>()
    });
    let shards: ShardsView = serde_json::from_slice(&a[3]).unwrap();
    let bucket: NullifierBucketView = serde_json::from_slice(&a[4]).unwrap();
    let mut w = Wallet::from_seed_bytes(SEED);
    w.sync = chain.wallet.sync.clone();
    w.notes = chain.wallet.notes.clone();
    let note = w.current_note().unwrap().clone();
    assert!(light::spent_in(&bucket.nullifiers, &note.note.nullifier(&w.nk)).is_none());
    let data = LightData { tip, leaves };
    light::advance(&mut w, &data).unwrap();
    let missing = w.sync.tree.missing_shard_roots();
    assert_eq!(missing.start, shards.from);
    w.sync
        .tree
        .add_shard_roots(missing.start, &shards.roots)
        .unwrap();
    w.sync
        .tree
        .path(&note.cm.to_field(), data.tip.tree_root, data.tip.height)
        .unwrap();
    w
}

fn bench(c: &mut Criterion) {
    let chain = build();
    let (old, new) = sizes();
    let light_bytes: usize = chain.answers.iter().map(Vec::len).sum();
    let after = light_sync(&chain);
    assert_eq!(after.sync.tree.len, old + new);
    let bucket: NullifierBucketView = serde_json::from_slice(&chain.answers[4]).unwrap();
    eprintln!(
        "light sync over {new} new commitments: {light_bytes} bytes (tip block {}, leaves {} + {}, \
         shard roots {}, bucket of {} bits with {} nullifiers {}); ordinary sync: {} bytes",
        chain.answers[0].len(),
        chain.answers[1].len(),
        chain.answers[2].len(),
        chain.answers[3].len(),
        bucket.bits,
        bucket.nullifiers.len(),
        chain.answers[4].len(),
        chain.full_bytes
    );
    let mut g = c.benchmark_group("light_sync");
    g.sample_size(10).measurement_time(Duration::from_secs(10));
    g.bench_function("light_after_10M_new_commitments", |b| {
        b.iter(|| light_sync(&chain))
    });
    g.bench_function("baseline_ordinary_sync_first_1M_of_them", |b| {
        b.iter(|| {
            let mut t = chain.wallet.sync.tree.clone();
            for page in &chain.baseline_pages {
                let view: CompactView = serde_json::from_slice(page).unwrap();
                for block in &view.blocks {
                    let leaves: Vec<Fr> = block.commitments.iter().map(|c| c.to_field()).collect();
                    t.append(block.leaf_start, &leaves).unwrap();
                }
            }
            t
        })
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
