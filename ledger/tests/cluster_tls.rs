//! The cluster over TLS with etcd's authentication on: a real etcd started
//! with server certificates and `--client-cert-auth`, a root user with a
//! password, and nodes that reach it with `--etcd-ca`, `--etcd-cert`,
//! `--etcd-key`, `--etcd-user` and `--etcd-password-file`. Certificates are
//! made for the test (a CA, etcd's server certificate for 127.0.0.1, a
//! node's client certificate). Each missing or wrong piece is refused with
//! an error that names it.

use crate::cluster_support::*;
use crate::common::*;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, SanType,
};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use zkpension_ledger::cluster::{self, EtcdAccess};

/// PEM files of a test CA, etcd's server certificate and a node's client
/// certificate.
struct Pki {
    ca: PathBuf,
    server: (PathBuf, PathBuf),
    node: (PathBuf, PathBuf),
}

impl Pki {
    fn new(dir: &Path) -> Pki {
        let ca_key = KeyPair::generate().unwrap();
        let mut ca = CertificateParams::new(Vec::<String>::new()).unwrap();
        ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        ca.distinguished_name
            .push(DnType::CommonName, "zkpension test CA");
        let ca_cert = ca.self_signed(&ca_key).unwrap();
        let leaf = |name: &str, usage: ExtendedKeyUsagePurpose| {
            let key = KeyPair::generate().unwrap();
            let mut p = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
            p.subject_alt_names
                .push(SanType::IpAddress("127.0.0.1".parse().unwrap()));
            p.distinguished_name.push(DnType::CommonName, name);
            p.extended_key_usages = vec![usage];
            let cert = p.signed_by(&key, &ca_cert, &ca_key).unwrap();
            let (c, k) = (
                dir.join(format!("{name}.pem")),
                dir.join(format!("{name}.key")),
            );
            std::fs::write(&c, cert.pem()).unwrap();
            std::fs::write(&k, key.serialize_pem()).unwrap();
            (c, k)
        };
        let pki = Pki {
            ca: dir.join("ca.pem"),
            server: leaf("etcd", ExtendedKeyUsagePurpose::ServerAuth),
            node: leaf("zkpension-node", ExtendedKeyUsagePurpose::ClientAuth),
        };
        std::fs::write(&pki.ca, ca_cert.pem()).unwrap();
        pki
    }

    fn access(&self) -> EtcdAccess {
        EtcdAccess {
            ca_pem: Some(std::fs::read(&self.ca).unwrap()),
            identity: Some((
                std::fs::read(&self.node.0).unwrap(),
                std::fs::read(&self.node.1).unwrap(),
            )),
            user: None,
        }
    }
}

/// One etcd member serving clients over TLS only, with client
/// certificates required.
fn etcd_tls(dir: &Path, pki: &Pki) -> Etcd {
    let (client, peer) = (free_port(), free_port());
    let url = format!("https://127.0.0.1:{client}");
    let peer = format!("http://127.0.0.1:{peer}");
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let args = vec![
        "--name".into(),
        "tls".into(),
        "--data-dir".into(),
        s(&dir.join("etcd-tls")),
        "--listen-client-urls".into(),
        url.clone(),
        "--advertise-client-urls".into(),
        url.clone(),
        "--listen-peer-urls".into(),
        peer.clone(),
        "--initial-advertise-peer-urls".into(),
        peer.clone(),
        "--initial-cluster".into(),
        format!("tls={peer}"),
        "--cert-file".into(),
        s(&pki.server.0),
        "--key-file".into(),
        s(&pki.server.1),
        "--trusted-ca-file".into(),
        s(&pki.ca),
        "--client-cert-auth".into(),
        "--logger".into(),
        "zap".into(),
        "--log-level".into(),
        "error".into(),
    ];
    let mut etcd = Etcd {
        child: None,
        args,
        url,
    };
    etcd.start();
    etcd
}

