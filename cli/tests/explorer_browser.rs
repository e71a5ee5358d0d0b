//! The explorer in a real browser: `zkpension demo --keep-node`, then headless
//! Chromium (driven through chromedriver) opens the explorer, reads the
//! totals the demo printed and the JSON API's, follows a block link, checks
//! carol's attestation through the form, and saves a screenshot
//! (`target/ci-artifacts/explorer.png`).
//!
//! Chromium and chromedriver come from `ZKPENSION_CHROMIUM` and
//! `ZKPENSION_CHROMEDRIVER`, else from the PATH (Debian's `chromium` and
//! `chromium-driver`); with `ZKPENSION_REQUIRE_BROWSER=1` (CI) their absence
//! fails the test.

use crate::common;

use fantoccini::{ClientBuilder, Locator};
use serde_json::{json, Value};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

fn which(env: &str, names: &[&str]) -> Option<PathBuf> {
    if let Some(p) = std::env::var_os(env).filter(|p| !p.is_empty()) {
        let p = PathBuf::from(p);
        assert!(p.exists(), "{env}={} does not exist", p.display());
        return Some(p);
    }
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|d| names.iter().map(move |n| d.join(n)))
        .find(|p| p.is_file())
}

/// Reads JSON values from the demo's stdout until `n` are complete.
fn json_values(child: &mut Child, n: usize, within: Duration) -> Vec<Value> {
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap_or_default()).is_err() {
                break;
            }
        }
    });
    let deadline = Instant::now() + within;
    let mut text = String::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(line) => {
                text.push_str(&line);
                text.push('\n');
            }
            Err(e) => panic!("the demo printed {text:?} and then {e:?}"),
        }
        let values: Vec<Value> = serde_json::Deserializer::from_str(&text)
            .into_iter::<Value>()
            .map_while(Result::ok)
            .collect();
        if values.len() >= n {
            return values;
        }
    }
}

fn artifact_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/ci-artifacts")
}

