//! The relying-party code against a real OpenID Connect provider: npm
//! `oidc-provider` (pinned in `e2e/package.json`), run by
//! `e2e/oidc-provider.mjs` on loopback. The browser's part (the provider's
//! login form) is played with plain HTTP and a cookie jar.
//!
//! A counted skip when `node` or the package is missing (`.ci/run` installs
//! both).

#![allow(clippy::unwrap_used)]

use frontdesk_oidc::{
    AuthorizationRequest, ClientAuth, ClientCredentials, IdTokenCheck, Issuer, OidcError,
    ProviderMetadata, exchange_code,
};
use frontdesk_testkit::oidc::{OidcProvider, provider_browser, sign_in_at_provider};
use serde_json::json;

/// Where the provider sends the browser back: never contacted (the jar
/// stops at the redirect).
const REDIRECT: &str = "http://127.0.0.1:9/v1/oauth_callback";
const PASSWORD: &str = "provider password";

/// The provider with one client (`frontdesk`) and two accounts: Ada with a
/// verified address, Bob with an unverified one. `None` (skipped) without
/// node or the package.
async fn provider(what: &str) -> Option<OidcProvider> {
    let clients = json!([{"client_id": "frontdesk", "client_secret": "s3cr3t:with/odd+chars",
        "redirect_uris": [REDIRECT]}]);
    let accounts = json!([
        {"sub": "ada-1", "email": "ada@example.com", "email_verified": true,
         "given_name": "Ada", "family_name": "Lovelace", "password": PASSWORD},
        {"sub": "bob-1", "email": "bob@example.com", "email_verified": false,
         "given_name": "Bob", "family_name": "Unverified", "password": PASSWORD},
    ]);
    OidcProvider::start(what, &clients, &accounts).await
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
    let b = provider_browser(REDIRECT);
    let res = sign_in_at_provider(&b, request.url.as_str(), email, PASSWORD, action).await;
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
