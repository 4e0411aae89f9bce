//! `TestApp`: a running server with a fresh database and a secret key.

use std::future::Future;

use frontdesk_domain::SecretKey;
use frontdesk_server::state::AppState;
use frontdesk_server::{Application, Config, admin};
use frontdesk_store_postgres::testing::TestSchema;
use tokio::sync::oneshot;

/// Which database a test runs on.
#[derive(Debug, Clone, Copy)]
pub enum Backend {
    Sqlite,
    Postgres,
}

pub struct TestApp {
    pub base: String,
    pub port: u16,
    pub secret_key: SecretKey,
    pub http: reqwest::Client,
    pub state: AppState,
    stop: Option<oneshot::Sender<()>>,
    server: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// GET with the secret key.
    pub async fn bapi_get(&self, path: &str) -> reqwest::Response {
        self.http
            .get(self.url(path))
            .bearer_auth(self.secret_key.expose())
            .send()
            .await
            .unwrap()
    }

    /// A Backend API call with a JSON body.
    pub async fn bapi(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<serde_json::Value>,
    ) -> reqwest::Response {
        let mut req = self
            .http
            .request(method, self.url(path))
            .bearer_auth(self.secret_key.expose());
        if let Some(b) = body {
            req = req.json(&b);
        }
        req.send().await.unwrap()
    }

    /// POST JSON with the secret key and return the status and parsed body.
    pub async fn post_json(&self, path: &str, body: serde_json::Value) -> (u16, serde_json::Value) {
        let res = self.bapi(reqwest::Method::POST, path, Some(body)).await;
        let status = res.status().as_u16();
        (status, json(res).await)
    }

    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.http.get(self.url(path)).send().await.unwrap()
    }

    /// Stop gracefully and wait for the server to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(h) = self.server.take() {
            let _ = h.await;
        }
    }
}

/// A config pointing at a fresh database for `backend`.
pub async fn fresh_config(
    backend: Backend,
    dir: &tempfile::TempDir,
) -> Option<(Config, Option<TestSchema>)> {
    let mut config = Config {
        port: 0,
        data_dir: dir.path().join("data"),
        // Tests make hundreds of browsers from 127.0.0.1 in seconds; the
        // per-address limit on new clients has its own test (f11).
        frontend_client_rate_limit: 0,
        // The tests talk to 127.0.0.1; the listening port is filled in.
        public_url: Some("http://127.0.0.1:0".to_owned()),
        // Every test instance seals its secrets at rest, as production
        // ones must (secrets.rs tests the instance without a key).
        encryption_key: Some(frontdesk_server::config::Secret::new(
            frontdesk_crypto::Sealer::generate_key(),
        )),
        ..Config::default()
    };
    let schema = match backend {
        Backend::Sqlite => None,
        Backend::Postgres => {
            let base = TestSchema::base_url_or_skip("postgres variant")?;
            let schema = TestSchema::create(&base).await.unwrap();
            config.database_url = Some(frontdesk_server::config::Secret::new(schema.url.clone()));
            Some(schema)
        }
    };
    Some((config, schema))
}

/// Start a server with `config` (tweak it before calling).
pub async fn spawn_with(config: Config, dir: tempfile::TempDir) -> TestApp {
    let app = Application::build(config).await.unwrap();
    let port = app.port();
    let state = app.state().clone();
    let (secret_key, _) =
        admin::create_secret_key(state.store.as_ref(), state.instance.instance.mode, "test")
            .await
            .unwrap();
    let (tx, rx) = oneshot::channel::<()>();
    let server = tokio::spawn(async move {
        app.run_until_stopped(async {
            let _ = rx.await;
        })
        .await
        .unwrap();
    });
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        port,
        secret_key,
        http: reqwest::Client::new(),
        state,
        stop: Some(tx),
        server: Some(server),
        _dir: dir,
    }
}

/// Run `test` against a fresh app on `backend`, skipping PostgreSQL (with a
/// printed reason) when it is not configured.
pub async fn run<F, Fut>(backend: Backend, tweak: impl FnOnce(&mut Config), test: F)
where
    F: FnOnce(TestApp) -> Fut,
    Fut: Future<Output = ()>,
{
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, schema)) = fresh_config(backend, &dir).await else {
        return;
    };
    tweak(&mut config);
    let app = spawn_with(config, dir).await;
    test(app).await;
    if let Some(schema) = schema {
        schema.drop_schema().await.unwrap();
    }
}

