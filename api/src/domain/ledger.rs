//! The ledger: one append-only record of who did what, written in the same transaction as the
//! change it records. Billing, the audit log and the connection history read it; events of a
//! webhook type also go into the webhook outbox in that same transaction, so an event that
//! committed is delivered at least once, whatever happens after.

use chrono::SecondsFormat;
use serde_json::json;
use shared::webhooks::WebhookEventType;
use uuid::Uuid;

use super::{ids::AccountId, principal::Principal, stored};
use crate::{
    db::{
        self,
        ledger::{self as rows, LedgerEvent},
        DbConn,
    },
    error::ApiError,
};
use shared::auth::PrincipalKind;

/// Who caused an event: the key the ledger filters on (`user:<id>`, `token:<id>`, `system`)
/// and the name it shows, as it was at the time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub key: String,
    pub name: String,
}

pub const SYSTEM: &str = "system";

impl Actor {
    /// The caller, named as [`Actor::resolve`] names them.
    pub fn of(caller: &Principal) -> Actor {
        match caller.kind {
            PrincipalKind::User => Actor {
                key: format!("user:{}", caller.id),
                name: caller.name.clone(),
            },
            PrincipalKind::ApiToken => Actor {
                key: format!("token:{}", caller.id),
                name: format!("API token {}", caller.name),
            },
        }
    }

    /// The portal itself, doing `what` ("Connection health check", "User sync", ...).
    pub fn system(what: &str) -> Actor {
        Actor {
            key: SYSTEM.to_owned(),
            name: what.to_owned(),
        }
    }

    /// The actor behind a key kept elsewhere (a job's payload), named as they are now: a
    /// member or token since removed is named so.
    pub fn resolve(conn: &mut DbConn, account: &AccountId, key: &str) -> Result<Actor, ApiError> {
        let name = if let Some(id) = key.strip_prefix("user:") {
            db::users::find(conn, account.as_str(), id)?
                .map(|u| u.email)
                .unwrap_or_else(|| "A former member".to_owned())
        } else if let Some(id) = key.strip_prefix("token:") {
            db::api_tokens::find(conn, account.as_str(), id)?
                .map(|t| format!("API token {}", t.name))
                .unwrap_or_else(|| "A removed API token".to_owned())
        } else {
            "Tenant Connect".to_owned()
        };
        Ok(Actor {
            key: key.to_owned(),
            name,
        })
    }
}

/// An event to record.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub account: &'a AccountId,
    pub kind: &'a str,
    pub actor: &'a Actor,
    pub summary: String,
    pub user_id: Option<&'a str>,
    pub number: Option<&'a str>,
    pub operation_id: Option<&'a str>,
    pub detail: Option<&'a str>,
}

impl<'a> Entry<'a> {
    pub fn new(account: &'a AccountId, kind: &'a str, actor: &'a Actor, summary: String) -> Self {
        Entry {
            account,
            kind,
            actor,
            summary,
            user_id: None,
            number: None,
            operation_id: None,
            detail: None,
        }
    }
}

/// Appends the event, and queues it for every endpoint subscribed to its type. Call inside the
/// transaction that makes the change.
pub fn record(conn: &mut DbConn, entry: Entry<'_>) -> Result<Uuid, ApiError> {
    let id = Uuid::new_v4();
    let mut occurred_at = stored::now();
    if let Some(user) = entry.user_id {
        // A user's changes are made one at a time (their row is locked), but possibly by
        // processes whose clocks differ: an event is never dated before the user's previous
        // one, so billing replays them in the order they happened.
        if let Some(last) = rows::latest_of_user(conn, entry.account, user)? {
            occurred_at = occurred_at.max(last + chrono::Duration::microseconds(1));
        }
    }
    let event = LedgerEvent {
        id: id.to_string(),
        account_id: entry.account.clone(),
        occurred_at,
        kind: entry.kind.to_owned(),
        actor: entry.actor.key.clone(),
        actor_name: entry.actor.name.clone(),
        user_id: entry.user_id.map(str::to_owned),
        number: entry.number.map(str::to_owned),
        operation_id: entry.operation_id.map(str::to_owned),
        detail: entry.detail.map(str::to_owned),
        summary: entry.summary,
    };
    rows::append(conn, &event)?;
    if let Some(kind) = WebhookEventType::parse(&event.kind) {
        let payload = webhook_payload(&event).to_string();
        db::webhooks::enqueue(conn, &event, kind, &payload)?;
    }
    Ok(id)
}

/// The body of a delivery, in the Standard Webhooks shape: `type`, `timestamp`, `data`.
fn webhook_payload(event: &LedgerEvent) -> serde_json::Value {
    let at = stored::time(event.occurred_at).to_rfc3339_opts(SecondsFormat::Micros, true);
    json!({
        "type": event.kind,
        "timestamp": at,
        "data": {
            "event_id": event.id,
            "account_id": event.account_id.as_str(),
            "occurred_at": at,
            "actor": { "key": event.actor, "name": event.actor_name },
            "user_id": event.user_id,
            "number": event.number,
            "operation_id": event.operation_id,
            "summary": event.summary,
            "detail": event.detail,
        }
    })
}
