//! The device behind every session: the address the request came from
//! (through `trusted_proxies`), the browser, the device and its form factor
//! from the user agent, and, with the operator's GeoIP database, the city
//! and country. Shown where users and operators look: `<UserProfile/>`'s
//! active devices (`/v1/me/sessions/active`), the hosted `/user` page, and
//! the Backend API's session.

use serde_json::Value;

use crate::both_backends;
use crate::fapi::{assert_frontend_schema, fast};
use crate::helpers::{TestApp, assert_response, json, user_with_password};
use crate::pages_security::{page, post_form};
use frontdesk_testkit::mmdb::{Place, city_database};

const PASSWORD: &str = "correct horse battery staple";
const IPHONE: &str = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1";
const WINDOWS_EDGE: &str = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.2903.86";

/// Loopback is the proxy; two places the proxy forwards from, in a GeoIP
/// database written for the test.
fn behind_a_proxy_with_geoip(c: &mut frontdesk_server::Config) {
    fast(c);
    c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    let places = [
        Place {
            network: [203, 0, 113, 0].into(),
            prefix_len: 24,
            city: "Athens".into(),
            country: "GR".into(),
        },
        Place {
            network: [81, 2, 69, 0].into(),
            prefix_len: 24,
            city: "Berlin".into(),
            country: "DE".into(),
        },
    ];
    let path = c.data_dir.with_file_name("places.mmdb");
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, city_database(&places)).unwrap();
    c.geoip_database = Some(path);
}

/// A cookie browser with its own user agent, behind the proxy at `from`.
fn device(ua: &str, from: &str) -> reqwest::Client {
    let mut headers = reqwest::header::HeaderMap::new();
    headers.insert("x-forwarded-for", from.parse().unwrap());
    reqwest::Client::builder()
        .cookie_store(true)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(ua)
        .default_headers(headers)
        .build()
        .unwrap()
}

/// Sign in with clerk-js's calls from `browser`: its dev browser and the
/// new session's id.
async fn clerk_js_sign_in(
    app: &TestApp,
    browser: &reqwest::Client,
    email: &str,
) -> (String, String) {
    let res = browser
        .post(app.url("/v1/dev_browser"))
        .send()
        .await
        .unwrap();
    let db = json(res).await["id"].as_str().unwrap().to_owned();
    let res = browser
        .post(app.url(&format!("/v1/client/sign_ins?__clerk_db_jwt={db}")))
        .form(&[("identifier", email), ("password", PASSWORD)])
        .send()
        .await
        .unwrap();
    let sid = json(res).await["response"]["created_session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    (db, sid)
}

both_backends!(
    sessions_record_the_device_address_and_place,
    behind_a_proxy_with_geoip,
    |app: TestApp| async move {
        let email = format!("devices{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;

        // The phone signs in on the hosted pages, through the proxy, from Athens.
        let phone = device(IPHONE, "198.18.0.9, 203.0.113.7");
        let (_, csrf) = page(&phone, &app, "/sign-in").await;
        let res = post_form(
            &phone,
            &app,
            "/sign-in",
            &[
                ("identifier", &email),
                ("password", PASSWORD),
                ("action", "password"),
                ("csrf_token", &csrf),
            ],
            &[],
        )
        .await;
        assert_eq!(res.status(), 303);

        // The laptop signs in with clerk-js's calls, from Berlin.
        let laptop = device(WINDOWS_EDGE, "81.2.69.160");
        let (db, sid) = clerk_js_sign_in(&app, &laptop, &email).await;

        // <UserProfile/>'s active devices, from the laptop.
        let res = laptop
            .get(app.url(&format!(
                "/v1/me/sessions/active?_clerk_session_id={sid}&__clerk_db_jwt={db}"
            )))
            .send()
            .await
            .unwrap();
        let sessions = json(res).await;
        let list = sessions["response"].as_array().expect("a list of sessions");
        assert_eq!(list.len(), 2, "{sessions}");
        for s in list {
            assert_frontend_schema("Client.ActiveSession", s);
        }
        let by_city = |city: &str| -> Value {
            list.iter()
                .find(|s| s["latest_activity"]["city"] == city)
                .unwrap_or_else(|| panic!("no session from {city}: {sessions}"))["latest_activity"]
                .clone()
        };
        let athens = by_city("Athens");
        assert_eq!(athens["country"], "GR");
        assert_eq!(athens["ip_address"], "203.0.113.7", "the proxy's last hop");
        assert_eq!(athens["device_type"], "iPhone");
        assert_eq!(athens["is_mobile"], true);
        assert_eq!(athens["browser_name"], "Safari");
        assert_eq!(athens["browser_version"], "18.1");
        let berlin = by_city("Berlin");
        assert_eq!(berlin["country"], "DE");
        assert_eq!(berlin["ip_address"], "81.2.69.160");
        assert_eq!(berlin["device_type"], "Windows");
        assert_eq!(berlin["is_mobile"], false);
        assert_eq!(berlin["browser_name"], "Edge");

        // The Backend API's session shows the same device.
        let res = app.bapi_get(&format!("/v1/sessions/{sid}")).await;
        let session = json(res).await;
        assert_response("get", "/sessions/{session_id}", 200, &session);
        assert_eq!(session["latest_activity"], berlin);

        // The hosted profile lists both devices with where they are.
        let html = phone
            .get(app.url("/user"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(html.contains("Safari 18 on iPhone"), "{html}");
        assert!(html.contains("203.0.113.7 · Athens, GR"), "{html}");
        assert!(html.contains("Edge 131 on Windows"), "{html}");
        assert!(html.contains("81.2.69.160 · Berlin, DE"), "{html}");
    }
);

both_backends!(
    without_geoip_or_a_trusted_proxy_the_peer_address_is_shown_and_no_place,
    fast,
    |app: TestApp| async move {
        let email = format!("noplace{}@example.com", app.port);
        user_with_password(&app, &email, PASSWORD).await;
        // An untrusted peer's X-Forwarded-For is not believed.
        let laptop = device(WINDOWS_EDGE, "81.2.69.160");
        let (_, sid) = clerk_js_sign_in(&app, &laptop, &email).await;
        let session = json(app.bapi_get(&format!("/v1/sessions/{sid}")).await).await;
        let activity = &session["latest_activity"];
        assert_eq!(activity["ip_address"], "127.0.0.1");
        assert!(activity.get("city").is_none(), "{activity}");
        assert!(activity.get("country").is_none(), "{activity}");
        assert_eq!(activity["device_type"], "Windows");
    }
);

#[tokio::test]
async fn a_geoip_file_that_cannot_be_read_stops_start_up_naming_the_setting() {
    let dir = tempfile::tempdir().unwrap();
    let Some((mut config, _)) =
        crate::helpers::fresh_config(crate::helpers::Backend::Sqlite, &dir).await
    else {
        return;
    };
    config.geoip_database = Some(dir.path().join("missing.mmdb"));
    let err = frontdesk_server::startup::Application::build(config)
        .await
        .err()
        .expect("start-up refused")
        .to_string();
    assert!(err.contains("geoip_database"), "{err}");
    assert!(err.contains("missing.mmdb"), "{err}");
}
