//! A real Frontdesk server, in-process on port 0 with a fresh SQLite
//! database, for the SDK to talk to.
#![allow(dead_code)]

use frontdesk_server::{Application, Config, admin};
use tokio::sync::oneshot;

pub struct Server {
    pub base: String,
    pub secret_key: String,
    pub state: frontdesk_server::state::AppState,
    stop: Option<oneshot::Sender<()>>,
    task: Option<tokio::task::JoinHandle<()>>,
    _dir: tempfile::TempDir,
}

impl Server {
    pub async fn start(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = Config {
            port: 0,
            data_dir: dir.path().join("data"),
            argon2_memory_kib: 1024,
            argon2_iterations: 1,
            // The tests talk to 127.0.0.1; the listening port is filled in.
            public_url: Some("http://127.0.0.1:0".to_owned()),
            ..Config::default()
        };
        tweak(&mut config);
        let app = Application::build(config).await.expect("server builds");
        let port = app.port();
        let state = app.state().clone();
        let (key, _) =
            admin::create_secret_key(state.store.as_ref(), state.instance.instance.mode, "sdk")
                .await
                .expect("secret key");
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            let _ = app
                .run_until_stopped(async {
                    let _ = rx.await;
                })
                .await;
        });
        Self {
            base: format!("http://127.0.0.1:{port}"),
            secret_key: key.expose().to_owned(),
            state,
            stop: Some(tx),
            task: Some(task),
            _dir: dir,
        }
    }

    /// POST JSON to the Backend API; the parsed body (status must be 200).
    pub async fn bapi_post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.bapi(reqwest::Method::POST, path, body).await
    }

    /// PUT JSON to the Backend API (status must be 200).
    pub async fn bapi_put(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.bapi(reqwest::Method::PUT, path, body).await
    }

    /// PATCH JSON to the Backend API (status must be 200).
    pub async fn bapi_patch(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.bapi(reqwest::Method::PATCH, path, body).await
    }

    async fn bapi(
        &self,
        method: reqwest::Method,
        path: &str,
        body: serde_json::Value,
    ) -> serde_json::Value {
        let res = reqwest::Client::new()
            .request(method.clone(), format!("{}{path}", self.base))
            .bearer_auth(&self.secret_key)
            .json(&body)
            .send()
            .await
            .expect("request");
        assert_eq!(res.status(), 200, "{method} {path}");
        res.json().await.expect("json")
    }

    /// A token minted by Frontdesk for a new user's new session.
    pub async fn minted_token(&self) -> String {
        let user = self
            .bapi_post(
                "/v1/users",
                serde_json::json!({"email_address": ["sdk@example.com"]}),
            )
            .await;
        let session = self
            .bapi_post("/v1/sessions", serde_json::json!({"user_id": user["id"]}))
            .await;
        let sid = session["id"].as_str().expect("sid");
        let token = self
            .bapi_post(&format!("/v1/sessions/{sid}/tokens"), serde_json::json!({}))
            .await;
        token["jwt"].as_str().expect("jwt").to_owned()
    }

    /// Requests the server answered on `route` so far.
    pub async fn requests_to(&self, route: &str) -> u64 {
        let text = reqwest::get(format!("{}/metrics", self.base))
            .await
            .expect("metrics")
            .text()
            .await
            .expect("text");
        text.lines()
            .filter(|l| {
                l.starts_with("frontdesk_http_requests_total")
                    && l.contains(&format!("route=\"{route}\""))
            })
            .filter_map(|l| l.rsplit(' ').next()?.parse::<u64>().ok())
            .sum()
    }

    pub async fn stop(mut self) {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        if let Some(t) = self.task.take() {
            let _ = t.await;
        }
    }
}
