use ark_bn254::Fr;
use ark_ff::{BigInteger, PrimeField};

fn parse(s: &str) -> Fr {
    let b = hex::decode(s.trim_start_matches("0x")).unwrap();
    Fr::from_be_bytes_mod_order(&b)
}
fn show(x: Fr) -> String {
    format!("0x{}", hex::encode(x.into_bigint().to_bytes_be()))
}

#[test]
fn circomlib_vectors() {
    let v: serde_json::Value =
        serde_json::from_str(include_str!("../../test-vectors/poseidon.json")).unwrap();
    for case in v["poseidon"].as_array().unwrap() {
        let inputs: Vec<Fr> = case["inputs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| parse(x.as_str().unwrap()))
            .collect();
        let out = zkpension_circuits::poseidon::hash(&inputs);
        assert_eq!(
            show(out),
            case["output"].as_str().unwrap(),
            "inputs {}",
            inputs.len()
        );
    }
}
