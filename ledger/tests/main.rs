//! The node's integration tests, in one binary. Each test binary links arkworks (and the
//! node, tokio and the etcd client) and compiles the generic proving code
//! it calls, so one binary instead of one per file saves most of the test
//! build; `cargo nextest` still runs every test in its own process. Each
//! module keeps its file and its description.

mod admission;
mod anchors;
mod audit;
mod cluster;
mod cluster_support;
mod cluster_tls;
mod common;
mod crash;
mod e2e;
mod explorer;
mod http;
mod limits;
mod model;
mod rules;
mod snapshot;
mod startup;
mod storage;
