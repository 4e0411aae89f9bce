//! OpenAPI 3.0 Schema Objects → JSON Schema (draft 4).
//!
//! Clerk's specs are OpenAPI 3.0.3, whose Schema Object is a dialect of JSON Schema draft 4/5.
//! We compile with the draft-4 rules, so the things draft 4 already gets right are left alone:
//! boolean `exclusiveMinimum`, `$ref` siblings being ignored, `additionalProperties: false`
//! (kept on purpose: Frontdesk must not emit members Clerk does not document).
//! What is translated:
//!
//! * `nullable: true` — JSON Schema has no such keyword, and ignoring it would reject every
//!   `null` that Clerk sends (`workspace_id`, `first_name`, …). See [`nullable`].
//! * OpenAPI-only keywords (`x-*`, `example`, `discriminator`, …) are dropped so that nothing
//!   in them is ever mistaken for a schema.
//! * `allOf` extending a closed schema (`additionalProperties: false`) — see [`close_all_of`].
//!
//! Only schema positions are rewritten: a member *named* `example` or `deprecated` inside
//! `properties` is a property name, not a keyword, and survives.

use serde_json::{Map, Value, json};

/// Keywords that only mean something to OpenAPI tooling (documentation, SDK generators).
/// Dropping `discriminator` leaves a plain `oneOf`, decided by the alternatives' own `enum`s
/// (`object`, `strategy`, `kty`); should two alternatives ever both fit, the report says
/// "matches more than one oneOf alternative" rather than passing silently.
const OPENAPI_ONLY: &[&str] = &[
    "discriminator",
    "example",
    "examples",
    "externalDocs",
    "xml",
    "deprecated",
    "readOnly",
    "writeOnly",
];

/// Keywords whose value is one subschema.
const ONE_SCHEMA: &[&str] = &["items", "not", "additionalProperties", "additionalItems"];
/// Keywords whose value is a list of subschemas.
const SCHEMA_LIST: &[&str] = &["allOf", "anyOf", "oneOf"];
/// Keywords whose value maps names to subschemas.
const SCHEMA_MAP: &[&str] = &["properties", "patternProperties", "definitions"];
/// Combinators that a `null` cannot satisfy; a nullable schema using them must be wrapped.
const COMBINATORS: &[&str] = &["$ref", "allOf", "anyOf", "oneOf", "not"];

/// Rewrites a whole OpenAPI document in place: every Schema Object it can reach
/// (`components.schemas`, and every `schema` under media types, parameters and headers).
pub(crate) fn document(doc: &mut Value) {
    visit_document(doc, &mut schema);
    // Merging needs the referenced schemas already translated, hence a second pass over a
    // snapshot of them.
    let components = doc
        .pointer("/components/schemas")
        .cloned()
        .unwrap_or(Value::Null);
    visit_document(doc, &mut |node: &mut Value| {
        visit_schema(node, &mut |s| close_all_of(s, &components))
    });
}

/// Calls `f` on each top-level Schema Object of the document (not on its subschemas).
fn visit_document(value: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    match value {
        Value::Object(map) => {
            for (key, child) in map.iter_mut() {
                match key.as_str() {
                    // Sample payloads: arbitrary JSON, never schemas.
                    "example" | "examples" => {}
                    "schema" => f(child),
                    "schemas" => {
                        for schema in child
                            .as_object_mut()
                            .into_iter()
                            .flat_map(|m| m.values_mut())
                        {
                            f(schema);
                        }
                    }
                    _ => visit_document(child, f),
                }
            }
        }
        Value::Array(items) => {
            for item in items {
                visit_document(item, f);
            }
        }
        _ => {}
    }
}

/// Calls `f` on `value` and each of its subschemas, innermost first.
fn visit_schema(value: &mut Value, f: &mut dyn FnMut(&mut Value)) {
    let Value::Object(map) = value else { return };
    for (key, child) in map.iter_mut() {
        let key = key.as_str();
        if ONE_SCHEMA.contains(&key) {
            visit_schema(child, f);
        } else if SCHEMA_LIST.contains(&key) {
            for item in child.as_array_mut().into_iter().flatten() {
                visit_schema(item, f);
            }
        } else if SCHEMA_MAP.contains(&key) {
            for item in child
                .as_object_mut()
                .into_iter()
                .flat_map(|m| m.values_mut())
            {
                visit_schema(item, f);
            }
        }
    }
    f(value);
}

/// Translates one Schema Object (and, recursively, its subschemas) in place.
pub(crate) fn schema(value: &mut Value) {
    visit_schema(value, &mut node);
}

/// Translates a single schema node whose subschemas are already translated.
fn node(value: &mut Value) {
    let Value::Object(map) = value else { return };
    map.retain(|key, _| !key.starts_with("x-") && !OPENAPI_ONLY.contains(&key.as_str()));
    let nullable = map.remove("nullable").and_then(|n| n.as_bool()) == Some(true);
    if nullable {
        *value = self::nullable(std::mem::take(map));
    }
}

