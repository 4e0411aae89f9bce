//! The documented fixtures in `src/fixtures.rs` match Clerk's Backend API schemas, and the
//! validator catches the mistakes a serializer is likely to make with them.

use frontdesk_openapi_check::{Spec, SpecFile, assert_valid, assert_valid_response, fixtures};
use serde_json::{Value, json};

fn backend() -> Option<Spec> {
    Spec::load(SpecFile::Backend)
}

#[test]
fn user_fixture_is_a_valid_user() {
    let Some(spec) = backend() else { return };
    assert_valid(&spec, "User", &fixtures::user());
    assert_valid_response(&spec, "get", "/users/{user_id}", 200, &fixtures::user());
}

#[test]
fn user_fixture_sends_every_required_member() {
    let Some(spec) = backend() else { return };
    let schema = spec.schema("User").expect("User schema");
    let user = fixtures::user();
    let required = schema["required"].as_array().expect("User.required");
    for name in required.iter().filter_map(Value::as_str) {
        assert!(user.get(name).is_some(), "fixture lacks required `{name}`");
    }
}

#[test]
fn user_violations_are_pinpointed() {
    let Some(spec) = backend() else { return };
    let mut user = fixtures::user();
    let map = user.as_object_mut().expect("object");
    map.remove("last_sign_in_at"); // required even though nullable
    map.insert("password".into(), json!("hunter2")); // additionalProperties: false
    user["email_addresses"][0]["verification"]["strategy"] = json!("carrier_pigeon");
    let errors = spec.validate("User", &user).expect_err("three mistakes");
    println!("{errors:#?}");
    let text = errors.join("\n");
    assert!(
        text.contains("(root): \"last_sign_in_at\" is a required property"),
        "{text}"
    );
    assert!(
        text.contains("(root): unexpected member(s) password"),
        "{text}"
    );
    assert!(
        text.contains("/email_addresses/0/verification/strategy: "),
        "{text}"
    );
    assert_eq!(errors.len(), 3, "{text}");
}

#[test]
fn null_where_not_nullable_is_rejected() {
    let Some(spec) = backend() else { return };
    let mut user = fixtures::user();
    user["has_image"] = Value::Null;
    let errors = spec
        .validate("User", &user)
        .expect_err("has_image is not nullable");
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("/has_image: null is not of type \"boolean\""),
        "{errors:?}"
    );
}

#[test]
fn session_fixture_is_a_valid_session() {
    let Some(spec) = backend() else { return };
    assert_valid(&spec, "Session", &fixtures::session());
    assert_valid_response(
        &spec,
        "get",
        "/sessions/{session_id}",
        200,
        &fixtures::session(),
    );
}

#[test]
fn client_fixture_is_a_valid_client() {
    let Some(spec) = backend() else { return };
    assert_valid(&spec, "Client", &fixtures::client());
    assert_valid_response(
        &spec,
        "get",
        "/clients/{client_id}",
        200,
        &fixtures::client(),
    );
}

#[test]
fn email_address_fixture_is_valid() {
    let Some(spec) = backend() else { return };
    assert_valid(&spec, "EmailAddress", &fixtures::email_address());
    let mut unverified = fixtures::email_address();
    unverified["verification"] = Value::Null; // nullable oneOf
    assert_valid(&spec, "EmailAddress", &unverified);
}
