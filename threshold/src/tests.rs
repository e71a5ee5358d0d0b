use super::*;
use ed25519_dalek::{Signature, VerifyingKey};
use rand_core::OsRng;

/// Through JSON and back, as between two trustees' machines.
fn wire<T: Document>(doc: &T) -> T {
    let text = to_json(doc).unwrap();
    let back: T = parse(&text).unwrap();
    assert_eq!(to_json(&back).unwrap(), text, "{} round trip", T::KIND);
    back
}

struct Round1 {
    secrets: Vec<Round1Secret>,
    publics: Vec<Round1Public>,
}

fn round1(label: &str, t: u16, n: u16) -> Round1 {
    let (mut secrets, mut publics) = (vec![], vec![]);
    for i in 1..=n {
        let (s, p) = dkg_round1(label, i, t, n, &mut OsRng).unwrap();
        secrets.push(wire(&s));
        publics.push(wire(&p));
    }
    Round1 { secrets, publics }
}

fn others(publics: &[Round1Public], me: u16) -> Vec<Round1Public> {
    publics
        .iter()
        .filter(|p| p.index() != me)
        .cloned()
        .collect()
}

fn addressed(sealed: &[Round2Sealed], to: u16) -> Vec<Round2Sealed> {
    sealed.iter().filter(|p| p.to() == to).cloned().collect()
}

/// A full DKG; every document goes through JSON.
fn dkg(label: &str, t: u16, n: u16) -> (Vec<KeyShare>, Vec<GroupKey>) {
    let r1 = round1(label, t, n);
    let (mut r2, mut sealed) = (vec![], vec![]);
    for s in &r1.secrets {
        let (secret, out) = dkg_round2(s, &others(&r1.publics, s.index()), &mut OsRng).unwrap();
        assert_eq!(out.len(), usize::from(n - 1));
        r2.push(wire(&secret));
        sealed.extend(out.iter().map(wire));
    }
    let (mut shares, mut groups) = (vec![], vec![]);
    for s in &r2 {
        // Odd trustees pass all round-1 files, their own included.
        let publics = if s.index() % 2 == 1 {
            r1.publics.clone()
        } else {
            others(&r1.publics, s.index())
        };
        let (share, group) = dkg_finish(s, &publics, &addressed(&sealed, s.index())).unwrap();
        shares.push(wire(&share));
        groups.push(wire(&group));
    }
    (shares, groups)
}

fn share_of(shares: &[KeyShare], i: u16) -> &KeyShare {
    shares.iter().find(|s| s.index() == i).unwrap()
}

/// Signing round 1 for `signers`: their nonces and the package.
fn package(
    shares: &[KeyShare],
    group: &GroupKey,
    signers: &[u16],
    message: &[u8],
) -> (Vec<SigningNonces>, SigningPackage) {
    let (mut nonces, mut commitments) = (vec![], vec![]);
    for &i in signers {
        let (n, c) = commit(share_of(shares, i), &mut OsRng);
        nonces.push(wire(&n));
        commitments.push(wire(&c));
    }
    (
        nonces,
        wire(&signing_package(group, message, &commitments).unwrap()),
    )
}

fn sign_all(
    shares: &[KeyShare],
    nonces: Vec<SigningNonces>,
    package: &SigningPackage,
) -> Vec<SignatureShare> {
    let signers = package.signers();
    signers
        .iter()
        .zip(nonces)
        .map(|(i, n)| wire(&sign_share(share_of(shares, *i), n, package).unwrap()))
        .collect()
}

fn sign(shares: &[KeyShare], group: &GroupKey, signers: &[u16], message: &[u8]) -> [u8; 64] {
    let (nonces, package) = package(shares, group, signers, message);
    aggregate(group, &package, &sign_all(shares, nonces, &package)).unwrap()
}

