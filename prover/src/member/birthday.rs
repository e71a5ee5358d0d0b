//! Starting a new wallet's sync at a birthday height (`zkpension wallet
//! recover --birthday H`, `wallet watch --birthday H`): the blocks before it
//! are not read, so recovery reads only the part of the chain since the
//! account could have been made.
//!
//! The wallet's tree view at height `H` is what the node publishes for
//! everyone: the roots of the complete shards (`GET /v1/tree/shards`) and the
//! leaves of the last, incomplete shard (`GET /v1/tree/leaves`), checked
//! against the tree root of block `H`. Nothing asked depends on the account.
//! What a birthday gives up: the blocks before `H` are not linked back to the
//! genesis by this wallet (it takes block `H`'s hash from the node, as a
//! node joining from a snapshot takes its base), and an account enrolled at
//! or before `H` is not found.

use zkpension_circuits::tree::SHARD_LEAVES;

use super::client::NodeClient;
use super::flow::{check_chain, FlowError};
use super::sync::{bad_answer, fetch_leaves, fetch_shard_roots};
use crate::wallet::Wallet;

/// Puts a wallet that has read nothing yet at block `height`: its tree view
/// after that block, checked against the block's tree root, and the block's
/// hash and roots as its sync position. The next sync reads from `height + 1`.
pub fn start_at(wallet: &mut Wallet, client: &NodeClient, height: u64) -> Result<(), FlowError> {
    if wallet.sync.height != 0 || wallet.sync.tree.len != 0 {
        return Err(FlowError::Birthday(format!(
            "the wallet has already read up to block {}; a birthday is for a new wallet",
            wallet.sync.height
        )));
    }
    let status = client.status()?;
    check_chain(wallet, &status.chain_id)?;
    wallet.chain_id = Some(status.chain_id);
    if height > status.height {
        return Err(FlowError::Birthday(format!(
            "birthday {height} is above the node's tip {}; give a height the chain has \
             reached (an upper bound on when the account was made is not needed: any \
             height before its enrollment works)",
            status.height
        )));
    }
    if height == 0 {
        return Ok(());
    }
    let b = client.block(height)?;
    if b.header.hash() != b.hash || b.header.height != height || b.leaf_count < b.leaf_start {
        return Err(bad_answer(
            client,
            format!("block {height}: its header does not match its hash or height"),
        ));
    }
    // The leaves of the shard the tree ends in, then the roots before it.
    let shard_start = b.leaf_count - b.leaf_count % SHARD_LEAVES;
    let tree = &mut wallet.sync.tree;
    tree.len = shard_start;
    let leaves = fetch_leaves(client, shard_start..b.leaf_count)?;
    tree.append(shard_start, &leaves)?;
    fetch_shard_roots(wallet, client)?;
    wallet.sync.tree.check_root(b.tree_root, height)?;
    wallet.sync.height = height;
    wallet.sync.tree_root = b.tree_root;
    wallet.sync.tip_hash = Some(b.hash);
    wallet.sync.state_root = Some(b.header.state_root);
    Ok(())
}
