//! The Account part of `/user` that is not names or a password: email
//! addresses (add one and prove it with a mailed code, make one primary,
//! remove one) and the profile image (upload, remove). The hosted
//! counterpart of `<UserProfile/>`'s Account page, over the same engine
//! ([`crate::engine::emails`], [`crate::engine::images`]).

use axum::Extension;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use frontdesk_domain::entities::{EmailAddressRecord, User};
use maud::{Markup, html};
use serde::Deserialize;

use super::guard::Budget;
use super::layout::{self, Field, alert, csrf};
use super::profile::{Section, require, show_error};
use super::two_step::recent;
use super::{CodeForm, CsrfToken, FormError, page, see_other};
use crate::engine::{emails, images};
use crate::error::ApiError;
use crate::extract::ApiBody as Form;
use crate::extract::{Browser, Upload};
use crate::render::is_verified;
use crate::state::AppState;

/// Where the profile image form posts (a multipart form: see
/// [`super::guard::UPLOADS`]).
pub const IMAGE_PATH: &str = "/user/image";

/// The profile image, under the profile heading: the picture (or the
/// initials' place) with an upload form and, when there is one, "Remove".
pub fn image_section(token: &CsrfToken, user: &User) -> Markup {
    html! {
        div class="avatar-row" {
            @if let Some(url) = &user.image_url {
                img class="avatar" src=(url) alt="Your profile image" width="64" height="64";
            } @else {
                span class="avatar avatar-empty" aria-hidden="true" {}
            }
            form method="post" action=(IMAGE_PATH) enctype="multipart/form-data" class="upload" {
                (csrf(token))
                div class="field" {
                    label for="f-file" { "Profile image" }
                    p class="hint" id="f-file-hint" { "PNG, JPEG, GIF or WebP, at most 10 MB." }
                    input id="f-file" name="file" type="file" required
                        accept="image/png,image/jpeg,image/gif,image/webp"
                        aria-describedby="f-file-hint";
                }
                button class="secondary" type="submit" { "Upload" }
            }
            @if user.image_url.is_some() {
                form method="post" action="/user/image/remove" {
                    (csrf(token))
                    button class="secondary" type="submit" { "Remove image" }
                }
            }
        }
    }
}

/// The email addresses of `/user`, each with what can be done to it, and
/// the form to add one.
pub fn emails_section(token: &CsrfToken, user: &User, error: Option<&FormError>) -> Markup {
    let primary = |e: &EmailAddressRecord| Some(&e.id) == user.primary_email_address_id.as_ref();
    html! {
        section aria-labelledby="h-emails" {
            h2 id="h-emails" { "Email addresses" }
            ul class="emails" {
                @for e in &user.email_addresses {
                    li {
                        span class="email" { (e.email_address) }
                        @if primary(e) { " " span class="badge" { "Primary" } }
                        @if is_verified(e) {
                            " " span class="badge" { "Verified" }
                        } @else {
                            " " span class="badge badge-muted" { "Unverified" }
                        }
                        div class="actions" {
                            @if !is_verified(e) {
                                (action(token, e, "send-code", "Verify", "Verify"))
                            } @else if !primary(e) {
                                (action(token, e, "primary", "Make primary", "Make primary"))
                            }
                            @if !primary(e) {
                                (action(token, e, "remove", "Remove", "Remove"))
                            }
                        }
                    }
                }
            }
            (alert(error.and_then(|e| e.general(&["email_address"]))))
            form method="post" action="/user/emails" novalidate {
                (csrf(token))
                (Field::new("email_address", "Add an email address", "email", "email")
                    .hint("We will send a code to it.")
                    .error(error.and_then(|e| e.on("email_address")))
                    .render())
                button type="submit" { "Add" }
            }
        }
    }
}

/// One small form acting on one address (`/user/emails/{id}/{what}`).
fn action(
    token: &CsrfToken,
    e: &EmailAddressRecord,
    what: &str,
    label: &str,
    verb: &str,
) -> Markup {
    html! {
        form method="post" action=(format!("/user/emails/{}/{what}", e.id)) {
            (csrf(token))
            button class="secondary" type="submit"
                aria-label=(format!("{verb} {}", e.email_address)) { (label) }
        }
    }
}

/// "Check your email": the code step for `email`.
fn render_code(
    state: &AppState,
    token: &CsrfToken,
    email: &EmailAddressRecord,
    error: Option<&FormError>,
    done: Option<&str>,
) -> String {
    let intro = format!(
        "We sent a code to {}. Enter it to verify the address.",
        email.email_address
    );
    layout::CodeStep {
        path: "/user/emails/verify",
        title: "Verify your email address",
        intro: &intro,
        label: "Verification code",
        submit: "Verify",
        attempt: email.id.as_str(),
        redirect_url: None,
        footer: html! { p class="links" { a href="/user" { "Back to your account" } } },
        resend: true,
        carry: None,
        digits: true,
    }
    .render(state, token, error, done)
}