fn verifies(group: &GroupKey, message: &[u8], signature: &[u8; 64]) -> bool {
    let key = VerifyingKey::from_bytes(&group.ed25519_public_key()).unwrap();
    key.verify_strict(message, &Signature::from_bytes(signature))
        .is_ok()
}

fn assert_same_groups(groups: &[GroupKey]) {
    let first = to_json(&groups[0]).unwrap();
    for g in groups {
        assert_eq!(to_json(g).unwrap(), first);
        assert_eq!(g.fingerprint().unwrap(), groups[0].fingerprint().unwrap());
    }
}

#[test]
fn two_of_three_every_pair_signs_a_plain_ed25519_signature() {
    let (shares, groups) = dkg("authority", 2, 3);
    assert_same_groups(&groups);
    let group = &groups[0];
    let key = VerifyingKey::from_bytes(&group.ed25519_public_key()).unwrap();
    assert!(!key.is_weak());
    assert!(shares
        .iter()
        .all(|s| s.ed25519_public_key() == group.ed25519_public_key()));
    let message = b"genesis of fund 42";
    let mut signatures = vec![];
    for pair in [[1, 2], [1, 3], [2, 3]] {
        let signature = sign(&shares, &groups[usize::from(pair[0]) - 1], &pair, message);
        assert!(verifies(group, message, &signature), "pair {pair:?}");
        assert!(
            !verifies(group, b"genesis of fund 43", &signature),
            "pair {pair:?}"
        );
        signatures.push(signature);
    }
    // Fresh nonces every time: three different signatures of one message.
    assert!(signatures[0] != signatures[1] && signatures[1] != signatures[2]);
    let all = sign(&shares, group, &[1, 2, 3], message);
    assert!(verifies(group, message, &all));
}

#[test]
fn three_of_five() {
    let (shares, groups) = dkg("registrar", 3, 5);
    assert_same_groups(&groups);
    let group = &groups[4];
    for signers in [[1, 2, 3], [1, 3, 5], [2, 4, 5], [3, 4, 5]] {
        let signature = sign(&shares, group, &signers, b"admit member");
        assert!(verifies(group, b"admit member", &signature), "{signers:?}");
        assert!(
            !verifies(group, b"admit member!", &signature),
            "{signers:?}"
        );
    }
    assert!(verifies(
        group,
        b"m",
        &sign(&shares, group, &[1, 2, 3, 4, 5], b"m")
    ));
    let (_, commitments): (Vec<_>, Vec<_>) = [2, 5]
        .iter()
        .map(|i| commit(share_of(&shares, *i), &mut OsRng))
        .unzip();
    let err = signing_package(group, b"m", &commitments).unwrap_err();
    assert_eq!(
        err.to_string().split(':').next().unwrap(),
        "3 of 5 signers needed, got commitments from 2 (signers 2, 5)"
    );
}

#[test]
fn fewer_than_t_commitments_or_foreign_signers_are_refused() {
    let (shares, groups) = dkg("authority", 2, 3);
    let group = &groups[0];
    let (_, c2) = commit(share_of(&shares, 2), &mut OsRng);
    let err = signing_package(group, b"m", std::slice::from_ref(&c2)).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotEnoughSigners {
                needed: 2,
                total: 3,
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .starts_with("2 of 3 signers needed, got commitments from 1 (signer 2)"),
        "{err}"
    );
    let err = signing_package(group, b"m", &[c2.clone(), c2]).unwrap_err();
    assert!(
        err.to_string().contains("two commitments from signer 2"),
        "{err}"
    );

    // Signer 3 is not in a package of signers 1 and 2: it cannot sign it,
    // and a share it made for another package is refused.
    let (nonces, package12) = package(&shares, group, &[1, 2], b"m");
    let (n3, _) = commit(share_of(&shares, 3), &mut OsRng);
    let err = sign_share(share_of(&shares, 3), n3, &package12).unwrap_err();
    assert!(
        err.to_string()
            .contains("signer 3 is not in this signing package (its signers 1, 2)"),
        "{err}"
    );
    let (mut nonces13, package13) = package(&shares, group, &[1, 3], b"m");
    let foreign = sign_share(share_of(&shares, 3), nonces13.pop().unwrap(), &package13).unwrap();
    let mut shares12 = sign_all(&shares, nonces, &package12);
    let missing = aggregate(group, &package12, &shares12[..1]).unwrap_err();
    assert!(
        missing
            .to_string()
            .contains("no signature share yet from signer(s) 2"),
        "{missing}"
    );
    shares12.push(foreign);
    let err = aggregate(group, &package12, &shares12).unwrap_err();
    assert!(
        err.to_string().contains("a signature share from signer 3, who is not in this signing package (its signers 1, 2)"),
        "{err}"
    );
    shares12.pop();
    assert!(aggregate(group, &package12, &shares12).is_ok());
}

