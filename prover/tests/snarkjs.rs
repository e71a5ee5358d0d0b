//! Exported proofs are accepted by an independent verifier: `snarkjs groth16
//! verify` (snarkjs 0.7).
//!
//! snarkjs is found through `ZKPENSION_SNARKJS` (the path of its executable)
//! or at `.tools/snarkjs/node_modules/.bin/snarkjs` in the workspace, where
//! `npm install --prefix .tools/snarkjs snarkjs@0.7.5` puts it (`.ci/run` does).
//! Without it the snarkjs checks are skipped with a message, unless
//! `ZKPENSION_REQUIRE_SNARKJS=1`, which makes a missing snarkjs a failure.

use crate::common;

use std::path::{Path, PathBuf};
use std::process::Command;

use common::{keys_dir, proving_keys, rng, snarkjs};
use zkpension_circuits::Statement;
use zkpension_prover::snarkjs::export_snarkjs;
use zkpension_prover::{example, prove};

/// Proves an example of `statement`, writes its proof file and exports it.
fn export(statement: Statement, dir: &Path, seed: u64) -> PathBuf {
    let mut rng = rng(seed);
    let w = example::witness(statement, &mut rng);
    let proof = prove(proving_keys(), &w, &mut rng).unwrap();
    let proof_file = dir.join(format!("{statement}.proof.json"));
    std::fs::write(
        &proof_file,
        serde_json::to_vec(&w.proof_file(&proof)).unwrap(),
    )
    .unwrap();
    let out = dir.join(statement.name());
    export_snarkjs(keys_dir(), &proof_file, &out).unwrap();
    out
}

fn snarkjs_verify(snarkjs: &Path, out: &Path) -> (bool, String) {
    let output = Command::new(snarkjs)
        .arg("groth16")
        .arg("verify")
        .arg(out.join("verification_key.json"))
        .arg(out.join("public.json"))
        .arg(out.join("proof.json"))
        .output()
        .expect("run snarkjs");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success() && text.contains("OK"), text)
}

fn read_json(path: &Path) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap()
}

#[test]
fn exported_files_have_snarkjs_shape() {
    let tmp = tempfile::tempdir().unwrap();
    let out = export(Statement::Claim, tmp.path(), 10);
    let vk = read_json(&out.join("verification_key.json"));
    assert_eq!(vk["protocol"], "groth16");
    assert_eq!(vk["curve"], "bn128");
    assert_eq!(vk["nPublic"], 8);
    assert_eq!(vk["IC"].as_array().unwrap().len(), 9);
    assert_eq!(vk["vk_alpha_1"][2], "1");
    assert_eq!(vk["vk_beta_2"][2], serde_json::json!(["1", "0"]));
    assert_eq!(vk["vk_alphabeta_12"].as_array().unwrap().len(), 2);
    let proof = read_json(&out.join("proof.json"));
    assert_eq!(proof["pi_a"].as_array().unwrap().len(), 3);
    assert_eq!(proof["pi_b"][0].as_array().unwrap().len(), 2);
    let public = read_json(&out.join("public.json"));
    assert_eq!(public.as_array().unwrap().len(), 8);
    // Decimal strings, no hex.
    assert!(public.as_array().unwrap().iter().all(|x| x
        .as_str()
        .unwrap()
        .bytes()
        .all(|c| c.is_ascii_digit())));
}

#[test]
fn an_invalid_proof_is_not_exported() {
    let tmp = tempfile::tempdir().unwrap();
    let mut rng = rng(11);
    let w = example::contribute_witness(&mut rng);
    let proof = prove(proving_keys(), &w, &mut rng).unwrap();
    let mut file = w.proof_file(&proof);
    file.public_inputs[3] += zkpension_circuits::field::Fr::from(1u64);
    let path = tmp.path().join("bad.json");
    std::fs::write(&path, serde_json::to_vec(&file).unwrap()).unwrap();
    let err = export_snarkjs(keys_dir(), &path, &tmp.path().join("out")).unwrap_err();
    assert!(
        matches!(err, zkpension_prover::ExportError::InvalidProof { .. }),
        "{err}"
    );
    assert!(!tmp.path().join("out").exists());
}

/// snarkjs's own `node_modules` (for its `ffjavascript`), next to the
/// `node_modules/.bin/snarkjs` executable.
fn node_modules(snarkjs: &Path) -> Option<PathBuf> {
    let bin = snarkjs.parent()?;
    (bin.file_name()? == ".bin")
        .then(|| bin.parent().map(Path::to_path_buf))
        .flatten()
        .filter(|m| m.join("ffjavascript").exists())
}

/// `vk_alphabeta_12` (which snarkjs's verifier does not read, but its
/// Solidity export does) equals `e(alpha, beta)` as ffjavascript computes it:
/// the same Fq12 tower and the same final exponentiation.
#[test]
fn alphabeta_matches_ffjavascript_pairing() {
    let Some(snarkjs) = snarkjs() else {
        return;
    };
    let modules = node_modules(&snarkjs).unwrap_or_else(|| {
        panic!(
            "ffjavascript not found next to {}; set ZKPENSION_SNARKJS to node_modules/.bin/snarkjs",
            snarkjs.display()
        )
    });
    let tmp = tempfile::tempdir().unwrap();
    let out = export(Statement::Attest, tmp.path(), 30);
    let script = r#"
const ff = require(process.argv[1] + "/ffjavascript");
const fs = require("fs");
(async () => {
  const curve = await ff.buildBn128(true);
  const vk = ff.utils.unstringifyBigInts(JSON.parse(fs.readFileSync(process.argv[2])));
  const ab = curve.pairing(curve.G1.fromObject(vk.vk_alpha_1), curve.G2.fromObject(vk.vk_beta_2));
  const ok = curve.Gt.eq(ab, curve.Gt.fromObject(vk.vk_alphabeta_12));
  console.log(ok ? "EQUAL" : "DIFFERENT");
  process.exit(ok ? 0 : 1);
})();
"#;
    let output = Command::new("node")
        .arg("-e")
        .arg(script)
        .arg(&modules)
        .arg(out.join("verification_key.json"))
        .output()
        .expect("run node");
    let text = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success() && text.contains("EQUAL"),
        "{text}{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[test]
fn snarkjs_accepts_exported_proofs_and_rejects_altered_inputs() {
    let Some(snarkjs) = snarkjs() else {
        return;
    };
    let tmp = tempfile::tempdir().unwrap();
    for (i, statement) in Statement::ALL.into_iter().enumerate() {
        let out = export(statement, tmp.path(), 20 + i as u64);
        let (ok, text) = snarkjs_verify(&snarkjs, &out);
        assert!(ok, "snarkjs rejected the {statement} proof:\n{text}");
    }

    // The same proof with one public input changed must fail in snarkjs too.
    let out = tmp.path().join(Statement::Contribute.name());
    let public_path = out.join("public.json");
    let mut public = read_json(&public_path);
    let amount: u64 = public[3].as_str().unwrap().parse().unwrap();
    public[3] = (amount + 1).to_string().into();
    std::fs::write(&public_path, serde_json::to_vec(&public).unwrap()).unwrap();
    let (ok, text) = snarkjs_verify(&snarkjs, &out);
    assert!(!ok, "snarkjs accepted an altered public input:\n{text}");
}
