//! Minting session tokens: Clerk's v2 session JWT.

use std::collections::HashMap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use frontdesk_domain::UnixMillis;
use frontdesk_domain::entities::Session;
use frontdesk_types::SessionId;
use frontdesk_types::common::SessionClaims;

use frontdesk_domain::organizations::org_claims;
use frontdesk_store::organizations::OrgClaimsRow;
use frontdesk_types::OrganizationId;

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Clerk's JWT category for session tokens (`cat` header).
pub const SESSION_TOKEN_CATEGORY: &str = "cl_B7d4PD111AAA";

/// Live sessions recently read for minting, so that a client refreshing its
/// token every 50 s, or an app minting through the Backend API, costs a
/// signature and not also a database round trip.
///
/// Only live sessions are kept, for at most [`MintCache::TTL`], and every
/// entry belongs to an epoch: any request on this node that may change a
/// session (every non-GET request except token minting itself) starts a new
/// epoch when it has run, which voids every entry read before it. So a
/// session revoked, ended or touched through this node is read afresh by the
/// next mint; one revoked through another node (or the CLI) stops minting
/// here within `TTL`, well inside the token lifetime that already bounds how
/// long a revocation takes to reach apps.
#[derive(Default)]
pub struct MintCache {
    epoch: AtomicU64,
    entries: Mutex<HashMap<SessionId, Cached>>,
}

struct Cached {
    live: Live,
    epoch: u64,
    at: Instant,
}

/// What minting needs of a live session.
#[derive(Clone)]
struct Live {
    session: Session,
    client_updated_at: UnixMillis,
    /// The session token template's claims for its user.
    custom: serde_json::Map<String, serde_json::Value>,
    /// The active organization's claims, while the user is a member.
    org: Option<OrgClaimsRow>,
}

impl MintCache {
    pub const TTL: Duration = Duration::from_secs(1);
    const MAX_ENTRIES: usize = 10_000;

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<SessionId, Cached>> {
        self.entries.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Void every entry: something on this node may have changed a session.
    pub fn invalidate(&self) {
        self.epoch.fetch_add(1, Ordering::SeqCst);
    }

    fn get(&self, id: &SessionId) -> Option<Live> {
        let epoch = self.epoch.load(Ordering::SeqCst);
        let map = self.lock();
        map.get(id)
            .filter(|c| c.epoch == epoch && c.at.elapsed() < Self::TTL)
            .map(|c| c.live.clone())
    }

    /// Keep what was read from the database in `epoch` (read before the
    /// query, so a change committed meanwhile voids it).
    fn put(&self, epoch: u64, live: Live) {
        let mut map = self.lock();
        if map.len() >= Self::MAX_ENTRIES {
            let current = self.epoch.load(Ordering::SeqCst);
            map.retain(|_, c| c.epoch == current && c.at.elapsed() < Self::TTL);
            if map.len() >= Self::MAX_ENTRIES {
                map.clear();
            }
        }
        map.insert(
            live.session.id.clone(),
            Cached {
                live,
                epoch,
                at: Instant::now(),
            },
        );
    }
}

/// The session, its client's `updated_at` and its template claims, if the
/// session is live now: from the cache, else from the database.
async fn live_session(state: &AppState, id: &SessionId, now: UnixMillis) -> ApiResult<Live> {
    if let Some(hit) = state.mint_cache.get(id)
        && hit.session.status_at(now).is_live()
    {
        return Ok(hit);
    }
    let epoch = state.mint_cache.epoch.load(Ordering::SeqCst);
    let (session, client_updated_at) = state
        .store
        .session_for_token(id)
        .await?
        .ok_or_else(|| ApiError::not_found("session"))?;
    if !session.status_at(now).is_live() {
        return Err(ApiError::not_found("active session"));
    }
    let custom = match state.session_template.get() {
        None => serde_json::Map::new(),
        Some(template) => {
            let user = state
                .store
                .get_user(&session.user_id)
                .await?
                .ok_or_else(|| ApiError::not_found("session"))?;
            template
                .render(&crate::services::template::context(&user, &session))
                .unwrap_or_else(|| {
                    tracing::warn!(
                        user_id = %user.id,
                        "session token template claims over 1.2 KB for this user; left out"
                    );
                    serde_json::Map::new()
                })
        }
    };
    let org = match active_org(&session) {
        Some(id) => state.store.org_claims(&id, &session.user_id).await?,
        None => None,
    };
    let live = Live {
        session,
        client_updated_at,
        custom,
        org,
    };
    state.mint_cache.put(epoch, live.clone());
    Ok(live)
}

fn active_org(s: &Session) -> Option<OrganizationId> {
    s.last_active_organization_id.as_deref()?.parse().ok()
}

/// Which organization a token is for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OrgChoice {
    /// The session's active one (none: the personal workspace).
    Active,
    /// The personal workspace.
    Personal,
    /// This one, which the user must be a member of (clerk-js asks for the
    /// organization it shows, whatever the session last chose).
    Org(OrganizationId),
}

