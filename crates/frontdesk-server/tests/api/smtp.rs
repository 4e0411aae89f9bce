//! Real SMTP delivery: a local aiosmtpd server (Python) receives what
//! Frontdesk sends. aiosmtpd is installed on first use into the target
//! directory; without `python3` (or when the install fails) the test is
//! skipped with a printed reason.

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::{Duration, Instant};

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin, Command};

use crate::helpers::{self, Backend, TestApp, json};

/// The aiosmtpd release the test runs against.
const AIOSMTPD: &str = "aiosmtpd==1.4.6";

const FROM: &str = "Frontdesk Test <auth@frontdesk.test>";
const SMTP_USER: &str = "frontdesk";
const SMTP_PASSWORD: &str = "smtp password 123";

/// An SMTP server on 127.0.0.1 that requires AUTH (over plaintext: loopback
/// only) and stores message `n` as `n.eml` (raw) and `n.json` (the envelope
/// and the message as Python's `email` package parses it; written last).
const SERVER: &str = r#"
import asyncio, email, email.policy, json, os, sys
from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword

out, user, password = sys.argv[1], sys.argv[2].encode(), sys.argv[3].encode()
port = int(sys.argv[4]) if len(sys.argv) > 4 else 0
count = 0

class Handler:
    async def handle_DATA(self, server, session, envelope):
        global count
        name = os.path.join(out, str(count))
        count += 1
        with open(name + ".eml", "wb") as f:
            f.write(envelope.original_content)
        msg = email.message_from_bytes(envelope.original_content, policy=email.policy.default)
        parts = [{"content_type": p.get_content_type(), "body": p.get_content()}
                 for p in msg.iter_parts()] if msg.is_multipart() else []
        meta = {"mail_from": envelope.mail_from, "rcpt_tos": envelope.rcpt_tos,
                "authenticated": bool(session.authenticated),
                "from": str(msg["From"]), "to": str(msg["To"]), "subject": str(msg["Subject"]),
                "message_id": str(msg["Message-ID"]),
                "content_type": msg.get_content_type(), "parts": parts}
        with open(name + ".tmp", "w") as f:
            json.dump(meta, f)
        os.replace(name + ".tmp", name + ".json")
        return "250 Message accepted for delivery"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == user and auth_data.password == password)
    return AuthResult(success=ok)

async def main():
    loop = asyncio.get_running_loop()
    srv = await loop.create_server(
        lambda: SMTP(Handler(), hostname="smtp.test", authenticator=authenticator,
                     auth_required=True, auth_require_tls=False),
        host="127.0.0.1", port=port)
    print(srv.sockets[0].getsockname()[1], flush=True)
    # Run until stdin closes: the test ends, or dies, and the server follows.
    await loop.run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"#;

/// Whether `import aiosmtpd` works with `path` on `PYTHONPATH`.
async fn importable(path: &Path) -> Result<bool, String> {
    let status = Command::new("python3")
        .args(["-c", "import aiosmtpd.smtp"])
        .env("PYTHONPATH", path)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .await
        .map_err(|e| format!("python3 is not available ({e})"))?;
    Ok(status.success())
}

