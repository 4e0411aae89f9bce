//! Who runs the instance, and what the dashboard says about it (issue 18):
//! an administrator makes another (who is asked for a second factor before
//! any page) and unmakes them, never themselves and never the last one,
//! and deletes one only once unmade;
//! the audit log narrowed to one action or one administrator, on the page
//! and in the export; and the overview's sign-ins and active users per
//! day, counted from what people did.

use crate::both_backends;
use crate::dashboard::{
    PASSWORD, add_app, audit_actions, audit_entries, fast, operator, page_html,
};
use crate::helpers::{TestApp, user_with_password};
use crate::pages_security::{hosted_sign_in, location, page, post_form};

async fn act(b: &reqwest::Client, app: &TestApp, user: &str, action: &str) -> reqwest::Response {
    let (_, csrf) = page(b, app, &format!("/dashboard/users/{user}")).await;
    post_form(
        b,
        app,
        &format!("/dashboard/users/{user}/action"),
        &[("csrf_token", &csrf), ("action", action)],
        &[],
    )
    .await
}

both_backends!(
    administrators_are_made_and_unmade_from_the_dashboard,
    fast,
    |app: TestApp| async move {
        let (b, me) = operator(&app, "admin@example.com").await;
        let other = user_with_password(&app, "ops@example.com", PASSWORD).await;
        let is_admin = |id: &str| {
            let id = id.parse().unwrap();
            let store = app.state.store.clone();
            async move { store.is_admin(&id).await.unwrap() }
        };

        let (html, _) = page_html(&b, &app, &format!("/dashboard/users/{other}")).await;
        assert!(html.contains("Make administrator"));
        let res = act(&b, &app, &other, "make-admin").await;
        assert_eq!(
            location(&res),
            format!("/dashboard/users/{other}?done=make-admin")
        );
        assert!(is_admin(&other).await);

        // The new administrator is asked for a second factor first.
        let (theirs, _) = hosted_sign_in(&app, "ops@example.com", PASSWORD).await;
        let res = theirs.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(location(&res), "/dashboard/verify");

        // Not themselves; then the other is unmade.
        let res = act(&b, &app, &me, "revoke-admin").await;
        assert_eq!(res.status(), 422);
        assert!(res.text().await.unwrap().contains("your own account"));
        let res = act(&b, &app, &other, "revoke-admin").await;
        assert_eq!(
            location(&res),
            format!("/dashboard/users/{other}?done=revoke-admin")
        );
        assert!(!is_admin(&other).await);
        let res = theirs.get(app.url("/dashboard")).send().await.unwrap();
        assert_eq!(res.status(), 403, "refused at once");
        let res = act(&b, &app, &other, "revoke-admin").await;
        assert_eq!(res.status(), 422, "not an administrator");

        // A third administrator: banned while one who can sign in remains,
        // deleted only once unmade.
        let third = user_with_password(&app, "third@example.com", PASSWORD).await;
        let res = act(&b, &app, &third, "make-admin").await;
        assert_eq!(
            location(&res),
            format!("/dashboard/users/{third}?done=make-admin")
        );
        // An administrator is deleted in two steps: the role first.
        let res = act(&b, &app, &third, "delete").await;
        assert_eq!(res.status(), 422);
        assert!(
            res.text()
                .await
                .unwrap()
                .contains("revoke their administrator role first")
        );
        assert!(
            app.state
                .store
                .get_user(&third.parse().unwrap())
                .await
                .unwrap()
                .is_some()
        );
        // Another administrator can be banned while one who can sign in
        // remains (two banning each other at once: the store test
        // `bans_at_once_leave_an_admin_who_can_sign_in`).
        let res = act(&b, &app, &third, "ban").await;
        assert_eq!(location(&res), format!("/dashboard/users/{third}?done=ban"));
        let res = act(&b, &app, &third, "unban").await;
        assert_eq!(
            location(&res),
            format!("/dashboard/users/{third}?done=unban")
        );

        let actions = audit_actions(&app).await;
        for a in ["admin.granted", "admin.revoked"] {
            assert!(actions.iter().any(|x| x == a), "{a} in {actions:?}");
        }

        // The log narrowed to one action, on the page and in the export.
        let (html, status) = page_html(&b, &app, "/dashboard/audit?action=admin.granted").await;
        assert_eq!(status, 200);
        assert!(html.contains("<code>admin.granted</code>"), "{html}");
        assert!(!html.contains("<code>admin.revoked</code>"));
        let (html, _) = page_html(&b, &app, &format!("/dashboard/audit?actor={other}")).await;
        assert!(
            html.contains("Nothing yet."),
            "the other administrator did nothing"
        );
        let (html, _) = page_html(&b, &app, &format!("/dashboard/audit?actor={me}")).await;
        assert!(html.contains("<code>admin.revoked</code>"));
        let csv = b
            .get(app.url("/dashboard/audit.csv?action=admin.revoked"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        let rows: Vec<&str> = csv.lines().skip(1).collect();
        assert_eq!(rows.len(), 1, "{csv}");
        assert!(rows[0].contains(",admin.revoked,"), "{csv}");
    }
);

both_backends!(
    the_overview_counts_sign_ins_and_active_users_per_day,
    fast,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        let user = user_with_password(&app, "active@example.com", PASSWORD).await;
        let (html, _) = page_html(&b, &app, &format!("/dashboard/users/{user}")).await;
        assert!(
            html.contains("<dt>Last active</dt><dd>—</dd>"),
            "never active yet"
        );
        hosted_sign_in(&app, "active@example.com", PASSWORD).await;
        hosted_sign_in(&app, "active@example.com", PASSWORD).await;

        let now = frontdesk_domain::UnixMillis::now();
        let today = frontdesk_domain::UnixMillis(now.0 - now.0 % frontdesk_store::DAY_MS);
        let days = app.state.store.daily_activity(today).await.unwrap();
        assert_eq!(days.len(), 1, "{days:?}");
        assert_eq!(days[0].sign_ups, 2);
        assert_eq!(days[0].sign_ins, 3, "the operator once, the user twice");
        assert_eq!(days[0].active_users, 2, "each user once");

        let (html, status) = page_html(&b, &app, "/dashboard").await;
        assert_eq!(status, 200);
        for shown in [
            "Sign-ups per day",
            "Sign-ins per day",
            "Active users per day",
            "Webhook deliveries",
        ] {
            assert!(html.contains(shown), "{shown}");
        }
        let day = time::OffsetDateTime::from_unix_timestamp(today.as_secs()).unwrap();
        let cell = format!(
            "<td>{}-{:02}-{:02}</td><td>3</td>",
            day.year(),
            u8::from(day.month()),
            day.day()
        );
        assert!(
            html.contains(&cell),
            "today's sign-ins in the table: {cell}"
        );
        let (html, _) = page_html(&b, &app, &format!("/dashboard/users/{user}")).await;
        assert!(!html.contains("<dt>Last active</dt><dd>—</dd>"));
    }
);

both_backends!(
    the_command_line_unmakes_an_administrator_but_not_the_last,
    fast,
    |app: TestApp| async move {
        use frontdesk_server::engine::admin::{Audit, grant_by_email, revoke_by_email};
        use frontdesk_store::admin::Revoked;
        let store = app.state.store.as_ref();
        let cli = Audit::command_line();
        user_with_password(&app, "one@example.com", PASSWORD).await;
        user_with_password(&app, "two@example.com", PASSWORD).await;
        for email in ["one@example.com", "two@example.com"] {
            grant_by_email(store, email, &cli).await.unwrap();
        }
        let outcome = |r: Option<(_, Revoked)>| r.map(|(_, o)| o);
        assert_eq!(
            outcome(
                revoke_by_email(store, "two@example.com", &cli)
                    .await
                    .unwrap()
            ),
            Some(Revoked::Done)
        );
        assert_eq!(
            outcome(
                revoke_by_email(store, "one@example.com", &cli)
                    .await
                    .unwrap()
            ),
            Some(Revoked::LastAdmin)
        );
        assert_eq!(
            outcome(
                revoke_by_email(store, "two@example.com", &cli)
                    .await
                    .unwrap()
            ),
            Some(Revoked::NotAnAdmin)
        );
        assert!(
            revoke_by_email(store, "nobody@example.com", &cli)
                .await
                .unwrap()
                .is_none()
        );
        let revoked = audit_actions(&app)
            .await
            .into_iter()
            .filter(|a| a == "admin.revoked")
            .count();
        assert_eq!(revoked, 1, "only what happened is recorded");
    }
);

both_backends!(
    a_two_step_reset_is_recorded_with_the_change,
    fast,
    |app: TestApp| async move {
        let (b, _) = operator(&app, "admin@example.com").await;
        let other = user_with_password(&app, "ada@example.com", PASSWORD).await;
        let (theirs, _) = hosted_sign_in(&app, "ada@example.com", PASSWORD).await;
        add_app(&theirs, &app).await;
        let stored = |id: &str| {
            let id = id.parse().unwrap();
            let store = app.state.store.clone();
            async move { store.get_user(&id).await.unwrap().unwrap() }
        };
        assert!(stored(&other).await.mfa.totp_enabled);

        let res = act(&b, &app, &other, "reset-mfa").await;
        assert_eq!(
            location(&res),
            format!("/dashboard/users/{other}?done=reset-mfa")
        );
        assert!(!stored(&other).await.mfa.totp_enabled);
        let entries = audit_entries(&app, "user.mfa_reset").await;
        assert_eq!(entries.len(), 1, "{entries:?}");
        assert_eq!(entries[0].target_id.as_deref(), Some(other.as_str()));
    }
);
