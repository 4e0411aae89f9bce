//! `frontdesk webhooks …` as an operator meets it: endpoints are managed
//! without a running server, secrets appear only when made, and refused
//! settings are one line naming the field with exit code 2.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::Command;

mod common;
use common::{BIN, assert_one_line_error, frontdesk, stderr, stdout};

/// Succeeds, returning stdout.
fn ok(dir: &Path, args: &[&str]) -> String {
    let o = frontdesk(dir, args, &[]);
    assert!(o.status.success(), "{args:?}: {}", stderr(&o));
    stdout(&o)
}

fn json(dir: &Path, args: &[&str]) -> serde_json::Value {
    let mut args = args.to_vec();
    args.extend(["--format", "json"]);
    serde_json::from_str(&ok(dir, &args)).unwrap()
}

#[test]
fn endpoint_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(
        d,
        &[
            "webhooks",
            "create",
            "https://example.com/hook",
            "--description",
            "billing",
            "--event",
            "user.created",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let out = stdout(&o);
    let lines: Vec<&str> = out.lines().collect();
    let [id, secret] = lines[..] else {
        panic!("id and secret expected: {out}")
    };
    assert!(id.starts_with("ep_"), "{out}");
    assert!(secret.starts_with("whsec_") && secret.len() > 30, "{out}");
    assert!(stderr(&o).contains("shown only now"), "{}", stderr(&o));
    assert!(
        !stderr(&o).contains(secret),
        "the secret goes to stdout only"
    );

    let listed = ok(d, &["webhooks", "list"]);
    let line = listed.lines().find(|l| l.starts_with(id)).unwrap();
    assert!(line.contains("enabled") && line.contains("https://example.com/hook"));
    assert!(line.contains("user.created"), "{line}");
    assert!(!listed.contains("whsec_"), "list never shows a secret");
    let api = json(d, &["webhooks", "list"]);
    assert_eq!(api["total_count"], 1);
    assert_eq!(api["data"][0]["object"], "webhook_endpoint");
    assert_eq!(api["data"][0]["description"], "billing");
    assert!(api["data"][0].get("secret").is_none());

    let line = ok(
        d,
        &[
            "webhooks",
            "update",
            id,
            "--event",
            "user.deleted",
            "--event",
            "session.created",
            "--disable",
        ],
    );
    assert!(line.contains("user.deleted,session.created"), "{line}");
    assert!(line.contains("disabled"), "{line}");
    let line = ok(d, &["webhooks", "update", id, "--all-events", "--enable"]);
    assert!(
        line.contains("all events") && line.contains("enabled"),
        "{line}"
    );
    let o = frontdesk(d, &["webhooks", "update", id], &[]);
    assert_one_line_error(&o, 2, "nothing to change");
    let o = frontdesk(d, &["webhooks", "update", id, "--event", "created"], &[]);
    assert_one_line_error(&o, 2, "--event");

    let o = frontdesk(d, &["webhooks", "rotate-secret", id], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rotated = stdout(&o).trim().to_owned();
    assert!(
        rotated.starts_with("whsec_") && rotated != secret,
        "{rotated}"
    );
    assert!(stderr(&o).contains("24 h"), "{}", stderr(&o));

    // No events were emitted: nothing to list, headers included.
    assert_eq!(ok(d, &["webhooks", "messages", id]), "");
    assert_eq!(ok(d, &["webhooks", "messages", id, "--status", "fail"]), "");
    let msg = "msg_2aBcDeFgHiJkLmNoPqRsTuVwXyZ";
    assert_eq!(ok(d, &["webhooks", "attempts", id, msg]), "");
    assert_eq!(json(d, &["webhooks", "messages", id])["total_count"], 0);
    let recovered = ok(d, &["webhooks", "recover", id, "--since", "0"]);
    assert!(recovered.starts_with("0 failed"), "{recovered}");
    let recovered = json(
        d,
        &["webhooks", "recover", id, "--since", "2025-01-31T09:00:00Z"],
    );
    assert_eq!(recovered["object"], "webhook_recovery");
    let o = frontdesk(d, &["webhooks", "resend", id, msg], &[]);
    assert_one_line_error(&o, 1, msg);
    let o = frontdesk(d, &["webhooks", "recover", id, "--since", "yesterday"], &[]);
    assert_one_line_error(&o, 2, "--since");

    assert!(ok(d, &["webhooks", "delete", id]).contains(id));
    assert_eq!(ok(d, &["webhooks", "list"]), "");
    let o = frontdesk(d, &["webhooks", "delete", id], &[]);
    assert_one_line_error(&o, 1, &format!("no webhook endpoint {id}"));
}

#[test]
fn json_create_carries_the_secret_once() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let created = json(
        d,
        &["webhooks", "create", "https://example.com/a", "--disabled"],
    );
    assert_eq!(created["object"], "webhook_endpoint");
    assert_eq!(created["disabled"], true);
    assert_eq!(created["filter_types"], serde_json::json!([]));
    assert!(created["secret"].as_str().unwrap().starts_with("whsec_"));
    let id = created["id"].as_str().unwrap();
    let rotated = json(d, &["webhooks", "rotate-secret", id]);
    assert_eq!(rotated["object"], "webhook_endpoint_secret");
    assert_ne!(rotated["key"], created["secret"]);
    assert_eq!(json(d, &["webhooks", "delete", id])["deleted"], true);
}

#[test]
fn refused_settings_and_unknown_ids() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let create = |url: &str| frontdesk(d, &["webhooks", "create", url], &[]);
    assert_one_line_error(&create("http://10.0.0.1/"), 2, "private address");
    assert_one_line_error(&create("ftp://x"), 2, "url");
    assert_one_line_error(&create("https://u:p@example.com/"), 2, "url");
    let o = frontdesk(
        d,
        &["webhooks", "create", "https://example.com/", "--event", "x"],
        &[],
    );
    assert_one_line_error(&o, 2, "--event");
    assert_eq!(ok(d, &["webhooks", "list"]), "", "nothing was created");

    let unknown = "ep_2aBcDeFgHiJkLmNoPqRsTuVwXyZ";
    for args in [
        &["webhooks", "rotate-secret", unknown][..],
        &["webhooks", "messages", unknown],
        &["webhooks", "update", unknown, "--disable"],
        &["webhooks", "attempts", unknown, "msg_1"],
    ] {
        let o = frontdesk(d, args, &[]);
        assert_one_line_error(&o, 1, &format!("no webhook endpoint {unknown}"));
    }
    for args in [
        &["webhooks", "delete", "not-an-id"][..],
        &["webhooks", "delete", "msg_1"],
        &["webhooks", "attempts", unknown, "ep_1"],
    ] {
        let o = frontdesk(d, args, &[]);
        assert_one_line_error(&o, 2, "expected an id starting with");
    }
}

