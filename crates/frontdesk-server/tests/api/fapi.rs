//! A browser talking to the Frontend API the way clerk-js does: a dev
//! browser token, form bodies, `_method` overrides, an app origin.

use serde_json::Value;

use crate::helpers::{TestApp, json};

pub fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    // These tests make many calls from one IP; the limits have their own tests.
    c.frontend_create_rate_limit = 0;
    c.frontend_attempt_rate_limit = 0;
}

/// Assert that `value` is a valid `schema` of Clerk's Frontend API spec.
pub fn assert_frontend_schema(schema: &str, value: &Value) {
    if let Some(spec) =
        frontdesk_openapi_check::Spec::load(frontdesk_openapi_check::SpecFile::Frontend)
    {
        frontdesk_openapi_check::assert_valid(&spec, schema, value);
    }
}

/// A browser with a dev browser token, talking like clerk-js.
pub struct Browser<'a> {
    pub app: &'a TestApp,
    pub db_jwt: String,
}

impl<'a> Browser<'a> {
    pub async fn new(app: &'a TestApp) -> Self {
        let res = app
            .http
            .post(app.url("/v1/dev_browser"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let body = json(res).await;
        let db_jwt = body["id"].as_str().unwrap().to_owned();
        assert!(db_jwt.starts_with("dvb_"));
        Self { app, db_jwt }
    }

    pub fn url(&self, path: &str) -> String {
        let sep = if path.contains('?') { '&' } else { '?' };
        self.app.url(&format!(
            "{path}{sep}__clerk_api_version=2026-08-20&_clerk_js_version=6.40.0&__clerk_db_jwt={}",
            self.db_jwt
        ))
    }

    pub async fn post(&self, path: &str, form: &[(&str, &str)]) -> (u16, Value) {
        let res = self
            .app
            .http
            .post(self.url(path))
            .header("origin", "http://localhost:3000")
            .form(form)
            .send()
            .await
            .unwrap();
        let status = res.status().as_u16();
        if let Some(origin) = res.headers().get("access-control-allow-origin") {
            assert_eq!(origin, "http://localhost:3000");
            assert_eq!(res.headers()["access-control-allow-credentials"], "true");
        } else {
            panic!("no CORS headers on {path}");
        }
        (status, json(res).await)
    }

    pub async fn get(&self, path: &str) -> Value {
        let res = self
            .app
            .http
            .get(self.url(path))
            .header("origin", "http://localhost:3000")
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        json(res).await
    }
}

/// A browser signed in with `email`'s password; its session id.
pub async fn signed_in<'a>(app: &'a TestApp, email: &str, password: &str) -> (Browser<'a>, String) {
    let b = Browser::new(app).await;
    let (status, body) = b
        .post(
            "/v1/client/sign_ins",
            &[("identifier", email), ("password", password)],
        )
        .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["response"]["status"], "complete", "{body}");
    let sid = body["response"]["created_session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (b, sid)
}

/// A `/v1/me…` path for session `sid`, as clerk-js addresses it.
pub fn me(path: &str, sid: &str) -> String {
    format!("{path}?_clerk_session_id={sid}")
}
