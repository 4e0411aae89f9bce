//! The keys session tokens are checked against: a PEM public key given in
//! configuration (networkless), or the instance's JWKS fetched from the
//! Backend API with the secret key, cached, and fetched again when a token
//! names a key it does not hold, at most once per [`REFETCH_INTERVAL`].

use std::collections::HashMap;
use std::time::{Duration, Instant};

use aws_lc_rs::signature::{self, ParsedPublicKey};
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use serde::Deserialize;
use tokio::sync::RwLock;

/// A JWKS is kept this long (`@clerk/backend` keeps it five minutes).
pub const JWKS_TTL: Duration = Duration::from_secs(300);

/// An unknown `kid` triggers a fetch at most this often: a flood of tokens
/// with made-up key ids must not become a flood of requests upstream.
pub const REFETCH_INTERVAL: Duration = Duration::from_secs(5);

/// Why a key could not be had.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    #[error("the PEM is not an RSA public key (SubjectPublicKeyInfo)")]
    Pem,
    #[error("the JWKS could not be fetched: {0}")]
    Fetch(String),
    #[error("no key `{0}` in the JWKS")]
    UnknownKid(String),
}

/// An RSA public key: its modulus and exponent, parsed once for
/// verification (parsing per signature would cost about as much as the
/// signature check itself).
#[derive(Clone)]
pub struct RsaKey {
    n: Vec<u8>,
    e: Vec<u8>,
    parsed: ParsedPublicKey,
}

impl PartialEq for RsaKey {
    fn eq(&self, other: &Self) -> bool {
        self.n == other.n && self.e == other.e
    }
}

impl Eq for RsaKey {}

/// DER length octets.
fn der_len(len: usize, out: &mut Vec<u8>) {
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes: Vec<u8> = len
            .to_be_bytes()
            .into_iter()
            .skip_while(|b| *b == 0)
            .collect();
        out.push(0x80 | bytes.len() as u8);
        out.extend(bytes);
    }
}

/// A DER INTEGER holding the unsigned big-endian `v`.
fn der_uint(v: &[u8], out: &mut Vec<u8>) {
    let v: Vec<u8> = v.iter().skip_while(|b| **b == 0).copied().collect();
    let pad = v.first().is_some_and(|b| b & 0x80 != 0);
    out.push(0x02);
    der_len(v.len() + usize::from(pad), out);
    if pad {
        out.push(0);
    }
    out.extend(v);
}

impl std::fmt::Debug for RsaKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RsaKey({} bits)", self.n.len() * 8)
    }
}

impl RsaKey {
    /// From a JWK's base64url `n` and `e`.
    pub fn from_jwk(n: &str, e: &str) -> Option<Self> {
        Self::from_components(
            URL_SAFE_NO_PAD.decode(n).ok()?,
            URL_SAFE_NO_PAD.decode(e).ok()?,
        )
    }

    /// From the modulus and exponent: encoded as a PKCS#1 RSAPublicKey and
    /// parsed, which refuses keys under 2048 bits.
    fn from_components(n: Vec<u8>, e: Vec<u8>) -> Option<Self> {
        let mut body = Vec::new();
        der_uint(&n, &mut body);
        der_uint(&e, &mut body);
        let mut der = vec![0x30];
        der_len(body.len(), &mut der);
        der.extend(body);
        let parsed = ParsedPublicKey::new(&signature::RSA_PKCS1_2048_8192_SHA256, der).ok()?;
        Some(Self { n, e, parsed })
    }

    /// From a `-----BEGIN PUBLIC KEY-----` PEM (what `frontdesk keys show`
    /// and Clerk's dashboard print as the JWT public key).
    pub fn from_pem(pem: &str) -> Result<Self, KeyError> {
        let body: String = pem
            .lines()
            .map(str::trim)
            .skip_while(|l| *l != "-----BEGIN PUBLIC KEY-----")
            .skip(1)
            .take_while(|l| *l != "-----END PUBLIC KEY-----")
            .collect();
        let der = STANDARD.decode(body).map_err(|_| KeyError::Pem)?;
        spki_rsa(&der).ok_or(KeyError::Pem)
    }

    /// Whether `signature` is this key's RS256 signature of `message`.
    /// Keys under 2048 bits are refused by the algorithm choice.
    pub fn verify_rs256(&self, message: &[u8], signature: &[u8]) -> bool {
        self.parsed.verify_sig(message, signature).is_ok()
    }
}

/// One DER element: (tag, contents, rest).
fn der(input: &[u8]) -> Option<(u8, &[u8], &[u8])> {
    let (&tag, rest) = input.split_first()?;
    let (&first, rest) = rest.split_first()?;
    let (len, rest) = if first < 0x80 {
        (usize::from(first), rest)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 3 || rest.len() < n {
            return None;
        }
        let len = rest[..n]
            .iter()
            .fold(0usize, |a, &b| (a << 8) | usize::from(b));
        (len, &rest[n..])
    };
    (rest.len() >= len).then(|| (tag, &rest[..len], &rest[len..]))
}