/// A `PYTHONPATH` entry from which aiosmtpd imports, installing it (once,
/// into the target directory) if needed.
async fn aiosmtpd_path() -> Result<PathBuf, String> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("pytools")
        .join(AIOSMTPD.replace("==", "-"));
    if importable(&dir).await? {
        return Ok(dir);
    }
    // The tests of this binary run on threads of one process: one installs
    // while the others wait, then find it in place.
    static INSTALLING: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());
    let _one_at_a_time = INSTALLING.lock().await;
    if importable(&dir).await? {
        return Ok(dir);
    }
    // Install beside, then move into place: a half-finished install (or a
    // concurrent run of another process) never leaves a broken `dir` behind.
    let staging = dir.with_extension(format!("staging-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    let install = Command::new("python3")
        .args([
            "-m",
            "pip",
            "install",
            "--quiet",
            "--disable-pip-version-check",
            "--no-input",
            "--target",
        ])
        .arg(&staging)
        .arg(AIOSMTPD)
        .env("PIP_ROOT_USER_ACTION", "ignore")
        .stdin(Stdio::null())
        .kill_on_drop(true)
        .output();
    let output = match tokio::time::timeout(Duration::from_secs(300), install).await {
        Err(_) => return Err(format!("installing {AIOSMTPD} took over 300 s")),
        Ok(Err(e)) => return Err(format!("cannot run python3 -m pip: {e}")),
        Ok(Ok(output)) => output,
    };
    if !output.status.success() {
        let _ = std::fs::remove_dir_all(&staging);
        let stderr = String::from_utf8_lossy(&output.stderr);
        let tail: Vec<&str> = stderr.lines().rev().take(3).collect();
        return Err(format!(
            "cannot install {AIOSMTPD} with pip: {}",
            tail.into_iter().rev().collect::<Vec<_>>().join(" / ")
        ));
    }
    // A broken install left by an earlier run gives way.
    if !importable(&dir).await? {
        let _ = std::fs::remove_dir_all(&dir);
    }
    if std::fs::rename(&staging, &dir).is_err() {
        // Another run got there first.
        let _ = std::fs::remove_dir_all(&staging);
    }
    if importable(&dir).await? {
        Ok(dir)
    } else {
        Err(format!(
            "{AIOSMTPD} was installed into {} but does not import",
            dir.display()
        ))
    }
}

/// A running aiosmtpd server.
struct SmtpServer {
    port: u16,
    child: Child,
    /// Held open: the server stops when it closes.
    stdin: Option<ChildStdin>,
    dir: tempfile::TempDir,
}

impl SmtpServer {
    /// Start the server, or say why it cannot run here.
    async fn start() -> Result<Self, String> {
        Self::start_on(0).await
    }

    /// Start the server on `port` (0: any free one).
    async fn start_on(port: u16) -> Result<Self, String> {
        let path = aiosmtpd_path().await?;
        let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
        let log =
            std::fs::File::create(dir.path().join("server.log")).map_err(|e| e.to_string())?;
        let mut child = Command::new("python3")
            .arg("-c")
            .arg(SERVER)
            .arg(dir.path())
            .args([SMTP_USER, SMTP_PASSWORD, &port.to_string()])
            .env("PYTHONPATH", &path)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(log)
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| format!("cannot start python3: {e}"))?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("piped stdout");
        let mut line = String::new();
        let mut reader = BufReader::new(stdout);
        let read = reader.read_line(&mut line);
        let port = tokio::time::timeout(Duration::from_secs(20), read)
            .await
            .ok()
            .and_then(Result::ok)
            .and_then(|_| line.trim().parse::<u16>().ok());
        let server = Self {
            port: port.unwrap_or(0),
            child,
            stdin,
            dir,
        };
        if port.is_none() {
            // aiosmtpd imported, so this is a real failure, not a skip.
            panic!("the SMTP server did not start: {}", server.log());
        }
        Ok(server)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("server.log")).unwrap_or_default()
    }

    /// Message `n` (from 0), waiting for it up to a deadline.
    async fn message(&self, n: usize) -> Value {
        let path = self.dir.path().join(format!("{n}.json"));
        // Delivery is asynchronous, and a retry waits 5 s.
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(text) = std::fs::read_to_string(&path) {
                return serde_json::from_str(&text).unwrap();
            }
            assert!(
                Instant::now() < deadline,
                "no message {n} within 20 s; server log: {}",
                self.log()
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// How many messages have arrived.
    fn count(&self) -> usize {
        std::fs::read_dir(self.dir.path())
            .unwrap()
            .filter(|e| {
                e.as_ref()
                    .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "json"))
            })
            .count()
    }

    async fn stop(mut self) {
        drop(self.stdin.take());
        let _ = self.child.start_kill();
        let _ = tokio::time::timeout(Duration::from_secs(10), self.child.wait()).await;
    }
}

fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_create_rate_limit = 0;
    c.frontend_attempt_rate_limit = 0;
}

