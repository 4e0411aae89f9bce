//! Regression tests for the account findings of 2026-11-30
//! (`findings-2026-11-30.md`): each test is the finding's attack, named after
//! it, run on SQLite and PostgreSQL. Each fails on 0bf68f7.

use futures_util::future::join_all;
use serde_json::{Value, json};

use crate::both_backends;
use crate::helpers::{
    TestApp, code_of, dev_browser, fapi_post as post, json, mailed_code, user_with_password,
};

pub(crate) const PW: &str = "the right password";

/// Cheap hashing and no per-IP limits (the attacks here use many addresses).
pub(crate) fn fast(c: &mut frontdesk_server::Config) {
    c.argon2_memory_kib = 1024;
    c.argon2_iterations = 1;
    c.frontend_create_rate_limit = 0;
    c.frontend_attempt_rate_limit = 0;
    // Room in the hashing queue for every parallel guess, on any machine.
    c.password_hash_threads = 2;
}

async fn sign_in(app: &TestApp, db: &str, email: &str, password: &str) -> (u16, Value) {
    post(
        app,
        db,
        "/v1/client/sign_ins",
        &[("identifier", email), ("password", password)],
    )
    .await
}

fn count(answers: &[(u16, Value)], code: &str) -> usize {
    answers.iter().filter(|(_, b)| code_of(b) == code).count()
}

async fn bapi_user(app: &TestApp, id: &str) -> Value {
    json(app.bapi_get(&format!("/v1/users/{id}")).await).await
}

/// Live sessions of a user, through the Backend API.
async fn active_sessions(app: &TestApp, user_id: &str) -> usize {
    let res = app
        .bapi_get(&format!("/v1/sessions?user_id={user_id}&status=active"))
        .await;
    json(res).await.as_array().unwrap().len()
}

both_backends!(f01_lockout_parallel, fast, |app: TestApp| async move {
    let email = "f01@example.com";
    let uid = user_with_password(&app, email, PW).await;
    let dbs = join_all((0..40).map(|_| dev_browser(&app))).await;
    let guesses: Vec<String> = (0..40).map(|i| format!("wrong-{i}-guess")).collect();
    let answers = join_all(
        dbs.iter()
            .zip(&guesses)
            .map(|(db, guess)| sign_in(&app, db, email, guess)),
    )
    .await;
    // Each guess was counted by one atomic statement and answered on the
    // count it made: 9 wrong, then locked from the 10th on.
    assert_eq!(count(&answers, "form_password_incorrect"), 9, "{answers:?}");
    assert_eq!(count(&answers, "user_locked"), 31);
    let stored = app
        .state
        .store
        .get_user(&uid.parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.failed_attempts, 40, "no failure lost");
    assert_eq!(bapi_user(&app, &uid).await["locked"], true);
    let db = dev_browser(&app).await;
    let (status, body) = sign_in(&app, &db, email, PW).await;
    assert_eq!((status, code_of(&body).as_str()), (403, "user_locked"));
    assert_eq!(active_sessions(&app, &uid).await, 0);
    app.stop().await;
});