fn failed(state: &AppState, fapi: &Browser, e: ApiError) -> Response {
    super::failed(state, fapi, "Email addresses", e)
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    email_address: String,
}

/// `POST /user/emails`: add an address (a sensitive change: a recent factor
/// check first) and mail it a code.
pub async fn add(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    Form(form): Form<AddForm>,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    let added = match emails::add(&state, &user, form.email_address.trim()).await {
        Ok(added) => added,
        Err(e) => return show_error(&state, &token, &fapi, Section::Emails, e).await,
    };
    let mut user = user;
    user.email_addresses.push(added.clone());
    send_code(&state, &token, &mut fapi, &user, added.id.as_str(), None).await
}

/// Mail a code to one of `user`'s addresses and show the code step.
async fn send_code(
    state: &AppState,
    token: &CsrfToken,
    fapi: &mut Browser,
    user: &User,
    id: &str,
    done: Option<&str>,
) -> Response {
    match emails::prepare(state, fapi, user, id).await {
        Ok(email) => page(
            fapi,
            StatusCode::OK,
            None,
            render_code(state, token, &email, None, done),
        ),
        Err(e) => failed(state, fapi, e),
    }
}

/// `POST /user/emails/{id}/send-code`: verify an address added earlier.
pub async fn start_verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    send_code(&state, &token, &mut fapi, &user, &id, None).await
}

/// `POST /user/emails/verify`: the code (`action=verify`) or a new one
/// (`action=resend`).
pub async fn verify(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    mut fapi: Browser,
    budget: Budget,
    Form(form): Form<CodeForm>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let Ok(email) = emails::own(&user, &form.attempt).cloned() else {
        return failed(&state, &fapi, ApiError::not_found("email address"));
    };
    if let Err(e) = budget.check() {
        let e = FormError::from_api(e);
        let body = render_code(&state, &token, &email, Some(&e), None);
        return page(&fapi, e.status, Some(&e), body);
    }
    if form.action == "resend" {
        let done = Some("We sent a new code.");
        return send_code(&state, &token, &mut fapi, &user, &form.attempt, done).await;
    }
    match emails::attempt(&state, &mut fapi, &user, &form.attempt, form.code.trim()).await {
        Ok(_) => see_other(&fapi, "/user?done=email"),
        Err(e) => {
            let e = FormError::from_api(e);
            let body = render_code(&state, &token, &email, Some(&e), None);
            page(&fapi, e.status, Some(&e), body)
        }
    }
}

/// `POST /user/emails/{id}/primary`.
pub async fn make_primary(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    match emails::make_primary(&state, &user, &id).await {
        Ok(_) => see_other(&fapi, "/user?done=primary"),
        Err(e) => show_error(&state, &token, &fapi, Section::Emails, e).await,
    }
}

/// `POST /user/emails/{id}/remove` (a sensitive change).
pub async fn remove(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    Path(id): Path<String>,
) -> Response {
    let (_, user) = match recent(&state, &token, &fapi).await {
        Ok(v) => v,
        Err(page) => return page,
    };
    match emails::remove(&state, &user, &id).await {
        Ok(_) => see_other(&fapi, "/user?done=email-off"),
        Err(e) => show_error(&state, &token, &fapi, Section::Emails, e).await,
    }
}

/// `POST /user/image`: a new profile image (type by its first bytes, size
/// limited, as `/v1/me/profile_image`).
pub async fn upload(
    State(state): State<AppState>,
    Extension(token): Extension<CsrfToken>,
    fapi: Browser,
    upload: Result<Upload, ApiError>,
) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    let set = async { images::set(&state, &user, upload?.file().await?).await };
    match set.await {
        Ok(_) => see_other(&fapi, "/user?done=image"),
        Err(e) => show_error(&state, &token, &fapi, Section::Image, e).await,
    }
}

/// `POST /user/image/remove`.
pub async fn remove_image(State(state): State<AppState>, fapi: Browser) -> Response {
    let (_, user) = match require(&state, &fapi).await {
        Ok(v) => v,
        Err(redirect) => return redirect,
    };
    match images::remove(&state, &user).await {
        Ok(_) => see_other(&fapi, "/user?done=image-off"),
        Err(e) => failed(&state, &fapi, e),
    }
}
