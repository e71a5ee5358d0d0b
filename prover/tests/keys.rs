//! Key generation and checked loading: a round trip, and every way a key
//! directory can be wrong (size, id, statement, statement version, circuit).

use crate::common;

use std::path::Path;

use common::{copy_of_keys, keys_dir, proving_keys};
use zkpension_circuits::statements::STATEMENT_VERSION;
use zkpension_circuits::Statement;
use zkpension_prover::keys::{
    self, circuit_info, ensure_keys, Ensured, KeyError, SetupOptions, SETUP_SEEDED, TEST_SEED,
};
use zkpension_prover::ProvingKeys;
use zkpension_verifier::{id_to_hex, sha256_id, KeyManifest, VerifierKeys, MANIFEST_FILE};

fn edit_manifest(dir: &Path, edit: impl FnOnce(&mut serde_json::Value)) {
    let path = dir.join(MANIFEST_FILE);
    let mut v: serde_json::Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
    edit(&mut v);
    std::fs::write(&path, serde_json::to_vec_pretty(&v).unwrap()).unwrap();
}

fn load_err(dir: &Path) -> KeyError {
    ProvingKeys::load(dir).expect_err("the key directory must be refused")
}

#[test]
fn setup_writes_what_load_reads_and_a_seed_reproduces_the_keys() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("fresh");
    let mut events = Vec::new();
    let manifest = keys::setup_with(
        &dir,
        SetupOptions {
            seed: Some(TEST_SEED),
            force: false,
            tables: true,
        },
        &mut |e| events.push(e),
    )
    .unwrap();
    assert_eq!(
        events.len(),
        2 * Statement::ALL.len(),
        "a start and an end event per statement"
    );
    assert_eq!(manifest.setup, SETUP_SEEDED);
    assert_eq!(KeyManifest::read(&dir).unwrap(), manifest);

    for statement in Statement::ALL {
        let e = manifest.entry(statement).unwrap();
        let info = circuit_info(statement).unwrap();
        assert_eq!(e.constraints, info.constraints as u64);
        assert_eq!(e.constraint_digest, id_to_hex(&info.digest));
        let pk = std::fs::read(dir.join(&e.pk_file)).unwrap();
        let vk = std::fs::read(dir.join(&e.vk_file)).unwrap();
        assert_eq!(e.pk_id, id_to_hex(&sha256_id(&pk)));
        assert_eq!(e.vk_id, id_to_hex(&sha256_id(&vk)));
        assert_eq!(e.pk_size, pk.len() as u64);
    }

    // The same seed gives the same keys as the shared test keys.
    let cached = KeyManifest::read(keys_dir()).unwrap();
    assert_eq!(cached.statements, manifest.statements);

    let loaded = ProvingKeys::load(&dir).unwrap();
    assert_eq!(
        loaded.statements().collect::<Vec<_>>(),
        Statement::ALL.to_vec()
    );
    let verifier = VerifierKeys::load_dir(&dir).unwrap();
    for statement in Statement::ALL {
        let k = loaded.get(statement).unwrap();
        assert_eq!(k.statement(), statement);
        assert_eq!(k.vk_id(), verifier.get(statement).id());
        assert_eq!(
            id_to_hex(&k.pk_id()),
            manifest.entry(statement).unwrap().pk_id
        );
    }
}

#[test]
fn setup_refuses_a_directory_with_files_unless_forced() {
    let tmp = tempfile::tempdir().unwrap();
    std::fs::write(tmp.path().join("precious.txt"), b"do not delete").unwrap();
    let err = keys::setup(tmp.path(), Some(TEST_SEED)).unwrap_err();
    assert!(matches!(err, KeyError::DirNotEmpty(_)), "{err}");
    assert_eq!(
        std::fs::read(tmp.path().join("precious.txt")).unwrap(),
        b"do not delete"
    );
    assert!(!tmp.path().join(MANIFEST_FILE).exists());
}

#[test]
fn a_subset_of_statements_can_be_loaded() {
    let keys = ProvingKeys::load_statements(keys_dir(), &[Statement::Claim]).unwrap();
    assert!(keys.get(Statement::Claim).is_some());
    assert!(keys.get(Statement::Contribute).is_none());
    assert!(keys.get(Statement::Attest).is_none());
}

#[test]
fn a_key_file_of_the_wrong_size_is_refused_before_it_is_read() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    let path = dir.join("contribute.pk");
    let mut bytes = std::fs::read(&path).unwrap();
    bytes.push(0);
    std::fs::write(&path, &bytes).unwrap();
    let err = load_err(&dir);
    assert!(
        matches!(
            err,
            KeyError::Checked(zkpension_verifier::KeyError::Size { .. })
        ),
        "{err}"
    );
    assert!(err.to_string().contains("contribute.pk"), "{err}");
}

