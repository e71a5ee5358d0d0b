//! The node's answers to queries (`GET` routes of the API).

use super::{lock, read, CoreError, NodeCore};
use crate::store::StoreError;
use zkpension_circuits::tree::SHARD_LEAVES;
use zkpension_circuits::values::{AttestTag, ContextId, NoteCommitment, Nullifier};
use zkpension_core::views::*;
use zkpension_verifier::{KeyManifest, MANIFEST_FILE};

impl NodeCore {
    /// `GET /v1/status`.
    pub fn status(&self) -> StatusView {
        let (mempool, mempool_capacity) = {
            let m = lock(&self.mempool);
            (m.len(), m.capacity())
        };
        let last_error = lock(&self.last_error).clone();
        let state = read(&self.state);
        let s = state.scalars();
        let g = state.genesis_config();
        let summary = state.summary();
        StatusView {
            chain_id: g.chain_id,
            genesis_hash: state.context().genesis_hash,
            height: s.height,
            tip_hash: s.tip_hash,
            epoch: s.epoch,
            tree_root: summary.tree_root,
            state_root: summary.root(),
            state: summary,
            leaf_count: s.leaf_count,
            nullifier_count: s.nullifier_count,
            attestation_count: s.attestation_count,
            tx_count: s.tx_count,
            totals: TotalsView {
                contributed: s.total_contributed,
                paid_out: s.total_paid_out,
                pool: s.pool(),
                subsidy: state.subsidy_view(),
            },
            params: s.params,
            pending_params: s.pending_params,
            params_known_until: s.epoch + state.governance().min_delay - 1,
            anchor_window: state.anchor_window(),
            authority_nonce: s.authority_nonce,
            verifying_keys: g.verifying_keys.clone(),
            mempool,
            mempool_capacity,
            last_error,
            snapshot_base: (self.snapshot_base > 0).then_some(self.snapshot_base),
            dormancy: g.dormancy,
        }
    }

    /// The height and epoch of the tip (cheaper than [`NodeCore::status`],
    /// which computes the state root's preimage).
    pub fn tip(&self) -> (u64, u64) {
        let state = read(&self.state);
        (state.height(), state.epoch())
    }

    /// The public totals of at most `max` epochs spread over the whole
    /// chain (the first and the last always among them), oldest first.
    pub fn epoch_history(&self, max: usize) -> Vec<crate::state::EpochRow> {
        read(&self.state).history().sample(max)
    }

    /// `GET /v1/governance`.
    pub fn governance(&self) -> GovernanceView {
        let state = read(&self.state);
        let s = state.scalars();
        let g = state.genesis_config();
        let rules = state.governance();
        GovernanceView {
            authority: KeyGroupView {
                key: g.authority,
                threshold: rules.authority_group.threshold,
                signers: rules.authority_group.signers,
            },
            registrar: KeyGroupView {
                key: g.registrar,
                threshold: rules.registrar_group.threshold,
                signers: rules.registrar_group.signers,
            },
            min_delay: rules.min_delay,
            bounds: rules.bounds,
            epoch: s.epoch,
            params: s.params,
            pending_params: s.pending_params,
            params_known_until: s.epoch + rules.min_delay - 1,
            history: state.governance_log().to_vec(),
            subsidy: state.subsidy_view(),
            funders: state.funders(),
        }
    }

    /// `GET /v1/genesis`.
    pub fn genesis(&self) -> GenesisView {
        let state = read(&self.state);
        GenesisView {
            hash: state.context().genesis_hash,
            genesis: state.genesis_config().clone(),
        }
    }

    /// `GET /v1/blocks/{height}`.
    pub fn block(&self, height: u64) -> Result<BlockView, CoreError> {
        if height < self.snapshot_base {
            return Err(self.before_base(&format!("block {height}")));
        }
        let Some(block) = self.store.block(height)? else {
            return Err(CoreError::NotFound(format!("no block at height {height}")));
        };
        let info = self
            .store
            .block_info(height)?
            .ok_or_else(|| StoreError::Corrupt(format!("block info {height} is missing")))?;
        Ok(BlockView {
            hash: info.hash,
            header: block.header,
            tree_root: info.tree_root,
            leaf_start: info.leaf_start,
            leaf_count: info.leaf_count,
            transactions: block
                .transactions
                .into_iter()
                .map(|tx| TxView { id: tx.id(), tx })
                .collect(),
        })
    }