both_backends!(
    f02_admin_changes_survive_concurrent_sign_ins,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        // Slow enough hashing, on one thread, that the victim's sign-ins
        // queue behind the filler's while the changes are made.
        c.argon2_memory_kib = 8192;
        c.argon2_iterations = 2;
        c.password_hash_threads = 1;
    },
    |app: TestApp| async move {
        let filler = "f02-filler@example.com";
        let victim = "f02-victim@example.com";
        user_with_password(&app, filler, PW).await;
        let vid = user_with_password(&app, victim, PW).await;
        let res = app
            .bapi(
                reqwest::Method::PATCH,
                &format!("/v1/users/{vid}/metadata"),
                Some(json!({"public_metadata": {"role": "admin"}})),
            )
            .await;
        assert_eq!(res.status(), 200);
        let dbs = join_all((0..26).map(|_| dev_browser(&app))).await;
        let fillers = dbs[..20].iter().map(|db| sign_in(&app, db, filler, PW));
        let victims = dbs[20..].iter().map(|db| sign_in(&app, db, victim, PW));
        let admin = async {
            // Once the victim's sign-ins wait for a hashing thread: ban,
            // lock and demote, each committed while they wait.
            let started = std::time::Instant::now();
            while app.state.hashes.pending() < 20
                && started.elapsed() < std::time::Duration::from_secs(5)
            {
                tokio::task::yield_now().await;
            }
            for (path, body) in [
                (format!("/v1/users/{vid}/ban"), json!({})),
                (format!("/v1/users/{vid}/lock"), json!({})),
            ] {
                assert_eq!(app.post_json(&path, body).await.0, 200);
            }
            let res = app
                .bapi(
                    reqwest::Method::PATCH,
                    &format!("/v1/users/{vid}/metadata"),
                    Some(json!({"public_metadata": {"role": "user"}})),
                )
                .await;
            assert_eq!(res.status(), 200);
        };
        let (_, victim_answers, ()) =
            futures_util::future::join3(join_all(fillers), join_all(victims), admin).await;
        let user = bapi_user(&app, &vid).await;
        assert_eq!(user["banned"], true, "the ban held");
        assert_eq!(user["locked"], true, "the lock held");
        assert_eq!(
            user["public_metadata"],
            json!({"role": "user"}),
            "the demotion held"
        );
        assert_eq!(
            active_sessions(&app, &vid).await,
            0,
            "no session outlived the ban: {victim_answers:?}"
        );
        app.stop().await;
    }
);

/// The `name=value` of a `Set-Cookie` for `name`, if the response sets it.
fn set_cookie(res: &reqwest::Response, name: &str) -> Option<String> {
    res.headers()
        .get_all("set-cookie")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .find(|kv| kv.starts_with(&format!("{name}=")))
        .map(|kv| kv[name.len() + 1..].to_owned())
}

pub(crate) fn production(c: &mut frontdesk_server::Config) {
    fast(c);
    c.mode = frontdesk_domain::InstanceMode::Production;
}

both_backends!(
    f03_session_fixation,
    production,
    |app: TestApp| async move {
        let email = "f03@example.com";
        user_with_password(&app, email, PW).await;
        let http = reqwest::Client::new();
        // Whoever prepares the browser learns its client token.
        let res = http
            .post(app.url("/v1/client/sign_ins"))
            .form(&[("identifier", "nobody@example.com")])
            .send()
            .await
            .unwrap();
        let planted = set_cookie(&res, "__client").expect("a client cookie");
        // The victim signs in on that browser.
        let res = http
            .post(app.url("/v1/client/sign_ins"))
            .header("cookie", format!("__client={planted}"))
            .form(&[("identifier", email), ("password", PW)])
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let fresh = set_cookie(&res, "__client").expect("a new client token at sign-in");
        assert_ne!(fresh, planted);
        let me = |token: String| {
            let http = http.clone();
            let url = app.url("/v1/me");
            async move {
                http.get(url)
                    .header("cookie", format!("__client={token}"))
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            }
        };
        assert_eq!(me(planted.clone()).await, 401, "the old token is void");
        assert_eq!(me(fresh.clone()).await, 200);
        // A cookie planted with a wider Domain or longer Path comes first in the
        // header; the browser's own still identifies it.
        let both = format!("__client={planted}; __client={fresh}");
        let res = http
            .get(app.url("/v1/me"))
            .header("cookie", both)
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);

        // The hosted sign-in page rotates the token too.
        let browser = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .unwrap();
        let html = browser
            .get(app.url("/sign-in"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let marker = "name=\"csrf_token\" value=\"";
        let start = html.find(marker).unwrap() + marker.len();
        let csrf = html[start..start + html[start..].find('"').unwrap()].to_owned();
        let form = |password: &'static str| {
            vec![
                ("identifier", email.to_owned()),
                ("password", password.to_owned()),
                ("action", "password".to_owned()),
                ("csrf_token", csrf.clone()),
            ]
        };
        let res = browser
            .post(app.url("/sign-in"))
            .form(&form("not the password"))
            .send()
            .await
            .unwrap();
        let before = set_cookie(&res, "__client").expect("a client for the failed attempt");
        let res = browser
            .post(app.url("/sign-in"))
            .form(&form(PW))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 303);
        let after = set_cookie(&res, "__client").expect("a new token on the page too");
        assert_ne!(after, before);
        assert_eq!(me(before).await, 401);
        assert_eq!(me(after).await, 200);
        app.stop().await;
    }
);