#[test]
fn a_modified_key_file_is_refused_by_its_id() {
    for file in ["claim.pk", "attest.vk"] {
        let tmp = tempfile::tempdir().unwrap();
        let dir = copy_of_keys(tmp.path());
        let path = dir.join(file);
        let mut bytes = std::fs::read(&path).unwrap();
        let last = bytes.len() - 1;
        bytes[last] ^= 1;
        std::fs::write(&path, &bytes).unwrap();
        let err = load_err(&dir);
        assert!(
            matches!(
                err,
                KeyError::Checked(zkpension_verifier::KeyError::Id { .. })
            ),
            "{file}: {err}"
        );
        assert!(err.to_string().contains(file), "{err}");
    }
}

/// Puts the claim keys in the contribute slot with a manifest entry whose
/// sizes and ids match them, as someone mixing up key files would.
fn claim_keys_as_contribute(dir: &Path, files: &[&str]) {
    let manifest = KeyManifest::read(dir).unwrap();
    let claim = manifest.entry(Statement::Claim).unwrap().clone();
    for ext in files {
        std::fs::copy(
            dir.join(format!("claim.{ext}")),
            dir.join(format!("contribute.{ext}")),
        )
        .unwrap();
    }
    edit_manifest(dir, |v| {
        let e = &mut v["statements"]["contribute"];
        for ext in files {
            let (id, size) = if *ext == "pk" {
                (&claim.pk_id, claim.pk_size)
            } else {
                (&claim.vk_id, claim.vk_size)
            };
            e[format!("{ext}_id")] = id.clone().into();
            e[format!("{ext}_size")] = size.into();
        }
    });
}

#[test]
fn keys_of_another_statement_are_refused() {
    // Both files of the claim statement in the contribute slot: the verifying
    // key has the wrong number of public inputs.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    claim_keys_as_contribute(&dir, &["pk", "vk"]);
    let err = load_err(&dir);
    assert!(
        err.to_string().contains("another statement"),
        "unclear error: {err}"
    );

    // Only the proving key swapped: it does not embed the contribute
    // verifying key.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    claim_keys_as_contribute(&dir, &["pk"]);
    let err = load_err(&dir);
    assert!(matches!(err, KeyError::PairMismatch { .. }), "{err}");

    // The manifest's contribute entry replaced by the claim entry.
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    edit_manifest(&dir, |v| {
        v["statements"]["contribute"] = v["statements"]["claim"].clone();
    });
    let err = load_err(&dir);
    assert!(
        matches!(
            err,
            KeyError::Checked(zkpension_verifier::KeyError::PublicInputNames { .. })
                | KeyError::Checked(zkpension_verifier::KeyError::FileName { .. })
        ),
        "{err}"
    );
}

#[test]
fn keys_of_another_statement_version_are_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    edit_manifest(&dir, |v| {
        v["statements"]["attest"]["statement_version"] = (STATEMENT_VERSION - 1).into();
    });
    let err = load_err(&dir);
    assert!(
        matches!(
            err,
            KeyError::Checked(zkpension_verifier::KeyError::StatementVersion {
                statement: Statement::Attest,
                found,
                ..
            }) if found == STATEMENT_VERSION - 1
        ),
        "{err}"
    );
}

#[test]
fn keys_of_another_circuit_are_refused_by_the_constraint_digest() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    edit_manifest(&dir, |v| {
        v["statements"]["claim"]["constraint_digest"] = format!("0x{}", "00".repeat(32)).into();
    });
    let err = load_err(&dir);
    assert!(
        matches!(
            err,
            KeyError::Digest {
                statement: Statement::Claim,
                ..
            }
        ),
        "{err}"
    );
    assert!(err.to_string().contains("another circuit"), "{err}");
    assert!(keys::check_manifest(&dir).is_err());
    assert!(keys::check_manifest(keys_dir()).is_ok());

    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    edit_manifest(&dir, |v| {
        v["statements"]["contribute"]["constraints"] = 1.into();
    });
    assert!(matches!(load_err(&dir), KeyError::Digest { .. }));
}

#[test]
fn a_missing_statement_or_manifest_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    edit_manifest(&dir, |v| {
        v["statements"].as_object_mut().unwrap().remove("claim");
    });
    let err = load_err(&dir);
    assert!(
        matches!(
            err,
            KeyError::Checked(zkpension_verifier::KeyError::MissingStatement(
                Statement::Claim
            ))
        ),
        "{err}"
    );
    std::fs::remove_file(dir.join(MANIFEST_FILE)).unwrap();
    let err = load_err(&dir);
    assert!(
        matches!(
            err,
            KeyError::Checked(zkpension_verifier::KeyError::Io { .. })
        ),
        "{err}"
    );
}

#[test]
fn ensure_keys_generates_once_and_concurrent_callers_share_it() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("home").join("keys");
    let results: Vec<Ensured> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..3)
            .map(|_| s.spawn(|| ensure_keys(&dir, seeded(), &mut |_| {}).unwrap()))
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    assert_eq!(
        results.iter().filter(|e| **e == Ensured::Generated).count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        ensure_keys(&dir, seeded(), &mut |_| {}).unwrap(),
        Ensured::Existing
    );
    ProvingKeys::load(&dir).unwrap();
    // Nothing but the key directory is left next to it.
    let names: Vec<_> = std::fs::read_dir(tmp.path().join("home"))
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, vec![std::ffi::OsString::from("keys")]);
}

