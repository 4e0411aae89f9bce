//! An administrator's action and its audit entry in one transaction.
//!
//! The dashboard's actions go through the same services as the Backend API,
//! and those services do not know who is acting. So the entry travels beside
//! the call instead of through it: [`recorded`] runs the action with the
//! entry pending in its task, and the store methods an action ends in
//! (`patch_user`, `delete_user`, `grant_admin`, `swap_setting`, …) write the
//! pending entry in the transaction of their change, just before it commits.
//! The entry is written only if the change commits, and the change commits
//! only with its entry: a crash or a failed write between the two can no
//! longer leave an action done and unrecorded (ASVS 7.3: the log is complete
//! for what it covers). Outside [`recorded`] nothing is pending and those
//! methods write what they always wrote.
//!
//! The first change to commit carries the entry; an action of several
//! transactions (reset MFA) is recorded when it begins to take effect. An
//! action that changed nothing (the session had ended already) gets its
//! entry back from [`recorded`], for the caller to write or drop.

use std::cell::RefCell;
use std::future::Future;

use frontdesk_domain::admin::AuditEvent;
use serde_json::Value;

tokio::task_local! {
    static PENDING: RefCell<Pending>;
}

struct Pending {
    entry: AuditEvent,
    /// Nothing to record after all (a settings save that changed nothing).
    withdrawn: bool,
    written: bool,
}

/// Run `change` with `entry` pending; returns its output and the entry if
/// no transaction of the change wrote it (and it was not withdrawn).
pub async fn recorded<F: Future>(entry: AuditEvent, change: F) -> (F::Output, Option<AuditEvent>) {
    let slot = RefCell::new(Pending {
        entry,
        withdrawn: false,
        written: false,
    });
    PENDING
        .scope(slot, async {
            let out = change.await;
            let left = PENDING.with(|p| {
                let p = p.borrow();
                (!p.written && !p.withdrawn).then(|| p.entry.clone())
            });
            (out, left)
        })
        .await
}

/// The entry a transaction about to commit should write, if one is pending
/// and not written yet.
pub fn pending() -> Option<AuditEvent> {
    PENDING
        .try_with(|p| {
            let p = p.borrow();
            (!p.written && !p.withdrawn).then(|| p.entry.clone())
        })
        .ok()
        .flatten()
}

/// The pending entry was written by a transaction that committed.
pub fn written() {
    let _ = PENDING.try_with(|p| p.borrow_mut().written = true);
}

/// Change the pending entry before it is written (a service that learns
/// what its change did, say a new id); nothing outside [`recorded`].
pub fn amend(f: impl FnOnce(&mut AuditEvent)) {
    let _ = PENDING.try_with(|p| {
        let mut p = p.borrow_mut();
        if !p.written {
            f(&mut p.entry);
        }
    });
}

/// Add `key: value` to the pending entry's detail (an id the change made).
pub fn note(key: &str, value: impl Into<Value>) {
    let value = value.into();
    amend(|e| {
        if !e.detail.is_object() {
            e.detail = Value::Object(serde_json::Map::new());
        }
        if let Some(d) = e.detail.as_object_mut() {
            d.insert(key.to_owned(), value);
        }
    });
}

/// Whether the pending entry is to be written at all: a change that turns
/// out to change nothing withdraws it; a retry that finds something to
/// change puts it back.
pub fn withdraw(withdrawn: bool) {
    let _ = PENDING.try_with(|p| p.borrow_mut().withdrawn = withdrawn);
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use frontdesk_domain::UnixMillis;
    use frontdesk_domain::admin::{Actor, AuditAction};
    use frontdesk_types::AuditEventId;
    use serde_json::json;

    fn entry() -> AuditEvent {
        AuditEvent {
            id: AuditEventId::generate(),
            actor: Actor::command_line(),
            action: AuditAction::UserBanned,
            target_id: None,
            detail: json!({}),
            ip_address: None,
            user_agent: None,
            created_at: UnixMillis(1),
        }
    }

    #[tokio::test]
    async fn an_entry_is_returned_until_written_and_never_after() {
        let (_, left) = recorded(entry(), async { note("a", 1) }).await;
        assert_eq!(left.unwrap().detail, json!({"a": 1}));
        let (_, left) = recorded(entry(), async {
            assert!(pending().is_some());
            written();
            assert!(pending().is_none());
            note("late", 1);
        })
        .await;
        assert!(left.is_none());
        let (_, left) = recorded(entry(), async { withdraw(true) }).await;
        assert!(left.is_none());
    }

    #[tokio::test]
    async fn nothing_is_pending_outside_an_action() {
        assert!(pending().is_none());
        note("ignored", 1);
        written();
        assert!(pending().is_none());
    }
}