#[test]
fn a_tampered_signature_share_is_pinned_on_its_signer() {
    let (shares, groups) = dkg("authority", 2, 3);
    let group = &groups[1];
    let (nonces, package) = package(&shares, group, &[1, 3], b"pay pension 7");
    let signed = sign_all(&shares, nonces, &package);
    // Signer 3's file carries signer 1's share value.
    let mut forged: serde_json::Value =
        serde_json::from_str(&to_json(&signed[1]).unwrap()).unwrap();
    forged["share"] = serde_json::from_str::<serde_json::Value>(&to_json(&signed[0]).unwrap())
        .unwrap()["share"]
        .clone();
    let forged: SignatureShare = parse(&forged.to_string()).unwrap();
    let err = aggregate(group, &package, &[signed[0].clone(), forged]).unwrap_err();
    assert!(matches!(err, Error::InvalidShare { culprit: 3 }), "{err}");
    assert!(err
        .to_string()
        .contains("signature share of signer 3 is invalid"));
    // A share for another message (another package) is refused by its digest.
    let (nonces, other) = self::package(&shares, group, &[1, 3], b"pay pension 8");
    let other = sign_all(&shares, nonces, &other);
    let err = aggregate(group, &package, &[signed[0].clone(), other[1].clone()]).unwrap_err();
    assert!(
        err.to_string()
            .contains("signer 3 was made for another signing package"),
        "{err}"
    );
    assert!(verifies(
        group,
        b"pay pension 7",
        &aggregate(group, &package, &signed).unwrap()
    ));
}

#[test]
fn nonces_cannot_be_used_for_a_second_package() {
    let (shares, groups) = dkg("authority", 2, 3);
    let group = &groups[0];
    let (mut nonces, first) = package(&shares, group, &[1, 2], b"first");
    let copy = to_json(&nonces[0]).unwrap(); // a copied nonces file
    let n2 = nonces.pop().unwrap();
    let n1 = nonces.pop().unwrap();
    let s1 = sign_share(share_of(&shares, 1), n1, &first).unwrap();
    let s2 = sign_share(share_of(&shares, 2), n2, &first).unwrap();
    assert!(verifies(
        group,
        b"first",
        &aggregate(group, &first, &[s1, s2]).unwrap()
    ));
    let (_, second) = package(&shares, group, &[1, 2], b"second");
    let err = sign_share(share_of(&shares, 1), parse(&copy).unwrap(), &second).unwrap_err();
    assert!(matches!(err, Error::NoncesMismatch { index: 1 }), "{err}");
    // Another signer's nonces are refused too.
    let (n1, _) = commit(share_of(&shares, 1), &mut OsRng);
    let err = sign_share(share_of(&shares, 2), n1, &second).unwrap_err();
    assert!(
        err.to_string().contains("these nonces are signer 1's"),
        "{err}"
    );
}