#[test]
fn shared_test_keys_load() {
    let keys = proving_keys();
    assert_eq!(keys.dir(), keys_dir());
    assert_eq!(keys.manifest().setup, SETUP_SEEDED);
}

/// Setup writes each statement's prover tables next to its keys, and loading
/// reads them (no rebuild).
#[test]
fn setup_writes_prover_tables_that_load_reads() {
    let keys = proving_keys();
    for statement in Statement::ALL {
        assert!(keys_dir().join(keys::tables_file_name(statement)).is_file());
    }
    let k = keys.get(Statement::Contribute).unwrap();
    k.tables();
    assert!(
        matches!(k.tables_origin(), Some(keys::TablesOrigin::Loaded)),
        "{:?}",
        k.tables_origin()
    );
}

/// Every way a tables file can be unusable is named, before anything in it
/// is decoded.
#[test]
fn unusable_prover_tables_are_refused_with_the_reason() {
    use zkpension_prover::groth16::ProverTables;
    use zkpension_prover::tables_file::TablesError;
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    let keys = ProvingKeys::load_statements(&dir, &[Statement::Contribute]).unwrap();
    let k = keys.get(Statement::Contribute).unwrap();
    let path = dir.join(keys::tables_file_name(Statement::Contribute));
    let good = std::fs::read(&path).unwrap();
    let read = |bytes: &[u8]| {
        // Replace, never write in place: the file may be a hard link.
        let _ = std::fs::remove_file(&path);
        std::fs::write(&path, bytes).unwrap();
        ProverTables::read(&path, &k.pk_id(), k.proving_key())
    };
    assert!(read(&good).is_ok());

    let mut flipped = good.clone();
    let mid = flipped.len() / 2;
    flipped[mid] ^= 1;
    assert!(matches!(read(&flipped), Err(TablesError::Damaged { .. })));

    let mut last = good.clone();
    *last.last_mut().unwrap() ^= 1;
    assert!(matches!(read(&last), Err(TablesError::Damaged { .. })));

    assert!(matches!(
        read(&good[..good.len() - 1000]),
        Err(TablesError::Damaged { .. })
    ));
    assert!(matches!(
        read(&good[..50]),
        Err(TablesError::NotTables { .. })
    ));
    assert!(matches!(
        read(b"{\"not\": \"tables\"}"),
        Err(TablesError::NotTables { .. })
    ));

    let claim = std::fs::read(dir.join(keys::tables_file_name(Statement::Claim))).unwrap();
    let err = read(&claim).unwrap_err();
    assert!(matches!(err, TablesError::OtherKey { .. }), "{err}");
    assert!(err.to_string().contains("another proving key"), "{err}");

    std::fs::remove_file(&path).unwrap();
    assert!(matches!(
        ProverTables::read(&path, &k.pk_id(), k.proving_key()),
        Err(TablesError::Io { .. })
    ));
}

/// A damaged tables file costs time, never a proof: the tables are rebuilt,
/// saved over it, the proof verifies, and the next load reads the new file.
#[test]
fn damaged_prover_tables_are_rebuilt_and_saved() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = copy_of_keys(tmp.path());
    let path = dir.join(keys::tables_file_name(Statement::Contribute));
    let mut bytes = std::fs::read(&path).unwrap();
    let at = bytes.len() / 3;
    bytes[at] ^= 0x40;
    std::fs::remove_file(&path).unwrap();
    std::fs::write(&path, &bytes).unwrap();

    let keys = ProvingKeys::load_statements(&dir, &[Statement::Contribute]).unwrap();
    let w = zkpension_prover::example::contribute_witness(&mut common::rng(5));
    let proof = zkpension_prover::prove(&keys, &w, &mut common::rng(6)).unwrap();
    let k = keys.get(Statement::Contribute).unwrap();
    match k.tables_origin() {
        Some(keys::TablesOrigin::Built { unusable, saved }) => {
            assert!(unusable.to_string().contains("checksum"), "{unusable}");
            assert!(saved.is_ok(), "{saved:?}");
        }
        other => panic!("expected a rebuild, got {other:?}"),
    }
    let verifier = VerifierKeys::load_dir(&dir).unwrap();
    w.proof_file(&proof).verify(&verifier).unwrap();

    let again = ProvingKeys::load_statements(&dir, &[Statement::Contribute]).unwrap();
    let k = again.get(Statement::Contribute).unwrap();
    k.tables();
    assert!(matches!(
        k.tables_origin(),
        Some(keys::TablesOrigin::Loaded)
    ));
}

fn seeded() -> SetupOptions {
    SetupOptions {
        seed: Some(TEST_SEED),
        ..SetupOptions::default()
    }
}