/// Start a sign-up for `email` and ask for its code; the answer to
/// `prepare_verification`.
async fn request_code(app: &TestApp, email: &str) -> reqwest::Response {
    let res = app
        .http
        .post(app.url("/v1/dev_browser"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let db = json(res).await["id"].as_str().unwrap().to_owned();
    let res = app
        .http
        .post(app.url(&format!("/v1/client/sign_ups?__clerk_db_jwt={db}")))
        .form(&[
            ("email_address", email),
            ("password", "correct horse battery staple"),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let id = json(res).await["response"]["id"]
        .as_str()
        .unwrap()
        .to_owned();
    app.http
        .post(app.url(&format!(
            "/v1/client/sign_ups/{id}/prepare_verification?__clerk_db_jwt={db}"
        )))
        .form(&[("strategy", "email_code")])
        .send()
        .await
        .unwrap()
}

/// The six-digit numbers in `text`.
fn codes(text: &str) -> Vec<&str> {
    text.split(|c: char| !c.is_ascii_digit())
        .filter(|w| w.len() == 6)
        .collect()
}

/// The newest dev mailbox entry for `to`.
async fn dev_mail(app: &TestApp, to: &str) -> Value {
    let body = json(app.bapi_get("/v1/dev/emails").await).await;
    body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_email_address"] == to)
        .cloned()
        .expect("a dev mailbox entry")
}

#[tokio::test]
async fn codes_are_delivered_over_smtp() {
    let server = match SmtpServer::start().await {
        Ok(server) => server,
        Err(reason) => {
            frontdesk_testkit::skip("the SMTP delivery test", &reason);
            return;
        }
    };
    let (port, received) = (server.port, &server);
    helpers::run(
        Backend::Sqlite,
        |c| {
            fast(c);
            c.smtp.host = Some("127.0.0.1".into());
            c.smtp.port = port;
            c.smtp.tls = frontdesk_server::config::SmtpTls::None;
            c.smtp.username = Some(SMTP_USER.into());
            c.smtp.password = Some(frontdesk_server::config::Secret::new(SMTP_PASSWORD));
            c.smtp.from = FROM.into();
            c.smtp.timeout_secs = 10;
        },
        |app| async move {
            // Test addresses get no mail, over SMTP either.
            let res = request_code(&app, "nobody+clerk_test@example.com").await;
            assert_eq!(res.status(), 200);

            let to = "ada@example.com";
            let res = request_code(&app, to).await;
            assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
            let mail = received.message(0).await;
            assert_eq!(received.count(), 1, "exactly one message");

            assert_eq!(mail["rcpt_tos"], serde_json::json!([to]));
            assert_eq!(mail["mail_from"], "auth@frontdesk.test");
            assert_eq!(mail["authenticated"], true);
            assert_eq!(mail["from"], FROM);
            assert_eq!(mail["to"], to);
            assert!(
                mail["message_id"]
                    .as_str()
                    .unwrap()
                    .ends_with("@frontdesk.test>"),
                "{mail}"
            );
            assert_eq!(mail["content_type"], "multipart/alternative");
            let parts = mail["parts"].as_array().unwrap();
            let types: Vec<&str> = parts
                .iter()
                .map(|p| p["content_type"].as_str().unwrap())
                .collect();
            assert_eq!(types, ["text/plain", "text/html"]);

            let dev = dev_mail(&app, to).await;
            let code = codes(dev["body_plain"].as_str().unwrap())[0].to_owned();
            assert_eq!(codes(parts[0]["body"].as_str().unwrap()), [code.as_str()]);
            assert_eq!(codes(parts[1]["body"].as_str().unwrap()), [code.as_str()]);
            assert_eq!(mail["subject"], dev["subject"]);
            // The same bodies as the dev mailbox, up to SMTP's CRLF line ends.
            let same = |sent: &Value, kept: &Value| {
                let sent = sent.as_str().unwrap().replace("\r\n", "\n");
                assert_eq!(sent.trim_end(), kept.as_str().unwrap().trim_end());
            };
            same(&parts[0]["body"], &dev["body_plain"]);
            same(&parts[1]["body"], &dev["body"]);
            assert!(mail["subject"].as_str().unwrap().starts_with(&code));
            app.stop().await;
        },
    )
    .await;
    server.stop().await;
}

/// Finding F5: a request never waits on the mail server, so its answer is
/// the same whether SMTP works or not; the message waits in the queue and is
/// delivered once the server is back.
#[tokio::test]
async fn f05_smtp_down_changes_no_answer_and_the_mail_follows() {
    // A port nothing listens on yet: connections are refused.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    if let Err(reason) = aiosmtpd_path().await {
        frontdesk_testkit::skip("the SMTP retry test", &reason);
        return;
    }
    helpers::run(
        Backend::Sqlite,
        |c| {
            fast(c);
            c.smtp.host = Some("127.0.0.1".into());
            c.smtp.port = port;
            c.smtp.tls = frontdesk_server::config::SmtpTls::None;
            c.smtp.username = Some(SMTP_USER.into());
            c.smtp.password = Some(frontdesk_server::config::Secret::new(SMTP_PASSWORD));
            c.smtp.from = FROM.into();
            c.smtp.timeout_secs = 5;
        },
        |app| async move {
            let to = "grace@example.com";
            let res = request_code(&app, to).await;
            assert_eq!(res.status(), 200, "the answer does not depend on SMTP");
            // The code is in the dev mailbox at once.
            let dev = dev_mail(&app, to).await;
            let code = codes(dev["body_plain"].as_str().unwrap())[0].to_owned();
            // The server comes up; the queued message is retried and arrives.
            let server = SmtpServer::start_on(port).await.unwrap();
            let mail = server.message(0).await;
            assert_eq!(mail["rcpt_tos"], serde_json::json!([to]));
            let parts = mail["parts"].as_array().unwrap();
            assert_eq!(codes(parts[0]["body"].as_str().unwrap()), [code.as_str()]);
            app.stop().await;
            server.stop().await;
        },
    )
    .await;
}
