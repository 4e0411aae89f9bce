//! The clerk-js and `@clerk/ui` bundles without `npm ci --prefix e2e`: a
//! server whose `bundles_dir` does not exist fetches the version an app asks
//! for from the npm registry (through npm and its configured registry), checks
//! it against the registry's integrity, keeps it in the data directory, and
//! says clearly when it cannot. Skipped, and counted, without `npm`.

use tokio::process::Command;

use crate::helpers::{Backend, fresh_config, spawn_with};

async fn npm_view(spec: &str, field: &str) -> String {
    let out = Command::new("npm")
        .args(["view", spec, field, "--json"])
        .output()
        .await
        .unwrap();
    assert!(out.status.success(), "npm view {spec} {field}");
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

#[tokio::test]
async fn bundles_come_from_the_registry_on_first_request_and_stay() {
    if !crate::node::available("npm").await {
        frontdesk_testkit::skip("the bundles-from-npm test", "npm is not on PATH");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let (mut config, _) = fresh_config(Backend::Sqlite, &dir).await.unwrap();
    config.bundles_dir = dir.path().join("no-bundles-here");
    let data_dir = config.data_dir.clone();
    let app = spawn_with(config, dir).await;

    // What an app's page asks for: a major version.
    let listed: serde_json::Value =
        serde_json::from_str(&npm_view("@clerk/clerk-js@6", "version").await).unwrap();
    let newest = match &listed {
        serde_json::Value::Array(all) => all.last().unwrap().as_str().unwrap().to_owned(),
        one => one.as_str().unwrap().to_owned(),
    };
    let res = app
        .get("/npm/@clerk/clerk-js@6/dist/clerk.browser.js")
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["access-control-allow-origin"], "*");
    assert!(
        res.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/javascript")
    );
    let body = res.bytes().await.unwrap();
    assert!(body.len() > 100_000, "a real clerk-js bundle");

    // Cached under the exact version, and what was served is what npm
    // published (the integrity was checked before unpacking).
    let cached = data_dir.join(format!("bundles/clerk-js@{newest}"));
    assert!(cached.join(".complete").exists(), "{}", cached.display());
    assert_eq!(
        std::fs::read(cached.join("dist/clerk.browser.js")).unwrap(),
        body.to_vec()
    );
    // Lazy chunks name the exact version; they come from the same copy.
    let chunk = std::fs::read_dir(cached.join("dist"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .find(|n| n.ends_with(&format!("_{newest}.js")))
        .expect("a versioned chunk");
    let res = app
        .get(&format!("/npm/@clerk/clerk-js@{newest}/dist/{chunk}"))
        .await;
    assert_eq!(res.status(), 200);

    // A version that does not exist: a clear error, not a hang or a 500.
    let res = app
        .get("/npm/@clerk/clerk-js@999/dist/clerk.browser.js")
        .await;
    assert_eq!(res.status(), 503);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["errors"][0]["code"], "bundle_unavailable");
    assert!(
        body["errors"][0]["long_message"]
            .as_str()
            .unwrap()
            .contains("@clerk/clerk-js@999"),
        "{body}"
    );
    app.stop().await;
}