/// Makes `allOf: [<closed schema>, {properties: {extra}}]` mean what its authors meant.
///
/// Clerk extends closed schemas this way (webhook `SessionEventPayload` = `Session` + `user`,
/// `Invitation.Revoked`, organization invitation events). In JSON Schema every `allOf` member
/// is checked alone, so `Session`'s `additionalProperties: false` rejects `user` and *no*
/// value can ever pass. SDK generators instead merge the members into one object; we do the
/// same: closed members are inlined without `additionalProperties`, and the `allOf` node
/// itself becomes closed over the union of all members' `properties`.
fn close_all_of(value: &mut Value, components: &Value) {
    let Some(Value::Array(parts)) = value.get_mut("allOf") else {
        return;
    };
    let resolve = |part: &Value| -> Option<Value> {
        match part.get("$ref").and_then(Value::as_str) {
            Some(target) => components
                .get(target.strip_prefix("#/components/schemas/")?)
                .cloned(),
            None => Some(part.clone()),
        }
    };
    let resolved: Vec<Value> = parts.iter().filter_map(resolve).collect();
    let is_closed = |s: &Value| s.get("additionalProperties") == Some(&Value::Bool(false));
    if resolved.len() != parts.len() || !resolved.iter().any(is_closed) {
        return;
    }
    let mut names = Map::new();
    for (part, mut full) in parts.iter_mut().zip(resolved) {
        if let Some(Value::Object(props)) = full.get("properties") {
            names.extend(props.keys().map(|name| (name.clone(), json!({}))));
        }
        if is_closed(&full) {
            if let Value::Object(map) = &mut full {
                map.remove("additionalProperties");
            }
            *part = full;
        }
    }
    let Value::Object(map) = value else { return };
    if let Some(Value::Object(own)) = map.get("properties") {
        names.extend(own.iter().map(|(k, v)| (k.clone(), v.clone())));
    }
    map.insert("properties".into(), Value::Object(names));
    map.insert("additionalProperties".into(), Value::Bool(false));
}

/// Makes an (already translated) schema also accept `null`.
///
/// * Plain typed schemas get `"type": [T, "null"]`; type-specific keywords (`minimum`,
///   `properties`, …) do not apply to `null`, so nothing else has to change — except `enum`,
///   which must list `null` explicitly (Clerk's nullable enums never do).
/// * Schemas with `$ref` / `allOf` / `oneOf` / … cannot be widened that way (`null` would still
///   have to match the alternatives), so they become `anyOf: [{type: null}, schema]`. For a
///   `$ref` this is the only option: draft 4 ignores every sibling of `$ref`.
/// * A schema with neither (`{nullable: true}` alone) already accepts anything.
fn nullable(mut map: Map<String, Value>) -> Value {
    if COMBINATORS.iter().any(|k| map.contains_key(*k)) {
        return json!({ "anyOf": [{ "type": "null" }, Value::Object(map)] });
    }
    if let Some(ty) = map.get_mut("type") {
        match ty {
            Value::String(name) if name != "null" => {
                *ty = json!([name.clone(), "null"]);
            }
            Value::Array(names) if !names.iter().any(|n| n == "null") => {
                names.push(json!("null"));
            }
            _ => {}
        }
    }
    if let Some(Value::Array(values)) = map.get_mut("enum")
        && !values.contains(&Value::Null)
    {
        values.push(Value::Null);
    }
    Value::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn translated(mut v: Value) -> Value {
        schema(&mut v);
        v
    }

    #[test]
    fn nullable_type_becomes_type_list() {
        let v = translated(json!({"type": "string", "nullable": true, "x-foo": 1, "example": "a"}));
        assert_eq!(v, json!({"type": ["string", "null"]}));
    }

    #[test]
    fn nullable_enum_gains_null() {
        let v = translated(json!({"type": "string", "enum": ["a"], "nullable": true}));
        assert_eq!(v, json!({"type": ["string", "null"], "enum": ["a", null]}));
    }

    #[test]
    fn nullable_ref_and_combinators_are_wrapped() {
        let v = translated(json!({"$ref": "#/x", "nullable": true}));
        assert_eq!(v, json!({"anyOf": [{"type": "null"}, {"$ref": "#/x"}]}));
        let v = translated(json!({"type": "object", "nullable": true, "oneOf": [{"$ref": "#/x"}]}));
        assert_eq!(
            v,
            json!({"anyOf": [{"type": "null"}, {"type": "object", "oneOf": [{"$ref": "#/x"}]}]})
        );
    }

    #[test]
    fn property_names_that_look_like_keywords_survive() {
        let v = translated(json!({
            "properties": {"example": {"type": "string", "nullable": true}, "deprecated": {}}
        }));
        assert_eq!(
            v,
            json!({"properties": {"example": {"type": ["string", "null"]}, "deprecated": {}}})
        );
    }

    #[test]
    fn all_of_extending_a_closed_schema_is_merged() {
        let mut doc = json!({"components": {"schemas": {
            "Session": {"type": "object", "additionalProperties": false,
                        "properties": {"id": {"type": "string"}}},
            "Payload": {"allOf": [{"$ref": "#/components/schemas/Session"},
                                  {"properties": {"user": {"type": "object"}}}]}
        }}});
        document(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["Payload"],
            json!({
                "allOf": [{"type": "object", "properties": {"id": {"type": "string"}}},
                          {"properties": {"user": {"type": "object"}}}],
                "properties": {"id": {}, "user": {}},
                "additionalProperties": false
            })
        );
    }

    #[test]
    fn document_skips_examples_and_translates_schemas() {
        let mut doc = json!({
            "components": {"schemas": {"A": {"type": "string", "nullable": true}}},
            "paths": {"/a": {"get": {"responses": {"200": {"content": {"application/json": {
                "schema": {"type": "integer", "nullable": true},
                "example": {"nullable": true, "schema": {"nullable": true}}
            }}}}}}}
        });
        document(&mut doc);
        assert_eq!(
            doc["components"]["schemas"]["A"],
            json!({"type": ["string", "null"]})
        );
        let media = &doc["paths"]["/a"]["get"]["responses"]["200"]["content"]["application/json"];
        assert_eq!(media["schema"], json!({"type": ["integer", "null"]}));
        assert_eq!(media["example"]["schema"], json!({"nullable": true}));
    }
}
