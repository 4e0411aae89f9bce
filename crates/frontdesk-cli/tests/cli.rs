//! The `frontdesk` binary as an operator meets it: bad input gives one line
//! naming the setting and a non-zero exit, never a panic, and leaves data alone.
#![allow(clippy::unwrap_used)]

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

mod common;
use common::{BIN, assert_one_line_error, frontdesk, stderr, stdout};

#[test]
fn bad_settings_name_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    /// Arguments, environment, and what the error must mention.
    type Case<'a> = (&'a [&'a str], &'a [(&'a str, &'a str)], &'a str);
    let cases: &[Case] = &[
        (
            &["keys", "show"],
            &[("FRONTDESK_PORT", "eighty")],
            "FRONTDESK_PORT",
        ),
        (
            &["keys", "show"],
            &[("FRONTDESK_MODE", "staging")],
            "FRONTDESK_MODE",
        ),
        (
            &["keys", "show"],
            &[("FRONTDESK_HOST", "not-an-ip")],
            "FRONTDESK_HOST",
        ),
        (
            &["keys", "show"],
            &[("FRONTDESK_PUBLIC_URL", "http://localhost:4000/auth")],
            "FRONTDESK_PUBLIC_URL",
        ),
        (
            &["keys", "show"],
            &[("FRONTDESK_DATABASE_URL", "mysql://x")],
            "FRONTDESK_DATABASE_URL",
        ),
        (
            &["keys", "show"],
            &[("FRONTDESK_SESSION_TOKEN_LIFETIME_SECS", "0")],
            "FRONTDESK_SESSION_TOKEN_LIFETIME_SECS",
        ),
        (&["--port", "abc", "keys", "show"], &[], "--port"),
        (
            &["--config", "missing.toml", "keys", "show"],
            &[],
            "missing.toml",
        ),
        (
            &["serve"],
            &[
                ("FRONTDESK_BOOTSTRAP_SECRET_KEY", "sk_live_short"),
                ("FRONTDESK_PORT", "0"),
            ],
            "FRONTDESK_BOOTSTRAP_SECRET_KEY",
        ),
    ];
    for (args, env, needle) in cases {
        let o = frontdesk(d, args, env);
        assert_one_line_error(&o, 2, needle);
    }
    // The bad bootstrap key must not be echoed back.
    let o = frontdesk(
        d,
        &["serve"],
        &[
            ("FRONTDESK_BOOTSTRAP_SECRET_KEY", "sk_test_hunter2"),
            ("FRONTDESK_PORT", "0"),
        ],
    );
    assert!(!stderr(&o).contains("hunter2"));
}

#[test]
fn a_typo_in_the_file_is_an_error_and_unknown_env_is_a_warning() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("frontdesk.toml"), "prot = 4000\n").unwrap();
    let o = frontdesk(dir.path(), &["keys", "show"], &[]);
    assert_one_line_error(&o, 2, "unknown setting `prot`");

    std::fs::write(dir.path().join("frontdesk.toml"), "port = 4100\n").unwrap();
    let o = frontdesk(dir.path(), &["keys", "show"], &[("FRONTDESK_PROT", "1")]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stderr(&o).contains("FRONTDESK_PROT"), "{}", stderr(&o));
    assert!(
        stdout(&o).contains("http://localhost:4100"),
        "file setting applies"
    );
}

#[test]
fn a_corrupt_database_is_refused_and_left_untouched() {
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    let db = data.join("frontdesk.db");
    std::fs::write(&db, b"this is not a database, but it is someone's file").unwrap();
    let before = std::fs::read(&db).unwrap();
    let o = frontdesk(
        dir.path(),
        &["serve"],
        &[
            ("FRONTDESK_DATA_DIR", data.to_str().unwrap()),
            ("FRONTDESK_PORT", "0"),
        ],
    );
    assert_one_line_error(&o, 2, "FRONTDESK_DATA_DIR");
    assert!(
        stderr(&o).contains("not an SQLite database"),
        "{}",
        stderr(&o)
    );
    assert_eq!(std::fs::read(&db).unwrap(), before);
    assert_eq!(
        std::fs::read_dir(&data).unwrap().count(),
        1,
        "no files created beside it"
    );
}