/// The RSA modulus and exponent in a SubjectPublicKeyInfo.
fn spki_rsa(spki: &[u8]) -> Option<RsaKey> {
    const RSA_ENCRYPTION: &[u8] = &[0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01];
    let (0x30, spki, _) = der(spki)? else {
        return None;
    };
    let (0x30, algorithm, rest) = der(spki)? else {
        return None;
    };
    let (0x06, oid, _) = der(algorithm)? else {
        return None;
    };
    if oid != RSA_ENCRYPTION {
        return None;
    }
    let (0x03, bits, _) = der(rest)? else {
        return None;
    };
    let (0, rsa) = bits.split_first()? else {
        return None;
    };
    let (0x30, rsa, _) = der(rsa)? else {
        return None;
    };
    let (0x02, n, rest) = der(rsa)? else {
        return None;
    };
    let (0x02, e, _) = der(rest)? else {
        return None;
    };
    let strip = |v: &[u8]| {
        v.iter()
            .skip_while(|b| **b == 0)
            .copied()
            .collect::<Vec<u8>>()
    };
    RsaKey::from_components(strip(n), strip(e))
}

#[derive(Deserialize)]
struct Jwks {
    keys: Vec<Jwk>,
}

#[derive(Deserialize)]
struct Jwk {
    kid: Option<String>,
    kty: String,
    n: Option<String>,
    e: Option<String>,
    #[serde(rename = "use")]
    use_: Option<String>,
}

/// Where keys come from.
#[derive(Debug)]
pub enum KeySource {
    /// One key, whatever the `kid`: no network at all.
    Pem(RsaKey),
    /// The Backend API's JWKS.
    Jwks(JwksCache),
}

/// The JWKS of one instance, fetched with its secret key.
#[derive(Debug)]
pub struct JwksCache {
    url: String,
    secret_key: String,
    http: reqwest::Client,
    state: RwLock<Cached>,
}

#[derive(Debug, Default)]
struct Cached {
    keys: HashMap<String, RsaKey>,
    fetched: Option<Instant>,
}

impl JwksCache {
    /// `api_url` is the Backend API's base (`https://api.clerk.com`, or
    /// Frontdesk's URL).
    pub fn new(api_url: &str, secret_key: &str) -> Self {
        Self {
            url: format!("{}/v1/jwks", api_url.trim_end_matches('/')),
            secret_key: secret_key.to_owned(),
            http: reqwest::Client::builder()
                .timeout(Duration::from_secs(10))
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            state: RwLock::new(Cached::default()),
        }
    }

    async fn fetch(&self) -> Result<HashMap<String, RsaKey>, KeyError> {
        let res = self
            .http
            .get(&self.url)
            .bearer_auth(&self.secret_key)
            .header("Clerk-API-Version", "2026-05-12")
            .send()
            .await
            .map_err(|e| KeyError::Fetch(e.without_url().to_string()))?;
        if !res.status().is_success() {
            return Err(KeyError::Fetch(format!("HTTP {}", res.status())));
        }
        let jwks: Jwks = res
            .json()
            .await
            .map_err(|e| KeyError::Fetch(e.without_url().to_string()))?;
        Ok(jwks
            .keys
            .into_iter()
            .filter(|k| k.kty == "RSA" && k.use_.as_deref().is_none_or(|u| u == "sig"))
            .filter_map(|k| {
                let key = RsaKey::from_jwk(k.n.as_deref()?, k.e.as_deref()?)?;
                Some((k.kid?, key))
            })
            .collect())
    }

    /// The key `kid`: from the cache while it is fresh, else (and for an
    /// unknown `kid`, at most once per [`REFETCH_INTERVAL`]) fetched again.
    pub async fn key(&self, kid: &str) -> Result<RsaKey, KeyError> {
        // Every verification comes here: a fresh hit only takes a read lock.
        {
            let state = self.state.read().await;
            let fresh = state.fetched.is_some_and(|t| t.elapsed() < JWKS_TTL);
            if fresh && let Some(k) = state.keys.get(kid) {
                return Ok(k.clone());
            }
        }
        let mut state = self.state.write().await;
        let age = state.fetched.map(|t| t.elapsed());
        // Another caller may have fetched while this one waited.
        if age.is_some_and(|a| a < JWKS_TTL)
            && let Some(k) = state.keys.get(kid)
        {
            return Ok(k.clone());
        }
        if age.is_none_or(|a| a >= REFETCH_INTERVAL) {
            let keys = self.fetch().await?;
            state.keys = keys;
            state.fetched = Some(Instant::now());
        }
        state
            .keys
            .get(kid)
            .cloned()
            .ok_or_else(|| KeyError::UnknownKid(kid.chars().take(64).collect()))
    }
}

impl KeySource {
    pub async fn key(&self, kid: &str) -> Result<RsaKey, KeyError> {
        match self {
            Self::Pem(k) => Ok(k.clone()),
            Self::Jwks(cache) => cache.key(kid).await,
        }
    }
}