#[test]
fn files_of_a_stale_dkg_of_the_same_label_are_refused() {
    let (old_shares, old_groups) = dkg("authority", 2, 3);
    let (_, new_groups) = dkg("authority", 2, 3);
    let (old, new) = (&old_groups[0], &new_groups[0]);
    assert_ne!(old.ed25519_public_key(), new.ed25519_public_key());
    let (nonces, package) = package(&old_shares, old, &[1, 2], b"m");
    let signed = sign_all(&old_shares, nonces, &package);
    let err = aggregate(new, &package, &signed).unwrap_err();
    assert!(matches!(err, Error::WrongGroupKey { .. }), "{err}");
    assert!(err.to_string().contains("another DKG run"), "{err}");
    let (_, c1) = commit(share_of(&old_shares, 1), &mut OsRng);
    let (_, c2) = commit(share_of(&old_shares, 2), &mut OsRng);
    let err = signing_package(new, b"m", &[c1, c2]).unwrap_err();
    assert!(matches!(err, Error::WrongGroupKey { .. }), "{err}");
    assert!(aggregate(old, &package, &signed).is_ok());
}

#[test]
fn round2_packages_open_only_for_their_recipient() {
    let r1 = round1("authority", 2, 3);
    let mut r2 = vec![];
    let mut sealed = vec![];
    for s in &r1.secrets {
        let (secret, out) = dkg_round2(s, &others(&r1.publics, s.index()), &mut OsRng).unwrap();
        r2.push(secret);
        sealed.extend(out);
    }
    let from1to2 = sealed
        .iter()
        .find(|p| p.from() == 1 && p.to() == 2)
        .unwrap()
        .clone();
    let mut for3 = addressed(&sealed, 3);
    for3[0] = from1to2.clone();
    let err = dkg_finish(&r2[2], &r1.publics, &for3).unwrap_err();
    assert!(
        matches!(
            err,
            Error::NotForMe {
                from: 1,
                to: 2,
                me: 3
            }
        ),
        "{err}"
    );
    // Readdressed to 3: HPKE refuses it (wrong key and wrong info).
    let readdressed = to_json(&from1to2)
        .unwrap()
        .replace("\"to\": 2", "\"to\": 3");
    for3[0] = parse(&readdressed).unwrap();
    let err = dkg_finish(&r2[2], &r1.publics, &for3).unwrap_err();
    assert!(matches!(err, Error::CannotOpen { from: 1, to: 3 }), "{err}");
    // Relabelled as coming from participant 3 (same recipient, same key):
    // the HPKE info binds the sender.
    let from1 = addressed(&sealed, 2)
        .into_iter()
        .find(|p| p.from() == 1)
        .unwrap();
    let relabelled: Round2Sealed = parse(
        &to_json(&from1)
            .unwrap()
            .replace("\"from\": 1", "\"from\": 3"),
    )
    .unwrap();
    let err = dkg_finish(&r2[1], &r1.publics, &[from1, relabelled]).unwrap_err();
    assert!(matches!(err, Error::CannotOpen { from: 3, to: 2 }), "{err}");
    // Altered ciphertext.
    let mut altered = addressed(&sealed, 2);
    let mut json: serde_json::Value = serde_json::from_str(&to_json(&altered[0]).unwrap()).unwrap();
    let mut ct = json["ciphertext"].as_str().unwrap().to_string();
    ct.replace_range(0..2, if &ct[0..2] == "00" { "01" } else { "00" });
    json["ciphertext"] = ct.into();
    altered[0] = parse(&json.to_string()).unwrap();
    assert!(matches!(
        dkg_finish(&r2[1], &r1.publics, &altered),
        Err(Error::CannotOpen { to: 2, .. })
    ));
    // A missing package, a duplicate.
    let mut for2 = addressed(&sealed, 2);
    let err = dkg_finish(&r2[1], &r1.publics, &for2[..1]).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing the package(s) from participant(s)"),
        "{err}"
    );
    for2.push(for2[0].clone());
    assert!(dkg_finish(&r2[1], &r1.publics, &for2)
        .unwrap_err()
        .to_string()
        .contains("two packages"));
    // The untouched ones work.
    assert!(dkg_finish(&r2[1], &r1.publics, &addressed(&sealed, 2)).is_ok());
}

