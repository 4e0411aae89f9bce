//! Webhook verification (clerk-protocol.md §6.2): the Svix test vector, and
//! messages signed by the real `svix` crate, accepted; tampering, stale or
//! future timestamps, other secrets and malformed headers refused.
#![allow(clippy::unwrap_used)]

use frontdesk::webhook::{Headers, TOLERANCE_SECS, Webhook, WebhookError};

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";
const ID: &str = "msg_27UH4WbU6Z5A5EzD8u03UvzRbpk";
const TS: i64 = 1_649_367_553;
const BODY: &str = r#"{"email":"test@example.com","username":"test_user"}"#;
const SIGNATURE: &str = "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw=";

fn headers<'a>(id: &'a str, ts: &'a str, sig: &'a str) -> Headers<'a> {
    Headers {
        id,
        timestamp: ts,
        signature: sig,
    }
}

#[test]
fn the_svix_test_vector() {
    let wh = Webhook::new(SECRET).unwrap();
    assert_eq!(wh.sign(ID, TS, BODY.as_bytes()), SIGNATURE);
    let ts = TS.to_string();
    let ok = wh.verify_at(&headers(ID, &ts, SIGNATURE), BODY.as_bytes(), TS);
    assert_eq!(ok, Ok(BODY));
    // Several signatures (a rotation): one good one is enough, other
    // versions are skipped.
    let several = format!("v1,AAAA v2,xyz {SIGNATURE}");
    assert!(
        wh.verify_at(&headers(ID, &ts, &several), BODY.as_bytes(), TS)
            .is_ok()
    );
    // Five minutes either way, and not a second more.
    for (now, ok) in [
        (TS + TOLERANCE_SECS - 1, true),
        (TS + TOLERANCE_SECS + 1, false),
        (TS - TOLERANCE_SECS + 1, true),
        (TS - TOLERANCE_SECS - 1, false),
    ] {
        assert_eq!(
            wh.verify_at(&headers(ID, &ts, SIGNATURE), BODY.as_bytes(), now)
                .is_ok(),
            ok,
            "now = ts {:+}",
            now - TS
        );
    }
}

#[test]
fn tampering_and_bad_headers_are_refused() {
    let wh = Webhook::new(SECRET).unwrap();
    let ts = TS.to_string();
    let other = Webhook::new("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw").unwrap();
    let cases: Vec<(&str, Headers<'_>, &[u8], WebhookError)> = vec![
        (
            "body changed",
            headers(ID, &ts, SIGNATURE),
            b"{\"email\":\"evil@example.com\"}",
            WebhookError::Signature,
        ),
        (
            "id changed",
            headers("msg_other", &ts, SIGNATURE),
            BODY.as_bytes(),
            WebhookError::Signature,
        ),
        (
            "no v1 entry",
            headers(ID, &ts, "v2,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPenDe+bTa3Kkw="),
            BODY.as_bytes(),
            WebhookError::Signature,
        ),
        (
            "signature truncated",
            headers(ID, &ts, "v1,tZ1I4/hDygAJgO5TYxiSd6Sd0kDW6hPe"),
            BODY.as_bytes(),
            WebhookError::Signature,
        ),
        (
            "timestamp not a number",
            headers(ID, "yesterday", SIGNATURE),
            BODY.as_bytes(),
            WebhookError::Header("svix-timestamp"),
        ),
        (
            "body not UTF-8",
            headers(ID, &ts, SIGNATURE),
            &[0xff, 0xfe],
            WebhookError::Body,
        ),
    ];
    for (what, h, body, want) in cases {
        assert_eq!(wh.verify_at(&h, body, TS), Err(want), "{what}");
    }
    let good = wh.sign(ID, TS, BODY.as_bytes());
    assert!(
        other
            .verify_at(&headers(ID, &ts, &good), BODY.as_bytes(), TS)
            .is_err(),
        "another endpoint's secret"
    );
    assert_eq!(
        Webhook::new("whsec_not base64!").err(),
        Some(WebhookError::Secret)
    );
    let missing = Headers::from_fn(|name| (name == "svix-id").then_some(ID));
    assert_eq!(missing.err(), Some(WebhookError::Header("svix-timestamp")));
    let standard = Headers::from_fn(|name| match name {
        "webhook-id" => Some(ID),
        "webhook-timestamp" => Some("1649367553"),
        "webhook-signature" => Some(SIGNATURE),
        _ => None,
    })
    .unwrap();
    assert!(
        wh.verify_at(&standard, BODY.as_bytes(), TS).is_ok(),
        "webhook-* names"
    );
}

#[test]
fn messages_signed_by_the_svix_crate_verify() {
    let theirs = svix::webhooks::Webhook::new(SECRET).unwrap();
    let ours = Webhook::new(SECRET).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64;
    for (i, body) in [
        r#"{"type":"user.created","object":"event","data":{"id":"user_1"}}"#,
        "",
        "ünïcödé ✓",
        &"x".repeat(100_000),
    ]
    .iter()
    .enumerate()
    {
        let id = format!("msg_{i}");
        let sig = theirs.sign(&id, now, body.as_bytes()).unwrap();
        let ts = now.to_string();
        assert_eq!(
            ours.verify(&headers(&id, &ts, &sig), body.as_bytes()),
            Ok(*body)
        );
        // And the other way round: svix accepts what we sign.
        let mut h = http::HeaderMap::new();
        h.insert("svix-id", id.parse().unwrap());
        h.insert("svix-timestamp", ts.parse().unwrap());
        h.insert(
            "svix-signature",
            ours.sign(&id, now, body.as_bytes()).parse().unwrap(),
        );
        theirs.verify(body.as_bytes(), &h).unwrap();
    }
}
