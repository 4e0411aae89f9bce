//! The middleware against a real Frontdesk server (development instance):
//! Clerk's `authenticateRequest` decisions, the handshake round trip, the
//! redirect-loop guard, the `Auth` extractor and `protect()` in axum.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::body::Body;
use axum::routing::get;
use frontdesk::request::{AuthState, authenticate};
use frontdesk::{Auth, Builder, Condition, FrontdeskLayer, Settings};
use http::Request;
use serde_json::{Value, json};
use tower::ServiceExt;

const APP: &str = "http://localhost:3000";

fn settings(server: &common::Server) -> Settings {
    Builder::default()
        .publishable_key(server.state.instance.publishable_key.as_str())
        .secret_key(&server.secret_key)
        .api_url(&server.base)
        .proxy_url(&server.base)
        .build()
        .unwrap()
}

/// A page load (or an API call) on the app, with `cookies`.
fn parts(path_and_query: &str, cookies: &str, document: bool) -> http::request::Parts {
    let mut b = Request::get(path_and_query).header("host", "localhost:3000");
    if document {
        b = b
            .header("accept", "text/html")
            .header("sec-fetch-dest", "document");
    } else {
        b = b.header("accept", "application/json");
    }
    if !cookies.is_empty() {
        b = b.header("cookie", cookies);
    }
    b.body(()).unwrap().into_parts().0
}

