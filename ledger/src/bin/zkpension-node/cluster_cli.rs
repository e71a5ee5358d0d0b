//! The cluster's part of the command line: `run`'s etcd options and
//! `join`.

use super::{read_genesis, DB_FILE, KEYS_DIR};
use anyhow::{bail, Context, Result};
use clap::Args;
use std::path::{Path, PathBuf};
use std::time::Duration;
use zkpension_core::Genesis;
use zkpension_ledger::cluster::{ClusterConfig, EtcdAccess};
use zkpension_ledger::node::load_keys;

/// Where the password of `--etcd-user` is read from when there is no
/// `--etcd-password-file`.
const PASSWORD_ENV: &str = "ZKPENSION_ETCD_PASSWORD";

/// TLS and authentication towards etcd.
#[derive(Args, Clone, Debug, Default)]
pub struct EtcdAccessArgs {
    /// PEM file of the CA that signed etcd's server certificates; required
    /// with https:// etcd URLs (etcd's --trusted-ca-file side of TLS).
    #[arg(long, value_name = "FILE")]
    etcd_ca: Option<PathBuf>,
    /// This node's PEM certificate, for an etcd started with
    /// --client-cert-auth (with --etcd-key).
    #[arg(long, value_name = "FILE", requires = "etcd_key")]
    etcd_cert: Option<PathBuf>,
    /// The private key of --etcd-cert (PEM).
    #[arg(long, value_name = "FILE", requires = "etcd_cert")]
    etcd_key: Option<PathBuf>,
    /// etcd user, for an etcd with authentication enabled. The password is
    /// read from --etcd-password-file or the environment variable
    /// ZKPENSION_ETCD_PASSWORD, never from the command line.
    #[arg(long, value_name = "NAME")]
    etcd_user: Option<String>,
    /// File holding the etcd user's password (one line).
    #[arg(long, value_name = "FILE", requires = "etcd_user")]
    etcd_password_file: Option<PathBuf>,
}

fn read(what: &str, path: &Path) -> Result<Vec<u8>> {
    std::fs::read(path).with_context(|| format!("reading {what} {}", path.display()))
}

impl EtcdAccessArgs {
    /// The access the options describe, checked against the URLs.
    pub fn access(&self, endpoints: &[String]) -> Result<EtcdAccess> {
        let identity = match (&self.etcd_cert, &self.etcd_key) {
            (Some(c), Some(k)) => Some((read("--etcd-cert", c)?, read("--etcd-key", k)?)),
            _ => None,
        };
        let user = match &self.etcd_user {
            None => None,
            Some(name) => {
                let password = match &self.etcd_password_file {
                    Some(f) => String::from_utf8(read("--etcd-password-file", f)?)
                        .with_context(|| format!("{} is not UTF-8 text", f.display()))?
                        .trim_end_matches(['\r', '\n'])
                        .to_string(),
                    None => std::env::var(PASSWORD_ENV).map_err(|_| {
                        anyhow::anyhow!(
                            "--etcd-user {name} needs a password: --etcd-password-file FILE or \
                             the environment variable {PASSWORD_ENV}"
                        )
                    })?,
                };
                Some((name.clone(), password))
            }
        };
        let access = EtcdAccess {
            ca_pem: self
                .etcd_ca
                .as_deref()
                .map(|p| read("--etcd-ca", p))
                .transpose()?,
            identity,
            user,
        };
        if let Err(e) = access.check(endpoints) {
            bail!("{e}");
        }
        Ok(access)
    }
}

/// `run`'s cluster options.
#[derive(Args, Clone, Debug)]
pub struct ClusterArgs {
    /// Join a cluster: etcd client URLs (comma-separated). Blocks are then
    /// ordered by etcd and re-executed by every node (docs/CLUSTER.md).
    /// Without it the node runs alone.
    #[arg(long, value_name = "URL[,URL...]", value_delimiter = ',')]
    pub etcd: Vec<String>,
    /// Key prefix of this chain in etcd (default `/zkpension/<genesis hash>`,
    /// so two chains never share keys).
    #[arg(long, requires = "etcd")]
    cluster_prefix: Option<String>,
    /// The producer's lease in milliseconds (etcd rounds up to whole
    /// seconds, at least 2 s with its default election timeout): a crashed
    /// or paused producer is replaced after about this long.
    #[arg(long, default_value_t = 3000, requires = "etcd")]
    lease_ttl_ms: u64,
    /// This node's name in the cluster's election key and logs (default:
    /// `node-<process id>`).
    #[arg(long, requires = "etcd")]
    node_name: Option<String>,
    /// While this node produces, keep only the latest N blocks in etcd
    /// (etcd's storage is bounded, 2 GiB by default; compact and defragment
    /// it to reclaim the space). Every node still keeps every block; a node
    /// further behind than N joins again with `zkpension-node join`.
    #[arg(long, value_name = "N", requires = "etcd", value_parser = clap::value_parser!(u64).range(1..))]
    etcd_keep_blocks: Option<u64>,
    #[command(flatten)]
    access: EtcdAccessArgs,
}