#[test]
fn equivocated_or_changed_round1_files_are_detected() {
    let r1 = round1("authority", 2, 3);
    // Participant 1 hands participant 3 another round-1 file than participant 2.
    let (_, second) = dkg_round1("authority", 1, 2, 3, &mut OsRng).unwrap();
    let view3 = vec![second, r1.publics[1].clone()];
    let (r2_2, out2) = dkg_round2(&r1.secrets[1], &others(&r1.publics, 2), &mut OsRng).unwrap();
    let (_, out3) = dkg_round2(&r1.secrets[2], &view3, &mut OsRng).unwrap();
    let (_, out1) = dkg_round2(&r1.secrets[0], &others(&r1.publics, 1), &mut OsRng).unwrap();
    let for2: Vec<_> = out1
        .iter()
        .chain(&out3)
        .filter(|p| p.to() == 2)
        .cloned()
        .collect();
    let err = dkg_finish(&r2_2, &r1.publics, &for2).unwrap_err();
    assert!(matches!(err, Error::Round1Differs { from: 3 }), "{err}");
    // Finishing with other round-1 files than round 2 used.
    let mut changed = r1.publics.clone();
    changed[0] = view3[0].clone();
    assert!(matches!(
        dkg_finish(&r2_2, &changed, &for2),
        Err(Error::Round1Changed)
    ));
    let _ = out2;
}

#[test]
fn bad_round1_sets_and_parameters_are_refused() {
    let r1 = round1("authority", 2, 3);
    let s1 = &r1.secrets[0];
    let dup = vec![
        r1.publics[1].clone(),
        r1.publics[1].clone(),
        r1.publics[2].clone(),
    ];
    let err = dkg_round2(s1, &dup, &mut OsRng).unwrap_err();
    assert!(
        err.to_string().contains("two files from participant 2"),
        "{err}"
    );
    let err = dkg_round2(s1, &r1.publics[1..2], &mut OsRng).unwrap_err();
    assert!(
        err.to_string()
            .contains("missing the file(s) of participant(s) 3"),
        "{err}"
    );
    let (_, impostor) = dkg_round1("authority", 1, 2, 3, &mut OsRng).unwrap();
    let err = dkg_round2(
        s1,
        &[impostor, r1.publics[1].clone(), r1.publics[2].clone()],
        &mut OsRng,
    )
    .unwrap_err();
    assert!(err.to_string().contains("posing as participant 1"), "{err}");
    let (_, other_shape) = dkg_round1("authority", 2, 3, 3, &mut OsRng).unwrap();
    let err = dkg_round2(s1, &[other_shape, r1.publics[2].clone()], &mut OsRng).unwrap_err();
    assert!(
        err.to_string()
            .contains("for a 3-of-3 key, yours for 2-of-3"),
        "{err}"
    );

    // Participant 2's round-1 file with participant 3's proof of knowledge.
    let mut forged: serde_json::Value =
        serde_json::from_str(&to_json(&r1.publics[1]).unwrap()).unwrap();
    let proof3: serde_json::Value =
        serde_json::from_str(&to_json(&r1.publics[2]).unwrap()).unwrap();
    forged["package"]["proof_of_knowledge"] = proof3["package"]["proof_of_knowledge"].clone();
    let forged: Round1Public = parse(&forged.to_string()).unwrap();
    let err = dkg_round2(s1, &[forged, r1.publics[2].clone()], &mut OsRng).unwrap_err();
    assert!(matches!(err, Error::Culprit { culprit: 2, .. }), "{err}");
    assert!(dkg_round2(s1, &r1.publics, &mut OsRng).is_ok());

    let param = |t, n, i| {
        dkg_round1("authority", i, t, n, &mut OsRng)
            .unwrap_err()
            .to_string()
    };
    assert!(param(3, 2, 1).contains("a threshold of 3 can never be met by 2 trustees"));
    assert!(param(2, 3, 0)
        .contains("participant index 0 is out of range: trustees are numbered 1 to 3"));
    assert!(param(2, 3, 4).contains("participant index 4 is out of range"));
    assert!(param(1, 1, 1).contains("use a plain Ed25519 key for development"));
    assert!(param(1, 3, 1).contains("must be at least 2"));
    assert!(param(2, 256, 1).contains("at most 255"));
    assert!(dkg_round1("", 1, 2, 3, &mut OsRng)
        .unwrap_err()
        .to_string()
        .contains("invalid key label"));
}