/// A browser signed up on the Frontend API: its dev browser token.
async fn signed_up_browser(server: &common::Server) -> String {
    let http = reqwest::Client::new();
    let post = |path: String, form: Vec<(&'static str, &'static str)>| {
        let http = http.clone();
        async move {
            let res = http.post(path).form(&form).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let db = post(format!("{}/v1/dev_browser", server.base), vec![]).await["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let q = format!("__clerk_db_jwt={db}");
    let su = post(
        format!("{}/v1/client/sign_ups?{q}", server.base),
        vec![
            ("email_address", "mw+clerk_test@example.com"),
            ("password", "correct horse battery staple"),
        ],
    )
    .await;
    let id = su["response"]["id"].as_str().unwrap().to_owned();
    post(
        format!(
            "{}/v1/client/sign_ups/{id}/prepare_verification?{q}",
            server.base
        ),
        vec![("strategy", "email_code")],
    )
    .await;
    post(
        format!(
            "{}/v1/client/sign_ups/{id}/attempt_verification?{q}",
            server.base
        ),
        vec![("code", "424242")],
    )
    .await;
    db
}

/// `name=value` pairs of Set-Cookie directives, as a Cookie header.
fn cookie_header(directives: &[String]) -> String {
    directives
        .iter()
        .filter_map(|d| d.split(';').next())
        .filter(|kv| !kv.ends_with('=') && !kv.starts_with("__clerk_redirect_count"))
        .collect::<Vec<_>>()
        .join("; ")
}

/// What Frontdesk's handshake answers for the dev browser `db` coming from
/// `path` on the app: the URL it sends the browser back to.
async fn frontdesk_handshake(server: &common::Server, db: &str, path: &str) -> String {
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/v1/client/handshake", server.base))
        .query(&[
            ("redirect_url", format!("{APP}{path}")),
            ("__clerk_db_jwt", db.to_owned()),
            ("suffixed_cookies", "false".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307);
    res.headers()["location"].to_str().unwrap().to_owned()
}

#[tokio::test]
async fn authenticate_request_follows_clerks_decision_tree() {
    let server = common::Server::start(|_| {}).await;
    let s = settings(&server);
    assert_eq!(
        s.cookie_suffix,
        frontdesk_crypto::cookie_suffix(server.state.instance.publishable_key.as_str()),
        "the same suffix as Frontdesk and Clerk"
    );

    // First visit on a development instance: no dev browser → handshake
    // for a page load, signed out for an API call.
    let first = authenticate(&s, &parts("/dashboard", "", true)).await;
    let location = first.redirect.clone().unwrap();
    assert!(
        location.starts_with(&format!(
            "{}/v1/client/handshake?redirect_url=http%3A%2F%2Flocalhost%3A3000%2Fdashboard",
            server.base
        )),
        "{location}"
    );
    assert!(location.contains("__clerk_hs_reason=dev-browser-missing"));
    assert!(first.set_cookies[0].starts_with("__clerk_redirect_count=1;"));
    let api = authenticate(&s, &parts("/api/me", "", false)).await;
    assert!(api.redirect.is_none());
    assert!(matches!(
        api.state,
        AuthState::SignedOut("dev-browser-missing")
    ));

    // A dev browser but no session: signed out without a network call.
    let db = signed_up_browser(&server).await;
    let out = authenticate(
        &s,
        &parts("/dashboard", &format!("__clerk_db_jwt={db}"), true),
    )
    .await;
    assert!(
        matches!(
            out.state,
            AuthState::SignedOut("session-token-and-uat-missing")
        ),
        "{out:?}"
    );

    // The handshake round trip: Frontdesk redirects back with a signed
    // handshake; the middleware sets the cookies and reloads the clean URL.
    let res = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(format!("{}/v1/client/handshake", server.base))
        .query(&[
            ("redirect_url", format!("{APP}/dashboard?tab=1")),
            ("__clerk_db_jwt", db.clone()),
            // As the middleware's own redirect says (a handshake that does
            // not say writes both names).
            ("suffixed_cookies", "false".to_owned()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 307);
    let back = res.headers()["location"].to_str().unwrap().to_owned();
    let path = back.strip_prefix(APP).unwrap();
    let resolved = authenticate(&s, &parts(path, "", true)).await;
    assert_eq!(
        resolved.redirect.as_deref(),
        Some("http://localhost:3000/dashboard?tab=1")
    );
    let AuthState::SignedIn(claims) = &resolved.state else {
        panic!("signed in by the handshake: {resolved:?}")
    };
    let user_id = claims.user_id().to_owned();
    assert!(user_id.starts_with("user_"));
    let cookies = cookie_header(&resolved.set_cookies);
    assert!(
        cookies.contains("__session=")
            && cookies.contains("__client_uat=")
            && cookies.contains("__clerk_db_jwt="),
        "{cookies}"
    );

    // With those cookies: signed in, locally.
    let again = authenticate(&s, &parts("/dashboard?tab=1", &cookies, true)).await;
    assert!(again.redirect.is_none());
    let AuthState::SignedIn(c) = &again.state else {
        panic!("{again:?}")
    };
    assert_eq!(c.user_id(), user_id);

    // The same token as a bearer token; a bad one is simply signed out.
    let token = cookies
        .split("; ")
        .find_map(|kv| kv.strip_prefix("__session="))
        .unwrap()
        .to_owned();
    let mut p = parts("/api/me", "", false);
    p.headers
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    assert!(matches!(
        authenticate(&s, &p).await.state,
        AuthState::SignedIn(_)
    ));
    p.headers
        .insert("authorization", "Bearer x.y.z".parse().unwrap());
    assert!(matches!(
        authenticate(&s, &p).await.state,
        AuthState::SignedOut(_)
    ));

    // A token older than the client's last change goes back to Frontdesk;
    // after three redirects in a row the middleware gives up.
    let stale = cookies
        .replace("__client_uat=", "__client_uat=9")
        .to_owned();
    let o = authenticate(&s, &parts("/dashboard", &stale, true)).await;
    assert!(
        o.redirect
            .unwrap()
            .contains("__clerk_hs_reason=session-token-iat-before-client-uat")
    );
    let looped = format!("{stale}; __clerk_redirect_count=3");
    let o = authenticate(&s, &parts("/dashboard", &looped, true)).await;
    assert!(o.redirect.is_none() && matches!(o.state, AuthState::SignedOut(_)));

    // The layer, the extractor and protect() in an axum app.
    let app = Router::new()
        .route(
            "/api/me",
            get(|auth: Auth| async move {
                match auth.user_id() {
                    Some(id) => (http::StatusCode::OK, json!({"id": id}).to_string()),
                    None => (
                        http::StatusCode::UNAUTHORIZED,
                        json!({"error": "signed out"}).to_string(),
                    ),
                }
            }),
        )
        .route(
            "/pro",
            get(|auth: Auth, req: Request<Body>| async move {
                let (parts, _) = req.into_parts();
                match auth.protect::<Body>(&parts, &[Condition::claim("metadata.tier", "pro")]) {
                    Ok(()) => http::Response::new(Body::from("pro")),
                    Err(res) => res,
                }
            }),
        )
        .layer(FrontdeskLayer::new(settings(&server)));
    let call = |path: &str, cookies: &str, document: bool| {
        let mut b = Request::get(path).header("host", "localhost:3000");
        b = if document {
            b.header("accept", "text/html")
                .header("sec-fetch-dest", "document")
        } else {
            b.header("accept", "application/json")
        };
        if !cookies.is_empty() {
            b = b.header("cookie", cookies);
        }
        app.clone().oneshot(b.body(Body::empty()).unwrap())
    };
    let res = call("/api/me", &cookies, false).await.unwrap();
    assert_eq!(res.status(), 200);
    let body = axum::body::to_bytes(res.into_body(), 1 << 16)
        .await
        .unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&body).unwrap()["id"],
        user_id
    );
    let res = call("/api/me", &format!("__clerk_db_jwt={db}"), false)
        .await
        .unwrap();
    assert_eq!(res.status(), 401);
    let res = call("/pro", &format!("__clerk_db_jwt={db}"), true)
        .await
        .unwrap();
    assert_eq!(res.status(), 307);
    let to = res.headers()["location"].to_str().unwrap();
    assert!(
        to.starts_with(&format!(
            "{}/sign-in?redirect_url=http%3A%2F%2Flocalhost%3A3000%2Fpro",
            server.base
        )),
        "{to}"
    );
    let res = call("/pro", &cookies, true).await.unwrap();
    assert_eq!(res.status(), 404, "signed in, but not pro");

    // `tier: pro` in public metadata, in the token through the session
    // token template: the pro page opens with the next token.
    server
        .bapi_put(
            "/v1/instance/session_token_template",
            json!({"claims": {"metadata": "{{user.public_metadata}}"}}),
        )
        .await;
    server
        .bapi_patch(
            &format!("/v1/users/{user_id}/metadata"),
            json!({"public_metadata": {"tier": "pro"}}),
        )
        .await;
    let back = frontdesk_handshake(&server, &db, "/pro").await;
    let resolved = authenticate(&s, &parts(back.strip_prefix(APP).unwrap(), "", true)).await;
    let pro_cookies = cookie_header(&resolved.set_cookies);
    let res = call("/pro", &pro_cookies, true).await.unwrap();
    assert_eq!(res.status(), 200);
    let res = call("/dashboard", "", true).await.unwrap();
    assert_eq!(res.status(), 307, "handshake before any handler");
    server.stop().await;
}
