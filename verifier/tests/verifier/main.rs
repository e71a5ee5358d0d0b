//! Tests of the verifier with real proofs of the four statements, made with
//! throwaway keys once for the whole binary (see `common`).

mod common;

mod batch;
mod decode;
mod keys;
mod single;