both_backends!(
    f07_code_tries_are_counted_in_parallel,
    fast,
    |app: TestApp| async move {
        let email = "f07@example.com";
        let uid = user_with_password(&app, email, PW).await;
        let db = dev_browser(&app).await;
        let (_, body) = post(&app, &db, "/v1/client/sign_ins", &[("identifier", email)]).await;
        let sia = body["response"]["id"].as_str().unwrap().to_owned();
        let (status, _) = post(
            &app,
            &db,
            &format!("/v1/client/sign_ins/{sia}/prepare_first_factor"),
            &[("strategy", "email_code")],
        )
        .await;
        assert_eq!(status, 200);
        let code = mailed_code(&app, email).await;
        let wrong: Vec<String> = (0..60)
            .map(|i| format!("{:06}", (code.parse::<u32>().unwrap() + 1 + i) % 1_000_000))
            .collect();
        let path = format!("/v1/client/sign_ins/{sia}/attempt_first_factor");
        let answers = join_all(wrong.iter().map(|w| {
            let (app, db, path) = (&app, &db, &path);
            async move { post(app, db, path, &[("strategy", "email_code"), ("code", w)]).await }
        }))
        .await;
        assert_eq!(count(&answers, "form_code_incorrect"), 4, "{answers:?}");
        assert_eq!(count(&answers, "verification_failed"), 1);
        assert_eq!(count(&answers, "verification_not_pending"), 55);
        let (status, body) = post(
            &app,
            &db,
            &path,
            &[("strategy", "email_code"), ("code", &code)],
        )
        .await;
        assert_eq!(
            (status, code_of(&body).as_str()),
            (422, "verification_not_pending")
        );
        assert_eq!(active_sessions(&app, &uid).await, 0);

        // A sign-up's code: the same five tries, counted in parallel.
        let new = "f07-new@example.com";
        let (_, body) = post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[
                ("email_address", new),
                ("password", "correct horse battery staple"),
            ],
        )
        .await;
        let sua = body["response"]["id"].as_str().unwrap().to_owned();
        post(
            &app,
            &db,
            &format!("/v1/client/sign_ups/{sua}/prepare_verification"),
            &[("strategy", "email_code")],
        )
        .await;
        let code = mailed_code(&app, new).await;
        let path = format!("/v1/client/sign_ups/{sua}/attempt_verification");
        let answers = join_all(wrong.iter().filter(|w| **w != code).map(|w| {
            let (app, db, path) = (&app, &db, &path);
            async move { post(app, db, path, &[("strategy", "email_code"), ("code", w)]).await }
        }))
        .await;
        assert_eq!(count(&answers, "form_code_incorrect"), 4, "{answers:?}");
        let (status, body) = post(
            &app,
            &db,
            &path,
            &[("strategy", "email_code"), ("code", &code)],
        )
        .await;
        assert_eq!(
            (status, code_of(&body).as_str()),
            (422, "verification_not_pending")
        );
        app.stop().await;
    }
);

