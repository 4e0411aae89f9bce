//! The validator against real entries of Clerk's specs: known-good payloads pass and
//! known-bad ones fail with the violation named.

use frontdesk_openapi_check::{Spec, SpecFile, assert_valid, assert_valid_response};
use serde_json::json;

fn backend() -> Option<Spec> {
    Spec::load(SpecFile::Backend)
}

#[test]
fn jwks_response_accepts_an_rsa_key() {
    let Some(spec) = backend() else { return };
    let body =
        json!({"keys":[{"kid":"k","kty":"RSA","alg":"RS256","use":"sig","n":"abc","e":"AQAB"}]});
    assert_valid_response(&spec, "get", "/jwks", 200, &body);
    assert_valid_response(&spec, "GET", "/jwks", 200, &body);
}

#[test]
fn jwks_response_rejects_a_key_missing_members() {
    let Some(spec) = backend() else { return };
    let errors = spec
        .validate_response("get", "/jwks", 200, &json!({"keys":[{"kty":"RSA"}]}))
        .expect_err("a bare {kty} is not a JWK");
    println!("{errors:#?}");
    let text = errors.join("\n");
    for member in ["kid", "alg", "use", "n", "e"] {
        assert!(
            text.contains(&format!("\"{member}\" is a required property")),
            "{text}"
        );
    }
    assert!(errors.iter().all(|l| l.starts_with("/keys/0")), "{text}");
}

#[test]
fn clerk_errors_envelope() {
    let Some(spec) = backend() else { return };
    let ok = json!({"errors":[{"code":"c","message":"m","long_message":"l","meta":{}}],"clerk_trace_id":"t"});
    assert_valid(&spec, "ClerkErrors", &ok);
    let errors = spec
        .validate("ClerkErrors", &json!({"errors":[{"code":"c"}]}))
        .expect_err("message and long_message are required");
    println!("{errors:#?}");
    assert_eq!(errors.len(), 2, "{errors:?}");
    assert!(
        errors.iter().all(|l| l.starts_with("/errors/0: ")),
        "{errors:?}"
    );
}

#[test]
fn instance_needs_nullable_handling() {
    let Some(spec) = backend() else { return };
    let mut instance = json!({"object":"instance","id":"ins_1","environment_type":"development",
        "allowed_origins":["http://a.b"],"workspace_id":null});
    assert_valid(&spec, "Instance", &instance);
    instance["object"] = json!("user");
    let errors = spec
        .validate("Instance", &instance)
        .expect_err("object must be \"instance\"");
    println!("{errors:#?}");
    assert_eq!(errors.len(), 1);
    assert!(errors[0].starts_with("/object: "), "{errors:?}");
}

#[test]
fn unknown_names_are_errors_not_panics() {
    let Some(spec) = backend() else { return };
    assert!(spec.validate("NoSuchSchema", &json!({})).is_err());
    assert!(
        spec.validate_response("get", "/nope", 200, &json!({}))
            .is_err()
    );
    assert!(
        spec.validate_response("get", "/jwks", 404, &json!({}))
            .is_err()
    );
}

#[test]
fn assert_valid_panics_with_every_violation_and_the_value() {
    let Some(spec) = backend() else { return };
    let value = json!({"object": "instance", "id": 7});
    let call = std::panic::AssertUnwindSafe(|| assert_valid(&spec, "Instance", &value));
    let panic = std::panic::catch_unwind(call).expect_err("an incomplete Instance must panic");
    let message = panic
        .downcast_ref::<String>()
        .expect("a formatted panic message");
    println!("{message}");
    assert!(
        message.starts_with("value does not match Clerk's schema `Instance`"),
        "{message}"
    );
    assert!(message.contains("(4 violation(s))"), "{message}");
    assert!(
        message.contains("  - /id: 7 is not of type \"string\""),
        "{message}"
    );
    assert!(
        message.contains("\"environment_type\" is a required property"),
        "{message}"
    );
    assert!(
        message.contains("\nvalue:\n{\n") && message.contains("\"id\": 7"),
        "{message}"
    );
}