#[test]
fn documents_of_another_label_kind_or_format_are_refused() {
    let r1 = round1("authority", 2, 3);
    let registrar = round1("registrar", 2, 3);
    let mixed = vec![r1.publics[1].clone(), registrar.publics[2].clone()];
    let err = dkg_round2(&r1.secrets[0], &mixed, &mut OsRng).unwrap_err();
    assert!(
        matches!(
            &err,
            Error::WrongLabel {
                kind: "dkg-round1",
                ..
            }
        ),
        "{err}"
    );
    assert!(
        err.to_string()
            .contains("is for the key \"registrar\", but the key \"authority\" is in use"),
        "{err}"
    );

    let (shares, groups) = dkg("authority", 2, 3);
    let (reg_shares, _) = dkg("registrar", 2, 3);
    let text = to_json(&groups[0]).unwrap();
    assert!(parse_for::<GroupKey>(&text, "authority").is_ok());
    assert!(matches!(
        parse_for::<GroupKey>(&text, "registrar"),
        Err(Error::WrongLabel { .. })
    ));
    let (_, c1) = commit(share_of(&shares, 1), &mut OsRng);
    let (_, r2) = commit(share_of(&reg_shares, 2), &mut OsRng);
    assert!(matches!(
        signing_package(&groups[0], b"m", &[c1, r2]),
        Err(Error::WrongLabel { .. })
    ));

    let share_text = to_json(&shares[0]).unwrap();
    let err = parse::<GroupKey>(&share_text).unwrap_err();
    assert!(
        matches!(&err, Error::WrongKind { expected: "group-key", found } if found == "\"key-share\""),
        "{err}"
    );
    assert_eq!(
        err.to_string(),
        "expected a \"group-key\" document, found a \"key-share\" document: check which file was given for this step"
    );
    let err =
        parse::<KeyShare>(&share_text.replace("zkpension-threshold/v1", "zkpension-threshold/v0"))
            .unwrap_err();
    assert!(
        matches!(&err, Error::WrongFormat { found } if found == "\"zkpension-threshold/v0\""),
        "{err}"
    );
    assert!(matches!(
        parse::<KeyShare>("{\"kind\": \"key-share\"}"),
        Err(Error::WrongFormat { .. })
    ));
    assert!(matches!(
        parse::<KeyShare>("not json"),
        Err(Error::Malformed {
            expected: "key-share",
            ..
        })
    ));
    let err = parse::<KeyShare>("42").unwrap_err();
    assert!(
        err.to_string().starts_with(
            "not a valid \"key-share\" document: invalid type: integer `42`, expected a JSON object"
        ),
        "{err}"
    );
    let truncated =
        format!("{{\"format\": \"{FORMAT}\", \"kind\": \"key-share\", \"label\": \"authority\"}}");
    let err = parse::<KeyShare>(&truncated).unwrap_err();
    assert!(
        err.to_string()
            .starts_with("not a valid \"key-share\" document: missing field"),
        "{err}"
    );
    // Consistency checks beyond the JSON shape.
    let mut group: serde_json::Value = serde_json::from_str(&text).unwrap();
    group["group_key"] = hex::encode(groups[0].ed25519_public_key().map(|b| b ^ 1)).into();
    assert!(matches!(
        parse::<GroupKey>(&group.to_string()),
        Err(Error::Malformed { .. })
    ));
    let (_, package) = package(&shares, &groups[0], &[1, 2], b"pay 100");
    let altered = to_json(&package)
        .unwrap()
        .replace(&hex::encode(b"pay 100"), &hex::encode(b"pay 900"));
    let err = parse::<SigningPackage>(&altered).unwrap_err();
    assert!(err.to_string().contains("the package was altered"), "{err}");
}

