//! The relying-party code against a real OpenID Connect provider: npm
//! `oidc-provider` (pinned in `e2e/package.json`), run by
//! `e2e/oidc-provider.mjs` on loopback. The browser's part (the provider's
//! login form) is played with plain HTTP and a cookie jar.
//!
//! A counted skip when `node` or the package is missing (`.ci/run` installs
//! both).

#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;

use frontdesk_oidc::{
    AuthorizationRequest, ClientAuth, ClientCredentials, IdTokenCheck, Issuer, OidcError,
    ProviderMetadata, exchange_code,
};
use serde_json::json;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, Command};

/// Where the provider sends the browser back: never contacted (the jar
/// stops at the redirect).
const REDIRECT: &str = "http://127.0.0.1:9/v1/oauth_callback";
const PASSWORD: &str = "provider password";

struct Provider {
    issuer: String,
    _child: Child,
    /// Kept open: the provider never writes to it again, but a closed pipe
    /// would fail it if it did.
    _stdout: tokio::io::Lines<BufReader<tokio::process::ChildStdout>>,
}

fn e2e() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../e2e")
}

/// The provider with one client (`frontdesk`) and two accounts: Ada with a
/// verified address, Bob with an unverified one. `None` (skipped) without
/// node or the package.
async fn provider(what: &str) -> Option<Provider> {
    if !e2e()
        .join("node_modules/oidc-provider/package.json")
        .exists()
    {
        frontdesk_testkit::skip(
            what,
            "e2e/node_modules has no oidc-provider (npm ci --prefix e2e)",
        );
        return None;
    }
    let clients = json!([{"client_id": "frontdesk", "client_secret": "s3cr3t:with/odd+chars",
        "redirect_uris": [REDIRECT]}]);
    let accounts = json!([
        {"sub": "ada-1", "email": "ada@example.com", "email_verified": true,
         "given_name": "Ada", "family_name": "Lovelace", "password": PASSWORD},
        {"sub": "bob-1", "email": "bob@example.com", "email_verified": false,
         "given_name": "Bob", "family_name": "Unverified", "password": PASSWORD},
    ]);
    let spawned = Command::new("node")
        .arg(e2e().join("oidc-provider.mjs"))
        .current_dir(e2e())
        .env("OIDC_PORT", "0")
        .env("OIDC_CLIENTS", clients.to_string())
        .env("OIDC_ACCOUNTS", accounts.to_string())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let Ok(mut child) = spawned else {
        frontdesk_testkit::skip(what, "node is not installed");
        return None;
    };
    // Its notices, kept for a failure's message (and drained, so that a
    // full pipe never stalls it).
    let mut stderr = BufReader::new(child.stderr.take().unwrap()).lines();
    let said = tokio::spawn(async move {
        let mut text = String::new();
        while let Ok(Some(line)) = stderr.next_line().await {
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    let ready = tokio::time::timeout(Duration::from_secs(30), lines.next_line()).await;
    let Ok(Ok(Some(line))) = ready else {
        let _ = child.start_kill();
        panic!(
            "the provider did not start: {}",
            said.await.unwrap_or_default()
        );
    };
    let issuer = line
        .strip_prefix("READY ")
        .expect("READY <issuer>")
        .to_owned();
    Some(Provider {
        issuer,
        _child: child,
        _stdout: lines,
    })
}

/// A browser: cookies kept, redirects followed until the one back to
/// Frontdesk, which is returned instead of followed.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            if attempt.url().as_str().starts_with(REDIRECT) {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .build()
        .unwrap()
}

/// The query of the redirect back to Frontdesk.
fn callback(res: &reqwest::Response) -> std::collections::HashMap<String, String> {
    let location = res.headers()["location"].to_str().unwrap();
    assert!(location.starts_with(REDIRECT), "{location}");
    url::Url::parse(location)
        .unwrap()
        .query_pairs()
        .into_owned()
        .collect()
}

/// Sign in at the provider as `email`: the redirect back's query.
async fn sign_in(
    request: &AuthorizationRequest,
    email: &str,
    action: &str,
) -> std::collections::HashMap<String, String> {
    let b = browser();
    let page = b.get(request.url.clone()).send().await.unwrap();
    assert_eq!(page.status(), 200, "the provider's login page");
    let interaction = page.url().path().trim_end_matches('/').to_owned();
    assert!(interaction.starts_with("/interaction/"), "{interaction}");
    let mut at = page.url().clone();
    at.set_path(&format!("{interaction}/{action}"));
    let res = b
        .post(at)
        .form(&[("email", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    assert!(res.status().is_redirection(), "{}", res.status());
    callback(&res)
}

fn scopes() -> Vec<String> {
    ["openid", "email", "profile"].map(String::from).to_vec()
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

fn client(auth: ClientAuth) -> ClientCredentials {
    ClientCredentials {
        client_id: "frontdesk".into(),
        client_secret: "s3cr3t:with/odd+chars".into(),
        auth,
    }
}

#[tokio::test]
async fn a_sign_in_at_a_real_provider_yields_a_checked_identity() {
    let Some(p) = provider("the oidc-provider relying-party test").await else {
        return;
    };
    let http = reqwest::Client::new();
    let meta = ProviderMetadata::discover(&http, &p.issuer).await.unwrap();
    assert_eq!(meta.code_challenge_methods_supported, ["S256"]);
    let keys = meta.keys(&http).await.unwrap();
    assert!(!keys.is_empty());

    // Ada: verified address, client_secret_basic (id and secret form-encoded).
    let request = AuthorizationRequest::new(&meta, "frontdesk", REDIRECT, &scopes(), &[]);
    let back = sign_in(&request, "ada@example.com", "login").await;
    assert_eq!(
        back["state"], request.state,
        "the state comes back unchanged"
    );
    assert_eq!(back["iss"], p.issuer, "RFC 9207's iss names the provider");
    let code = &back["code"];
    let tokens = exchange_code(
        &http,
        &meta,
        &client(ClientAuth::Basic),
        code,
        &request.pkce_verifier,
        REDIRECT,
    )
    .await
    .unwrap();
    let id_token = tokens.id_token.clone().expect("an ID token");
    let check = IdTokenCheck {
        issuer: Issuer::Exact(p.issuer.clone()),
        client_id: "frontdesk",
        nonce: request.nonce.as_deref(),
        now: now(),
    };
    let claims = check.validate(&keys, &id_token).unwrap();
    assert_eq!(claims.subject, "ada-1");
    assert_eq!(claims.email.as_deref(), Some("ada@example.com"));
    assert!(claims.email_verified);
    assert_eq!(claims.given_name.as_deref(), Some("Ada"));
    assert_eq!(claims.family_name.as_deref(), Some("Lovelace"));

    // The same token for another sign-in (nonce), client or issuer: refused.
    for bad in [
        IdTokenCheck {
            nonce: Some("another sign-in"),
            ..check.clone()
        },
        IdTokenCheck {
            client_id: "another-client",
            ..check.clone()
        },
        IdTokenCheck {
            issuer: Issuer::Exact("http://127.0.0.1:1".into()),
            ..check.clone()
        },
    ] {
        assert!(matches!(
            bad.validate(&keys, &id_token),
            Err(OidcError::IdToken(_))
        ));
    }
    // A replayed code is refused by the provider.
    let replay = exchange_code(
        &http,
        &meta,
        &client(ClientAuth::Basic),
        code,
        &request.pkce_verifier,
        REDIRECT,
    )
    .await;
    assert!(
        matches!(replay, Err(OidcError::Refused { ref error, .. }) if error == "invalid_grant"),
        "{replay:?}"
    );

    let fresh = || {
        AuthorizationRequest::new(
            &meta,
            "frontdesk",
            REDIRECT,
            &scopes(),
            &[("prompt", "login")],
        )
    };
    // Bob: unverified address, client_secret_post; a wrong PKCE verifier
    // makes the code useless.
    let request = fresh();
    let back = sign_in(&request, "bob@example.com", "login").await;
    let wrong = exchange_code(
        &http,
        &meta,
        &client(ClientAuth::Post),
        &back["code"],
        "not-the-verifier-not-the-verifier-not-the-v",
        REDIRECT,
    )
    .await;
    assert!(matches!(wrong, Err(OidcError::Refused { .. })), "{wrong:?}");
    let request = fresh();
    let back = sign_in(&request, "bob@example.com", "login").await;
    let tokens = exchange_code(
        &http,
        &meta,
        &client(ClientAuth::Post),
        &back["code"],
        &request.pkce_verifier,
        REDIRECT,
    )
    .await
    .unwrap();
    let claims = IdTokenCheck {
        nonce: request.nonce.as_deref(),
        ..check.clone()
    }
    .validate(&keys, tokens.id_token.as_deref().unwrap())
    .unwrap();
    assert_eq!(claims.email.as_deref(), Some("bob@example.com"));
    assert!(
        !claims.email_verified,
        "the provider does not vouch for Bob's address"
    );

    // A person who cancels comes back with `access_denied` and the state.
    let request = fresh();
    let back = sign_in(&request, "", "abort").await;
    assert_eq!(back["error"], "access_denied");
    assert_eq!(back["state"], request.state);
}

#[tokio::test]
async fn a_discovery_document_for_another_issuer_is_refused() {
    let Some(p) = provider("the oidc-provider discovery test").await else {
        return;
    };
    let http = reqwest::Client::new();
    // The same server under another name is another issuer.
    let other = p.issuer.replace("127.0.0.1", "localhost");
    let err = ProviderMetadata::discover(&http, &other).await.unwrap_err();
    assert!(matches!(err, OidcError::IssuerMismatch { .. }), "{err}");
    let err = ProviderMetadata::discover(&http, "http://idp.example.com")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("https"), "{err}");
}