impl ClusterArgs {
    /// The cluster configuration (`None`: the node runs alone).
    pub fn config(&self, genesis: &Genesis) -> Result<Option<ClusterConfig>> {
        if self.etcd.is_empty() {
            let a = &self.access;
            if a.etcd_ca.is_some() || a.etcd_cert.is_some() || a.etcd_user.is_some() {
                bail!("--etcd-ca, --etcd-cert and --etcd-user need --etcd URLs");
            }
            return Ok(None);
        }
        let name = self
            .node_name
            .clone()
            .unwrap_or_else(|| format!("node-{}", std::process::id()));
        let mut c = ClusterConfig::new(self.etcd.clone(), genesis, name);
        if let Some(p) = &self.cluster_prefix {
            c.prefix = p.trim_end_matches('/').to_string();
        }
        c.lease_ttl = Duration::from_millis(self.lease_ttl_ms);
        c.keep_blocks = self.etcd_keep_blocks;
        c.access = self.access.access(&self.etcd)?;
        eprintln!(
            "joining the cluster at {} (prefix {}, lease {} ms{}{})",
            c.endpoints.join(","),
            c.prefix,
            c.lease_ttl.as_millis(),
            if c.access.ca_pem.is_some() {
                ", TLS"
            } else {
                ""
            },
            c.access
                .user
                .as_ref()
                .map_or(String::new(), |(u, _)| format!(", as etcd user {u}"))
        );
        Ok(Some(c))
    }
}

#[derive(Args)]
pub struct JoinArgs {
    /// Data directory of the new node (genesis.json and keys/ in place).
    #[arg(long)]
    data: PathBuf,
    /// URL of a node of the cluster to take the snapshot from, e.g.
    /// http://10.0.0.2:8080 (it is checked, not trusted).
    #[arg(long, value_name = "URL")]
    from: String,
    /// etcd client URLs (comma-separated): the snapshot's block is checked
    /// against the chain there.
    #[arg(
        long,
        value_name = "URL[,URL...]",
        value_delimiter = ',',
        required = true
    )]
    etcd: Vec<String>,
    /// Key prefix of this chain in etcd (default `/zkpension/<genesis hash>`).
    #[arg(long)]
    cluster_prefix: Option<String>,
    #[command(flatten)]
    access: EtcdAccessArgs,
    /// Print the result as JSON.
    #[arg(long)]
    json: bool,
}

/// `zkpension-node join`.
pub fn join(a: JoinArgs) -> Result<()> {
    let genesis = read_genesis(&a.data)?;
    let keys = load_keys(&a.data.join(KEYS_DIR), &genesis)
        .with_context(|| format!("loading the keys in {}", a.data.join(KEYS_DIR).display()))?;
    let prefix = match &a.cluster_prefix {
        Some(p) => p.trim_end_matches('/').to_string(),
        None => zkpension_ledger::cluster::default_prefix(&genesis),
    };
    if !a.json {
        eprintln!("fetching the state snapshot from {} ...", a.from);
    }
    let j = zkpension_ledger::cluster::join(
        &a.data.join(DB_FILE),
        &genesis,
        &keys,
        &a.from,
        &a.etcd,
        &a.access.access(&a.etcd)?,
        &prefix,
    )?;
    if a.json {
        println!(
            "{}",
            serde_json::json!({
                "height": j.height,
                "block_hash": j.block_hash,
                "state_root": j.state_root,
                "leaves": j.leaves,
                "bytes": j.bytes,
                "confirmed_by": j.confirmed_by,
            })
        );
    } else {
        println!(
            "joined at height {} from a {} byte snapshot ({} leaves): state root {} checked, \
             {}",
            j.height, j.bytes, j.leaves, j.state_root, j.confirmed_by
        );
        println!(
            "start it with: zkpension-node run --data {} --etcd {}",
            a.data.display(),
            a.etcd.join(",")
        );
    }
    Ok(())
}