#[test]
fn a_data_dir_that_cannot_be_a_directory_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("plain-file");
    std::fs::write(&file, b"keep me").unwrap();
    let o = frontdesk(
        dir.path(),
        &["migrate"],
        &[("FRONTDESK_DATA_DIR", file.to_str().unwrap())],
    );
    assert_one_line_error(&o, 2, "FRONTDESK_DATA_DIR");
    let nested = file.join("below");
    let o = frontdesk(
        dir.path(),
        &["migrate"],
        &[("FRONTDESK_DATA_DIR", nested.to_str().unwrap())],
    );
    assert_one_line_error(&o, 2, "FRONTDESK_DATA_DIR");
    assert_eq!(std::fs::read(&file).unwrap(), b"keep me");
}

#[test]
fn a_read_only_data_dir_is_refused() {
    // /proc/self is a directory nobody (not even root) can create files in.
    let dir = tempfile::tempdir().unwrap();
    let o = frontdesk(
        dir.path(),
        &["migrate"],
        &[("FRONTDESK_DATA_DIR", "/proc/self")],
    );
    assert_one_line_error(&o, 2, "FRONTDESK_DATA_DIR");
    assert!(stderr(&o).contains("cannot write"), "{}", stderr(&o));
}

#[test]
fn an_unreachable_postgres_is_one_line_and_fast() {
    let dir = tempfile::tempdir().unwrap();
    let started = Instant::now();
    let o = frontdesk(
        dir.path(),
        &["migrate"],
        &[(
            "FRONTDESK_DATABASE_URL",
            "postgres://frontdesk:s3cret@127.0.0.1:1/none",
        )],
    );
    assert_one_line_error(&o, 2, "FRONTDESK_DATABASE_URL");
    assert!(
        !stderr(&o).contains("s3cret"),
        "password redacted: {}",
        stderr(&o)
    );
    assert!(started.elapsed() < Duration::from_secs(8));
}

