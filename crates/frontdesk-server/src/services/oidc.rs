//! The identity providers an instance signs in with, as a relying party:
//! their endpoints and keys (read from discovery documents, kept for an
//! hour, keys read again when a token names one not seen), the code
//! exchange, and who the provider says the person is.
//!
//! Nothing here decides anything about accounts: the engine
//! (`engine::oauth`) does, from the [`ExternalIdentity`] returned.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::ProviderTokens;
use frontdesk_domain::flows::oauth::ExternalIdentity;
use frontdesk_domain::oauth::{EmailClaim, OAuthStrategy, Provider, SocialConnection};
use frontdesk_oidc::{
    AppleSigner, ClientAuth, ClientCredentials, IdTokenCheck, Issuer, JsonWebKeySet, OidcError,
    ProviderMetadata, TokenResponse, exchange_code,
};
use serde::Deserialize;
use url::Url;

/// How long a discovery document and its keys are used before they are
/// read again.
const FRESH_FOR: Duration = Duration::from_secs(3600);
/// Keys just read are not read again for a token they do not verify
/// (bursts of callbacks during a rotation share one read). The tokens come
/// from the provider's token endpoint over TLS, never from the browser, so
/// nobody else can make Frontdesk read the keys again with a made-up `kid`.
const REFETCH_KEYS_AFTER: Duration = Duration::from_millis(500);

struct Cached {
    meta: Arc<ProviderMetadata>,
    keys: Option<(Arc<JsonWebKeySet>, Instant)>,
    at: Instant,
}

/// The providers' documents, shared by every request of this node.
pub struct Providers {
    http: reqwest::Client,
    cache: Mutex<HashMap<String, Cached>>,
}

impl Default for Providers {
    fn default() -> Self {
        Self::new()
    }
}

