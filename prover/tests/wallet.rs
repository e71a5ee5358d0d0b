//! The wallet file: private permissions, never overwritten, replaced
//! atomically; and the key and note derivations against vectors made by
//! independent code (`test-vectors/derivations.json`).

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use zkpension_circuits::field;
use zkpension_circuits::field::Fr;
use zkpension_circuits::note::Note;
use zkpension_circuits::replay::{self, PublicChange};
use zkpension_prover::wallet::{parse_phrase, OwnedNote, Wallet, WalletError, WALLET_VERSION};

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

fn names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

#[test]
fn a_new_wallet_is_private_and_never_overwritten() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("private").join("wallet.json");
    let w = Wallet::from_seed_bytes(b"alpha beta gamma");
    w.create(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let before = std::fs::read(&path).unwrap();

    let other = Wallet::from_seed_bytes(b"delta epsilon");
    let err = other.create(&path).unwrap_err();
    assert!(matches!(err, WalletError::Exists(_)), "{err}");
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(names(path.parent().unwrap()), vec!["wallet.json"]);

    let loaded = Wallet::load(&path).unwrap();
    assert_eq!(loaded.owner, w.owner);
    assert_eq!(loaded.version, WALLET_VERSION);
    assert_eq!(
        loaded.spending_key("test").unwrap().expose(),
        w.spending_key("test").unwrap().expose()
    );
}

#[test]
fn saving_replaces_the_file_whole_and_keeps_it_private() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wallet.json");
    let mut w = Wallet::from_seed_bytes(b"saving is atomic");
    w.create(&path).unwrap();

    // A reader that keeps loading the wallet while it is saved again and
    // again must always see a whole file: the old one or the new one.
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut reads = 0u32;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let loaded = Wallet::load(&path).expect("a torn wallet file");
                assert_eq!(loaded.owner, w.owner);
                reads += 1;
            }
            reads
        });
        let mut w2 = Wallet::from_seed_bytes(b"saving is atomic");
        for i in 0..40u64 {
            w2.notes.push(OwnedNote::pending(
                Note::enrollment(w2.owner, i, Fr::from(i), Fr::from(i + 1)),
                None,
            ));
            w2.save(&path).unwrap();
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert!(reader.join().unwrap() > 0);
    });
    assert_eq!(mode(&path), 0o600);
    assert_eq!(
        names(tmp.path()),
        vec!["wallet.json"],
        "no temporary files left"
    );
    w = Wallet::load(&path).unwrap();
    assert_eq!(w.notes.len(), 40);
}

#[test]
fn a_wallet_that_is_not_one_is_refused() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wallet.json");
    std::fs::write(&path, br#"{"format": "zkpension-keys/1"}"#).unwrap();
    assert!(matches!(
        Wallet::load(&path),
        Err(WalletError::Parse { .. })
    ));
    assert!(matches!(
        Wallet::load(&tmp.path().join("missing.json")),
        Err(WalletError::Read { .. })
    ));
}

#[test]
fn derivations_match_the_independent_vectors() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/derivations.json")).unwrap();
    let hex = |x: &serde_json::Value| field::from_hex(x.as_str().unwrap()).unwrap();
    let accounts = v["accounts"].as_array().unwrap();
    assert_eq!(accounts.len(), 2);
    for a in accounts {
        let mnemonic = parse_phrase(a["phrase"].as_str().unwrap()).unwrap();
        assert_eq!(
            format!("0x{}", hex::encode(mnemonic.to_seed(""))),
            a["bip39_seed"].as_str().unwrap()
        );
        let w = Wallet::from_mnemonic(&mnemonic);
        let vk = w.viewing_key();
        assert_eq!(w.spending_key("test").unwrap().expose(), hex(&a["sk"]));
        assert_eq!(vk.owner, hex(&a["owner"]));
        assert_eq!(vk.nk, hex(&a["nk"]));
        assert_eq!(vk.ns, hex(&a["ns"]));
        let eligible = a["eligible_epoch"].as_u64().unwrap();
        let first = replay::enrollment(&vk, 0, eligible);
        assert_eq!(first.rho, hex(&a["rho0"]));
        assert_eq!(first.r, hex(&a["r0"]));
        assert_eq!(first.commit().to_field(), hex(&a["cm0"]));
        assert_eq!(first.nullifier(&vk.nk).to_field(), hex(&a["nf0"]));
        // No heir named: heir_ct is the mask alone.
        let change = PublicChange::Contribute {
            amount: a["contribution"].as_u64().unwrap(),
            epoch: 1,
            heir_ct: vk.heir_mask(&first.nullifier(&vk.nk).to_field()),
        };
        let next = replay::successor(&vk, &first, change).unwrap();
        assert_eq!(next.r, hex(&a["r1"]));
        assert_eq!(next.commit().to_field(), hex(&a["cm1"]));
        // The same contribution naming an heir: the mask, heir_ct and the
        // commitment recovery rebuilds from them.
        let nf0 = first.nullifier(&vk.nk).to_field();
        assert_eq!(vk.heir_mask(&nf0), hex(&a["heir_mask1"]));
        let named = PublicChange::Contribute {
            amount: a["contribution"].as_u64().unwrap(),
            epoch: 1,
            heir_ct: hex(&a["heir_ct1"]),
        };
        let next = replay::successor(&vk, &first, named).unwrap();
        assert_eq!(next.heir, hex(&a["heir1"]));
        assert_eq!(next.heir_ct(&vk), hex(&a["heir_ct1"]));
        assert_eq!(next.commit().to_field(), hex(&a["cm1_heir"]));
    }
}
