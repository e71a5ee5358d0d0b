//! Block production in a cluster: a block from the shared mempool,
//! appended to etcd under the election's fence (pruning the oldest block
//! etcd keeps, if asked), then committed to this node's database.

use super::etcd::{append_block, block_key, mempool_prefix};
use super::{halt, Fault, Replica, MAX_CLUSTER_BLOCK_BYTES, MAX_TXN_OPS};
use etcd_client::{GetOptions, SortOrder, SortTarget, Txn, TxnOp};
use std::time::Instant;

impl Replica {
    /// Makes a block from the shared mempool and appends it.
    pub(super) async fn produce(&mut self) -> Result<(), Fault> {
        let Some(election) = self.election.clone() else {
            return Ok(());
        };
        let resp = self
            .client
            .get(
                mempool_prefix(&self.config.prefix),
                Some(
                    GetOptions::new()
                        .with_prefix()
                        .with_sort(SortTarget::Mod, SortOrder::Ascend)
                        .with_limit(self.core.max_block_txs as i64),
                ),
            )
            .await?;
        if resp.kvs().is_empty() {
            return Ok(());
        }
        let started = Instant::now();
        let mut bytes = 0;
        let candidates: Vec<(String, Vec<u8>)> = resp
            .kvs()
            .iter()
            .filter_map(|kv| Some((kv.key_str().ok()?.to_string(), kv.value().to_vec())))
            .take_while(|(_, v)| {
                bytes += v.len();
                bytes <= MAX_CLUSTER_BLOCK_BYTES
            })
            .collect();
        let core = self.core.clone();
        let planned = tokio::task::spawn_blocking(move || core.plan_cluster_block(candidates))
            .await
            .map_err(|e| Fault::Etcd(format!("block production panicked: {e}")))?;
        let height = self.height() + 1;
        let (plan, deletes) = planned;
        let Some(plan) = plan else {
            // Nothing valid: only clear the queue.
            self.delete_keys(&deletes).await?;
            return Ok(());
        };
        // The oldest block etcd keeps goes in the same transaction.
        let prune = self
            .config
            .keep_blocks
            .and_then(|keep| height.checked_sub(keep))
            .filter(|&old| old >= 1)
            .map(|old| block_key(&self.config.prefix, old));
        let room = MAX_TXN_OPS - 1 - usize::from(prune.is_some());
        let (first, rest) = deletes.split_at(deletes.len().min(room));
        let first: Vec<String> = prune.into_iter().chain(first.iter().cloned()).collect();
        let appended = append_block(
            &mut self.client,
            &self.config.prefix,
            &election,
            height,
            plan.block.encode(),
            &first,
        )
        .await?;
        let Some(revision) = appended else {
            tracing::warn!(
                "cluster: block {height}: etcd refused the append (this node no longer holds \
                 the election, or block {height} exists); the block is discarded and this \
                 node follows"
            );
            self.election = None;
            if let Some(lease) = self.lease.take() {
                lease.revoke(&mut self.client).await;
            }
            return self.catch_up().await;
        };
        if self.crash_after_append {
            // A failpoint for the fault tests: the worst moment to die, the
            // block in etcd and not in this node's database.
            tracing::error!("failpoint after-append: aborting after appending block {height}");
            std::process::abort();
        }
        let core = self.core.clone();
        let txs = plan.block.transactions.len();
        let root = plan.block.header.state_root;
        let dropped = plan.rejected.len();
        let committed =
            tokio::task::spawn_blocking(move || core.commit_cluster_block(&plan, revision))
                .await
                .map_err(|e| halt(height, format!("committing block {height} panicked: {e}")))?;
        committed.map_err(|e| {
            halt(
                height,
                format!("block {height} is in etcd but could not be stored: {e}"),
            )
        })?;
        self.watch_from = self.watch_from.max(revision + 1);
        tracing::info!(
            "block {height}: {txs} transactions, state root {}, {} ms, appended at etcd revision {revision}{}",
            &root.to_string()[..18],
            started.elapsed().as_millis(),
            if dropped > 0 { format!(", {dropped} left out") } else { String::new() }
        );
        self.delete_keys(rest).await
    }

    async fn delete_keys(&mut self, keys: &[String]) -> Result<(), Fault> {
        for chunk in keys.chunks(MAX_TXN_OPS) {
            let ops: Vec<TxnOp> = chunk
                .iter()
                .map(|k| TxnOp::delete(k.clone(), None))
                .collect();
            self.client.txn(Txn::new().and_then(ops)).await?;
        }
        Ok(())
    }
}
