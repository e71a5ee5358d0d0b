//! The wallet file: private permissions, never overwritten, replaced atomically.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use zkpension_circuits::field::Fr;
use zkpension_circuits::note::Note;
use zkpension_prover::wallet::{OwnedNote, Wallet, WalletError, WALLET_VERSION};

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
    let w = Wallet::from_seed_phrase("alpha beta gamma").unwrap();
    w.create(&path).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(mode(path.parent().unwrap()), 0o700);
    let before = std::fs::read(&path).unwrap();

    let other = Wallet::from_seed_phrase("delta epsilon").unwrap();
    let err = other.create(&path).unwrap_err();
    assert!(matches!(err, WalletError::Exists(_)), "{err}");
    assert!(err.to_string().contains("refusing to overwrite"), "{err}");
    assert_eq!(std::fs::read(&path).unwrap(), before);
    assert_eq!(names(path.parent().unwrap()), vec!["wallet.json"]);

    let loaded = Wallet::load(&path).unwrap();
    assert_eq!(loaded.owner, w.owner);
    assert_eq!(loaded.version, WALLET_VERSION);
    assert_eq!(loaded.spending_key().expose(), w.spending_key().expose());
}

#[test]
fn saving_replaces_the_file_whole_and_keeps_it_private() {
    let tmp = tempfile::tempdir().unwrap();
    let path = tmp.path().join("wallet.json");
    let mut w = Wallet::from_seed_phrase("saving is atomic").unwrap();
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
        let mut w2 = Wallet::from_seed_phrase("saving is atomic").unwrap();
        for i in 0..40u64 {
            w2.notes.push(OwnedNote::pending(Note::enrollment(
                w2.owner,
                i,
                Fr::from(i),
                Fr::from(i + 1),
            )));
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