    /// `GET /v1/compact?from=&to=`: blocks `from..=to`, by default up to
    /// [`MAX_COMPACT_BLOCKS`] from `from` (1) to the tip.
    pub fn compact(&self, from: Option<u64>, to: Option<u64>) -> Result<CompactView, CoreError> {
        let tip = read(&self.state).height();
        let from = from.unwrap_or(1).max(1);
        if from < self.snapshot_base {
            return Err(self.before_base(&format!("compact blocks from {from}")));
        }
        let explicit_to = to.is_some();
        let to = to.unwrap_or_else(|| tip.min(from.saturating_add(MAX_COMPACT_BLOCKS - 1)));
        if to < from && explicit_to {
            return Err(CoreError::BadRequest("`to` is below `from`".into()));
        }
        if to >= from && to - from >= MAX_COMPACT_BLOCKS {
            return Err(CoreError::BadRequest(format!(
                "at most {MAX_COMPACT_BLOCKS} blocks per request"
            )));
        }
        let blocks = if to >= from {
            self.store.compact_blocks(from, to)?
        } else {
            Vec::new()
        };
        Ok(CompactView {
            from,
            to,
            tip,
            blocks,
        })
    }

    /// The height of the snapshot this node started from (0: it holds
    /// every block since genesis).
    pub fn snapshot_base(&self) -> u64 {
        self.snapshot_base
    }

    fn before_base(&self, what: &str) -> CoreError {
        CoreError::NotFound(format!(
            "{what}: this node joined from a snapshot at height {base} and holds blocks {base} \
             onwards only; ask a node with the full history (its /v1/status has no \
             snapshot_base)",
            base = self.snapshot_base
        ))
    }

    /// `GET /v1/snapshot`: the state after the tip ([`crate::snapshot`]),
    /// encoded.
    pub fn snapshot(&self) -> Result<Vec<u8>, CoreError> {
        match self.store.snapshot()? {
            Some(s) => Ok(s.encode()),
            None => Err(CoreError::NotFound(
                "the ledger is at height 0: there is no state to snapshot (a new node replays \
                 from genesis)"
                    .into(),
            )),
        }
    }

    /// `GET /v1/nullifiers/{nf}`.
    pub fn nullifier(&self, nf: Nullifier) -> Result<NullifierView, CoreError> {
        let record = self.store.nullifier(&nf)?;
        Ok(NullifierView {
            nullifier: nf,
            spent: record.is_some(),
            height: record.map(|r| r.height),
            tx_id: record.map(|r| r.tx_id),
        })
    }

    /// `GET /v1/nullifiers?bits=&bucket=&from=&after=`.
    pub fn nullifier_bucket(
        &self,
        bits: u8,
        bucket: u32,
        from: u64,
        after: Option<Nullifier>,
    ) -> Result<NullifierBucketView, CoreError> {
        if !(1..=MAX_BUCKET_BITS).contains(&bits) {
            return Err(CoreError::BadRequest(format!(
                "bits must be 1 to {MAX_BUCKET_BITS}, got {bits}"
            )));
        }
        if bits < 32 && bucket >> bits != 0 {
            return Err(CoreError::BadRequest(format!(
                "bucket {bucket} does not fit in {bits} bits"
            )));
        }
        let tip = read(&self.state).height();
        let (list, more) = self.store.nullifier_bucket(
            bits,
            bucket,
            from,
            after.as_ref(),
            MAX_BUCKET_NULLIFIERS,
        )?;
        Ok(NullifierBucketView {
            bits,
            bucket,
            from,
            tip,
            nullifiers: list
                .into_iter()
                .map(|(nf, height)| SpentNullifier { nf, height })
                .collect(),
            more,
        })
    }

    /// `GET /v1/attestations/{context}?after=&limit=`: ordered by tag, at most
    /// `limit` (clamped to 1..=[`MAX_ATTESTATIONS`]).
    pub fn attestations(
        &self,
        context: ContextId,
        after: Option<AttestTag>,
        limit: Option<usize>,
    ) -> Result<AttestationsView, CoreError> {
        let limit = limit.unwrap_or(MAX_ATTESTATIONS).clamp(1, MAX_ATTESTATIONS);
        let mut list = self
            .store
            .attestations(&context, after.as_ref(), limit + 1)?;
        let more = list.len() > limit;
        list.truncate(limit);
        Ok(AttestationsView {
            context,
            attestations: list,
            more,
        })
    }

