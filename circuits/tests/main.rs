//! The circuits' integration tests, in one binary. Each test binary links arkworks (and the
//! node, tokio and the etcd client) and compiles the generic proving code
//! it calls, so one binary instead of one per file saves most of the test
//! build; `cargo nextest` still runs every test in its own process. Each
//! module keeps its file and its description.

mod binding;
mod clauses;
mod common;
mod gadgets;
mod inherit;
mod poseidon_vectors;