#[test]
fn the_explorer_in_chromium_shows_what_the_demo_printed() {
    let required = std::env::var("ZKPENSION_REQUIRE_BROWSER").is_ok_and(|v| v == "1");
    let chromium = which(
        "ZKPENSION_CHROMIUM",
        &["chromium", "chromium-browser", "google-chrome"],
    );
    let driver = which("ZKPENSION_CHROMEDRIVER", &["chromedriver"]);
    let (Some(chromium), Some(driver)) = (chromium, driver) else {
        assert!(
            !required,
            "ZKPENSION_REQUIRE_BROWSER=1 but chromium or chromedriver is missing: \
             `apt-get install chromium chromium-driver`, or set ZKPENSION_CHROMIUM and \
             ZKPENSION_CHROMEDRIVER"
        );
        eprintln!("skipped: chromium and chromedriver not found");
        return;
    };

    let home = tempfile::tempdir().unwrap();
    let mut demo = Command::new(env!("CARGO_BIN_EXE_zkpension"));
    demo.env("ZKPENSION_HOME", home.path())
        .args(["demo", "--json", "--keep-node", "--keys"])
        .arg(common::keys_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let mut demo = common::Killed(demo.spawn().expect("start zkpension demo"));
    let values = json_values(&mut demo.0, 2, Duration::from_secs(300));
    let summary = &values[0]["summary"]["public_ledger"];
    let serving = &values[1];
    assert_eq!(serving["event"], "serving", "{serving}");
    let url = serving["url"].as_str().unwrap().to_string();
    let explorer = serving["explorer"].as_str().unwrap().to_string();
    let attest = values[0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["event"] == "attest")
        .expect("the demo attests")
        .clone();
    let status: Value = ureq::get(&format!("{url}/v1/status"))
        .call()
        .unwrap()
        .into_json()
        .unwrap();

    let port = common::free_port();
    let _driver = common::Killed(
        Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver"),
    );
    let driver_url = format!("http://127.0.0.1:{port}");
    let deadline = Instant::now() + Duration::from_secs(30);
    while ureq::get(&format!("{driver_url}/status")).call().is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let screenshot = rt.block_on(async {
        let mut caps = serde_json::Map::new();
        caps.insert(
            "goog:chromeOptions".into(),
            json!({
                "binary": chromium,
                "args": ["--headless=new", "--no-sandbox", "--disable-gpu",
                         "--disable-dev-shm-usage", "--window-size=1200,1600"],
            }),
        );
        let c = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
            .capabilities(caps)
            .connect(&driver_url)
            .await
            .expect("a chromium session");
        let text = |sel: &'static str| {
            let c = c.clone();
            async move {
                c.find(Locator::Css(sel))
                    .await
                    .unwrap_or_else(|e| panic!("{sel}: {e}"))
                    .text()
                    .await
                    .unwrap()
            }
        };
        c.goto(&explorer).await.unwrap();
        // The figures the demo printed, the JSON API's, and the page's agree.
        let money = |key: &str| zkpension_core::format_amount(summary[key].as_u64().unwrap());
        assert_eq!(text("#total-in").await, money("contributed"));
        assert_eq!(text("#total-out").await, money("paid_out"));
        assert_eq!(text("#pool").await, money("pool"));
        // The subsidy pool's figures.
        let sub =
            |key: &str| zkpension_core::format_amount(summary["subsidy"][key].as_u64().unwrap());
        assert_eq!(text("#total-matched").await, sub("matched"));
        assert_eq!(text("#subsidy-funded").await, sub("funded"));
        assert_eq!(text("#subsidy-left").await, sub("available"));
        assert_eq!(summary["contributed"], status["totals"]["contributed"]);
        assert_eq!(text("#height").await, status["height"].to_string());
        assert_eq!(text("#epoch").await, status["epoch"].to_string());
        assert_eq!(
            text("#state-root").await,
            status["state_root"].as_str().unwrap()
        );
        assert!(text("#setup").await.starts_with("single-party"));
        // The chart is drawn (no script on the page).
        let chart = c.find(Locator::Css("#chart polyline")).await.unwrap();
        assert!(chart.attr("points").await.unwrap().unwrap().contains(','));
        assert!(c.find_all(Locator::Css("script")).await.unwrap().is_empty());
        let shot = c.screenshot().await.unwrap();

        // A block page, through its link.
        let h = status["height"].as_u64().unwrap();
        c.find(Locator::LinkText(&h.to_string()))
            .await
            .unwrap()
            .click()
            .await
            .unwrap();
        assert!(c
            .current_url()
            .await
            .unwrap()
            .path()
            .ends_with(&format!("/block/{h}")));
        assert!(text("h2").await.starts_with(&format!("Block {h}")));

        // The landlord's check of carol's attestation, through the form.
        c.goto(&explorer).await.unwrap();
        let form = c.form(Locator::Css("#attest form")).await.unwrap();
        form.set_by_name("context", attest["context"].as_str().unwrap())
            .await
            .unwrap();
        form.set_by_name(
            "pseudonym",
            attest["landlord_sees"]["tag"].as_str().unwrap(),
        )
        .await
        .unwrap();
        form.submit().await.unwrap();
        c.wait()
            .at_most(Duration::from_secs(10))
            .for_element(Locator::Css("#verdict, #error"))
            .await
            .unwrap();
        let page = c.source().await.unwrap();
        assert!(page.contains("id=\"verdict\""), "{page}");
        let verdict = text("#verdict").await;
        assert!(verdict.starts_with("Attested in epoch"), "{verdict}");
        // An unknown block answers a page, not a crash.
        c.goto(&format!("{url}/explorer/block/{}", h + 1000))
            .await
            .unwrap();
        assert!(text("#error").await.contains("no block"));
        c.close().await.unwrap();
        shot
    });
    std::fs::create_dir_all(artifact_dir()).unwrap();
    std::fs::write(artifact_dir().join("explorer.png"), &screenshot).unwrap();
    assert!(screenshot.starts_with(b"\x89PNG"));

    // The node stops cleanly on SIGTERM.
    let pid = demo.0.id().to_string();
    assert!(Command::new("kill")
        .args(["-TERM", &pid])
        .status()
        .unwrap()
        .success());
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if let Some(status) = demo.0.try_wait().unwrap() {
            assert!(status.success(), "the demo exited with {status}");
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the demo did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}
