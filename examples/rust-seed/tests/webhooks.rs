//! `POST /api/webhooks/clerk`: Svix-signed `user.created`, `user.updated`
//! and `user.deleted` events keep the app's `users` table in sync, on SQLite
//! and (with `FRONTDESK_TEST_DATABASE_URL`) PostgreSQL; a bad signature
//! changes nothing.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use axum::body::Body;
use frontdesk::Builder;
use frontdesk::webhook::Webhook;
use frontdesk_example_seed::db::{Db, UserRow};
use frontdesk_example_seed::{App, app};
use serde_json::json;
use tower::ServiceExt;

const SECRET: &str = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD";

async fn exercise(db: Db) {
    let wh = Webhook::new(SECRET).unwrap();
    let settings = Builder::default()
        .publishable_key("pk_test_ZnJvbnRkZXNrLWJlbmNoLmV4YW1wbGUuY29tJA")
        .secret_key("sk_test_unused")
        .build()
        .unwrap();
    let router = app(
        settings,
        App {
            db: db.clone(),
            webhook: Some(Arc::new(Webhook::new(SECRET).unwrap())),
        },
    );
    let id = format!("user_{}", std::process::id());
    let send = |event: serde_json::Value, sign: bool| {
        let body = event.to_string();
        let ts = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .unwrap()
            .as_secs() as i64;
        let sig = if sign {
            wh.sign("msg_1", ts, body.as_bytes())
        } else {
            "v1,AAAA".to_owned()
        };
        let req = http::Request::post("/api/webhooks/clerk")
            .header("svix-id", "msg_1")
            .header("svix-timestamp", ts.to_string())
            .header("svix-signature", sig)
            .body(Body::from(body))
            .unwrap();
        router.clone().oneshot(req)
    };
    let user = |first: &str| {
        json!({"type": "user.created", "object": "event", "data": {
            "id": id, "object": "user", "first_name": first,
            "primary_email_address_id": "idn_1",
            "email_addresses": [{"id": "idn_1", "email_address": "ada@example.com"}]
        }})
    };
    let res = send(user("Ada"), true).await.unwrap();
    assert_eq!(res.status(), 200);
    let row = |first: &str| UserRow {
        id: id.clone(),
        email: Some("ada@example.com".into()),
        first_name: Some(first.into()),
    };
    assert_eq!(db.user(&id).await.unwrap(), Some(row("Ada")));
    let mut updated = user("Augusta");
    updated["type"] = json!("user.updated");
    assert_eq!(send(updated.clone(), true).await.unwrap().status(), 200);
    assert_eq!(db.user(&id).await.unwrap(), Some(row("Augusta")));
    // A forged event: refused, nothing changes.
    updated["data"]["first_name"] = json!("Mallory");
    assert_eq!(send(updated, false).await.unwrap().status(), 400);
    assert_eq!(db.user(&id).await.unwrap(), Some(row("Augusta")));
    let deleted = json!({"type": "user.deleted", "object": "event",
        "data": {"id": id, "object": "user", "deleted": true}});
    assert_eq!(send(deleted, true).await.unwrap().status(), 200);
    assert_eq!(db.user(&id).await.unwrap(), None);
}

#[tokio::test]
async fn webhooks_keep_the_users_table_in_sync_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let db = Db::open(&format!("sqlite://{}", dir.path().join("app.db").display()))
        .await
        .unwrap();
    exercise(db).await;
}

#[tokio::test]
async fn webhooks_keep_the_users_table_in_sync_on_postgres() {
    let Some(url) = frontdesk_testkit::postgres_url_or_skip("the seed's PostgreSQL webhook sync")
    else {
        return;
    };
    // A schema of its own, dropped afterwards.
    let schema = format!("fdt_seed_{}", std::process::id());
    let admin = sqlx::PgPool::connect(&url).await.unwrap();
    sqlx::query(&format!("CREATE SCHEMA {schema}"))
        .execute(&admin)
        .await
        .unwrap();
    let sep = if url.contains('?') { '&' } else { '?' };
    let db = Db::open(&format!("{url}{sep}options=-c%20search_path%3D{schema}"))
        .await
        .unwrap();
    exercise(db).await;
    sqlx::query(&format!("DROP SCHEMA {schema} CASCADE"))
        .execute(&admin)
        .await
        .unwrap();
}