both_backends!(f13_lock_ends_sessions, fast, |app: TestApp| async move {
    let email = "f13@example.com";
    let uid = user_with_password(&app, email, PW).await;
    let db = dev_browser(&app).await;
    let (status, body) = sign_in(&app, &db, email, PW).await;
    assert_eq!(status, 200, "{body}");
    let sid = body["response"]["created_session_id"]
        .as_str()
        .unwrap()
        .to_owned();
    let token = |app: &TestApp| {
        let url = app.url(&format!(
            "/v1/client/sessions/{sid}/tokens?__clerk_db_jwt={db}"
        ));
        let http = app.http.clone();
        async move { http.post(url).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(token(&app).await, 200);
    assert_eq!(
        app.post_json(&format!("/v1/users/{uid}/lock"), json!({}))
            .await
            .0,
        200
    );
    assert_eq!(
        token(&app).await,
        401,
        "a locked user's sessions end at once"
    );
    assert_eq!(active_sessions(&app, &uid).await, 0);
    app.stop().await;
});

both_backends!(
    f15_existence_is_clerks_by_default,
    fast,
    |app: TestApp| async move {
        let email = "f15@example.com";
        let uid = user_with_password(&app, email, PW).await;
        let db = dev_browser(&app).await;
        let (status, body) = post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[
                ("email_address", email),
                ("password", "Fresh-and-unusual-77"),
            ],
        )
        .await;
        assert_eq!(
            (status, code_of(&body).as_str()),
            (422, "form_identifier_exists")
        );
        app.post_json(&format!("/v1/users/{uid}/lock"), json!({}))
            .await;
        let (status, body) = sign_in(&app, &db, email, PW).await;
        assert_eq!((status, code_of(&body).as_str()), (403, "user_locked"));
        app.stop().await;
    }
);

both_backends!(
    f15_hide_user_existence,
    |c: &mut frontdesk_server::Config| {
        fast(c);
        c.hide_user_existence = true;
    },
    |app: TestApp| async move {
        let email = "f15-hidden@example.com";
        let uid = user_with_password(&app, email, PW).await;
        let db = dev_browser(&app).await;
        // Sign-up with a taken address goes on like any other...
        let (status, body) = post(
            &app,
            &db,
            "/v1/client/sign_ups",
            &[
                ("email_address", email),
                ("password", "Fresh-and-unusual-77"),
            ],
        )
        .await;
        assert_eq!(status, 200, "{body}");
        let sua = body["response"]["id"].as_str().unwrap().to_owned();
        let (status, _) = post(
            &app,
            &db,
            &format!("/v1/client/sign_ups/{sua}/prepare_verification"),
            &[("strategy", "email_code")],
        )
        .await;
        assert_eq!(status, 200);
        // ...its owner is told instead of sent a code...
        let mail = json(app.bapi_get("/v1/dev/emails").await).await;
        let to_owner: Vec<&Value> = mail["data"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|m| m["to_email_address"] == email)
            .collect();
        assert_eq!(to_owner.len(), 1);
        assert_eq!(to_owner[0]["subject"], "You already have an account");
        // ...and no code completes it.
        let (status, body) = post(
            &app,
            &db,
            &format!("/v1/client/sign_ups/{sua}/attempt_verification"),
            &[("strategy", "email_code"), ("code", "123456")],
        )
        .await;
        assert_eq!(
            (status, code_of(&body).as_str()),
            (422, "form_code_incorrect")
        );
        // A locked account answers the right password like a wrong one.
        app.post_json(&format!("/v1/users/{uid}/lock"), json!({}))
            .await;
        let (right_status, right) = sign_in(&app, &db, email, PW).await;
        let (wrong_status, wrong) = sign_in(&app, &db, email, "a wrong password").await;
        assert_eq!(right_status, wrong_status);
        assert_eq!(right["errors"], wrong["errors"]);
        assert_eq!(code_of(&right), "form_password_incorrect");
        app.stop().await;
    }
);

both_backends!(
    f16_wrong_current_passwords_count,
    fast,
    |app: TestApp| async move {
        let email = "f16@example.com";
        let uid = user_with_password(&app, email, PW).await;
        let db = dev_browser(&app).await;
        assert_eq!(sign_in(&app, &db, email, PW).await.0, 200);
        let change = |current: &'static str| {
            let (app, db) = (&app, db.clone());
            async move {
                post(
                    app,
                    &db,
                    "/v1/me/change_password",
                    &[
                        ("current_password", current),
                        ("new_password", "a brand new passphrase"),
                    ],
                )
                .await
            }
        };
        for i in 0..10 {
            let (status, body) = change("not my password").await;
            let expected = if i < 9 {
                "form_password_incorrect"
            } else {
                "user_locked"
            };
            assert_eq!(code_of(&body), expected, "try {i}: {status}");
        }
        assert_eq!(bapi_user(&app, &uid).await["locked"], true);
        let (status, body) = change(PW).await;
        assert_eq!((status, code_of(&body).as_str()), (403, "user_locked"));
        app.stop().await;
    }
);