/// Runs `zkpension-node run` until it exits (at most `timeout`): its exit
/// status and stderr.
fn run_to_exit(args: &[String], timeout: Duration) -> (bool, String) {
    let dir = tempfile::tempdir().unwrap();
    let err = dir.path().join("stderr");
    let mut child = Command::new(node_binary())
        .args(args)
        .env_remove("ZKPENSION_ETCD_PASSWORD")
        .stdout(Stdio::null())
        .stderr(std::fs::File::create(&err).unwrap())
        .spawn()
        .unwrap();
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if start.elapsed() > timeout {
            let _ = child.kill();
            panic!("zkpension-node {args:?} still runs after {timeout:?}");
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    (status.success(), std::fs::read_to_string(err).unwrap())
}

#[test]
fn cluster_over_tls_with_client_certificates_and_an_etcd_user() {
    let chain = Chain::new();
    let pki = Pki::new(chain.dir.path());
    let etcd = etcd_tls(chain.dir.path(), &pki);
    let e = etcd.url.clone();
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    // etcd up, then authentication on: a root user with a password.
    rt.block_on(async {
        let started = Instant::now();
        let mut c = loop {
            match cluster::connect_with(std::slice::from_ref(&e), &pki.access()).await {
                Ok(c) => break c,
                Err(err) if started.elapsed() > Duration::from_secs(20) => {
                    panic!("etcd over TLS at {e}: {err}")
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        c.user_add("root", "s3cret", None).await.unwrap();
        c.user_grant_role("root", "root").await.unwrap();
        c.auth_enable().await.unwrap();
    });
    let file = |name: &str, text: &str| {
        let p = chain.dir.path().join(name);
        std::fs::write(&p, text).unwrap();
        p.to_str().unwrap().to_string()
    };
    let (right, wrong) = (file("pw", "s3cret\n"), file("wrong", "guess\n"));
    let s = |p: &Path| p.to_str().unwrap().to_string();
    let tls = |password: &str, cert: bool| {
        let mut a = vec!["--etcd-ca".to_string(), s(&pki.ca)];
        if cert {
            a.extend([
                "--etcd-cert".into(),
                s(&pki.node.0),
                "--etcd-key".into(),
                s(&pki.node.1),
            ]);
        }
        a.extend([
            "--etcd-user".into(),
            "root".into(),
            "--etcd-password-file".into(),
            password.to_string(),
        ]);
        a
    };

    // Two nodes over TLS, authenticated: one ledger.
    let nodes: Vec<NodeProc> = (0..2)
        .map(|i| {
            let mut n = NodeProc::new(chain.data_dir(&format!("n{i}")), &e, &format!("n{i}"), 4);
            n.extra = tls(&right, true);
            n.start();
            n
        })
        .collect();
    let mut r = rng(77);
    let txs = chain.stream(0, 8, &mut r);
    for (i, tx) in txs.iter().enumerate() {
        assert!(nodes[i % 2].submit(tx));
    }
    wait_until(
        "both nodes to include everything",
        Duration::from_secs(60),
        || all_included(&nodes, &txs),
    );
    assert_same_chain(&[&nodes[0], &nodes[1]], Duration::from_secs(10));

    // Refusals: each node below exits with an error naming what is wrong.
    let runs = std::cell::Cell::new(0);
    let run = |extra: Vec<String>, etcd: &str| {
        runs.set(runs.get() + 1);
        let data = chain.data_dir(&format!("refused{}", runs.get()));
        let mut args: Vec<String> = [
            "run",
            "--data",
            data.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--etcd",
            etcd,
        ]
        .map(String::from)
        .to_vec();
        args.extend(extra);
        run_to_exit(&args, Duration::from_secs(30))
    };
    let (ok, err) = run(Vec::new(), &e);
    assert!(
        !ok && err.contains("--etcd-ca"),
        "https without a CA: {err}"
    );
    let (ok, err) = run(tls(&wrong, true), &e);
    assert!(
        !ok && err.contains("cannot reach etcd") && err.contains("invalid user ID or password"),
        "a wrong password: {err}"
    );
    let (ok, err) = run(tls(&right, false), &e);
    assert!(
        !ok && err.contains("cannot reach etcd"),
        "no client certificate: {err}"
    );
    let plain = e.replace("https://", "http://");
    let (ok, err) = run(tls(&right, true), &plain);
    assert!(
        !ok && err.contains("are for https:// etcd URLs"),
        "TLS options with http://: {err}"
    );
    let (ok, err) = run(
        vec![
            "--etcd-ca".into(),
            s(&pki.ca),
            "--etcd-user".into(),
            "root".into(),
        ],
        &e,
    );
    assert!(
        !ok && err.contains("needs a password"),
        "a user without a password: {err}"
    );
}
