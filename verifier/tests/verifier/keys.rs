//! Verifying keys and key directories: round trips, checked loading, and a
//! key of another statement or version refused.

use std::collections::BTreeMap;
use std::fs;

use ark_bn254::G2Affine;
use ark_ec::AffineRepr;
use zkpension_verifier::{
    encoded_size, id_to_hex, read_checked, sha256_id, vk_file_name, KeyError, KeyManifest,
    Statement, VerifierKeys, VerifyingKey, KEY_FORMAT, MANIFEST_FILE,
};

use crate::common::{fixture, write_key_dir};

fn key_dir() -> (tempfile::TempDir, KeyManifest) {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = write_key_dir(dir.path(), fixture());
    (dir, manifest)
}

#[test]
fn verifying_key_round_trips() {
    let keys = &fixture().keys;
    for statement in Statement::ALL {
        let key = keys.get(statement);
        assert_eq!(key.statement(), statement);
        let bytes = key.to_bytes();
        assert_eq!(bytes.len(), encoded_size(statement.num_public_inputs()));
        assert_eq!(key.id(), sha256_id(&bytes));
        let back = VerifyingKey::from_bytes(statement, &bytes).expect("decodes");
        assert_eq!(back.id(), key.id());
        assert_eq!(back.ark(), key.ark());
        let s = fixture().sample(statement);
        back.verify(&s.proof, &s.inputs)
            .expect("the decoded key verifies");
    }
    let ids = keys.ids();
    assert_eq!(ids.len(), Statement::ALL.len());
    assert_eq!(ids[&Statement::Claim], keys.get(Statement::Claim).id());
}

#[test]
fn key_of_another_statement_refused() {
    let keys = &fixture().keys;
    let contribute = keys.get(Statement::Contribute).to_bytes();
    for other in [Statement::Claim, Statement::Attest, Statement::Inherit] {
        assert!(matches!(
            VerifyingKey::from_bytes(other, &contribute),
            Err(KeyError::InputCount { statement, expected, got: 7 })
                if statement == other && expected == other.num_public_inputs()
        ));
        assert!(matches!(
            VerifyingKey::new(other, keys.get(Statement::Contribute).ark().clone()),
            Err(KeyError::InputCount { got: 7, .. })
        ));
    }
    // Keys in the wrong slots.
    assert!(matches!(
        VerifierKeys::new([
            keys.get(Statement::Claim).clone(),
            keys.get(Statement::Contribute).clone(),
            keys.get(Statement::Attest).clone(),
            keys.get(Statement::Inherit).clone(),
        ]),
        Err(KeyError::WrongStatement {
            expected: Statement::Contribute,
            found: Statement::Claim
        })
    ));
}

#[test]
fn malformed_key_bytes_refused() {
    let key = fixture().keys.get(Statement::Claim);
    let bytes = key.to_bytes();
    let encoding = |r: Result<VerifyingKey, KeyError>| matches!(r, Err(KeyError::Encoding { .. }));

    assert!(encoding(VerifyingKey::from_bytes(
        Statement::Claim,
        &bytes[..bytes.len() - 1]
    )));
    assert!(encoding(VerifyingKey::from_bytes(
        Statement::Claim,
        &bytes[..100]
    )));
    let mut long = bytes.clone();
    long.push(0);
    assert!(encoding(VerifyingKey::from_bytes(Statement::Claim, &long)));
    // Both flags on alpha.
    let mut flags = bytes.clone();
    flags[31] |= 0xc0;
    assert!(encoding(VerifyingKey::from_bytes(Statement::Claim, &flags)));
    // The last gamma_abc point's x set to q.
    let mut big = bytes.clone();
    let n = big.len();
    big[n - 32..].copy_from_slice(&ark_ff::BigInteger::to_bytes_le(
        &<ark_bn254::Fq as ark_ff::PrimeField>::MODULUS,
    ));
    assert!(encoding(VerifyingKey::from_bytes(Statement::Claim, &big)));
}

#[test]
fn degenerate_key_refused() {
    let mut vk = fixture().keys.get(Statement::Attest).ark().clone();
    vk.gamma_g2 = G2Affine::zero();
    assert!(matches!(
        VerifyingKey::new(Statement::Attest, vk),
        Err(KeyError::Degenerate {
            statement: Statement::Attest,
            element: "gamma"
        })
    ));
}

#[test]
fn key_dir_loads_and_pins() {
    let (dir, manifest) = key_dir();
    let read = KeyManifest::read(dir.path()).expect("read manifest");
    assert_eq!(read, manifest);
    assert_eq!(read.format, KEY_FORMAT);

    let keys = VerifierKeys::load_dir(dir.path()).expect("load");
    assert_eq!(keys.ids(), fixture().keys.ids());
    for s in &fixture().samples {
        keys.get(s.statement)
            .verify(&s.proof, &s.inputs)
            .expect("valid");
    }

    let pinned = fixture().keys.ids();
    VerifierKeys::load_dir_expecting(dir.path(), &pinned).expect("pinned ids match");

    let mut wrong = pinned.clone();
    wrong.insert(Statement::Claim, [7u8; 32]);
    assert!(matches!(
        VerifierKeys::load_dir_expecting(dir.path(), &wrong),
        Err(KeyError::Pinned {
            statement: Statement::Claim,
            ..
        })
    ));
    let mut missing = pinned.clone();
    missing.remove(&Statement::Attest);
    assert!(matches!(
        VerifierKeys::load_dir_expecting(dir.path(), &missing),
        Err(KeyError::NotPinned(Statement::Attest))
    ));
    assert!(matches!(
        VerifierKeys::load_dir_expecting(dir.path(), &BTreeMap::new()),
        Err(KeyError::NotPinned(Statement::Contribute))
    ));
}