#[test]
fn every_document_kind_round_trips_through_json() {
    let r1 = round1("authority", 2, 3);
    let (r2, sealed) = dkg_round2(&r1.secrets[0], &others(&r1.publics, 1), &mut OsRng).unwrap();
    let (shares, groups) = dkg("authority", 2, 3);
    let (nonces, package) = package(&shares, &groups[0], &[1, 2], b"m");
    let commitment = commit(&shares[2], &mut OsRng).1;
    let signed = sign_all(&shares, nonces, &package);
    let (nonces, _) = commit(&shares[0], &mut OsRng);
    fn kind<T: Document>(doc: &T) -> String {
        let value: serde_json::Value = serde_json::from_str(&to_json(doc).unwrap()).unwrap();
        assert_eq!(value["format"], FORMAT);
        assert_eq!(value["label"], "authority");
        wire(doc);
        value["kind"].as_str().unwrap().to_string()
    }
    let kinds = [
        kind(&r1.publics[0]),
        kind(&r1.secrets[0]),
        kind(&sealed[0]),
        kind(&r2),
        kind(&shares[0]),
        kind(&groups[0]),
        kind(&nonces),
        kind(&commitment),
        kind(&package),
        kind(&signed[0]),
    ];
    assert_eq!(
        kinds,
        [
            "dkg-round1",
            "dkg-round1-secret",
            "dkg-round2",
            "dkg-round2-secret",
            "key-share",
            "group-key",
            "signing-nonces",
            "signing-commitment",
            "signing-package",
            "signature-share"
        ]
    );
    let package_json: serde_json::Value =
        serde_json::from_str(&to_json(&package).unwrap()).unwrap();
    assert_eq!(package_json["message"], hex::encode(b"m"));
    assert_eq!(
        package.message_sha256(),
        <[u8; 32]>::from(<sha2::Sha256 as sha2::Digest>::digest(b"m"))
    );
    // Debug output of secrets names the owner, not the secret.
    assert_eq!(
        format!("{:?}", shares[0]),
        "KeyShare { label: \"authority\", index: 1, .. }"
    );
}

#[test]
fn secret_files_are_private_and_never_overwritten() {
    let dir = tempfile::tempdir().unwrap();
    let (shares, groups) = dkg("authority", 2, 3);
    let path = dir.path().join("share-1.json");
    write_secret(&path, &shares[0]).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    let err = write_secret(&path, &shares[1]).unwrap_err();
    assert!(matches!(err, Error::Exists { .. }), "{err}");
    let back: KeyShare = read_for(&path, "authority").unwrap();
    assert_eq!(back.index(), 1);

    let public = dir.path().join("group.json");
    write_public(&public, &groups[0], false).unwrap();
    assert!(matches!(
        write_public(&public, &groups[0], false),
        Err(Error::Exists { .. })
    ));
    write_public(&public, &groups[1], true).unwrap();
    assert_eq!(read::<GroupKey>(&public).unwrap(), groups[1]);

    let err = read::<GroupKey>(&path).unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}: expected a \"group-key\" document",
            path.display()
        )),
        "{err}"
    );
    let err = read_for::<GroupKey>(&public, "registrar").unwrap_err();
    assert!(
        err.to_string().starts_with(&format!(
            "{}: this \"group-key\" document",
            public.display()
        )),
        "{err}"
    );
    let missing = dir.path().join("nope.json");
    let err = read::<GroupKey>(&missing).unwrap_err();
    assert!(
        err.to_string()
            .starts_with(&format!("cannot read {}", missing.display())),
        "{err}"
    );
}