#[test]
fn loopback_is_allowed_in_development_only() {
    let dev = tempfile::tempdir().unwrap();
    let out = ok(
        dev.path(),
        &["webhooks", "create", "http://127.0.0.1:9/hook"],
    );
    assert!(out.starts_with("ep_"), "{out}");

    let prod = tempfile::tempdir().unwrap();
    let o = frontdesk(
        prod.path(),
        &["webhooks", "create", "http://127.0.0.1:9/hook"],
        &[("FRONTDESK_MODE", "production")],
    );
    assert_one_line_error(&o, 2, "loopback");
}

/// An event from a running server shows up in `messages` and `attempts`,
/// and the CLI can act on it while the server runs (same database).
#[test]
fn a_delivered_event_is_listed_with_its_attempts() {
    use std::io::{BufRead, BufReader, Read, Write};
    use std::time::{Duration, Instant};

    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    // Port 9 (discard) refuses connections: every attempt fails fast.
    let out = ok(d, &["webhooks", "create", "http://127.0.0.1:9/hook"]);
    let id = out.lines().next().unwrap().to_owned();
    let key = ok(d, &["keys", "secret", "create"]).trim().to_owned();

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    /// Stops the server even when an assertion fails first.
    struct Server(std::process::Child);
    impl Drop for Server {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let mut server = Command::new(BIN)
        .current_dir(d)
        .env("FRONTDESK_PORT", port.to_string())
        .env("RUST_LOG", "info")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .map(Server)
        .unwrap();
    let mut log = BufReader::new(server.0.stderr.take().unwrap());
    let mut line = String::new();
    while !line.contains("frontdesk listening") {
        line.clear();
        assert!(log.read_line(&mut line).unwrap() > 0, "server exited early");
    }
    // Keep draining the log so the server never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut log, &mut std::io::sink()));

    let body = r#"{"email_address":["hook@example.com"]}"#;
    let mut http = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    write!(
        http,
        "POST /v1/users HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {key}\r\n\
         Content-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut answer = String::new();
    http.read_to_string(&mut answer).unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");

    let started = Instant::now();
    let listed = loop {
        let listed = ok(d, &["webhooks", "messages", &id]);
        let attempted = listed
            .lines()
            .nth(1)
            .is_some_and(|l| l.split_whitespace().nth(3) != Some("0"));
        if attempted {
            break listed;
        }
        assert!(started.elapsed() < Duration::from_secs(20), "{listed}");
        std::thread::sleep(Duration::from_millis(100));
    };
    Command::new("kill")
        .args(["-TERM", &server.0.id().to_string()])
        .status()
        .unwrap();
    assert!(server.0.wait().unwrap().success());

    let mut lines = listed.lines();
    assert!(lines.next().unwrap().starts_with("ID"), "{listed}");
    let row: Vec<&str> = lines.next().unwrap().split_whitespace().collect();
    let msg = row[0];
    assert!(msg.starts_with("msg_"), "{listed}");
    assert_eq!(row[1], "user.created");
    let attempts = ok(d, &["webhooks", "attempts", &id, msg]);
    let first = attempts.lines().nth(1).unwrap();
    let cols: Vec<&str> = first.split_whitespace().collect();
    assert_eq!(
        (cols[1], cols[3], cols[4]),
        ("-", "ms", "fail"),
        "{attempts}"
    );
    let api = json(d, &["webhooks", "attempts", &id, msg]);
    assert_eq!(api["data"][0]["object"], "webhook_attempt");
    assert!(ok(d, &["webhooks", "resend", &id, msg]).contains(msg));
    let failing = ok(d, &["webhooks", "list"]);
    assert!(failing.contains("failing since"), "{failing}");
}