impl Providers {
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .connect_timeout(Duration::from_secs(5))
            // A provider's endpoints are used as written, never followed
            // elsewhere (an open redirect there is not a way to here).
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!("Frontdesk/", env!("CARGO_PKG_VERSION")))
            .build()
            .unwrap_or_default();
        Self {
            http,
            cache: Mutex::new(HashMap::new()),
        }
    }

    fn cached(&self, issuer: &str) -> Option<Arc<ProviderMetadata>> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(issuer)
            .filter(|c| c.at.elapsed() < FRESH_FOR)
            .map(|c| c.meta.clone())
    }

    /// The endpoints of `strategy` as `conn` configures it.
    pub async fn endpoints(
        &self,
        strategy: &OAuthStrategy,
        conn: &SocialConnection,
    ) -> Result<Arc<ProviderMetadata>, OidcError> {
        let provider = strategy.provider();
        if provider == Provider::GitHub {
            return Ok(Arc::new(github_endpoints(conn.issuer.as_deref())?));
        }
        let issuer = conn
            .issuer_for(provider)
            .ok_or_else(|| OidcError::Unreachable("no issuer is configured".to_owned()))?;
        if let Some(meta) = self.cached(&issuer) {
            return Ok(meta);
        }
        let meta = Arc::new(ProviderMetadata::discover(&self.http, &issuer).await?);
        self.cache.lock().unwrap_or_else(|e| e.into_inner()).insert(
            issuer,
            Cached {
                meta: meta.clone(),
                keys: None,
                at: Instant::now(),
            },
        );
        Ok(meta)
    }

    /// The provider's keys; read again when `stale` and not read within
    /// [`REFETCH_KEYS_AFTER`].
    async fn keys(
        &self,
        meta: &ProviderMetadata,
        stale: bool,
    ) -> Result<Arc<JsonWebKeySet>, OidcError> {
        let held = {
            let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
            cache
                .get(&meta.issuer)
                .and_then(|c| c.keys.clone())
                .filter(|(_, at)| at.elapsed() < FRESH_FOR)
        };
        if let Some((keys, at)) = held
            && (!stale || at.elapsed() < REFETCH_KEYS_AFTER)
        {
            return Ok(keys);
        }
        let keys = Arc::new(meta.keys(&self.http).await?);
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(c) = cache.get_mut(&meta.issuer) {
            c.keys = Some((keys.clone(), Instant::now()));
        }
        Ok(keys)
    }

    /// Exchange the callback's `code` and find out who the person is.
    pub async fn identify(&self, call: Exchange<'_>) -> Result<Identified, OidcError> {
        let provider = call.strategy.provider();
        // Apple's secret is the key a client secret is signed with.
        let client_secret = match provider {
            Provider::Apple => AppleSigner {
                team_id: call.conn.team_id.as_deref().unwrap_or_default(),
                key_id: call.conn.key_id.as_deref().unwrap_or_default(),
                private_key_pem: call.client_secret,
            }
            .client_secret(
                &call.conn.client_id,
                &call.meta.issuer,
                call.now.as_secs(),
            )?,
            _ => call.client_secret.to_owned(),
        };
        let credentials = ClientCredentials {
            client_id: call.conn.client_id.clone(),
            client_secret,
            auth: match provider {
                Provider::GitHub | Provider::Apple => ClientAuth::Post,
                _ => ClientAuth::Basic,
            },
        };
        let tokens = exchange_code(
            &self.http,
            call.meta,
            &credentials,
            call.code,
            call.pkce_verifier,
            call.redirect_uri,
        )
        .await?;
        let scopes = tokens
            .scope
            .clone()
            .map(|s| s.replace(',', " "))
            .unwrap_or_else(|| call.conn.scopes_for(provider).join(" "));
        let mut identity = match provider {
            Provider::GitHub => self.github_identity(call.meta, &tokens).await?,
            _ => self.id_token_identity(&call, &tokens).await?,
        };
        identity.approved_scopes = scopes.clone();
        let provider_tokens = ProviderTokens {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
            expires_at: tokens.expires_in.map(|s| {
                call.now
                    .plus_secs(i64::try_from(s).unwrap_or(i64::MAX / 2000))
            }),
            scopes,
        };
        Ok(Identified {
            identity,
            tokens: provider_tokens,
        })
    }

    async fn id_token_identity(
        &self,
        call: &Exchange<'_>,
        tokens: &TokenResponse,
    ) -> Result<ExternalIdentity, OidcError> {
        let provider = call.strategy.provider();
        let id_token = tokens
            .id_token
            .as_deref()
            .ok_or_else(|| OidcError::IdToken("the token response has no ID token".to_owned()))?;
        let issuer = if provider == Provider::Microsoft && call.meta.issuer.contains("{tenantid}") {
            Issuer::PerTenant(call.meta.issuer.clone())
        } else {
            Issuer::Exact(call.meta.issuer.clone())
        };
        let check = IdTokenCheck {
            issuer,
            client_id: &call.conn.client_id,
            nonce: call.nonce,
            now: call.now.as_secs(),
        };
        let keys = self.keys(call.meta, false).await?;
        let claims = match check.validate(&keys, id_token) {
            Ok(c) => c,
            // The provider may have rotated its keys since they were read.
            Err(OidcError::IdToken(_)) => {
                let keys = self.keys(call.meta, true).await?;
                check.validate(&keys, id_token)?
            }
            Err(e) => return Err(e),
        };
        let raw = &claims.raw;
        let truthy = |name: &str| match raw.get(name) {
            Some(serde_json::Value::Bool(b)) => *b,
            Some(serde_json::Value::String(s)) => s == "true",
            _ => false,
        };
        let email = claims.email.clone().map(|e| e.trim().to_lowercase());
        let claim = EmailClaim {
            email: email.clone(),
            verified: claims.email_verified || truthy("email_verified"),
            domain_owner_verified: truthy("xms_edov"),
            primary: true,
        };
        Ok(ExternalIdentity {
            strategy: call.strategy.clone(),
            provider_user_id: claims.subject.clone(),
            email_verified: match (&email, call.conn.is_enterprise()) {
                (None, _) => false,
                // An enterprise connection answers for its own domains only.
                (Some(e), true) => call.conn.covers(e),
                (Some(_), false) => provider.vouches_for(&claim, call.conn.trust_email),
            },
            email,
            first_name: claims.given_name.clone(),
            last_name: claims.family_name.clone(),
            image_url: claims.picture.clone().filter(|p| p.starts_with("https://")),
            username: claims.preferred_username.clone(),
            approved_scopes: String::new(),
            sealed_tokens: None,
        })
    }

    /// GitHub is not OpenID Connect: who the person is comes from
    /// `GET /user`, and a verified primary address from `GET /user/emails`
    /// (scope `user:email`).
    async fn github_identity(
        &self,
        meta: &ProviderMetadata,
        tokens: &TokenResponse,
    ) -> Result<ExternalIdentity, OidcError> {
        #[derive(Deserialize)]
        struct GitHubUser {
            id: u64,
            login: String,
            name: Option<String>,
            avatar_url: Option<String>,
        }
        #[derive(Deserialize)]
        struct GitHubEmail {
            email: String,
            primary: bool,
            verified: bool,
        }
        let api = meta
            .userinfo_endpoint
            .clone()
            .ok_or_else(|| OidcError::Unreachable("no GitHub API URL".to_owned()))?;
        let get = |path: &str| {
            let mut url = api.clone();
            url.set_path(&format!("{}{path}", api.path().trim_end_matches('/')));
            self.http
                .get(url)
                .bearer_auth(&tokens.access_token)
                .header("accept", "application/vnd.github+json")
                .header("x-github-api-version", "2022-11-28")
                .send()
        };
        let read = |what: &'static str| {
            move |e: reqwest::Error| OidcError::Unreachable(format!("{what}: {}", e.without_url()))
        };
        let user_res = get("/user").await.map_err(read("GitHub /user"))?;
        if !user_res.status().is_success() {
            return Err(OidcError::Unreachable(format!(
                "GitHub /user answered {}",
                user_res.status()
            )));
        }
        let user: GitHubUser = user_res.json().await.map_err(|e| OidcError::Malformed {
            what: "GitHub user",
            why: e.without_url().to_string(),
        })?;
        let emails_res = get("/user/emails")
            .await
            .map_err(read("GitHub /user/emails"))?;
        let emails: Vec<GitHubEmail> = if emails_res.status().is_success() {
            emails_res.json().await.map_err(|e| OidcError::Malformed {
                what: "GitHub emails",
                why: e.without_url().to_string(),
            })?
        } else {
            // Without `user:email` there is no address to go on.
            Vec::new()
        };
        let primary = emails.iter().find(|e| e.primary);
        let claim = EmailClaim {
            email: primary.map(|e| e.email.to_lowercase()),
            verified: primary.is_some_and(|e| e.verified),
            domain_owner_verified: false,
            primary: primary.is_some(),
        };
        let (first, last) = match user.name.as_deref().map(str::trim) {
            Some(n) if !n.is_empty() => match n.split_once(' ') {
                Some((f, l)) => (Some(f.to_owned()), Some(l.trim().to_owned())),
                None => (Some(n.to_owned()), None),
            },
            _ => (None, None),
        };
        Ok(ExternalIdentity {
            strategy: OAuthStrategy::parse("oauth_github")
                .map_err(|e| OidcError::Unreachable(e.to_string()))?,
            provider_user_id: user.id.to_string(),
            email_verified: Provider::GitHub.vouches_for(&claim, true),
            email: claim.email,
            first_name: first,
            last_name: last,
            image_url: user.avatar_url.filter(|u| u.starts_with("https://")),
            username: Some(user.login),
            approved_scopes: String::new(),
            sealed_tokens: None,
        })
    }
}