/// Mint a token for a live session, for its active organization.
pub async fn mint(
    state: &AppState,
    session_id: &SessionId,
    azp: Option<String>,
    lifetime_secs: Option<u32>,
) -> ApiResult<String> {
    mint_for(state, session_id, azp, lifetime_secs, OrgChoice::Active).await
}

/// Mint a token for a live session.
///
/// `iat` is never earlier than the client's `updated_at`: apps compare it to
/// the `__client_uat` cookie and treat an older token as stale, which would
/// send the browser into a handshake loop.
pub async fn mint_for(
    state: &AppState,
    session_id: &SessionId,
    azp: Option<String>,
    lifetime_secs: Option<u32>,
    choice: OrgChoice,
) -> ApiResult<String> {
    let now = UnixMillis::now();
    let Live {
        session,
        client_updated_at,
        custom,
        org,
    } = live_session(state, session_id, now).await?;
    let org = match choice {
        OrgChoice::Personal => None,
        OrgChoice::Org(id) if active_org(&session).as_ref() != Some(&id) => Some((
            id.clone(),
            state
                .store
                .org_claims(&id, &session.user_id)
                .await?
                .ok_or_else(not_a_member)?,
        )),
        _ => active_org(&session).zip(org),
    };
    let (o, fea) = match org {
        Some((id, row)) => {
            let (o, fea) = org_claims(id.as_str(), &row.slug, &row.role, &row.permissions);
            (Some(o), fea)
        }
        None => (None, None),
    };
    let status = session.status_at(now);
    let iat = now
        .as_secs()
        .max((client_updated_at.0 + 999).div_euclid(1000));
    let lifetime = i64::from(lifetime_secs.unwrap_or(state.config.session_token_lifetime_secs));
    let claims = SessionClaims {
        azp,
        exp: iat + lifetime,
        fva: session.factor_ages(now),
        iat,
        iss: state.instance.public_url.origin(),
        nbf: iat - 10,
        sid: session.id.to_string(),
        sts: status.as_str().to_owned(),
        sub: session.user_id.to_string(),
        v: 2,
        jti: frontdesk_types::id::random_base62(15),
        o,
        fea,
        act: session.actor.clone(),
        custom,
    };
    state
        .keys
        .active()
        .sign_jwt(&[("cat", SESSION_TOKEN_CATEGORY)], &claims)
        .map_err(ApiError::internal)
}

/// A token asked for an organization the user is not in.
pub fn not_a_member() -> ApiError {
    ApiError::client(
        axum::http::StatusCode::FORBIDDEN,
        frontdesk_types::ClerkError::new(
            "organization_not_found_or_unauthorized",
            "Not a member of this organization",
            "The organization does not exist or you are not a member of it.",
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use frontdesk_domain::entities::{SessionActivity, SessionStatus};
    use frontdesk_types::{ClientId, UserId};

    fn session() -> Session {
        let now = UnixMillis::now();
        Session {
            id: SessionId::generate(),
            client_id: ClientId::generate(),
            user_id: UserId::generate(),
            status: SessionStatus::Active,
            last_active_at: now,
            expire_at: now.plus_secs(3600),
            abandon_at: now.plus_secs(3600),
            last_active_organization_id: None,
            actor: None,
            latest_activity: SessionActivity::default(),
            first_factor_verified_at: now,
            second_factor_verified_at: None,
            created_at: now,
            updated_at: now,
        }
    }

    #[test]
    fn entries_die_with_their_epoch() {
        let cache = MintCache::default();
        let s = session();
        let live = || Live {
            session: s.clone(),
            client_updated_at: s.created_at,
            custom: serde_json::Map::new(),
            org: None,
        };
        cache.put(0, live());
        assert!(cache.get(&s.id).is_some());
        cache.invalidate();
        assert!(cache.get(&s.id).is_none(), "a change on this node voids it");
        // Read before a change committed, stored after it: never served.
        cache.put(0, live());
        assert!(cache.get(&s.id).is_none());
        cache.put(1, live());
        assert!(cache.get(&s.id).is_some());
    }
}