#[test]
fn manifest_size_and_id_checked() {
    let (dir, manifest) = key_dir();
    let path = dir.path();

    // Wrong size in the manifest.
    let mut m = manifest.clone();
    m.statements
        .get_mut(&Statement::Claim)
        .expect("entry")
        .vk_size += 1;
    m.write(path).expect("write");
    assert!(matches!(
        VerifierKeys::load_dir(path),
        Err(KeyError::Size { expected, got, .. }) if expected == got + 1
    ));

    // Wrong id in the manifest.
    let mut m = manifest.clone();
    m.statements
        .get_mut(&Statement::Attest)
        .expect("entry")
        .vk_id = id_to_hex(&[1u8; 32]);
    m.write(path).expect("write");
    assert!(matches!(
        VerifierKeys::load_dir(path),
        Err(KeyError::Id { .. })
    ));

    // A malformed id.
    let mut m = manifest.clone();
    m.statements
        .get_mut(&Statement::Attest)
        .expect("entry")
        .vk_id = "0x12".into();
    m.write(path).expect("write");
    assert!(matches!(KeyManifest::read(path), Err(KeyError::IdHex(_))));

    // The file changed on disk (same size, other bytes).
    manifest.write(path).expect("write");
    let vk = path.join(vk_file_name(Statement::Contribute));
    let mut bytes = fs::read(&vk).expect("read");
    bytes[40] ^= 1;
    fs::write(&vk, &bytes).expect("write");
    assert!(matches!(
        VerifierKeys::load_dir(path),
        Err(KeyError::Id { .. })
    ));

    // read_checked: size first, then id.
    let entry = &manifest.statements[&Statement::Contribute];
    let id = entry.vk_id().expect("id");
    assert!(matches!(
        read_checked(&vk, entry.vk_size - 1, &id),
        Err(KeyError::Size { .. })
    ));
    assert!(matches!(
        read_checked(&vk, entry.vk_size, &id),
        Err(KeyError::Id { .. })
    ));
    bytes[40] ^= 1;
    fs::write(&vk, &bytes).expect("write");
    assert_eq!(
        read_checked(&vk, entry.vk_size, &id).expect("intact"),
        bytes
    );

    // The proving key is checked the same way.
    assert!(manifest.read_pk(path, Statement::Claim).is_ok());
    fs::write(path.join("claim.pk"), b"other").expect("write");
    assert!(matches!(
        manifest.read_pk(path, Statement::Claim),
        Err(KeyError::Size { .. })
    ));
}

#[test]
fn manifest_for_another_statement_or_version_refused() {
    let (dir, manifest) = key_dir();
    let path = dir.path();

    // The claim entry names the contribute key (with its size and id).
    let mut m = manifest.clone();
    let contribute = m.statements[&Statement::Contribute].clone();
    let claim = m.statements.get_mut(&Statement::Claim).expect("entry");
    claim.vk_file = contribute.vk_file.clone();
    claim.vk_id = contribute.vk_id.clone();
    claim.vk_size = contribute.vk_size;
    m.write(path).expect("write");
    assert!(matches!(
        VerifierKeys::load_dir(path),
        Err(KeyError::FileName {
            statement: Statement::Claim,
            field: "vk_file",
            ..
        })
    ));

    // claim.vk holds the contribute key, and the manifest vouches for its
    // bytes: refused once decoded, as a key of another statement.
    let mut m = manifest.clone();
    let claim = m.statements.get_mut(&Statement::Claim).expect("entry");
    claim.vk_id = contribute.vk_id.clone();
    claim.vk_size = contribute.vk_size;
    m.write(path).expect("write");
    fs::copy(path.join("contribute.vk"), path.join("claim.vk")).expect("copy");
    match VerifierKeys::load_dir(path) {
        Err(KeyError::InFile { source, .. }) => assert!(matches!(
            *source,
            KeyError::InputCount {
                statement: Statement::Claim,
                expected: 8,
                got: 7
            }
        )),
        other => panic!("expected a refused claim key, got {other:?}"),
    }
    write_key_dir(path, fixture());

    // Another statement version.
    let mut m = manifest.clone();
    m.statements
        .get_mut(&Statement::Attest)
        .expect("entry")
        .statement_version += 1;
    m.write(path).expect("write");
    assert!(matches!(
        VerifierKeys::load_dir(path),
        Err(KeyError::StatementVersion {
            statement: Statement::Attest,
            ..
        })
    ));

    // Public inputs of another statement.
    let mut m = manifest.clone();
    m.statements
        .get_mut(&Statement::Attest)
        .expect("entry")
        .public_inputs
        .pop();
    m.write(path).expect("write");
    assert!(matches!(
        VerifierKeys::load_dir(path),
        Err(KeyError::PublicInputNames {
            statement: Statement::Attest,
            ..
        })
    ));

    // Another format, a missing statement, unknown fields.
    let mut m = manifest.clone();
    m.format = "zkpension-keys/2".into();
    m.write(path).expect("write");
    assert!(matches!(
        KeyManifest::read(path),
        Err(KeyError::Format { .. })
    ));
    let mut m = manifest.clone();
    m.statements.remove(&Statement::Claim);
    m.write(path).expect("write");
    assert!(matches!(
        KeyManifest::read(path),
        Err(KeyError::MissingStatement(Statement::Claim))
    ));
    let mut v = serde_json::to_value(&manifest).expect("value");
    v["statements"]["claim"]["extra"] = 1.into();
    fs::write(path.join(MANIFEST_FILE), v.to_string()).expect("write");
    assert!(matches!(
        KeyManifest::read(path),
        Err(KeyError::ManifestJson { .. })
    ));
}