/// GitHub's endpoints: github.com's, or a GitHub Enterprise Server's (and
/// a test's fake) at `base` (`/login/oauth/…`, API under `/api/v3`).
fn github_endpoints(base: Option<&str>) -> Result<ProviderMetadata, OidcError> {
    let parse = |s: &str| {
        Url::parse(s).map_err(|e| OidcError::Unreachable(format!("`{s}` is not a URL: {e}")))
    };
    let (web, api) = match base {
        None => (
            "https://github.com".to_owned(),
            "https://api.github.com".to_owned(),
        ),
        Some(b) => {
            let b = b.trim_end_matches('/');
            (b.to_owned(), format!("{b}/api/v3"))
        }
    };
    Ok(ProviderMetadata::fixed(
        &web,
        parse(&format!("{web}/login/oauth/authorize"))?,
        parse(&format!("{web}/login/oauth/access_token"))?,
        Some(parse(&api)?),
    ))
}

/// What the callback hands to [`Providers::identify`].
pub struct Exchange<'a> {
    pub strategy: &'a OAuthStrategy,
    pub conn: &'a SocialConnection,
    pub client_secret: &'a str,
    pub meta: &'a ProviderMetadata,
    pub code: &'a str,
    pub pkce_verifier: &'a str,
    pub nonce: Option<&'a str>,
    pub redirect_uri: &'a str,
    pub now: UnixMillis,
}

/// Who the provider named, and the tokens it gave.
pub struct Identified {
    pub identity: ExternalIdentity,
    pub tokens: ProviderTokens,
}
