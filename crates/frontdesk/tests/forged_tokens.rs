//! The JWT attack catalogue (security.md §3.4, D10) against the SDK's
//! verifier: every forged token is refused, by both key sources (the JWKS of
//! a real Frontdesk server, and its PEM key with no network), while genuine
//! tokens (hand-built and minted by Frontdesk) pass. Forgeries that need a
//! valid signature are signed with the server's real key, so the verifier
//! is shown to look past the signature.
#![allow(clippy::unwrap_used)]

mod common;

use aws_lc_rs::hmac;
use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use frontdesk::{JwksCache, KeySource, RsaKey, VerifyOptions, verify_token};
use serde_json::{Value, json};

const APP: &str = "http://localhost:3000";

fn b64(bytes: impl AsRef<[u8]>) -> String {
    URL_SAFE_NO_PAD.encode(bytes)
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// Builds tokens around the server's real signing key.
struct Forge {
    key: std::sync::Arc<frontdesk_crypto::SigningKey>,
    attacker: frontdesk_crypto::SigningKey,
    kid: String,
    pem: String,
    iss: String,
}

impl Forge {
    fn header(&self) -> Value {
        json!({"alg": "RS256", "kid": self.kid, "typ": "JWT", "cat": "cl_B7d4PD111AAA"})
    }

    fn payload(&self) -> Value {
        let t = now();
        json!({
            "azp": APP, "exp": t + 60, "fva": [0, -1], "iat": t, "iss": self.iss,
            "nbf": t - 10, "sid": "sess_forge", "sts": "active", "sub": "user_forge",
            "v": 2, "jti": "forge"
        })
    }

    /// `header.payload` from raw JSON text, signed by the real key.
    fn raw(&self, header: &str, payload: &str) -> String {
        let input = format!("{}.{}", b64(header), b64(payload));
        let sig = self.key.sign_rs256(input.as_bytes()).unwrap();
        format!("{input}.{}", b64(sig))
    }

    fn signed(&self, header: &Value, payload: &Value) -> String {
        self.raw(&header.to_string(), &payload.to_string())
    }

    fn with_header(&self, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut h = self.header();
        f(h.as_object_mut().unwrap());
        self.signed(&h, &self.payload())
    }

    fn with_payload(&self, f: impl FnOnce(&mut serde_json::Map<String, Value>)) -> String {
        let mut p = self.payload();
        f(p.as_object_mut().unwrap());
        self.signed(&self.header(), &p)
    }

    /// HMAC-signed with `secret` under `alg`.
    fn hmac(&self, alg: &str, algorithm: hmac::Algorithm, secret: &[u8]) -> String {
        let mut h = self.header();
        h["alg"] = json!(alg);
        let input = format!("{}.{}", b64(h.to_string()), b64(self.payload().to_string()));
        let tag = hmac::sign(&hmac::Key::new(algorithm, secret), input.as_bytes());
        format!("{input}.{}", b64(tag.as_ref()))
    }

    fn unsigned(&self, alg: &str, signature: &str) -> String {
        let mut h = self.header();
        h["alg"] = json!(alg);
        format!(
            "{}.{}.{signature}",
            b64(h.to_string()),
            b64(self.payload().to_string())
        )
    }

    fn catalogue(&self) -> Vec<(&'static str, String)> {
        let valid = self.signed(&self.header(), &self.payload());
        let (h, rest) = valid.split_once('.').unwrap();
        let (p, sig) = rest.split_once('.').unwrap();
        let der = STANDARD
            .decode(
                self.pem
                    .lines()
                    .filter(|l| !l.starts_with("-----"))
                    .collect::<String>(),
            )
            .unwrap();
        let n = URL_SAFE_NO_PAD.decode(&self.key.jwk().n).unwrap();
        let mut flipped = URL_SAFE_NO_PAD.decode(sig).unwrap();
        flipped[10] ^= 1;
        let attacker_jwk = serde_json::to_value(self.attacker.jwk()).unwrap();
        let t = now();
        let by_attacker = {
            let input = format!("{h}.{p}");
            format!(
                "{input}.{}",
                b64(self.attacker.sign_rs256(input.as_bytes()).unwrap())
            )
        };
        vec![
            ("alg none, no signature", self.unsigned("none", "")),
            ("alg none, junk signature", self.unsigned("none", "c2ln")),
            ("alg None", self.unsigned("None", "c2ln")),
            ("alg NONE", self.unsigned("NONE", "c2ln")),
            (
                "HS256 keyed with the PEM",
                self.hmac("HS256", hmac::HMAC_SHA256, self.pem.as_bytes()),
            ),
            (
                "HS256 keyed with the PEM, no final newline",
                self.hmac("HS256", hmac::HMAC_SHA256, self.pem.trim_end().as_bytes()),
            ),
            (
                "HS256 keyed with the DER",
                self.hmac("HS256", hmac::HMAC_SHA256, &der),
            ),
            (
                "HS256 keyed with the JWK n",
                self.hmac("HS256", hmac::HMAC_SHA256, &n),
            ),
            (
                "HS384 keyed with the PEM",
                self.hmac("HS384", hmac::HMAC_SHA384, self.pem.as_bytes()),
            ),
            (
                "HS512 keyed with the PEM",
                self.hmac("HS512", hmac::HMAC_SHA512, self.pem.as_bytes()),
            ),
            (
                "RS384 header",
                self.with_header(|h| {
                    h.insert("alg".into(), json!("RS384"));
                }),
            ),
            (
                "RS512 header",
                self.with_header(|h| {
                    h.insert("alg".into(), json!("RS512"));
                }),
            ),
            (
                "PS256 header",
                self.with_header(|h| {
                    h.insert("alg".into(), json!("PS256"));
                }),
            ),
            (
                "ES256 header",
                self.with_header(|h| {
                    h.insert("alg".into(), json!("ES256"));
                }),
            ),
            (
                "alg missing",
                self.with_header(|h| {
                    h.remove("alg");
                }),
            ),
            (
                "alg a number",
                self.with_header(|h| {
                    h.insert("alg".into(), json!(256));
                }),
            ),
            ("embedded jwk of the attacker, signed by the attacker", {
                let mut hd = self.header();
                hd["jwk"] = attacker_jwk.clone();
                let input = format!(
                    "{}.{}",
                    b64(hd.to_string()),
                    b64(self.payload().to_string())
                );
                format!(
                    "{input}.{}",
                    b64(self.attacker.sign_rs256(input.as_bytes()).unwrap())
                )
            }),
            (
                "jku header, real signature",
                self.with_header(|h| {
                    h.insert("jku".into(), json!("http://127.0.0.1:9/jwks"));
                }),
            ),
            (
                "x5u header, real signature",
                self.with_header(|h| {
                    h.insert("x5u".into(), json!("http://127.0.0.1:9/cert"));
                }),
            ),
            (
                "x5c header, real signature",
                self.with_header(|h| {
                    h.insert("x5c".into(), json!(["MIIB"]));
                }),
            ),
            ("kid of no key, attacker signature", {
                let mut hd = self.header();
                hd["kid"] = json!("ins_attacker");
                let input = format!(
                    "{}.{}",
                    b64(hd.to_string()),
                    b64(self.payload().to_string())
                );
                format!(
                    "{input}.{}",
                    b64(self.attacker.sign_rs256(input.as_bytes()).unwrap())
                )
            }),
            (
                "kid path traversal",
                self.with_header(|h| {
                    h.insert("kid".into(), json!("../../../../dev/null"));
                }),
            ),
            (
                "kid SQL injection",
                self.with_header(|h| {
                    h.insert("kid".into(), json!("' OR '1'='1"));
                }),
            ),
            (
                "kid command injection",
                self.with_header(|h| {
                    h.insert("kid".into(), json!("|id"));
                }),
            ),
            (
                "kid of 10 KB",
                self.with_header(|h| {
                    h.insert("kid".into(), json!("k".repeat(10_240)));
                }),
            ),
            (
                "kid empty",
                self.with_header(|h| {
                    h.insert("kid".into(), json!(""));
                }),
            ),
            (
                "kid a number",
                self.with_header(|h| {
                    h.insert("kid".into(), json!(7));
                }),
            ),
            (
                "kid missing",
                self.with_header(|h| {
                    h.remove("kid");
                }),
            ),
            (
                "crit naming exp",
                self.with_header(|h| {
                    h.insert("crit".into(), json!(["exp"]));
                }),
            ),
            (
                "crit b64 with b64 false",
                self.with_header(|h| {
                    h.insert("crit".into(), json!(["b64"]));
                    h.insert("b64".into(), json!(false));
                }),
            ),
            (
                "b64 false",
                self.with_header(|h| {
                    h.insert("b64".into(), json!(false));
                }),
            ),
            (
                "zip",
                self.with_header(|h| {
                    h.insert("zip".into(), json!("DEF"));
                }),
            ),
            (
                "typ at+jwt",
                self.with_header(|h| {
                    h.insert("typ".into(), json!("at+jwt"));
                }),
            ),
            (
                "cat of a machine token",
                self.with_header(|h| {
                    h.insert("cat".into(), json!("cl_B7d4PD333AAA"));
                }),
            ),
            (
                "cat of another kind",
                self.with_header(|h| {
                    h.insert("cat".into(), json!("cl_I7d4PD111III"));
                }),
            ),
            (
                "duplicate alg in the header",
                self.raw(
                    &format!(
                        r#"{{"alg":"RS256","kid":"{}","typ":"JWT","alg":"none"}}"#,
                        self.kid
                    ),
                    &self.payload().to_string(),
                ),
            ),
            (
                "duplicate sub in the payload",
                self.raw(
                    &self.header().to_string(),
                    &format!(
                        r#"{{"sub":"user_forge","exp":{},"sub":"user_admin"}}"#,
                        t + 60
                    ),
                ),
            ),
            (
                "duplicate exp in the payload",
                self.raw(
                    &self.header().to_string(),
                    &format!(
                        r#"{{"sub":"user_forge","exp":{},"exp":{}}}"#,
                        t - 100,
                        t + 6000
                    ),
                ),
            ),
            (
                "duplicate sid in the payload",
                self.raw(
                    &self.header().to_string(),
                    &format!(
                        r#"{{"sub":"u","sid":"sess_a","exp":{},"sid":"sess_b"}}"#,
                        t + 60
                    ),
                ),
            ),
            (
                "duplicate member in a custom claim",
                self.raw(
                    &self.header().to_string(),
                    &format!(
                        r#"{{"sub":"u","exp":{},"metadata":{{"tier":"free","tier":"pro"}}}}"#,
                        t + 60
                    ),
                ),
            ),
            (
                "expired 6 s ago",
                self.with_payload(|p| {
                    p.insert("exp".into(), json!(t - 6));
                }),
            ),
            (
                "expired an hour ago",
                self.with_payload(|p| {
                    p.insert("exp".into(), json!(t - 3600));
                }),
            ),
            (
                "exp missing",
                self.with_payload(|p| {
                    p.remove("exp");
                }),
            ),
            (
                "exp a string",
                self.with_payload(|p| {
                    p.insert("exp".into(), json!((t + 60).to_string()));
                }),
            ),
            (
                "exp a float",
                self.with_payload(|p| {
                    p.insert("exp".into(), json!(t as f64 + 60.5));
                }),
            ),
            (
                "nbf in a minute",
                self.with_payload(|p| {
                    p.insert("nbf".into(), json!(t + 60));
                }),
            ),
            (
                "iat far in the future",
                self.with_payload(|p| {
                    p.insert("iat".into(), json!(t + 86_400));
                }),
            ),
            (
                "iat a string",
                self.with_payload(|p| {
                    p.insert("iat".into(), json!("now"));
                }),
            ),
            (
                "sub missing",
                self.with_payload(|p| {
                    p.remove("sub");
                }),
            ),
            (
                "sub empty",
                self.with_payload(|p| {
                    p.insert("sub".into(), json!(""));
                }),
            ),
            (
                "sub a number",
                self.with_payload(|p| {
                    p.insert("sub".into(), json!(1));
                }),
            ),
            (
                "azp of another site",
                self.with_payload(|p| {
                    p.insert("azp".into(), json!("https://evil.test"));
                }),
            ),
            (
                "azp missing",
                self.with_payload(|p| {
                    p.remove("azp");
                }),
            ),
            (
                "iss of another instance",
                self.with_payload(|p| {
                    p.insert("iss".into(), json!("https://evil.test"));
                }),
            ),
            (
                "handshake token as a session token",
                self.signed(&self.header(), &json!({"handshake": ["__session=x"]})),
            ),
            (
                "payload an array",
                self.raw(&self.header().to_string(), "[1,2]"),
            ),
            (
                "header an array",
                self.raw("[1,2]", &self.payload().to_string()),
            ),
            (
                "header with a UTF-8 BOM",
                self.raw(
                    &format!("\u{feff}{}", self.header()),
                    &self.payload().to_string(),
                ),
            ),
            (
                "one bit of the signature flipped",
                format!("{h}.{p}.{}", b64(&flipped)),
            ),
            (
                "signature truncated",
                format!("{h}.{p}.{}", &sig[..sig.len() / 2]),
            ),
            ("signature empty", format!("{h}.{p}.")),
            ("signature by another key", by_attacker),
            (
                "payload changed after signing",
                format!(
                    "{h}.{}.{sig}",
                    b64(self
                        .payload()
                        .to_string()
                        .replace("user_forge", "user_admin"))
                ),
            ),
            ("two segments", format!("{h}.{p}")),
            ("four segments", format!("{h}.{p}.{sig}.{sig}")),
            ("base64 padding", format!("{h}=.{p}.{sig}")),
            (
                "standard base64 characters",
                format!("{h}.{p}.{}", sig.replace('-', "+").replace('_', "/") + "+/"),
            ),
            ("whitespace", format!("{h}. {p}.{sig}")),
            ("empty token", String::new()),
            (
                "token of 20 KB",
                format!("{h}.{}.{sig}", "A".repeat(20_000)),
            ),
        ]
    }
}

#[tokio::test]
async fn every_forged_token_is_refused_by_both_key_sources() {
    let server = common::Server::start(|_| {}).await;
    let key = server.state.keys.active().clone();
    let (attacker, _) =
        frontdesk_crypto::SigningKey::generate(frontdesk_domain::UnixMillis(0)).unwrap();
    let forge = Forge {
        kid: key.kid().to_string(),
        pem: key.public_pem().unwrap(),
        iss: server.state.instance.public_url.origin(),
        key,
        attacker,
    };
    let sources = [
        ("pem", KeySource::Pem(RsaKey::from_pem(&forge.pem).unwrap())),
        (
            "jwks",
            KeySource::Jwks(JwksCache::new(&server.base, &server.secret_key)),
        ),
    ];
    let options = VerifyOptions {
        authorized_parties: vec![APP.to_owned()],
        issuer: Some(forge.iss.clone()),
        clock_skew: std::time::Duration::from_secs(5),
    };

    // Genuine tokens pass: hand-built, and minted by Frontdesk.
    let genuine = forge.signed(&forge.header(), &forge.payload());
    let minted = server.minted_token().await;
    for (name, source) in &sources {
        let claims = verify_token(&genuine, source, &options).await.unwrap();
        assert_eq!(claims.user_id(), "user_forge", "{name}");
        let plain = VerifyOptions {
            issuer: Some(forge.iss.clone()),
            ..VerifyOptions::default()
        };
        let claims = verify_token(&minted, source, &plain).await.unwrap();
        assert!(claims.user_id().starts_with("user_"), "{name}");
        assert!(claims.session_id().is_some_and(|s| s.starts_with("sess_")));
    }

    let catalogue = forge.catalogue();
    assert!(catalogue.len() >= 50, "{} cases", catalogue.len());
    let mut accepted = Vec::new();
    for (what, token) in &catalogue {
        for (name, source) in &sources {
            if let Ok(claims) = verify_token(token, source, &options).await {
                accepted.push(format!("{what} ({name}): {:?}", claims.as_map()));
            }
        }
    }
    println!(
        "{} forged tokens × {} key sources: {} accepted",
        catalogue.len(),
        sources.len(),
        accepted.len()
    );
    assert!(
        accepted.is_empty(),
        "accepted forgeries:\n{}",
        accepted.join("\n")
    );
    server.stop().await;
}

#[tokio::test]
async fn unknown_key_ids_do_not_become_a_flood_of_jwks_requests() {
    let server = common::Server::start(|_| {}).await;
    let source = KeySource::Jwks(JwksCache::new(&server.base, &server.secret_key));
    let minted = server.minted_token().await;
    verify_token(&minted, &source, &VerifyOptions::default())
        .await
        .unwrap();
    let before = server.requests_to("/v1/jwks").await;
    let (h, rest) = minted.split_once('.').unwrap();
    let mut header: Value = serde_json::from_slice(&URL_SAFE_NO_PAD.decode(h).unwrap()).unwrap();
    for i in 0..200 {
        header["kid"] = json!(format!("ins_unknown{i}"));
        let token = format!("{}.{rest}", b64(header.to_string()));
        assert!(
            verify_token(&token, &source, &VerifyOptions::default())
                .await
                .is_err()
        );
    }
    let fetched = server.requests_to("/v1/jwks").await - before;
    assert!(fetched <= 1, "{fetched} JWKS fetches for 200 unknown kids");
    server.stop().await;
}