#[test]
fn config_print_default_is_the_annotated_file() {
    let dir = tempfile::tempdir().unwrap();
    let o = frontdesk(dir.path(), &["config", "print-default"], &[]);
    assert!(o.status.success());
    let text = stdout(&o);
    assert!(text.starts_with("# frontdesk.toml"));
    // Using it as the config file changes nothing.
    std::fs::write(dir.path().join("frontdesk.toml"), &text).unwrap();
    let o = frontdesk(
        dir.path(),
        &["config", "show"],
        &[("FRONTDESK_DATABASE_URL", "postgres://u:pw@h/d")],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    // The effective settings as a frontdesk.toml would say them.
    let shown = stdout(&o);
    assert!(shown.contains("port = 4000"), "{shown}");
    let parsed: toml::Value = toml::from_str(&shown).expect("config show prints TOML");
    assert_eq!(parsed["smtp"]["port"].as_integer(), Some(587));
    assert!(!shown.contains(":pw@"), "secrets redacted in config show");
    assert!(shown.contains("postgres://u:***@h/d"), "{shown}");
}

#[test]
fn key_management_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(d, &["keys", "secret", "create", "--label", "ci"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let key = stdout(&o).trim().to_owned();
    assert!(key.starts_with("sk_test_") && key.len() >= 8 + 43, "{key}");

    let listed = stdout(&frontdesk(d, &["keys", "secret", "list"], &[]));
    assert!(!listed.contains(&key), "list never shows the key");
    let line = listed.lines().find(|l| l.contains(" ci")).unwrap();
    let id = line.split_whitespace().next().unwrap();
    assert!(line.contains(&key[key.len() - 4..]));

    let o = frontdesk(d, &["keys", "secret", "revoke", id], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&frontdesk(d, &["keys", "secret", "list"], &[])).contains("revoked"));
    let o = frontdesk(d, &["keys", "secret", "revoke", id], &[]);
    assert_eq!(o.status.code(), Some(1));

    let show = |d| {
        let o = frontdesk(d, &["keys", "show", "--format", "json"], &[]);
        serde_json::from_slice::<serde_json::Value>(&o.stdout).unwrap()
    };
    let before = show(d);
    // `localhost.:4000$`: the default public URL's host, with the dot
    // Clerk's SDKs require.
    assert_eq!(before["publishable_key"], "pk_test_bG9jYWxob3N0Ljo0MDAwJA");
    let o = frontdesk(d, &["keys", "rotate"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let after = show(d);
    let statuses: Vec<&str> = after["signing_keys"]
        .as_array()
        .unwrap()
        .iter()
        .map(|k| k["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["active", "retired"]);
    assert_eq!(
        after["signing_keys"][1]["kid"],
        before["signing_keys"][0]["kid"]
    );
    assert!(
        after["jwt_public_key_pem"]
            .as_str()
            .unwrap()
            .starts_with("-----BEGIN PUBLIC KEY-----")
    );

    let text = stdout(&frontdesk(d, &["keys", "show"], &[]));
    assert!(text.contains("CLERK_PUBLISHABLE_KEY=pk_test_"));
    assert!(text.contains("CLERK_API_URL=http://localhost:4000"));
    let next = stdout(&frontdesk(d, &["keys", "show", "--format", "nextjs"], &[]));
    for var in [
        "NEXT_PUBLIC_CLERK_PUBLISHABLE_KEY=",
        "NEXT_PUBLIC_CLERK_PROXY_URL=http://localhost:4000",
        "NEXT_TELEMETRY_DISABLED=1",
    ] {
        assert!(next.contains(var), "{var}");
    }
    // No value that looks like a key but is not: a comment says how to get one.
    assert!(!next.contains("sk_test_"), "{next}");
    assert!(
        next.lines()
            .any(|l| l.starts_with("# CLERK_SECRET_KEY is needed")),
        "{next}"
    );
    // Hosted pages by default (absolute URLs a fresh app can open), in-app
    // pages on request; every line is a comment or NAME=value.
    assert!(next.contains("NEXT_PUBLIC_CLERK_SIGN_IN_URL=http://localhost:4000/sign-in"));
    assert!(
        next.lines().all(
            |l| l.starts_with("# ") || l.split_once('=').is_some_and(|(k, _)| !k.contains(' '))
        ),
        "{next}"
    );
    let in_app = stdout(&frontdesk(
        d,
        &["keys", "show", "--format", "nextjs", "--in-app-pages"],
        &[],
    ));
    assert!(in_app.contains("NEXT_PUBLIC_CLERK_SIGN_IN_URL=/sign-in\n"));
    let text_block = stdout(&frontdesk(d, &["keys", "show"], &[]));
    assert!(!text_block.contains("sk_test_…"), "{text_block}");
    // A secret key pasted instead of its id is refused without being echoed.
    let o = frontdesk(
        d,
        &[
            "keys",
            "secret",
            "revoke",
            "sk_test_NotTheIdButAKeyThatMustNotBeEchoed1234567890ab",
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(!stderr(&o).contains("NotTheIdButAKey"), "{}", stderr(&o));
    // With --new-secret-key the block carries a new, working key.
    let o = frontdesk(
        d,
        &["keys", "show", "--format", "nextjs", "--new-secret-key"],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let block = stdout(&o);
    let key = block
        .lines()
        .find_map(|l| l.strip_prefix("CLERK_SECRET_KEY="))
        .unwrap();
    assert!(key.starts_with("sk_test_") && key.len() >= 8 + 43, "{key}");
    let listed = stdout(&frontdesk(d, &["keys", "secret", "list"], &[]));
    assert!(listed.contains("env block") && listed.contains(&key[key.len() - 4..]));
}

#[test]
fn serve_prints_the_first_key_once_and_stops_on_sigterm() {
    let dir = tempfile::tempdir().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port().to_string();
    drop(listener);
    let mut child = Command::new(BIN)
        .current_dir(dir.path())
        .env("FRONTDESK_PORT", &port)
        .env("RUST_LOG", "info")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait for the listening log line rather than sleeping.
    use std::io::{BufRead, BufReader};
    let mut err = BufReader::new(child.stderr.take().unwrap());
    let mut line = String::new();
    loop {
        line.clear();
        assert!(err.read_line(&mut line).unwrap() > 0, "server exited early");
        if line.contains("frontdesk listening") {
            break;
        }
    }
    assert!(
        !line.contains("sk_test_"),
        "the secret key never goes to the log: {line}"
    );
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "graceful exit on SIGTERM: {status:?}");
    let mut out = String::new();
    std::io::Read::read_to_string(&mut child.stdout.take().unwrap(), &mut out).unwrap();
    assert_eq!(out.matches("sk_test_").count(), 1, "{out}");
}

#[test]
fn session_template_round_trip() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(d, &["session-template", "show"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "{}");
    let set = r#"{"metadata":"{{user.public_metadata}}"}"#;
    let o = frontdesk(d, &["session-template", "set", set], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(
        stdout(&frontdesk(d, &["session-template", "show"], &[])).trim(),
        set
    );
    let o = frontdesk(d, &["session-template", "set", r#"{"sub":"x"}"#], &[]);
    assert_one_line_error(&o, 2, "reserved claim");
    let o = frontdesk(d, &["session-template", "set", "not json"], &[]);
    assert_one_line_error(&o, 2, "not JSON");
    assert_eq!(
        stdout(&frontdesk(d, &["session-template", "show"], &[])).trim(),
        set,
        "a refused template leaves the old one"
    );
    let o = frontdesk(d, &["session-template", "clear"], &[]);
    assert!(o.status.success());
    assert_eq!(
        stdout(&frontdesk(d, &["session-template", "show"], &[])).trim(),
        "{}"
    );
}

/// The store the commands run in `d` use.
async fn open_store(d: &std::path::Path) -> std::sync::Arc<dyn frontdesk_store::Store> {
    let config = frontdesk_server::Config {
        data_dir: d.join("frontdesk-data"),
        ..frontdesk_server::Config::default()
    };
    let validated = config.validate().unwrap();
    frontdesk_server::startup::open_store(&config, &validated)
        .await
        .unwrap()
}

/// `frontdesk mail`: the codes a development instance kept instead of
/// sending, for a person signing up for the first time.
#[tokio::test]
async fn mail_prints_the_development_mailbox() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(d, &["mail"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("mailbox is empty"), "{}", stdout(&o));

    // What the server keeps when it "sends" a code without SMTP.
    let store = open_store(d).await;
    let kept = frontdesk_domain::entities::DevEmail {
        id: "em_1".to_owned(),
        to_address: "ada@example.com".to_owned(),
        subject: "Your verification code".to_owned(),
        text_body: "Your verification code is 123456.\n\nIt expires in 10 minutes.".to_owned(),
        html_body: String::new(),
        created_at: frontdesk_domain::UnixMillis::now(),
    };
    store.queue_mail(None, Some(&kept), &[]).await.unwrap();
    drop(store);

    let text = stdout(&frontdesk(d, &["mail"], &[]));
    assert!(
        text.contains("to ada@example.com  Your verification code"),
        "{text}"
    );
    assert!(
        text.contains("    Your verification code is 123456."),
        "{text}"
    );
}

/// `frontdesk settings`: the instance settings in the database, seeded from
/// the configuration on first use, changed together or not at all.
#[test]
fn settings_are_read_and_changed_in_the_database() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(d, &["settings", "get", "passwords.min_length"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(stdout(&o).trim(), "8");

    let o = frontdesk(
        d,
        &[
            "settings",
            "set",
            "passwords.min_length=12",
            "branding.application_name=Acme Inc",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(shown["passwords.min_length"], 12);
    assert_eq!(shown["branding.application_name"], "Acme Inc");

    // One bad change refuses them all, with the reason; exit code 2.
    let o = frontdesk(
        d,
        &[
            "settings",
            "set",
            "sessions.lifetime_secs=3600",
            "passwords.min_length=4",
        ],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("passwords.min_length"),
        "{}",
        stderr(&o)
    );
    let o = frontdesk(d, &["settings", "get"], &[]);
    let all: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(all["passwords"]["min_length"], 12);
    assert_eq!(
        all["sessions"]["lifetime_secs"], 604_800,
        "nothing of the refused change"
    );

    let o = frontdesk(d, &["settings", "set", "no.such=1"], &[]);
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("no such setting"), "{}", stderr(&o));

    // A provider named for the first time; its client secret kept apart,
    // never printed.
    let o = frontdesk(
        d,
        &[
            "settings",
            "set",
            "social.oauth_google.client_id=1234.apps.googleusercontent.com",
            "social.oauth_google.enabled=true",
            "social.oauth_google.client_secret=GOCSPX-not-to-be-printed",
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    let shown: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(shown["social.oauth_google.enabled"], true);
    assert_eq!(shown["social.oauth_google.client_secret"], "[set]");
    let o = frontdesk(d, &["settings", "get"], &[]);
    assert!(!stdout(&o).contains("GOCSPX"), "{}", stdout(&o));
    let all: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    assert_eq!(
        all["social"]["oauth_google"]["client_id"],
        "1234.apps.googleusercontent.com"
    );
    // Turning on a provider that cannot work is refused, naming why.
    let o = frontdesk(
        d,
        &["settings", "set", "social.oauth_custom_corp.enabled=true"],
        &[],
    );
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("social.oauth_custom_corp"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn an_encryption_key_is_made_and_secrets_are_resealed_under_it() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(d, &["keys", "new-encryption-key"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let k1 = stdout(&o).trim().to_owned();
    assert_eq!(k1.len(), 44, "base64 of 32 bytes: {k1}");
    assert_ne!(
        stdout(&frontdesk(d, &["keys", "new-encryption-key"], &[])).trim(),
        k1
    );

    // Without a key there is nothing to seal with: said, not done.
    let o = frontdesk(d, &["keys", "rotate-encryption"], &[]);
    assert_one_line_error(&o, 2, "encryption_key");

    // A development instance made without a key: its signing key is
    // plain; rotate-encryption seals it, and the instance still works
    // under the key (keys show reads the signing key back).
    assert!(frontdesk(d, &["keys", "show"], &[]).status.success());
    let env = [("FRONTDESK_ENCRYPTION_KEY", k1.as_str())];
    let o = frontdesk(d, &["keys", "rotate-encryption"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    assert!(stdout(&o).contains("1 signing keys"), "{}", stdout(&o));
    let o = frontdesk(d, &["keys", "show", "--format", "json"], &env);
    assert!(o.status.success(), "{}", stderr(&o));
    // And not without it.
    let o = frontdesk(d, &["keys", "show", "--format", "json"], &[]);
    assert!(!o.status.success());
    assert!(!stderr(&o).contains(&k1), "the key is never printed");
}

/// What the terminal changes (keys, settings) is in the audit log as the
/// command line's, with what it made; a refused change is not.
#[tokio::test]
async fn the_command_lines_changes_are_in_the_audit_log() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let o = frontdesk(d, &["keys", "secret", "create", "--label", "ops"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = frontdesk(d, &["keys", "rotate"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = frontdesk(d, &["settings", "set", "passwords.min_length=12"], &[]);
    assert!(o.status.success(), "{}", stderr(&o));
    let o = frontdesk(d, &["settings", "set", "passwords.min_length=4"], &[]);
    assert_eq!(o.status.code(), Some(2), "refused");

    let store = open_store(d).await;
    let entries = store
        .list_audit(&frontdesk_store::admin::AuditQuery {
            limit: 100,
            ..Default::default()
        })
        .await
        .unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "settings.changed",
            "key.signing_rotated",
            "key.secret_created"
        ],
        "newest first; the refused change is not there"
    );
    assert!(entries.iter().all(|e| e.actor.id == "cli"));
    assert_eq!(
        entries[0].detail["paths"],
        serde_json::json!(["passwords.min_length"])
    );
    let keys = store.list_secret_keys().await.unwrap();
    let ops = keys.iter().find(|k| k.label == "ops").unwrap();
    assert_eq!(entries[2].target_id.as_deref(), Some(ops.id.as_str()));
    let signing = store.signing_keys().await.unwrap();
    let active = signing.iter().find(|k| k.retired_at.is_none()).unwrap();
    assert_eq!(entries[1].target_id.as_deref(), Some(active.id.as_str()));
}