/// Declare a test that runs once on SQLite and once on PostgreSQL.
#[macro_export]
macro_rules! both_backends {
    ($name:ident, $body:expr) => {
        both_backends!($name, |_c| {}, $body);
    };
    ($name:ident, $tweak:expr, $body:expr) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test]
            async fn sqlite() {
                $crate::helpers::run($crate::helpers::Backend::Sqlite, $tweak, $body).await;
            }

            #[tokio::test]
            async fn postgres() {
                $crate::helpers::run($crate::helpers::Backend::Postgres, $tweak, $body).await;
            }
        }
    };
}

/// Parse a JSON body, checking the exact content type Clerk's SDKs need.
pub async fn json(res: reqwest::Response) -> serde_json::Value {
    assert_eq!(
        res.headers()
            .get("content-type")
            .map(|v| v.to_str().unwrap()),
        Some("application/json"),
        "Content-Type must be exactly application/json"
    );
    res.json().await.unwrap()
}

/// Assert that `value` is a valid `schema` object of Clerk's Backend API spec
/// (skipped, with a printed reason, when the spec is not available).
pub fn assert_schema(schema: &str, value: &serde_json::Value) {
    if let Some(spec) =
        frontdesk_openapi_check::Spec::load(frontdesk_openapi_check::SpecFile::Backend)
    {
        frontdesk_openapi_check::assert_valid(&spec, schema, value);
    }
}

/// Assert that `value` is what Clerk's spec says `method path` answers with `status`.
pub fn assert_response(method: &str, path: &str, status: u16, value: &serde_json::Value) {
    if let Some(spec) =
        frontdesk_openapi_check::Spec::load(frontdesk_openapi_check::SpecFile::Backend)
    {
        frontdesk_openapi_check::assert_valid_response(&spec, method, path, status, value);
    }
}

/// The code of the first error in a Clerk error body, after checking its shape.
pub fn error_code(body: &serde_json::Value) -> String {
    assert_schema("ClerkErrors", body);
    body["errors"][0]["code"].as_str().unwrap().to_owned()
}

/// A new dev browser's token (development instances).
pub async fn dev_browser(app: &TestApp) -> String {
    let res = app
        .http
        .post(app.url("/v1/dev_browser"))
        .send()
        .await
        .unwrap();
    json(res).await["id"].as_str().unwrap().to_owned()
}

/// `POST path` on the Frontend API as the dev browser `db`, form-encoded:
/// the status and the body.
pub async fn fapi_post(
    app: &TestApp,
    db: &str,
    path: &str,
    form: &[(&str, &str)],
) -> (u16, serde_json::Value) {
    let sep = if path.contains('?') { '&' } else { '?' };
    let res = app
        .http
        .post(app.url(&format!("{path}{sep}__clerk_db_jwt={db}")))
        .form(form)
        .send()
        .await
        .unwrap();
    let status = res.status().as_u16();
    (status, json(res).await)
}

/// The code of the first error in a body, or "" (no checks: for bodies that
/// may be successes).
pub fn code_of(body: &serde_json::Value) -> String {
    body["errors"][0]["code"].as_str().unwrap_or("").to_owned()
}

/// A user with an email address and a password, made through the Backend
/// API; its id.
pub async fn user_with_password(app: &TestApp, email: &str, password: &str) -> String {
    let (status, body) = app
        .post_json(
            "/v1/users",
            serde_json::json!({"email_address": [email], "password": password}),
        )
        .await;
    assert_eq!(status, 200, "{body}");
    body["id"].as_str().unwrap().to_owned()
}

/// The newest six-digit code mailed to `to`, from the dev mailbox.
pub async fn mailed_code(app: &TestApp, to: &str) -> String {
    let body = json(app.bapi_get("/v1/dev/emails").await).await;
    let mail = body["data"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["to_email_address"] == to)
        .expect("a mail was sent");
    let text = mail["body_plain"].as_str().unwrap();
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .unwrap()
        .to_owned()
}

/// A loopback port free right now (for a process started next, such as
/// `next start`, which cannot be handed a listener).
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// The payload of a JWT, unverified (the tests that read it verify tokens
/// elsewhere).
pub fn jwt_claims(jwt: &str) -> serde_json::Value {
    use base64::Engine;
    let payload = jwt.split('.').nth(1).unwrap();
    serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(payload)
            .unwrap(),
    )
    .unwrap()
}