    /// `GET /v1/attestations/{context}/{tag}`.
    pub fn attestation(
        &self,
        context: ContextId,
        tag: AttestTag,
    ) -> Result<AttestationRecord, CoreError> {
        self.store.attestation(&context, &tag)?.ok_or_else(|| {
            CoreError::NotFound("no attestation with this tag in this context".into())
        })
    }

    /// `GET /v1/tree/shards?from=`.
    pub fn shards(&self, from: u64) -> Result<ShardsView, CoreError> {
        let (height, leaf_count, tree_root) = {
            let state = read(&self.state);
            (state.height(), state.frontier().len(), state.tree_root())
        };
        // The store is written before the state is committed: it holds at
        // least the shards of this state (and maybe the next block's).
        let complete = leaf_count / SHARD_LEAVES;
        let start = from.min(complete);
        let to = complete.min(start.saturating_add(MAX_SHARDS as u64));
        let roots = self.store.shard_roots(start, to)?;
        if roots.len() as u64 != to - start {
            return Err(StoreError::Corrupt(format!(
                "table shard_roots holds {} of shards {start}..{to}",
                roots.len()
            ))
            .into());
        }
        Ok(ShardsView {
            height,
            leaf_count,
            tree_root,
            shard_leaves: SHARD_LEAVES,
            from,
            more: to < complete,
            roots,
        })
    }

    /// `GET /v1/tree/leaves?from=&to=`: at most [`MAX_LEAVES`].
    pub fn leaves(&self, from: Option<u64>, to: Option<u64>) -> Result<LeavesView, CoreError> {
        let from = from.unwrap_or(0);
        let to = to.unwrap_or(from.saturating_add(MAX_LEAVES));
        if to < from || to - from > MAX_LEAVES {
            return Err(CoreError::BadRequest(format!(
                "need from <= to <= from + {MAX_LEAVES}"
            )));
        }
        Ok(LeavesView {
            from,
            leaves: self
                .store
                .leaves(from, to)?
                .into_iter()
                .map(NoteCommitment::from_field)
                .collect(),
        })
    }
}

/// Whether `name` is a plain file name (no directory part, not hidden).
fn plain_file_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with('.')
        && !name.contains(['/', '\\', '\0'])
        && std::path::Path::new(name).file_name() == Some(std::ffi::OsStr::new(name))
}

impl NodeCore {
    fn keys_dir(&self) -> Result<&std::path::Path, CoreError> {
        self.keys_dir
            .as_deref()
            .ok_or_else(|| CoreError::NotFound("this node serves no key files".into()))
    }

    /// `GET /v1/keys`: the key directory's `manifest.json`, as stored.
    pub fn keys_manifest(&self) -> Result<Vec<u8>, CoreError> {
        let path = self.keys_dir()?.join(MANIFEST_FILE);
        std::fs::read(&path)
            .map_err(|e| CoreError::Internal(format!("reading {}: {e}", path.display())))
    }

    /// `GET /v1/keys/{file}`: the bytes of a key file the manifest names (a
    /// `pk_file` or `vk_file`) and this node holds; anything else is
    /// [`CoreError::NotFound`].
    pub fn key_file(&self, name: &str) -> Result<Vec<u8>, CoreError> {
        let dir = self.keys_dir()?;
        let manifest = KeyManifest::read(dir)
            .map_err(|e| CoreError::Internal(format!("the key manifest: {e}")))?;
        let named = manifest
            .statements
            .values()
            .any(|e| e.pk_file == name || e.vk_file == name);
        if !named || !plain_file_name(name) {
            return Err(CoreError::NotFound(format!(
                "no key file {name:?}; GET /v1/keys lists the files"
            )));
        }
        match std::fs::read(dir.join(name)) {
            Ok(bytes) => Ok(bytes),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Err(CoreError::NotFound(
                format!("this node does not hold {name} (it was set up without proving keys)"),
            )),
            Err(e) => Err(CoreError::Internal(format!("reading {name}: {e}"))),
        }
    }
}
