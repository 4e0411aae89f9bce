//! `/user/delete`: users delete their own account from the hosted profile
//! (where `delete_self_enabled` allows it), after a recent factor check, as
//! `<UserProfile/>`'s "Delete account" does over the Frontend API.

use axum::Extension;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::entities::User;
use maud::{Markup, html};
use serde::Deserialize;

use super::layout::{self, csrf};
use super::two_step::recent;
use super::{CsrfToken, failed, page};
use crate::engine::emails;
use crate::extract::ApiBody as Form;
use crate::extract::Browser;
use crate::state::AppState;

/// The last section of `/user`.
pub fn section(token: &CsrfToken, user: &User) -> Markup {
    if !user.delete_self_enabled {
        return html! {};
    }
    html! {
        section aria-labelledby="h-delete" {
            h2 id="h-delete" { "Delete account" }
            p class="hint" { "Your account, its sessions and everything Frontdesk keeps about you go at once. This cannot be undone." }
            form method="post" action="/user/delete" {
                (csrf(token))
                div class="field" {
                    label class="check" {
                        input type="checkbox" name="confirm" value="yes" required;
                        "I understand that my account cannot be recovered"
                    }
                }
                button class="danger" type="submit" { "Delete my account" }
            }
        }
    }
}

#[derive(Deserialize)]
pub struct DeleteForm {
    #[serde(default)]
    confirm: String,
}

/// `POST /user/delete`.
pub async fn delete(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    Form(form): Form<DeleteForm>,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    if form.confirm != "yes" {
        let body = layout::message(
            &state,
            "Delete account",
            "Tick the box to confirm that the account cannot be recovered.",
        );
        return page(&fapi, StatusCode::UNPROCESSABLE_ENTITY, None, body);
    }
    match emails::delete_self(&state, &user).await {
        Ok(_) => {
            fapi.set_client_uat(&state, 0);
            let body = layout::message(
                &state,
                "Your account was deleted",
                "Your account and its sessions are gone. You can create a new one any time.",
            );
            page(&fapi, StatusCode::OK, None, body)
        }
        Err(e) => failed(&state, &fapi, "Delete account", e),
    }
}
